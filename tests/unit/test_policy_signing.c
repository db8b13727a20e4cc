/* Unit tests for lib/policy/signing.c: the kext signing requirement (kexts.md §8.3-8.5,
 * §1.10 b): Developer ID with the kext-signing marker passes; without it, ad-hoc, unsigned
 * or invalid signatures are refused with SIP on (71, or 27 when the policy also refuses,
 * up to 10.15; code 29 from 11), tolerated with SIP off; exception lists; com.apple. ids
 * need anchor apple. */
#include "policy_facts.h"

static void test_developer_id(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_approve(&f);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "signing", "pass", "developer-id signature, team " T_TEAM,
		     "1.2.840.113635.100.6.1.18");
	f.sig.kext_marker = false;
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 71, MSG_1015_AUTH);
	expect_entry(&t, "signing", "refuse", "without the kext-signing marker fails the "
					      "requirement (-67050)",
		     NULL);
	facts_macos(&f, 11, 0, 0);
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 29, MSG_11_SIGNATURE);
	macext_trace_free(&t);
}

static void test_refusal_with_policy(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_no_team(&f, MACEXT_CS_ADHOC);
	/* kextd re-asks the system policy: unapproved too, so 27 (§1.10 b step 5) */
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_1015_POLICY);
	expect_entry(&t, "signing", "refuse", "adhoc signature fails the requirement (-67050)",
		     NULL);
	/* from 11 the signature is reported first (code 29), approval or not */
	facts_macos(&f, 11, 0, 0);
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 29, MSG_11_SIGNATURE);
	macext_trace_free(&t);
}

static void test_error_codes(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_approve(&f);
	f.sig.kind = MACEXT_CS_UNSIGNED;
	/* unsigned: no Team ID, so the (T_TEAM, id) row does not cover it: 27 */
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_1015_POLICY);
	f.approval.team_id = ""; /* a row for the unsigned kext (P6): the signature decides */
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 71, MSG_1015_AUTH);
	expect_entry(&t, "signing", "refuse", "(-67062)", NULL);
	f.approval.team_id = T_TEAM;
	f.sig.kind = MACEXT_CS_DEVELOPER_ID;
	f.sig.valid = false;
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 71, MSG_1015_AUTH);
	expect_entry(&t, "signing", "refuse",
		     "(-67061): Untrusted kexts are not allowed; Kext rejected due to invalid "
		     "signature: " T_PATH,
		     NULL);
	macext_trace_free(&t);
}

static void test_sip_off_and_exception(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_approve(&f);
	f.sig.kext_marker = false;
	f.csr_active_config = MACEXT_CSR_ALLOW_UNTRUSTED_KEXTS;
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "signing", "tolerated",
		     "Kext with invalid signature (-67050) allowed: " T_PATH, "§8.5");
	f.csr_active_config = 0;
	f.sig.exception_listed = true;
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "signing", "exception-list", NULL, "§5.7");
	macext_trace_free(&t);
}

static void test_apple_identifier(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	f.kext.bundle_id = "com.apple.driver.Fake";
	f.approval = (struct macext_approval_row){true, T_TEAM, "com.apple.driver.Fake", true,
						  NULL};
	/* a Developer ID signature does not satisfy anchor apple */
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 71, MSG_1015_AUTH);
	expect_entry(&t, "signing", "refuse", NULL, "anchor apple");
	f.sig.kind = MACEXT_CS_APPLE;
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "signing", "pass", NULL, "anchor apple");
	macext_trace_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_developer_id), cmocka_unit_test(test_refusal_with_policy),
		cmocka_unit_test(test_error_codes),  cmocka_unit_test(test_sip_off_and_exception),
		cmocka_unit_test(test_apple_identifier),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
