#pragma once
/*
 * CodeDirectory blobs (codesign.md §2.4-2.6, docs/formats/codesign.md).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/diag.h"

#define MX_CS_HASHTYPE_SHA1 1u
#define MX_CS_HASHTYPE_SHA256 2u
#define MX_CS_HASHTYPE_SHA256_TRUNCATED 3u
#define MX_CS_HASHTYPE_SHA384 4u
#define MX_CS_HASHTYPE_SHA512 5u

#define MX_CS_ADHOC 0x2u
#define MX_CS_CHECK_EXPIRATION 0x400u
#define MX_CS_RUNTIME 0x10000u
#define MX_CS_LINKER_SIGNED 0x20000u

#define MX_CD_VERSION_MIN 0x20001u
#define MX_CD_VERSION_MAX 0x2f000u /* Security's compatibilityLimit */
#define MX_CDHASH_LEN 20u

struct mx_codedir {
	const uint8_t *raw; /* the whole blob, `length` bytes */
	size_t len;
	uint64_t offset;    /* file offset of raw[0] */
	uint32_t version, flags, hash_offset, ident_offset, n_special, n_code, code_limit;
	uint8_t hash_size, hash_type, platform, page_size;
	uint32_t scatter_offset, team_offset, runtime, pre_encrypt_offset;
	uint64_t code_limit64, exec_seg_base, exec_seg_limit, exec_seg_flags;
	const char *ident;  /* NUL-terminated inside the blob */
	const char *team;   /* NULL when absent */
};

/* Parses the CodeDirectory at BUF (LEN bytes available, ORIGIN its file offset). Fields are
 * read only when the version has them; hash arrays may sit at unaligned offsets (they are
 * only ever read byte-wise). Returns 0, -EBADMSG (bad magic, truncated, offsets outside the
 * blob, hash size not matching the type, a scatter vector, an unsupported version) or
 * -ENOTSUP (an unknown hash type). */
int mx_codedir_parse(struct mx_codedir *ret, const uint8_t *buf, size_t len, uint64_t origin,
		     struct macext_diag *diag);
/* Bytes of the slice the CD covers (codeLimit64 when set). */
uint64_t mx_codedir_limit(const struct mx_codedir *cd);
/* The hash stored for special slot SLOT (1..n_special) or code slot I. */
const uint8_t *mx_codedir_special_hash(const struct mx_codedir *cd, uint32_t slot);
const uint8_t *mx_codedir_code_hash(const struct mx_codedir *cd, uint32_t i);
/* The digest size of a hash type (0 if unknown), its name ("sha256"), and its strength rank
 * for choosing the best CD (higher is stronger; 0 if unknown; codesign.md §2.5). */
unsigned mx_cs_hash_size(uint32_t type);
const char *mx_cs_hash_name(uint32_t type);
unsigned mx_cs_hash_rank(uint32_t type);
