/*
 * lib/format/codedir_write.c: writes a CodeDirectory v0x20400 (codesign.md §2.4-2.5,
 * fixtures.md §1.8), the inverse of codedir.c.
 *
 *   0   fixed header, 88 bytes (version 0x20400: execSeg fields, no runtime)
 *   88  identifier, NUL-terminated
 *   ..  Team ID, NUL-terminated (absent for ad-hoc)
 *   ..  special slots 3, 2, 1 (slot n at hashOffset - n * hashSize; zero = absent)
 *   hashOffset  code slots: hash of each 4 KiB page of [0, codeLimit), the last partial
 *
 * codeLimit is a u32 field: callers lay out slices under 4 GiB (codeLimit64 stays 0).
 * pageSize is 12; scatter, platform and spare fields are 0.
 */
#include "format/cs_write.h"

#include <errno.h>
#include <string.h>
#include <openssl/evp.h>

#include "format/codedir.h"
#include "format/cs_limits.h"
#include "format/superblob.h"
#include "util/endian.h"

static const EVP_MD *md_of(uint32_t type)
{
	return type == MX_CS_HASHTYPE_SHA256 ? EVP_sha256()
	       : type == MX_CS_HASHTYPE_SHA384 ? EVP_sha384()
					       : NULL;
}

static uint64_t code_slots(uint64_t limit)
{
	uint64_t page = (uint64_t)1 << MX_CD_WRITE_PAGE_SHIFT;

	return (limit + page - 1) / page;
}

size_t mx_codedir_size(const struct mx_cd_spec *s)
{
	size_t il = strnlen(s->ident, MX_CS_MAX_IDENT + 1);
	size_t tl = s->team ? strnlen(s->team, MX_CS_MAX_IDENT + 1) : 0;
	unsigned hs = mx_cs_hash_size(s->hash_type);
	uint64_t n = code_slots(s->code_limit);

	if (il == 0 || il > MX_CS_MAX_IDENT || tl > MX_CS_MAX_IDENT || !md_of(s->hash_type) ||
	    n > MX_CS_MAX_CODE_SLOTS || s->code_limit > UINT32_MAX)
		return 0;
	return MX_CD_WRITE_HEADER + il + 1 + (s->team ? tl + 1 : 0) +
	       (MX_CD_WRITE_SPECIAL + (size_t)n) * hs;
}

static int digest(const EVP_MD *md, EVP_MD_CTX *ctx, const uint8_t *p, size_t n, uint8_t *out)
{
	unsigned olen = 0;

	if (EVP_DigestInit_ex2(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, p, n) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &olen) != 1)
		return -ENOMEM;
	return 0;
}

int mx_codedir_write(const struct mx_cd_spec *s, uint8_t *out, size_t size)
{
	size_t want = mx_codedir_size(s), il, tl, pos;
	unsigned hs = mx_cs_hash_size(s->hash_type);
	uint64_t page = (uint64_t)1 << MX_CD_WRITE_PAGE_SHIFT;
	uint32_t nslots, hash_off;
	const EVP_MD *md = md_of(s->hash_type);
	EVP_MD_CTX *ctx = NULL;
	int r = 0;

	if (want == 0 || size != want || (!s->code && s->code_limit))
		return -EINVAL;
	il = strlen(s->ident);
	tl = s->team ? strlen(s->team) : 0;
	nslots = (uint32_t)code_slots(s->code_limit);
	hash_off = (uint32_t)(MX_CD_WRITE_HEADER + il + 1 + (s->team ? tl + 1 : 0) +
			      MX_CD_WRITE_SPECIAL * hs);
	memset(out, 0, size);
	mx_store_be32(out + 0, MX_CSMAGIC_CODEDIRECTORY);
	mx_store_be32(out + 4, (uint32_t)size);
	mx_store_be32(out + 8, MX_CD_WRITE_VERSION);
	mx_store_be32(out + 12, s->flags);
	mx_store_be32(out + 16, hash_off);
	mx_store_be32(out + 20, MX_CD_WRITE_HEADER);
	mx_store_be32(out + 24, MX_CD_WRITE_SPECIAL);
	mx_store_be32(out + 28, nslots);
	mx_store_be32(out + 32, (uint32_t)s->code_limit);
	out[36] = (uint8_t)hs;
	out[37] = (uint8_t)s->hash_type;
	out[39] = (uint8_t)MX_CD_WRITE_PAGE_SHIFT;
	mx_store_be32(out + 48, s->team ? (uint32_t)(MX_CD_WRITE_HEADER + il + 1) : 0);
	mx_store_be64(out + 64, s->exec_seg_base);
	mx_store_be64(out + 72, s->exec_seg_limit);
	mx_store_be64(out + 80, s->exec_seg_flags);
	pos = MX_CD_WRITE_HEADER;
	memcpy(out + pos, s->ident, il + 1);
	pos += il + 1;
	if (s->team)
		memcpy(out + pos, s->team, tl + 1);
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	for (uint32_t slot = 1; r == 0 && slot <= MX_CD_WRITE_SPECIAL; slot++)
		if (s->special[slot - 1])
			r = digest(md, ctx, s->special[slot - 1], s->special_len[slot - 1],
				   out + hash_off - slot * hs);
	for (uint32_t i = 0; r == 0 && i < nslots; i++) {
		uint64_t off = (uint64_t)i * page;
		uint64_t n = s->code_limit - off < page ? s->code_limit - off : page;

		r = digest(md, ctx, s->code + off, (size_t)n, out + hash_off + (size_t)i * hs);
	}
	EVP_MD_CTX_free(ctx);
	return r;
}
