/*
 * lib/format/macho.c: one Mach-O image (a thin file, or one slice of a fat file).
 *
 * Layout (codesign.md §1.4-§1.5, docs/formats/macho.md): a 28-byte (32-bit) or 32-byte
 * (64-bit) header in the slice's byte order, then ncmds load commands filling sizeofcmds
 * bytes, each starting with cmd u32 and cmdsize u32.
 *
 * Two passes over the load commands. The first checks the framing only (every cmdsize at
 * least 8, a multiple of the word size, inside sizeofcmds; the commands exactly fill
 * sizeofcmds) and counts segments, sections, libraries and fileset entries, so each array
 * is allocated once at its final size. The second decodes each command and checks every
 * (offset, size) pair it carries against the slice. Then segments are checked for
 * overlapping file ranges, and macho_symbols.c does the symbol-level work.
 *
 * The slice's reader has origin = the slice's file offset, so every diagnostic names a file
 * offset. Strings (install names, fileset ids) point into the caller's buffer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format/limits.h"
#include "format/macho_internal.h"
#include "util/alloc.h"
#include "util/checked.h"
#include "util/diag.h"
#include "util/reader.h"

/* ---- header --------------------------------------------------------------------------- */

static int read_header(struct mx_macho_slice_parse *p, struct macext_diag *diag)
{
	struct macext_slice *s = p->s;
	struct mx_reader *rd = &p->rd;
	uint32_t magic, v[6], reserved;
	uint64_t hdr;

	if (mx_rd_u32(rd, MX_LE, &magic) < 0)
		return mx_diag_fail(diag, rd, -EBADMSG, "mach header: truncated");
	if (magic == MX_MH_MAGIC || magic == MX_MH_MAGIC_64) {
		p->order = MX_LE;
	} else {
		rd->pos = 0;
		(void)mx_rd_u32(rd, MX_BE, &magic);
		if (magic != MX_MH_MAGIC && magic != MX_MH_MAGIC_64)
			return mx_diag_fail_at(diag, rd->origin, -EBADMSG,
					       "not a mach-o image (magic 0x%08x)", magic);
		p->order = MX_BE;
	}
	s->big_endian = p->order == MX_BE;
	s->is64 = magic == MX_MH_MAGIC_64;
	for (size_t i = 0; i < 6; i++) {
		if (mx_rd_u32(rd, p->order, &v[i]) < 0)
			return mx_diag_fail(diag, rd, -EBADMSG, "mach header: truncated");
	}
	if (s->is64 && mx_rd_u32(rd, p->order, &reserved) < 0)
		return mx_diag_fail(diag, rd, -EBADMSG, "mach header: truncated");
	s->cputype = (int32_t)v[0];
	s->cpusubtype = (int32_t)v[1];
	s->filetype = v[2];
	s->ncmds = v[3];
	s->sizeofcmds = v[4];
	s->flags = v[5];
	s->arch = macext_arch_name(s->cputype, s->cpusubtype);
	s->llvm_arch = macext_arch_llvm_name(s->cputype, s->cpusubtype);

	hdr = s->is64 ? MX_MACH_HEADER64_SIZE : MX_MACH_HEADER_SIZE;
	if (s->ncmds > MX_MACHO_MAX_NCMDS)
		return mx_diag_fail_at(diag, rd->origin + 16, -E2BIG,
				       "mach header: %u load commands, over the limit %u", s->ncmds,
				       MX_MACHO_MAX_NCMDS);
	if (s->sizeofcmds > MX_MACHO_MAX_SIZEOFCMDS)
		return mx_diag_fail_at(diag, rd->origin + 20, -E2BIG,
				       "mach header: sizeofcmds %u over the limit %u",
				       s->sizeofcmds, MX_MACHO_MAX_SIZEOFCMDS);
	if ((uint64_t)s->ncmds * 8 > s->sizeofcmds)
		return mx_diag_fail_at(diag, rd->origin + 16, -EBADMSG,
				       "mach header: %u load commands cannot fit in sizeofcmds %u",
				       s->ncmds, s->sizeofcmds);
	if (!mx_range_ok(hdr, s->sizeofcmds, rd->len))
		return mx_diag_fail_at(diag, rd->origin + 20, -EBADMSG,
				       "mach header: sizeofcmds %u runs past the end of the image "
				       "(%zu bytes)",
				       s->sizeofcmds, rd->len);
	return 0;
}

