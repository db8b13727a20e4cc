/*
 * lib/format/superblob_write.c: writes SuperBlobs and single-blob wrappers (codesign.md
 * §2.2), the inverse of superblob.c: magic, length, count, then count index entries
 * (type, offset from the SuperBlob start), then the blobs in the order given.
 */
#include "format/cs_write.h"

#include <errno.h>
#include <string.h>

#include "format/cs_limits.h"
#include "util/alloc.h"
#include "util/endian.h"

size_t mx_superblob_size(const struct mx_blob_in *blobs, size_t n)
{
	size_t total = 12 + 8 * n;

	for (size_t i = 0; i < n; i++)
		total += blobs[i].len;
	return total;
}

long mx_superblob_write(uint8_t *out, size_t size, uint32_t magic, const struct mx_blob_in *blobs,
			size_t n)
{
	size_t total = mx_superblob_size(blobs, n), pos = 12 + 8 * n;

	if (n > MX_CS_MAX_BLOBS || total > size || total > UINT32_MAX)
		return -EINVAL;
	mx_store_be32(out, magic);
	mx_store_be32(out + 4, (uint32_t)total);
	mx_store_be32(out + 8, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		mx_store_be32(out + 12 + 8 * i, blobs[i].type);
		mx_store_be32(out + 16 + 8 * i, (uint32_t)pos);
		memcpy(out + pos, blobs[i].data, blobs[i].len);
		pos += blobs[i].len;
	}
	return (long)total;
}

int mx_blob_wrap(uint8_t **ret, size_t *ret_len, uint32_t magic, const uint8_t *p, size_t len)
{
	uint8_t *b;

	if (len > UINT32_MAX - 8)
		return -EINVAL;
	b = mx_malloc(len + 8);
	if (!b)
		return -ENOMEM;
	mx_store_be32(b, magic);
	mx_store_be32(b + 4, (uint32_t)(len + 8));
	if (len)
		memcpy(b + 8, p, len);
	*ret = b;
	*ret_len = len + 8;
	return 0;
}
