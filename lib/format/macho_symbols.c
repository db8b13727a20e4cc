/*
 * lib/format/macho_symbols.c: the symbol-level part of a slice (codesign.md §1.6-§1.8),
 * run after the load-command walk has checked every linkedit range against the slice.
 *
 * - LC_DYSYMTAB: the local / defined-external / undefined index ranges lie inside the
 *   symbol table.
 * - LC_DYLD_INFO(_ONLY): the bind, weak-bind and lazy-bind opcode streams decode: known
 *   opcodes, LEB128 values that fit 64 bits, NUL-terminated names, segment indexes that
 *   exist. We only validate them; the imports come from the symbol table.
 * - Imports: every nlist entry that is not a debug entry, has type N_UNDF, N_EXT set, a
 *   name, and n_value 0 (n_value != 0 makes it a common symbol, which llvm-nm -u does not
 *   list), plus every name of the LC_DYLD_CHAINED_FIXUPS import table (formats 1, 2, 3;
 *   plain symbol pool only). Sorted by strcmp, unique by name, sources merged.
 * - defines_kmod_info: a non-debug external N_SECT or N_ABS entry named "_kmod_info".
 *
 * Names are checked to end with a NUL inside their table and point into the caller's
 * buffer. The import array is allocated once, sized from the counts of both sources.
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

/* ---- LC_DYSYMTAB ------------------------------------------------------------------------ */

int mx_macho_check_dysymtab(struct mx_macho_slice_parse *p, struct macext_diag *diag)
{
	const struct mx_macho_linkedit *le = &p->le;
	const uint32_t first[3] = {le->ilocalsym, le->iextdefsym, le->iundefsym};
	const uint32_t count[3] = {le->nlocalsym, le->nextdefsym, le->nundefsym};
	static const char *const what[3] = {"local", "defined external", "undefined"};
	uint32_t nsyms = le->has_symtab ? le->nsyms : 0;

	if (!le->has_dysymtab)
		return 0;
	for (size_t i = 0; i < 3; i++) {
		if ((count[i] == 0 && first[i] <= nsyms) || mx_range_ok(first[i], count[i], nsyms))
			continue;
		return mx_diag_fail_at(diag, le->dysymtab_cmd + 8 + 8 * i, -EBADMSG,
				       "LC_DYSYMTAB: %s symbols [%u, +%u) outside the symbol "
				       "table (%u symbols)",
				       what[i], first[i], count[i], nsyms);
	}
	return 0;
}

/* ---- bind streams ----------------------------------------------------------------------- */

enum {
	BIND_DONE = 0x00,
	BIND_SET_DYLIB_ORDINAL_IMM = 0x10,
	BIND_SET_DYLIB_ORDINAL_ULEB = 0x20,
	BIND_SET_DYLIB_SPECIAL_IMM = 0x30,
	BIND_SET_SYMBOL_TRAILING_FLAGS_IMM = 0x40,
	BIND_SET_TYPE_IMM = 0x50,
	BIND_SET_ADDEND_SLEB = 0x60,
	BIND_SET_SEGMENT_AND_OFFSET_ULEB = 0x70,
	BIND_ADD_ADDR_ULEB = 0x80,
	BIND_DO_BIND = 0x90,
	BIND_DO_BIND_ADD_ADDR_ULEB = 0xa0,
	BIND_DO_BIND_ADD_ADDR_IMM_SCALED = 0xb0,
	BIND_DO_BIND_ULEB_TIMES_SKIPPING_ULEB = 0xc0,
	BIND_THREADED = 0xd0,
};

static int leb_fail(struct mx_reader *rd, const char *what, struct macext_diag *diag)
{
	return mx_diag_fail(diag, rd, -EBADMSG, "%s: LEB128 value truncated or over 64 bits", what);
}

