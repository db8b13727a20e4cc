/* Unit tests for lib/model/kver.c and macos.c: every worked value of kexts.md §4.3, both
 * grammars (§4.2), the user-space 20-character rule (§4.4), and macOS release parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "macext/kext.h"

struct kver_case {
	const char *text;
	int64_t value;       /* 10.14+ grammar; -1 = invalid */
	const char *printed; /* NULL: not checked */
};

static const struct kver_case worked[] = {
	{"1.2.3", 1000200039000LL, "1.2.3"},
	{"1.2.3d4", 1000200031004LL, "1.2.3d4"},
	{"1.2.3a4", 1000200033004LL, "1.2.3a4"},
	{"1.2.3b4", 1000200035004LL, "1.2.3b4"},
	{"1.2.3f4", 1000200037004LL, "1.2.3f4"},
	{"1.2.3fc4", 1000200037004LL, "1.2.3f4"},
	{"1", 1000000009000LL, "1.0"},
	{"1.", 1000000009000LL, "1.0"},
	{"1..2", 1000000029000LL, "1.0.2"},
	{"1a1", 1000000003001LL, "1.0a1"},
	{"0", 9000, "0.0"},
	{"0.0", 9000, "0.0"},
	{"0.0d0", 1000, "0.0d0"},
	{"9999.9999.9999", 9999999999999000LL, "9999.9999.9999"},
	{"1.100", 1010000009000LL, "1.100"},
	{"1.02.0", 1000200009000LL, "1.2"},
	{"8.0.0b1", 8000000005001LL, "8.0b1"},
	{"1.2.3 junk", 1000200039000LL, "1.2.3"},
	{"1.2.3b1 x", 1000200035001LL, "1.2.3b1"},
	{"1.2.1234.", 1000212349000LL, "1.2.1234"},
	{"9999.9999.9999fc255", 9999999999997255LL, "9999.9999.9999f255"},
	{"1.2.3d0", 1000200031000LL, "1.2.3d0"},
	{"1.2.3\t", 1000200039000LL, "1.2.3"},
};

static const char *const invalid[] = {
	"", "a1", " 1.2", "1.2.3.", "1.2.3.4", "2.0.215.216", "10000", "12345", "1.2.33333",
	"1.0b", "1.0d", "1.2.3f", "1.0f0", "1.2.3fc0", "1.2.3d256", "1.2.3b1000", "1.2.3b1x",
	"1.2.3B1", "1.2.3e1", "1.2.3-4", "1,2", "LT2.0", "1.2.1234.5", "1.2.3fcc1",
};

static void test_worked_values(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(worked) / sizeof(worked[0]); i++) {
		char buf[20];
		int64_t v = macext_kver_parse(worked[i].text, MACEXT_KVER_GRAMMAR_1014);

		if (v != worked[i].value)
			fail_msg("'%s': got %lld, want %lld", worked[i].text, (long long)v,
				 (long long)worked[i].value);
		macext_kver_format(v, MACEXT_KVER_GRAMMAR_1014, buf);
		assert_string_equal(buf, worked[i].printed);
		/* user space agrees on everything under 20 characters */
		assert_int_equal(macext_kver_parse_user(worked[i].text, MACEXT_KVER_GRAMMAR_1014),
				 v);
	}
}

static void test_invalid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		if (macext_kver_parse(invalid[i], MACEXT_KVER_GRAMMAR_1014) != -1)
			fail_msg("'%s' should be invalid", invalid[i]);
		assert_int_equal(macext_kver_parse(invalid[i], MACEXT_KVER_GRAMMAR_1013), -1);
	}
	assert_int_equal(macext_kver_parse(NULL, MACEXT_KVER_GRAMMAR_1014), -1);
}

static void test_ordering(void **state)
{
	static const char *const asc[] = {"1.0d9", "1.0a9", "1.0b9", "1.0f1", "1.0", "1.0.1"};

	(void)state;
	for (size_t i = 1; i < sizeof(asc) / sizeof(asc[0]); i++)
		assert_true(macext_kver_parse(asc[i - 1], MACEXT_KVER_GRAMMAR_1014) <
			    macext_kver_parse(asc[i], MACEXT_KVER_GRAMMAR_1014));
}

static void test_grammar_1013(void **state)
{
	char buf[20];

	(void)state;
	/* 4-digit minor/revision only from 10.14 */
	assert_int_equal(macext_kver_parse("1.100", MACEXT_KVER_GRAMMAR_1013), -1);
	assert_int_equal(macext_kver_parse("1.2.100", MACEXT_KVER_GRAMMAR_1013), -1);
	assert_int_equal(macext_kver_parse("01.002.0003", MACEXT_KVER_GRAMMAR_1013), -1);
	assert_int_equal(macext_kver_parse("01.002.0003", MACEXT_KVER_GRAMMAR_1014),
			 1000200039000LL);
	/* the same string packs differently: major 10^8, minor 10^6 */
	assert_int_equal(macext_kver_parse("1.2.3", MACEXT_KVER_GRAMMAR_1013), 102039000LL);
	assert_int_equal(macext_kver_parse("99.99.99b7", MACEXT_KVER_GRAMMAR_1013),
			 9999995007LL);
	assert_int_equal(macext_kver_parse("1.2.12.", MACEXT_KVER_GRAMMAR_1013), 102129000LL);
	macext_kver_format(102039000LL, MACEXT_KVER_GRAMMAR_1013, buf);
	assert_string_equal(buf, "1.2.3");
	/* the grammar follows the release */
	{
		struct macext_macos_version v1013 = {10, 13, 6}, v1014 = {10, 14, 0}, v11 = {11, 0, 0};

		assert_int_equal(macext_kver_grammar_for(&v1013), MACEXT_KVER_GRAMMAR_1013);
		assert_int_equal(macext_kver_grammar_for(&v1014), MACEXT_KVER_GRAMMAR_1014);
		assert_int_equal(macext_kver_grammar_for(&v11), MACEXT_KVER_GRAMMAR_1014);
	}
}

