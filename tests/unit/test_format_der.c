/* Unit tests for lib/format/der.c, requirement.c and cms.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format/cms.h"
#include "format/cs_limits.h"
#include "format/der.h"
#include "format/requirement.h"
#include "util/endian.h"
#include "util/reader.h"

static void test_der_definite_and_indefinite(void **state)
{
	/* SEQUENCE (indefinite) { INTEGER 5, SET { NULL } } 00 00, then OCTET STRING "ab" */
	static const uint8_t b[] = {0x30, 0x80, 0x02, 0x01, 0x05, 0x31, 0x02, 0x05, 0x00,
				    0x00, 0x00, 0x04, 0x02, 'a',  'b'};
	struct mx_reader rd, in;
	struct mx_der el, c;

	(void)state;
	mx_rd_init(&rd, b, sizeof(b), 50);
	assert_int_equal(mx_der_next(&rd, 0, &el, NULL), 0);
	assert_true(el.indefinite);
	assert_int_equal(el.raw_len, 11);
	assert_int_equal(el.val_len, 7);
	assert_int_equal(el.offset, 50);
	assert_int_equal(el.val_offset, 52);
	mx_der_enter(&el, &in);
	assert_int_equal(mx_der_expect(&in, MX_DER_INTEGER, &c, NULL), 0);
	assert_int_equal(c.val[0], 5);
	assert_int_equal(mx_der_expect(&in, MX_DER_SET, &c, NULL), 0);
	assert_int_equal(c.raw_len, 4);
	assert_int_equal(mx_rd_left(&in), 0);
	assert_int_equal(mx_der_expect(&rd, MX_DER_OCTETSTRING, &el, NULL), 0);
	assert_memory_equal(el.val, "ab", 2);
	assert_int_equal(el.offset, 61);
}

static void test_der_hostile(void **state)
{
	static const uint8_t past[] = {0x30, 0x05, 0x02, 0x01, 0x00};
	static const uint8_t no_eoc[] = {0x30, 0x80, 0x02, 0x01, 0x00};
	static const uint8_t prim_indef[] = {0x04, 0x80, 0x00, 0x00};
	static const uint8_t long_len[] = {0x04, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9};
	static const uint8_t huge[] = {0x04, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t high_tag[] = {0x1f, 0x81, 0x01, 0x00};
	uint8_t deep[2 * 200 + 2];
	struct macext_diag d = {0};
	struct mx_reader rd;
	struct mx_der el;

	(void)state;
	mx_rd_init(&rd, past, sizeof(past), 10);
	assert_int_equal(mx_der_next(&rd, 0, &el, &d), -EBADMSG);
	assert_int_equal(d.offset, 12);
	assert_int_equal(rd.pos, 0);
	mx_rd_init(&rd, no_eoc, sizeof(no_eoc), 0);
	assert_int_equal(mx_der_next(&rd, 0, &el, &d), -EBADMSG);
	assert_non_null(strstr(d.msg, "without end-of-contents"));
	assert_int_equal(d.offset, 5);
	mx_rd_init(&rd, prim_indef, sizeof(prim_indef), 0);
	assert_int_equal(mx_der_next(&rd, 0, &el, &d), -EBADMSG);
	assert_non_null(strstr(d.msg, "primitive"));
	mx_rd_init(&rd, long_len, sizeof(long_len), 0);
	assert_int_equal(mx_der_next(&rd, 0, &el, &d), -EBADMSG);
	mx_rd_init(&rd, huge, sizeof(huge), 0);
	assert_int_equal(mx_der_next(&rd, 0, &el, &d), -EBADMSG);
	mx_rd_init(&rd, high_tag, sizeof(high_tag), 0);
	assert_int_equal(mx_der_next(&rd, 0, &el, &d), -EBADMSG);
	/* 200 nested indefinite SEQUENCEs: over MX_DER_MAX_DEPTH */
	for (size_t i = 0; i < 200; i++) {
		deep[2 * i] = 0x30;
		deep[2 * i + 1] = 0x80;
	}
	deep[400] = 0;
	deep[401] = 0;
	mx_rd_init(&rd, deep, sizeof(deep), 0);
	assert_int_equal(mx_der_next(&rd, 0, &el, &d), -E2BIG);
	assert_int_equal(d.code, -E2BIG);
	assert_int_equal(d.offset, 2 * MX_DER_MAX_DEPTH);
	/* empty input */
	mx_rd_init(&rd, deep, 0, 0);
	assert_int_equal(mx_der_next(&rd, 0, &el, &d), -EBADMSG);
}

static void test_der_oid_time(void **state)
{
	static const uint8_t oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x06, 0x02, 0x06};
	static const uint8_t bad_oid[] = {0x2a, 0x86};
	static const uint8_t utc[] = {0x17, 0x0d, '1', '9', '1', '2', '0', '5', '1',
				      '2', '3', '1', '1', '9', 'Z'};
	static const uint8_t gen[] = {0x18, 0x11, '2', '0', '2', '6', '0', '9', '1', '6', '1',
				      '4', '1', '6', '5', '6', '.', '5', 'Z'};
	struct mx_reader rd;
	struct mx_der el;
	char text[64];
	int64_t t;

	(void)state;
	assert_int_equal(mx_der_oid_text(oid, sizeof(oid), text, sizeof(text)), 0);
	assert_string_equal(text, "1.2.840.113635.100.6.2.6");
	assert_int_equal(mx_der_oid_text(bad_oid, sizeof(bad_oid), text, sizeof(text)), -EBADMSG);
	mx_rd_init(&rd, utc, sizeof(utc), 0);
	assert_int_equal(mx_der_next(&rd, 0, &el, NULL), 0);
	assert_int_equal(mx_der_time(&el, &t), 0);
	assert_int_equal(t, 1575549079); /* 2019-12-05T12:31:19Z */
	mx_rd_init(&rd, gen, sizeof(gen), 0);
	assert_int_equal(mx_der_next(&rd, 0, &el, NULL), 0);
	assert_int_equal(mx_der_time(&el, &t), 0);
	assert_int_equal(t, 1789568216); /* 2026-09-16T14:16:56Z */
}

