/*
 * lib/policy/mdm_kext.c: the MDM kernel-extension policy, payload
 * com.apple.syspolicy.kernel-extension-policy (mdm-sysext.md §2.3, §4.1, §4.5; kexts.md
 * §1.7, rule U14; Apple device-management schema).
 *
 * Honoured from macOS 10.13.2, and only when the Mac's enrolment may deliver the payload
 * (user-approved MDM or ADE; never User Enrolment or no enrolment). Several payloads merge:
 * the allow-lists are a union; for AllowUserOverrides and AllowNonAdminUserApprovals an
 * explicit false in any payload wins, else an explicit true, else false (§4.1, P9). For a
 * kext of Team ID T (empty when unsigned) and bundle ID B:
 *   1. B in AllowedKernelExtensions[T] of some payload ("" key for unsigned kexts) -> allowed;
 *   2. T in AllowedTeamIdentifiers of some payload P that does not also key T in its own
 *      AllowedKernelExtensions -> allowed. U-2 (the listed bundles only, UNCONFIRMED) is
 *      applied per payload before merging (§8 U-2, P9): a payload keying T shadows only its
 *      own team entry, never another payload's, as profiles_merge.c and profile_check.c do;
 *   3. otherwise, with AllowUserOverrides false, the user cannot approve: the load is
 *      refused (27) with no pane entry; with it true, UAKEL decides.
 * "Allowed" removes the approval step only; 11+ still needs the AuxKC and a restart.
 */
#include "policy/rules.h"

#include <string.h>

#define RULE "mdm-kext"
#define REF "mdm-sysext.md §2.3: kernel-extension-policy AllowedKernelExtensions / " \
	    "AllowedTeamIdentifiers (device-management schema)"
#define REF_BLOCK "mdm-sysext.md §2.3 step 3, §2.2: AllowUserOverrides false: users cannot " \
		  "approve kexts no payload allows"
#define REF_NA "mdm-sysext.md §2.1: the kext policy payload exists from macOS 10.13.2"
#define REF_ENROLL "mdm-sysext.md §4.5: only user-approved MDM or ADE enrolment delivers " \
		   "the kext policy payload"

static bool list_has(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] && strcmp(v[i], s) == 0)
			return true;
	return false;
}

static bool enrollment_delivers(enum macext_enrollment e)
{
	return e == MACEXT_ENROLL_USER_APPROVED || e == MACEXT_ENROLL_ADE;
}

/* An explicit false anywhere wins, then an explicit true, else the default false. */
static bool merge(bool any_true, bool any_false)
{
	return any_false ? false : any_true;
}

void mx_mdm_state(const struct macext_facts *f, struct mx_mdm_state *ret)
{
	const char *team = mx_kext_team(f);
	bool ovr_t = false, ovr_f = false, na_t = false, na_f = false;
	const struct macext_mdm_kext_payload *team_listed = NULL;

	memset(ret, 0, sizeof(*ret));
	if (f->nmdm == 0 || !mx_macos_at_least(f, 10, 13, 2) ||
	    !enrollment_delivers(f->enrollment))
		return;
	ret->honoured = true;
	for (size_t i = 0; i < f->nmdm; i++) {
		const struct macext_mdm_kext_payload *p = &f->mdm[i];
		bool keyed_here = false; /* U-2: this payload keys T in AllowedKernelExtensions */

		ovr_t |= p->allow_user_overrides == MACEXT_TRUE;
		ovr_f |= p->allow_user_overrides == MACEXT_FALSE;
		na_t |= p->allow_non_admin_user_approvals == MACEXT_TRUE;
		na_f |= p->allow_non_admin_user_approvals == MACEXT_FALSE;
		for (size_t k = 0; k < p->nallowed_kexts; k++) {
			const struct macext_mdm_kext_team *e = &p->allowed_kexts[k];

			if (!e->team_id || strcmp(e->team_id, team) != 0)
				continue;
			keyed_here = true;
			if (!ret->allows &&
			    list_has(e->bundle_ids, e->nbundle_ids, f->kext.bundle_id)) {
				ret->allows = true;
				ret->by = p;
			}
		}
		if (!*team || !list_has(p->allowed_teams, p->nallowed_teams, team))
			continue;
		if (!keyed_here && !team_listed)
			team_listed = p;
		else if (keyed_here && !ret->shadowed)
			ret->shadowed = p;
	}
	if (!ret->allows && team_listed) {
		ret->allows = true;
		ret->by = team_listed;
		ret->by_team = true;
	}
	if (ret->allows)
		ret->shadowed = NULL;
	ret->user_overrides = merge(ovr_t, ovr_f);
	ret->non_admin = mx_macos_at_least(f, 11, 0, 0) && merge(na_t, na_f);
}

