/*
 * Unit tests for the Mach-O reader (lib/format/fat.c, macho.c, macho_symbols.c).
 *
 * Every image is built here from a small generator (struct img) with a fixed layout, so the
 * tests know each field's file offset. Good images (thin 64-bit LE, thin 32-bit BE, fat,
 * fat64, chained fixups, fileset) check the parsed values; the hostile table patches one
 * field of a good image and checks the exact code AND the diagnostic's file offset.
 *
 * Layout of the good thin image (offsets relative to the slice):
 *   0x000 header, then load commands: __TEXT segment (1 section __text at 0x300),
 *         __LINKEDIT segment, LC_SYMTAB, LC_DYSYMTAB, LC_UUID, LC_BUILD_VERSION,
 *         LC_SOURCE_VERSION, LC_LOAD_DYLIB, LC_DYLD_INFO_ONLY, LC_CODE_SIGNATURE
 *   0x400 symbol table (5 entries)      0x480 string table
 *   0x500 bind stream (32 bytes)        0x600 chained-fixups data (when asked for)
 *   0x700 code signature (0x100)        0x800 end (__LINKEDIT is 0x400..0x800)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "format/limits.h"
#include "format/macho_internal.h"
#include "macext/macho.h"
#include "util/alloc.h"

/* ---- the generator ---------------------------------------------------------------------- */

#define IMG_MAX 0x4000
#define SLICE_LEN 0x800
#define SYMOFF 0x400
#define STROFF 0x480
#define BINDOFF 0x500
#define CHAINOFF 0x600
#define CSOFF 0x700

struct img {
	uint8_t b[IMG_MAX];
	size_t len;
	bool be, is64;
	uint32_t ncmds;
	size_t lc_end; /* end of the load commands so far */
	/* file offsets of interesting commands, recorded by the generator */
	size_t text, linkedit, symtab, dysymtab, uuid, build, source, dylib, dyld_info, codesig,
	    chained, fileset[2];
	uint32_t strsize;
	size_t str_oskextlog; /* strtab offset of "_OSKextLog" (the last string) */
};

static void w8(struct img *m, size_t off, uint8_t v)
{
	m->b[off] = v;
}

static void w16(struct img *m, size_t off, uint16_t v)
{
	for (size_t i = 0; i < 2; i++)
		m->b[off + i] = (uint8_t)(v >> (m->be ? 8 * (1 - i) : 8 * i));
}

static void w32(struct img *m, size_t off, uint32_t v)
{
	for (size_t i = 0; i < 4; i++)
		m->b[off + i] = (uint8_t)(v >> (m->be ? 8 * (3 - i) : 8 * i));
}

static void w64(struct img *m, size_t off, uint64_t v)
{
	for (size_t i = 0; i < 8; i++)
		m->b[off + i] = (uint8_t)(v >> (m->be ? 8 * (7 - i) : 8 * i));
}

static uint32_t r32(const struct img *m, size_t off)
{
	uint32_t v = 0;

	for (size_t i = 0; i < 4; i++)
		v |= (uint32_t)m->b[off + i] << (m->be ? 8 * (3 - i) : 8 * i);
	return v;
}

/* A pointer-sized field: 64-bit in 64-bit images. Returns the next offset. */
static size_t wptr(struct img *m, size_t off, uint64_t v)
{
	if (m->is64) {
		w64(m, off, v);
		return off + 8;
	}
	w32(m, off, (uint32_t)v);
	return off + 4;
}

static void header(struct img *m, int32_t cputype, int32_t sub, uint32_t filetype)
{
	memset(m->b, 0, sizeof(m->b));
	w32(m, 0, m->is64 ? 0xfeedfacf : 0xfeedface);
	w32(m, 4, (uint32_t)cputype);
	w32(m, 8, (uint32_t)sub);
	w32(m, 12, filetype);
	w32(m, 24, 0x85);
	m->ncmds = 0;
	m->lc_end = m->is64 ? 32 : 28;
	m->len = SLICE_LEN;
}

static size_t lc_begin(struct img *m, uint32_t cmd)
{
	w32(m, m->lc_end, cmd);
	return m->lc_end;
}

static void lc_end(struct img *m, size_t at, size_t size)
{
	size_t word = m->is64 ? 8 : 4;

	size = (size + word - 1) / word * word;
	w32(m, at + 4, (uint32_t)size);
	m->lc_end = at + size;
	m->ncmds++;
	w32(m, 16, m->ncmds);
	w32(m, 20, (uint32_t)(m->lc_end - (m->is64 ? 32 : 28)));
}

static size_t add_segment(struct img *m, const char *name, uint64_t fileoff, uint64_t filesize,
			  const char *sect, uint32_t sect_off, uint32_t sect_size)
{
	size_t at = lc_begin(m, m->is64 ? MX_LC_SEGMENT_64 : MX_LC_SEGMENT), p;
	uint32_t nsects = sect ? 1 : 0;

	memcpy(m->b + at + 8, name, strlen(name));
	p = wptr(m, at + 24, 0x1000 + fileoff); /* vmaddr */
	p = wptr(m, p, filesize);		/* vmsize */
	p = wptr(m, p, fileoff);
	p = wptr(m, p, filesize);
	w32(m, p, 7);
	w32(m, p + 4, 5);
	w32(m, p + 8, nsects);
	p += 16;
	if (sect) {
		memcpy(m->b + p, sect, strlen(sect));
		memcpy(m->b + p + 16, name, strlen(name));
		p = wptr(m, p + 32, 0x1000 + sect_off);
		p = wptr(m, p, sect_size);
		w32(m, p, sect_off);
		w32(m, p + 4, 4);
		w32(m, p + 16, 0x80000400);
		p += m->is64 ? 32 : 28;
	}
	lc_end(m, at, p - at);
	return at;
}

