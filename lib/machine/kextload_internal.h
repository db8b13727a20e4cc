#pragma once
/*
 * What kext.c, facts.c, approvals.c and boot.c share: the machine-wide facts of one command
 * (struct mx_env), the facts of one kext (struct mx_kext_facts), the installed-kext
 * inventory, the loaded state (.macext/loaded.plist) and the test points.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/codesign.h"
#include "macext/kc.h"
#include "macext/kext.h"
#include "macext/kextload.h"
#include "macext/machine.h"
#include "macext/machine_state.h"
#include "macext/policy.h"
#include "macext/store.h"

#define MX_KEXTPOLICY "var/db/SystemPolicyConfiguration/KextPolicy"
#define MX_STAGED "Library/StagedExtensions"
#define MX_AUXKC "Library/KernelCollections/AuxiliaryKernelExtensions.kc"
#define MX_LOADED_PLIST ".macext/loaded.plist"
#define MX_INVENTORY_MAX 4096u /* installed third-party kexts we walk at most */

/* One kext in the loaded state. */
struct mx_loaded_kext {
	char *bundle_id, *version, *team_id, *path, *cdhash, *uuid;
};

/* .macext/loaded.plist: the boot session, the loaded kexts, the AuxKC the Mac booted. */
struct mx_loaded {
	char *boot_session_uuid;
	struct mx_loaded_kext *kexts;
	size_t n;
	struct mx_loaded_kext *booted; /* kexts of the booted AuxKC (11+) */
	size_t nbooted;
};

/* One installed kext found on disk (Library/Extensions, Library/Application Support,
 * Applications). */
struct mx_inv_kext {
	char *mac_path;  /* "/Library/Extensions/Foo.kext" */
	char *host_path; /* under ctx->root */
	char *bundle_id; /* NULL when unreadable */
};

/* Machine-wide facts of one command. */
struct mx_env {
	const struct macext_ctx *ctx;
	struct macext_machine_info *info;
	enum macext_platform platform;
	enum macext_enrollment enrollment;
	struct macext_nvram nv;
	struct macext_mdm_kext_payload *mdm;
	size_t nmdm;
	struct macext_store *store;
	struct mx_loaded loaded;
	const char *user; /* borrowed from info */
	bool admin;
	uint8_t **anchors;
	size_t *anchor_lens;
	size_t nanchors;
	struct mx_inv_kext *inv; /* filled by mx_inventory() */
	size_t ninv;
	bool inv_done;
	struct macext_kc *auxkc; /* the AuxKC file (next boot's), read once; NULL if none */
	bool auxkc_read;
};

/* The facts of one kext and the storage behind them. */
struct mx_kext_facts {
	struct macext_facts f;
	struct macext_kext *k;
	char *host_path, *mac_path;
	struct macext_cs_result *cs;
	char cdhash[41];
	char *uuid; /* LC_UUID of the x86_64 slice, upper-case, or NULL */
	struct macext_kext_class cls;
	struct macext_kpi_fact *kpi;
	struct macext_kext_policy row;
	bool row_present;
	char *validation; /* first validation error (rule 2), or NULL */
	struct mx_loaded_kext *deps; /* third-party dependencies, borrowed from the inventory */
	const char **dep_paths;      /* host paths of third-party OSBundleLibraries */
	size_t ndeps;
};

/* Opens everything machine-wide for USER (NULL = the owner). STORE_RO opens the store
 * read-only when it exists (why, list). Errors: -ENOENT (no modeled Mac), -EPERM (no such
 * user), MACEXT_E_BAD_MACHINE, MACEXT_E_USAGE (an arm64 Mac: its kext chain is not
 * modeled yet), the store's errors. */
int mx_env_open(struct mx_env *e, const struct macext_ctx *ctx, const char *user, bool store_ro,
		struct macext_diag *diag);
void mx_env_close(struct mx_env *e);
/* Fills e->inv. */
int mx_inventory(struct mx_env *e);
/* Resolves WHAT (a bundle id, a macOS path or a path under the root) to an installed kext
 * (or one under System/Library/Extensions). -ENOENT if none. */
int mx_resolve(struct mx_env *e, const char *what, char **ret_host, char **ret_mac,
	       struct macext_diag *diag);
/* "/Library/Extensions/Foo.kext" for HOST under ctx->root, or NULL. */
char *mx_mac_path(const struct macext_ctx *ctx, const char *host);

/* Gathers the facts of the kext at HOST_PATH (macOS path MAC_PATH). */
int mx_facts_gather(struct mx_env *e, const char *host_path, const char *mac_path,
		    struct mx_kext_facts *kf, struct macext_diag *diag);
void mx_facts_clear(struct mx_kext_facts *kf);
/* Team ID and developer name of a kext for the store ("" when unsigned; P6 name). */
const char *mx_facts_team(const struct mx_kext_facts *kf);
const char *mx_facts_developer(const struct mx_kext_facts *kf);
/* The signature of the kext at HOST_PATH only: team ("" if none, caller frees). */
int mx_kext_team_of(struct mx_env *e, const char *host_path, char **ret_team);

/* The load path for one kext (kext.c) and its dependencies; FLAGS MACEXT_LOAD_*. */
int mx_kext_load_one(struct mx_env *e, const char *host, const char *mac, int depth,
		     unsigned flags, struct macext_load_result *ret, struct macext_diag *diag);

/* Loaded state. */
int mx_loaded_read(const struct macext_ctx *ctx, struct mx_loaded *ret, struct macext_diag *diag);
int mx_loaded_write(const struct macext_ctx *ctx, const struct mx_loaded *l);
void mx_loaded_clear(struct mx_loaded *l);
struct mx_loaded_kext *mx_loaded_find(const struct mx_loaded *l, const char *bundle_id);
int mx_loaded_add(struct mx_loaded *l, const struct mx_loaded_kext *k);
void mx_loaded_kext_clear(struct mx_loaded_kext *k);

/* Test points (kill tests): calls ctx->test_point when set. */
void mx_test_point(const struct macext_ctx *ctx, const char *name);

/* "YYYY-MM-DD HH:MM:SS" UTC of T, as Apple's KextPolicy stores times. */
void mx_sql_time(int64_t t, char buf[static 20]);

/* Records a blocked or allowed load in kext_load_history_v3 (inside the caller's txn). */
int mx_history_touch(struct mx_env *e, const struct mx_kext_facts *kf);

/* Rebuilds the AuxKC (11+) from the kexts on disk that have a kext_policy row with
 * allowed = 1 (read inside the caller's transaction), the kexts already in it, and EXTRA
 * (a host path, or NULL); written with mx_write_atomic. */
int mx_auxkc_rebuild(struct mx_env *e, const char *extra, struct macext_diag *diag);
