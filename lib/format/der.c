/*
 * lib/format/der.c: a DER/BER walker for CMS signatures and certificates.
 *
 *   identifier  1 byte   class(2) | constructed(1) | tag number(5); number 31 = high-tag
 *                        form, which CMS never uses and this reader rejects
 *   length      0x00..0x7f            short form
 *               0x81..0x88 + N bytes  long form, big-endian
 *               0x80                  indefinite (BER, constructed only): content runs to
 *                                     an end-of-contents pair 00 00
 *   content
 *
 * Apple's 2019 and 2023 CMS blobs are BER with indefinite lengths; 2026 ones are DER
 * (codesign.md §4.4). Both are accepted. Every length must lie inside its parent, an
 * indefinite element must find its 00 00 inside its parent, and nesting is bounded by
 * MX_DER_MAX_DEPTH, so a hostile blob cannot recurse without bound. The walker does not
 * copy: each element points at its raw bytes, which is what a signature check over the
 * signed attributes needs (codesign.md §4.5).
 */
#include "format/der.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "format/cs_limits.h"
#include "util/diag.h"

static int read_header(struct mx_reader *rd, uint8_t *ret_tag, bool *ret_indef, uint64_t *ret_len,
		       struct macext_diag *diag)
{
	uint8_t tag, lb, b;
	uint64_t len = 0;

	if (mx_rd_u8(rd, &tag) < 0)
		return mx_diag_fail(diag, rd, -EBADMSG, "der: element truncated");
	if ((tag & 0x1fu) == 0x1fu)
		return mx_diag_fail(diag, rd, -EBADMSG, "der: high tag number form 0x%02x", tag);
	if (mx_rd_u8(rd, &lb) < 0)
		return mx_diag_fail(diag, rd, -EBADMSG, "der: length truncated");
	*ret_indef = false;
	if (lb < 0x80u) {
		len = lb;
	} else if (lb == 0x80u) {
		if (!(tag & 0x20u))
			return mx_diag_fail(diag, rd, -EBADMSG,
					    "der: indefinite length on primitive tag 0x%02x", tag);
		*ret_indef = true;
	} else {
		unsigned n = lb & 0x7fu;

		if (n > 8)
			return mx_diag_fail(diag, rd, -EBADMSG, "der: length of %u bytes", n);
		for (unsigned i = 0; i < n; i++) {
			if (mx_rd_u8(rd, &b) < 0)
				return mx_diag_fail(diag, rd, -EBADMSG, "der: length truncated");
			len = (len << 8) | b;
		}
	}
	*ret_tag = tag;
	*ret_len = len;
	return 0;
}

int mx_der_next(struct mx_reader *rd, unsigned depth, struct mx_der *ret,
		struct macext_diag *diag)
{
	size_t start = rd->pos;
	struct mx_der el;
	struct mx_der child;
	uint64_t len = 0;
	bool indef = false;
	uint8_t tag = 0;
	int r;

	if (depth >= MX_DER_MAX_DEPTH)
		return mx_diag_fail(diag, rd, -E2BIG, "der: nesting deeper than %u", MX_DER_MAX_DEPTH);
	r = read_header(rd, &tag, &indef, &len, diag);
	if (r < 0)
		goto fail;
	memset(&el, 0, sizeof(el));
	el.tag = tag;
	el.constructed = (tag & 0x20u) != 0;
	el.indefinite = indef;
	el.offset = rd->origin + start;
	el.val = rd->p + rd->pos;
	el.val_offset = mx_rd_offset(rd);
	if (!indef) {
		if (len > mx_rd_left(rd)) {
			r = mx_diag_fail(diag, rd, -EBADMSG,
					 "der: length %llu past the end of its parent (%zu left)",
					 (unsigned long long)len, mx_rd_left(rd));
			goto fail;
		}
		el.val_len = (size_t)len;
		rd->pos += (size_t)len;
	} else {
		for (;;) {
			if (mx_rd_left(rd) >= 2 && rd->p[rd->pos] == 0 && rd->p[rd->pos + 1] == 0) {
				el.val_len = (size_t)(rd->p + rd->pos - el.val);
				rd->pos += 2;
				break;
			}
			if (mx_rd_left(rd) == 0) {
				r = mx_diag_fail(diag, rd, -EBADMSG,
						 "der: indefinite length without end-of-contents");
				goto fail;
			}
			r = mx_der_next(rd, depth + 1, &child, diag);
			if (r < 0)
				goto fail;
		}
	}
	el.raw = rd->p + start;
	el.raw_len = rd->pos - start;
	*ret = el;
	return 0;
fail:
	rd->pos = start;
	return r;
}

