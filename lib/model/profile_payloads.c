/*
 * lib/model/profile_payloads.c: the two extension payloads, key by key
 * (reference/mdm-sysext.md §2.2, §2.4 for com.apple.syspolicy.kernel-extension-policy;
 * §3.2-§3.4 for com.apple.system-extension-policy).
 *
 * Each payload key has a type and the macOS release that introduced it; a key newer than
 * --macos is `<kind>.key.too-new` (older macOS ignores it). Team IDs are checked against
 * ^[A-Z0-9]{10}$; the empty key of AllowedKernelExtensions is exempt (it lists unsigned
 * kexts, §2.2). Bundle IDs are checked for what a CFBundleIdentifier may hold (non-empty,
 * at most 63 bytes as kexts.md §V2, only letters, digits, '-' and '.' [proposal:
 * `<kind>.bundle-id.shape`, warning]). A list that is present but empty approves nothing
 * (`<kind>.list.empty`, warning [proposal]).
 *
 * Cross-key rules inside one payload: kext.team.shadowed (§2.2, UNCONFIRMED precedence),
 * kext.empty, sysext.team.both and sysext.removable.conflict (Apple's own errors, §3.3),
 * sysext.types.only (U-3), sysext.nonremovable.not-allowed and sysext.overrides.off.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/plist_walk.h"
#include "model/profile_plist.h"

#define NOTE MACEXT_SEVERITY_NOTE
#define WARN MACEXT_SEVERITY_WARNING
#define ERR MACEXT_SEVERITY_ERROR

enum list_kind {
	LIST_BUNDLES, /* values are bundle IDs */
	LIST_TYPES,   /* values are AllowedSystemExtensionTypes strings */
};

struct pkey {
	const char *key;
	plist_type type;
	const char *since;
	enum list_kind list; /* for dictionaries of arrays */
};

static const struct pkey kext_keys[] = {
	{"AllowUserOverrides", PLIST_BOOLEAN, "10.13.2", LIST_BUNDLES},
	{"AllowNonAdminUserApprovals", PLIST_BOOLEAN, "11.0", LIST_BUNDLES},
	{"AllowedTeamIdentifiers", PLIST_ARRAY, "10.13.2", LIST_BUNDLES},
	{"AllowedKernelExtensions", PLIST_DICT, "10.13.2", LIST_BUNDLES},
};

static const struct pkey sysext_keys[] = {
	{"AllowUserOverrides", PLIST_BOOLEAN, "10.15", LIST_BUNDLES},
	{"AllowedTeamIdentifiers", PLIST_ARRAY, "10.15", LIST_BUNDLES},
	{"AllowedSystemExtensions", PLIST_DICT, "10.15", LIST_BUNDLES},
	{"AllowedSystemExtensionTypes", PLIST_DICT, "10.15", LIST_TYPES},
	/* 12.0 in the schema, 12.0.1 in the deployment guide: the same first release (U-7) */
	{"RemovableSystemExtensions", PLIST_DICT, "12.0", LIST_BUNDLES},
	{"NonRemovableSystemExtensions", PLIST_DICT, "15.0", LIST_BUNDLES},
	{"NonRemovableFromUISystemExtensions", PLIST_DICT, "15.0", LIST_BUNDLES},
};

static const char *const common_keys[] = {
	"PayloadType",	      "PayloadIdentifier",  "PayloadUUID",	   "PayloadVersion",
	"PayloadDisplayName", "PayloadDescription", "PayloadOrganization", "PayloadEnabled",
};

static const char *const sysext_types[] = {
	"DriverExtension",
	"NetworkExtension",
	"EndpointSecurityExtension",
};

/* The walk over one payload: which kind ("kext"/"sysext") names the rules. */
struct pw {
	struct mx_pv *v;
	const char *kind;
	bool kext;
};

static void rule(struct pw *w, char *buf, size_t size, const char *what)
{
	snprintf(buf, size, "%s.%s", w->kind, what);
}