/* ---- load commands: framing (pass 1) ------------------------------------------------- */

struct lc_counts {
	size_t segments, sections, libraries, fileset;
};

static bool is_dylib_cmd(uint32_t cmd)
{
	return cmd == MX_LC_LOAD_DYLIB || cmd == MX_LC_LOAD_WEAK_DYLIB ||
	       cmd == MX_LC_REEXPORT_DYLIB || cmd == MX_LC_LAZY_LOAD_DYLIB ||
	       cmd == MX_LC_LOAD_UPWARD_DYLIB;
}

static int seg_sizes(const struct mx_macho_slice_parse *p, uint32_t cmd, uint32_t idx, uint64_t at,
		     uint32_t *fixed, uint32_t *sect, struct macext_diag *diag)
{
	bool want64 = cmd == MX_LC_SEGMENT_64;

	if (want64 != p->s->is64)
		return mx_diag_fail_at(diag, at, -EBADMSG, "load command %u: %s in a %d-bit image",
				       idx, want64 ? "LC_SEGMENT_64" : "LC_SEGMENT",
				       p->s->is64 ? 64 : 32);
	*fixed = want64 ? 72 : 56;
	*sect = want64 ? 80 : 68;
	return 0;
}

static int frame_commands(struct mx_macho_slice_parse *p, struct lc_counts *n,
			  struct macext_diag *diag)
{
	const struct macext_slice *s = p->s;
	struct mx_reader cmds;
	uint32_t word = s->is64 ? 8 : 4;

	(void)mx_rd_sub(&p->rd, s->is64 ? MX_MACH_HEADER64_SIZE : MX_MACH_HEADER_SIZE,
			s->sizeofcmds, &cmds);
	for (uint32_t i = 0; i < s->ncmds; i++) {
		uint64_t at = mx_rd_offset(&cmds);
		uint32_t cmd, cmdsize, fixed = 0, sect = 0, nsects = 0;
		struct mx_reader c;
		int r;

		if (mx_rd_u32(&cmds, p->order, &cmd) < 0 ||
		    mx_rd_u32(&cmds, p->order, &cmdsize) < 0)
			return mx_diag_fail_at(diag, at, -EBADMSG,
					       "load command %u: runs past sizeofcmds", i);
		if (cmdsize < 8)
			return mx_diag_fail_at(diag, at + 4, -EBADMSG,
					       "load command %u: cmdsize %u is less than 8", i,
					       cmdsize);
		if (cmdsize % word != 0)
			return mx_diag_fail_at(
			    diag, at + 4, -EBADMSG,
			    "load command %u: cmdsize %u is not a multiple of %u", i, cmdsize,
			    word);
		cmds.pos -= 8;
		if (mx_rd_take(&cmds, cmdsize, &c) < 0)
			return mx_diag_fail_at(diag, at + 4, -EBADMSG,
					       "load command %u: cmdsize %u runs past sizeofcmds",
					       i, cmdsize);
		if (cmd == MX_LC_SEGMENT || cmd == MX_LC_SEGMENT_64) {
			r = seg_sizes(p, cmd, i, at, &fixed, &sect, diag);
			if (r < 0)
				return r;
			if (cmdsize < fixed)
				return mx_diag_fail_at(
				    diag, at + 4, -EBADMSG,
				    "load command %u: cmdsize %u too small for a "
				    "segment",
				    i, cmdsize);
			(void)mx_rd_seek(&c, fixed - 8);
			(void)mx_rd_u32(&c, p->order, &nsects);
			if ((uint64_t)nsects * sect != cmdsize - fixed)
				return mx_diag_fail_at(diag, at + fixed - 8, -EBADMSG,
						       "load command %u: %u sections do not fill "
						       "cmdsize %u",
						       i, nsects, cmdsize);
			n->segments++;
			n->sections += nsects;
		} else if (is_dylib_cmd(cmd)) {
			n->libraries++;
		} else if (cmd == MX_LC_FILESET_ENTRY) {
			n->fileset++;
		}
	}
	if (mx_rd_left(&cmds) != 0)
		return mx_diag_fail(diag, &cmds, -EBADMSG,
				    "load commands: %zu bytes of sizeofcmds left after %u commands",
				    mx_rd_left(&cmds), s->ncmds);
	return 0;
}

