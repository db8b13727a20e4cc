/*
 * lib/format/requirement_write.c: writes the requirement set codesign makes by default for
 * a Developer ID identity (codesign.md §3.1-3.2, §3.6 form 1; fixtures.md §1.8).
 *
 *   SuperBlob 0xfade0c01 { length, count 1, index (type 3 designated, offset 20) }
 *   Requirement 0xfade0c00 { length, kind 1 (expression), expression }
 *   expression (prefix, right-nested ands, exactly as codesign encodes it):
 *     6 and, 2 ident "<id>",
 *       6 and, 15 anchor apple generic,
 *         6 and, 14 cert 1 generic OID 1.2.840.113635.100.6.2.6 match 0 (exists),
 *           6 and, 14 cert 0 generic OID 1.2.840.113635.100.6.1.13 match 0,
 *             11 cert 0 field "subject.OU" match 1 (equal) "<team>"
 * Strings and OIDs are u32 length, bytes, zero padding to 4. Ad-hoc: the empty set, 12 bytes.
 */
#include "format/cs_write.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format/cs_limits.h"
#include "format/superblob.h"
#include "util/alloc.h"
#include "util/endian.h"

#define OP_IDENT 2u
#define OP_AND 6u
#define OP_CERT_FIELD 11u
#define OP_CERT_GENERIC 14u
#define OP_APPLE_GENERIC_ANCHOR 15u
#define MATCH_EXISTS 0u
#define MATCH_EQUAL 1u
#define REQ_DESIGNATED 3u
#define REQ_KIND_EXPR 1u

/* 1.2.840.113635.100.6.2.6 and .6.1.13 as DER content bytes (codesign.md §3.1). */
static const uint8_t oid_devid_ca[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x06, 0x02, 0x06};
static const uint8_t oid_devid_app[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x06, 0x01, 0x0d};

struct out {
	uint8_t *p;
	size_t len;
};

static void u32(struct out *o, uint32_t v)
{
	if (o->p)
		mx_store_be32(o->p + o->len, v);
	o->len += 4;
}

static void data(struct out *o, const void *d, size_t n)
{
	size_t padded = (n + 3) & ~(size_t)3;

	u32(o, (uint32_t)n);
	if (o->p) {
		memcpy(o->p + o->len, d, n);
		memset(o->p + o->len + n, 0, padded - n);
	}
	o->len += padded;
}

/* Emits the expression (a sizing pass with O->p NULL, then the writing pass). */
static void expression(struct out *o, const char *ident, const char *team)
{
	u32(o, OP_AND);
	u32(o, OP_IDENT);
	data(o, ident, strlen(ident));
	u32(o, OP_AND);
	u32(o, OP_APPLE_GENERIC_ANCHOR);
	u32(o, OP_AND);
	u32(o, OP_CERT_GENERIC);
	u32(o, 1);
	data(o, oid_devid_ca, sizeof(oid_devid_ca));
	u32(o, MATCH_EXISTS);
	u32(o, OP_AND);
	u32(o, OP_CERT_GENERIC);
	u32(o, 0);
	data(o, oid_devid_app, sizeof(oid_devid_app));
	u32(o, MATCH_EXISTS);
	u32(o, OP_CERT_FIELD);
	u32(o, 0);
	data(o, "subject.OU", strlen("subject.OU"));
	u32(o, MATCH_EQUAL);
	data(o, team, strlen(team));
}

int mx_requirements_write(uint8_t **ret, size_t *ret_len, const char *ident, const char *team)
{
	struct out o = {NULL, 0};
	size_t total;
	uint8_t *b;

	if (!team) {
		b = mx_malloc(12);
		if (!b)
			return -ENOMEM;
		mx_store_be32(b, MX_CSMAGIC_REQUIREMENTS);
		mx_store_be32(b + 4, 12);
		mx_store_be32(b + 8, 0);
		*ret = b;
		*ret_len = 12;
		return 0;
	}
	if (strnlen(ident, MX_CS_MAX_IDENT + 1) > MX_CS_MAX_IDENT ||
	    strnlen(team, MX_CS_MAX_IDENT + 1) > MX_CS_MAX_IDENT)
		return -EINVAL;
	expression(&o, ident, team);
	total = 20 + 12 + o.len;
	b = mx_malloc(total);
	if (!b)
		return -ENOMEM;
	mx_store_be32(b, MX_CSMAGIC_REQUIREMENTS);
	mx_store_be32(b + 4, (uint32_t)total);
	mx_store_be32(b + 8, 1);
	mx_store_be32(b + 12, REQ_DESIGNATED);
	mx_store_be32(b + 16, 20);
	mx_store_be32(b + 20, MX_CSMAGIC_REQUIREMENT);
	mx_store_be32(b + 24, (uint32_t)(total - 20));
	mx_store_be32(b + 28, REQ_KIND_EXPR);
	o = (struct out){b + 32, 0};
	expression(&o, ident, team);
	*ret = b;
	*ret_len = total;
	return 0;
}
