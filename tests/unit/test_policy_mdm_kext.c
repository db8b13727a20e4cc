/* Unit tests for lib/policy/mdm_kext.c: the kernel-extension-policy payload
 * (mdm-sysext.md §2.3, §4.1, §4.5; kexts.md §1.7, P9): the two allow steps, the team
 * precedence clause, AllowUserOverrides (block vs user approval), merging several
 * payloads, the enrolment that may deliver it, and 10.13.1 vs 10.13.2. */
#include "policy_facts.h"

static const char *const ids_b[] = {"com.example.other", T_ID};
static const char *const ids_other[] = {"com.example.other"};
static const char *const ids_unsigned[] = {T_ID};

static void test_allowed_kernel_extensions(void **state)
{
	const struct macext_mdm_kext_team kx[] = {{T_TEAM, ids_b, 2}};
	struct macext_mdm_kext_payload p = {.profile_id = "com.example.kexts",
					    .payload_uuid = "UUID-1",
					    .allowed_kexts = kx,
					    .nallowed_kexts = 1};
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_mdm(&f, &p, 1);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "mdm-kext", "allowed",
		     T_ID " listed under team \"" T_TEAM "\" in AllowedKernelExtensions of payload "
			  "UUID-1 (profile com.example.kexts)",
		     "mdm-sysext.md §2.3");
	/* another bundle of the team is not listed: blocked (AllowUserOverrides default false) */
	f.kext.bundle_id = "com.example.third";
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 27,
			T_PATH " failed to load - (libkern/kext) system policy prevents loading; "
			       "check the system/kernel logs for errors or try kextutil(8).\n"
			       "System policy prevents loading the kernel extension.");
	expect_entry(&t, "mdm-kext", "blocked", "the user cannot approve it", "AllowUserOverrides");
	macext_trace_free(&t);
}

static void test_team_identifiers_and_precedence(void **state)
{
	const struct macext_mdm_kext_team kx[] = {{T_TEAM, ids_other, 1}};
	struct macext_mdm_kext_payload p = payload_allowing_team("UUID-2");
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_mdm(&f, &p, 1);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "mdm-kext", "allowed", "AllowedTeamIdentifiers of payload UUID-2", NULL);

	/* the team is also a key of AllowedKernelExtensions of the same payload: only its
	 * listed bundles (U-2), and the trace names the payload whose team entry is ignored */
	p.allowed_kexts = kx;
	p.nallowed_kexts = 1;
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 27, MSG_1015_POLICY);
	expect_entry(&t, "mdm-kext", "blocked",
		     "not allowed by the 1 payloads (AllowedTeamIdentifiers of payload UUID-2 "
		     "ignored: it keys the team in AllowedKernelExtensions, U-2, UNCONFIRMED)",
		     NULL);
	/* a listed bundle of that team is still allowed through the dictionary */
	f.kext.bundle_id = "com.example.other";
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "mdm-kext", "allowed", "listed under team", NULL);
	macext_trace_free(&t);
}

/*
 * U-2 applies per payload, before merging (mdm-sysext.md §8 U-2, kexts.md P9): payload A
 * allows team T outright; payload B lists only some of T's kexts. A kext of T that B does
 * not list is allowed through A; B's key does not shadow A's team entry. Same answer in
 * either install order.
 */
static void test_u2_per_payload(void **state)
{
	static const char *const teams[] = {T_TEAM};
	const struct macext_mdm_kext_team kx[] = {{T_TEAM, ids_other, 1}};
	struct macext_mdm_kext_payload a = {.profile_id = "com.example.a",
					    .payload_uuid = "UUID-A",
					    .allowed_teams = teams,
					    .nallowed_teams = 1};
	struct macext_mdm_kext_payload b = {.profile_id = "com.example.b",
					    .payload_uuid = "UUID-B",
					    .allowed_kexts = kx,
					    .nallowed_kexts = 1};
	struct macext_mdm_kext_payload ab[2] = {a, b}, ba[2] = {b, a};
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_mdm(&f, ab, 2);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "mdm-kext", "allowed",
		     "team " T_TEAM " in AllowedTeamIdentifiers of payload UUID-A (profile "
		     "com.example.a), not keyed in its AllowedKernelExtensions",
		     NULL);
	facts_mdm(&f, ba, 2);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "mdm-kext", "allowed", "payload UUID-A", NULL);
	/* the kext B lists is allowed by B's dictionary (step 1 wins over step 2) */
	f.kext.bundle_id = "com.example.other";
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "mdm-kext", "allowed",
		     "com.example.other listed under team \"" T_TEAM "\" in "
		     "AllowedKernelExtensions of payload UUID-B",
		     NULL);
	/* B alone: T's unlisted kext is not allowed (the default AllowUserOverrides false) */
	f.kext.bundle_id = T_ID;
	facts_mdm(&f, &b, 1);
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 27, MSG_1015_POLICY);
	expect_entry(&t, "mdm-kext", "blocked", "not allowed by the 1 payloads;", NULL);
	/* B also lists T in its own AllowedTeamIdentifiers: B's team entry is shadowed (U-2)
	 * but A's still allows, in either order */
	b.allowed_teams = teams;
	b.nallowed_teams = 1;
	ab[1] = b;
	ba[0] = b;
	facts_mdm(&f, ab, 2);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "mdm-kext", "allowed", "payload UUID-A", NULL);
	facts_mdm(&f, ba, 2);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "mdm-kext", "allowed", "payload UUID-A", NULL);
	/* without A, B's own team entry is ignored: blocked, and the trace says why */
	facts_mdm(&f, &b, 1);
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 27, MSG_1015_POLICY);
	expect_entry(&t, "mdm-kext", "blocked", "AllowedTeamIdentifiers of payload UUID-B ignored",
		     "AllowUserOverrides");
	/* on macOS 11 the same two payloads: allowed, so the restart path (28) */
	facts_mdm(&f, ab, 2);
	facts_macos(&f, 11, 0, 0);
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_RESTART, 28, MSG_11_RESTART);
	macext_trace_free(&t);
}