static size_t add_linkedit_data(struct img *m, uint32_t cmd, uint32_t off, uint32_t size)
{
	size_t at = lc_begin(m, cmd);

	w32(m, at + 8, off);
	w32(m, at + 12, size);
	lc_end(m, at, 16);
	return at;
}

static const char strtab[] = "\0_kmod_info\0_IOLog\0_common\0_OSKextLog";

/* One nlist entry at index I of the symbol table. */
static void add_nlist(struct img *m, size_t i, uint32_t strx, uint8_t type, uint8_t sect,
		      uint16_t desc, uint64_t value)
{
	size_t at = SYMOFF + i * (m->is64 ? 16 : 12);

	w32(m, at, strx);
	w8(m, at + 4, type);
	w8(m, at + 5, sect);
	w16(m, at + 6, desc);
	wptr(m, at + 8, value);
}

/* The good thin image (layout at the top of this file). CHAINED_FMT 0: no chained fixups;
 * 1 or 2: an LC_DYLD_CHAINED_FIXUPS with three imports in that format. */
static void make_thin(struct img *m, bool is64, bool be, int chained_fmt)
{
	static const uint8_t bind[] = {0x3e, 0x40, '_',	 'I',  'O',  'L',  'o',
				       'g',  0,	   0x51, 0x71, 0x10, 0x90, 0x00};
	size_t at;

	m->is64 = is64;
	m->be = be;
	if (is64)
		header(m, MX_CPU_TYPE_X86_64, 3, MACEXT_MH_KEXT_BUNDLE);
	else
		header(m, MX_CPU_TYPE_POWERPC, 10, MACEXT_MH_OBJECT);
	m->text = add_segment(m, "__TEXT", 0, 0x400, "__text", 0x300, 0x40);
	m->linkedit = add_segment(m, "__LINKEDIT", 0x400, 0x400, NULL, 0, 0);

	m->symtab = at = lc_begin(m, MX_LC_SYMTAB);
	m->strsize = sizeof(strtab) - 1 + 1; /* the trailing NUL of _OSKextLog */
	w32(m, at + 8, SYMOFF);
	w32(m, at + 12, 5);
	w32(m, at + 16, STROFF);
	w32(m, at + 20, m->strsize);
	lc_end(m, at, 24);
	memcpy(m->b + STROFF, strtab, sizeof(strtab));
	m->str_oskextlog = 27;
	add_nlist(m, 0, 1, MX_N_SECT | MX_N_EXT, 1, 0, 0x1300); /* _kmod_info */
	add_nlist(m, 1, 12, MX_N_EXT, 0, 0xfe00, 0);		/* _IOLog, flat lookup */
	add_nlist(m, 2, 27, MX_N_EXT, 0, 0x0140, 0);		/* _OSKextLog, lib 1, weak */
	add_nlist(m, 3, 19, MX_N_EXT, 0, 0, 8);			/* _common: a common symbol */
	add_nlist(m, 4, 12, MX_N_EXT, 0, 0xfe00, 0);		/* _IOLog again */

	m->dysymtab = at = lc_begin(m, MX_LC_DYSYMTAB);
	w32(m, at + 16, 0); /* iextdefsym */
	w32(m, at + 20, 1); /* nextdefsym */
	w32(m, at + 24, 1); /* iundefsym */
	w32(m, at + 28, 4); /* nundefsym */
	lc_end(m, at, 80);

	m->uuid = at = lc_begin(m, MX_LC_UUID);
	for (size_t i = 0; i < 16; i++)
		w8(m, at + 8 + i, (uint8_t)(0xa0 + i));
	lc_end(m, at, 24);

	m->build = at = lc_begin(m, MX_LC_BUILD_VERSION);
	w32(m, at + 8, 1);
	w32(m, at + 12, 0x000b0000);
	w32(m, at + 16, 0x000b0300);
	lc_end(m, at, 24);

	m->source = at = lc_begin(m, MX_LC_SOURCE_VERSION);
	w64(m, at + 8, 0x1234);
	lc_end(m, at, 16);

	m->dylib = at = lc_begin(m, MX_LC_LOAD_DYLIB);
	w32(m, at + 8, 24);
	w32(m, at + 16, 0x00010203);
	w32(m, at + 20, 0x00010000);
	memcpy(m->b + at + 24, "libfoo.dylib", 13);
	lc_end(m, at, 24 + 13);

	m->dyld_info = at = lc_begin(m, MX_LC_DYLD_INFO_ONLY);
	w32(m, at + 16, BINDOFF);
	w32(m, at + 20, 32);
	lc_end(m, at, 48);
	memcpy(m->b + BINDOFF, bind, sizeof(bind));

	if (chained_fmt) {
		/* header 28, starts (seg_count 0) at 28, 3 imports at 32, then the names */
		static const char names[] = "_IOLog\0_chained_only\0_exe_sym";
		uint32_t entsize = chained_fmt == 1 ? 4 : 8, sym = 32 + 3 * entsize;
		const uint32_t raw[3] = {0x01 | 0u << 9, 0xfe | 1u << 8 | 7u << 9, 0xff | 21u << 9};

		m->chained = add_linkedit_data(m, MX_LC_DYLD_CHAINED_FIXUPS, CHAINOFF, 0x100);
		w32(m, CHAINOFF + 4, 28);
		w32(m, CHAINOFF + 8, 32);
		w32(m, CHAINOFF + 12, sym);
		w32(m, CHAINOFF + 16, 3);
		w32(m, CHAINOFF + 20, (uint32_t)chained_fmt);
		for (size_t i = 0; i < 3; i++) {
			w32(m, CHAINOFF + 32 + i * entsize, raw[i]);
			if (chained_fmt == 2)
				w32(m, CHAINOFF + 32 + i * entsize + 4, 0xffffffff);
		}
		memcpy(m->b + CHAINOFF + sym, names, sizeof(names));
	}
	m->codesig = add_linkedit_data(m, MX_LC_CODE_SIGNATURE, CSOFF, 0x100);
}

