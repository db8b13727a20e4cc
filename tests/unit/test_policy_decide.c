/* Unit tests for lib/policy/decide.c and trace.c: the rule order of kexts.md §1.11, the
 * string tables, argument checks, trace reuse and allocation failure. */
#include "policy_facts.h"

#include "util/alloc.h"

static void test_order(void **state)
{
	static const char *const order[] = {"exclude", "sip",	  "signing", "deprecation",
					    "consent", "mdm-kext", "uakel",   "auxkc"};
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_1015_POLICY);
	assert_int_equal(t.n, 8);
	for (size_t i = 0; i < 8; i++) {
		assert_string_equal(t.entries[i].rule, order[i]);
		assert_non_null(t.entries[i].outcome);
		assert_true(strlen(t.entries[i].detail) > 0);
		assert_true(strlen(t.entries[i].reference) > 0);
	}
	assert_null(macext_trace_find(&t, "nope"));
	macext_trace_free(&t);
}

static void test_names(void **state)
{
	enum macext_platform p;
	enum macext_enrollment e;

	(void)state;
	assert_string_equal(macext_decision_name(MACEXT_DECISION_ALLOW), "allow");
	assert_string_equal(macext_decision_name(MACEXT_DECISION_DENY), "deny");
	assert_string_equal(macext_decision_name(MACEXT_DECISION_NEEDS_APPROVAL),
			    "needs-approval");
	assert_string_equal(macext_decision_name(MACEXT_DECISION_NEEDS_RESTART), "needs-restart");
	assert_null(macext_decision_name((enum macext_decision)9));
	assert_int_equal(macext_platform_parse("x86_64-t2", &p), 0);
	assert_int_equal(p, MACEXT_PLATFORM_X86_64_T2);
	assert_string_equal(macext_platform_name(p), "x86_64-t2");
	assert_int_equal(macext_platform_parse("arm64", &p), -EINVAL);
	assert_int_equal(macext_enrollment_parse("user-enrollment", &e), 0);
	assert_int_equal(e, MACEXT_ENROLL_USER_ENROLLMENT);
	assert_int_equal(macext_enrollment_parse("dep", &e), -EINVAL);
	assert_string_equal(macext_kext_location_name(MACEXT_KEXT_LOC_APP_SUPPORT), "app-support");
}

static void test_invalid(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;
	enum macext_decision d = MACEXT_DECISION_NEEDS_RESTART;
	const char *m = "x";
	int code = 5;

	(void)state;
	facts_init(&f);
	facts_macos(&f, 10, 11, 6);
	assert_int_equal(macext_policy_decide(&f, &t, &d, &code, &m), -EINVAL);
	assert_int_equal(d, MACEXT_DECISION_NEEDS_RESTART);
	assert_int_equal(code, 5);
	facts_init(&f);
	f.kext.bundle_id = NULL;
	assert_int_equal(macext_policy_decide(&f, &t, &d, &code, &m), -EINVAL);
	assert_int_equal(macext_policy_decide(NULL, &t, &d, &code, &m), -EINVAL);
	facts_init(&f);
	assert_int_equal(macext_policy_decide(&f, NULL, &d, &code, &m), -EINVAL);
	macext_trace_free(&t);
}

static void test_reuse_and_long_text(void **state)
{
	char path[3000];
	struct macext_trace t = {0};
	struct macext_facts f;
	enum macext_decision d;
	const char *m;
	int code;

	(void)state;
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	facts_init(&f);
	f.kext.path = path;
	f.sig.kind = MACEXT_CS_UNSIGNED; /* signing detail names the path */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(macext_policy_decide(&f, &t, &d, &code, &m), 0);
		assert_int_equal(t.n, 8);
		assert_int_equal(code, 27);
		assert_memory_equal(m, path, sizeof(path) - 1);
		assert_non_null(strstr(macext_trace_find(&t, "signing")->detail, path));
		assert_string_equal(macext_trace_find(&t, "exclude")->outcome, "pass");
	}
	macext_trace_free(&t);
	assert_null(t.text);
	assert_int_equal(t.n, 0);
}

static void test_enomem(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;
	enum macext_decision d = MACEXT_DECISION_NEEDS_RESTART;
	const char *m = NULL;
	int code = 5;

	(void)state;
	facts_init(&f);
	mx_alloc_fail_at(1);
	assert_int_equal(macext_policy_decide(&f, &t, &d, &code, &m), -ENOMEM);
	mx_alloc_fail_at(0);
	assert_int_equal(d, MACEXT_DECISION_NEEDS_RESTART);
	assert_int_equal(code, 5);
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_1015_POLICY);
	macext_trace_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),		   cmocka_unit_test(test_names),
		cmocka_unit_test(test_invalid),		   cmocka_unit_test(test_reuse_and_long_text),
		cmocka_unit_test(test_enomem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