/* Decodes one opcode stream; every opcode consumes at least one byte, so it ends. */
static int check_bind_stream(const struct mx_macho_slice_parse *p, uint32_t off, uint32_t size,
			     const char *what, struct macext_diag *diag)
{
	struct mx_reader rd;
	uint64_t u;
	int64_t sv;
	const char *name;

	(void)mx_rd_sub(&p->rd, off, size, &rd); /* range checked by the load-command walk */
	while (mx_rd_left(&rd) > 0) {
		uint64_t at = mx_rd_offset(&rd);
		uint8_t b, op, imm;

		(void)mx_rd_u8(&rd, &b);
		op = b & 0xf0;
		imm = b & 0x0f;
		switch (op) {
		case BIND_DONE:
		case BIND_SET_DYLIB_ORDINAL_IMM:
		case BIND_SET_DYLIB_SPECIAL_IMM:
		case BIND_DO_BIND:
		case BIND_DO_BIND_ADD_ADDR_IMM_SCALED:
			break;
		case BIND_SET_TYPE_IMM:
			if (imm < 1 || imm > 3)
				return mx_diag_fail_at(diag, at, -EBADMSG,
						       "%s: bind type %u unknown", what, imm);
			break;
		case BIND_SET_DYLIB_ORDINAL_ULEB:
		case BIND_ADD_ADDR_ULEB:
		case BIND_DO_BIND_ADD_ADDR_ULEB:
			if (mx_rd_uleb128(&rd, &u) < 0)
				return leb_fail(&rd, what, diag);
			break;
		case BIND_SET_ADDEND_SLEB:
			if (mx_rd_sleb128(&rd, &sv) < 0)
				return leb_fail(&rd, what, diag);
			break;
		case BIND_SET_SEGMENT_AND_OFFSET_ULEB:
			if (imm >= p->s->nsegments)
				return mx_diag_fail_at(
				    diag, at, -EBADMSG,
				    "%s: segment %u does not exist (%zu segments)", what, imm,
				    p->s->nsegments);
			if (mx_rd_uleb128(&rd, &u) < 0)
				return leb_fail(&rd, what, diag);
			break;
		case BIND_DO_BIND_ULEB_TIMES_SKIPPING_ULEB:
			if (mx_rd_uleb128(&rd, &u) < 0 || mx_rd_uleb128(&rd, &u) < 0)
				return leb_fail(&rd, what, diag);
			break;
		case BIND_SET_SYMBOL_TRAILING_FLAGS_IMM:
			if (mx_rd_cstr(&rd, MX_MACHO_MAX_SYMBOL_LEN, &name) < 0)
				return mx_diag_fail(diag, &rd, -EBADMSG,
						    "%s: symbol name not terminated or too long",
						    what);
			break;
		case BIND_THREADED:
			if (imm == 0) { /* SET_BIND_ORDINAL_TABLE_SIZE_ULEB */
				if (mx_rd_uleb128(&rd, &u) < 0)
					return leb_fail(&rd, what, diag);
			} else if (imm != 1) { /* 1: APPLY */
				return mx_diag_fail_at(diag, at, -EBADMSG,
						       "%s: threaded sub-opcode %u unknown", what,
						       imm);
			}
			break;
		default:
			return mx_diag_fail_at(diag, at, -EBADMSG, "%s: opcode 0x%02x unknown",
					       what, b);
		}
	}
	return 0;
}

int mx_macho_check_binds(struct mx_macho_slice_parse *p, struct macext_diag *diag)
{
	const struct mx_macho_linkedit *le = &p->le;
	int r;

	if (!le->has_dyld_info)
		return 0;
	r = check_bind_stream(p, le->bind_off, le->bind_size, "bind info", diag);
	if (r == 0)
		r = check_bind_stream(p, le->weak_bind_off, le->weak_bind_size, "weak bind info",
				      diag);
	if (r == 0)
		r = check_bind_stream(p, le->lazy_bind_off, le->lazy_bind_size, "lazy bind info",
				      diag);
	return r;
}

/* ---- chained fixups --------------------------------------------------------------------- */

struct chained {
	struct mx_reader blob;	  /* the command's linkedit data */
	struct mx_reader imports; /* the import table */
	struct mx_reader symbols; /* the symbol pool, to the end of the blob */
	uint32_t count, format;
};

/* dyld_chained_starts_in_image: seg_count, then seg_count offsets of
 * dyld_chained_starts_in_segment structures (0: no fixups), each starting with its size. */