static const char *str(const char *s)
{
	return s ? s : "(none)";
}

int mx_rule_mdm_kext(const struct macext_facts *f, struct macext_trace *t, enum mx_verdict *ret)
{
	const char *team = mx_kext_team(f);
	const char *sh_pre, *sh_uuid, *sh_post;
	struct mx_mdm_state m;

	*ret = MX_PASS;
	if (!mx_macos_at_least(f, 10, 13, 2))
		return mx_trace_add(t, RULE, "not-applicable", REF_NA,
				    "%zu payloads; no kext policy payload before macOS 10.13.2",
				    f->nmdm);
	if (f->nmdm == 0)
		return mx_trace_add(t, RULE, "no-payload", REF,
				    "no kernel-extension-policy payload installed");
	if (!enrollment_delivers(f->enrollment))
		return mx_trace_add(t, RULE, "ignored", REF_ENROLL,
				    "%zu payloads ignored: enrolment %s cannot deliver them",
				    f->nmdm, macext_enrollment_name(f->enrollment));
	if (mx_kext_is_apple_system(f))
		return mx_trace_add(t, RULE, "not-applicable", REF,
				    "Apple kext in /System/Library/Extensions (P1)");
	mx_mdm_state(f, &m);
	if (m.allows) {
		*ret = MX_GRANT;
		if (m.by_team)
			return mx_trace_add(t, RULE, "allowed", REF,
					    "team %s in AllowedTeamIdentifiers of payload %s "
					    "(profile %s), not keyed in its AllowedKernelExtensions",
					    team, str(m.by->payload_uuid), str(m.by->profile_id));
		return mx_trace_add(t, RULE, "allowed", REF,
				    "%s listed under team \"%s\" in AllowedKernelExtensions of "
				    "payload %s (profile %s)",
				    f->kext.bundle_id, team, str(m.by->payload_uuid),
				    str(m.by->profile_id));
	}
	sh_pre = m.shadowed ? " (AllowedTeamIdentifiers of payload " : "";
	sh_uuid = m.shadowed ? str(m.shadowed->payload_uuid) : "";
	sh_post = m.shadowed ? " ignored: it keys the team in AllowedKernelExtensions, U-2, "
			       "UNCONFIRMED)" : "";
	if (!m.user_overrides) {
		*ret = MX_BLOCK;
		return mx_trace_add(t, RULE, "blocked", REF_BLOCK,
				    "team \"%s\" bundle %s not allowed by the %zu payloads%s%s%s; "
				    "AllowUserOverrides false: the user cannot approve it",
				    team, f->kext.bundle_id, f->nmdm, sh_pre, sh_uuid, sh_post);
	}
	return mx_trace_add(t, RULE, "user-overrides", REF,
			    "team \"%s\" bundle %s not allowed by the %zu payloads%s%s%s; "
			    "AllowUserOverrides true: user approval applies%s",
			    team, f->kext.bundle_id, f->nmdm, sh_pre, sh_uuid, sh_post,
			    m.non_admin ? " (non-admins may approve)" : "");
}