static void test_user_space(void **state)
{
	(void)state;
	/* 19 characters: the longest valid version passes both */
	assert_int_equal(macext_kver_parse_user("9999.9999.9999fc255", MACEXT_KVER_GRAMMAR_1014),
			 9999999999997255LL);
	/* trailing text: the kernel reads 1.0, user space refuses 20+ characters */
	assert_int_equal(macext_kver_parse("1.0 (build 2023-01-01)", MACEXT_KVER_GRAMMAR_1014),
			 1000000009000LL);
	assert_int_equal(macext_kver_parse_user("1.0 (build 2023-01-01)", MACEXT_KVER_GRAMMAR_1014),
			 -1);
	/* exactly 19 with trailing text: still fine; 20: refused */
	assert_int_equal(macext_kver_parse_user("1.0 456789012345678", MACEXT_KVER_GRAMMAR_1014),
			 1000000009000LL);
	assert_int_equal(macext_kver_parse_user("1.0 4567890123456789", MACEXT_KVER_GRAMMAR_1014),
			 -1);
	assert_int_equal(macext_kver_parse("1.0 \xc3\xa9", MACEXT_KVER_GRAMMAR_1014), 1000000009000LL);
	assert_int_equal(macext_kver_parse_user("1.0 \xc3\xa9", MACEXT_KVER_GRAMMAR_1014), -1);
}

static void test_format_edges(void **state)
{
	char buf[20];

	(void)state;
	macext_kver_format(0, MACEXT_KVER_GRAMMAR_1014, buf);
	assert_string_equal(buf, "(missing)");
	macext_kver_format(-1, MACEXT_KVER_GRAMMAR_1014, buf);
	assert_string_equal(buf, "(invalid)");
	macext_kver_format(10000000000000000LL, MACEXT_KVER_GRAMMAR_1014, buf); /* major 10000 */
	assert_string_equal(buf, "(invalid)");
	macext_kver_format(1000000005256LL, MACEXT_KVER_GRAMMAR_1014, buf); /* level 256 */
	assert_string_equal(buf, "(invalid)");
}

static void test_macos(void **state)
{
	struct macext_macos_version v, w;
	char buf[16];

	(void)state;
	assert_int_equal(macext_macos_parse("10.15.7", &v), 0);
	assert_int_equal(v.major, 10);
	assert_int_equal(v.minor, 15);
	assert_int_equal(v.patch, 7);
	macext_macos_format(&v, buf);
	assert_string_equal(buf, "10.15.7");
	assert_int_equal(macext_macos_darwin_major(&v), 19);
	assert_int_equal(macext_macos_parse("11", &v), 0);
	macext_macos_format(&v, buf);
	assert_string_equal(buf, "11.0");
	assert_int_equal(macext_macos_darwin_major(&v), 20);
	assert_int_equal(macext_macos_parse("14.0", &v), 0);
	assert_int_equal(macext_macos_darwin_major(&v), 23);
	assert_int_equal(macext_macos_parse("15.6", &v), 0);
	assert_int_equal(macext_macos_darwin_major(&v), 24);
	assert_int_equal(macext_macos_parse("10.12", &v), 0);
	assert_int_equal(macext_macos_darwin_major(&v), 16);
	/* an unlisted update inside the listed range */
	assert_int_equal(macext_macos_parse("10.15.1", &v), 0);
	/* unknown releases and junk */
	assert_int_equal(macext_macos_parse("10.11", &v), -EINVAL);
	assert_int_equal(macext_macos_parse("10.15.8", &v), -EINVAL);
	assert_int_equal(macext_macos_parse("16.0", &v), -EINVAL);
	assert_int_equal(macext_macos_parse("10..15", &v), -EINVAL);
	assert_int_equal(macext_macos_parse("10.15.", &v), -EINVAL);
	assert_int_equal(macext_macos_parse("10.15.4.1", &v), -EINVAL);
	assert_int_equal(macext_macos_parse("x", &v), -EINVAL);
	assert_int_equal(macext_macos_parse("", &v), -EINVAL);
	/* ordering: the 10.15.4 boundary */
	assert_int_equal(macext_macos_parse("10.15.3", &v), 0);
	assert_int_equal(macext_macos_parse("10.15.4", &w), 0);
	assert_true(macext_macos_cmp(&v, &w) < 0);
	assert_true(macext_macos_cmp(&w, &v) > 0);
	assert_int_equal(macext_macos_cmp(&w, &w), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worked_values), cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_ordering),      cmocka_unit_test(test_grammar_1013),
		cmocka_unit_test(test_user_space),    cmocka_unit_test(test_format_edges),
		cmocka_unit_test(test_macos),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
