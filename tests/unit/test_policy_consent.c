/* Unit tests for lib/policy/consent.c: spctl kext-consent (TN2459 / seed 003, kexts.md
 * §1.6, U13, P8, P10): disabled consent and listed Team IDs allow, other teams and
 * unsigned kexts do not, nothing before 10.13, changes only in Recovery OS. */
#include "policy_facts.h"

static const char *const teams[] = {"OTHER00000", T_TEAM};

static void test_disabled(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	f.consent.enabled = false;
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "consent", "consent-disabled", "User Consent: DISABLED", "spctl");
	/* UAKEL's own entry still says what it would have decided */
	expect_entry(&t, "uakel", "needs-approval", NULL, NULL);
	f.consent.enabled = true;
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_1015_POLICY);
	expect_entry(&t, "consent", "required", "(0 teams)", NULL);
	macext_trace_free(&t);
}

static void test_team_list(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	f.consent.teams = teams;
	f.consent.nteams = 2;
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "consent", "team-listed", "team " T_TEAM " is on the list", NULL);

	f.consent.nteams = 1; /* only OTHER00000 */
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_1015_POLICY);
	expect_entry(&t, "consent", "required", "not on the list (1 teams)", NULL);

	/* an unsigned kext has no Team ID: never listed, even with SIP off */
	f.consent.nteams = 2;
	f.sig.kind = MACEXT_CS_UNSIGNED;
	f.csr_active_config = 0x7f;
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_1015_POLICY);
	expect_entry(&t, "consent", "required", "team (none)", NULL);
	macext_trace_free(&t);
}

static void test_before_1013(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_macos(&f, 10, 12, 6);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "consent", "not-applicable", NULL, "10.13");
	facts_macos(&f, 10, 13, 0);
	f.consent.enabled = false;
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "consent", "consent-disabled", NULL, NULL);
	macext_trace_free(&t);
}

static void test_precedes_mdm_block(void **state)
{
	struct macext_mdm_kext_payload p = {.payload_uuid = "U1"};
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_mdm(&f, &p, 1);
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 27, MSG_1015_POLICY);
	expect_entry(&t, "mdm-kext", "blocked", NULL, NULL);
	f.consent.teams = teams;
	f.consent.nteams = 2;
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL); /* P10: consent first */
	expect_entry(&t, "consent", "team-listed", NULL, NULL);
	macext_trace_free(&t);
}

static void test_on_11_still_restart(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_macos(&f, 11, 0, 0);
	f.consent.enabled = false;
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_RESTART, 28, MSG_11_RESTART);
	f.auxkc.in_booted = true;
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	macext_trace_free(&t);
}

static void test_may_change(void **state)
{
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	assert_int_equal(macext_policy_consent_may_change(&f), MACEXT_E_NEEDS_RECOVERY);
	f.boot_state = MACEXT_BOOT_RECOVERY;
	assert_int_equal(macext_policy_consent_may_change(&f), 0);
	assert_int_equal(macext_policy_consent_may_change(NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disabled),	   cmocka_unit_test(test_team_list),
		cmocka_unit_test(test_before_1013),	   cmocka_unit_test(test_precedes_mdm_block),
		cmocka_unit_test(test_on_11_still_restart), cmocka_unit_test(test_may_change),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