static int check_chained_starts(const struct mx_macho_slice_parse *p, struct chained *ch,
				uint32_t starts, struct macext_diag *diag)
{
	struct mx_reader st, seg;
	uint32_t nseg, segoff, size;

	if (mx_rd_sub(&ch->blob, starts, ch->blob.len - (starts <= ch->blob.len ? starts : 0),
		      &st) < 0 ||
	    mx_rd_u32(&st, p->order, &nseg) < 0)
		return mx_diag_fail_at(diag, ch->blob.origin + 4, -EBADMSG,
				       "chained fixups: starts offset %u outside the data", starts);
	if (nseg > MX_MACHO_MAX_CHAINED_SEGS)
		return mx_diag_fail_at(diag, st.origin, -E2BIG,
				       "chained fixups: %u segments, over the limit %u", nseg,
				       MX_MACHO_MAX_CHAINED_SEGS);
	for (uint32_t i = 0; i < nseg; i++) {
		uint64_t at = mx_rd_offset(&st);

		if (mx_rd_u32(&st, p->order, &segoff) < 0)
			return mx_diag_fail(diag, &st, -EBADMSG,
					    "chained fixups: segment starts truncated");
		if (segoff == 0)
			continue;
		if (mx_rd_sub(&st, segoff, 4, &seg) < 0 || mx_rd_u32(&seg, p->order, &size) < 0 ||
		    !mx_range_ok(segoff, size, st.len))
			return mx_diag_fail_at(diag, at, -EBADMSG,
					       "chained fixups: starts of segment %u outside the "
					       "data",
					       i);
	}
	return 0;
}

static int chained_header(const struct mx_macho_slice_parse *p, struct chained *ch,
			  struct macext_diag *diag)
{
	static const uint32_t entsize[4] = {0, 4, 8, 16};
	const struct mx_macho_linkedit *le = &p->le;
	uint32_t h[7];
	uint64_t at;
	int r;

	(void)mx_rd_sub(&p->rd, le->chained_off, le->chained_size, &ch->blob);
	at = ch->blob.origin;
	for (size_t i = 0; i < 7; i++) {
		if (mx_rd_u32(&ch->blob, p->order, &h[i]) < 0)
			return mx_diag_fail(diag, &ch->blob, -EBADMSG,
					    "chained fixups: header truncated");
	}
	if (h[0] != 0)
		return mx_diag_fail_at(diag, at, -EBADMSG, "chained fixups: version %u unknown",
				       h[0]);
	if (h[5] < 1 || h[5] > 3)
		return mx_diag_fail_at(diag, at + 20, -EBADMSG,
				       "chained fixups: imports format %u unknown", h[5]);
	if (h[6] != 0)
		return mx_diag_fail_at(diag, at + 24, -EBADMSG,
				       "chained fixups: symbols format %u (compressed) unsupported",
				       h[6]);
	if (h[4] > MX_MACHO_MAX_CHAINED_IMPORTS)
		return mx_diag_fail_at(diag, at + 16, -E2BIG,
				       "chained fixups: %u imports, over the limit %u", h[4],
				       MX_MACHO_MAX_CHAINED_IMPORTS);
	if (mx_rd_sub(&ch->blob, h[2], (uint64_t)h[4] * entsize[h[5]], &ch->imports) < 0)
		return mx_diag_fail_at(diag, at + 8, -EBADMSG,
				       "chained fixups: %u imports at %u outside the data (%zu "
				       "bytes)",
				       h[4], h[2], ch->blob.len);
	if (h[3] > ch->blob.len)
		return mx_diag_fail_at(diag, at + 12, -EBADMSG,
				       "chained fixups: symbols offset %u outside the data", h[3]);
	(void)mx_rd_sub(&ch->blob, h[3], ch->blob.len - h[3], &ch->symbols);
	r = check_chained_starts(p, ch, h[1], diag);
	ch->count = h[4];
	ch->format = h[5];
	return r;
}

