/* Unit tests for lib/policy/sip.c: what SIP changes for kexts (kexts.md §1.8, §8.5, P23;
 * boot-chain.md §7.3): kext protection follows CSR_ALLOW_UNTRUSTED_KEXTS only; off, bad
 * signatures are tolerated but user approval is still required; CSR_ALLOW_APPLE_INTERNAL
 * alone and CSR_ALLOW_UNAPPROVED_KEXTS change nothing. */
#include "policy_facts.h"

static void unsigned_kext(struct macext_facts *f)
{
	facts_no_team(f, MACEXT_CS_UNSIGNED);
	f->sig.valid = false;
	f->approval = (struct macext_approval_row){true, "", T_ID, true, NULL};
}

static void test_on_off(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	unsigned_kext(&f);
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 71, MSG_1015_AUTH);
	expect_entry(&t, "sip", "enforced", "csr-active-config 0x0 on x86_64", "§8.5");
	expect_entry(&t, "sip", "enforced", "staged to /Library/StagedExtensions", NULL);
	expect_entry(&t, "signing", "refuse", NULL, NULL);

	f.csr_active_config = 0x7f; /* csrutil disable */
	f.platform = MACEXT_PLATFORM_X86_64_T2;
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "sip", "kext-protection-off", "0x7f on x86_64-t2", "P23");
	expect_entry(&t, "signing", "tolerated", NULL, NULL);

	f.csr_active_config = MACEXT_CSR_ALLOW_UNTRUSTED_KEXTS;
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "sip", "kext-protection-off", "user approval still required", NULL);
	macext_trace_free(&t);
}

static void test_off_keeps_approval(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	f.csr_active_config = 0x7f;
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_1015_POLICY);
	facts_macos(&f, 11, 0, 0);
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_11_POLICY);
	expect_entry(&t, "sip", "kext-protection-off", "deprecated-KPI refusal not enforced", NULL);
	/* bit 9 is not honoured either (P23) */
	f.csr_active_config = MACEXT_CSR_ALLOW_UNAPPROVED_KEXTS;
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_11_POLICY);
	expect_entry(&t, "sip", "enforced", "CSR_ALLOW_UNAPPROVED_KEXTS is set but never", NULL);
	macext_trace_free(&t);
}

static void test_apple_internal_alone(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	unsigned_kext(&f);
	f.csr_active_config = MACEXT_CSR_ALLOW_APPLE_INTERNAL;
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 71, MSG_1015_AUTH);
	expect_entry(&t, "sip", "enforced", "dropped on customer units", NULL);
	macext_trace_free(&t);
}

static void test_system_kext_not_staged(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	f.kext.location = MACEXT_KEXT_LOC_SYSTEM;
	expect_decided(&f, &t);
	expect_entry(&t, "sip", "enforced", NULL, NULL);
	assert_null(strstr(macext_trace_find(&t, "sip")->detail, "staged"));
	macext_trace_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_on_off),
		cmocka_unit_test(test_off_keeps_approval),
		cmocka_unit_test(test_apple_internal_alone),
		cmocka_unit_test(test_system_kext_not_staged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
