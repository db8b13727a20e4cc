/*
 * lib/trust/requirement_eval.c: evaluating compiled code requirements (codesign.md §3)
 * against a verified signature.
 *
 * The program is the prefix form format/requirement.c decodes to text; here each expression
 * is evaluated to true/false while its operands are consumed. Both sides of `and`/`or` are
 * always evaluated, as Apple's interpreter does, so a malformed right-hand side is an error
 * even when the left decides (§3.2). Semantics (§3.2-3.5):
 *  - `identifier` compares the CD identifier; `cdhash` any CD's hash (first bytes);
 *  - `anchor apple generic`: the built chain ends at a pinned Apple root or a caller-supplied
 *    test anchor (a modeled Mac's, §3.5 [proposal]); `anchor apple`: an Apple root and the
 *    certificate just below it is "Apple Code Signing Certification Authority" / "Apple Inc."
 *    (macext has no trust cache);
 *  - certificate slots count from the leaf (0) or, negative, from the anchor (-1); a slot
 *    outside the chain is false (§3.4); `[field.OID]` tests an extension's presence,
 *    `[policy.OID]` a certificatePolicies entry, `[subject.X]` subject attributes (several
 *    values: any may match);
 *  - `info[...]` and `entitlement[...]` read the Info.plist / entitlements dictionaries;
 *  - user trust settings, named anchors/code, `notarized`, `legacy` and date fields are not
 *    modelled and evaluate to false;
 *  - unknown opcodes with opGenericFalse are false, with opGenericSkip they are skipped and
 *    the next expression decides; without either the program is unsupported (-ENOTSUP).
 * Recursion and the number of operations are bounded (cs_limits.h).
 */
#include "trust/requirement_eval.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "format/cs_limits.h"
#include "format/der.h"
#include "format/requirement.h"
#include "format/superblob.h"
#include "util/alloc.h"
#include "util/diag.h"
#include "util/endian.h"
#include "util/reader.h"

enum {
	OP_FALSE, OP_TRUE, OP_IDENT, OP_APPLE_ANCHOR, OP_ANCHOR_HASH, OP_INFO_KEY_VALUE, OP_AND,
	OP_OR, OP_CDHASH, OP_NOT, OP_INFO_KEY_FIELD, OP_CERT_FIELD, OP_TRUSTED_CERT,
	OP_TRUSTED_CERTS, OP_CERT_GENERIC, OP_APPLE_GENERIC_ANCHOR, OP_ENTITLEMENT_FIELD,
	OP_CERT_POLICY, OP_NAMED_ANCHOR, OP_NAMED_CODE, OP_PLATFORM, OP_NOTARIZED,
	OP_CERT_FIELD_DATE, OP_LEGACY_DEVID,
};
#define OP_GENERIC_FALSE 0x80000000u
#define OP_GENERIC_SKIP 0x40000000u

enum {
	M_EXISTS, M_EQUAL, M_CONTAINS, M_BEGINS, M_ENDS, M_LT, M_GT, M_LE, M_GE,
	M_DATE_FIRST = 9, M_DATE_LAST = 13, M_ABSENT = 14,
};

#define MAX_VALUES 32

struct ev {
	struct mx_reader rd;
	const struct mx_req_ctx *ctx;
	unsigned ops;
	struct macext_diag *diag;
};

struct match {
	uint32_t op;
	const uint8_t *arg;
	uint32_t arg_len;
};

static int truncated(struct ev *e)
{
	return mx_diag_fail(e->diag, &e->rd, -EBADMSG, "requirement: operand truncated");
}

static int rd_data(struct ev *e, const uint8_t **ret, uint32_t *ret_len)
{
	return mx_req_rd_data(&e->rd, ret, ret_len, e->diag);
}

static int rd_match(struct ev *e, struct match *m)
{
	uint64_t ts;

	m->arg = NULL;
	m->arg_len = 0;
	if (mx_rd_u32be(&e->rd, &m->op) < 0)
		return truncated(e);
	if (m->op == M_EXISTS || m->op == M_ABSENT)
		return 0;
	if (m->op >= M_DATE_FIRST && m->op <= M_DATE_LAST)
		return mx_rd_u64be(&e->rd, &ts) < 0 ? truncated(e) : 0;
	return rd_data(e, &m->arg, &m->arg_len);
}