/* A fat file: the slices at 0x1000 * (i + 1), alignment 2^12. */
static void make_fat(struct img *f, bool fat64, const struct img *slices, size_t n)
{
	size_t ent = fat64 ? 32 : 20;

	memset(f->b, 0, sizeof(f->b));
	f->be = true;
	w32(f, 0, fat64 ? MX_FAT_MAGIC_64 : MX_FAT_MAGIC);
	w32(f, 4, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		size_t at = 8 + i * ent, off = 0x1000 * (i + 1);

		w32(f, at, r32(&slices[i], 4));
		w32(f, at + 4, r32(&slices[i], 8));
		if (fat64) {
			w64(f, at + 8, off);
			w64(f, at + 16, slices[i].len);
			w32(f, at + 24, 12);
		} else {
			w32(f, at + 8, (uint32_t)off);
			w32(f, at + 12, (uint32_t)slices[i].len);
			w32(f, at + 16, 12);
		}
		memcpy(f->b + off, slices[i].b, slices[i].len);
		f->len = off + slices[i].len;
	}
}

static struct macext_macho *parse_ok(const struct img *m, unsigned flags)
{
	struct macext_macho *mo = NULL;
	struct macext_diag diag = {0};
	int r = macext_macho_parse(&mo, m->b, m->len, flags, &diag);

	if (r != 0)
		print_error("unexpected failure %d at %llu: %s\n", r,
			    (unsigned long long)diag.offset, diag.msg);
	assert_int_equal(r, 0);
	assert_non_null(mo);
	return mo;
}

static void assert_import(const struct macext_import *imp, const char *name, int32_t ordinal,
			  bool weak, unsigned sources)
{
	assert_string_equal(imp->name, name);
	assert_int_equal(imp->ordinal, ordinal);
	assert_int_equal(imp->weak, weak);
	assert_int_equal(imp->sources, sources);
}

/* What every good thin image holds, whatever its width and byte order. */
static void check_good_slice(const struct img *m, const struct macext_slice *s, uint64_t base,
			     const uint8_t *file)
{
	assert_int_equal(s->offset, base);
	assert_int_equal(s->size, SLICE_LEN);
	assert_int_equal(s->is64, m->is64);
	assert_int_equal(s->big_endian, m->be);
	assert_int_equal(s->ncmds, 10);
	assert_true(s->has_uuid);
	assert_int_equal(s->uuid[0], 0xa0);
	assert_int_equal(s->uuid[15], 0xaf);
	assert_true(s->build.present);
	assert_int_equal(s->build.cmd, MX_LC_BUILD_VERSION);
	assert_int_equal(s->build.platform, 1);
	assert_int_equal(s->build.minos, 0x000b0000);
	assert_int_equal(s->build.sdk, 0x000b0300);
	assert_true(s->has_source_version);
	assert_int_equal(s->source_version, 0x1234);
	assert_true(s->has_code_signature);
	assert_int_equal(s->codesig_offset, CSOFF);
	assert_int_equal(s->codesig_size, 0x100);
	assert_int_equal(s->nsegments, 2);
	assert_string_equal(s->segments[0].name, "__TEXT");
	assert_int_equal(s->segments[0].fileoff, 0);
	assert_int_equal(s->segments[0].filesize, 0x400);
	assert_int_equal(s->segments[0].vmaddr, 0x1000);
	assert_int_equal(s->segments[0].nsects, 1);
	assert_int_equal(s->segments[0].first_section, 0);
	assert_string_equal(s->segments[1].name, "__LINKEDIT");
	assert_int_equal(s->segments[1].fileoff, 0x400);
	assert_int_equal(s->segments[1].first_section, 1);
	assert_int_equal(s->nsections, 1);
	assert_string_equal(s->sections[0].sectname, "__text");
	assert_string_equal(s->sections[0].segname, "__TEXT");
	assert_int_equal(s->sections[0].offset, 0x300);
	assert_int_equal(s->sections[0].size, 0x40);
	assert_int_equal(s->sections[0].addr, 0x1300);
	assert_int_equal(s->sections[0].flags, 0x80000400);
	assert_int_equal(s->nlibraries, 1);
	assert_string_equal(s->libraries[0].name, "libfoo.dylib");
	assert_string_equal(s->libraries[0].kind, "load");
	assert_int_equal(s->libraries[0].cmd, MX_LC_LOAD_DYLIB);
	assert_int_equal(s->libraries[0].current_version, 0x00010203);
	assert_int_equal(s->libraries[0].compatibility_version, 0x00010000);
	assert_null(s->id_dylib);
	assert_true(s->has_symtab);
	assert_int_equal(s->nsyms, 5);
	assert_true(s->has_dyld_info);
	assert_true(s->defines_kmod_info);
	/* the names point into the buffer, not into copies */
	assert_ptr_equal(s->libraries[0].name, (const char *)file + base + m->dylib + 24);
}

static void test_thin64_le(void **state)
{
	struct img m;
	struct macext_macho *mo;
	const struct macext_slice *s;

	(void)state;
	make_thin(&m, true, false, 0);
	mo = parse_ok(&m, 0);
	assert_false(mo->fat);
	assert_int_equal(mo->size, SLICE_LEN);
	assert_int_equal(mo->nslices, 1);
	s = &mo->slices[0];
	check_good_slice(&m, s, 0, m.b);
	assert_string_equal(s->arch, "x86_64");
	assert_string_equal(s->llvm_arch, "x86_64");
	assert_int_equal(s->filetype, MACEXT_MH_KEXT_BUNDLE);
	assert_false(s->has_chained_fixups);
	/* _common (n_value 8) is a common symbol, not an import; _IOLog appears once */
	assert_int_equal(s->nimports, 2);
	assert_import(&s->imports[0], "_IOLog", -2, false, MACEXT_IMPORT_SYMTAB);
	assert_import(&s->imports[1], "_OSKextLog", 1, true, MACEXT_IMPORT_SYMTAB);
	assert_ptr_equal(s->imports[0].name, (const char *)m.b + STROFF + 12);
	assert_ptr_equal(macext_macho_find_slice(mo, "x86_64"), s);
	assert_null(macext_macho_find_slice(mo, "arm64"));
	macext_macho_free(mo);

	/* without symbols: no imports, no kmod_info scan, but the table's facts remain */
	mo = parse_ok(&m, MACEXT_MACHO_NO_SYMBOLS);
	s = &mo->slices[0];
	assert_int_equal(s->nimports, 0);
	assert_null(s->imports);
	assert_false(s->defines_kmod_info);
	assert_true(s->has_symtab);
	assert_int_equal(s->nsyms, 5);
	macext_macho_free(mo);
}

