/*
 * lib/policy/uakel.c: User-Approved Kernel Extension Loading (TN2459 / seed 003; HT208019;
 * kexts.md §1.1-1.5, rules U1-U17, §9 P1-P7; rule 7 of §1.11 with consent.c and
 * mdm_kext.c).
 *
 * From macOS 10.13 a third-party kext loads only once approved. Approvals are kept per
 * (Team ID from the signature, bundle ID from Info.plist), so an update with the same pair
 * needs no new approval (U8, U12) while another team's kext with the same bundle ID asks
 * again. Kexts present when the Mac was upgraded to 10.13 are approved (grandfathered,
 * U11, P7). On 10.13.0-10.13.3 MDM enrolment alone turns the feature off (U15). Apple
 * kexts that satisfy anchor apple in /System/Library/Extensions are exempt (P1).
 *
 * The approval pane offers a blocked kext for UAKEL_APPROVAL_WINDOW_S after the alert
 * (U3); later load attempts make it reappear (P3: the window runs from the newest blocked
 * attempt). Who may approve (U5, P5): any user up to 10.15; from 11 an administrator,
 * unless MDM sets AllowNonAdminUserApprovals; refusal is exit 77. Unsigned kexts (no Team
 * ID) cannot be approved in the pane on Intel (P6). Approving one kext approves the other
 * kexts of its Team ID present in the same app bundle, the same /Library/Application
 * Support sub-folder, and all of /Library/Extensions (U7, §1.5, P4).
 */
#include "policy/rules.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define UAKEL_APPROVAL_WINDOW_S MACEXT_POLICY_APPROVAL_WINDOW_S

#define RULE "uakel"
#define REF_NEED "TN2459 / seed 003: unapproved kexts are denied (exit 27); approval window " \
		 "30 minutes"
#define REF_ROW "TN2459 / seed 003: approvals are kept by (Team ID, bundle ID); updates " \
		"need no new approval (U8)"
#define REF_GF "TN2459 / seed 003: kexts present when upgrading to 10.13 are approved (U11)"
#define REF_PRE "kexts.md §1.1: no user approval before macOS 10.13"
#define REF_APPLE "kexts.md §1.2, §9 P1: Apple kexts in /System/Library/Extensions are exempt"
#define REF_ENROLLED "HT208019 / kexts.md U15: MDM enrolment disables UAKEL on 10.13.0-10.13.3"
#define REF_WINDOW "TN2459 / seed 003: the approval UI is present for 30 minutes after the " \
		   "alert (P3)"
#define REF_ADMIN "kexts.md U5, §9 P5: from macOS 11 an administrator approves unless MDM " \
		  "sets AllowNonAdminUserApprovals"
#define REF_UNSIGNED "kexts.md §1.8, §9 P6: unsigned kexts cannot be approved on Intel"
#define REF_MDM "mdm-sysext.md §2.3: AllowUserOverrides false: users cannot approve"

static bool row_covers(const struct macext_facts *f, const char *team)
{
	const struct macext_approval_row *r = &f->approval;

	return r->present && r->allowed && r->team_id && r->bundle_id &&
	       strcmp(r->team_id, team) == 0 && strcmp(r->bundle_id, f->kext.bundle_id) == 0;
}

static const char *row_note(const struct macext_facts *f, const char *team)
{
	const struct macext_approval_row *r = &f->approval;

	if (!r->present)
		return "first block: the alert is shown (U2)";
	if (!r->team_id || strcmp(r->team_id, team) != 0 || !r->bundle_id ||
	    strcmp(r->bundle_id, f->kext.bundle_id) != 0)
		return "the stored row is for another (Team ID, bundle ID): asks again (U8)";
	return "blocked before: no new alert until approved (U2)";
}

