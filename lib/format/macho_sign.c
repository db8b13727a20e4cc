/*
 * lib/format/macho_sign.c: the Mach-O edits an embedded signature needs (codesign.md §2.1,
 * fixtures.md §1.4, §1.8) and the fat-file writer (codesign.md §1.2, fixtures.md §1.5).
 *
 * A signed 64-bit slice looks like this afterwards:
 *   header          ncmds + 1 and sizeofcmds + 16 when LC_CODE_SIGNATURE was added
 *   load commands   ..., LC_CODE_SIGNATURE { 0x1d, 16, dataoff, datasize }
 *   (room)          the new command takes 16 of the zero bytes before the first section
 *   code            unchanged bytes up to dataoff (= codeLimit, aligned to 16, zero-filled)
 *   signature       datasize bytes: the SuperBlob, then zeros
 * __LINKEDIT must be the last segment in the file; its filesize grows to end at
 * dataoff + datasize and its vmsize is rounded up to the page size. An existing
 * LC_CODE_SIGNATURE is reused and its old signature dropped (dataoff stays). Checks: the
 * header, every cmdsize (>= 8, inside sizeofcmds), segments inside the file, exactly one
 * __LINKEDIT, at most one LC_CODE_SIGNATURE, and that the room for a new command is free
 * (below every section and segment that holds file bytes, and all zero).
 */
#include "format/cs_write.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format/macho_internal.h"
#include "util/alloc.h"
#include "util/checked.h"
#include "util/diag.h"
#include "util/endian.h"

#define LC_CS_SIZE 16u
#define SEG64_SIZE 72u
#define SECT64_SIZE 80u

struct scan {
	uint32_t ncmds, sizeofcmds;
	uint64_t linkedit_cmd, cs_cmd; /* offsets of the commands; 0 = none */
	uint64_t text_filesize;
	uint64_t first_data;           /* lowest file offset of section or segment bytes */
};

static int scan_segment(struct scan *sc, const uint8_t *p, size_t len, uint64_t off,
			uint32_t cmdsize, uint64_t file_off, struct macext_diag *diag)
{
	uint64_t fileoff = mx_load_le64(p + off + 40), filesize = mx_load_le64(p + off + 48);
	uint32_t nsects = mx_load_le32(p + off + 64);

	if (cmdsize < SEG64_SIZE || (uint64_t)nsects * SECT64_SIZE > cmdsize - SEG64_SIZE)
		return mx_diag_fail_at(diag, file_off + off, -EBADMSG,
				       "LC_SEGMENT_64: %u sections do not fit cmdsize %u", nsects,
				       cmdsize);
	if (!mx_range_ok(fileoff, filesize, len))
		return mx_diag_fail_at(diag, file_off + off, -EBADMSG,
				       "segment %.16s: file range outside the slice", p + off + 8);
	if (!strncmp((const char *)p + off + 8, "__LINKEDIT", 16)) {
		if (sc->linkedit_cmd)
			return mx_diag_fail_at(diag, file_off + off, -EBADMSG,
					       "two __LINKEDIT segments");
		sc->linkedit_cmd = off;
	}
	if (!strncmp((const char *)p + off + 8, "__TEXT", 16))
		sc->text_filesize = filesize;
	if (filesize && fileoff && fileoff < sc->first_data)
		sc->first_data = fileoff;
	for (uint32_t i = 0; i < nsects; i++) {
		uint32_t so = mx_load_le32(p + off + SEG64_SIZE + (uint64_t)i * SECT64_SIZE + 48);

		if (so && so < sc->first_data)
			sc->first_data = so;
	}
	return 0;
}

static int scan(struct scan *sc, const uint8_t *p, size_t len, uint64_t file_off,
		struct macext_diag *diag)
{
	uint64_t off = MX_MACH_HEADER64_SIZE, end;

