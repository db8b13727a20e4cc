#pragma once
/*
 * Code-signature SuperBlobs and the blobs inside them (codesign.md §2.2-2.3,
 * docs/formats/codesign.md). All integers are big-endian.
 */
#include <stddef.h>
#include <stdint.h>

#include "format/cs_limits.h"
#include "macext/diag.h"

#define MX_CSMAGIC_REQUIREMENT 0xfade0c00u
#define MX_CSMAGIC_REQUIREMENTS 0xfade0c01u
#define MX_CSMAGIC_CODEDIRECTORY 0xfade0c02u
#define MX_CSMAGIC_EMBEDDED_SIGNATURE 0xfade0cc0u
#define MX_CSMAGIC_EMBEDDED_SIGNATURE_OLD 0xfade0b02u
#define MX_CSMAGIC_DETACHED_SIGNATURE 0xfade0cc1u
#define MX_CSMAGIC_BLOBWRAPPER 0xfade0b01u
#define MX_CSMAGIC_ENTITLEMENTS 0xfade7171u
#define MX_CSMAGIC_DER_ENTITLEMENTS 0xfade7172u
#define MX_CSMAGIC_LAUNCH_CONSTRAINT 0xfade8181u

#define MX_CSSLOT_CODEDIRECTORY 0u
#define MX_CSSLOT_INFOSLOT 1u
#define MX_CSSLOT_REQUIREMENTS 2u
#define MX_CSSLOT_RESOURCEDIR 3u
#define MX_CSSLOT_APPLICATION 4u
#define MX_CSSLOT_ENTITLEMENTS 5u
#define MX_CSSLOT_DER_ENTITLEMENTS 7u
#define MX_CSSLOT_ALTERNATE_CD 0x1000u
#define MX_CSSLOT_ALTERNATE_CD_MAX 5u
#define MX_CSSLOT_SIGNATURE 0x10000u

/* One blob of a SuperBlob: the index type and the blob's bytes (magic and length included). */
struct mx_cs_blob {
	uint32_t type;
	uint32_t magic;
	const uint8_t *data;
	size_t len;
	uint64_t offset; /* file offset of data[0] */
};

struct mx_superblob {
	uint32_t magic;
	uint32_t length;
	size_t count;
	struct mx_cs_blob blobs[MX_CS_MAX_BLOBS];
};

/* Parses the SuperBlob at BUF (LEN bytes available; the SuperBlob may be shorter, e.g. an
 * embedded signature padded with zeros). MAGIC is the SuperBlob magic expected
 * (MX_CSMAGIC_EMBEDDED_SIGNATURE or MX_CSMAGIC_REQUIREMENTS). ORIGIN is the file offset of
 * BUF. Checks: the magic, length inside LEN, the index inside the header, every blob after
 * the index and inside the SuperBlob with a length of at least 8, no duplicate index types,
 * no two blobs overlapping, and in an embedded signature the magic each known slot must
 * carry. Returns 0, -ENOEXEC (another magic), -EBADMSG or -E2BIG (too many entries). */
int mx_superblob_parse(struct mx_superblob *ret, const uint8_t *buf, size_t len, uint64_t origin,
		       uint32_t magic, struct macext_diag *diag);
/* The blob of index type TYPE, or NULL. */
const struct mx_cs_blob *mx_superblob_find(const struct mx_superblob *sb, uint32_t type);
/* The conventional name of a blob magic ("CodeDirectory", ...) or "unknown". */
const char *mx_cs_magic_name(uint32_t magic);
