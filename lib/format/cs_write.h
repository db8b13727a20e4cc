#pragma once
/*
 * Writers for code signatures (codesign.md §2, fixtures.md §1.8): CodeDirectory
 * (codedir_write.c), requirement sets (requirement_write.c), SuperBlobs and blob wrappers
 * (superblob_write.c), and the Mach-O edits that make room for an embedded signature plus
 * the fat-file rebuild (macho_sign.c). They are pure: bytes in, bytes out; lib/trust/cs_sign.c
 * reads the files, makes the CMS and writes the results.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/diag.h"

/* Special slots a written CodeDirectory carries: 1 Info.plist, 2 requirements, 3
 * CodeResources (fixtures.md §1.8). */
#define MX_CD_WRITE_SPECIAL 3u
/* The CodeDirectory version written: execSeg fields, no runtime (codesign.md §2.4). */
#define MX_CD_WRITE_VERSION 0x20400u
#define MX_CD_WRITE_HEADER 88u
/* log2 of the page size hashed: 4 KiB, as every fixture (codesign.md §2.5). */
#define MX_CD_WRITE_PAGE_SHIFT 12u
/* execSegFlags bit for a main executable (codesign.md §2.6). */
#define MX_CS_EXECSEG_MAIN_BINARY 0x1u

struct mx_cd_spec {
	const char *ident;      /* identifier, NUL-terminated */
	const char *team;       /* Team ID, or NULL (ad-hoc) */
	uint32_t flags;         /* 0, or 0x2 for ad-hoc */
	uint32_t hash_type;     /* MX_CS_HASHTYPE_SHA256 or _SHA384 */
	const uint8_t *code;    /* the bytes covered: [0, code_limit) */
	uint64_t code_limit;
	/* Special slots 1..MX_CD_WRITE_SPECIAL: the component bytes, NULL = absent (zero hash). */
	const uint8_t *special[MX_CD_WRITE_SPECIAL];
	size_t special_len[MX_CD_WRITE_SPECIAL];
	uint64_t exec_seg_base, exec_seg_limit, exec_seg_flags;
};

/* Bytes mx_codedir_write() will produce for SPEC (it needs only ident, team, hash_type and
 * code_limit), or 0 when they are out of range (an identifier over MX_CS_MAX_IDENT, more
 * code slots than MX_CS_MAX_CODE_SLOTS, an unknown hash type). */
size_t mx_codedir_size(const struct mx_cd_spec *spec);
/* Writes the CodeDirectory for SPEC into OUT (SIZE bytes, exactly mx_codedir_size()).
 * Returns 0, -EINVAL (SIZE differs, a bad spec) or -ENOMEM (a digest failed). */
int mx_codedir_write(const struct mx_cd_spec *spec, uint8_t *out, size_t size);

/* A requirement set (0xfade0c01) holding codesign's default designated requirement for a
 * Developer ID identity (codesign.md §3.6 form 1, right-nested ands):
 *   identifier IDENT and anchor apple generic and certificate 1[field.1.2.840.113635.100.6.2.6]
 *   and certificate leaf[field.1.2.840.113635.100.6.1.13] and certificate leaf[subject.OU] = TEAM
 * With TEAM NULL the set is empty (12 bytes, ad-hoc). *RET is the caller's (free()).
 * Returns 0, -EINVAL (an over-long string), -ENOMEM. */
int mx_requirements_write(uint8_t **ret, size_t *ret_len, const char *ident, const char *team);

struct mx_blob_in {
	uint32_t type;          /* index type (slot) */
	const uint8_t *data;    /* the whole blob, its own magic and length included */
	size_t len;
};
/* Bytes of a SuperBlob over N blobs of the given lengths. */
size_t mx_superblob_size(const struct mx_blob_in *blobs, size_t n);
/* Writes SuperBlob MAGIC with BLOBS (in the order given) into OUT (SIZE >= the size).
 * Returns the bytes written, or -EINVAL (too small, over 4 GiB, too many blobs). */
long mx_superblob_write(uint8_t *out, size_t size, uint32_t magic, const struct mx_blob_in *blobs,
			size_t n);
/* A blob MAGIC wrapping LEN payload bytes (e.g. the CMS in 0xfade0b01); *RET is the
 * caller's. Returns 0, -EINVAL (over 4 GiB), -ENOMEM. */
int mx_blob_wrap(uint8_t **ret, size_t *ret_len, uint32_t magic, const uint8_t *p, size_t len);

/* A thin 64-bit Mach-O slice laid out for an embedded signature of SIG_SIZE bytes. */
struct mx_sign_layout {
	uint8_t *data;          /* the edited slice, sig_off + sig_size bytes, signature zeroed */
	size_t len;
	uint32_t sig_off;       /* = codeLimit: where the SuperBlob goes */
	uint64_t text_filesize; /* __TEXT filesize (execSegLimit) */
	uint32_t filetype;
	int32_t cputype, cpusubtype;
};
/* Copies the slice SLICE (LEN bytes, FILE_OFF its offset in the file for diagnostics) and
 * edits the copy: LC_CODE_SIGNATURE added in the room after the load commands (or the
 * existing one reused and its old signature dropped), dataoff aligned to 16 at the end of
 * the code, datasize SIG_SIZE, __LINKEDIT filesize grown to cover it and vmsize rounded up
 * to the page size (16 KiB for arm64, else 4 KiB). Returns 0, -ENOEXEC (not a 64-bit
 * little-endian Mach-O), -EBADMSG (inconsistent load commands, no __LINKEDIT, __LINKEDIT not
 * last, two LC_CODE_SIGNATUREs), -ENOSPC (no room after the load commands: relink with
 * -headerpad), -E2BIG (over 4 GiB), -ENOMEM. RET->data is the caller's (free()). */
int mx_macho_sign_layout(struct mx_sign_layout *ret, const uint8_t *slice, size_t len,
			 uint64_t file_off, uint32_t sig_size, struct macext_diag *diag);

struct mx_fat_in {
	int32_t cputype, cpusubtype;
	uint32_t align;         /* log2 */
	const uint8_t *data;
	size_t len;
};
/* A fat file (32-bit fat header, big-endian) holding SLICES in order, each at an offset
 * aligned to 1 << align. *RET is the caller's. Returns 0, -E2BIG (offsets over 4 GiB or an
 * alignment over 2^15), -ENOMEM. */
int mx_fat_write(uint8_t **ret, size_t *ret_len, const struct mx_fat_in *slices, size_t n);
