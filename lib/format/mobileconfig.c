/*
 * lib/format/mobileconfig.c: the .mobileconfig container (reference/mdm-sysext.md §1.1,
 * §1.4; docs/formats/mobileconfig.md). Pure: a buffer in, a parsed plist out; no OpenSSL
 * (signatures are lib/trust/profile_sig.c's job).
 *
 *   XML     [EF BB BF] [ \t\r\n]* ("<?xml" | "<!DOCTYPE" | "<plist" | "<!--") ...
 *   binary  [EF BB BF] [ \t\r\n]* "bplist00" objects... offsets... trailer(32)
 *   CMS     30 ... ContentInfo {
 *             OID 1.2.840.113549.1.7.2 (signedData),
 *             [0] SignedData { INTEGER version, SET digestAlgorithms,
 *                              SEQUENCE encapContentInfo { OID eContentType,
 *                                                          [0] OCTET STRING eContent } ... } }
 *
 * Only the path to eContent is walked here, with the DER walker (der.c), which bounds
 * every length by its parent and the nesting by MX_DER_MAX_DEPTH. BER is accepted: an
 * indefinite length anywhere on that path, or a constructed (chunked) eContent, sets
 * cms.ber; chunks are joined into one owned buffer. A detached signature has no profile
 * inside and is -EBADMSG.
 *
 * libplist 2.2 recurses once per nesting level (a million nested <array> overflow the
 * stack) and builds a binary plist's objects once per reference (a 40-object DAG expands
 * to 2^40 nodes), so mx_plist_precheck() bounds both before plist_from_memory() runs: a
 * scan of the XML tags counting open elements, and a walk of the bplist object graph
 * counting depth and expanded objects. Both also refuse what libplist 2.2 would accept and
 * then abort on: a dictionary key that is not a string, or holds a NUL (a raw NUL byte or
 * "&#0;" in XML). What libplist then rejects is -EBADMSG at the
 * plist's first byte: it reports no position.
 */
#include "format/mobileconfig.h"

#include <errno.h>
#include <plist/plist.h>
#include <stdlib.h>
#include <string.h>

#include "format/der.h"
#include "format/limits.h"
#include "util/alloc.h"
#include "util/checked.h"
#include "util/diag.h"
#include "util/reader.h"

static const uint8_t oid_signed_data[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02};
static const uint8_t oid_enveloped_data[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
					     0x0d, 0x01, 0x07, 0x03};
static const uint8_t oid_data[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01};

/* eContent chunks: a constructed OCTET STRING holds OCTET STRINGs, which in BER may again be
 * constructed; each level is one DER level. */
#define CHUNK_DEPTH_BASE 5u

const char *macext_profile_form_name(enum macext_profile_form f)
{
	switch (f) {
	case MACEXT_PROFILE_XML:
		return "xml";
	case MACEXT_PROFILE_BINARY:
		return "binary";
	case MACEXT_PROFILE_CMS:
		return "cms";
	}
	return "unknown";
}

static bool starts_with(const uint8_t *p, size_t len, const char *s)
{
	size_t n = strlen(s);

	return len >= n && memcmp(p, s, n) == 0;
}

enum mx_sniff mx_mobileconfig_sniff(const uint8_t *buf, size_t len, size_t *ret_skip)
{
	size_t i = 0;

	*ret_skip = 0;
	if (len > 0 && buf[0] == 0x30)
		return MX_SNIFF_CMS;
	if (starts_with(buf, len, "\xef\xbb\xbf"))
		i = 3;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
		i++;
	*ret_skip = i;
	if (starts_with(buf + i, len - i, "bplist00"))
		return MX_SNIFF_BINARY;
	if (starts_with(buf + i, len - i, "<?xml") || starts_with(buf + i, len - i, "<!DOCTYPE") ||
	    starts_with(buf + i, len - i, "<plist") || starts_with(buf + i, len - i, "<!--"))
		return MX_SNIFF_XML;
	*ret_skip = 0;
	return MX_SNIFF_UNKNOWN;
}

/* ---- XML: nesting of elements ---------------------------------------------------------- */

/* Index just past the first occurrence of END at or after I, or LEN if there is none. */
static size_t skip_past(const uint8_t *buf, size_t len, size_t i, const char *end)
{
	size_t n = strlen(end);

	for (; i + n <= len; i++)
		if (memcmp(buf + i, end, n) == 0)
			return i + n;
	return len;
}