#define ADD(w, sev, what, ...)                                                  \
	do {                                                                    \
		char rule_[64];                                                 \
		rule(w, rule_, sizeof(rule_), what);                            \
		mx_pv_add((w)->v, sev, rule_, __VA_ARGS__);                     \
	} while (0)

static bool has_lower(const char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			return true;
	return false;
}

static void check_team(struct pw *w, const char *team, bool empty_ok)
{
	char up[16];
	size_t n = strlen(team);

	if (mx_pv_team_id_ok(team) || (empty_ok && !*team))
		return;
	if (w->kext && has_lower(team) && n == 10) {
		for (size_t i = 0; i <= n; i++)
			up[i] = (char)(team[i] >= 'a' && team[i] <= 'z' ? team[i] - 32 : team[i]);
		if (mx_pv_team_id_ok(up)) {
			ADD(w, WARN, "team.lowercase",
			    "team ID '%s' has lowercase letters; team IDs in signatures are "
			    "uppercase and matching is exact",
			    team);
			return;
		}
	}
	ADD(w, WARN, "team.shape", "team ID '%s' is not 10 uppercase letters or digits", team);
}

static void check_value(struct pw *w, const char *s, enum list_kind list)
{
	if (list == LIST_TYPES) {
		for (size_t i = 0; i < sizeof(sysext_types) / sizeof(sysext_types[0]); i++)
			if (strcmp(s, sysext_types[i]) == 0)
				return;
		ADD(w, ERR, "type.value",
		    "'%s' is not DriverExtension, NetworkExtension or EndpointSecurityExtension", s);
		return;
	}
	if (!mx_pv_bundle_id_ok(s))
		ADD(w, WARN, "bundle-id.shape",
		    "bundle ID '%s' is not 1-63 letters, digits, '-' or '.'", s);
}

/* An array of strings; each item is a team ID (TEAMS) or a value of kind LIST. */
static void check_string_array(struct pw *w, plist_t arr, bool teams, enum list_kind list)
{
	uint32_t n = plist_array_get_size(arr);

	if (n == 0)
		ADD(w, WARN, "list.empty", "the list is empty and approves nothing");
	for (uint32_t i = 0; i < n; i++) {
		plist_t it = plist_array_get_item(arr, i);
		size_t old = mx_kpath_index(&w->v->path, i);
		const char *s = mx_pv_str(it);

		if (!s)
			ADD(w, ERR, "value.type", "item is not a string but a %s",
			    mx_pv_type_name(it));
		else if (teams)
			check_team(w, s, false);
		else
			check_value(w, s, list);
		mx_kpath_pop(&w->v->path, old);
	}
}

/* A dictionary {team ID -> array of strings}. */
static void check_team_dict(struct pw *w, plist_t dict, bool empty_team_ok, enum list_kind list)
{
	struct mx_dict_walk e = {.dict = dict};

	while (mx_dict_next(&e)) {
		size_t old = mx_kpath_key(&w->v->path, e.key);

		check_team(w, e.key, empty_team_ok);
		if (plist_get_node_type(e.val) != PLIST_ARRAY)
			ADD(w, ERR, "value.type", "the value for team '%s' is a %s, not an array of "
			    "strings", e.key, mx_pv_type_name(e.val));
		else
			check_string_array(w, e.val, false, list);
		mx_kpath_pop(&w->v->path, old);
	}
}

static bool is_common(const char *key)
{
	for (size_t i = 0; i < sizeof(common_keys) / sizeof(common_keys[0]); i++)
		if (strcmp(key, common_keys[i]) == 0)
			return true;
	return false;
}

