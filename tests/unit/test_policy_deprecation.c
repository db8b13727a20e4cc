/* Unit tests for lib/policy/deprecation.c: deprecated KPIs per release (kexts.md §7.1,
 * §7.6, P12): nothing before 10.15, warning 10.15-10.15.3, Legacy System Extension alert
 * from 10.15.4 (not for MDM-allowed kexts), refusal from 11.0 unless SIP is off or MDM
 * allows the kext; and 12.2 vs 12.3 with the facts computed by lib/model's classifier. */
#include "policy_facts.h"

#include "model/deprecation.h"

static const struct macext_kpi_fact kauth_dep = {"kauth", false, false, NULL};
static const struct macext_kpi_fact kauth_uns = {"kauth", true, false, "symbols _kauth_listen_scope"};
static const struct macext_kpi_fact socket_dep = {"socket", false, false, NULL};

static void kpi(struct macext_facts *f, const struct macext_kpi_fact *k)
{
	f->kpi = k;
	f->nkpi = 1;
}

static void test_before_1015(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_approve(&f);
	kpi(&f, &kauth_dep);
	facts_macos(&f, 10, 14, 6);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "deprecation", "none", "before macOS 10.15", NULL);
	f.nkpi = 0;
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "deprecation", "none", "uses no deprecated KPI", NULL);
	macext_trace_free(&t);
}

static void test_warning_then_alert(void **state)
{
	struct macext_mdm_kext_payload p = payload_allowing_team("U");
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_approve(&f);
	kpi(&f, &kauth_dep);
	facts_macos(&f, 10, 15, 0);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "deprecation", "warning", "categories kauth: deprecated", "10.15");
	facts_macos(&f, 10, 15, 3);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "deprecation", "warning", NULL, NULL);
	facts_macos(&f, 10, 15, 4);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "deprecation", "alert", "Legacy System Extension", "seed-004");
	/* no alert for a kext an MDM payload allows */
	facts_mdm(&f, &p, 1);
	f.enrollment = MACEXT_ENROLL_USER_APPROVED;
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "deprecation", "warning", "no Legacy System Extension alert", NULL);
	macext_trace_free(&t);
}

static void test_refusal_from_11(void **state)
{
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_approve(&f);
	f.auxkc.in_booted = true;
	kpi(&f, &kauth_uns);
	/* even if the facts call it unsupported, 10.15.7 does not refuse */
	facts_macos(&f, 10, 15, 7);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "deprecation", "alert", NULL, NULL);
	facts_macos(&f, 11, 0, 0);
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 71, MSG_11_UNSUPPORTED);
	expect_entry(&t, "deprecation", "refuse",
		     "kauth (unsupported: symbols _kauth_listen_scope)", "P12");
	/* the refusal comes before approval: an unapproved kext is refused with 71 too */
	f.approval.present = false;
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 71, MSG_11_UNSUPPORTED);
	/* merely deprecated categories still load on 11 */
	facts_approve(&f);
	kpi(&f, &socket_dep);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "deprecation", "warning", "deprecated only", NULL);
	macext_trace_free(&t);
}

static void test_exemptions(void **state)
{
	struct macext_mdm_kext_payload p = payload_allowing_team("UUID-9");
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_approve(&f);
	f.auxkc.in_booted = true;
	kpi(&f, &kauth_uns);
	facts_macos(&f, 11, 0, 0);
	f.csr_active_config = MACEXT_CSR_ALLOW_UNTRUSTED_KEXTS;
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "deprecation", "exempt-sip", NULL, "not enforced with SIP disabled");
	f.csr_active_config = 0;
	facts_mdm(&f, &p, 1);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "deprecation", "exempt-mdm", "payload UUID-9", NULL);
	/* a payload that only lets the user approve does not exempt the kext */
	p.allowed_teams = NULL;
	p.nallowed_teams = 0;
	p.allow_user_overrides = MACEXT_TRUE;
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 71, MSG_11_UNSUPPORTED);
	macext_trace_free(&t);
}

/* The audio category's outcome as lib/model computes it for release MAJOR.MINOR. */
static enum mx_kpi_outcome audio_outcome(unsigned major, unsigned minor)
{
	const struct macext_kext_library lib = {"com.apple.iokit.IOAudioFamily", "1.0"};
	struct macext_macos_version v = {major, minor, 0};
	struct mx_kpi_table *tab = NULL;
	struct mx_kpi_match *m = NULL;
	enum mx_kpi_outcome o;
	size_t n = 0;

	assert_int_equal(mx_kpi_table_load(&tab), 0);
	assert_int_equal(mx_kpi_classify(tab, NULL, 0, &lib, 1, &m, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].id, "audio");
	o = mx_kpi_outcome(tab, &m[0], &v, 0);
	mx_kpi_matches_free(m, n);
	mx_kpi_table_free(tab);
	return o;
}

/* 12.2 vs 12.3: audio kexts are listed from 12.3 as an obligatory migration but still load
 * (P13); the facts are what lib/model's classifier gives for each release. */
static void test_1223_boundary(void **state)
{
	struct macext_kpi_fact audio = {"audio", false, false, "com.apple.iokit.IOAudioFamily"};
	struct macext_trace t = {0};
	struct macext_facts f;

	(void)state;
	facts_init(&f);
	facts_approve(&f);
	f.auxkc.in_booted = true;
	facts_macos(&f, 12, 2, 0);
	assert_int_equal(audio_outcome(12, 2), MX_KPI_NONE);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "deprecation", "none", NULL, NULL);

	facts_macos(&f, 12, 3, 0);
	assert_int_equal(audio_outcome(12, 3), MX_KPI_OBLIGATORY);
	audio.obligatory = true;
	kpi(&f, &audio);
	expect_decision(&f, &t, MACEXT_DECISION_ALLOW, 0, NULL);
	expect_entry(&t, "deprecation", "obligatory", "categories audio: replacement obligatory",
		     "P13");
	/* an unsupported category next to it still refuses */
	const struct macext_kpi_fact two[] = {audio, {"kauth", true, false, NULL}};
	f.kpi = two;
	f.nkpi = 2;
	expect_decision(&f, &t, MACEXT_DECISION_DENY, 71, MSG_11_UNSUPPORTED);
	expect_entry(&t, "deprecation", "refuse", "audio, kauth (unsupported)", NULL);
	macext_trace_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_before_1015),   cmocka_unit_test(test_warning_then_alert),
		cmocka_unit_test(test_refusal_from_11), cmocka_unit_test(test_exemptions),
		cmocka_unit_test(test_1223_boundary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