static void test_thin32_be(void **state)
{
	struct img m;
	struct macext_macho *mo;
	const struct macext_slice *s;

	(void)state;
	make_thin(&m, false, true, 0);
	assert_int_equal(m.b[0], 0xfe); /* FE ED FA CE: big-endian 32-bit */
	mo = parse_ok(&m, 0);
	s = &mo->slices[0];
	check_good_slice(&m, s, 0, m.b);
	assert_int_equal(s->cputype, MX_CPU_TYPE_POWERPC);
	assert_int_equal(s->cpusubtype, 10);
	assert_string_equal(s->arch, "ppc");
	assert_string_equal(s->llvm_arch, ""); /* llvm-nm-14 prints "(for architecture )" */
	assert_int_equal(s->filetype, MACEXT_MH_OBJECT);
	assert_int_equal(s->nimports, 2);
	assert_import(&s->imports[0], "_IOLog", -2, false, MACEXT_IMPORT_SYMTAB);
	assert_import(&s->imports[1], "_OSKextLog", 1, true, MACEXT_IMPORT_SYMTAB);
	macext_macho_free(mo);
}

static void make_two_slice_fat(struct img *f, bool fat64)
{
	struct img sl[2];

	make_thin(&sl[0], true, false, 0);
	make_thin(&sl[1], false, true, 0);
	make_fat(f, fat64, sl, 2);
	f->len = 0x3000; /* room after the last slice, for the misalignment cases */
}

static void check_two_slice_fat(bool fat64)
{
	struct img f, sl;
	struct macext_macho *mo;

	make_two_slice_fat(&f, fat64);
	mo = parse_ok(&f, 0);
	assert_true(mo->fat);
	assert_int_equal(mo->fat64, fat64);
	assert_int_equal(mo->size, 0x3000);
	assert_int_equal(mo->nslices, 2);
	make_thin(&sl, true, false, 0);
	check_good_slice(&sl, &mo->slices[0], 0x1000, f.b);
	make_thin(&sl, false, true, 0);
	check_good_slice(&sl, &mo->slices[1], 0x2000, f.b);
	assert_string_equal(mo->slices[0].arch, "x86_64");
	assert_string_equal(mo->slices[1].arch, "ppc");
	assert_int_equal(mo->slices[0].align, 12);
	assert_int_equal(mo->slices[1].align, 12);
	assert_int_equal(mo->slices[1].nimports, 2);
	assert_import(&mo->slices[1].imports[1], "_OSKextLog", 1, true, MACEXT_IMPORT_SYMTAB);
	assert_ptr_equal(mo->slices[1].imports[0].name, (const char *)f.b + 0x2000 + STROFF + 12);
	assert_ptr_equal(macext_macho_find_slice(mo, "ppc"), &mo->slices[1]);
	macext_macho_free(mo);
}

static void test_fat(void **state)
{
	(void)state;
	check_two_slice_fat(false);
}

static void test_fat64(void **state)
{
	(void)state;
	check_two_slice_fat(true);
}

static void test_chained_fixups(void **state)
{
	(void)state;
	for (int fmt = 1; fmt <= 2; fmt++) {
		struct img m;
		struct macext_macho *mo;
		const struct macext_slice *s;

		make_thin(&m, true, false, fmt);
		mo = parse_ok(&m, 0);
		s = &mo->slices[0];
		assert_true(s->has_chained_fixups);
		assert_int_equal(s->nimports, 4);
		/* merged with the symbol table; the symbol table's ordinal wins */
		assert_import(&s->imports[0], "_IOLog", -2, false,
			      MACEXT_IMPORT_SYMTAB | MACEXT_IMPORT_CHAINED);
		assert_import(&s->imports[1], "_OSKextLog", 1, true, MACEXT_IMPORT_SYMTAB);
		assert_import(&s->imports[2], "_chained_only", -2, true, MACEXT_IMPORT_CHAINED);
		assert_import(&s->imports[3], "_exe_sym", -1, false, MACEXT_IMPORT_CHAINED);
		macext_macho_free(mo);
	}
}

static void test_fileset(void **state)
{
	static const struct {
		const char *id;
		uint64_t vmaddr, fileoff;
	} entries[2] = {
	    {"com.apple.kernel", 0xfffffe0007004000, 0},
	    {"com.example.driver", 0xfffffe0007008000, 0x400},
	};
	struct img m;
	struct macext_macho *mo;
	const struct macext_slice *s;

	(void)state;
	m.is64 = true;
	m.be = false;
	header(&m, MX_CPU_TYPE_ARM64, (int32_t)0xc0000002, MACEXT_MH_FILESET);
	add_segment(&m, "__TEXT", 0, 0x800, NULL, 0, 0);
	for (size_t i = 0; i < 2; i++) {
		size_t at = lc_begin(&m, MX_LC_FILESET_ENTRY);

		w64(&m, at + 8, entries[i].vmaddr);
		w64(&m, at + 16, entries[i].fileoff);
		w32(&m, at + 24, 32);
		memcpy(m.b + at + 32, entries[i].id, strlen(entries[i].id) + 1);
		lc_end(&m, at, 32 + strlen(entries[i].id) + 1);
		m.fileset[i] = at;
	}
	mo = parse_ok(&m, 0);
	s = &mo->slices[0];
	assert_string_equal(s->arch, "arm64e"); /* the capability byte is ignored */
	assert_string_equal(macext_filetype_name(s->filetype), "fileset");
	assert_int_equal(s->nfileset, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_string_equal(s->fileset[i].id, entries[i].id);
		assert_int_equal(s->fileset[i].vmaddr, entries[i].vmaddr);
		assert_int_equal(s->fileset[i].fileoff, entries[i].fileoff);
	}
	assert_false(s->has_uuid);
	assert_false(s->has_symtab);
	assert_int_equal(s->nimports, 0);
	macext_macho_free(mo);

	/* an entry whose header would lie past the end */
	w64(&m, m.fileset[1] + 16, 0x7f0);
	{
		struct macext_diag diag = {0};

		assert_int_equal(macext_macho_parse(&mo, m.b, m.len, 0, &diag), -EBADMSG);
		assert_int_equal(diag.offset, m.fileset[1] + 16);
		assert_null(mo);
	}
}