/* "&#0;", "&#x00;"...: a reference to U+0000, which libplist 2.2 would put inside a key and
 * then abort on (XML 1.0 forbids it anyway). */
static bool nul_reference(const uint8_t *p, size_t len)
{
	bool hex;
	size_t i = 2;
	bool digits = false;

	if (len < 4 || p[1] != '#')
		return false;
	hex = p[2] == 'x' || p[2] == 'X';
	if (hex)
		i++;
	for (; i < len && p[i] != ';'; i++) {
		bool dec = p[i] >= '0' && p[i] <= '9';
		bool hx = hex && ((p[i] >= 'a' && p[i] <= 'f') || (p[i] >= 'A' && p[i] <= 'F'));

		if (!dec && !hx)
			return false;
		if (p[i] != '0')
			return false;
		digits = true;
	}
	return digits;
}

static int xml_precheck(const uint8_t *buf, size_t len, uint64_t origin, struct macext_diag *diag)
{
	unsigned depth = 0;
	size_t i = 0;

	while (i < len) {
		size_t tag;

		if (buf[i] == 0 || (buf[i] == '&' && nul_reference(buf + i, len - i)))
			return mx_diag_fail_at(diag, origin + i, -EBADMSG,
					       "plist: nul character in xml");
		if (buf[i] != '<') {
			i++;
			continue;
		}
		tag = i;
		if (starts_with(buf + i, len - i, "<!--")) {
			i = skip_past(buf, len, i + 4, "-->");
		} else if (starts_with(buf + i, len - i, "<![CDATA[")) {
			i = skip_past(buf, len, i + 9, "]]>");
		} else if (starts_with(buf + i, len - i, "<?")) {
			i = skip_past(buf, len, i + 2, "?>");
		} else if (starts_with(buf + i, len - i, "<!")) {
			i = skip_past(buf, len, i + 2, ">");
		} else if (starts_with(buf + i, len - i, "</")) {
			if (depth > 0)
				depth--;
			i = skip_past(buf, len, i + 2, ">");
		} else {
			i = skip_past(buf, len, i + 1, ">");
			/* <array/> opens nothing; an unterminated tag is libplist's to reject */
			if (i <= len && i >= 2 && buf[i - 1] == '>' && buf[i - 2] == '/')
				continue;
			if (++depth > MX_PLIST_MAX_DEPTH)
				return mx_diag_fail_at(diag, origin + tag, -E2BIG,
						       "plist: nested deeper than %u elements",
						       MX_PLIST_MAX_DEPTH);
		}
	}
	return 0;
}

/* ---- binary: the object graph ----------------------------------------------------------- */

struct bplist {
	const uint8_t *buf;
	size_t len;
	uint64_t origin;
	unsigned offset_size, ref_size;
	uint64_t n_objects, table_offset;
	size_t budget; /* expanded objects left */
	struct macext_diag *diag;
};

static uint64_t load_be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Object OBJ is an ASCII (0x5) or UTF-16 (0x6) string with no NUL inside: libplist 2.2
 * asserts (and aborts) when a dictionary key is anything else. */
static bool bplist_key_ok(const struct bplist *b, uint64_t obj)
{
	uint64_t off = load_be(b->buf + b->table_offset + obj * b->offset_size, b->offset_size);
	uint64_t n, unit;
	size_t pos;
	uint8_t type;

	if (off < 8 || off >= b->table_offset)
		return false;
	pos = (size_t)off;
	type = (uint8_t)(b->buf[pos] >> 4);
	n = b->buf[pos++] & 0x0fu;
	if (type != 0x5 && type != 0x6)
		return false;
	if (n == 0x0f) {
		unsigned w;

		if (pos >= b->table_offset || (b->buf[pos] >> 4) != 1)
			return false;
		w = 1u << (b->buf[pos] & 0x0fu);
		if (w > 8 || !mx_range_ok(pos + 1, w, b->table_offset))
			return false;
		n = load_be(b->buf + pos + 1, w);
		pos += 1 + w;
	}
	unit = type == 0x6 ? 2 : 1;
	if (n > b->table_offset || !mx_range_ok(pos, n * unit, b->table_offset))
		return false;
	for (uint64_t i = 0; i < n; i++)
		if (b->buf[pos + i * unit] == 0 && (unit == 1 || b->buf[pos + i * unit + 1] == 0))
			return false;
	return true;
}

