/* Unit tests for lib/model/exclude.c: the worked examples of kexts.md §5.5 in both
 * grammars, plus the quirks of §5.3-§5.4, and the default list of data/exclude_list.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "macext/kext.h"

struct ex_case {
	const char *rule;
	const char *kext;
	bool kernel, user;
};

/*
 * The rows of §5.5. "LE 1.5.0, 2.0.0 thru 3.1.4, 4.2.2" is 33 bytes, over the kernel's
 * 31-byte limit (§5.2, §5.3 point 1), so the kernel ignores it whole; the table's kernel
 * column for it holds for the 31-byte spelling without spaces after the commas, tested
 * as its own rows.
 */
static const struct ex_case cases[] = {
	{"LT 5.2.14", "5.2.13", true, true},
	{"LT 5.2.14", "5.2.14", false, false},
	{"1.0, 2.0", "2.0", true, true},
	{"1.0 ,2.0", "1.0", false, true},
	{"1.0 ,2.0", "1.2", true, false},
	{"2.0.0 thru 3.1.4", "3.0", false, true},
	{"2.0.0 thru 3.1.4", "2.0", false, true},
	{"2.0.0 thru 3.1.4", "3.1.4", false, true},
	{"2.0.0 thru 3.1.4", "3.1.5", false, false},
	{"LE 1.5.0, 2.0.0 thru 3.1.4, 4.2.2", "1.0", false, true},
	{"LE 1.5.0, 2.0.0 thru 3.1.4, 4.2.2", "3.0", false, true},
	{"LE 1.5.0, 2.0.0 thru 3.1.4, 4.2.2", "4.2.2", false, true},
	{"LE 1.5.0,2.0.0 thru 3.1.4,4.2.2", "1.0", true, true},
	{"LE 1.5.0,2.0.0 thru 3.1.4,4.2.2", "1.5", true, true},
	{"LE 1.5.0,2.0.0 thru 3.1.4,4.2.2", "1.6", false, false},
	{"LE 1.5.0,2.0.0 thru 3.1.4,4.2.2", "3.0", false, true},
	{"LE 1.5.0,2.0.0 thru 3.1.4,4.2.2", "4.2.2", true, true},
	{"3.0, LT 2.0", "1.0", false, false},
	{"3.0, LT 2.0", "3.0", true, true},
	/* LT/LE only for the first item */
	{"LT 2.0, 5.0", "4.0", false, false},
	{"LE 2.0", "2.0", true, true},
	{"LE 2.0", "2.0.1", false, false},
	/* 40-character rule: too long for the kernel, evaluated in user space */
	{"1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7", "1.7", false, true},
	/* an unparsable item matches only an invalid kext version */
	{"1.0,,2.0", "1.5", false, false},
};

static void test_worked_examples(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ex_case *c = &cases[i];
		int64_t v = macext_kver_parse(c->kext, MACEXT_KVER_GRAMMAR_1014);
		bool k = macext_exclude_match(c->rule, v, MACEXT_EXCLUDE_KERNEL,
					      MACEXT_KVER_GRAMMAR_1014);
		bool u = macext_exclude_match(c->rule, v, MACEXT_EXCLUDE_USER,
					      MACEXT_KVER_GRAMMAR_1014);

		if (k != c->kernel || u != c->user)
			fail_msg("'%s' vs %s: kernel %d (want %d), user %d (want %d)", c->rule,
				 c->kext, k, c->kernel, u, c->user);
	}
}

static void test_quirks(void **state)
{
	(void)state;
	/* empty item parses as -1: matches an invalid version in user space */
	assert_true(macext_exclude_match("1.0,,2.0", -1, MACEXT_EXCLUDE_USER,
					 MACEXT_KVER_GRAMMAR_1014));
	/* version 0 (missing) is never excluded in user space */
	assert_false(macext_exclude_match("LT 5.0", 0, MACEXT_EXCLUDE_USER,
					  MACEXT_KVER_GRAMMAR_1014));
	assert_true(macext_exclude_match("LT 5.0", 0, MACEXT_EXCLUDE_KERNEL,
					 MACEXT_KVER_GRAMMAR_1014));
	/* a 31-character item fits the user-space buffer, 32 stops the walk */
	assert_false(macext_exclude_match("12345678901234567890123456789012, 1.0",
					  macext_kver_parse("1.0", MACEXT_KVER_GRAMMAR_1014),
					  MACEXT_EXCLUDE_USER, MACEXT_KVER_GRAMMAR_1014));
	assert_true(macext_exclude_match("1234567890123456789012345678901, 1.0",
					 macext_kver_parse("1.0", MACEXT_KVER_GRAMMAR_1014),
					 MACEXT_EXCLUDE_USER, MACEXT_KVER_GRAMMAR_1014));
	/* exactly 31 bytes: the kernel still reads it; 32: ignored */
	assert_true(macext_exclude_match("1.0,2.0,3.0,4.0,5.0,6.0,7.0,8.0",
					 macext_kver_parse("8.0", MACEXT_KVER_GRAMMAR_1014),
					 MACEXT_EXCLUDE_KERNEL, MACEXT_KVER_GRAMMAR_1014));
	assert_false(macext_exclude_match("1.0,2.0,3.0,4.0,5.0,6.0,7.0,8.0 ",
					  macext_kver_parse("8.0", MACEXT_KVER_GRAMMAR_1014),
					  MACEXT_EXCLUDE_KERNEL, MACEXT_KVER_GRAMMAR_1014));
	assert_false(macext_exclude_match(NULL, 1, MACEXT_EXCLUDE_USER, MACEXT_KVER_GRAMMAR_1014));
}

static void test_default_list(void **state)
{
	struct macext_macos_version v1013 = {10, 13, 6}, v1014 = {10, 14, 0};
	struct macext_exclude_entry *e = NULL;
	size_t n = 99;

	(void)state;
	assert_int_equal(macext_catalogue_exclude_list(&v1014, &e, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].id, "org.virtualbox.kext.VBoxDrv");
	assert_string_equal(e[0].rule, "LT 5.2.14");
	macext_exclude_list_free(e, n);
	e = NULL;
	assert_int_equal(macext_catalogue_exclude_list(&v1013, &e, &n), 0);
	assert_int_equal(n, 0);
	macext_exclude_list_free(e, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worked_examples),
		cmocka_unit_test(test_quirks),
		cmocka_unit_test(test_default_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
