/* Unit tests for lib/policy/exclude.c: an excluded kext is refused first, with 71, on
 * every release and whatever else allows it (kexts.md §5.6, §1.11 rule 1); grammar
 * disagreements show in the trace (P20). */
#include "policy_facts.h"

static void test_excluded(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_approve(&f);
	f.excluded = f.excluded_kernel = true;
	f.exclude_rule = "LT 5.2.14";
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 71, MSG_1015_EXCLUDED);
	expect_entry(&t, "exclude", "excluded",
		     T_ID " 1.0.0 matches exclude rule \"LT 5.2.14\"", "kOSKextReturnNotLoadable");
	facts_macos(&f, 11, 0, 0);
	f.auxkc.in_booted = true;
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 71, MSG_11_EXCLUDED);
	facts_macos(&f, 10, 12, 6);
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 71, MSG_1015_EXCLUDED);
	macext_trace_free(&t);
}

static void test_excluded_first(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f); /* unapproved */
	f.excluded = true;
	f.sig.kind = MACEXT_CS_UNSIGNED;
	f.consent.enabled = false;
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 71, MSG_1015_EXCLUDED);
	expect_entry(&t, "signing", "refuse", NULL, NULL);
	facts_macos(&f, 11, 0, 0);
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 71, MSG_11_EXCLUDED);
	macext_trace_free(&t);
}

static void test_not_excluded_and_grammars(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_approve(&f);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "exclude", "pass", T_ID " 1.0.0 is not on the exclude list", NULL);
	/* only the kernel grammar excludes: user space decides (P20), the trace says so */
	f.excluded_kernel = true;
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "exclude", "pass", "only the kernel grammar excludes it (P20)", NULL);
	f.excluded_kernel = false;
	f.excluded = true;
	f.exclude_rule = "2.0.0 thru 3.1.4";
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 71, MSG_1015_EXCLUDED);
	expect_entry(&t, "exclude", "excluded", "the kernel grammar does not exclude it", NULL);
	macext_trace_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_excluded),
		cmocka_unit_test(test_excluded_first),
		cmocka_unit_test(test_not_excluded_and_grammars),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
