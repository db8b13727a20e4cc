#ifndef MACEXT_MACHINE_STATE_H
#define MACEXT_MACHINE_STATE_H
/*
 * The modeled Mac's state beyond its description (machine.h): NVRAM (SIP, boot state,
 * kext consent), grandfathered kexts, installed MDM kext policy, and the event log. Each
 * function reads or changes files under ctx->root; every change is atomic
 * (mx_write_atomic / one store transaction). Owners: nvram.c and upgrade.c (SIP, boot
 * state, consent, grandfathering), profiles.c (installed profiles), eventlog.c (log).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/ctx.h"
#include "macext/diag.h"
#include "macext/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- NVRAM: .macext/nvram.plist (ARCHITECTURE §2; kexts.md §9 P8) ------------------- */

struct macext_nvram {
	uint32_t csr_active_config;         /* SIP bits; 0 = fully enabled */
	enum macext_boot_state boot_state;  /* normal or recovery */
	bool kext_consent_enabled;          /* absent key = enabled (P8) */
	char **kext_consent_teams;          /* Team IDs added with spctl kext-consent add */
	size_t nkext_consent_teams;
};

/** Reads NVRAM. *RET is the caller's (macext_nvram_clear). Errors: -ENOENT (no modeled
 * Mac), MACEXT_E_BAD_MACHINE (nvram.plist malformed; DIAG names it), -ENOMEM. */
MACEXT_API int macext_nvram_load(const struct macext_ctx *ctx, struct macext_nvram *ret,
				 struct macext_diag *diag);
/** Replaces NVRAM with N, atomically. */
MACEXT_API int macext_nvram_save(const struct macext_ctx *ctx, const struct macext_nvram *n,
				 struct macext_diag *diag);
MACEXT_API void macext_nvram_clear(struct macext_nvram *n);

/* ---- grandfathering: .macext/migration.plist (kexts.md §9 P7) ------------------------ */

struct macext_machine_upgrade_result {
	struct macext_macos_version from, to;
	bool migrated;         /* the 10.13 grandfathering migration ran (<= 10.12 -> >= 10.13) */
	size_t ngrandfathered; /* third-party kexts recorded in migration.plist */
};

/**
 * `machine upgrade --macos TO`: forward only. From <= 10.12 to >= 10.13 it first records
 * every third-party kext then on disk (Library/Extensions, app bundles under Applications,
 * Library/Application Support) with its Team ID in .macext/migration.plist and sets the
 * KextPolicy setting migrationPerformed = YES (one transaction); then System/Library/
 * Extensions is replaced with TO's Apple kexts and machine.plist names TO. *RET may be NULL.
 * Errors: -ENOENT (no modeled Mac), MACEXT_E_USAGE (TO is not newer, or unknown to the
 * catalogue), MACEXT_E_BAD_MACHINE, -E2BIG (too many kexts), -EBADMSG (a corrupt KextPolicy,
 * never overwritten), -ENOMEM, -EIO. On failure the release is unchanged.
 */
MACEXT_API int macext_machine_upgrade(const struct macext_ctx *ctx,
				      const struct macext_macos_version *to,
				      struct macext_machine_upgrade_result *ret,
				      struct macext_diag *diag);

/** True in *RET if (TEAM_ID, BUNDLE_ID) was on disk when the Mac moved from <= 10.12 to
 * >= 10.13 (TEAM_ID "" for unsigned). 0, -ENOENT, MACEXT_E_BAD_MACHINE, -ENOMEM. */
MACEXT_API int macext_machine_grandfathered(const struct macext_ctx *ctx, const char *team_id,
					    const char *bundle_id, bool *ret,
					    struct macext_diag *diag);

/* ---- installed MDM kernel-extension policy (mdm-sysext.md §2, §4) --------------------- */

/** The kernel-extension-policy payloads of the profiles installed on the modeled Mac, in
 * install order, ready for struct macext_facts (strings owned by the array). Enrolment
 * rules are the policy's business; this only reads. *RET is the caller's
 * (macext_mdm_kext_payloads_free). 0 (possibly none), MACEXT_E_BAD_MACHINE, -ENOMEM. */