static int chained_fill(const struct mx_macho_slice_parse *p, struct chained *ch,
			struct macext_import *out, struct macext_diag *diag)
{
	for (uint32_t i = 0; i < ch->count; i++) {
		struct macext_import *imp = &out[i];
		uint64_t at = mx_rd_offset(&ch->imports);
		uint32_t raw, name_off;
		uint64_t raw64;
		struct mx_reader s;
		int32_t ord;

		if (ch->format == 3) {
			(void)mx_rd_u64(&ch->imports, p->order, &raw64);
			(void)mx_rd_skip(&ch->imports, 8);
			ord = (int32_t)(raw64 & 0xffffu);
			if (ord >= 0xfff0)
				ord = (int16_t)(uint16_t)ord;
			imp->weak = (raw64 >> 16) & 1u;
			name_off = (uint32_t)(raw64 >> 32);
		} else {
			(void)mx_rd_u32(&ch->imports, p->order, &raw);
			if (ch->format == 2)
				(void)mx_rd_skip(&ch->imports, 4);
			ord = (int32_t)(raw & 0xffu);
			if (ord >= 0xf0)
				ord = (int8_t)(uint8_t)ord;
			imp->weak = (raw >> 8) & 1u;
			name_off = raw >> 9;
		}
		imp->ordinal = ord;
		imp->sources = MACEXT_IMPORT_CHAINED;
		if (mx_rd_sub(&ch->symbols, name_off,
			      ch->symbols.len - (name_off <= ch->symbols.len ? name_off : 0),
			      &s) < 0 ||
		    mx_rd_cstr(&s, MX_MACHO_MAX_SYMBOL_LEN, &imp->name) < 0)
			return mx_diag_fail_at(diag, at, -EBADMSG,
					       "chained fixups: import %u: name at %u outside the "
					       "symbol pool or not terminated",
					       i, name_off);
	}
	return 0;
}

/* ---- the symbol table ------------------------------------------------------------------- */

struct nlist {
	uint32_t strx;
	uint8_t type, sect;
	uint16_t desc;
	uint64_t value;
};

static void read_nlist(const struct mx_macho_slice_parse *p, struct mx_reader *rd, struct nlist *n)
{
	uint32_t v32;

	/* the table's range was checked by the load-command walk: these reads cannot fail */
	(void)mx_rd_u32(rd, p->order, &n->strx);
	(void)mx_rd_u8(rd, &n->type);
	(void)mx_rd_u8(rd, &n->sect);
	(void)mx_rd_u16(rd, p->order, &n->desc);
	if (p->s->is64) {
		(void)mx_rd_u64(rd, p->order, &n->value);
	} else {
		(void)mx_rd_u32(rd, p->order, &v32);
		n->value = v32;
	}
}

static bool is_import(const struct nlist *n)
{
	return !(n->type & MX_N_STAB) && (n->type & MX_N_TYPE) == MX_N_UNDF &&
	       (n->type & MX_N_EXT) && n->strx != 0 && n->value == 0;
}

static int32_t nlist_ordinal(uint16_t desc)
{
	uint8_t o = (uint8_t)(desc >> 8);

	return o == 0xfe ? -2 : o == 0xff ? -1 : (int32_t)o;
}

/* First pass: every n_strx inside the string table; count imports; find _kmod_info. */
static int scan_symtab(struct mx_macho_slice_parse *p, const struct mx_reader *strtab,
		       size_t *nimports, struct macext_diag *diag)
{
	static const char kmod[] = "_kmod_info";
	const struct mx_macho_linkedit *le = &p->le;
	struct mx_reader rd;
	struct nlist n;

	(void)mx_rd_sub(&p->rd, le->symoff, (uint64_t)le->nsyms * (p->s->is64 ? 16 : 12), &rd);
	for (uint32_t i = 0; i < le->nsyms; i++) {
		uint64_t at = mx_rd_offset(&rd);
		uint8_t kind;

		read_nlist(p, &rd, &n);
		if (n.strx != 0 && n.strx >= le->strsize)
			return mx_diag_fail_at(diag, at, -EBADMSG,
					       "symbol %u: name offset %u past the string table "
					       "(%u bytes)",
					       i, n.strx, le->strsize);
		if (is_import(&n)) {
			(*nimports)++;
			continue;
		}
		kind = n.type & MX_N_TYPE;
		if (!(n.type & MX_N_STAB) && (n.type & MX_N_EXT) &&
		    (kind == MX_N_SECT || kind == MX_N_ABS) &&
		    strtab->len - n.strx >= sizeof(kmod) &&
		    memcmp(strtab->p + n.strx, kmod, sizeof(kmod)) == 0)
			p->s->defines_kmod_info = true;
	}
	return 0;
}