int mx_der_expect(struct mx_reader *rd, uint8_t tag, struct mx_der *ret, struct macext_diag *diag)
{
	size_t start = rd->pos;
	struct mx_der el;
	int r;

	if (mx_rd_left(rd) == 0)
		return mx_diag_fail(diag, rd, -EBADMSG, "der: expected tag 0x%02x, found the end",
				    tag);
	if (rd->p[rd->pos] != tag)
		return mx_diag_fail(diag, rd, -EBADMSG, "der: expected tag 0x%02x, found 0x%02x",
				    tag, rd->p[rd->pos]);
	r = mx_der_next(rd, 0, &el, diag);
	if (r < 0) {
		rd->pos = start;
		return r;
	}
	*ret = el;
	return 0;
}

void mx_der_enter(const struct mx_der *el, struct mx_reader *ret)
{
	mx_rd_init(ret, el->val, el->val_len, el->val_offset);
}

bool mx_der_is_oid(const struct mx_der *el, const uint8_t *oid, size_t len)
{
	return el->tag == MX_DER_OID && el->val_len == len && memcmp(el->val, oid, len) == 0;
}

int mx_der_oid_text(const uint8_t *val, size_t len, char *buf, size_t size)
{
	size_t used = 0;
	uint64_t v = 0;
	bool first = true;
	int n;

	if (len == 0 || size == 0 || (val[len - 1] & 0x80u))
		return -EBADMSG;
	buf[0] = '\0';
	for (size_t i = 0; i < len; i++) {
		if (v > (UINT64_MAX >> 7))
			return -EBADMSG;
		v = (v << 7) | (val[i] & 0x7fu);
		if (val[i] & 0x80u)
			continue;
		if (first) {
			unsigned a = v < 40 ? 0u : v < 80 ? 1u : 2u;

			n = snprintf(buf + used, size - used, "%u.%llu", a,
				     (unsigned long long)(v - 40u * a));
			first = false;
		} else {
			n = snprintf(buf + used, size - used, ".%llu", (unsigned long long)v);
		}
		if (n < 0 || (size_t)n >= size - used)
			return -E2BIG;
		used += (size_t)n;
		v = 0;
	}
	return 0;
}

int64_t mx_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (int64_t)d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool digits(const uint8_t *p, size_t n, unsigned *ret)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10u + (unsigned)(p[i] - '0');
	}
	*ret = v;
	return true;
}

int mx_der_time(const struct mx_der *el, int64_t *ret)
{
	const uint8_t *p = el->val;
	size_t n = el->val_len, ylen;
	unsigned y, mo, d, h, mi, s;
	int64_t year;

	if (el->tag == MX_DER_UTCTIME)
		ylen = 2;
	else if (el->tag == MX_DER_GENTIME)
		ylen = 4;
	else
		return -EBADMSG;
	if (n < ylen + 11 || p[n - 1] != 'Z')
		return -EBADMSG;
	if (!digits(p, ylen, &y) || !digits(p + ylen, 2, &mo) || !digits(p + ylen + 2, 2, &d) ||
	    !digits(p + ylen + 4, 2, &h) || !digits(p + ylen + 6, 2, &mi) ||
	    !digits(p + ylen + 8, 2, &s))
		return -EBADMSG;
	/* Only a fraction may sit between the seconds and the Z. */
	if (n > ylen + 11) {
		if (el->tag != MX_DER_GENTIME || p[ylen + 10] != '.')
			return -EBADMSG;
		for (size_t i = ylen + 11; i < n - 1; i++)
			if (p[i] < '0' || p[i] > '9')
				return -EBADMSG;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		return -EBADMSG;
	year = ylen == 2 ? (y >= 50 ? 1900 + (int64_t)y : 2000 + (int64_t)y) : (int64_t)y;
	*ret = mx_days_from_civil(year, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 +
	       (int64_t)s;
	return 0;
}