MACEXT_API int macext_mdm_kext_payloads(const struct macext_ctx *ctx,
					struct macext_mdm_kext_payload **ret, size_t *ret_n,
					struct macext_diag *diag);
MACEXT_API void macext_mdm_kext_payloads_free(struct macext_mdm_kext_payload *v, size_t n);

/* ---- installed configuration profiles: profiles.c (mdm-sysext.md §4; U-18, U-20, U-30) -- */

struct macext_findings;

enum {
	/* A double-click install / a user's removal instead of MDM InstallProfile /
	 * RemoveProfile (U-18): extension payloads are refused, MDM profiles cannot be removed
	 * on 10.15+, a signed profile is not replaced by another signer's (§4.2). */
	MACEXT_PROFILES_MANUAL = 1u << 0,
};

/* A payload that contributed to an entry or decided a flag. */
struct macext_payload_ref {
	char *profile_id;   /* top-level PayloadIdentifier */
	char *payload_uuid; /* the payload's PayloadUUID */
};

/* One allow entry of the merged policy. KIND (static): "kext-team" (AllowedTeamIdentifiers),
 * "kext-team-shadowed" (a team also keyed in AllowedKernelExtensions of the same payload:
 * its team-wide entry is ignored, U-2), "kext" (AllowedKernelExtensions), "sysext-team",
 * "sysext", "sysext-type", "sysext-removable", "sysext-non-removable",
 * "sysext-non-removable-ui". ITEM is the bundle ID or type string, NULL for a team entry. */
struct macext_effective_entry {
	const char *kind;
	char *team_id; /* "" = the unsigned-kext key */
	char *item;
	struct macext_payload_ref *from; /* every payload that lists it, in install order */
	size_t nfrom;
};

/* AllowUserOverrides / AllowNonAdminUserApprovals merged: an explicit false anywhere wins,
 * else an explicit true, else the key's default (§4.1, U-1). */
struct macext_effective_flag {
	bool value;
	bool set;      /* some payload sets the key */
	bool conflict; /* payloads set it differently (kext.multi.conflict) */
	struct macext_payload_ref by; /* the first payload with the deciding value, or NULLs */
};

/* How a profile change acts on system extensions on the modeled release (§4.3). */
enum macext_sysext_changes {
	MACEXT_SYSEXT_CHANGES_NONE,           /* before 10.15: no system extensions */
	MACEXT_SYSEXT_CHANGES_LATER_REQUESTS, /* 10.15-11.2: later activation requests only */
	MACEXT_SYSEXT_CHANGES_ACT_ON_STATE,   /* 11.3+ (seed: 11.3-11.6.4; U-5: every later) */
};
/** "none", "later-requests", "act-on-state". */
MACEXT_API const char *macext_sysext_changes_name(enum macext_sysext_changes c);

struct macext_effective_policy {
	char *enrollment;                  /* machine.plist value */
	struct macext_macos_version macos; /* the modeled release */
	bool kext_honoured;   /* enrolment user-approved/ade and macOS >= 10.13.2 */
	bool sysext_honoured; /* same enrolment and macOS >= 10.15 */
	size_t nkext_payloads, nsysext_payloads;
	struct macext_effective_entry *entries; /* sorted by kind, team, item */
	size_t nentries;
	struct macext_effective_flag kext_user_overrides; /* default false */
	struct macext_effective_flag kext_non_admin;      /* default false; honoured on 11.0+ */
	struct macext_effective_flag sysext_user_overrides; /* default true */
	enum macext_sysext_changes sysext_changes;
	bool removable_honoured;     /* RemovableSystemExtensions: 12.0.1+ (every 12.x, U-7) */
	bool non_removable_honoured; /* NonRemovable*SystemExtensions: 15.0+ */
};
MACEXT_API void macext_effective_policy_clear(struct macext_effective_policy *p);

