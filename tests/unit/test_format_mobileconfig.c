/* Unit tests for lib/format/mobileconfig.c: every container form, and hostile inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <plist/plist.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/limits.h"
#include "format/mobileconfig.h"
#include "macext/profile.h"

static const char body[] = "<plist version=\"1.0\"><dict><key>PayloadType</key>"
			   "<string>Configuration</string></dict></plist>";

/* The PayloadType string of a read profile, or NULL. */
static const char *payload_type(const struct macext_profile *p)
{
	plist_t n = plist_dict_get_item(p->root, "PayloadType");

	return n ? plist_get_string_ptr(n, NULL) : NULL;
}

struct form_case {
	const char *name;
	const char *text;
	uint64_t plist_offset;
};

static void test_xml_forms(void **state)
{
	static const struct form_case cases[] = {
		{"plain", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>"
			  "<key>PayloadType</key><string>Configuration</string></dict></plist>\n",
		 0},
		{"crlf, doctype, comments", "<?xml version=\"1.0\"?>\r\n<!DOCTYPE plist PUBLIC "
					    "\"-//Apple//DTD PLIST 1.0//EN\" \"x.dtd\">\r\n<!-- "
					    "<array> -->\r\n<plist version=\"1\">\r\n<dict>\r\n<!-- "
					    "c --><key>PayloadType</key>\r\n<string>Configuration"
					    "</string>\r\n</dict>\r\n</plist>\r\n",
		 0},
		{"leading newlines", "\n\r\n  \t<?xml version=\"1.0\"?><plist version=\"1.0\"><dict>"
				     "<key>PayloadType</key><string>Configuration</string></dict>"
				     "</plist>",
		 6},
		{"utf-8 bom", "\xef\xbb\xbf<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>"
			      "PayloadType</key><string>Configuration</string></dict></plist>",
		 3},
		{"no declaration, one line", body, 0},
		{"comment first", "<!-- hi --><plist version=\"1.0\"><dict><key>PayloadType</key>"
				  "<string>Configuration</string></dict></plist>",
		 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct macext_profile *p = NULL;
		struct macext_diag diag = {0};
		int r = macext_profile_read(&p, cases[i].text, strlen(cases[i].text), &diag);

		if (r != 0)
			fail_msg("%s: %d %s", cases[i].name, r, diag.msg);
		assert_int_equal(p->form, MACEXT_PROFILE_XML);
		assert_false(p->plist_binary);
		assert_int_equal(p->plist_offset, cases[i].plist_offset);
		assert_string_equal(payload_type(p), "Configuration");
		macext_profile_free(p);
	}
}

static void test_binary(void **state)
{
	plist_t d = plist_new_dict();
	struct macext_profile *p = NULL;
	char *bin = NULL, *padded;
	uint32_t len = 0;

	(void)state;
	plist_dict_set_item(d, "PayloadType", plist_new_string("Configuration"));
	plist_to_bin(d, &bin, &len);
	assert_int_equal(macext_profile_read(&p, bin, len, NULL), 0);
	assert_int_equal(p->form, MACEXT_PROFILE_BINARY);
	assert_true(p->plist_binary);
	assert_string_equal(payload_type(p), "Configuration");
	assert_string_equal(macext_profile_form_name(p->form), "binary");
	macext_profile_free(p);
	/* the same after a newline */
	padded = malloc(len + 1);
	padded[0] = '\n';
	memcpy(padded + 1, bin, len);
	assert_int_equal(macext_profile_read(&p, padded, len + 1, NULL), 0);
	assert_int_equal(p->plist_offset, 1);
	macext_profile_free(p);
	free(padded);
	plist_to_bin_free(bin);
	plist_free(d);
}

/* ---- a tiny DER builder for CMS shapes ---- */

struct buf {
	uint8_t b[4096];
	size_t n;
};

static void put(struct buf *o, const void *p, size_t n)
{
	assert_true(o->n + n <= sizeof(o->b));
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

/* TAG, a definite length, CONTENT. */
static void tlv(struct buf *o, uint8_t tag, const struct buf *content)
{
	uint8_t h[4] = {tag};
	size_t hn;

	if (content->n < 0x80) {
		h[1] = (uint8_t)content->n;
		hn = 2;
	} else {
		h[1] = 0x82;
		h[2] = (uint8_t)(content->n >> 8);
		h[3] = (uint8_t)content->n;
		hn = 4;
	}
	put(o, h, hn);
	put(o, content->b, content->n);
}

static const uint8_t oid_signed[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
				     0xf7, 0x0d, 0x01, 0x07, 0x02};
static const uint8_t oid_env[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
				  0xf7, 0x0d, 0x01, 0x07, 0x03};
static const uint8_t oid_data[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
				   0xf7, 0x0d, 0x01, 0x07, 0x01};

enum econtent {
	EC_PRIMITIVE,
	EC_CHUNKED, /* BER constructed octet string in 3 chunks, indefinite length */
	EC_NONE,    /* detached */
};

/* ContentInfo(OID, [0] SignedData{1, {}, {id-data, [0] eContent}, {}}) holding PLIST. */
static void make_cms(struct buf *out, const uint8_t *oid, size_t oid_len, enum econtent ec,
		     const char *plist)
{
	struct buf sd = {.n = 0}, eci = {.n = 0}, inner = {.n = 0}, os = {.n = 0}, t = {.n = 0},
		   ci = {.n = 0}, ctx = {.n = 0};
	static const uint8_t version[] = {0x02, 0x01, 0x01}, empty_set[] = {0x31, 0x00};
	size_t len = strlen(plist);

	put(&sd, version, sizeof(version));
	put(&sd, empty_set, sizeof(empty_set));
	put(&eci, oid_data, sizeof(oid_data));
	if (ec == EC_PRIMITIVE) {
		put(&os, plist, len);
		tlv(&inner, 0x04, &os);
		tlv(&eci, 0xa0, &inner);
	} else if (ec == EC_CHUNKED) {
		static const uint8_t indef[] = {0xa0, 0x80, 0x24, 0x80}, eoc[] = {0, 0};
		size_t third = len / 3;

		put(&eci, indef, sizeof(indef));
		for (int i = 0; i < 3; i++) {
			size_t from = (size_t)i * third, n = i == 2 ? len - from : third;
			struct buf chunk = {.n = 0};

			put(&chunk, plist + from, n);
			tlv(&eci, 0x04, &chunk);
		}
		put(&eci, eoc, 2);
		put(&eci, eoc, 2);
	}
	tlv(&sd, 0x30, &eci);
	put(&sd, empty_set, sizeof(empty_set));
	tlv(&t, 0x30, &sd);
	tlv(&ctx, 0xa0, &t);
	put(&ci, oid, oid_len);
	put(&ci, ctx.b, ctx.n);
	out->n = 0;
	tlv(out, 0x30, &ci);
}

static void test_cms(void **state)
{
	struct macext_profile *p = NULL;
	struct macext_diag diag = {0};
	struct buf b;

	(void)state;
	make_cms(&b, oid_signed, sizeof(oid_signed), EC_PRIMITIVE, body);
	assert_int_equal(macext_profile_read(&p, b.b, b.n, &diag), 0);
	assert_int_equal(p->form, MACEXT_PROFILE_CMS);
	assert_false(p->cms.ber);
	assert_true(p->cms.data_type);
	assert_int_equal(p->cms.trailing, 0);
	assert_int_equal(p->cms.der_len, b.n);
	assert_memory_equal(b.b + p->cms.content_offset, body, strlen(body));
	assert_int_equal(p->plist_offset, p->cms.content_offset);
	assert_string_equal(payload_type(p), "Configuration");
	macext_profile_free(p);

	/* trailing bytes are kept as a fact, not an error */
	b.b[b.n++] = 0;
	b.b[b.n++] = 0;
	assert_int_equal(macext_profile_read(&p, b.b, b.n, &diag), 0);
	assert_int_equal(p->cms.trailing, 2);
	macext_profile_free(p);

	make_cms(&b, oid_signed, sizeof(oid_signed), EC_CHUNKED, body);
	assert_int_equal(macext_profile_read(&p, b.b, b.n, &diag), 0);
	assert_true(p->cms.ber);
	assert_non_null(p->joined);
	assert_string_equal(payload_type(p), "Configuration");
	macext_profile_free(p);
}

struct bad_case {
	const char *name;
	int code;
	uint64_t offset;
};

static void expect_fail(const void *data, size_t len, int code, bool check_off, uint64_t off,
			const char *name)
{
	struct macext_profile *p = (struct macext_profile *)0x1;
	struct macext_diag diag = {0};
	int r = macext_profile_read(&p, data, len, &diag);

	if (r != code)
		fail_msg("%s: got %d (%s), want %d", name, r, diag.msg, code);
	assert_ptr_equal(p, (struct macext_profile *)0x1); /* untouched on failure */
	assert_int_equal(diag.code, code);
	if (check_off) {
		assert_true(diag.has_offset);
		if (diag.offset != off)
			fail_msg("%s: offset %llu, want %llu (%s)", name,
				 (unsigned long long)diag.offset, (unsigned long long)off,
				 diag.msg);
	}
}

static void test_cms_hostile(void **state)
{
	struct buf b;

	(void)state;
	make_cms(&b, oid_signed, sizeof(oid_signed), EC_NONE, body);
	expect_fail(b.b, b.n, -EBADMSG, false, 0, "detached");
	make_cms(&b, oid_env, sizeof(oid_env), EC_PRIMITIVE, body);
	expect_fail(b.b, b.n, -EBADMSG, true, 4, "enveloped at the top");
	make_cms(&b, oid_data, sizeof(oid_data), EC_PRIMITIVE, body);
	expect_fail(b.b, b.n, -EBADMSG, true, 4, "id-data at the top");
	make_cms(&b, oid_signed, sizeof(oid_signed), EC_PRIMITIVE, "hello");
	expect_fail(b.b, b.n, -ENOEXEC, false, 0, "cms holding no plist");
	make_cms(&b, oid_signed, sizeof(oid_signed), EC_PRIMITIVE, body);
	for (size_t cut = 1; cut < b.n; cut += 7)
		expect_fail(b.b, cut, -EBADMSG, false, 0, "truncated cms");
}

static void test_unknown_and_limits(void **state)
{
	static const char junk[] = "junk\n";
	char *big;

	(void)state;
	expect_fail(junk, strlen(junk), -ENOEXEC, true, 0, "junk");
	expect_fail("", 0, -ENOEXEC, true, 0, "empty");
	big = calloc(1, MX_PROFILE_MAX_SIZE + 1u);
	memcpy(big, body, strlen(body));
	expect_fail(big, MX_PROFILE_MAX_SIZE + 1u, -E2BIG, false, 0, "over the size limit");
	free(big);
}

/* Appends T at *N of S. */
static void append(char *s, size_t *n, const char *t)
{
	size_t k = strlen(t);

	memcpy(s + *n, t, k + 1);
	*n += k;
}

/* "<plist>" + N x "<array>" + N x "</array>" + "</plist>" */
static char *nested_xml(unsigned n)
{
	char *s = malloc(7 + (size_t)n * 15 + 8 + 1);
	size_t k = 0;

	append(s, &k, "<plist>");
	for (unsigned i = 0; i < n; i++)
		append(s, &k, "<array>");
	for (unsigned i = 0; i < n; i++)
		append(s, &k, "</array>");
	append(s, &k, "</plist>");
	return s;
}

static void test_xml_depth(void **state)
{
	struct macext_profile *p = NULL;
	size_t k;
	char *s;

	(void)state;
	/* plist + 63 arrays = 64 elements: at the limit */
	s = nested_xml(MX_PLIST_MAX_DEPTH - 1);
	assert_int_equal(macext_profile_read(&p, s, strlen(s), NULL), 0);
	macext_profile_free(p);
	free(s);
	/* one more: the 65th element, at offset 7 + 63 * 7 */
	s = nested_xml(MX_PLIST_MAX_DEPTH);
	expect_fail(s, strlen(s), -E2BIG, true, 7 + 7 * (MX_PLIST_MAX_DEPTH - 1), "65 levels");
	free(s);
	/* a million levels: refused before libplist's recursion overflows the stack */
	s = nested_xml(1000000);
	expect_fail(s, strlen(s), -E2BIG, true, 7 + 7 * (MX_PLIST_MAX_DEPTH - 1), "1e6 levels");
	free(s);
	/* self-closing elements and comments do not nest */
	s = malloc(64 * 20 + 100);
	k = 0;
	append(s, &k, "<plist><array>");
	for (int i = 0; i < 64; i++)
		append(s, &k, "<array/><!--<a>-->");
	append(s, &k, "</array></plist>");
	assert_int_equal(macext_profile_read(&p, s, strlen(s), NULL), 0);
	assert_int_equal(plist_array_get_size(p->root), 64);
	macext_profile_free(p);
	free(s);
}

/* A bplist whose objects are OBJS (each a byte string), offsets 1 byte, refs 1 byte. */
static size_t make_bplist(uint8_t *out, const uint8_t *const *objs, const size_t *lens,
			  size_t n, uint8_t top)
{
	size_t k = 8, offs[64], table;

	memcpy(out, "bplist00", 8);
	for (size_t i = 0; i < n; i++) {
		offs[i] = k;
		memcpy(out + k, objs[i], lens[i]);
		k += lens[i];
	}
	table = k;
	for (size_t i = 0; i < n; i++)
		out[k++] = (uint8_t)offs[i];
	memset(out + k, 0, 32);
	out[k + 6] = 1;
	out[k + 7] = 1;
	out[k + 15] = (uint8_t)n;
	out[k + 23] = top;
	out[k + 31] = (uint8_t)table;
	return k + 32;
}

static void test_bplist_hostile(void **state)
{
	static const uint8_t self[] = {0xa1, 0x00};  /* array [obj 0] */
	static const uint8_t past[] = {0xa1, 0x05};  /* array [obj 5] of 1 */
	static const uint8_t huge[] = {0xaf, 0x13, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t objs_dag[40][3], file[512];
	const uint8_t *objs[41];
	size_t lens[41], n;
	static const uint8_t leaf[] = {0x08};

	(void)state;
	objs[0] = self;
	lens[0] = sizeof(self);
	n = make_bplist(file, objs, lens, 1, 0);
	expect_fail(file, n, -E2BIG, true, 0, "bplist cycle");

	objs[0] = past;
	lens[0] = sizeof(past);
	n = make_bplist(file, objs, lens, 1, 0);
	expect_fail(file, n, -EBADMSG, true, 9, "bplist reference past the objects");

	objs[0] = huge;
	lens[0] = sizeof(huge);
	n = make_bplist(file, objs, lens, 1, 0);
	expect_fail(file, n, -EBADMSG, true, 8, "bplist count past the objects");

	/* 40 arrays each holding the next one twice: 2^40 nodes once expanded */
	for (int i = 0; i < 40; i++) {
		objs_dag[i][0] = 0xa2;
		objs_dag[i][1] = objs_dag[i][2] = (uint8_t)(i + 1);
		objs[i] = objs_dag[i];
		lens[i] = 3;
	}
	objs[40] = leaf;
	lens[40] = 1;
	n = make_bplist(file, objs, lens, 41, 0);
	expect_fail(file, n, -E2BIG, true, 0, "bplist expansion bomb");

	/* a dictionary whose key is an integer, then one whose key holds a NUL */
	{
		static const uint8_t dict[] = {0xd1, 0x01, 0x02};
		static const uint8_t one[] = {0x10, 0x01};
		static const uint8_t nul_key[] = {0x52, 'a', 0x00};
		const uint8_t *o3[3] = {dict, one, one};
		size_t l3[3] = {3, 2, 2};

		n = make_bplist(file, o3, l3, 3, 0);
		expect_fail(file, n, -EBADMSG, true, 9, "bplist key not a string");
		o3[1] = nul_key;
		l3[1] = 3;
		n = make_bplist(file, o3, l3, 3, 0);
		expect_fail(file, n, -EBADMSG, true, 9, "bplist key with nul");
	}
	/* a bad trailer */
	n = make_bplist(file, objs, lens, 41, 0);
	file[n - 26] = 9; /* offset size */
	expect_fail(file, n, -EBADMSG, true, n - 26, "bplist offset size 9");
	n = make_bplist(file, objs, lens, 41, 0);
	file[n - 9] = 41; /* top object == count */
	expect_fail(file, n, -EBADMSG, true, n - 24, "bplist top past the objects");
	expect_fail(file, 20, -EBADMSG, true, 0, "bplist truncated");
}

static void test_xml_nul(void **state)
{
	static const char ref[] = "<plist><dict><key>a&#0;b</key><true/></dict></plist>";
	static const char hex[] = "<plist><dict><key>a&#x000;</key><true/></dict></plist>";
	static const char ok[] = "<plist><dict><key>a&#10;&#x41;</key><true/></dict></plist>";
	static const char raw[] = "<plist><dict><key>a\0b</key><true/></dict></plist>";
	struct macext_profile *p = NULL;

	(void)state;
	expect_fail(ref, strlen(ref), -EBADMSG, true, 19, "&#0; in a key");
	expect_fail(hex, strlen(hex), -EBADMSG, true, 19, "&#x000; in a key");
	expect_fail(raw, sizeof(raw) - 1, -EBADMSG, true, 19, "raw nul in a key");
	assert_int_equal(macext_profile_read(&p, ok, strlen(ok), NULL), 0);
	macext_profile_free(p);
}

static void test_sniff(void **state)
{
	size_t skip = 99;

	(void)state;
	assert_int_equal(mx_mobileconfig_sniff((const uint8_t *)"\x30\x80", 2, &skip),
			 MX_SNIFF_CMS);
	assert_int_equal(skip, 0);
	assert_int_equal(mx_mobileconfig_sniff((const uint8_t *)" \r\nbplist00", 11, &skip),
			 MX_SNIFF_BINARY);
	assert_int_equal(skip, 3);
	assert_int_equal(mx_mobileconfig_sniff((const uint8_t *)"<!DOCTYPE", 9, &skip),
			 MX_SNIFF_XML);
	assert_int_equal(mx_mobileconfig_sniff((const uint8_t *)" <html>", 7, &skip),
			 MX_SNIFF_UNKNOWN);
	assert_int_equal(skip, 0);
	/* a BOM before CMS is not CMS */
	assert_int_equal(mx_mobileconfig_sniff((const uint8_t *)"\xef\xbb\xbf\x30", 4, &skip),
			 MX_SNIFF_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xml_forms),	   cmocka_unit_test(test_binary),
		cmocka_unit_test(test_cms),		   cmocka_unit_test(test_cms_hostile),
		cmocka_unit_test(test_unknown_and_limits), cmocka_unit_test(test_xml_depth),
		cmocka_unit_test(test_bplist_hostile),	   cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_xml_nul),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