/* Second pass: the imports, names checked to end inside the string table. */
static int fill_symtab(struct mx_macho_slice_parse *p, const struct mx_reader *strtab,
		       struct macext_import *out, size_t *n_out, struct macext_diag *diag)
{
	const struct mx_macho_linkedit *le = &p->le;
	struct mx_reader rd, s;
	struct nlist n;
	int r;

	(void)mx_rd_sub(&p->rd, le->symoff, (uint64_t)le->nsyms * (p->s->is64 ? 16 : 12), &rd);
	for (uint32_t i = 0; i < le->nsyms; i++) {
		struct macext_import *imp;

		read_nlist(p, &rd, &n);
		if (!is_import(&n))
			continue;
		imp = &out[(*n_out)++];
		(void)mx_rd_sub(strtab, n.strx, strtab->len - n.strx, &s);
		r = mx_rd_cstr(&s, MX_MACHO_MAX_SYMBOL_LEN, &imp->name);
		if (r < 0)
			return mx_diag_fail_at(diag, s.origin, r,
					       r == -E2BIG
						   ? "symbol %u: name longer than %u bytes"
						   : "symbol %u: name not terminated inside "
						     "the string table",
					       i, MX_MACHO_MAX_SYMBOL_LEN);
		imp->ordinal = nlist_ordinal(n.desc);
		imp->weak = (n.desc & MX_N_WEAK_REF) != 0;
		imp->sources = MACEXT_IMPORT_SYMTAB;
	}
	return 0;
}

/* By name; among equal names the symbol-table entry first, so merging keeps its ordinal. */
static int cmp_import(const void *a, const void *b)
{
	const struct macext_import *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	if (x->sources != y->sources)
		return x->sources < y->sources ? -1 : 1;
	return x->ordinal < y->ordinal ? -1 : x->ordinal > y->ordinal;
}

static size_t sort_unique(struct macext_import *v, size_t n)
{
	size_t k = 0;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_import);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(v[k].name, v[i].name) == 0) {
			v[k].sources |= v[i].sources;
			v[k].weak = v[k].weak || v[i].weak;
			continue;
		}
		v[++k] = v[i];
	}
	return k + 1;
}

int mx_macho_collect_symbols(struct mx_macho_slice_parse *p, struct macext_diag *diag)
{
	struct macext_slice *s = p->s;
	const struct mx_macho_linkedit *le = &p->le;
	struct mx_reader strtab = {0};
	struct chained ch = {0};
	size_t nsym = 0, n = 0;
	int r;

	if (le->has_symtab) {
		(void)mx_rd_sub(&p->rd, le->stroff, le->strsize, &strtab);
		r = scan_symtab(p, &strtab, &nsym, diag);
		if (r < 0)
			return r;
	}
	if (le->has_chained) {
		r = chained_header(p, &ch, diag);
		if (r < 0)
			return r;
	}
	if (nsym + ch.count == 0)
		return 0;
	s->imports = mx_calloc(nsym + ch.count, sizeof(*s->imports));
	if (!s->imports)
		return mx_diag_fail_nopos(diag, -ENOMEM, "mach-o: out of memory");
	if (le->has_symtab) {
		r = fill_symtab(p, &strtab, s->imports, &n, diag);
		if (r < 0)
			return r;
	}
	if (le->has_chained) {
		r = chained_fill(p, &ch, s->imports + n, diag);
		if (r < 0)
			return r;
		n += ch.count;
	}
	s->nimports = sort_unique(s->imports, n);
	return 0;
}
