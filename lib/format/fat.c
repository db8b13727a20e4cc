/*
 * lib/format/fat.c: the file level of the Mach-O reader. Decides what the buffer is (a thin
 * image in one of four magics, a fat or fat64 file, or neither), checks the fat header
 * against the rules of codesign.md §1.2, and hands each slice to mx_macho_parse_slice().
 *
 * Fat header facts (always big-endian): magic u32, nfat_arch u32, then nfat_arch entries of
 * 20 bytes (fat_arch: cputype, cpusubtype, offset, size, align) or 32 bytes (fat_arch_64:
 * cputype, cpusubtype, offset u64, size u64, align, reserved). We reject: no entries, more
 * than MX_FAT_MAX_ARCHS, a slice outside the file or over the header, a slice not aligned
 * to its own 2^align, overlapping slices, two entries for one architecture, and an entry
 * whose cputype/subtype disagrees with the slice's own header (a checker and a loader
 * could otherwise pick different slices). A 0xcafebabe file whose count looks like a Java
 * class version is -ENOEXEC, not a broken fat file (codesign.md §1.1).
 *
 * Diagnostics name file offsets; a fault inside a slice of a fat file is prefixed
 * "slice <arch>".
 */
#include <errno.h>
#include <string.h>

#include "format/limits.h"
#include "format/macho_internal.h"
#include "util/alloc.h"
#include "util/checked.h"
#include "util/diag.h"
#include "util/reader.h"

static bool is_thin_magic(uint32_t be)
{
	return be == MX_MH_MAGIC || be == MX_MH_MAGIC_64 || be == 0xcefaedfeu || be == 0xcffaedfeu;
}

/* A Java class file: magic 0xcafebabe, then u16 minor and u16 major version, major >= 45
 * (JDK 1.0.2) and, for decades to come, below 256. */
static bool looks_like_java(uint32_t nfat_arch)
{
	uint32_t major = nfat_arch & 0xffffu;

	return major >= 45 && major < 256;
}

bool macext_macho_sniff(const void *buf, size_t len)
{
	struct mx_reader rd;
	uint32_t magic, n;

	mx_rd_init(&rd, buf, len, 0);
	if (mx_rd_u32be(&rd, &magic) < 0)
		return false;
	if (is_thin_magic(magic) || magic == MX_FAT_MAGIC_64)
		return true;
	if (magic != MX_FAT_MAGIC || mx_rd_u32be(&rd, &n) < 0)
		return false;
	return n > 0 && n <= MX_FAT_MAX_ARCHS;
}

void mx_macho_slice_reader(const struct macext_slice *s, const void *buf, struct mx_reader *ret)
{
	mx_rd_init(ret, (const uint8_t *)buf + s->offset, (size_t)s->size, s->offset);
}

struct fat_entry {
	int32_t cputype, cpusubtype;
	uint64_t offset, size;
	uint32_t align;
	uint64_t at;	   /* file offset of the entry */
	uint64_t align_at; /* file offset of its align field */
};

static int read_fat_entry(struct mx_reader *rd, bool is64, struct fat_entry *e)
{
	uint32_t ct, cst, off32 = 0, size32 = 0, reserved;
	int r;

	e->at = mx_rd_offset(rd);
	r = mx_rd_u32be(rd, &ct);
	if (r == 0)
		r = mx_rd_u32be(rd, &cst);
	if (r < 0)
		return r;
	e->cputype = (int32_t)ct;
	e->cpusubtype = (int32_t)cst;
	if (is64) {
		r = mx_rd_u64be(rd, &e->offset);
		if (r == 0)
			r = mx_rd_u64be(rd, &e->size);
		e->align_at = e->at + 24;
		if (r == 0)
			r = mx_rd_u32be(rd, &e->align);
		if (r == 0)
			r = mx_rd_u32be(rd, &reserved);
		return r;
	}
	r = mx_rd_u32be(rd, &off32);
	if (r == 0)
		r = mx_rd_u32be(rd, &size32);
	e->align_at = e->at + 16;
	if (r == 0)
		r = mx_rd_u32be(rd, &e->align);
	e->offset = off32;
	e->size = size32;
	return r;
}

