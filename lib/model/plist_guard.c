/*
 * lib/model/plist_guard.c: parse an Info.plist only after the format layer's precheck
 * (lib/format/mobileconfig.c, mx_plist_precheck) has bounded its nesting and, for a binary
 * plist, the objects it expands to. A buffer that starts "bplist00" is binary; anything
 * else goes to libplist's XML reader, which refuses what it cannot read.
 *
 * One more binary check of our own: libplist 2.2 builds a dictionary whose keys are not
 * strings (a key reference to an integer object, say) and then asserts when the
 * dictionary is iterated, so every dictionary object's key references must name string
 * objects (marker 0x5n ASCII or 0x6n UTF-16) without a NUL character (libplist asserts
 * that a key's length is its strlen). The trailer and offset table were bounded by
 * the precheck; each object is read again through mx_reader here, and a dictionary this
 * cannot read is refused too.
 */
#include "model/plist_guard.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "format/mobileconfig.h"
#include "util/diag.h"
#include "util/reader.h"

static int read_be(const struct mx_reader *rd, uint64_t off, unsigned n, uint64_t *ret)
{
	struct mx_reader sub;
	const uint8_t *p;
	uint64_t v = 0;

	if (mx_rd_sub(rd, off, n, &sub) < 0 || mx_rd_bytes(&sub, n, &p) < 0)
		return -EBADMSG;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	*ret = v;
	return 0;
}

struct bin {
	struct mx_reader rd;
	unsigned offsize, refsize;
	uint64_t nobj, table;
};

/* Marker byte of object I, and its offset. */
static int object_at(const struct bin *b, uint64_t i, uint64_t *ret_off, uint8_t *ret_marker)
{
	uint64_t off, m;

	if (read_be(&b->rd, b->table + i * b->offsize, b->offsize, &off) < 0 || off < 8 ||
	    off >= b->table || read_be(&b->rd, off, 1, &m) < 0)
		return -EBADMSG;
	*ret_off = off;
	*ret_marker = (uint8_t)m;
	return 0;
}

/* The element count of the object at OFF with marker M, and where its payload starts. */
static int object_count(const struct bin *b, uint64_t off, uint8_t m, uint64_t *ret_cnt,
			uint64_t *ret_pos)
{
	uint64_t cnt = m & 0xf, pos = off + 1;

	if (cnt == 0xf) {
		uint64_t im;

		if (read_be(&b->rd, pos, 1, &im) < 0 || (im & 0xf0) != 0x10 || (im & 0xf) > 3 ||
		    read_be(&b->rd, pos + 1, 1u << (im & 0xf), &cnt) < 0)
			return -EBADMSG;
		pos += 1 + (1u << (im & 0xf));
	}
	*ret_cnt = cnt;
	*ret_pos = pos;
	return 0;
}

/* A key: an ASCII (0x5n) or UTF-16 (0x6n) string inside the buffer, with no NUL. */
static bool key_ok(const struct bin *b, uint64_t off, uint8_t m)
{
	unsigned unit = (m >> 4) == 0x5 ? 1 : (m >> 4) == 0x6 ? 2 : 0;
	uint64_t cnt, pos;
	struct mx_reader sub;
	const uint8_t *p;

	if (!unit || object_count(b, off, m, &cnt, &pos) < 0 || cnt > b->rd.len ||
	    mx_rd_sub(&b->rd, pos, cnt * unit, &sub) < 0 ||
	    mx_rd_bytes(&sub, (size_t)(cnt * unit), &p) < 0)
		return false;
	for (uint64_t i = 0; i < cnt; i++)
		if (p[i * unit] == 0 && (unit == 1 || p[i * unit + 1] == 0))
			return false;
	return true;
}

/* Checks that the dictionary object at OFF (marker M) has string keys. */
static int dict_keys_ok(const struct bin *b, uint64_t off, uint8_t m)
{
	uint64_t cnt, pos;

	if (object_count(b, off, m, &cnt, &pos) < 0 || cnt > b->nobj)
		return -EBADMSG;
	for (uint64_t k = 0; k < cnt; k++) {
		uint64_t ref, koff;
		uint8_t km;

		if (read_be(&b->rd, pos + k * b->refsize, b->refsize, &ref) < 0 || ref >= b->nobj ||
		    object_at(b, ref, &koff, &km) < 0 || !key_ok(b, koff, km))
			return -EBADMSG;
	}
	return 0;
}

static int binary_dict_keys(const uint8_t *buf, size_t len, struct macext_diag *diag)
{
	const uint8_t *t = buf + len - 32;
	struct bin b;
	uint64_t top;

	mx_rd_init(&b.rd, buf, len, 0);
	b.offsize = t[6];
	b.refsize = t[7];
	if (read_be(&b.rd, len - 24, 8, &b.nobj) < 0 || read_be(&b.rd, len - 16, 8, &top) < 0 ||
	    read_be(&b.rd, len - 8, 8, &b.table) < 0)
		return mx_diag_fail_at(diag, len - 32, -EBADMSG, "plist: bad trailer");
	for (uint64_t i = 0; i < b.nobj; i++) {
		uint64_t off;
		uint8_t m;

		if (object_at(&b, i, &off, &m) < 0 || (m >> 4) != 0xd)
			continue;
		if (dict_keys_ok(&b, off, m) < 0)
			return mx_diag_fail_at(diag, off, -EBADMSG,
					       "plist: dictionary with a key that is not a string");
	}
	return 0;
}

int mx_plist_parse(const void *buf, size_t len, plist_t *ret, struct macext_diag *diag)
{
	plist_t p = NULL;
	bool binary;
	int r;

	if (!buf || len == 0)
		return mx_diag_fail_nopos(diag, -EBADMSG, "empty property list");
	if (len > MX_INFO_PLIST_MAX_SIZE)
		return mx_diag_fail_nopos(diag, -E2BIG, "plist of %zu bytes is over the limit of %u",
					  len, MX_INFO_PLIST_MAX_SIZE);
	binary = len >= 8 && memcmp(buf, "bplist00", 8) == 0;
	r = mx_plist_precheck(buf, len, binary, 0, diag);
	if (r == 0 && binary)
		r = binary_dict_keys(buf, len, diag);
	if (r < 0)
		return r;
	plist_from_memory(buf, (uint32_t)len, &p);
	if (!p)
		return mx_diag_fail_at(diag, 0, -EBADMSG, "not a property list");
	*ret = p;
	return 0;
}