/* Compares two strings with runs of digits compared as numbers. */
static int natural_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0, j = 0;

	while (i < an && j < bn) {
		if (a[i] >= '0' && a[i] <= '9' && b[j] >= '0' && b[j] <= '9') {
			size_t si = i, sj = j;

			while (si < an && a[si] == '0')
				si++;
			while (sj < bn && b[sj] == '0')
				sj++;
			i = si;
			j = sj;
			while (i < an && a[i] >= '0' && a[i] <= '9')
				i++;
			while (j < bn && b[j] >= '0' && b[j] <= '9')
				j++;
			if (i - si != j - sj)
				return i - si < j - sj ? -1 : 1;
			int c = memcmp(a + si, b + sj, i - si);
			if (c)
				return c < 0 ? -1 : 1;
			continue;
		}
		if (a[i] != b[j])
			return (unsigned char)a[i] < (unsigned char)b[j] ? -1 : 1;
		i++;
		j++;
	}
	if (i < an)
		return 1;
	return j < bn ? -1 : 0;
}

static bool match_one(const struct match *m, const char *v, size_t n)
{
	const char *a = (const char *)m->arg;
	size_t an = m->arg_len;
	int c;

	switch (m->op) {
	case M_EXISTS:
		return true;
	case M_EQUAL:
		return n == an && !memcmp(v, a, n);
	case M_CONTAINS:
		if (an == 0)
			return true;
		for (size_t i = 0; i + an <= n; i++)
			if (!memcmp(v + i, a, an))
				return true;
		return false;
	case M_BEGINS:
		return n >= an && !memcmp(v, a, an);
	case M_ENDS:
		return n >= an && !memcmp(v + n - an, a, an);
	case M_LT: case M_GT: case M_LE: case M_GE:
		c = natural_cmp(v, n, a, an);
		return m->op == M_LT ? c < 0 : m->op == M_GT ? c > 0 : m->op == M_LE ? c <= 0 : c >= 0;
	default:
		return false; /* dates and unknown operations never match */
	}
}

/* A match over a set of string values; an absent value matches only `absent`. */
static bool match_values(const struct match *m, const char *const *vals, const size_t *lens,
			 size_t n)
{
	if (m->op == M_ABSENT)
		return n == 0;
	for (size_t i = 0; i < n; i++)
		if (match_one(m, vals[i], lens[i]))
			return true;
	return false;
}

/* A match over a plist value (string, boolean, integer or an array of them). */
static bool match_plist(const struct match *m, plist_t v)
{
	char num[32];
	bool r = false;

	if (!v)
		return m->op == M_ABSENT;
	switch (plist_get_node_type(v)) {
	case PLIST_BOOLEAN: {
		uint8_t b = 0;

		plist_get_bool_val(v, &b);
		if (m->op == M_EXISTS)
			return b != 0;
		return m->op == M_EQUAL && m->arg_len == (b ? 4u : 5u) &&
		       !memcmp(m->arg, b ? "true" : "false", m->arg_len);
	}
	case PLIST_STRING: {
		uint64_t len64 = 0;
		const char *one = plist_get_string_ptr(v, &len64);
		size_t len = (size_t)len64;

		return one && match_values(m, &one, &len, 1);
	}
	case PLIST_UINT: {
		uint64_t u = 0;
		const char *one = num;
		size_t len;

		plist_get_uint_val(v, &u);
		snprintf(num, sizeof(num), "%llu", (unsigned long long)u);
		len = strlen(num);
		return match_values(m, &one, &len, 1);
	}
	case PLIST_ARRAY:
		for (uint32_t i = 0; !r && i < plist_array_get_size(v) && i < MAX_VALUES; i++)
			r = match_plist(m, plist_array_get_item(v, i));
		return r;
	default:
		return m->op == M_EXISTS;
	}
}

static X509 *cert_at(const struct mx_req_ctx *ctx, int32_t slot)
{
	int n = ctx->chain ? sk_X509_num(ctx->chain) : 0;
	int64_t i = slot < 0 ? (int64_t)n + slot : slot;

	if (i < 0 || i >= n)
		return NULL;
	return sk_X509_value(ctx->chain, (int)i);
}

static int rd_slot(struct ev *e, int32_t *slot)
{
	uint32_t v;

	if (mx_rd_u32be(&e->rd, &v) < 0)
		return truncated(e);
	*slot = (int32_t)v;
	return 0;
}

static ASN1_OBJECT *oid_object(const uint8_t *p, uint32_t n)
{
	char text[128];

	if (mx_der_oid_text(p, n, text, sizeof(text)) < 0)
		return NULL;
	return OBJ_txt2obj(text, 1);
}