/* Builds a requirement blob from u32 words. */
static size_t req_blob(uint8_t *b, const uint32_t *w, size_t n)
{
	mx_store_be32(b, 0xfade0c00);
	mx_store_be32(b + 4, (uint32_t)(12 + 4 * n));
	mx_store_be32(b + 8, 1);
	for (size_t i = 0; i < n; i++)
		mx_store_be32(b + 12 + 4 * i, w[i]);
	return 12 + 4 * n;
}

#define STR4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static void test_requirement_text(void **state)
{
	/* and(ident "x.y", and(anchor generic, or(cert 1 [field 6.2.6] exists,
	 * leaf[subject.OU] = "AB12"))) */
	const uint32_t w[] = {
		6, 2, 3, STR4('x', '.', 'y', 0), 6, 15, 7, 14, 1, 10,
		STR4(0x2a, 0x86, 0x48, 0x86), STR4(0xf7, 0x63, 0x64, 0x06), STR4(0x02, 0x06, 0, 0),
		0, 11, 0, 10, STR4('s', 'u', 'b', 'j'), STR4('e', 'c', 't', '.'),
		STR4('O', 'U', 0, 0), 1, 4, STR4('A', 'B', '1', '2'),
	};
	const uint32_t team_digit[] = {11, 0, 10, STR4('s', 'u', 'b', 'j'), STR4('e', 'c', 't', '.'),
				       STR4('O', 'U', 0, 0), 1, 4, STR4('1', 'B', 'C', 'D')};
	const uint32_t not_and[] = {9, 6, 1, 0};
	const uint32_t unknown[] = {0x63};
	const uint32_t skip[] = {0x40000063, 4, 0xdeadbeef};
	const uint32_t truncated[] = {2, 40, 0};
	uint8_t b[4 * (MX_CS_MAX_REQ_DEPTH + 8) + 12];
	uint32_t nest[MX_CS_MAX_REQ_DEPTH + 2];
	struct macext_diag d = {0};
	char *t = NULL;
	size_t n;

	(void)state;
	n = req_blob(b, w, sizeof(w) / 4);
	assert_int_equal(mx_requirement_text(&t, b, n, 0, &d), 0);
	assert_string_equal(t, "identifier \"x.y\" and anchor apple generic and (certificate "
			       "1[field.1.2.840.113635.100.6.2.6] /* exists */ or certificate "
			       "leaf[subject.OU] = AB12)");
	free(t);
	n = req_blob(b, team_digit, sizeof(team_digit) / 4);
	assert_int_equal(mx_requirement_text(&t, b, n, 0, &d), 0);
	assert_string_equal(t, "certificate leaf[subject.OU] = \"1BCD\"");
	free(t);
	n = req_blob(b, not_and, sizeof(not_and) / 4);
	assert_int_equal(mx_requirement_text(&t, b, n, 0, &d), 0);
	assert_string_equal(t, "! (always and never)");
	free(t);
	n = req_blob(b, unknown, 1);
	assert_int_equal(mx_requirement_text(&t, b, n, 100, &d), -EBADMSG);
	assert_int_equal(d.offset, 116);
	assert_non_null(strstr(d.msg, "unknown opcode"));
	n = req_blob(b, skip, 3);
	assert_int_equal(mx_requirement_text(&t, b, n, 0, &d), 0);
	free(t);
	n = req_blob(b, truncated, 3);
	assert_int_equal(mx_requirement_text(&t, b, n, 0, &d), -EBADMSG);
	assert_non_null(strstr(d.msg, "past the end"));
	/* nesting bomb: ! ! ! ... always */
	for (size_t i = 0; i < MX_CS_MAX_REQ_DEPTH + 1; i++)
		nest[i] = 9;
	nest[MX_CS_MAX_REQ_DEPTH + 1] = 1;
	n = req_blob(b, nest, MX_CS_MAX_REQ_DEPTH + 2);
	assert_int_equal(mx_requirement_text(&t, b, n, 0, &d), -E2BIG);
	/* length past the buffer */
	n = req_blob(b, not_and, 4);
	assert_int_equal(mx_requirement_text(&t, b, n - 4, 0, &d), -EBADMSG);
}

static void test_cms_hostile(void **state)
{
	/* ContentInfo whose OID is id-data, not signedData */
	static const uint8_t data_ci[] = {0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48,
					  0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01};
	static const uint8_t trailing[] = {0x30, 0x00, 0x00, 0x01};
	struct mx_cms *cms = calloc(1, sizeof(*cms));
	struct macext_diag d = {0};

	(void)state;
	assert_int_equal(mx_cms_parse(cms, data_ci, sizeof(data_ci), 0, &d), -EBADMSG);
	assert_non_null(strstr(d.msg, "not a SignedData"));
	assert_int_equal(d.offset, 2);
	assert_int_equal(mx_cms_parse(cms, trailing, sizeof(trailing), 0, &d), -EBADMSG);
	assert_int_equal(d.offset, 3);
	assert_int_equal(mx_cms_parse(cms, data_ci, 5, 0, &d), -EBADMSG);
	free(cms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_der_definite_and_indefinite),
		cmocka_unit_test(test_der_hostile),
		cmocka_unit_test(test_der_oid_time),
		cmocka_unit_test(test_requirement_text),
		cmocka_unit_test(test_cms_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