static int needs_approval(const struct macext_facts *f, struct macext_trace *t, const char *team)
{
	char window[80];

	if (f->pending.present && f->now >= f->pending.blocked_at &&
	    f->now - f->pending.blocked_at < UAKEL_APPROVAL_WINDOW_S)
		snprintf(window, sizeof(window), "the pane offers Allow for another %lld s",
			 (long long)(UAKEL_APPROVAL_WINDOW_S - (f->now - f->pending.blocked_at)));
	else
		snprintf(window, sizeof(window), "this attempt shows the pane entry for 30 minutes");
	return mx_trace_add(
		t, RULE, "needs-approval", REF_NEED,
		"team \"%s\" bundle %s (developer %s) is not approved; %s; %s%s%s%s", team,
		f->kext.bundle_id, f->sig.developer_name ? f->sig.developer_name : "(unknown)",
		row_note(f, team), window,
		!*team ? "; unsigned: cannot be approved in the pane on Intel (P6)" : "",
		f->team_approved_in_scope ? "; other kexts of the team in this scope are "
					    "approved, but only kexts present at approval time "
					    "were co-approved (P4)"
					  : "",
		mx_macos_at_least(f, 11, 0, 0) ? "; an administrator must approve (U5)" : "");
}

int mx_rule_uakel(const struct macext_facts *f, struct macext_trace *t, enum mx_verdict *ret)
{
	const char *team = mx_kext_team(f);

	*ret = MX_GRANT;
	if (!mx_macos_at_least(f, 10, 13, 0))
		return mx_trace_add(t, RULE, "not-applicable", REF_PRE,
				    "macOS %u.%u loads kexts without user approval", f->macos.major,
				    f->macos.minor);
	if (mx_kext_is_apple_system(f))
		return mx_trace_add(t, RULE, "exempt", REF_APPLE, "%s satisfies anchor apple",
				    f->kext.bundle_id);
	if (!mx_macos_at_least(f, 10, 13, 4) && f->enrollment != MACEXT_ENROLL_NONE)
		return mx_trace_add(t, RULE, "mdm-enrolled", REF_ENROLLED,
				    "enrolment %s turns UAKEL off before 10.13.4",
				    macext_enrollment_name(f->enrollment));
	if (row_covers(f, team))
		return mx_trace_add(t, RULE, "approved", REF_ROW,
				    "kext_policy row (team \"%s\", %s) allowed = 1, developer %s",
				    team, f->kext.bundle_id,
				    f->approval.developer_name ? f->approval.developer_name
							       : "(none)");
	if (f->grandfathered)
		return mx_trace_add(t, RULE, "grandfathered", REF_GF,
				    "(team \"%s\", %s) is in migration.plist", team,
				    f->kext.bundle_id);
	*ret = MX_NEEDS_APPROVAL;
	return needs_approval(f, t, team);
}

static void verdict(struct macext_approval_verdict *ret, int code, const char *reason,
		    const char *ref)
{
	ret->allowed = code == 0;
	ret->exit_code = code;
	ret->reason = reason;
	ret->reference = ref;
}

int macext_policy_may_approve(const struct macext_facts *f, struct macext_approval_verdict *ret)
{
	struct mx_mdm_state m;

	if (!f || !ret || !f->kext.bundle_id)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	if (f->pending.present)
		ret->expires = f->pending.blocked_at + UAKEL_APPROVAL_WINDOW_S;
	mx_mdm_state(f, &m);
	if (!mx_macos_at_least(f, 10, 13, 0)) {
		verdict(ret, 69, "no user approval before macOS 10.13", REF_PRE);
		return 0;
	}
	if (m.honoured && !m.allows && !m.user_overrides) {
		verdict(ret, 69, "user approval is disabled by MDM (AllowUserOverrides is false)",
			REF_MDM);
		return 0;
	}
	if (!f->pending.present || f->now < f->pending.blocked_at ||
	    f->now - f->pending.blocked_at >= UAKEL_APPROVAL_WINDOW_S) {
		verdict(ret, 69, "no pending approval; load the kext again to show it", REF_WINDOW);
		return 0;
	}
	if (!*mx_kext_team(f)) {
		verdict(ret, 69, "Unsigned kext not present in the legacy kext list", REF_UNSIGNED);
		return 0;
	}
	if (mx_macos_at_least(f, 11, 0, 0) && !f->user.admin && !m.non_admin) {
		verdict(ret, 77, "only an administrator may approve kernel extensions", REF_ADMIN);
		return 0;
	}
	verdict(ret, 0, NULL, mx_macos_at_least(f, 11, 0, 0) ? REF_ADMIN : REF_WINDOW);
	return 0;
}

