/*
 * lib/util/reader.c: the bounds-checked cursor over untrusted bytes.
 *
 * Invariant: pos <= len at all times, and no function reads p[i] for i >= len. Every getter
 * checks what remains first and changes nothing when it fails.
 */
#include "util/reader.h"

#include <errno.h>

#include "util/checked.h"
#include "util/endian.h"

void mx_rd_init(struct mx_reader *rd, const void *buf, size_t len, uint64_t origin)
{
	rd->p = buf;
	rd->len = buf ? len : 0;
	rd->pos = 0;
	rd->origin = origin;
}

int mx_rd_bytes(struct mx_reader *rd, size_t n, const uint8_t **ret)
{
	if (n > mx_rd_left(rd))
		return -EBADMSG;
	*ret = rd->p + rd->pos;
	rd->pos += n;
	return 0;
}

int mx_rd_skip(struct mx_reader *rd, size_t n)
{
	if (n > mx_rd_left(rd))
		return -EBADMSG;
	rd->pos += n;
	return 0;
}

int mx_rd_seek(struct mx_reader *rd, uint64_t pos)
{
	if (pos > rd->len)
		return -EBADMSG;
	rd->pos = (size_t)pos;
	return 0;
}

int mx_rd_u8(struct mx_reader *rd, uint8_t *ret)
{
	const uint8_t *b;
	int r = mx_rd_bytes(rd, 1, &b);

	if (r < 0)
		return r;
	*ret = b[0];
	return 0;
}

int mx_rd_u16(struct mx_reader *rd, enum mx_order o, uint16_t *ret)
{
	const uint8_t *b;
	int r = mx_rd_bytes(rd, 2, &b);

	if (r < 0)
		return r;
	*ret = o == MX_BE ? mx_load_be16(b) : mx_load_le16(b);
	return 0;
}

int mx_rd_u32(struct mx_reader *rd, enum mx_order o, uint32_t *ret)
{
	const uint8_t *b;
	int r = mx_rd_bytes(rd, 4, &b);

	if (r < 0)
		return r;
	*ret = o == MX_BE ? mx_load_be32(b) : mx_load_le32(b);
	return 0;
}

int mx_rd_u64(struct mx_reader *rd, enum mx_order o, uint64_t *ret)
{
	const uint8_t *b;
	int r = mx_rd_bytes(rd, 8, &b);

	if (r < 0)
		return r;
	*ret = o == MX_BE ? mx_load_be64(b) : mx_load_le64(b);
	return 0;
}

int mx_rd_u32be(struct mx_reader *rd, uint32_t *ret)
{
	return mx_rd_u32(rd, MX_BE, ret);
}

int mx_rd_u32le(struct mx_reader *rd, uint32_t *ret)
{
	return mx_rd_u32(rd, MX_LE, ret);
}

int mx_rd_u64be(struct mx_reader *rd, uint64_t *ret)
{
	return mx_rd_u64(rd, MX_BE, ret);
}

int mx_rd_uleb128(struct mx_reader *rd, uint64_t *ret)
{
	uint64_t v = 0;
	unsigned shift = 0;
	size_t i = rd->pos;

	for (;;) {
		uint8_t b;

		if (i >= rd->len)
			return -EBADMSG;
		b = rd->p[i++];
		if (shift >= 64 || (shift == 63 && (b & 0x7f) > 1))
			return -EBADMSG;
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	rd->pos = i;
	*ret = v;
	return 0;
}

int mx_rd_sleb128(struct mx_reader *rd, int64_t *ret)
{
	uint64_t v = 0;
	unsigned shift = 0;
	size_t i = rd->pos;
	uint8_t b;

	do {
		if (i >= rd->len || shift >= 64)
			return -EBADMSG;
		b = rd->p[i++];
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (shift < 64 && (b & 0x40))
		v |= ~(uint64_t)0 << shift;
	rd->pos = i;
	*ret = (int64_t)v;
	return 0;
}

int mx_rd_cstr(struct mx_reader *rd, size_t max, const char **ret)
{
	size_t left = mx_rd_left(rd);
	const uint8_t *s = rd->p + rd->pos;

	for (size_t i = 0; i < left; i++) {
		if (s[i] != 0)
			continue;
		if (i > max)
			return -E2BIG;
		*ret = (const char *)s;
		rd->pos += i + 1;
		return 0;
	}
	return left > max ? -E2BIG : -EBADMSG;
}

int mx_rd_sub(const struct mx_reader *rd, uint64_t off, uint64_t n, struct mx_reader *ret)
{
	if (!mx_range_ok(off, n, rd->len))
		return -EBADMSG;
	mx_rd_init(ret, rd->p + off, (size_t)n, rd->origin + off);
	return 0;
}

int mx_rd_take(struct mx_reader *rd, uint64_t n, struct mx_reader *ret)
{
	int r = mx_rd_sub(rd, rd->pos, n, ret);

	if (r < 0)
		return r;
	rd->pos += (size_t)n;
	return 0;
}