/* ---- hostile inputs ----------------------------------------------------------------------- */

enum base {
	THIN64,	  /* make_thin(64-bit, little-endian) */
	THIN32BE, /* make_thin(32-bit, big-endian) */
	CHAINED1, /* THIN64 with chained fixups, format 1 */
	FAT,	  /* x86_64 thin64 at 0x1000 + ppc thin32be at 0x2000, file 0x3000 bytes */
	FAT64,
};

/* Where a patch or an expected offset is anchored: a recorded command, or absolute. */
enum anchor {
	ABS,
	TEXT,
	LINKEDIT,
	SYMTAB,
	DYSYMTAB,
	UUID,
	BUILD,
	SOURCE,
	DYLIB,
	DYLD_INFO,
	CODESIG,
	LC_END,
	PPC_SYMTAB, /* the symtab command of the ppc slice of FAT */
};

#define FILL 0xff /* width: fill VALUE bytes with 'a' */

struct patch {
	enum anchor a;
	uint32_t delta;
	uint8_t width; /* 1, 4, 8 or FILL; 0 ends the list */
	uint64_t value;
};

struct hostile {
	const char *name;
	enum base base;
	size_t len; /* 0: keep the generated length */
	struct patch patch[3];
	int code;
	enum anchor at;
	uint32_t at_delta;
	const char *msg_prefix; /* NULL: not checked */
};

static uint64_t anchor(const struct img *m, enum anchor a)
{
	struct img ppc;

	switch (a) {
	case ABS:
		return 0;
	case TEXT:
		return m->text;
	case LINKEDIT:
		return m->linkedit;
	case SYMTAB:
		return m->symtab;
	case DYSYMTAB:
		return m->dysymtab;
	case UUID:
		return m->uuid;
	case BUILD:
		return m->build;
	case SOURCE:
		return m->source;
	case DYLIB:
		return m->dylib;
	case DYLD_INFO:
		return m->dyld_info;
	case CODESIG:
		return m->codesig;
	case LC_END:
		return m->lc_end;
	case PPC_SYMTAB:
		make_thin(&ppc, false, true, 0);
		return 0x2000 + ppc.symtab;
	}
	return 0;
}