static bool subject_field(X509 *x, const uint8_t *f, uint32_t fn, const struct match *m)
{
	static const struct {
		const char *name;
		int nid;
	} fields[] = {
		{"subject.C", NID_countryName},
		{"subject.CN", NID_commonName},
		{"subject.D", NID_description},
		{"subject.L", NID_localityName},
		{"subject.O", NID_organizationName},
		{"subject.OU", NID_organizationalUnitName},
		{"subject.ST", NID_stateOrProvinceName},
		{"subject.STREET", NID_streetAddress},
		{"subject.UID", NID_userId},
		{"email", NID_pkcs9_emailAddress},
	};
	const X509_NAME *name = X509_get_subject_name(x);
	const char *vals[MAX_VALUES];
	unsigned char *owned[MAX_VALUES];
	size_t lens[MAX_VALUES], n = 0;
	int nid = NID_undef;
	bool r;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strlen(fields[i].name) == fn && !memcmp(fields[i].name, f, fn))
			nid = fields[i].nid;
	if (nid == NID_undef)
		return false; /* an unknown field is false, not an error (§3.4) */
	for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0 && n < MAX_VALUES;
	     i = X509_NAME_get_index_by_NID(name, nid, i)) {
		unsigned char *u = NULL;
		int len = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));

		if (len < 0)
			continue;
		owned[n] = u;
		vals[n] = (const char *)u;
		lens[n++] = (size_t)len;
	}
	r = match_values(m, vals, lens, n);
	for (size_t i = 0; i < n; i++)
		OPENSSL_free(owned[i]);
	return r;
}

static bool has_policy(X509 *x, const ASN1_OBJECT *oid)
{
	CERTIFICATEPOLICIES *pol = X509_get_ext_d2i(x, NID_certificate_policies, NULL, NULL);
	bool r = false;

	for (int i = 0; pol && !r && i < sk_POLICYINFO_num(pol); i++)
		r = OBJ_cmp(sk_POLICYINFO_value(pol, i)->policyid, oid) == 0;
	CERTIFICATEPOLICIES_free(pol);
	return r;
}

static int cert_op(struct ev *e, uint32_t op, bool *ret)
{
	const uint8_t *p;
	uint32_t n;
	struct match m;
	int32_t slot = 0;
	X509 *x;
	int r = rd_slot(e, &slot);

	if (r == 0)
		r = rd_data(e, &p, &n);
	if (r == 0)
		r = rd_match(e, &m);
	if (r < 0)
		return r;
	x = cert_at(e->ctx, slot);
	*ret = false;
	if (!x)
		return 0;
	if (op == OP_CERT_FIELD) {
		*ret = subject_field(x, p, n, &m);
	} else if (op == OP_CERT_GENERIC || op == OP_CERT_POLICY) {
		ASN1_OBJECT *o = oid_object(p, n);
		bool present;

		if (!o)
			return mx_diag_fail(e->diag, &e->rd, -EBADMSG, "requirement: malformed oid");
		present = op == OP_CERT_GENERIC ? X509_get_ext_by_OBJ(x, o, -1) >= 0 : has_policy(x, o);
		ASN1_OBJECT_free(o);
		*ret = m.op == M_EXISTS ? present : m.op == M_ABSENT ? !present : false;
	}
	return 0;
}

static bool subject_is(X509 *x, int nid, const char *want)
{
	const X509_NAME *name = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	const ASN1_STRING *s;

	if (i < 0)
		return false;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	return (size_t)ASN1_STRING_length(s) == strlen(want) &&
	       !memcmp(ASN1_STRING_get0_data(s), want, strlen(want));
}

static bool apple_anchor(const struct mx_req_ctx *ctx)
{
	X509 *ca = cert_at(ctx, -2);

	return ctx->chain && ctx->anchor_apple && ca &&
	       subject_is(ca, NID_commonName, "Apple Code Signing Certification Authority") &&
	       subject_is(ca, NID_organizationName, "Apple Inc.");
}

static bool cdhash_is(const struct mx_req_ctx *ctx, const uint8_t *h, uint32_t n)
{
	for (size_t i = 0; n > 0 && i < ctx->ncdhashes; i++)
		if (n <= ctx->cdhash_lens[i] && !memcmp(ctx->cdhashes[i], h, n))
			return true;
	return false;
}