/* ---- load commands: decoding (pass 2) ------------------------------------------------ */

struct seg_range {
	uint64_t off, size, at;
};

struct decode {
	struct mx_macho_slice_parse *p;
	struct seg_range *ranges; /* one per segment, for the overlap check */
	bool seen_uuid, seen_id, seen_source, seen_dyld_info;
	uint32_t idx; /* index of the command being decoded */
};

/* Reads N u32 fields of command C into V; the framing pass guarantees nothing here, so a
 * short command fails with its index. */
static int rd_u32s(struct decode *d, struct mx_reader *c, uint32_t *v, size_t n, const char *what,
		   struct macext_diag *diag)
{
	for (size_t i = 0; i < n; i++) {
		if (mx_rd_u32(c, d->p->order, &v[i]) < 0)
			return mx_diag_fail_at(diag, c->origin + 4, -EBADMSG,
					       "load command %u: cmdsize %zu too small for %s",
					       d->idx, c->len, what);
	}
	return 0;
}

/* Checks that [off, off + size) lies in the slice; AT is the file offset of the field. */
static int check_range(struct decode *d, uint64_t off, uint64_t size, uint64_t at, const char *what,
		       struct macext_diag *diag)
{
	if (mx_range_ok(off, size, d->p->rd.len))
		return 0;
	return mx_diag_fail_at(
	    diag, at, -EBADMSG, "load command %u: %s [%llu, +%llu) outside the image (%zu bytes)",
	    d->idx, what, (unsigned long long)off, (unsigned long long)size, d->p->rd.len);
}

static int dup_cmd(struct decode *d, const struct mx_reader *c, const char *what,
		   struct macext_diag *diag)
{
	return mx_diag_fail_at(diag, c->origin, -EBADMSG, "load command %u: a second %s", d->idx,
			       what);
}

/* An lc_str: a u32 offset (at FIELD inside C) to a NUL-terminated string inside C. */
static int lc_string(struct decode *d, const struct mx_reader *c, size_t field, uint32_t fixed,
		     const char **ret, struct macext_diag *diag)
{
	struct mx_reader f = *c, str;
	uint32_t off;

	(void)mx_rd_seek(&f, field);
	if (mx_rd_u32(&f, d->p->order, &off) < 0)
		return mx_diag_fail_at(diag, c->origin + 4, -EBADMSG,
				       "load command %u: cmdsize too small", d->idx);
	if (off < fixed || off >= c->len)
		return mx_diag_fail_at(diag, c->origin + field, -EBADMSG,
				       "load command %u: string offset %u outside the command "
				       "(%u..%zu)",
				       d->idx, off, fixed, c->len);
	(void)mx_rd_sub(c, off, c->len - off, &str);
	if (mx_rd_cstr(&str, c->len, ret) < 0)
		return mx_diag_fail_at(diag, c->origin + off, -EBADMSG,
				       "load command %u: string not terminated inside the command",
				       d->idx);
	return 0;
}

static void copy_name(char dst[17], const uint8_t *src)
{
	memcpy(dst, src, 16);
	dst[16] = '\0';
}