/* Length of the nearest "*.app" directory holding PATH's last component, or 0. */
static size_t app_scope(const char *path)
{
	size_t best = 0;
	const char *s = path;

	while (*s) {
		const char *e = strchr(s, '/');
		size_t n;

		if (!e)
			break; /* the last component is the kext itself */
		n = (size_t)(e - s);
		if (n > 4 && strncasecmp(e - 4, ".app", 4) == 0)
			best = (size_t)(e - path);
		s = e + 1;
	}
	return best;
}

#define APP_SUPPORT "/Library/Application Support/"
#define LIB_EXT "/Library/Extensions/"
#define SYS_EXT "/System/Library/Extensions/"

/* Length of "/Library/Application Support/<first folder>" when PATH is below it, or 0. */
static size_t app_support_scope(const char *path)
{
	const char *s, *e;

	if (strncmp(path, APP_SUPPORT, strlen(APP_SUPPORT)) != 0)
		return 0;
	s = path + strlen(APP_SUPPORT);
	e = strchr(s, '/');
	if (!e || e == s || !e[1])
		return 0;
	return (size_t)(e - path);
}

enum macext_kext_location macext_kext_location_classify(const char *path, size_t *ret_scope_len)
{
	size_t n = 0;
	enum macext_kext_location l = MACEXT_KEXT_LOC_OTHER;

	if (!path)
		goto out;
	if ((n = app_scope(path)) > 0) {
		l = MACEXT_KEXT_LOC_APP_BUNDLE;
	} else if (strncmp(path, SYS_EXT, strlen(SYS_EXT)) == 0) {
		l = MACEXT_KEXT_LOC_SYSTEM;
		n = strlen(SYS_EXT) - 1;
	} else if (strncmp(path, LIB_EXT, strlen(LIB_EXT)) == 0) {
		l = MACEXT_KEXT_LOC_LIBRARY_EXTENSIONS;
		n = strlen(LIB_EXT) - 1;
	} else if ((n = app_support_scope(path)) > 0) {
		l = MACEXT_KEXT_LOC_APP_SUPPORT;
	}
out:
	if (ret_scope_len)
		*ret_scope_len = n;
	return l;
}

static bool same_scope(const char *a, const char *b, size_t n)
{
	return n > 0 && strncmp(a, b, n) == 0 && b[n] == '/';
}

int macext_policy_coapprove(const struct macext_facts *f,
			    const struct macext_coapproval_candidate *cands, size_t n,
			    bool *ret_selected)
{
	const char *team, *kpath;
	size_t kapp, ksup;
	int count = 0;

	if (!f || !f->kext.path || (n && (!cands || !ret_selected)))
		return -EINVAL;
	team = mx_kext_team(f);
	kpath = f->kext.path;
	kapp = app_scope(kpath);
	ksup = app_support_scope(kpath);
	for (size_t i = 0; i < n; i++) {
		const struct macext_coapproval_candidate *c = &cands[i];
		bool sel = false;

		ret_selected[i] = false;
		if (!*team || !c->team_id || !c->path || strcmp(c->team_id, team) != 0 ||
		    strcmp(c->path, kpath) == 0)
			continue;
		if (strncmp(c->path, LIB_EXT, strlen(LIB_EXT)) == 0)
			sel = true;
		else if (kapp && app_scope(c->path) == kapp && same_scope(kpath, c->path, kapp))
			sel = true;
		else if (ksup && same_scope(kpath, c->path, ksup))
			sel = true;
		ret_selected[i] = sel;
		count += sel;
	}
	return count;
}