static bool anchor_hash(const struct mx_req_ctx *ctx, int32_t slot, const uint8_t *h, uint32_t n)
{
	X509 *x = cert_at(ctx, slot);
	uint8_t fp[EVP_MAX_MD_SIZE];
	unsigned fl = 0;

	return x && X509_digest(x, EVP_sha1(), fp, &fl) && fl == n && !memcmp(fp, h, n);
}

static plist_t dict_item(plist_t dict, const uint8_t *key, uint32_t n)
{
	char buf[256];

	if (!dict || plist_get_node_type(dict) != PLIST_DICT || n >= sizeof(buf) ||
	    memchr(key, 0, n))
		return NULL;
	memcpy(buf, key, n);
	buf[n] = '\0';
	return plist_dict_get_item(dict, buf);
}

static int eval(struct ev *e, unsigned depth, bool *ret);

static int eval_generic(struct ev *e, uint32_t op, unsigned depth, bool *ret)
{
	int r = mx_req_skip_generic(&e->rd, op, -ENOTSUP, e->diag);

	if (r < 0)
		return r;
	if (op & OP_GENERIC_FALSE) {
		*ret = false;
		return 0;
	}
	return eval(e, depth + 1, ret);
}

static int eval(struct ev *e, unsigned depth, bool *ret)
{
	const struct mx_req_ctx *ctx = e->ctx;
	const uint8_t *p, *q;
	uint32_t op, n, qn;
	struct match m;
	int32_t slot = 0;
	bool a, b;
	int r;

	r = mx_req_rd_op(&e->rd, depth, &e->ops, &op, e->diag);
	if (r < 0)
		return r;
	*ret = false;
	switch (op) {
	case OP_FALSE:
	case OP_TRUSTED_CERTS:
	case OP_NOTARIZED:
	case OP_LEGACY_DEVID:
		return 0;
	case OP_TRUE:
		*ret = true;
		return 0;
	case OP_IDENT:
		r = rd_data(e, &p, &n);
		*ret = r == 0 && ctx->identifier && strlen(ctx->identifier) == n &&
		       !memcmp(ctx->identifier, p, n);
		return r;
	case OP_APPLE_ANCHOR:
		*ret = apple_anchor(ctx);
		return 0;
	case OP_APPLE_GENERIC_ANCHOR:
		*ret = ctx->chain && (ctx->anchor_apple || ctx->anchor_test);
		return 0;
	case OP_ANCHOR_HASH:
		r = rd_slot(e, &slot);
		if (r == 0)
			r = rd_data(e, &p, &n);
		*ret = r == 0 && anchor_hash(ctx, slot, p, n);
		return r;
	case OP_INFO_KEY_VALUE:
		r = rd_data(e, &p, &n);
		if (r == 0)
			r = rd_data(e, &q, &qn);
		if (r == 0) {
			m = (struct match){.op = M_EQUAL, .arg = q, .arg_len = qn};
			*ret = match_plist(&m, dict_item(ctx->info, p, n)) && dict_item(ctx->info, p, n);
		}
		return r;
	case OP_AND:
	case OP_OR:
		r = eval(e, depth + 1, &a);
		if (r == 0)
			r = eval(e, depth + 1, &b);
		*ret = r == 0 && (op == OP_AND ? a && b : a || b);
		return r;
	case OP_CDHASH:
		r = rd_data(e, &p, &n);
		*ret = r == 0 && cdhash_is(ctx, p, n);
		return r;
	case OP_NOT:
		r = eval(e, depth + 1, &a);
		*ret = r == 0 && !a;
		return r;
	case OP_INFO_KEY_FIELD:
	case OP_ENTITLEMENT_FIELD:
		r = rd_data(e, &p, &n);
		if (r == 0)
			r = rd_match(e, &m);
		if (r == 0)
			*ret = match_plist(&m, dict_item(op == OP_INFO_KEY_FIELD ? ctx->info
										 : ctx->entitlements,
							 p, n));
		return r;
	case OP_CERT_FIELD:
	case OP_CERT_GENERIC:
	case OP_CERT_POLICY:
		return cert_op(e, op, ret);
	case OP_CERT_FIELD_DATE:
		r = rd_slot(e, &slot);
		if (r == 0)
			r = rd_data(e, &p, &n);
		if (r == 0)
			r = rd_match(e, &m);
		return r;
	case OP_TRUSTED_CERT:
		return rd_slot(e, &slot);
	case OP_NAMED_ANCHOR:
	case OP_NAMED_CODE:
		return rd_data(e, &p, &n);
	case OP_PLATFORM:
		r = rd_slot(e, &slot);
		*ret = r == 0 && slot == (int32_t)ctx->platform;
		return r;
	default:
		return eval_generic(e, op, depth, ret);
	}
}

