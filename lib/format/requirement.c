/*
 * lib/format/requirement.c: compiled code requirements to text (codesign.md §3).
 *
 *   requirement blob: magic 0xfade0c00, length u32, kind u32 (1 = expression), expression
 *   expression: prefix program of u32 BE opcodes, operands after their opcode:
 *     int    i32
 *     data   u32 length, bytes, zero padding to a multiple of 4 (not counted)
 *     match  u32 match op, then a data operand unless the op is exists/absent; date ops take
 *            an 8-byte timestamp (seconds since 2001-01-01)
 *   opcode top byte: 0x80000000 generic-false, 0x40000000 generic-skip: a u32 size follows
 *   and an evaluator that does not know the opcode skips that many bytes
 *
 * Text: `and` binds tighter than `or`, so an `or` under an `and` is parenthesised; `!`
 * parenthesises a compound operand. Identifiers are always quoted; other values are bare
 * when they are a plain word (a letter, then letters and digits) and quoted otherwise
 * (codesign.md §3.6). Recursion is bounded by MX_CS_MAX_REQ_DEPTH and the number of
 * operations by MX_CS_MAX_REQ_OPS.
 */
#include "format/requirement.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/cs_limits.h"
#include "format/der.h"
#include "format/superblob.h"
#include "util/alloc.h"
#include "util/diag.h"
#include "util/endian.h"
#include "util/reader.h"
#include "util/strbuf.h"

enum {
	OP_FALSE, OP_TRUE, OP_IDENT, OP_APPLE_ANCHOR, OP_ANCHOR_HASH, OP_INFO_KEY_VALUE, OP_AND,
	OP_OR, OP_CDHASH, OP_NOT, OP_INFO_KEY_FIELD, OP_CERT_FIELD, OP_TRUSTED_CERT,
	OP_TRUSTED_CERTS, OP_CERT_GENERIC, OP_APPLE_GENERIC_ANCHOR, OP_ENTITLEMENT_FIELD,
	OP_CERT_POLICY, OP_NAMED_ANCHOR, OP_NAMED_CODE, OP_PLATFORM, OP_NOTARIZED,
	OP_CERT_FIELD_DATE, OP_LEGACY_DEVID,
};
#define OP_GENERIC_FALSE 0x80000000u
#define OP_GENERIC_SKIP 0x40000000u
#define OP_FLAG_MASK 0xff000000u

struct dec {
	struct mx_reader rd;
	struct mx_sb out;
	unsigned ops;
	struct macext_diag *diag;
};

int mx_req_rd_data(struct mx_reader *rd, const uint8_t **ret, uint32_t *ret_len,
		   struct macext_diag *diag)
{
	uint32_t n;
	size_t pad;

	if (mx_rd_u32be(rd, &n) < 0)
		return mx_diag_fail(diag, rd, -EBADMSG, "requirement: operand truncated");
	if (n > mx_rd_left(rd))
		return mx_diag_fail(diag, rd, -EBADMSG, "requirement: data of %u bytes past the end",
				    n);
	mx_rd_bytes(rd, n, ret);
	pad = (4 - (n & 3u)) & 3u;
	if (pad > mx_rd_left(rd))
		pad = mx_rd_left(rd);
	mx_rd_skip(rd, pad);
	*ret_len = n;
	return 0;
}

int mx_req_rd_op(struct mx_reader *rd, unsigned depth, unsigned *ops, uint32_t *op,
		 struct macext_diag *diag)
{
	if (depth >= MX_CS_MAX_REQ_DEPTH)
		return mx_diag_fail(diag, rd, -E2BIG, "requirement: nesting deeper than %u",
				    MX_CS_MAX_REQ_DEPTH);
	if (++*ops > MX_CS_MAX_REQ_OPS)
		return mx_diag_fail(diag, rd, -E2BIG, "requirement: over %u operations",
				    MX_CS_MAX_REQ_OPS);
	if (mx_rd_u32be(rd, op) < 0)
		return mx_diag_fail(diag, rd, -EBADMSG, "requirement: expression truncated");
	return 0;
}

int mx_req_skip_generic(struct mx_reader *rd, uint32_t op, int unknown,
			struct macext_diag *diag)
{
	uint32_t size;

	if (!(op & (OP_GENERIC_FALSE | OP_GENERIC_SKIP)))
		return mx_diag_fail(diag, rd, unknown, "requirement: unknown opcode 0x%08x", op);
	if (mx_rd_u32be(rd, &size) < 0 || mx_rd_skip(rd, size) < 0)
		return mx_diag_fail(diag, rd, -EBADMSG,
				    "requirement: opcode 0x%08x skips past the end", op);
	return 0;
}