static int decode_segment(struct decode *d, struct mx_reader *c, struct macext_diag *diag)
{
	struct macext_slice *s = d->p->s;
	struct macext_segment *seg = &s->segments[s->nsegments];
	bool w = s->is64;
	const uint8_t *name;
	uint64_t v[4];
	uint32_t u[4];
	uint64_t fileoff_at;

	(void)mx_rd_seek(c, 8);
	(void)mx_rd_bytes(c, 16, &name);
	copy_name(seg->name, name);
	fileoff_at = c->origin + (w ? 40 : 32);
	for (size_t i = 0; i < 4; i++) {
		uint32_t x;

		if (w) {
			(void)mx_rd_u64(c, d->p->order, &v[i]);
		} else {
			(void)mx_rd_u32(c, d->p->order, &x);
			v[i] = x;
		}
	}
	for (size_t i = 0; i < 4; i++)
		(void)mx_rd_u32(c, d->p->order, &u[i]);
	seg->vmaddr = v[0];
	seg->vmsize = v[1];
	seg->fileoff = v[2];
	seg->filesize = v[3];
	seg->maxprot = u[0];
	seg->initprot = u[1];
	seg->nsects = u[2];
	seg->flags = u[3];
	seg->first_section = s->nsections;
	if (!mx_range_ok(seg->fileoff, seg->filesize, d->p->rd.len))
		return mx_diag_fail_at(diag, fileoff_at, -EBADMSG,
				       "segment %.16s: file range [%llu, +%llu) outside the image "
				       "(%zu bytes)",
				       seg->name, (unsigned long long)seg->fileoff,
				       (unsigned long long)seg->filesize, d->p->rd.len);
	d->ranges[s->nsegments] = (struct seg_range){seg->fileoff, seg->filesize, fileoff_at};
	s->nsegments++;

	for (uint32_t i = 0; i < seg->nsects; i++) {
		struct macext_section *sec = &s->sections[s->nsections];
		uint64_t at = mx_rd_offset(c);
		const uint8_t *sn, *gn;
		uint32_t f[5], x;
		uint32_t type;

		(void)mx_rd_bytes(c, 16, &sn);
		(void)mx_rd_bytes(c, 16, &gn);
		copy_name(sec->sectname, sn);
		copy_name(sec->segname, gn);
		if (w) {
			(void)mx_rd_u64(c, d->p->order, &sec->addr);
			(void)mx_rd_u64(c, d->p->order, &sec->size);
		} else {
			(void)mx_rd_u32(c, d->p->order, &x);
			sec->addr = x;
			(void)mx_rd_u32(c, d->p->order, &x);
			sec->size = x;
		}
		for (size_t k = 0; k < 5; k++)
			(void)mx_rd_u32(c, d->p->order, &f[k]);
		(void)mx_rd_skip(c, w ? 12 : 8);
		sec->offset = f[0];
		sec->align = f[1];
		sec->flags = f[4];
		s->nsections++;
		type = sec->flags & MX_SECTION_TYPE;
		if (type != MX_S_ZEROFILL && type != MX_S_GB_ZEROFILL &&
		    type != MX_S_THREAD_LOCAL_ZEROFILL && sec->offset != 0 &&
		    !mx_range_ok(sec->offset, sec->size, d->p->rd.len))
			return mx_diag_fail_at(
			    diag, at + (w ? 48 : 40), -EBADMSG,
			    "section %.16s,%.16s: file range [%u, +%llu) outside "
			    "the image",
			    sec->segname, sec->sectname, sec->offset,
			    (unsigned long long)sec->size);
		if (f[3] != 0 && !mx_range_ok(f[2], (uint64_t)f[3] * 8, d->p->rd.len))
			return mx_diag_fail_at(diag, at + (w ? 56 : 48), -EBADMSG,
					       "section %.16s,%.16s: relocations outside the image",
					       sec->segname, sec->sectname);
	}
	return 0;
}

static int decode_dylib(struct decode *d, struct mx_reader *c, uint32_t cmd,
			struct macext_diag *diag)
{
	struct macext_slice *s = d->p->s;
	uint32_t v[5];
	const char *name;
	int r;

