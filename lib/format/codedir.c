/*
 * lib/format/codedir.c: the CodeDirectory (codesign.md §2.4).
 *
 *   0  magic 0xfade0c02     4 length        8 version       12 flags
 *   16 hashOffset           20 identOffset  24 nSpecialSlots 28 nCodeSlots
 *   32 codeLimit            36 hashSize u8  37 hashType u8  38 platform u8  39 pageSize u8
 *   40 spare2               44 scatterOffset (0x20100)      48 teamOffset (0x20200)
 *   52 spare3, 56 codeLimit64 (0x20300)     64 execSegBase, 72 execSegLimit,
 *   80 execSegFlags (0x20400)               88 runtime, 92 preEncryptOffset (0x20500)
 *   96..107 linkage fields (0x20600)
 *
 *   special slot n at hashOffset - n*hashSize (n = 1..nSpecialSlots), code slot i at
 *   hashOffset + i*hashSize.
 *
 * A CD may be shorter than the newest layout: a field is read only if the version has it
 * (the blob must hold the fixed part of its own version). Hash arrays are addressed by
 * offset and may be unaligned (fsevents.node has hashOffset 102): nothing here casts.
 * Mach-O signatures never use a scatter vector, so a non-zero scatterOffset is rejected
 * (codesign.md §2.4). The page size is 0 (one slot over the whole limit) or 2^12..2^16.
 */
#include "format/codedir.h"

#include <errno.h>
#include <string.h>

#include "format/cs_limits.h"
#include "format/superblob.h"
#include "util/checked.h"
#include "util/diag.h"
#include "util/endian.h"

/* The hash types of codesign.md §2.4: digest size, name, and rank (the higher, the stronger;
 * the verifier prefers the CD of the highest rank). */
static const struct {
	uint32_t type;
	unsigned size;
	const char *name;
	unsigned rank;
} hash_kinds[] = {
	{MX_CS_HASHTYPE_SHA1, 20, "sha1", 1},
	{MX_CS_HASHTYPE_SHA256_TRUNCATED, 20, "sha256-truncated", 2},
	{MX_CS_HASHTYPE_SHA256, 32, "sha256", 3},
	{MX_CS_HASHTYPE_SHA384, 48, "sha384", 4},
	{MX_CS_HASHTYPE_SHA512, 64, "sha512", 5},
};

#define HASH_KINDS (sizeof(hash_kinds) / sizeof(hash_kinds[0]))

/* Index of TYPE in hash_kinds, or HASH_KINDS when it is unknown. */
static size_t hash_kind(uint32_t type)
{
	size_t i = 0;

	while (i < HASH_KINDS && hash_kinds[i].type != type)
		i++;
	return i;
}

unsigned mx_cs_hash_size(uint32_t type)
{
	size_t i = hash_kind(type);

	return i < HASH_KINDS ? hash_kinds[i].size : 0;
}

const char *mx_cs_hash_name(uint32_t type)
{
	size_t i = hash_kind(type);

	return i < HASH_KINDS ? hash_kinds[i].name : "unknown";
}

unsigned mx_cs_hash_rank(uint32_t type)
{
	size_t i = hash_kind(type);

	return i < HASH_KINDS ? hash_kinds[i].rank : 0;
}

static size_t fixed_len(uint32_t version)
{
	if (version < 0x20100u)
		return 44;
	if (version < 0x20200u)
		return 48;
	if (version < 0x20300u)
		return 52;
	if (version < 0x20400u)
		return 64;
	if (version < 0x20500u)
		return 88;
	if (version < 0x20600u)
		return 96;
	return 108;
}

/* A NUL-terminated string at OFF inside the CD, at most MX_CS_MAX_IDENT bytes. */
static int cd_string(const struct mx_codedir *cd, uint32_t off, size_t min_off, const char *what,
		     const char **ret, struct macext_diag *diag)
{
	const uint8_t *nul;
	size_t room;

	if (off < min_off || off >= cd->len)
		return mx_diag_fail_at(diag, cd->offset, -EBADMSG,
				       "codedirectory: %s offset %u outside the blob", what, off);
	room = cd->len - off;
	if (room > MX_CS_MAX_IDENT + 1)
		room = MX_CS_MAX_IDENT + 1;
	nul = memchr(cd->raw + off, 0, room);
	if (!nul)
		return mx_diag_fail_at(diag, cd->offset + off, -EBADMSG,
				       "codedirectory: %s not NUL-terminated", what);
	*ret = (const char *)(cd->raw + off);
	return 0;
}

static void read_fields(struct mx_codedir *cd)
{
	const uint8_t *p = cd->raw;

	cd->version = mx_load_be32(p + 8);
	cd->flags = mx_load_be32(p + 12);
	cd->hash_offset = mx_load_be32(p + 16);
	cd->ident_offset = mx_load_be32(p + 20);
	cd->n_special = mx_load_be32(p + 24);
	cd->n_code = mx_load_be32(p + 28);
	cd->code_limit = mx_load_be32(p + 32);
	cd->hash_size = p[36];
	cd->hash_type = p[37];
	cd->platform = p[38];
	cd->page_size = p[39];
	if (cd->version >= 0x20100u)
		cd->scatter_offset = mx_load_be32(p + 44);
	if (cd->version >= 0x20200u)
		cd->team_offset = mx_load_be32(p + 48);
	if (cd->version >= 0x20300u)
		cd->code_limit64 = mx_load_be64(p + 56);
	if (cd->version >= 0x20400u) {
		cd->exec_seg_base = mx_load_be64(p + 64);
		cd->exec_seg_limit = mx_load_be64(p + 72);
		cd->exec_seg_flags = mx_load_be64(p + 80);
	}
	if (cd->version >= 0x20500u) {
		cd->runtime = mx_load_be32(p + 88);
		cd->pre_encrypt_offset = mx_load_be32(p + 92);
	}
}

