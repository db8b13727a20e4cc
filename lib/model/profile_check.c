/*
 * lib/model/profile_check.c: would this profile approve that kext? (reference/mdm-sysext.md
 * §2.3 steps 1-3, merged over the profile's kext payloads as §4.1 and U-1, U-2.)
 *
 *   1. BUNDLE is listed in AllowedKernelExtensions[TEAM] of some payload ("" for an
 *      unsigned kext)                                            -> allowed-kext
 *   2. TEAM is not "", is in AllowedTeamIdentifiers of some payload, and that payload does
 *      not also list TEAM as a key of AllowedKernelExtensions (the more restrictive rule
 *      wins, per payload, before merging: U-2, UNCONFIRMED)      -> allowed-team
 *   3. otherwise the user-approval path: AllowUserOverrides merged as U-1 (an explicit
 *      false anywhere wins, else an explicit true anywhere, else the default false)
 *      false -> blocked; true -> user-may-approve, and AllowNonAdminUserApprovals (same
 *      merge) says whether a standard user may approve.
 *
 * This answers for one profile on its own; lib/policy/mdm_kext.c decides over every profile
 * installed on a modeled Mac. Team and bundle IDs match byte for byte.
 */
#include "macext/profile.h"

#include <stdio.h>
#include <string.h>

#include "model/profile_plist.h"

static const char *const verdict_names[] = {
	[MACEXT_PROFILE_NO_KEXT_PAYLOAD] = "no-kext-payload",
	[MACEXT_PROFILE_ALLOWED_KEXT] = "allowed-kext",
	[MACEXT_PROFILE_ALLOWED_TEAM] = "allowed-team",
	[MACEXT_PROFILE_USER_MAY_APPROVE] = "user-may-approve",
	[MACEXT_PROFILE_BLOCKED] = "blocked",
};

const char *macext_profile_verdict_name(enum macext_profile_verdict v)
{
	return (unsigned)v < sizeof(verdict_names) / sizeof(verdict_names[0]) ? verdict_names[v]
									       : "unknown";
}

/* U-1: -1 unset, 0 an explicit false seen, 1 only explicit trues seen. */
static void merge(int *acc, plist_t node)
{
	if (!node || plist_get_node_type(node) != PLIST_BOOLEAN)
		return;
	if (!mx_pv_true(node))
		*acc = 0;
	else if (*acc == -1)
		*acc = 1;
}

static long index_of(plist_t arr, const char *s)
{
	uint32_t n;

	if (!arr || plist_get_node_type(arr) != PLIST_ARRAY)
		return -1;
	n = plist_array_get_size(arr);
	for (uint32_t i = 0; i < n; i++) {
		const char *it = mx_pv_str(plist_array_get_item(arr, i));

		if (it && strcmp(it, s) == 0)
			return (long)i;
	}
	return -1;
}

static void at(struct macext_profile_check *c, uint32_t payload, const char *key,
	       const char *team, long i)
{
	struct mx_kpath k = {.len = 0};

	k.buf[0] = '\0';
	mx_kpath_key(&k, "PayloadContent");
	mx_kpath_index(&k, payload);
	mx_kpath_key(&k, key);
	if (team)
		mx_kpath_key(&k, team);
	mx_kpath_index(&k, (size_t)i);
	snprintf(c->location, sizeof(c->location), "%s", k.buf);
}

int macext_profile_check_kext(struct macext_profile_check *ret, const struct macext_profile *p,
			      const char *team_id, const char *bundle_id)
{
	struct macext_profile_check c = {.verdict = MACEXT_PROFILE_NO_KEXT_PAYLOAD};
	plist_t content;
	int overrides = -1, non_admin = -1;
	bool by_team = false;
	uint32_t n;

	if (!ret || !p || !team_id || !bundle_id)
		return -EINVAL;
	content = mx_pv_get(p->root, "PayloadContent");
	n = content && plist_get_node_type(content) == PLIST_ARRAY ? plist_array_get_size(content)
								   : 0;
	for (uint32_t i = 0; i < n; i++) {
		plist_t pl = plist_array_get_item(content, i);
		const char *type = mx_pv_str(mx_pv_get(pl, "PayloadType"));
		plist_t kexts = mx_pv_get(pl, "AllowedKernelExtensions");
		plist_t listed = mx_pv_get(kexts, team_id);
		long k;

		if (!type || strcmp(type, MX_PROFILE_KEXT_TYPE) != 0)
			continue;
		if (c.verdict == MACEXT_PROFILE_NO_KEXT_PAYLOAD)
			c.verdict = MACEXT_PROFILE_BLOCKED;
		merge(&overrides, mx_pv_get(pl, "AllowUserOverrides"));
		merge(&non_admin, mx_pv_get(pl, "AllowNonAdminUserApprovals"));
		k = index_of(listed, bundle_id);
		if (k >= 0) {
			at(&c, i, "AllowedKernelExtensions", team_id, k);
			c.verdict = MACEXT_PROFILE_ALLOWED_KEXT;
			snprintf(c.reason, sizeof(c.reason),
				 "%s is listed for team %s in AllowedKernelExtensions: it loads "
				 "without user approval",
				 bundle_id, *team_id ? team_id : "\"\" (unsigned)");
			break;
		}
		k = *team_id ? index_of(mx_pv_get(pl, "AllowedTeamIdentifiers"), team_id) : -1;
		if (k >= 0 && !listed && !by_team) {
			by_team = true;
			at(&c, i, "AllowedTeamIdentifiers", NULL, k);
		}
	}
	if (c.verdict == MACEXT_PROFILE_BLOCKED && by_team) {
		c.verdict = MACEXT_PROFILE_ALLOWED_TEAM;
		snprintf(c.reason, sizeof(c.reason),
			 "team %s is in AllowedTeamIdentifiers: every validly signed kext of the "
			 "team loads without user approval",
			 team_id);
	} else if (c.verdict == MACEXT_PROFILE_BLOCKED) {
		if (overrides == 1) {
			c.verdict = MACEXT_PROFILE_USER_MAY_APPROVE;
			c.non_admin = non_admin == 1;
		}
		snprintf(c.reason, sizeof(c.reason),
			 c.verdict == MACEXT_PROFILE_BLOCKED
				 ? "%s (team %s) is not allowed and AllowUserOverrides is not true: "
				   "the user cannot approve it"
				 : "%s (team %s) is not allowed; AllowUserOverrides is true, so the "
				   "user may approve it",
			 bundle_id, *team_id ? team_id : "none");
	} else if (c.verdict == MACEXT_PROFILE_NO_KEXT_PAYLOAD) {
		snprintf(c.reason, sizeof(c.reason),
			 "the profile has no %s payload; user approval works as without MDM",
			 MX_PROFILE_KEXT_TYPE);
	}
	*ret = c;
	return 0;
}