	sc->ncmds = mx_load_le32(p + 16);
	sc->sizeofcmds = mx_load_le32(p + 20);
	sc->first_data = len;
	end = MX_MACH_HEADER64_SIZE + (uint64_t)sc->sizeofcmds;
	if (end > len)
		return mx_diag_fail_at(diag, file_off + 20, -EBADMSG,
				       "sizeofcmds %u runs past the slice", sc->sizeofcmds);
	for (uint32_t i = 0; i < sc->ncmds; i++) {
		uint32_t cmd, cmdsize;
		int r;

		if (off + 8 > end)
			return mx_diag_fail_at(diag, file_off + off, -EBADMSG,
					       "load command %u: past sizeofcmds", i);
		cmd = mx_load_le32(p + off);
		cmdsize = mx_load_le32(p + off + 4);
		if (cmdsize < 8 || cmdsize > end - off)
			return mx_diag_fail_at(diag, file_off + off, -EBADMSG,
					       "load command %u: bad cmdsize %u", i, cmdsize);
		if (cmd == MX_LC_SEGMENT_64) {
			r = scan_segment(sc, p, len, off, cmdsize, file_off, diag);
			if (r < 0)
				return r;
		} else if (cmd == MX_LC_CODE_SIGNATURE) {
			if (sc->cs_cmd)
				return mx_diag_fail_at(diag, file_off + off, -EBADMSG,
						       "more than one LC_CODE_SIGNATURE");
			if (cmdsize != LC_CS_SIZE)
				return mx_diag_fail_at(diag, file_off + off, -EBADMSG,
						       "LC_CODE_SIGNATURE: cmdsize %u", cmdsize);
			sc->cs_cmd = off;
		}
		off += cmdsize;
	}
	if (!sc->linkedit_cmd)
		return mx_diag_fail_at(diag, file_off, -EBADMSG,
				       "no __LINKEDIT segment to hold a signature");
	return 0;
}