static const struct hostile hostile[] = {
    /* header */
    {"truncated in magic", THIN64, 3, {{0}}, -ENOEXEC, ABS, 0, NULL},
    {"truncated in cpusubtype", THIN64, 10, {{0}}, -EBADMSG, ABS, 8, NULL},
    {"truncated in sizeofcmds", THIN64, 22, {{0}}, -EBADMSG, ABS, 20, NULL},
    {"truncated in reserved", THIN64, 30, {{0}}, -EBADMSG, ABS, 28, NULL},
    {"truncated 32-bit header", THIN32BE, 26, {{0}}, -EBADMSG, ABS, 24, NULL},
    {"truncated in load commands", THIN64, 100, {{0}}, -EBADMSG, ABS, 20, NULL},
    {"not mach-o", THIN64, 0, {{ABS, 0, 4, 0x464c457f}}, -ENOEXEC, ABS, 0, NULL},
    {"ncmds huge", THIN64, 0, {{ABS, 16, 4, 0x7fffffff}}, -E2BIG, ABS, 16, NULL},
    {"ncmds over sizeofcmds", THIN64, 0, {{ABS, 16, 4, 100}}, -EBADMSG, ABS, 16, NULL},
    {"sizeofcmds over the limit", THIN64, 0, {{ABS, 20, 4, 0x7fffffff}}, -E2BIG, ABS, 20, NULL},
    /* load-command framing */
    {"cmdsize 0", THIN64, 0, {{SYMTAB, 4, 4, 0}}, -EBADMSG, SYMTAB, 4, NULL},
    {"cmdsize 4", THIN64, 0, {{SYMTAB, 4, 4, 4}}, -EBADMSG, SYMTAB, 4, NULL},
    {"cmdsize not a multiple of 8", THIN64, 0, {{SYMTAB, 4, 4, 28}}, -EBADMSG, SYMTAB, 4, NULL},
    {"cmdsize not a multiple of 4", THIN32BE, 0, {{SYMTAB, 4, 4, 26}}, -EBADMSG, SYMTAB, 4, NULL},
    {"cmdsize past sizeofcmds", THIN64, 0, {{CODESIG, 4, 4, 24}}, -EBADMSG, CODESIG, 4, NULL},
    {"more ncmds than commands", THIN64, 0, {{ABS, 16, 4, 11}}, -EBADMSG, LC_END, 0, NULL},
    {"bytes left in sizeofcmds", THIN64, 0, {{ABS, 20, 4, 504}}, -EBADMSG, LC_END, 0, NULL},
    /* segments */
    {"nsects does not fill cmdsize", THIN64, 0, {{TEXT, 64, 4, 2}}, -EBADMSG, TEXT, 64, NULL},
    {"LC_SEGMENT in a 64-bit image",
     THIN64,
     0,
     {{LINKEDIT, 0, 4, MX_LC_SEGMENT}},
     -EBADMSG,
     LINKEDIT,
     0,
     NULL},
    {"segment past end", THIN64, 0, {{LINKEDIT, 48, 8, 0x500}}, -EBADMSG, LINKEDIT, 40, NULL},
    {"segment offset wraps",
     THIN64,
     0,
     {{LINKEDIT, 40, 8, UINT64_MAX}},
     -EBADMSG,
     LINKEDIT,
     40,
     NULL},
    {"section past end", THIN64, 0, {{TEXT, 72 + 48, 4, 0x7f0}}, -EBADMSG, TEXT, 72 + 48, NULL},
    {"overlapping segments", THIN64, 0, {{LINKEDIT, 40, 8, 0x3f0}}, -EBADMSG, LINKEDIT, 40, NULL},
    {"overlapping segments 32-bit",
     THIN32BE,
     0,
     {{LINKEDIT, 32, 4, 0x10}},
     -EBADMSG,
     LINKEDIT,
     32,
     NULL},
    /* symbols */
    {"symtab past end", THIN64, 0, {{SYMTAB, 8, 4, 0x7f0}}, -EBADMSG, SYMTAB, 8, NULL},
    {"nsyms over the limit",
     THIN64,
     0,
     {{SYMTAB, 12, 4, MX_MACHO_MAX_NSYMS + 1}},
     -E2BIG,
     SYMTAB,
     12,
     NULL},
    {"strtab past end", THIN64, 0, {{SYMTAB, 20, 4, 0x400}}, -EBADMSG, SYMTAB, 16, NULL},
    {"n_strx past strsize",
     THIN64,
     0,
     {{ABS, SYMOFF + 16, 4, 0x1000}},
     -EBADMSG,
     ABS,
     SYMOFF + 16,
     NULL},
    {"n_strx equal to strsize",
     THIN32BE,
     0,
     {{ABS, SYMOFF + 12, 4, 38}},
     -EBADMSG,
     ABS,
     SYMOFF + 12,
     NULL},
    {"import name without NUL", THIN64, 0, {{SYMTAB, 20, 4, 37}}, -EBADMSG, ABS, STROFF + 27, NULL},
    {"dysymtab undefined range", THIN64, 0, {{DYSYMTAB, 28, 4, 5}}, -EBADMSG, DYSYMTAB, 24, NULL},
    {"dysymtab relocations past end",
     THIN64,
     0,
     {{DYSYMTAB, 64, 4, 0x7f8}, {DYSYMTAB, 68, 4, 2}},
     -EBADMSG,
     DYSYMTAB,
     64,
     NULL},
    /* other commands */
    {"dylib name offset outside", THIN64, 0, {{DYLIB, 8, 4, 40}}, -EBADMSG, DYLIB, 8, NULL},
    {"dylib name not terminated", THIN64, 0, {{DYLIB, 24, FILL, 16}}, -EBADMSG, DYLIB, 24, NULL},
    {"second LC_UUID", THIN64, 0, {{BUILD, 0, 4, MX_LC_UUID}}, -EBADMSG, BUILD, 0, NULL},
    {"second LC_CODE_SIGNATURE",
     THIN64,
     0,
     {{SOURCE, 0, 4, MX_LC_CODE_SIGNATURE}, {SOURCE, 8, 4, CSOFF}, {SOURCE, 12, 4, 0x100}},
     -EBADMSG,
     CODESIG,
     0,
     NULL},
    {"code signature past end", THIN64, 0, {{CODESIG, 12, 4, 0x200}}, -EBADMSG, CODESIG, 8, NULL},
    {"build version tools past cmdsize", THIN64, 0, {{BUILD, 20, 4, 1}}, -EBADMSG, BUILD, 20, NULL},
    {"dyld info past end", THIN64, 0, {{DYLD_INFO, 16, 4, 0x7f0}}, -EBADMSG, DYLD_INFO, 16, NULL},
    /* bind stream: 3e 40 "_IOLog" 00 51 71 10 90 00 */
    {"bind LEB128 over 64 bits",
     THIN64,
     0,
     {{ABS, BINDOFF + 11, 8, UINT64_MAX},
      {ABS, BINDOFF + 19, 1, 0xff},
      {ABS, BINDOFF + 20, 1, 0x7f}},
     -EBADMSG,
     ABS,
     BINDOFF + 11,
     NULL},
    {"bind LEB128 truncated",
     THIN64,
     0,
     {{ABS, BINDOFF + 11, 8, UINT64_MAX},
      {ABS, BINDOFF + 19, 8, UINT64_MAX},
      {ABS, BINDOFF + 27, 4, UINT32_MAX}},
     -EBADMSG,
     ABS,
     BINDOFF + 11,
     NULL},
    {"bind opcode unknown",
     THIN64,
     0,
     {{ABS, BINDOFF + 12, 1, 0xe0}},
     -EBADMSG,
     ABS,
     BINDOFF + 12,
     NULL},
    {"bind segment missing",
     THIN64,
     0,
     {{ABS, BINDOFF + 10, 1, 0x75}},
     -EBADMSG,
     ABS,
     BINDOFF + 10,
     NULL},
    {"bind name not terminated",
     THIN64,
     0,
     {{ABS, BINDOFF + 2, FILL, 30}},
     -EBADMSG,
     ABS,
     BINDOFF + 2,
     NULL},
    /* chained fixups: header at 0x600, starts at +28, imports at +32 (format 1) */
    {"chained version", CHAINED1, 0, {{ABS, CHAINOFF, 4, 1}}, -EBADMSG, ABS, CHAINOFF, NULL},
    {"chained imports format",
     CHAINED1,
     0,
     {{ABS, CHAINOFF + 20, 4, 4}},
     -EBADMSG,
     ABS,
     CHAINOFF + 20,
     NULL},
    {"chained imports over the limit",
     CHAINED1,
     0,
     {{ABS, CHAINOFF + 16, 4, MX_MACHO_MAX_CHAINED_IMPORTS + 1}},
     -E2BIG,
     ABS,
     CHAINOFF + 16,
     NULL},
    {"chained imports past the data",
     CHAINED1,
     0,
     {{ABS, CHAINOFF + 16, 4, 100}},
     -EBADMSG,
     ABS,
     CHAINOFF + 8,
     NULL},
    {"chained name outside the pool",
     CHAINED1,
     0,
     {{ABS, CHAINOFF + 40, 4, 0xff | 0x7fffffu << 9}},
     -EBADMSG,
     ABS,
     CHAINOFF + 40,
     NULL},
    {"chained starts outside the data",
     CHAINED1,
     0,
     {{ABS, CHAINOFF + 4, 4, 5000}},
     -EBADMSG,
     ABS,
     CHAINOFF + 4,
     NULL},
    /* fat */
    {"fat little-endian magic", FAT, 0, {{ABS, 0, 4, 0xbebafeca}}, -ENOEXEC, ABS, 0, NULL},
    {"fat nfat_arch 0", FAT, 0, {{ABS, 4, 4, 0}}, -EBADMSG, ABS, 4, NULL},
    {"fat nfat_arch huge", FAT, 0, {{ABS, 4, 4, 0x01000000}}, -E2BIG, ABS, 4, NULL},
    {"fat nfat_arch one over the limit",
     FAT,
     0,
     {{ABS, 4, 4, MX_FAT_MAX_ARCHS + 1}},
     -E2BIG,
     ABS,
     4,
     NULL},
    {"java class file", FAT, 0, {{ABS, 4, 4, 0x00000034}}, -ENOEXEC, ABS, 4, NULL},
    {"fat64 nfat_arch 0x34", FAT64, 0, {{ABS, 4, 4, 0x34}}, -E2BIG, ABS, 4, NULL},
    {"fat entries truncated", FAT, 30, {{0}}, -EBADMSG, ABS, 28, NULL},
    {"fat slice past end", FAT, 0, {{ABS, 20, 4, 0x3000}}, -EBADMSG, ABS, 16, NULL},
    {"fat64 slice offset wraps",
     FAT64,
     0,
     {{ABS, 16, 8, UINT64_MAX - 0xfff}},
     -EBADMSG,
     ABS,
     16,
     NULL},
    {"fat slice over the header", FAT, 0, {{ABS, 16, 4, 0}}, -EBADMSG, ABS, 16, NULL},
    {"fat slice misaligned", FAT, 0, {{ABS, 36, 4, 0x2010}}, -EBADMSG, ABS, 36, NULL},
    {"fat alignment over the limit", FAT, 0, {{ABS, 24, 4, 16}}, -E2BIG, ABS, 24, NULL},
    {"fat64 alignment over the limit", FAT64, 0, {{ABS, 8 + 24, 4, 64}}, -E2BIG, ABS, 32, NULL},
    {"fat overlapping slices", FAT, 0, {{ABS, 36, 4, 0x1000}}, -EBADMSG, ABS, 36, NULL},
    {"fat duplicate arch",
     FAT,
     0,
     {{ABS, 28, 4, MX_CPU_TYPE_X86_64}, {ABS, 32, 4, 3}},
     -EBADMSG,
     ABS,
     28,
     NULL},
    {"fat cputype mismatch",
     FAT,
     0,
     {{ABS, 28, 4, MX_CPU_TYPE_X86}, {ABS, 32, 4, 3}},
     -EBADMSG,
     ABS,
     28,
     "slice i386: "},
    {"fat slice not mach-o", FAT, 0, {{ABS, 0x2000, 4, 0}}, -EBADMSG, ABS, 0x2000, "slice ppc: "},
    {"fault inside the second slice",
     FAT,
     0,
     {{PPC_SYMTAB, 8, 4, 0x7f0}},
     -EBADMSG,
     PPC_SYMTAB,
     8,
     "slice ppc: "},
    {"fault inside a fat64 slice",
     FAT64,
     0,
     {{PPC_SYMTAB, 4, 4, 0}},
     -EBADMSG,
     PPC_SYMTAB,
     4,
     "slice ppc: "},
};