int mx_req_eval(const uint8_t *buf, size_t len, uint64_t origin, const struct mx_req_ctx *ctx,
		bool *ret, struct macext_diag *diag)
{
	struct ev e = {.ctx = ctx, .diag = diag};
	uint32_t length;
	int r;

	*ret = false;
	if (len < 12 || mx_load_be32(buf) != MX_CSMAGIC_REQUIREMENT)
		return mx_diag_fail_at(diag, origin, -EBADMSG, "requirement: not a requirement blob");
	length = mx_load_be32(buf + 4);
	if (length < 12 || length > len)
		return mx_diag_fail_at(diag, origin + 4, -EBADMSG,
				       "requirement: length %u outside %zu bytes", length, len);
	if (mx_load_be32(buf + 8) != 1)
		return mx_diag_fail_at(diag, origin + 8, -EBADMSG,
				       "requirement: kind %u is not an expression",
				       mx_load_be32(buf + 8));
	mx_rd_init(&e.rd, buf + 12, length - 12, origin + 12);
	r = eval(&e, 0, ret);
	if (r == 0 && mx_rd_left(&e.rd) != 0)
		r = mx_diag_fail(diag, &e.rd, -EBADMSG, "requirement: %zu bytes after the expression",
				 mx_rd_left(&e.rd));
	if (r < 0)
		*ret = false;
	return r;
}

int mx_req_find(const uint8_t *buf, size_t len, uint64_t origin, uint32_t type,
		const uint8_t **ret_p, size_t *ret_len, uint64_t *ret_off, struct macext_diag *diag)
{
	struct mx_superblob *sb = mx_calloc(1, sizeof(*sb));
	const struct mx_cs_blob *b;
	int r;

	if (!sb)
		return -ENOMEM;
	r = mx_superblob_parse(sb, buf, len, origin, MX_CSMAGIC_REQUIREMENTS, diag);
	if (r == 0) {
		b = mx_superblob_find(sb, type);
		if (b) {
			*ret_p = b->data;
			*ret_len = b->len;
			*ret_off = b->offset;
			r = 1;
		}
	}
	free(sb);
	return r;
}

/* A tiny emitter for the fixed kext requirement. */
struct emit {
	uint8_t *p;
	size_t cap, len;
};

static void put32(struct emit *o, uint32_t v)
{
	if (o->len + 4 <= o->cap)
		mx_store_be32(o->p + o->len, v);
	o->len += 4;
}

static void put_generic(struct emit *o, int32_t slot, const uint8_t *oid, uint32_t n)
{
	put32(o, OP_CERT_GENERIC);
	put32(o, (uint32_t)slot);
	put32(o, n);
	for (uint32_t i = 0; i < n; i += 4) {
		uint8_t w[4] = {0};

		memcpy(w, oid + i, n - i < 4 ? n - i : 4);
		put32(o, mx_load_be32(w));
	}
	put32(o, M_EXISTS);
}

size_t mx_req_kext(uint8_t *buf, size_t cap, const char *bundle_id)
{
	static const uint8_t devid_ca[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x06, 0x02, 0x06};
	static const uint8_t devid_app[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x06, 0x01, 0x0d};
	static const uint8_t devid_kext[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x06, 0x01, 0x12};
	struct emit o = {.p = buf, .cap = cap};

	put32(&o, MX_CSMAGIC_REQUIREMENT);
	put32(&o, 0); /* length, patched below */
	put32(&o, 1);
	if (bundle_id && !strncmp(bundle_id, "com.apple.", 10)) {
		put32(&o, OP_APPLE_ANCHOR);
	} else {
		/* anchor apple generic and cert 1[6.2.6] and leaf[6.1.13] and leaf[6.1.18] */
		put32(&o, OP_AND);
		put32(&o, OP_APPLE_GENERIC_ANCHOR);
		put32(&o, OP_AND);
		put_generic(&o, 1, devid_ca, sizeof(devid_ca));
		put32(&o, OP_AND);
		put_generic(&o, 0, devid_app, sizeof(devid_app));
		put_generic(&o, 0, devid_kext, sizeof(devid_kext));
	}
	if (o.len <= cap)
		mx_store_be32(buf + 4, (uint32_t)o.len);
	return o.len;
}