/* Types, releases and contents of every key; unknown keys are notes. */
static void check_payload_keys(struct pw *w, plist_t pl, const struct pkey *keys, size_t n)
{
	struct mx_dict_walk e = {.dict = pl};

	while (mx_dict_next(&e)) {
		const char *key = e.key;
		plist_t val = e.val;
		const struct pkey *k = NULL;
		size_t old;

		for (size_t i = 0; i < n && !k; i++)
			if (strcmp(key, keys[i].key) == 0)
				k = &keys[i];
		old = mx_kpath_key(&w->v->path, key);
		if (!k) {
			if (!is_common(key))
				mx_pv_add(w->v, NOTE, "profile.key.unknown",
					  "unknown key %s in a %s payload (kept)", key, w->kind);
		} else if (plist_get_node_type(val) != k->type) {
			mx_pv_add(w->v, ERR, "profile.key.type", "%s must be a %s, not a %s", key,
				  k->type == PLIST_BOOLEAN ? "boolean"
				  : k->type == PLIST_ARRAY ? "array"
							   : "dictionary",
				  mx_pv_type_name(val));
		} else {
			if (mx_pv_too_new(w->v, k->since))
				ADD(w, WARN, "key.too-new",
				    "%s needs macOS %s or later; older releases ignore it", key,
				    k->since);
			if (k->type == PLIST_ARRAY)
				check_string_array(w, val, true, k->list);
			else if (k->type == PLIST_DICT)
				check_team_dict(w, val,
						w->kext && strcmp(key, "AllowedKernelExtensions") == 0,
						k->list);
		}
		mx_kpath_pop(&w->v->path, old);
	}
}

static plist_t typed(plist_t dict, const char *key, plist_type t)
{
	plist_t val = mx_pv_get(dict, key);

	return val && plist_get_node_type(val) == t ? val : NULL;
}

static bool array_has(plist_t arr, const char *s)
{
	uint32_t n = arr ? plist_array_get_size(arr) : 0;

	for (uint32_t i = 0; i < n; i++) {
		const char *it = mx_pv_str(plist_array_get_item(arr, i));

		if (it && strcmp(it, s) == 0)
			return true;
	}
	return false;
}

/* Every team of AllowedTeamIdentifiers that is also a key of DICT (named DICT_KEY). */
static void teams_in_both(struct pw *w, plist_t pl, const char *dict_key, bool error)
{
	plist_t teams = typed(pl, "AllowedTeamIdentifiers", PLIST_ARRAY);
	plist_t dict = typed(pl, dict_key, PLIST_DICT);
	uint32_t n = teams ? plist_array_get_size(teams) : 0;

	for (uint32_t i = 0; i < n && dict; i++) {
		const char *t = mx_pv_str(plist_array_get_item(teams, i));
		size_t old;

		if (!t || !plist_dict_get_item(dict, t))
			continue;
		old = mx_kpath_key(&w->v->path, "AllowedTeamIdentifiers");
		mx_kpath_index(&w->v->path, i);
		if (error)
			ADD(w, ERR, "team.both",
			    "team %s is both in AllowedTeamIdentifiers and a key of %s; Apple "
			    "treats this as an error", t, dict_key);
		else
			ADD(w, WARN, "team.shadowed",
			    "team %s is also a key of %s: only the bundle IDs listed there will "
			    "be allowed", t, dict_key);
		mx_kpath_pop(&w->v->path, old);
	}
}

void mx_pv_kext_payload(struct mx_pv *v, plist_t pl)
{
	struct pw w = {.v = v, .kind = "kext", .kext = true};
	plist_t teams = typed(pl, "AllowedTeamIdentifiers", PLIST_ARRAY);
	plist_t kexts = typed(pl, "AllowedKernelExtensions", PLIST_DICT);

	check_payload_keys(&w, pl, kext_keys, sizeof(kext_keys) / sizeof(kext_keys[0]));
	teams_in_both(&w, pl, "AllowedKernelExtensions", false);
	if ((!teams || plist_array_get_size(teams) == 0) &&
	    (!kexts || plist_dict_get_size(kexts) == 0) &&
	    !mx_pv_true(mx_pv_get(pl, "AllowUserOverrides")))
		ADD(&w, NOTE, "empty",
		    "the payload allows no team and no kext and AllowUserOverrides is not true: "
		    "it only stops users approving kexts");
}