static int check_slots(const struct mx_codedir *cd, size_t hdr, struct macext_diag *diag)
{
	uint64_t special = (uint64_t)cd->n_special * cd->hash_size;
	uint64_t code = (uint64_t)cd->n_code * cd->hash_size;

	if (cd->n_special > MX_CS_MAX_SPECIAL_SLOTS)
		return mx_diag_fail_at(diag, cd->offset + 24, -E2BIG,
				       "codedirectory: %u special slots, limit %u", cd->n_special,
				       MX_CS_MAX_SPECIAL_SLOTS);
	if (cd->n_code > MX_CS_MAX_CODE_SLOTS)
		return mx_diag_fail_at(diag, cd->offset + 28, -E2BIG,
				       "codedirectory: %u code slots, limit %u", cd->n_code,
				       MX_CS_MAX_CODE_SLOTS);
	if (cd->hash_offset < hdr || cd->hash_offset - hdr < special)
		return mx_diag_fail_at(diag, cd->offset + 16, -EBADMSG,
				       "codedirectory: %u special slots do not fit before hashOffset %u",
				       cd->n_special, cd->hash_offset);
	if (!mx_range_ok(cd->hash_offset, code, cd->len))
		return mx_diag_fail_at(diag, cd->offset + 28, -EBADMSG,
				       "codedirectory: %u code slots at %u run past its length %zu",
				       cd->n_code, cd->hash_offset, cd->len);
	return 0;
}

int mx_codedir_parse(struct mx_codedir *ret, const uint8_t *buf, size_t len, uint64_t origin,
		     struct macext_diag *diag)
{
	struct mx_codedir cd;
	uint32_t magic, length;
	unsigned want;
	size_t hdr;
	int r;

	if (len < 44)
		return mx_diag_fail_at(diag, origin, -EBADMSG,
				       "codedirectory: %zu bytes, shorter than its header", len);
	magic = mx_load_be32(buf);
	length = mx_load_be32(buf + 4);
	if (magic != MX_CSMAGIC_CODEDIRECTORY)
		return mx_diag_fail_at(diag, origin, -EBADMSG,
				       "codedirectory: magic 0x%08x, expected 0xfade0c02", magic);
	if (length < 44 || length > len)
		return mx_diag_fail_at(diag, origin + 4, -EBADMSG,
				       "codedirectory: length %u outside the %zu bytes of its blob",
				       length, len);
	memset(&cd, 0, sizeof(cd));
	cd.raw = buf;
	cd.len = length;
	cd.offset = origin;
	cd.version = mx_load_be32(buf + 8);
	if (cd.version < MX_CD_VERSION_MIN || cd.version > MX_CD_VERSION_MAX)
		return mx_diag_fail_at(diag, origin + 8, -EBADMSG,
				       "codedirectory: unsupported version 0x%x", cd.version);
	hdr = fixed_len(cd.version);
	if (length < hdr)
		return mx_diag_fail_at(diag, origin + 4, -EBADMSG,
				       "codedirectory: length %u below the %zu-byte header of "
				       "version 0x%x", length, hdr, cd.version);
	read_fields(&cd);
	want = mx_cs_hash_size(cd.hash_type);
	if (want == 0)
		return mx_diag_fail_at(diag, origin + 37, -ENOTSUP,
				       "codedirectory: unsupported hash type %u", cd.hash_type);
	if (cd.hash_size != want)
		return mx_diag_fail_at(diag, origin + 36, -EBADMSG,
				       "codedirectory: hash size %u does not match %s (%u)",
				       cd.hash_size, mx_cs_hash_name(cd.hash_type), want);
	if (cd.page_size != 0 && (cd.page_size < 12 || cd.page_size > 16))
		return mx_diag_fail_at(diag, origin + 39, -EBADMSG,
				       "codedirectory: page size 2^%u", cd.page_size);
	if (cd.scatter_offset != 0)
		return mx_diag_fail_at(diag, origin + 44, -EBADMSG,
				       "codedirectory: scatter vector at %u (not used by Mach-O)",
				       cd.scatter_offset);
	r = check_slots(&cd, hdr, diag);
	if (r < 0)
		return r;
	r = cd_string(&cd, cd.ident_offset, hdr, "identifier", &cd.ident, diag);
	if (r < 0)
		return r;
	if (cd.team_offset) {
		r = cd_string(&cd, cd.team_offset, hdr, "team id", &cd.team, diag);
		if (r < 0)
			return r;
	}
	*ret = cd;
	return 0;
}

uint64_t mx_codedir_limit(const struct mx_codedir *cd)
{
	return cd->code_limit64 ? cd->code_limit64 : cd->code_limit;
}

const uint8_t *mx_codedir_special_hash(const struct mx_codedir *cd, uint32_t slot)
{
	return cd->raw + cd->hash_offset - (size_t)slot * cd->hash_size;
}

const uint8_t *mx_codedir_code_hash(const struct mx_codedir *cd, uint32_t i)
{
	return cd->raw + cd->hash_offset + (size_t)i * cd->hash_size;
}