static void test_user_overrides(void **state)
{
	struct macext_mdm_kext_payload p[2] = {{.payload_uuid = "A"}, {.payload_uuid = "B"}};
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	p[0].allow_user_overrides = MACEXT_TRUE;
	facts_mdm(&f, p, 1);
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_1015_POLICY);
	expect_entry(&t, "mdm-kext", "user-overrides", "user approval applies", NULL);
	facts_approve(&f);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);

	/* true + unset: true; true + false: false wins, even over an approved row (P9) */
	facts_mdm(&f, p, 2);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	p[1].allow_user_overrides = MACEXT_FALSE;
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 27, MSG_1015_POLICY);
	expect_entry(&t, "mdm-kext", "blocked", "the 2 payloads", NULL);
	expect_entry(&t, "uakel", "approved", NULL, NULL);
	macext_trace_free(&t);
}

static void test_enrolment(void **state)
{
	const struct macext_mdm_kext_team kx[] = {{T_TEAM, ids_b, 2}};
	struct macext_mdm_kext_payload p = {.payload_uuid = "U", .allowed_kexts = kx,
					    .nallowed_kexts = 1};
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_mdm(&f, &p, 1);
	f.enrollment = MACEXT_ENROLL_USER_APPROVED;
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	f.enrollment = MACEXT_ENROLL_USER_ENROLLMENT;
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_1015_POLICY);
	expect_entry(&t, "mdm-kext", "ignored", "enrolment user-enrollment cannot deliver", NULL);
	f.enrollment = MACEXT_ENROLL_NONE;
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_1015_POLICY);
	expect_entry(&t, "mdm-kext", "ignored", "enrolment none", "§4.5");
	macext_trace_free(&t);
}

static void test_version_10132(void **state)
{
	struct macext_mdm_kext_payload p = {.payload_uuid = "U"}; /* blocks user approval */
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_mdm(&f, &p, 1);
	facts_macos(&f, 10, 13, 1);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL); /* enrolled: UAKEL off (U15) */
	expect_entry(&t, "mdm-kext", "not-applicable", NULL, "10.13.2");
	facts_macos(&f, 10, 13, 2);
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 27, MSG_1015_POLICY);
	expect_entry(&t, "mdm-kext", "blocked", NULL, NULL);
	expect_entry(&t, "uakel", "mdm-enrolled", NULL, NULL);
	macext_trace_free(&t);
}

static void test_unsigned_empty_key(void **state)
{
	const struct macext_mdm_kext_team kx[] = {{"", ids_unsigned, 1}};
	struct macext_mdm_kext_payload p = {.payload_uuid = "U", .allowed_kexts = kx,
					    .nallowed_kexts = 1};
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_no_team(&f, MACEXT_CS_UNSIGNED);
	f.csr_active_config = MACEXT_CSR_ALLOW_UNTRUSTED_KEXTS;
	facts_mdm(&f, &p, 1);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "mdm-kext", "allowed", "under team \"\"", NULL);
	/* with SIP on the signature still refuses it; MDM allowed it, so 71 (kextd) */
	f.csr_active_config = 0;
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 71, MSG_1015_AUTH);
	/* on 11 the signature refusal is code 29 */
	facts_macos(&f, 11, 0, 0);
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 29, MSG_11_SIGNATURE);
	macext_trace_free(&t);
}

static void test_allowed_on_11_needs_restart(void **state)
{
	struct macext_mdm_kext_payload p = payload_allowing_team("U");
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_mdm(&f, &p, 1);
	facts_macos(&f, 11, 0, 0);
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_RESTART, 28, MSG_11_RESTART);
	expect_entry(&t, "mdm-kext", "allowed", NULL, NULL);
	macext_trace_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed_kernel_extensions),
		cmocka_unit_test(test_team_identifiers_and_precedence),
		cmocka_unit_test(test_u2_per_payload),
		cmocka_unit_test(test_user_overrides),
		cmocka_unit_test(test_enrolment),
		cmocka_unit_test(test_version_10132),
		cmocka_unit_test(test_unsigned_empty_key),
		cmocka_unit_test(test_allowed_on_11_needs_restart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