/* (TEAM, BUNDLE) is listed in DICT. */
static bool pair_in(plist_t dict, const char *team, const char *bundle)
{
	plist_t arr = mx_pv_get(dict, team);

	return arr && plist_get_node_type(arr) == PLIST_ARRAY && array_has(arr, bundle);
}

/* Walks the (team, bundle) pairs of DICT_KEY and reports those matching the condition. */
static void nonremovable_pairs(struct pw *w, plist_t pl, const char *dict_key)
{
	plist_t dict = typed(pl, dict_key, PLIST_DICT);
	plist_t removable = typed(pl, "RemovableSystemExtensions", PLIST_DICT);
	plist_t allowed = typed(pl, "AllowedSystemExtensions", PLIST_DICT);
	plist_t teams = typed(pl, "AllowedTeamIdentifiers", PLIST_ARRAY);
	bool strict = strcmp(dict_key, "NonRemovableSystemExtensions") == 0;
	struct mx_dict_walk e = {.dict = dict};

	while (mx_dict_next(&e)) {
		const char *team = e.key;
		plist_t arr = e.val;
		size_t base;
		uint32_t n;

		base = mx_kpath_key(&w->v->path, dict_key);
		mx_kpath_key(&w->v->path, team);
		n = plist_get_node_type(arr) == PLIST_ARRAY ? plist_array_get_size(arr) : 0;
		for (uint32_t i = 0; i < n; i++) {
			const char *b = mx_pv_str(plist_array_get_item(arr, i));
			size_t old = mx_kpath_index(&w->v->path, i);

			if (b && strict && pair_in(removable, team, b))
				ADD(w, ERR, "removable.conflict",
				    "%s %s is both removable and non-removable; Apple treats this "
				    "as an error", team, b);
			if (b && !array_has(teams, team) && !pair_in(allowed, team, b))
				ADD(w, NOTE, "nonremovable.not-allowed",
				    "%s %s is non-removable but no allow key of this payload "
				    "covers it", team, b);
			mx_kpath_pop(&w->v->path, old);
		}
		mx_kpath_pop(&w->v->path, base);
	}
}

static void types_only(struct pw *w, plist_t pl)
{
	plist_t types = typed(pl, "AllowedSystemExtensionTypes", PLIST_DICT);
	plist_t teams = typed(pl, "AllowedTeamIdentifiers", PLIST_ARRAY);
	plist_t allowed = typed(pl, "AllowedSystemExtensions", PLIST_DICT);
	struct mx_dict_walk e = {.dict = types};

	while (mx_dict_next(&e)) {
		const char *team = e.key;
		size_t old;

		if (!array_has(teams, team) && !mx_pv_get(allowed, team)) {
			old = mx_kpath_key(&w->v->path, "AllowedSystemExtensionTypes");
			mx_kpath_key(&w->v->path, team);
			ADD(w, WARN, "types.only",
			    "team %s has allowed types but is in neither AllowedTeamIdentifiers "
			    "nor AllowedSystemExtensions: types restrict, they grant nothing", team);
			mx_kpath_pop(&w->v->path, old);
		}
	}
}

void mx_pv_sysext_payload(struct mx_pv *v, plist_t pl)
{
	struct pw w = {.v = v, .kind = "sysext", .kext = false};
	plist_t ov = typed(pl, "AllowUserOverrides", PLIST_BOOLEAN);

	check_payload_keys(&w, pl, sysext_keys, sizeof(sysext_keys) / sizeof(sysext_keys[0]));
	teams_in_both(&w, pl, "AllowedSystemExtensions", true);
	types_only(&w, pl);
	nonremovable_pairs(&w, pl, "NonRemovableSystemExtensions");
	nonremovable_pairs(&w, pl, "NonRemovableFromUISystemExtensions");
	if (ov && !mx_pv_true(ov)) {
		size_t old = mx_kpath_key(&v->path, "AllowUserOverrides");

		ADD(&w, NOTE, "overrides.off",
		    "AllowUserOverrides is false: every system extension not listed will be "
		    "refused");
		mx_kpath_pop(&v->path, old);
	}
}