static bool same_arch(int32_t ct1, int32_t st1, int32_t ct2, int32_t st2)
{
	return ct1 == ct2 &&
	       ((uint32_t)st1 & ~MX_CPU_SUBTYPE_MASK) == ((uint32_t)st2 & ~MX_CPU_SUBTYPE_MASK);
}

/* Checks entry I against the file and the entries before it. */
static int check_fat_entry(const struct fat_entry *es, size_t i, uint64_t hdr_end, size_t len,
			   struct macext_diag *diag)
{
	const struct fat_entry *e = &es[i];
	const char *name = macext_arch_name(e->cputype, e->cpusubtype);

	if (e->align > MX_FAT_MAX_ALIGN)
		return mx_diag_fail_at(diag, e->align_at, -E2BIG,
				       "fat arch %zu (%s): alignment 2^%u over the limit 2^%u", i,
				       name, e->align, MX_FAT_MAX_ALIGN);
	if (!mx_range_ok(e->offset, e->size, len))
		return mx_diag_fail_at(diag, e->at + 8, -EBADMSG,
				       "fat arch %zu (%s): slice [%llu, +%llu) outside the file "
				       "(%zu bytes)",
				       i, name, (unsigned long long)e->offset,
				       (unsigned long long)e->size, len);
	if (e->offset < hdr_end)
		return mx_diag_fail_at(diag, e->at + 8, -EBADMSG,
				       "fat arch %zu (%s): slice at %llu overlaps the fat header",
				       i, name, (unsigned long long)e->offset);
	if ((e->offset & ((UINT64_C(1) << e->align) - 1)) != 0)
		return mx_diag_fail_at(diag, e->at + 8, -EBADMSG,
				       "fat arch %zu (%s): slice offset %llu not aligned to 2^%u",
				       i, name, (unsigned long long)e->offset, e->align);
	for (size_t j = 0; j < i; j++) {
		if (same_arch(es[j].cputype, es[j].cpusubtype, e->cputype, e->cpusubtype))
			return mx_diag_fail_at(
			    diag, e->at, -EBADMSG,
			    "fat arch %zu (%s): same architecture as fat arch %zu", i, name, j);
		if (mx_ranges_overlap(es[j].offset, es[j].size, e->offset, e->size))
			return mx_diag_fail_at(diag, e->at + 8, -EBADMSG,
					       "fat arch %zu (%s): slice overlaps fat arch %zu", i,
					       name, j);
	}
	return 0;
}

/* The slice's own cputype and cpusubtype must match its fat entry. */
static int check_slice_matches(const struct fat_entry *e, size_t i, const struct macext_slice *s,
			       struct macext_diag *diag)
{
	if (same_arch(e->cputype, e->cpusubtype, s->cputype, s->cpusubtype))
		return 0;
	return mx_diag_fail_at(diag, e->at, -EBADMSG,
			       "fat arch %zu: entry says %s (0x%x/0x%x) but the slice is %s "
			       "(0x%x/0x%x)",
			       i, macext_arch_name(e->cputype, e->cpusubtype), (unsigned)e->cputype,
			       (unsigned)e->cpusubtype, s->arch, (unsigned)s->cputype,
			       (unsigned)s->cpusubtype);
}

