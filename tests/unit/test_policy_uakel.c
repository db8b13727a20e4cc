/* Unit tests for lib/policy/uakel.c: User-Approved Kernel Extension Loading (TN2459 /
 * seed 003; kexts.md §1.4-1.5, §9 P1-P7): both sides of the 30-minute window, 10.12 vs
 * 10.13, 10.13.3 vs 10.13.4 with enrolment, admin vs non-admin on 10.15.7 vs 11.0,
 * (Team ID, bundle ID) keys, grandfathering and the co-approval scopes. */
#include "policy_facts.h"

static void test_version_boundary(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_macos(&f, 10, 12, 6);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "uakel", "not-applicable", "without user approval", "before macOS 10.13");

	facts_macos(&f, 10, 13, 0);
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_1015_POLICY);
	expect_entry(&t, "uakel", "needs-approval", "first block: the alert is shown",
		     "TN2459 / seed 003");
	macext_trace_free(&t);
}

static void test_approved_row_and_update(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_approve(&f);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "uakel", "approved", "allowed = 1", "(U8)");

	/* an update: same team and bundle, new version and binary: no new approval (U8) */
	f.kext.version = "2.0.0";
	f.sig.cdhash = "2222222222222222222222222222222222222222";
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "uakel", "approved", NULL, NULL);

	/* a row with allowed = 0: blocked before, no new alert */
	f.approval.allowed = false;
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_1015_POLICY);
	expect_entry(&t, "uakel", "needs-approval", "no new alert", NULL);
	macext_trace_free(&t);
}

static void test_different_team_asks_again(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_approve(&f);
	f.sig.team_id = "ZZZZZ99999";
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_1015_POLICY);
	expect_entry(&t, "uakel", "needs-approval", "another (Team ID, bundle ID)", NULL);

	/* same team, another bundle id: not covered either */
	facts_init(&f);
	facts_approve(&f);
	f.kext.bundle_id = "com.example.other";
	expect_decided(&f, &t);
	expect_entry(&t, "uakel", "needs-approval", "another", NULL);
	macext_trace_free(&t);
}

static void test_grandfathered(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_macos(&f, 10, 13, 0);
	f.grandfathered = true;
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "uakel", "grandfathered", "migration.plist", "(U11)");
	f.grandfathered = false;
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_1015_POLICY);
	macext_trace_free(&t);
}

static void test_enrolment_before_10134(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	f.enrollment = MACEXT_ENROLL_USER_APPROVED;
	facts_macos(&f, 10, 13, 3);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "uakel", "mdm-enrolled", "user-approved", "U15");
	facts_macos(&f, 10, 13, 4);
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_1015_POLICY);
	expect_entry(&t, "uakel", "needs-approval", NULL, NULL);
	/* not enrolled on 10.13.3: UAKEL applies */
	f.enrollment = MACEXT_ENROLL_NONE;
	facts_macos(&f, 10, 13, 3);
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_1015_POLICY);
	macext_trace_free(&t);
}

static void test_apple_kext_exempt(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	f.kext.bundle_id = "com.apple.driver.Foo";
	f.kext.path = "/System/Library/Extensions/Foo.kext";
	f.kext.location = MACEXT_KEXT_LOC_SYSTEM;
	facts_no_team(&f, MACEXT_CS_APPLE);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "uakel", "exempt", "anchor apple", "P1");
	/* an Apple kext outside the system volume needs approval (P1) */
	f.kext.path = "/Library/Apple/System/Library/Extensions/Foo.kext";
	f.kext.location = MACEXT_KEXT_LOC_OTHER;
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27,
			"/Library/Apple/System/Library/Extensions/Foo.kext failed to load - "
			"(libkern/kext) system policy prevents loading; check the system/kernel "
			"logs for errors or try kextutil(8).\nSystem policy prevents loading the "
			"kernel extension.");
	macext_trace_free(&t);
}

static void test_pane_name_by_release(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_macos(&f, 11, 0, 0);
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_11_POLICY);
	expect_entry(&t, "uakel", "needs-approval", "an administrator must approve", NULL);
	facts_macos(&f, 12, 7, 6);
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_11_POLICY);
	facts_macos(&f, 13, 0, 0);
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_13_POLICY);
	macext_trace_free(&t);
}

static void test_window_in_trace(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_pending(&f, 1799);
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_1015_POLICY);
	expect_entry(&t, "uakel", "needs-approval", "Allow for another 1 s", NULL);
	facts_pending(&f, 1800);
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_1015_POLICY);
	expect_entry(&t, "uakel", "needs-approval", "this attempt shows the pane entry", NULL);
	macext_trace_free(&t);
}