	r = rd_u32s(d, c, v, 5, "a dylib command", diag); /* cmd, cmdsize, name, stamp, cur */
	if (r == 0)
		r = rd_u32s(d, c, v, 1, "a dylib command", diag); /* compatibility */
	if (r == 0)
		r = lc_string(d, c, 8, 24, &name, diag);
	if (r < 0)
		return r;
	if (cmd == MX_LC_ID_DYLIB) {
		if (d->seen_id)
			return dup_cmd(d, c, "LC_ID_DYLIB", diag);
		d->seen_id = true;
		s->id_dylib = name;
		return 0;
	}
	{
		struct macext_dylib *l = &s->libraries[s->nlibraries++];

		(void)mx_rd_seek(c, 16);
		(void)mx_rd_u32(c, d->p->order, &l->current_version);
		(void)mx_rd_u32(c, d->p->order, &l->compatibility_version);
		l->cmd = cmd;
		l->name = name;
		l->kind = cmd == MX_LC_LOAD_DYLIB	 ? "load"
			  : cmd == MX_LC_LOAD_WEAK_DYLIB ? "weak"
			  : cmd == MX_LC_REEXPORT_DYLIB	 ? "reexport"
			  : cmd == MX_LC_LAZY_LOAD_DYLIB ? "lazy"
							 : "upward";
	}
	return 0;
}

static int decode_symtab(struct decode *d, struct mx_reader *c, struct macext_diag *diag)
{
	struct mx_macho_linkedit *le = &d->p->le;
	uint32_t v[6];
	uint64_t entsize = d->p->s->is64 ? 16 : 12;
	int r;

	if (le->has_symtab)
		return dup_cmd(d, c, "LC_SYMTAB", diag);
	r = rd_u32s(d, c, v, 6, "LC_SYMTAB", diag);
	if (r < 0)
		return r;
	le->has_symtab = true;
	le->symtab_cmd = c->origin;
	le->symoff = v[2];
	le->nsyms = v[3];
	le->stroff = v[4];
	le->strsize = v[5];
	if (le->nsyms > MX_MACHO_MAX_NSYMS)
		return mx_diag_fail_at(diag, c->origin + 12, -E2BIG,
				       "LC_SYMTAB: %u symbols, over the limit %u", le->nsyms,
				       MX_MACHO_MAX_NSYMS);
	r = check_range(d, le->symoff, le->nsyms * entsize, c->origin + 8, "symbol table", diag);
	if (r == 0)
		r = check_range(d, le->stroff, le->strsize, c->origin + 16, "string table", diag);
	d->p->s->has_symtab = true;
	d->p->s->nsyms = le->nsyms;
	return r;
}

