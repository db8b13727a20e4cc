#pragma once
/*
 * lib/machine internals of the installed-profile store (profiles.c) and the merge of the
 * extension payloads (profiles_merge.c): the payloads as plain records, so the merge can
 * be tested on hand-built ones.
 */
#include <stdbool.h>
#include <stddef.h>
#include <plist/plist.h>

#include "macext/machine_state.h"
#include "macext/store.h"

#define MX_PROFILES_DIR "var/db/ConfigurationProfiles/Store"
#define MX_PROFILES_INDEX MX_PROFILES_DIR "/index.plist"
#define MX_KEXTPOLICY_DB "var/db/SystemPolicyConfiguration/KextPolicy"

/* Team ID -> list of strings (AllowedKernelExtensions, AllowedSystemExtensions, ...). */
struct mx_team_list {
	char *team_id;
	char **items;
	size_t nitems;
};

struct mx_team_dict {
	struct mx_team_list *v;
	size_t n;
};

/* One kernel-extension-policy or system-extension-policy payload. */
struct mx_payload {
	bool sysext; /* com.apple.system-extension-policy (else the kext policy) */
	char *profile_id, *payload_uuid;
	char **teams; /* AllowedTeamIdentifiers */
	size_t nteams;
	struct mx_team_dict allowed; /* AllowedKernelExtensions / AllowedSystemExtensions */
	struct mx_team_dict types, removable, non_removable, non_removable_ui; /* sysext only */
	enum macext_tristate user_overrides;
	enum macext_tristate non_admin; /* kext only */
};

/* Reads the two extension payload types out of a profile's root dictionary, appending to
 * *V (N). Items of the wrong type are skipped (validation reported them at install). */
int mx_payloads_from_plist(plist_t root, const char *profile_id, struct mx_payload **v,
			   size_t *n);
void mx_payloads_free(struct mx_payload *v, size_t n);

/* Merges V[0..N) into RET (entries and flags only; the caller sets the machine fields).
 * Returns 0 or -ENOMEM (RET then empty). */
int mx_profiles_merge(const struct mx_payload *v, size_t n, struct macext_effective_policy *ret);

/* The entries of A missing from B (same kind, team, item), borrowed from A, in *RET (an
 * array the caller frees with mx_free). */
int mx_profiles_diff(const struct macext_effective_policy *a,
		     const struct macext_effective_policy *b, struct macext_effective_entry **ret,
		     size_t *ret_n);

/* kext_policy_mdm rows for P (P9, U-19): one per "kext" entry, one with bundle_id NULL per
 * "kext-team" entry; payload_uuid of the first payload listing it. Strings borrowed. */
int mx_profiles_mdm_rows(const struct macext_effective_policy *p,
			 struct macext_kext_policy_mdm **ret, size_t *ret_n);

/* Sets the release-dependent fields of P (honoured flags, sysext change rules). */
void mx_profiles_machine_fields(struct macext_effective_policy *p,
				const struct macext_macos_version *macos, const char *enrollment);