static int parse_fat(struct macext_macho *m, const uint8_t *buf, size_t len, bool is64,
		     unsigned flags, struct macext_diag *diag)
{
	struct fat_entry es[MX_FAT_MAX_ARCHS];
	struct mx_reader rd;
	uint32_t magic, n, entsize = is64 ? MX_FAT_ARCH64_SIZE : MX_FAT_ARCH_SIZE;
	uint64_t hdr_end;
	int r;

	mx_rd_init(&rd, buf, len, 0);
	(void)mx_rd_u32be(&rd, &magic);
	if (mx_rd_u32be(&rd, &n) < 0)
		return mx_diag_fail(diag, &rd, -EBADMSG, "fat header: truncated");
	if (n == 0)
		return mx_diag_fail_at(diag, 4, -EBADMSG, "fat header: no architectures");
	if (n > MX_FAT_MAX_ARCHS) {
		if (!is64 && looks_like_java(n))
			return mx_diag_fail_at(diag, 4, -ENOEXEC,
					       "not a mach-o file (a java class file, version "
					       "%u.%u)",
					       n & 0xffffu, n >> 16);
		return mx_diag_fail_at(diag, 4, -E2BIG,
				       "fat header: %u architectures, over the limit %u", n,
				       MX_FAT_MAX_ARCHS);
	}
	hdr_end = MX_FAT_HEADER_SIZE + (uint64_t)n * entsize;
	for (uint32_t i = 0; i < n; i++) {
		if (read_fat_entry(&rd, is64, &es[i]) < 0)
			return mx_diag_fail(diag, &rd, -EBADMSG, "fat arch %u: truncated", i);
	}
	for (uint32_t i = 0; i < n; i++) {
		r = check_fat_entry(es, i, hdr_end, len, diag);
		if (r < 0)
			return r;
	}

	m->fat = true;
	m->fat64 = is64;
	m->slices = mx_calloc(n, sizeof(*m->slices));
	if (!m->slices)
		return mx_diag_fail_nopos(diag, -ENOMEM, "fat file: out of memory");
	for (uint32_t i = 0; i < n; i++) {
		struct macext_slice *s = &m->slices[i];

		m->nslices = i + 1;
		r = mx_macho_parse_slice(s, buf, es[i].offset, es[i].size, flags, diag);
		if (r == 0)
			r = check_slice_matches(&es[i], i, s, diag);
		if (r < 0) {
			const char *name = macext_arch_name(es[i].cputype, es[i].cpusubtype);

			if (strcmp(name, "unknown") == 0)
				mx_diag_prefix(diag, "slice %u", i);
			else
				mx_diag_prefix(diag, "slice %s", name);
			return r;
		}
		s->align = es[i].align;
	}
	return 0;
}

int macext_macho_parse(struct macext_macho **ret, const void *buf, size_t len, unsigned flags,
		       struct macext_diag *diag)
{
	struct macext_macho *m;
	struct mx_reader rd;
	uint32_t magic;
	int r;

	*ret = NULL;
	mx_rd_init(&rd, buf, len, 0);
	if (mx_rd_u32be(&rd, &magic) < 0)
		return mx_diag_fail_at(diag, 0, -ENOEXEC, "not a mach-o file (%zu bytes)", len);
	if (!is_thin_magic(magic) && magic != MX_FAT_MAGIC && magic != MX_FAT_MAGIC_64)
		return mx_diag_fail_at(diag, 0, -ENOEXEC, "not a mach-o file (magic 0x%08x)",
				       magic);

	m = mx_calloc(1, sizeof(*m));
	if (!m)
		return mx_diag_fail_nopos(diag, -ENOMEM, "mach-o: out of memory");
	m->size = len;
	if (magic == MX_FAT_MAGIC || magic == MX_FAT_MAGIC_64) {
		r = parse_fat(m, buf, len, magic == MX_FAT_MAGIC_64, flags, diag);
	} else {
		m->slices = mx_calloc(1, sizeof(*m->slices));
		if (!m->slices) {
			r = mx_diag_fail_nopos(diag, -ENOMEM, "mach-o: out of memory");
		} else {
			m->nslices = 1;
			r = mx_macho_parse_slice(&m->slices[0], buf, 0, len, flags, diag);
		}
	}
	if (r < 0) {
		macext_macho_free(m);
		return r;
	}
	*ret = m;
	return 0;
}

void macext_macho_free(struct macext_macho *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nslices; i++)
		mx_macho_slice_clear(&m->slices[i]);
	mx_free(m->slices);
	mx_free(m);
}

const struct macext_slice *macext_macho_find_slice(const struct macext_macho *m, const char *arch)
{
	if (!m || !arch)
		return NULL;
	for (size_t i = 0; i < m->nslices; i++) {
		if (strcmp(m->slices[i].arch, arch) == 0)
			return &m->slices[i];
	}
	return NULL;
}