static void build_base(struct img *m, enum base b)
{
	switch (b) {
	case THIN64:
		make_thin(m, true, false, 0);
		break;
	case THIN32BE:
		make_thin(m, false, true, 0);
		break;
	case CHAINED1:
		make_thin(m, true, false, 1);
		break;
	case FAT:
	case FAT64:
		make_two_slice_fat(m, b == FAT64);
		break;
	}
}

static void test_hostile(void **state)
{
	static struct img m;

	(void)state;
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		const struct hostile *h = &hostile[i];
		struct macext_macho *mo = (struct macext_macho *)&m; /* must be reset to NULL */
		struct macext_diag diag = {0};
		uint64_t want;
		int r;

		build_base(&m, h->base);
		for (size_t k = 0; k < 3 && h->patch[k].width; k++) {
			const struct patch *p = &h->patch[k];
			size_t at = (size_t)(anchor(&m, p->a) + p->delta);

			if (p->width == 1)
				w8(&m, at, (uint8_t)p->value);
			else if (p->width == 4)
				w32(&m, at, (uint32_t)p->value);
			else if (p->width == 8)
				w64(&m, at, p->value);
			else
				memset(m.b + at, 'a', (size_t)p->value);
		}
		if (h->len)
			m.len = h->len;
		want = anchor(&m, h->at) + h->at_delta;
		r = macext_macho_parse(&mo, m.b, m.len, 0, &diag);
		if (r != h->code || !diag.has_offset || diag.offset != want ||
		    (h->msg_prefix && strncmp(diag.msg, h->msg_prefix, strlen(h->msg_prefix))))
			print_error("case \"%s\": got %d at %llu (%s), want %d at %llu\n", h->name,
				    r, (unsigned long long)diag.offset, diag.msg, h->code,
				    (unsigned long long)want);
		assert_int_equal(r, h->code);
		assert_int_equal(diag.code, h->code);
		assert_true(diag.has_offset);
		assert_int_equal(diag.offset, want);
		assert_true(diag.offset <= m.len);
		assert_null(mo);
		if (h->msg_prefix)
			assert_int_equal(strncmp(diag.msg, h->msg_prefix, strlen(h->msg_prefix)),
					 0);
		/* the symbol-free parse still checks everything but the symbols */
		r = macext_macho_parse(&mo, m.b, m.len, MACEXT_MACHO_NO_SYMBOLS, &diag);
		if (r == 0)
			macext_macho_free(mo);
	}
}