static void test_may_approve_window(void **state)
{
	struct macext_approval_verdict v;
	struct macext_facts f;

	(void)state;
	assert_int_equal(MACEXT_POLICY_APPROVAL_WINDOW_S, 30 * 60);
	facts_init(&f);
	facts_pending(&f, 29 * 60 + 59);
	assert_int_equal(macext_policy_may_approve(&f, &v), 0);
	assert_true(v.allowed);
	assert_int_equal(v.exit_code, 0);
	assert_null(v.reason);
	assert_int_equal(v.expires, T_NOW + 1);

	facts_pending(&f, 30 * 60);
	assert_int_equal(macext_policy_may_approve(&f, &v), 0);
	assert_false(v.allowed);
	assert_int_equal(v.exit_code, 69);
	assert_string_equal(v.reason, "no pending approval; load the kext again to show it");
	assert_int_equal(v.expires, T_NOW);
	assert_non_null(strstr(v.reference, "30 minutes"));

	f.pending.present = false;
	assert_int_equal(macext_policy_may_approve(&f, &v), 0);
	assert_int_equal(v.exit_code, 69);
	assert_int_equal(v.expires, 0);

	/* a block recorded "in the future" of the modeled clock is not a pending one */
	facts_pending(&f, -1);
	assert_int_equal(macext_policy_may_approve(&f, &v), 0);
	assert_int_equal(v.exit_code, 69);
	assert_int_equal(macext_policy_may_approve(NULL, &v), -EINVAL);
}

static const char *const na_teams[] = {"OTHER00000"};

static void test_may_approve_admin(void **state)
{
	struct macext_mdm_kext_payload p = {.allowed_teams = na_teams, .nallowed_teams = 1,
					    .allow_user_overrides = MACEXT_TRUE,
					    .allow_non_admin_user_approvals = MACEXT_TRUE};
	struct macext_approval_verdict v;
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_pending(&f, 60);
	f.user.admin = false;
	facts_macos(&f, 10, 15, 7);
	assert_int_equal(macext_policy_may_approve(&f, &v), 0);
	assert_true(v.allowed); /* any user up to 10.15 (U5, P5) */

	facts_macos(&f, 11, 0, 0);
	assert_int_equal(macext_policy_may_approve(&f, &v), 0);
	assert_false(v.allowed);
	assert_int_equal(v.exit_code, 77);
	assert_string_equal(v.reason, "only an administrator may approve kernel extensions");

	f.user.admin = true;
	assert_int_equal(macext_policy_may_approve(&f, &v), 0);
	assert_true(v.allowed);

	/* MDM AllowNonAdminUserApprovals, delivered by ADE */
	f.user.admin = false;
	facts_mdm(&f, &p, 1);
	assert_int_equal(macext_policy_may_approve(&f, &v), 0);
	assert_true(v.allowed);
	/* the same payload with no enrolment that may deliver it: ignored */
	f.enrollment = MACEXT_ENROLL_USER_ENROLLMENT;
	assert_int_equal(macext_policy_may_approve(&f, &v), 0);
	assert_int_equal(v.exit_code, 77);
	/* an explicit false in another payload wins */
	struct macext_mdm_kext_payload two[2] = {p, p};
	two[1].allow_non_admin_user_approvals = MACEXT_FALSE;
	facts_mdm(&f, two, 2);
	assert_int_equal(macext_policy_may_approve(&f, &v), 0);
	assert_int_equal(v.exit_code, 77);
}

static void test_may_approve_unsigned_and_mdm(void **state)
{
	struct macext_mdm_kext_payload p = {.payload_uuid = "U1"};
	struct macext_approval_verdict v;
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_pending(&f, 60);
	facts_no_team(&f, MACEXT_CS_UNSIGNED);
	assert_int_equal(macext_policy_may_approve(&f, &v), 0);
	assert_int_equal(v.exit_code, 69);
	assert_string_equal(v.reason, "Unsigned kext not present in the legacy kext list");

	facts_init(&f);
	facts_pending(&f, 60);
	facts_mdm(&f, &p, 1);
	f.enrollment = MACEXT_ENROLL_USER_APPROVED;
	assert_int_equal(macext_policy_may_approve(&f, &v), 0);
	assert_int_equal(v.exit_code, 69);
	assert_non_null(strstr(v.reason, "AllowUserOverrides"));
	/* the payload exists from 10.13.2: on 10.13.1 it blocks nothing */
	facts_macos(&f, 10, 13, 1);
	assert_int_equal(macext_policy_may_approve(&f, &v), 0);
	assert_true(v.allowed);
	facts_macos(&f, 10, 13, 2);
	assert_int_equal(macext_policy_may_approve(&f, &v), 0);
	assert_int_equal(v.exit_code, 69);
	p.allow_user_overrides = MACEXT_TRUE;
	assert_int_equal(macext_policy_may_approve(&f, &v), 0);
	assert_true(v.allowed);
}

