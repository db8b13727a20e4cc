/* Unit tests for lib/policy/auxkc.c: from macOS 11 approved kexts load from the AuxKC
 * after a restart (28); updates must be allowed (27) then restarted (28); codeless kexts
 * need no restart; 10.15.7 vs 11.0. */
#include "policy_facts.h"

static void test_1015_vs_11(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_approve(&f);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "auxkc", "not-applicable", "on demand before macOS 11", "TN2459");
	facts_macos(&f, 11, 0, 0);
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_RESTART, 28, MSG_11_RESTART);
	expect_entry(&t, "auxkc", "needs-restart", "not in the booted AuxKC", "code 28");
	f.auxkc.in_booted = true;
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "auxkc", "in-auxkc", "is in the booted AuxKC", NULL);
	f.loaded = true;
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "auxkc", "in-auxkc", "AuxKC and loaded", NULL);
	macext_trace_free(&t);
}

static void test_approval_before_restart(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_macos(&f, 11, 0, 0);
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_11_POLICY);
	expect_entry(&t, "auxkc", "needs-restart", NULL, NULL);
	macext_trace_free(&t);
}

static void test_update(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_approve(&f);
	facts_macos(&f, 11, 0, 0);
	f.auxkc.in_booted = true;
	f.auxkc.booted_cdhash = "9999999999999999999999999999999999999999";
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_11_POLICY);
	expect_entry(&t, "auxkc", "update", "cdhash on disk " T_CDHASH " differs", "P18");
	f.auxkc.update_allowed = true;
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_RESTART, 28, MSG_11_RESTART);
	expect_entry(&t, "auxkc", "update-pending", NULL, NULL);
	f.auxkc.booted_cdhash = T_CDHASH;
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	macext_trace_free(&t);
}

static void test_codeless(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_approve(&f);
	facts_macos(&f, 14, 0, 0);
	f.kext.codeless = true;
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "auxkc", "codeless", NULL, "AD-install");
	f.approval.present = false; /* still needs approval */
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_13_POLICY);
	macext_trace_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_1015_vs_11),
		cmocka_unit_test(test_approval_before_restart),
		cmocka_unit_test(test_update),
		cmocka_unit_test(test_codeless),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