/* Where the signature starts: the old one's offset, else the slice end aligned to 16. */
static int sig_start(const struct scan *sc, const uint8_t *p, size_t len, uint64_t file_off,
		     uint64_t *ret, struct macext_diag *diag)
{
	uint64_t le = sc->linkedit_cmd;
	uint64_t le_end = mx_load_le64(p + le + 40) + mx_load_le64(p + le + 48);
	uint64_t start;

	if (le_end != len && !(sc->cs_cmd && le_end >= mx_load_le32(p + sc->cs_cmd + 8)))
		return mx_diag_fail_at(diag, file_off + le, -EBADMSG,
				       "__LINKEDIT ends at %llu, not at the end of the slice (%zu)",
				       (unsigned long long)le_end, len);
	if (sc->cs_cmd) {
		start = mx_load_le32(p + sc->cs_cmd + 8);
		if (start > len || start < mx_load_le64(p + le + 40))
			return mx_diag_fail_at(diag, file_off + sc->cs_cmd + 8, -EBADMSG,
					       "LC_CODE_SIGNATURE dataoff %llu outside __LINKEDIT",
					       (unsigned long long)start);
	} else if (!mx_align_up(len, 16, &start)) {
		return -E2BIG;
	}
	*ret = start;
	return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

int mx_macho_sign_layout(struct mx_sign_layout *ret, const uint8_t *p, size_t len,
			 uint64_t file_off, uint32_t sig_size, struct macext_diag *diag)
{
	struct scan sc = {0};
	uint64_t start = 0, total, le, filesize, vmsize, page;
	uint8_t *b;
	int r;

	if (len < MX_MACH_HEADER64_SIZE || mx_load_le32(p) != MX_MH_MAGIC_64)
		return mx_diag_fail_at(diag, file_off, -ENOEXEC,
				       "only 64-bit little-endian Mach-O slices can be signed");
	r = scan(&sc, p, len, file_off, diag);
	if (r == 0)
		r = sig_start(&sc, p, len, file_off, &start, diag);
	if (r < 0)
		return r;
	if (!sc.cs_cmd) {
		uint64_t at = MX_MACH_HEADER64_SIZE + (uint64_t)sc.sizeofcmds;

		if (at + LC_CS_SIZE > sc.first_data || !all_zero(p + at, LC_CS_SIZE))
			return mx_diag_fail_at(diag, file_off + at, -ENOSPC,
					       "no room for LC_CODE_SIGNATURE after the load "
					       "commands (%llu bytes free; relink with -headerpad)",
					       (unsigned long long)(sc.first_data > at
									    ? sc.first_data - at
									    : 0));
	}
	if (!mx_add_u64(start, sig_size, &total) || total > UINT32_MAX)
		return mx_diag_fail_at(diag, file_off, -E2BIG, "a signed slice over 4 GiB");
	b = mx_calloc(1, (size_t)total);
	if (!b)
		return -ENOMEM;
	memcpy(b, p, (size_t)(start < len ? start : len));
	if (!sc.cs_cmd) {
		sc.cs_cmd = MX_MACH_HEADER64_SIZE + (uint64_t)sc.sizeofcmds;
		mx_store_le32(b + 16, sc.ncmds + 1);
		mx_store_le32(b + 20, sc.sizeofcmds + LC_CS_SIZE);
		mx_store_le32(b + sc.cs_cmd, MX_LC_CODE_SIGNATURE);
		mx_store_le32(b + sc.cs_cmd + 4, LC_CS_SIZE);
	}
	mx_store_le32(b + sc.cs_cmd + 8, (uint32_t)start);
	mx_store_le32(b + sc.cs_cmd + 12, sig_size);
	le = sc.linkedit_cmd;
	filesize = total - mx_load_le64(b + le + 40);
	page = (mx_load_le32(b + 4) & 0xffffff) == 12 ? 0x4000 : 0x1000; /* CPU_TYPE_ARM */
	if (!mx_align_up(filesize, page, &vmsize)) {
		free(b);
		return -E2BIG;
	}
	if (vmsize < mx_load_le64(b + le + 32))
		vmsize = mx_load_le64(b + le + 32);
	mx_store_le64(b + le + 48, filesize);
	mx_store_le64(b + le + 32, vmsize);
	*ret = (struct mx_sign_layout){.data = b, .len = (size_t)total, .sig_off = (uint32_t)start,
				       .text_filesize = sc.text_filesize,
				       .filetype = mx_load_le32(p + 12),
				       .cputype = (int32_t)mx_load_le32(p + 4),
				       .cpusubtype = (int32_t)mx_load_le32(p + 8)};
	return 0;
}

int mx_fat_write(uint8_t **ret, size_t *ret_len, const struct mx_fat_in *s, size_t n)
{
	uint64_t off = MX_FAT_HEADER_SIZE + (uint64_t)n * MX_FAT_ARCH_SIZE, offs[64];
	uint8_t *b;

	if (n == 0 || n > 64)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		if (s[i].align > 15 || !mx_align_up(off, (uint64_t)1 << s[i].align, &offs[i]) ||
		    !mx_add_u64(offs[i], s[i].len, &off) || off > UINT32_MAX)
			return -E2BIG;
	}
	b = mx_calloc(1, (size_t)off);
	if (!b)
		return -ENOMEM;
	mx_store_be32(b, MX_FAT_MAGIC);
	mx_store_be32(b + 4, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = b + MX_FAT_HEADER_SIZE + i * MX_FAT_ARCH_SIZE;

		mx_store_be32(e, (uint32_t)s[i].cputype);
		mx_store_be32(e + 4, (uint32_t)s[i].cpusubtype);
		mx_store_be32(e + 8, (uint32_t)offs[i]);
		mx_store_be32(e + 12, (uint32_t)s[i].len);
		mx_store_be32(e + 16, s[i].align);
		memcpy(b + offs[i], s[i].data, s[i].len);
	}
	*ret = b;
	*ret_len = (size_t)off;
	return 0;
}
