#pragma once
/* Shared by tests/unit/test_policy_*.c: a baseline kext on a modeled Intel Mac and the
 * assertions every policy test makes (decision, exit code, exact message, trace entry). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "macext/policy.h"

#define T_TEAM "ABCDE12345"
#define T_ID "com.example.driver"
#define T_PATH "/Library/Extensions/Example.kext"
#define T_NOW INT64_C(1700000000)
#define T_CDHASH "1111111111111111111111111111111111111111"

/* macOS 10.15.7 on an Intel Mac, SIP on, not enrolled; a Developer ID kext in
 * /Library/Extensions, not approved, not excluded; the acting user is an admin. */
static inline void facts_init(struct macext_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->macos = (struct macext_macos_version){10, 15, 7};
	f->platform = MACEXT_PLATFORM_X86_64;
	f->now = T_NOW;
	f->kext.bundle_id = T_ID;
	f->kext.version = "1.0.0";
	f->kext.path = T_PATH;
	f->kext.location = MACEXT_KEXT_LOC_LIBRARY_EXTENSIONS;
	f->sig.kind = MACEXT_CS_DEVELOPER_ID;
	f->sig.valid = true;
	f->sig.kext_marker = true;
	f->sig.team_id = T_TEAM;
	f->sig.developer_name = "Example Corp";
	f->sig.cdhash = T_CDHASH;
	f->consent.enabled = true;
	f->user.name = "admin";
	f->user.admin = true;
}

static inline void facts_macos(struct macext_facts *f, unsigned a, unsigned b, unsigned c)
{
	f->macos = (struct macext_macos_version){a, b, c};
}

/* The kext_policy row (T_TEAM, T_ID) allowed = 1. */
static inline void facts_approve(struct macext_facts *f)
{
	f->approval = (struct macext_approval_row){true, T_TEAM, T_ID, true, "Example Corp"};
}

/* A signature of KIND (unsigned, ad hoc, Apple's), which carries no Team ID. */
static inline void facts_no_team(struct macext_facts *f, enum macext_cs_kind kind)
{
	f->sig.kind = kind;
	f->sig.team_id = NULL;
}

/* The N kernel-extension-policy payloads P, delivered by ADE enrolment. */
static inline void facts_mdm(struct macext_facts *f, const struct macext_mdm_kext_payload *p,
			     size_t n)
{
	f->mdm = p;
	f->nmdm = n;
	f->enrollment = MACEXT_ENROLL_ADE;
}

/* A payload UUID whose AllowedTeamIdentifiers is T_TEAM alone. */
static inline struct macext_mdm_kext_payload payload_allowing_team(const char *uuid)
{
	static const char *const teams[] = {T_TEAM};

	return (struct macext_mdm_kext_payload){
		.payload_uuid = uuid, .allowed_teams = teams, .nallowed_teams = 1};
}

/* The kext was blocked AGO seconds before T_NOW: the pending approval of kexts.md §1.5. */
static inline void facts_pending(struct macext_facts *f, int64_t ago)
{
	f->pending.present = true;
	f->pending.blocked_at = T_NOW - ago;
}

/* Decides and checks decision, exit code and message (NULL = no message). */
static inline void expect_decision(const struct macext_facts *f, struct macext_trace *t,
				   enum macext_decision want, int want_code, const char *want_msg)
{
	enum macext_decision d = (enum macext_decision)-1;
	const char *msg = "unset";
	int code = -1;

	assert_int_equal(macext_policy_decide(f, t, &d, &code, &msg), 0);
	if (d != want)
		fail_msg("decision %s, want %s", macext_decision_name(d),
			 macext_decision_name(want));
	assert_int_equal(code, want_code);
	if (want_msg)
		assert_string_equal(msg, want_msg);
	else
		assert_null(msg);
}

/* Decides, asserting only that the facts were accepted; the caller reads the trace. */
static inline void expect_decided(const struct macext_facts *f, struct macext_trace *t)
{
	enum macext_decision d;
	const char *msg;
	int code;

	assert_int_equal(macext_policy_decide(f, t, &d, &code, &msg), 0);
}

/* The entry of RULE has OUTCOME, and its detail and reference contain the given texts. */
static inline void expect_entry(const struct macext_trace *t, const char *rule,
				const char *outcome, const char *in_detail, const char *in_ref)
{
	const struct macext_trace_entry *e = macext_trace_find(t, rule);

	if (!e)
		fail_msg("no trace entry for %s", rule);
	if (strcmp(e->outcome, outcome) != 0)
		fail_msg("%s: outcome %s, want %s (%s)", rule, e->outcome, outcome, e->detail);
	if (in_detail && !strstr(e->detail, in_detail))
		fail_msg("%s: detail \"%s\" lacks \"%s\"", rule, e->detail, in_detail);
	if (in_ref && !strstr(e->reference, in_ref))
		fail_msg("%s: reference \"%s\" lacks \"%s\"", rule, e->reference, in_ref);
}

#define MSG_1015_POLICY                                                                        \
	T_PATH " failed to load - (libkern/kext) system policy prevents loading; check the "  \
	       "system/kernel logs for errors or try kextutil(8).\nSystem policy prevents "    \
	       "loading the kernel extension."
#define MSG_1015_AUTH                                                                          \
	T_PATH " failed to load - (libkern/kext) authentication failure (file "               \
	       "ownership/permissions); check the system/kernel logs for errors or try "       \
	       "kextutil(8)."
#define MSG_1015_EXCLUDED                                                                      \
	T_PATH " failed to load - (libkern/kext) not loadable (reason unspecified); check the " \
	       "system/kernel logs for errors or try kextutil(8)."
#define KM_LINE(code, text)                                                                    \
	"Error Domain=KMErrorDomain Code=" #code " \"" text                                    \
	"\" UserInfo={NSLocalizedDescription=" text "}"
#define MSG_11_POLICY                                                                          \
	KM_LINE(27, "Extension with identifiers " T_ID " not approved to load. Please approve " \
		    "using System Preferences.")
#define MSG_13_POLICY                                                                          \
	KM_LINE(27, "Extension with identifiers " T_ID " not approved to load. Please approve " \
		    "using System Settings.")
#define MSG_11_RESTART KM_LINE(28, "Loading extension(s): " T_ID " requires a reboot")
#define MSG_11_SIGNATURE KM_LINE(29, "Authenticating extension failed: Bad code signature")
#define MSG_11_UNSUPPORTED KM_LINE(71, "Extension with identifiers " T_ID " unsupported to load.")
#define MSG_11_EXCLUDED                                                                        \
	KM_LINE(71, "Kernel request failed: (libkern/kext) not loadable (reason unspecified) " \
		    "(-603946989)")