static void test_classify(void **state)
{
	static const struct {
		const char *path;
		enum macext_kext_location loc;
		const char *scope;
	} cases[] = {
		{"/Library/Extensions/A.kext", MACEXT_KEXT_LOC_LIBRARY_EXTENSIONS,
		 "/Library/Extensions"},
		{"/System/Library/Extensions/IOHIDFamily.kext", MACEXT_KEXT_LOC_SYSTEM,
		 "/System/Library/Extensions"},
		{"/Applications/Foo.app/Contents/Library/Extensions/A.kext",
		 MACEXT_KEXT_LOC_APP_BUNDLE, "/Applications/Foo.app"},
		{"/Applications/Foo.APP/Contents/Helper.app/Contents/A.kext",
		 MACEXT_KEXT_LOC_APP_BUNDLE, "/Applications/Foo.APP/Contents/Helper.app"},
		{"/Library/Application Support/VirtualBox/VBoxDrv.kext",
		 MACEXT_KEXT_LOC_APP_SUPPORT, "/Library/Application Support/VirtualBox"},
		{"/Library/Application Support/X.kext", MACEXT_KEXT_LOC_OTHER, ""},
		{"/opt/X.kext", MACEXT_KEXT_LOC_OTHER, ""},
		{"/Library/Extensions/My.app", MACEXT_KEXT_LOC_LIBRARY_EXTENSIONS,
		 "/Library/Extensions"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = 99;
		enum macext_kext_location l = macext_kext_location_classify(cases[i].path, &n);

		if (l != cases[i].loc || n != strlen(cases[i].scope) ||
		    strncmp(cases[i].path, cases[i].scope, n) != 0)
			fail_msg("%s: %s/%zu", cases[i].path, macext_kext_location_name(l), n);
	}
}

static void test_coapproval_app_bundle(void **state)
{
	const struct macext_coapproval_candidate c[] = {
		{T_TEAM, "a", "/Applications/Foo.app/Contents/Library/Extensions/B.kext"},
		{"OTHER00000", "b", "/Applications/Foo.app/Contents/Library/Extensions/C.kext"},
		{T_TEAM, "c", "/Library/Extensions/D.kext"},
		{"OTHER00000", "d", "/Library/Extensions/E.kext"},
		{T_TEAM, "e", "/Applications/Bar.app/Contents/Library/Extensions/F.kext"},
		{T_TEAM, "f", "/Library/Application Support/Foo/G.kext"},
		{T_TEAM, T_ID, "/Applications/Foo.app/Contents/Library/Extensions/A.kext"},
		{T_TEAM, "g", "/Applications/Foo.app/Contents/Helper.app/Contents/H.kext"},
		{T_TEAM, "h", "/Applications/Foo.appx/I.kext"},
	};
	const bool want[] = {true, false, true, false, false, false, false, false, false};
	bool sel[sizeof(c) / sizeof(c[0])];
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	f.kext.path = "/Applications/Foo.app/Contents/Library/Extensions/A.kext";
	assert_int_equal(macext_policy_coapprove(&f, c, 9, sel), 2);
	for (size_t i = 0; i < 9; i++)
		if (sel[i] != want[i])
			fail_msg("candidate %zu (%s): %d", i, c[i].path, sel[i]);
}

static void test_coapproval_app_support_and_le(void **state)
{
	const struct macext_coapproval_candidate c[] = {
		{T_TEAM, "a", "/Library/Application Support/VirtualBox/sub/VBoxUSB.kext"},
		{T_TEAM, "b", "/Library/Application Support/Other/X.kext"},
		{T_TEAM, "c", "/Library/Extensions/D.kext"},
		{T_TEAM, "d", "/Applications/VirtualBox.app/Contents/E.kext"},
	};
	bool sel[4];
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	f.kext.path = "/Library/Application Support/VirtualBox/VBoxDrv.kext";
	assert_int_equal(macext_policy_coapprove(&f, c, 4, sel), 2);
	assert_true(sel[0]);
	assert_false(sel[1]);
	assert_true(sel[2]);
	assert_false(sel[3]);

	/* K in /Library/Extensions: only /Library/Extensions is co-approved */
	f.kext.path = T_PATH;
	assert_int_equal(macext_policy_coapprove(&f, c, 4, sel), 1);
	assert_true(sel[2]);

	/* an unsigned kext has no Team ID: nothing is co-approved */
	f.sig.kind = MACEXT_CS_ADHOC;
	assert_int_equal(macext_policy_coapprove(&f, c, 4, sel), 0);
	assert_false(sel[2]);
	assert_int_equal(macext_policy_coapprove(NULL, c, 4, sel), -EINVAL);
}

static void test_scope_note(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	f.team_approved_in_scope = true;
	expect_decision(&f, &t, MACEXT_DECISION_NEEDS_APPROVAL, 27, MSG_1015_POLICY);
	expect_entry(&t, "uakel", "needs-approval", "only kexts present at approval time", NULL);
	macext_trace_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_boundary),
		cmocka_unit_test(test_approved_row_and_update),
		cmocka_unit_test(test_different_team_asks_again),
		cmocka_unit_test(test_grandfathered),
		cmocka_unit_test(test_enrolment_before_10134),
		cmocka_unit_test(test_apple_kext_exempt),
		cmocka_unit_test(test_pane_name_by_release),
		cmocka_unit_test(test_window_in_trace),
		cmocka_unit_test(test_may_approve_window),
		cmocka_unit_test(test_may_approve_admin),
		cmocka_unit_test(test_may_approve_unsigned_and_mdm),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_coapproval_app_bundle),
		cmocka_unit_test(test_coapproval_app_support_and_le),
		cmocka_unit_test(test_scope_note),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