struct macext_installed_payload {
	char *type, *identifier, *uuid;
};

/* One entry of var/db/ConfigurationProfiles/Store/index.plist (U-30). */
struct macext_installed_profile {
	char *identifier, *uuid;
	char *display_name, *organization; /* NULL when absent */
	char *file;       /* the stored copy, relative to the root */
	char *source;     /* "mdm" or "manual" */
	char *signature;  /* macext_profile_sig_status_name() at install */
	char **signers;   /* signer subjects (RFC 2253) */
	size_t nsigners;
	int64_t install_date;
	struct macext_installed_payload *payloads;
	size_t npayloads;
};
MACEXT_API void macext_installed_profiles_free(struct macext_installed_profile *v, size_t n);

enum macext_profiles_status {
	MACEXT_PROFILES_DONE,
	MACEXT_PROFILES_INVALID, /* install: the validation found errors; nothing changed */
	MACEXT_PROFILES_REFUSED, /* refused the way macOS refuses (REASON); nothing changed */
};

struct macext_profiles_result {
	enum macext_profiles_status status;
	char reason[320];     /* REFUSED: one line (U-18 wording for the enrolment refusal) */
	char identifier[256]; /* the profile installed or removed */
	bool replaced;        /* install: a profile with the same identifier was replaced */
	size_t kext_rows;     /* kext_policy_mdm rows after the change */
	struct macext_effective_policy before, after;
	struct macext_effective_entry *granted, *revoked; /* entries added / gone (borrowed
							    * from AFTER / BEFORE) */
	size_t ngranted, nrevoked;
};
MACEXT_API void macext_profiles_result_clear(struct macext_profiles_result *r);

/** Installs the profile BUF (LEN bytes, read from FILE) as MDM InstallProfile would
 * (MANUAL: a double-click). It is verified against .macext/trust/ and validated for the
 * modeled release first; error findings go to FINDINGS and give INVALID. Extension payloads
 * need enrolment user-approved or ade (REFUSED otherwise, U-18). The same identifier
 * replaces. The file goes to var/db/ConfigurationProfiles/Store/<sha256>.mobileconfig, the
 * kext payloads to kext_policy_mdm (P9), and Store/index.plist is the commit point. Returns
 * 0 (see RET->status), -ENOENT (no modeled Mac), -EBADMSG/-ENOEXEC/-E2BIG (not a
 * profile), MACEXT_E_BAD_MACHINE, -ENOMEM, -EIO; on any error nothing changed. */
MACEXT_API int macext_profiles_install(const struct macext_ctx *ctx, const void *buf, size_t len,
				       const char *file, unsigned flags,
				       struct macext_findings *findings,
				       struct macext_profiles_result *ret, struct macext_diag *diag);
/** Removes the installed profile IDENTIFIER (MDM RemoveProfile; MANUAL: the user, refused
 * for MDM profiles on 10.15+). Returns 0 (see RET->status), -ENOENT (no such profile or
 * no modeled Mac), MACEXT_E_BAD_MACHINE, -ENOMEM, -EIO; on error nothing changed. */
MACEXT_API int macext_profiles_remove(const struct macext_ctx *ctx, const char *identifier,
				      unsigned flags, struct macext_profiles_result *ret,
				      struct macext_diag *diag);
/** The installed profiles in install order. 0, -ENOENT, MACEXT_E_BAD_MACHINE, -ENOMEM. */
MACEXT_API int macext_profiles_list(const struct macext_ctx *ctx,
				    struct macext_installed_profile **ret, size_t *ret_n,
				    struct macext_diag *diag);
/** The merged policy of every installed profile, or with IDENTIFIER non-NULL of that one
 * profile only (-ENOENT if it is not installed). */
MACEXT_API int macext_profiles_effective(const struct macext_ctx *ctx, const char *identifier,
					 struct macext_effective_policy *ret,
					 struct macext_diag *diag);

#ifdef __cplusplus
}
#endif
#endif