/* ---- allocation failures, names, sniffing -------------------------------------------- */

static void test_alloc_failure(void **state)
{
	struct img sl[2], f;
	int failures = 0;

	(void)state;
	make_thin(&sl[0], true, false, 2);
	make_thin(&sl[1], false, true, 0);
	make_fat(&f, false, sl, 2);
	for (long n = 1;; n++) {
		struct macext_macho *mo = NULL;
		struct macext_diag diag = {0};
		int r;

		mx_alloc_fail_at(n);
		r = macext_macho_parse(&mo, f.b, f.len, 0, &diag);
		mx_alloc_fail_at(0);
		if (r == 0) {
			assert_int_equal(mo->nslices, 2);
			assert_int_equal(mo->slices[0].nimports, 4);
			macext_macho_free(mo);
			break;
		}
		assert_int_equal(r, -ENOMEM);
		assert_int_equal(diag.code, -ENOMEM);
		assert_null(mo);
		failures++;
		assert_true(n < 100);
	}
	/* the file, its slices array, 5 arrays per slice and a second slice: many steps */
	assert_true(failures >= 10);
}

static void test_names(void **state)
{
	static const struct {
		int32_t cputype, sub;
		const char *name, *llvm;
	} archs[] = {
	    {7, 3, "i386", "i386"},
	    {0x01000007, 3, "x86_64", "x86_64"},
	    {0x01000007, (int32_t)0x80000003, "x86_64", "x86_64"},
	    {0x01000007, 8, "x86_64h", "x86_64h"},
	    {0x0100000c, 0, "arm64", "arm64"},
	    {0x0100000c, 2, "arm64e", "arm64e"},
	    {0x0100000c, (int32_t)0xc0000002, "arm64e", "arm64e"},
	    {0x0100000c, (int32_t)0x80000002, "arm64e", "arm64e"},
	    {0x0200000c, 1, "arm64_32", "arm64_32"},
	    {18, 0, "ppc", "ppc"},
	    {18, 10, "ppc", ""},
	    {0x01000012, 0, "ppc64", "ppc64"},
	    {0x01000007, 77, "unknown", ""},
	    {42, 0, "unknown", ""},
	};
	char buf[16];

	(void)state;
	for (size_t i = 0; i < sizeof(archs) / sizeof(archs[0]); i++) {
		assert_string_equal(macext_arch_name(archs[i].cputype, archs[i].sub),
				    archs[i].name);
		assert_string_equal(macext_arch_llvm_name(archs[i].cputype, archs[i].sub),
				    archs[i].llvm);
	}
	assert_string_equal(macext_filetype_name(MACEXT_MH_OBJECT), "object");
	assert_string_equal(macext_filetype_name(MACEXT_MH_EXECUTE), "execute");
	assert_string_equal(macext_filetype_name(MACEXT_MH_DYLIB), "dylib");
	assert_string_equal(macext_filetype_name(MACEXT_MH_BUNDLE), "bundle");
	assert_string_equal(macext_filetype_name(MACEXT_MH_KEXT_BUNDLE), "kext-bundle");
	assert_string_equal(macext_filetype_name(MACEXT_MH_FILESET), "fileset");
	assert_string_equal(macext_filetype_name(0), "unknown");
	assert_string_equal(macext_filetype_name(13), "unknown");
	macext_packed_version_format(0x000b0000, buf);
	assert_string_equal(buf, "11.0");
	macext_packed_version_format(0x000a0f04, buf);
	assert_string_equal(buf, "10.15.4");
	macext_packed_version_format(0xffffffff, buf);
	assert_string_equal(buf, "65535.255.255");
}

static void test_sniff(void **state)
{
	static const uint8_t thin[] = {0xcf, 0xfa, 0xed, 0xfe};
	static const uint8_t ppc[] = {0xfe, 0xed, 0xfa, 0xce};
	static const uint8_t fat[] = {0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2};
	static const uint8_t java[] = {0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 0x34};
	static const uint8_t fat64[] = {0xca, 0xfe, 0xba, 0xbf, 0, 0, 0, 1};
	static const uint8_t elf[] = {0x7f, 'E', 'L', 'F'};

	(void)state;
	assert_true(macext_macho_sniff(thin, sizeof(thin)));
	assert_true(macext_macho_sniff(ppc, sizeof(ppc)));
	assert_true(macext_macho_sniff(fat, sizeof(fat)));
	assert_true(macext_macho_sniff(fat64, sizeof(fat64)));
	assert_false(macext_macho_sniff(java, sizeof(java)));
	assert_false(macext_macho_sniff(fat, 4));
	assert_false(macext_macho_sniff(elf, sizeof(elf)));
	assert_false(macext_macho_sniff(thin, 3));
	assert_false(macext_macho_sniff(NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_thin64_le),
	    cmocka_unit_test(test_thin32_be),
	    cmocka_unit_test(test_fat),
	    cmocka_unit_test(test_fat64),
	    cmocka_unit_test(test_chained_fixups),
	    cmocka_unit_test(test_fileset),
	    cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_alloc_failure),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_sniff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