static int decode_dysymtab(struct decode *d, struct mx_reader *c, struct macext_diag *diag)
{
	/* (offset field index, count field index, entry size) of the six tables */
	static const struct {
		uint8_t off, count, size;
		const char *what;
	} tables[] = {
	    {8, 9, 8, "table of contents"},	     {10, 11, 0, "module table"},
	    {12, 13, 4, "external reference table"}, {14, 15, 4, "indirect symbol table"},
	    {16, 17, 8, "external relocations"},     {18, 19, 8, "local relocations"},
	};
	struct mx_macho_linkedit *le = &d->p->le;
	uint32_t v[20];
	int r;

	if (le->has_dysymtab)
		return dup_cmd(d, c, "LC_DYSYMTAB", diag);
	r = rd_u32s(d, c, v, 20, "LC_DYSYMTAB", diag);
	if (r < 0)
		return r;
	le->has_dysymtab = true;
	le->dysymtab_cmd = c->origin;
	le->ilocalsym = v[2];
	le->nlocalsym = v[3];
	le->iextdefsym = v[4];
	le->nextdefsym = v[5];
	le->iundefsym = v[6];
	le->nundefsym = v[7];
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		uint64_t size = tables[i].size ? tables[i].size : (d->p->s->is64 ? 56 : 52);

		if (v[tables[i].count] == 0)
			continue;
		r = check_range(d, v[tables[i].off], size * v[tables[i].count],
				c->origin + 4u * tables[i].off, tables[i].what, diag);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A linkedit_data_command: cmd, cmdsize, dataoff, datasize. */
static int decode_linkedit(struct decode *d, struct mx_reader *c, uint32_t cmd,
			   struct macext_diag *diag)
{
	struct macext_slice *s = d->p->s;
	uint32_t v[4];
	int r;

	r = rd_u32s(d, c, v, 4, "a linkedit data command", diag);
	if (r == 0)
		r = check_range(d, v[2], v[3], c->origin + 8, "linkedit data", diag);
	if (r < 0)
		return r;
	if (cmd == MX_LC_CODE_SIGNATURE) {
		if (s->has_code_signature)
			return dup_cmd(d, c, "LC_CODE_SIGNATURE", diag);
		s->has_code_signature = true;
		s->codesig_offset = v[2];
		s->codesig_size = v[3];
	} else if (cmd == MX_LC_DYLD_CHAINED_FIXUPS) {
		if (d->p->le.has_chained)
			return dup_cmd(d, c, "LC_DYLD_CHAINED_FIXUPS", diag);
		d->p->le.has_chained = true;
		d->p->le.chained_cmd = c->origin;
		d->p->le.chained_off = v[2];
		d->p->le.chained_size = v[3];
		s->has_chained_fixups = true;
	}
	return 0;
}

static int decode_dyld_info(struct decode *d, struct mx_reader *c, struct macext_diag *diag)
{
	static const char *const what[] = {"rebase info", "bind info", "weak bind info",
					   "lazy bind info", "export info"};
	struct mx_macho_linkedit *le = &d->p->le;
	uint32_t v[12];
	int r;

	if (d->seen_dyld_info)
		return dup_cmd(d, c, "LC_DYLD_INFO", diag);
	d->seen_dyld_info = true;
	r = rd_u32s(d, c, v, 12, "LC_DYLD_INFO", diag);
	if (r < 0)
		return r;
	for (size_t i = 0; i < 5; i++) {
		r = check_range(d, v[2 + 2 * i], v[3 + 2 * i], c->origin + 8 + 8 * i, what[i],
				diag);
		if (r < 0)
			return r;
	}
	le->has_dyld_info = true;
	le->dyld_info_cmd = c->origin;
	le->bind_off = v[4];
	le->bind_size = v[5];
	le->weak_bind_off = v[6];
	le->weak_bind_size = v[7];
	le->lazy_bind_off = v[8];
	le->lazy_bind_size = v[9];
	d->p->s->has_dyld_info = true;
	return 0;
}

static int decode_version(struct decode *d, struct mx_reader *c, uint32_t cmd,
			  struct macext_diag *diag)
{
	struct macext_build_version *b = &d->p->s->build;
	uint32_t v[6];
	int r;

	if (cmd == MX_LC_BUILD_VERSION) {
		r = rd_u32s(d, c, v, 6, "LC_BUILD_VERSION", diag);
		if (r < 0)
			return r;
		if ((uint64_t)v[5] * 8 > c->len - 24)
			return mx_diag_fail_at(
			    diag, c->origin + 20, -EBADMSG,
			    "LC_BUILD_VERSION: %u tools do not fit in cmdsize %zu", v[5], c->len);
		if (b->present)
			return 0;
		*b = (struct macext_build_version){true, cmd, v[2], v[3], v[4]};
		return 0;
	}
	r = rd_u32s(d, c, v, 4, "a version-min command", diag);
	if (r < 0 || b->present)
		return r;
	*b = (struct macext_build_version){true, cmd,
					   cmd == MX_LC_VERSION_MIN_MACOSX     ? 1u
					   : cmd == MX_LC_VERSION_MIN_IPHONEOS ? 2u
					   : cmd == MX_LC_VERSION_MIN_TVOS     ? 3u
									       : 4u,
					   v[2], v[3]};
	return 0;
}

static int decode_fileset(struct decode *d, struct mx_reader *c, struct macext_diag *diag)
{
	struct macext_slice *s = d->p->s;
	struct macext_fileset_entry *e = &s->fileset[s->nfileset];
	uint32_t v[2];
	int r;

	r = rd_u32s(d, c, v, 2, "LC_FILESET_ENTRY", diag);
	if (r == 0 && (mx_rd_u64(c, d->p->order, &e->vmaddr) < 0 ||
		       mx_rd_u64(c, d->p->order, &e->fileoff) < 0))
		r = mx_diag_fail_at(diag, c->origin + 4, -EBADMSG,
				    "load command %u: cmdsize %zu too small for LC_FILESET_ENTRY",
				    d->idx, c->len);
	if (r == 0)
		r = lc_string(d, c, 24, 32, &e->id, diag);
	if (r == 0)
		r = check_range(d, e->fileoff, MX_MACH_HEADER64_SIZE, c->origin + 16,
				"fileset entry header", diag);
	if (r < 0)
		return r;
	s->nfileset++;
	return 0;
}

static int decode_one(struct decode *d, struct mx_reader *c, uint32_t cmd, struct macext_diag *diag)
{
	struct macext_slice *s = d->p->s;
	uint32_t v[2];
	uint64_t sv;
	const uint8_t *u;

	switch (cmd) {
	case MX_LC_SEGMENT:
	case MX_LC_SEGMENT_64:
		return decode_segment(d, c, diag);
	case MX_LC_SYMTAB:
		return decode_symtab(d, c, diag);
	case MX_LC_DYSYMTAB:
		return decode_dysymtab(d, c, diag);
	case MX_LC_ID_DYLIB:
	case MX_LC_LOAD_DYLIB:
	case MX_LC_LOAD_WEAK_DYLIB:
	case MX_LC_REEXPORT_DYLIB:
	case MX_LC_LAZY_LOAD_DYLIB:
	case MX_LC_LOAD_UPWARD_DYLIB:
		return decode_dylib(d, c, cmd, diag);
	case MX_LC_UUID:
		if (d->seen_uuid)
			return dup_cmd(d, c, "LC_UUID", diag);
		if (rd_u32s(d, c, v, 2, "LC_UUID", diag) < 0 || mx_rd_bytes(c, 16, &u) < 0)
			return mx_diag_fail_at(diag, c->origin + 4, -EBADMSG,
					       "load command %u: cmdsize too small for LC_UUID",
					       d->idx);
		d->seen_uuid = true;
		s->has_uuid = true;
		memcpy(s->uuid, u, 16);
		return 0;
	case MX_LC_SOURCE_VERSION:
		if (d->seen_source)
			return dup_cmd(d, c, "LC_SOURCE_VERSION", diag);
		if (rd_u32s(d, c, v, 2, "LC_SOURCE_VERSION", diag) < 0 ||
		    mx_rd_u64(c, d->p->order, &sv) < 0)
			return mx_diag_fail_at(diag, c->origin + 4, -EBADMSG,
					       "load command %u: cmdsize too small for "
					       "LC_SOURCE_VERSION",
					       d->idx);
		d->seen_source = true;
		s->has_source_version = true;
		s->source_version = sv;
		return 0;
	case MX_LC_CODE_SIGNATURE:
	case MX_LC_SEGMENT_SPLIT_INFO:
	case MX_LC_FUNCTION_STARTS:
	case MX_LC_DATA_IN_CODE:
	case MX_LC_DYLIB_CODE_SIGN_DRS:
	case MX_LC_LINKER_OPTIMIZATION_HINT:
	case MX_LC_DYLD_EXPORTS_TRIE:
	case MX_LC_DYLD_CHAINED_FIXUPS:
		return decode_linkedit(d, c, cmd, diag);
	case MX_LC_DYLD_INFO:
	case MX_LC_DYLD_INFO_ONLY:
		return decode_dyld_info(d, c, diag);
	case MX_LC_VERSION_MIN_MACOSX:
	case MX_LC_VERSION_MIN_IPHONEOS:
	case MX_LC_VERSION_MIN_TVOS:
	case MX_LC_VERSION_MIN_WATCHOS:
	case MX_LC_BUILD_VERSION:
		return decode_version(d, c, cmd, diag);
	case MX_LC_FILESET_ENTRY:
		return decode_fileset(d, c, diag);
	default:
		return 0;
	}
}

static int decode_commands(struct decode *d, struct macext_diag *diag)
{
	struct mx_macho_slice_parse *p = d->p;
	struct mx_reader cmds;

	(void)mx_rd_sub(&p->rd, p->s->is64 ? MX_MACH_HEADER64_SIZE : MX_MACH_HEADER_SIZE,
			p->s->sizeofcmds, &cmds);
	for (d->idx = 0; d->idx < p->s->ncmds; d->idx++) {
		struct mx_reader c;
		uint32_t cmd, cmdsize;
		int r;

		/* framing was checked by frame_commands() */
		(void)mx_rd_u32(&cmds, p->order, &cmd);
		(void)mx_rd_u32(&cmds, p->order, &cmdsize);
		cmds.pos -= 8;
		(void)mx_rd_take(&cmds, cmdsize, &c);
		r = decode_one(d, &c, cmd, diag);
		if (r < 0)
			return r;
	}
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct seg_range *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

/* No two segments share a file byte (empty segments share nothing). */
static int check_overlap(struct decode *d, size_t n, struct macext_diag *diag)
{
	uint64_t end = 0;
	size_t last = 0;
	bool any = false;

	qsort(d->ranges, n, sizeof(*d->ranges), cmp_range);
	for (size_t i = 0; i < n; i++) {
		const struct seg_range *r = &d->ranges[i];

		if (r->size == 0)
			continue;
		if (any && r->off < end)
			return mx_diag_fail_at(
			    diag, r->at > d->ranges[last].at ? r->at : d->ranges[last].at, -EBADMSG,
			    "segments overlap in the file: [%llu, +%llu) and "
			    "[%llu, +%llu)",
			    (unsigned long long)d->ranges[last].off,
			    (unsigned long long)d->ranges[last].size, (unsigned long long)r->off,
			    (unsigned long long)r->size);
		if (!any || r->off + r->size > end) {
			end = r->off + r->size;
			last = i;
		}
		any = true;
	}
	return 0;
}

void mx_macho_slice_clear(struct macext_slice *s)
{
	mx_free(s->segments);
	mx_free(s->sections);
	mx_free(s->libraries);
	mx_free(s->fileset);
	mx_free(s->imports);
	s->segments = NULL;
	s->sections = NULL;
	s->libraries = NULL;
	s->fileset = NULL;
	s->imports = NULL;
	s->nsegments = s->nsections = s->nlibraries = s->nfileset = s->nimports = 0;
}

/* calloc of N elements, at least one so that a NULL result always means failure. */
static void *alloc_array(size_t n, size_t size)
{
	return mx_calloc(n ? n : 1, size);
}

int mx_macho_parse_slice(struct macext_slice *s, const uint8_t *file, uint64_t off, uint64_t size,
			 unsigned flags, struct macext_diag *diag)
{
	struct mx_macho_slice_parse p = {.s = s, .flags = flags};
	struct decode d = {.p = &p};
	struct lc_counts n = {0};
	int r;

	s->offset = off;
	s->size = size;
	mx_rd_init(&p.rd, file + off, (size_t)size, off);
	r = read_header(&p, diag);
	if (r == 0)
		r = frame_commands(&p, &n, diag);
	if (r < 0)
		return r;

	s->segments = alloc_array(n.segments, sizeof(*s->segments));
	s->sections = alloc_array(n.sections, sizeof(*s->sections));
	s->libraries = alloc_array(n.libraries, sizeof(*s->libraries));
	s->fileset = alloc_array(n.fileset, sizeof(*s->fileset));
	d.ranges = alloc_array(n.segments, sizeof(*d.ranges));
	if (!s->segments || !s->sections || !s->libraries || !s->fileset || !d.ranges) {
		r = mx_diag_fail_nopos(diag, -ENOMEM, "mach-o: out of memory");
		goto out;
	}
	r = decode_commands(&d, diag);
	if (r == 0)
		r = check_overlap(&d, s->nsegments, diag);
	if (r == 0)
		r = mx_macho_check_dysymtab(&p, diag);
	if (r == 0 && !(flags & MACEXT_MACHO_NO_SYMBOLS))
		r = mx_macho_check_binds(&p, diag);
	if (r == 0 && !(flags & MACEXT_MACHO_NO_SYMBOLS))
		r = mx_macho_collect_symbols(&p, diag);
out:
	mx_free(d.ranges);
	return r;
}