static int bplist_walk(struct bplist *b, uint64_t obj, unsigned depth)
{
	uint64_t off, count, nrefs, refs_len;
	size_t pos;
	uint8_t marker, type;

	if (depth > MX_PLIST_MAX_DEPTH)
		return mx_diag_fail_at(b->diag, b->origin, -E2BIG,
				       "plist: binary plist nested deeper than %u", MX_PLIST_MAX_DEPTH);
	if (b->budget == 0)
		return mx_diag_fail_at(b->diag, b->origin, -E2BIG,
				       "plist: binary plist expands to more than %u objects",
				       MX_PLIST_MAX_NODES);
	b->budget--;
	off = load_be(b->buf + b->table_offset + obj * b->offset_size, b->offset_size);
	if (off < 8 || off >= b->table_offset)
		return mx_diag_fail_at(b->diag, b->origin + b->table_offset + obj * b->offset_size,
				       -EBADMSG, "plist: object %llu at offset %llu out of range",
				       (unsigned long long)obj, (unsigned long long)off);
	pos = (size_t)off;
	marker = b->buf[pos++];
	type = (uint8_t)(marker >> 4);
	if (type != 0xa && type != 0xc && type != 0xd)
		return 0;
	count = marker & 0x0fu;
	if (count == 0x0f) {
		uint8_t im;
		unsigned n;

		if (pos >= b->table_offset)
			return mx_diag_fail_at(b->diag, b->origin + pos, -EBADMSG,
					       "plist: object count truncated");
		im = b->buf[pos++];
		n = 1u << (im & 0x0fu);
		if ((im >> 4) != 1 || n > 8 || !mx_range_ok(pos, n, b->table_offset))
			return mx_diag_fail_at(b->diag, b->origin + pos - 1, -EBADMSG,
					       "plist: bad object count marker 0x%02x", im);
		count = load_be(b->buf + pos, n);
		pos += n;
	}
	nrefs = type == 0xd ? count * 2 : count;
	if (count > MX_PLIST_MAX_NODES || __builtin_mul_overflow(nrefs, b->ref_size, &refs_len) ||
	    !mx_range_ok(pos, refs_len, b->table_offset))
		return mx_diag_fail_at(b->diag, b->origin + off, -EBADMSG,
				       "plist: container of %llu objects runs past the objects",
				       (unsigned long long)count);
	for (uint64_t k = 0; k < nrefs; k++) {
		uint64_t ref = load_be(b->buf + pos + k * b->ref_size, b->ref_size);
		int r;

		if (ref >= b->n_objects)
			return mx_diag_fail_at(b->diag, b->origin + pos + k * b->ref_size, -EBADMSG,
					       "plist: reference to object %llu of %llu",
					       (unsigned long long)ref,
					       (unsigned long long)b->n_objects);
		/* a dictionary's first COUNT references are its keys */
		if (type == 0xd && k < count && !bplist_key_ok(b, ref))
			return mx_diag_fail_at(b->diag, b->origin + pos + k * b->ref_size, -EBADMSG,
					       "plist: dictionary key %llu is not a string "
					       "without nul",
					       (unsigned long long)ref);
		r = bplist_walk(b, ref, depth + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

static int bplist_precheck(const uint8_t *buf, size_t len, uint64_t origin,
			   struct macext_diag *diag)
{
	struct bplist b = {.buf = buf, .len = len, .origin = origin, .diag = diag};
	const uint8_t *t;
	uint64_t top, table_len;

	if (len < 8 + 32)
		return mx_diag_fail_at(diag, origin, -EBADMSG, "plist: binary plist truncated");
	t = buf + len - 32;
	b.offset_size = t[6];
	b.ref_size = t[7];
	b.n_objects = load_be(t + 8, 8);
	top = load_be(t + 16, 8);
	b.table_offset = load_be(t + 24, 8);
	b.budget = MX_PLIST_MAX_NODES;
	if (b.offset_size < 1 || b.offset_size > 8 || b.ref_size < 1 || b.ref_size > 8)
		return mx_diag_fail_at(diag, origin + len - 26, -EBADMSG,
				       "plist: offset size %u or reference size %u not 1-8",
				       b.offset_size, b.ref_size);
	if (b.n_objects == 0 || b.n_objects > MX_PLIST_MAX_NODES || top >= b.n_objects)
		return mx_diag_fail_at(diag, origin + len - 24, -EBADMSG,
				       "plist: %llu objects, top object %llu",
				       (unsigned long long)b.n_objects, (unsigned long long)top);
	table_len = b.n_objects * b.offset_size;
	if (b.table_offset < 8 || !mx_range_ok(b.table_offset, table_len, len - 32))
		return mx_diag_fail_at(diag, origin + len - 8, -EBADMSG,
				       "plist: offset table at %llu out of range",
				       (unsigned long long)b.table_offset);
	return bplist_walk(&b, top, 0);
}

int mx_plist_precheck(const uint8_t *buf, size_t len, bool binary, uint64_t origin,
		      struct macext_diag *diag)
{
	return binary ? bplist_precheck(buf, len, origin, diag)
		      : xml_precheck(buf, len, origin, diag);
}

/* ---- CMS: the way to eContent ------------------------------------------------------------ */

/* Appends the content octets of the OCTET STRING EL (primitive or constructed) to OUT. */
static int join_chunks(const struct mx_der *el, unsigned depth, uint8_t *out, size_t *n,
		       struct macext_diag *diag)
{
	struct mx_reader rd;
	struct mx_der c;
	int r;

	if (el->tag == MX_DER_OCTETSTRING) {
		memcpy(out + *n, el->val, el->val_len);
		*n += el->val_len;
		return 0;
	}
	if (el->tag != (MX_DER_OCTETSTRING | 0x20u))
		return mx_diag_fail_at(diag, el->offset, -EBADMSG,
				       "cms: eContent chunk has tag 0x%02x, not an octet string",
				       el->tag);
	mx_der_enter(el, &rd);
	while (mx_rd_left(&rd) > 0) {
		r = mx_der_next(&rd, depth + 1, &c, diag);
		if (r < 0)
			return r;
		r = join_chunks(&c, depth + 1, out, n, diag);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Walks ContentInfo > SignedData > encapContentInfo and leaves the plist bytes in
 * *RET_CONTENT (into BUF, or into p->joined) and their file offset in p->cms. */
static int cms_content(struct macext_profile *p, const uint8_t *buf, size_t len,
		       const uint8_t **ret_content, size_t *ret_len, struct macext_diag *diag)
{
	struct mx_reader rd, in;
	struct mx_der ci, oid, ctx, sd, el, eci, octets;
	int r;

	mx_rd_init(&rd, buf, len, 0);
	r = mx_der_next(&rd, 0, &ci, diag);
	if (r < 0)
		return r;
	p->cms.der = ci.raw;
	p->cms.der_len = ci.raw_len;
	p->cms.trailing = len - ci.raw_len;
	p->cms.ber = ci.indefinite;
	mx_der_enter(&ci, &in);
	r = mx_der_expect(&in, MX_DER_OID, &oid, diag);
	if (r < 0)
		return r;
	if (mx_der_is_oid(&oid, oid_enveloped_data, sizeof(oid_enveloped_data)))
		return mx_diag_fail_at(diag, oid.offset, -EBADMSG,
				       "cms: enveloped data at the top, not signed data");
	if (!mx_der_is_oid(&oid, oid_signed_data, sizeof(oid_signed_data)))
		return mx_diag_fail_at(diag, oid.offset, -EBADMSG,
				       "cms: content type is not signed data");
	r = mx_der_expect(&in, MX_DER_CTX0, &ctx, diag);
	if (r < 0)
		return r;
	mx_der_enter(&ctx, &in);
	r = mx_der_expect(&in, MX_DER_SEQUENCE, &sd, diag);
	if (r < 0)
		return r;
	p->cms.ber |= ctx.indefinite || sd.indefinite;
	mx_der_enter(&sd, &in);
	r = mx_der_expect(&in, MX_DER_INTEGER, &el, diag);
	if (r < 0)
		return r;
	r = mx_der_expect(&in, MX_DER_SET, &el, diag);
	if (r < 0)
		return r;
	r = mx_der_expect(&in, MX_DER_SEQUENCE, &eci, diag);
	if (r < 0)
		return r;
	p->cms.ber |= eci.indefinite;
	mx_der_enter(&eci, &in);
	r = mx_der_expect(&in, MX_DER_OID, &oid, diag);
	if (r < 0)
		return r;
	p->cms.data_type = mx_der_is_oid(&oid, oid_data, sizeof(oid_data));
	if (mx_rd_left(&in) == 0)
		return mx_diag_fail(diag, &in, -EBADMSG,
				    "cms: detached signature: no profile inside");
	r = mx_der_expect(&in, MX_DER_CTX0, &ctx, diag);
	if (r < 0)
		return r;
	mx_der_enter(&ctx, &in);
	r = mx_der_next(&in, CHUNK_DEPTH_BASE, &octets, diag);
	if (r < 0)
		return r;
	p->cms.content_offset = octets.val_offset;
	if (octets.tag == MX_DER_OCTETSTRING) {
		*ret_content = octets.val;
		*ret_len = octets.val_len;
		return 0;
	}
	/* constructed: the joined octets are never longer than the element's content */
	p->cms.ber = true;
	p->joined = mx_malloc(octets.val_len ? octets.val_len : 1);
	if (!p->joined)
		return -ENOMEM;
	*ret_len = 0;
	r = join_chunks(&octets, CHUNK_DEPTH_BASE, p->joined, ret_len, diag);
	if (r < 0)
		return r;
	*ret_content = p->joined;
	return 0;
}

/* ---- the whole reader --------------------------------------------------------------------- */

static int parse_plist(struct macext_profile *p, const uint8_t *buf, size_t len, uint64_t origin,
		       struct macext_diag *diag)
{
	enum mx_sniff s;
	plist_t root = NULL;
	size_t skip;
	int r;

	s = mx_mobileconfig_sniff(buf, len, &skip);
	if (s != MX_SNIFF_XML && s != MX_SNIFF_BINARY)
		return mx_diag_fail_at(diag, origin, -ENOEXEC,
				       "not a configuration profile: neither an xml plist, a "
				       "binary plist nor cms");
	p->plist_binary = s == MX_SNIFF_BINARY;
	p->plist_offset = origin + skip;
	r = mx_plist_precheck(buf + skip, len - skip, p->plist_binary, origin + skip, diag);
	if (r < 0)
		return r;
	plist_from_memory((const char *)buf + skip, (uint32_t)(len - skip), &root);
	if (!root)
		return mx_diag_fail_at(diag, origin + skip, -EBADMSG, "plist: %s plist malformed",
				       p->plist_binary ? "binary" : "xml");
	p->root = root;
	return 0;
}

int macext_profile_read(struct macext_profile **ret, const void *buf, size_t len,
			struct macext_diag *diag)
{
	struct macext_profile *p = NULL;
	const uint8_t *content = buf;
	size_t content_len = len, skip;
	uint64_t origin = 0;
	int r;

	if (!ret || (!buf && len))
		return -EINVAL;
	if (len > MX_PROFILE_MAX_SIZE)
		return mx_diag_fail_nopos(diag, -E2BIG, "profile of %zu bytes is over the %u limit",
					  len, MX_PROFILE_MAX_SIZE);
	p = mx_calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	switch (mx_mobileconfig_sniff(buf, len, &skip)) {
	case MX_SNIFF_XML:
		p->form = MACEXT_PROFILE_XML;
		break;
	case MX_SNIFF_BINARY:
		p->form = MACEXT_PROFILE_BINARY;
		break;
	case MX_SNIFF_CMS:
		p->form = MACEXT_PROFILE_CMS;
		r = cms_content(p, buf, len, &content, &content_len, diag);
		if (r < 0)
			goto out;
		origin = p->cms.content_offset;
		break;
	case MX_SNIFF_UNKNOWN:
		r = mx_diag_fail_at(diag, 0, -ENOEXEC,
				    "not a configuration profile: neither an xml plist, a binary "
				    "plist nor cms");
		goto out;
	}
	r = parse_plist(p, content, content_len, origin, diag);
	if (r < 0)
		goto out;
	*ret = p;
	p = NULL;
out:
	macext_profile_free(p);
	return r;
}

void macext_profile_free(struct macext_profile *p)
{
	if (!p)
		return;
	if (p->root)
		plist_free(p->root);
	mx_free(p->joined);
	mx_free(p);
}