static int rd_data(struct dec *d, const uint8_t **ret, uint32_t *ret_len)
{
	return mx_req_rd_data(&d->rd, ret, ret_len, d->diag);
}

static bool plain_word(const uint8_t *p, uint32_t n)
{
	if (n == 0 || !((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z')))
		return false;
	for (uint32_t i = 1; i < n; i++) {
		uint8_t c = p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

static void put_quoted(struct mx_sb *b, const uint8_t *p, uint32_t n)
{
	mx_sb_add(b, "\"");
	for (uint32_t i = 0; i < n; i++) {
		if (p[i] == '"' || p[i] == '\\')
			mx_sb_add(b, "\\%c", p[i]);
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			mx_sb_add(b, "\\x%02x", p[i]);
		else
			mx_sb_add(b, "%c", p[i]);
	}
	mx_sb_add(b, "\"");
}

static void put_value(struct mx_sb *b, const uint8_t *p, uint32_t n)
{
	if (plain_word(p, n))
		mx_sb_add(b, "%.*s", (int)n, (const char *)p);
	else
		put_quoted(b, p, n);
}

static int put_string_op(struct dec *d, bool quote_always)
{
	const uint8_t *p;
	uint32_t n;
	int r = rd_data(d, &p, &n);

	if (r < 0)
		return r;
	if (quote_always)
		put_quoted(&d->out, p, n);
	else
		put_value(&d->out, p, n);
	return 0;
}

static int put_hash(struct dec *d)
{
	const uint8_t *p;
	uint32_t n;
	int r = rd_data(d, &p, &n);

	if (r < 0)
		return r;
	mx_sb_add(&d->out, "H\"");
	for (uint32_t i = 0; i < n; i++)
		mx_sb_add(&d->out, "%02x", p[i]);
	mx_sb_add(&d->out, "\"");
	return 0;
}

static int put_oid(struct dec *d)
{
	char text[128];
	const uint8_t *p;
	uint32_t n;
	int r = rd_data(d, &p, &n);

	if (r < 0)
		return r;
	if (mx_der_oid_text(p, n, text, sizeof(text)) < 0)
		return mx_diag_fail(d->diag, &d->rd, -EBADMSG, "requirement: malformed oid");
	mx_sb_add(&d->out, "%s", text);
	return 0;
}

static int put_slot(struct dec *d)
{
	uint32_t v;
	int32_t slot;

	if (mx_rd_u32be(&d->rd, &v) < 0)
		return mx_diag_fail(d->diag, &d->rd, -EBADMSG, "requirement: slot truncated");
	slot = (int32_t)v;
	if (slot == 0)
		mx_sb_add(&d->out, "leaf");
	else if (slot == -1)
		mx_sb_add(&d->out, "root");
	else
		mx_sb_add(&d->out, "%d", slot);
	return 0;
}

static int put_match(struct dec *d)
{
	static const char *const cmp[] = {"<", ">", "<=", ">="};
	static const char *const date[] = {"=", "<", ">", "<=", ">="};
	uint64_t ts;
	int64_t unix_ts;
	uint32_t m;

	if (mx_rd_u32be(&d->rd, &m) < 0)
		return mx_diag_fail(d->diag, &d->rd, -EBADMSG, "requirement: match truncated");
	switch (m) {
	case 0:
		mx_sb_add(&d->out, " /* exists */");
		return 0;
	case 14:
		mx_sb_add(&d->out, " absent");
		return 0;
	case 1:
		mx_sb_add(&d->out, " = ");
		return put_string_op(d, false);
	case 2:
		mx_sb_add(&d->out, " ~ ");
		return put_string_op(d, false);
	case 3: case 4: {
		const uint8_t *p;
		uint32_t n;
		int r = rd_data(d, &p, &n);

		if (r < 0)
			return r;
		mx_sb_add(&d->out, m == 3 ? " = \"%.*s*\"" : " = \"*%.*s\"", (int)n, (const char *)p);
		return 0;
	}
	case 5: case 6: case 7: case 8:
		mx_sb_add(&d->out, " %s ", cmp[m - 5]);
		return put_string_op(d, false);
	case 9: case 10: case 11: case 12: case 13:
		if (mx_rd_u64be(&d->rd, &ts) < 0)
			return mx_diag_fail(d->diag, &d->rd, -EBADMSG,
					    "requirement: timestamp truncated");
		/* Seconds since 2001-01-01 (978307200 after the Unix epoch); a value that does
		 * not fit a Unix time is malformed, not something to wrap. A plain comparison:
		 * clang-14's UBSan reports __builtin_add_overflow on int64_t here. */
		if ((int64_t)ts > INT64_MAX - 978307200)
			return mx_diag_fail(d->diag, &d->rd, -EBADMSG,
					    "requirement: timestamp out of range");
		unix_ts = (int64_t)ts + 978307200;
		mx_sb_add(&d->out, " %s timestamp \"%lld\"", date[m - 9], (long long)unix_ts);
		return 0;
	default:
		return mx_diag_fail(d->diag, &d->rd, -EBADMSG,
				    "requirement: unknown match operation %u", m);
	}
}

static int expr(struct dec *d, unsigned depth);

/* Decodes the operand of and/or, parenthesising an `or` under an `and`. */
static int operand(struct dec *d, unsigned depth, bool under_and)
{
	bool paren = false;
	int r;

	if (under_and && mx_rd_left(&d->rd) >= 4 &&
	    mx_load_be32(d->rd.p + d->rd.pos) == OP_OR)
		paren = true;
	if (paren)
		mx_sb_add(&d->out, "(");
	r = expr(d, depth + 1);
	if (paren)
		mx_sb_add(&d->out, ")");
	return r;
}

static int generic(struct dec *d, uint32_t op)
{
	int r = mx_req_skip_generic(&d->rd, op, -EBADMSG, d->diag);

	if (r < 0)
		return r;
	mx_sb_add(&d->out, "/* unknown opcode 0x%08x */ %s", op,
	    (op & OP_GENERIC_FALSE) ? "never" : "always");
	return 0;
}

static int binary(struct dec *d, uint32_t op, unsigned depth)
{
	int r = operand(d, depth, op == OP_AND);

	if (r < 0)
		return r;
	mx_sb_add(&d->out, op == OP_AND ? " and " : " or ");
	return operand(d, depth, op == OP_AND);
}

static int cert_op(struct dec *d, uint32_t op)
{
	int r;

	mx_sb_add(&d->out, "certificate ");
	r = put_slot(d);
	if (r < 0)
		return r;
	if (op == OP_CERT_FIELD) {
		const uint8_t *p;
		uint32_t n;

		r = rd_data(d, &p, &n);
		if (r < 0)
			return r;
		mx_sb_add(&d->out, "[%.*s]", (int)n, (const char *)p);
		return put_match(d);
	}
	mx_sb_add(&d->out, op == OP_CERT_GENERIC ? "[field." : op == OP_CERT_POLICY ? "[policy." :
									       "[timestamp.");
	r = put_oid(d);
	if (r < 0)
		return r;
	mx_sb_add(&d->out, "]");
	return put_match(d);
}

static int expr(struct dec *d, unsigned depth)
{
	uint32_t op, v;
	int r;

	r = mx_req_rd_op(&d->rd, depth, &d->ops, &op, d->diag);
	if (r < 0)
		return r;
	switch (op) {
	case OP_FALSE:
		mx_sb_add(&d->out, "never");
		return 0;
	case OP_TRUE:
		mx_sb_add(&d->out, "always");
		return 0;
	case OP_IDENT:
		mx_sb_add(&d->out, "identifier ");
		return put_string_op(d, true);
	case OP_APPLE_ANCHOR:
		mx_sb_add(&d->out, "anchor apple");
		return 0;
	case OP_APPLE_GENERIC_ANCHOR:
		mx_sb_add(&d->out, "anchor apple generic");
		return 0;
	case OP_ANCHOR_HASH:
		if (mx_rd_u32be(&d->rd, &v) < 0)
			return mx_diag_fail(d->diag, &d->rd, -EBADMSG, "requirement: truncated");
		if ((int32_t)v == -1)
			mx_sb_add(&d->out, "anchor = ");
		else if (v == 0)
			mx_sb_add(&d->out, "certificate leaf = ");
		else
			mx_sb_add(&d->out, "certificate %d = ", (int32_t)v);
		return put_hash(d);
	case OP_INFO_KEY_VALUE: {
		const uint8_t *key;

		r = rd_data(d, &key, &v);
		if (r < 0)
			return r;
		mx_sb_add(&d->out, "info[%.*s] = ", (int)v, (const char *)key);
		return put_string_op(d, true);
	}
	case OP_AND:
	case OP_OR:
		return binary(d, op, depth);
	case OP_CDHASH:
		mx_sb_add(&d->out, "cdhash ");
		return put_hash(d);
	case OP_NOT: {
		bool paren = mx_rd_left(&d->rd) >= 4 &&
			     (mx_load_be32(d->rd.p + d->rd.pos) == OP_AND ||
			      mx_load_be32(d->rd.p + d->rd.pos) == OP_OR);

		mx_sb_add(&d->out, paren ? "! (" : "! ");
		r = expr(d, depth + 1);
		if (paren)
			mx_sb_add(&d->out, ")");
		return r;
	}
	case OP_INFO_KEY_FIELD:
	case OP_ENTITLEMENT_FIELD: {
		const uint8_t *p;
		uint32_t n;

		r = rd_data(d, &p, &n);
		if (r < 0)
			return r;
		if (op == OP_INFO_KEY_FIELD)
			mx_sb_add(&d->out, "info[%.*s]", (int)n, (const char *)p);
		else
			mx_sb_add(&d->out, "entitlement[\"%.*s\"]", (int)n, (const char *)p);
		return put_match(d);
	}
	case OP_CERT_FIELD:
	case OP_CERT_GENERIC:
	case OP_CERT_POLICY:
	case OP_CERT_FIELD_DATE:
		return cert_op(d, op);
	case OP_TRUSTED_CERT:
		mx_sb_add(&d->out, "certificate ");
		r = put_slot(d);
		mx_sb_add(&d->out, " trusted");
		return r;
	case OP_TRUSTED_CERTS:
		mx_sb_add(&d->out, "anchor trusted");
		return 0;
	case OP_NAMED_ANCHOR:
		mx_sb_add(&d->out, "anchor apple ");
		return put_string_op(d, false);
	case OP_NAMED_CODE:
		mx_sb_add(&d->out, "(");
		r = put_string_op(d, false);
		mx_sb_add(&d->out, ")");
		return r;
	case OP_PLATFORM:
		if (mx_rd_u32be(&d->rd, &v) < 0)
			return mx_diag_fail(d->diag, &d->rd, -EBADMSG, "requirement: truncated");
		mx_sb_add(&d->out, "platform = %d", (int32_t)v);
		return 0;
	case OP_NOTARIZED:
		mx_sb_add(&d->out, "notarized");
		return 0;
	case OP_LEGACY_DEVID:
		mx_sb_add(&d->out, "legacy");
		return 0;
	default:
		return generic(d, op);
	}
}

int mx_requirement_text(char **ret, const uint8_t *buf, size_t len, uint64_t origin,
			struct macext_diag *diag)
{
	struct dec d = {.diag = diag};
	uint32_t magic, length, kind;
	int r;

	if (len < 12)
		return mx_diag_fail_at(diag, origin, -EBADMSG, "requirement: %zu bytes", len);
	magic = mx_load_be32(buf);
	length = mx_load_be32(buf + 4);
	kind = mx_load_be32(buf + 8);
	if (magic != MX_CSMAGIC_REQUIREMENT)
		return mx_diag_fail_at(diag, origin, -EBADMSG,
				       "requirement: magic 0x%08x, expected 0xfade0c00", magic);
	if (length < 12 || length > len)
		return mx_diag_fail_at(diag, origin + 4, -EBADMSG,
				       "requirement: length %u outside %zu bytes", length, len);
	if (kind != 1)
		return mx_diag_fail_at(diag, origin + 8, -EBADMSG,
				       "requirement: kind %u is not an expression", kind);
	mx_rd_init(&d.rd, buf + 12, length - 12, origin + 12);
	r = expr(&d, 0);
	if (r == 0 && mx_rd_left(&d.rd) != 0)
		r = mx_diag_fail(diag, &d.rd, -EBADMSG, "requirement: %zu bytes after the expression",
				 mx_rd_left(&d.rd));
	if (r < 0) {
		mx_sb_free(&d.out);
		return r;
	}
	*ret = mx_sb_take(&d.out);
	return *ret ? 0 : -ENOMEM;
}

const char *mx_requirement_type_name(uint32_t type)
{
	static const char *const names[] = {"host", "guest", "designated", "library", "plugin"};

	return type >= 1 && type <= 5 ? names[type - 1] : "unknown";
}

int mx_requirements_text(char **ret, const uint8_t *buf, size_t len, uint64_t origin,
			 struct macext_diag *diag)
{
	struct mx_superblob *sb = mx_calloc(1, sizeof(*sb));
	struct mx_sb out = MX_SB_INIT;
	char *text = NULL;
	int r;

	if (!sb)
		return -ENOMEM;
	r = mx_superblob_parse(sb, buf, len, origin, MX_CSMAGIC_REQUIREMENTS, diag);
	if (r < 0)
		goto out;
	if (sb->count > MX_CS_MAX_REQS) {
		r = mx_diag_fail_at(diag, origin + 8, -E2BIG, "requirements: %zu entries", sb->count);
		goto out;
	}
	for (size_t i = 0; i < sb->count; i++) {
		const struct mx_cs_blob *b = &sb->blobs[i];

		r = mx_requirement_text(&text, b->data, b->len, b->offset, diag);
		if (r < 0)
			goto out;
		mx_sb_add(&out, "%s => %s\n", mx_requirement_type_name(b->type), text);
		free(text);
		text = NULL;
	}
	*ret = mx_sb_take(&out);
	r = *ret ? 0 : -ENOMEM;
out:
	mx_sb_free(&out);
	free(sb);
	return r;
}
