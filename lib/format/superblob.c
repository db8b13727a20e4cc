/*
 * lib/format/superblob.c: the SuperBlob of an embedded code signature (codesign.md §2.2).
 *
 *   0   magic   u32 BE  0xfade0cc0 (embedded signature) or 0xfade0c01 (requirements set)
 *   4   length  u32 BE  the whole SuperBlob
 *   8   count   u32 BE  index entries
 *   12  index   count x { type u32, offset u32 }   offset from the SuperBlob start
 *   ..  blobs   each { magic u32, length u32, data }
 *
 * The index is untrusted: entries may point into the header, past the end, at each other or
 * overlap; two entries may claim the same slot so that two readers pick different blobs
 * (codesign.md §6 #10). All of that is rejected here, so every consumer sees one blob per
 * slot, each wholly inside the SuperBlob.
 */
#include "format/superblob.h"

#include <errno.h>
#include <string.h>

#include "util/checked.h"
#include "util/diag.h"
#include "util/endian.h"
#include "util/reader.h"

const char *mx_cs_magic_name(uint32_t magic)
{
	switch (magic) {
	case MX_CSMAGIC_REQUIREMENT:
		return "Requirement";
	case MX_CSMAGIC_REQUIREMENTS:
		return "Requirements";
	case MX_CSMAGIC_CODEDIRECTORY:
		return "CodeDirectory";
	case MX_CSMAGIC_EMBEDDED_SIGNATURE:
		return "EmbeddedSignature";
	case MX_CSMAGIC_EMBEDDED_SIGNATURE_OLD:
		return "EmbeddedSignatureOld";
	case MX_CSMAGIC_DETACHED_SIGNATURE:
		return "DetachedSignature";
	case MX_CSMAGIC_BLOBWRAPPER:
		return "BlobWrapper";
	case MX_CSMAGIC_ENTITLEMENTS:
		return "Entitlements";
	case MX_CSMAGIC_DER_ENTITLEMENTS:
		return "EntitlementsDER";
	case MX_CSMAGIC_LAUNCH_CONSTRAINT:
		return "LaunchConstraint";
	default:
		return "unknown";
	}
}

/* The magic a known slot of an embedded signature must carry, or 0 for "any". */
static uint32_t slot_magic(uint32_t type)
{
	if (type == MX_CSSLOT_CODEDIRECTORY ||
	    (type >= MX_CSSLOT_ALTERNATE_CD &&
	     type < MX_CSSLOT_ALTERNATE_CD + MX_CSSLOT_ALTERNATE_CD_MAX))
		return MX_CSMAGIC_CODEDIRECTORY;
	switch (type) {
	case MX_CSSLOT_REQUIREMENTS:
		return MX_CSMAGIC_REQUIREMENTS;
	case MX_CSSLOT_ENTITLEMENTS:
		return MX_CSMAGIC_ENTITLEMENTS;
	case MX_CSSLOT_DER_ENTITLEMENTS:
		return MX_CSMAGIC_DER_ENTITLEMENTS;
	case MX_CSSLOT_SIGNATURE:
		return MX_CSMAGIC_BLOBWRAPPER;
	default:
		return 0;
	}
}

static int read_entry(struct mx_superblob *sb, size_t i, const uint8_t *buf, uint64_t origin,
		      uint64_t index_end, struct macext_diag *diag)
{
	const uint8_t *e = buf + 12 + 8 * i;
	uint64_t eoff = origin + 12 + 8 * i;
	uint32_t type = mx_load_be32(e), off = mx_load_be32(e + 4), magic, blen, want;

	if (off < index_end)
		return mx_diag_fail_at(diag, eoff, -EBADMSG,
				       "superblob: entry %zu (type 0x%x): offset %u inside the header",
				       i, type, off);
	if (!mx_range_ok(off, 8, sb->length))
		return mx_diag_fail_at(diag, eoff, -EBADMSG,
				       "superblob: entry %zu (type 0x%x): offset %u past the end (%u)",
				       i, type, off, sb->length);
	magic = mx_load_be32(buf + off);
	blen = mx_load_be32(buf + off + 4);
	if (blen < 8 || !mx_range_ok(off, blen, sb->length))
		return mx_diag_fail_at(diag, origin + off + 4, -EBADMSG,
				       "superblob: blob 0x%x: length %u outside the superblob (%u)",
				       type, blen, sb->length);
	want = sb->magic == MX_CSMAGIC_EMBEDDED_SIGNATURE ? slot_magic(type) : 0;
	if (want && magic != want)
		return mx_diag_fail_at(diag, origin + off, -EBADMSG,
				       "superblob: slot 0x%x holds magic 0x%08x, expected 0x%08x",
				       type, magic, want);
	if (sb->magic == MX_CSMAGIC_REQUIREMENTS && magic != MX_CSMAGIC_REQUIREMENT)
		return mx_diag_fail_at(diag, origin + off, -EBADMSG,
				       "requirements: entry %zu holds magic 0x%08x", i, magic);
	for (size_t j = 0; j < i; j++) {
		const struct mx_cs_blob *o = &sb->blobs[j];

		if (o->type == type)
			return mx_diag_fail_at(diag, eoff, -EBADMSG,
					       "superblob: slot 0x%x listed twice", type);
		if (mx_ranges_overlap(off, blen, o->offset - origin, o->len))
			return mx_diag_fail_at(diag, eoff, -EBADMSG,
					       "superblob: blob 0x%x overlaps blob 0x%x", type,
					       o->type);
	}
	sb->blobs[i] = (struct mx_cs_blob){
		.type = type, .magic = magic, .data = buf + off, .len = blen, .offset = origin + off};
	return 0;
}

int mx_superblob_parse(struct mx_superblob *ret, const uint8_t *buf, size_t len, uint64_t origin,
		       uint32_t magic, struct macext_diag *diag)
{
	struct mx_superblob *sb = ret;
	uint32_t m, length, count;
	uint64_t index_end;
	int r;

	if (len < 12)
		return mx_diag_fail_at(diag, origin, -EBADMSG,
				       "superblob: %zu bytes, shorter than its 12-byte header", len);
	m = mx_load_be32(buf);
	if (m != magic)
		return mx_diag_fail_at(diag, origin, -ENOEXEC,
				       "superblob: magic 0x%08x (%s), expected 0x%08x", m,
				       mx_cs_magic_name(m), magic);
	length = mx_load_be32(buf + 4);
	count = mx_load_be32(buf + 8);
	if (length > len)
		return mx_diag_fail_at(diag, origin + 4, -EBADMSG,
				       "superblob: length %u past the end (%zu bytes)", length, len);
	if (count > MX_CS_MAX_BLOBS)
		return mx_diag_fail_at(diag, origin + 8, -E2BIG,
				       "superblob: %u entries, limit %u", count, MX_CS_MAX_BLOBS);
	index_end = 12 + 8 * (uint64_t)count;
	if (index_end > length)
		return mx_diag_fail_at(diag, origin + 8, -EBADMSG,
				       "superblob: index of %u entries past its length %u", count,
				       length);
	memset(sb, 0, sizeof(*sb));
	sb->magic = m;
	sb->length = length;
	for (size_t i = 0; i < count; i++) {
		r = read_entry(sb, i, buf, origin, index_end, diag);
		if (r < 0)
			return r;
	}
	sb->count = count;
	return 0;
}

const struct mx_cs_blob *mx_superblob_find(const struct mx_superblob *sb, uint32_t type)
{
	for (size_t i = 0; i < sb->count; i++)
		if (sb->blobs[i].type == type)
			return &sb->blobs[i];
	return NULL;
}
