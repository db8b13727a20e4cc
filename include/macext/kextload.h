#ifndef MACEXT_KEXTLOAD_H
#define MACEXT_KEXTLOAD_H
/*
 * Kexts on the modeled Intel Mac (lib/machine: kext.c, facts.c, approvals.c, boot.c):
 * install, load, unload, list, the approval pane, `why` and restart. Each call gathers the
 * facts of the modeled Mac (machine.plist, NVRAM, the KextPolicy store, installed MDM
 * payloads, the loaded state, signatures checked against .macext/trust at ctx->now), asks
 * lib/policy, and applies the effects: store changes in one transaction, files through
 * mx_write_atomic, events in .macext/log.jsonl. Docs: docs/kext.md, docs/approvals.md,
 * docs/why.md, docs/reboot.md.
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

/* One kext as the commands show it. */
struct macext_kext_info {
	char *bundle_id;
	char *version;
	char *team_id;        /* "" for an unsigned kext */
	char *developer_name; /* NULL if none */
	char *path;           /* macOS path ("/Library/Extensions/Foo.kext") */
	char *uuid;           /* executable's LC_UUID (loaded kexts), or NULL */
	int64_t expires;      /* pending approvals: end of the 30-minute window; else 0 */
};
MACEXT_API void macext_kext_infos_free(struct macext_kext_info *v, size_t n);

/** Installs the kext bundle BUNDLE (a host path) into the folder DEST (a macOS path such
 * as "/Library/Extensions", the default when NULL) of the modeled Mac, replacing an
 * installed copy atomically. *RET_PATH (caller frees) is the installed macOS path. USER
 * must be an administrator (-EPERM). Errors: -ENOENT, -ENOTDIR, -EBADMSG (no bundle id),
 * -EPERM, -EIO. */
MACEXT_API int macext_kext_install(const struct macext_ctx *ctx, const char *user,
				   const char *bundle, const char *dest, char **ret_path,
				   struct macext_diag *diag);

enum {
	MACEXT_LOAD_DRY_RUN = 1u << 0, /* decide only: no staging, no store, no log (why) */
};

struct macext_load_result {
	enum macext_decision decision;
	int exit_code;           /* 0, 27, 28, 29, 71 (kextload / kmutil) */
	char *message;           /* the tool's text ('\n'-separated lines), or NULL */
	char *bundle_id;         /* the kext that decided (a dependency may) */
	char *path;              /* its macOS path */
	struct macext_trace trace; /* of that kext */
	bool alert;              /* "System Extension Blocked" was shown by this load */
	char *alert_text;
	char *validation;        /* rule 2: the bundle's first validation error, or NULL */
};
MACEXT_API void macext_load_result_clear(struct macext_load_result *r);

/** Loads the kext WHAT (bundle id, macOS path or host path under the root) as USER (NULL =
 * the owner; must be an administrator: sudo kextload / kmutil load): its third-party
 * dependencies first, then the load path of kexts.md §1.11. A refusal is a result
 * (exit_code). FLAGS: MACEXT_LOAD_*. Errors: -ENOENT (no such kext), -EPERM (not an
 * administrator), MACEXT_E_BAD_MACHINE, store errors. */
MACEXT_API int macext_kext_load(const struct macext_ctx *ctx, const char *user,
				const char *what, unsigned flags, struct macext_load_result *ret,
				struct macext_diag *diag);

/** Unloads the loaded kext BUNDLE_ID. -ENOENT if not loaded; -EBUSY if a loaded kext
 * depends on it; -EPERM (not an administrator). */
MACEXT_API int macext_kext_unload(const struct macext_ctx *ctx, const char *user,
				  const char *bundle_id, struct macext_diag *diag);

/** The loaded third-party kexts in load order (*RET: macext_kext_infos_free). */
MACEXT_API int macext_kext_loaded(const struct macext_ctx *ctx, struct macext_kext_info **ret,
				  size_t *ret_n, struct macext_diag *diag);

/** The approval pane: kexts blocked within the last 30 minutes (PENDING, with expires) and
 * approved kexts (kext_policy rows with allowed = 1). */
MACEXT_API int macext_approvals_list(const struct macext_ctx *ctx,
				     struct macext_kext_info **ret_pending, size_t *ret_npending,
				     struct macext_kext_info **ret_approved,
				     size_t *ret_napproved, struct macext_diag *diag);

struct macext_approve_result {
	int exit_code;          /* 0, 69 (nothing to approve), 77 (not permitted) */
	const char *reason;     /* static, when exit_code != 0 */
	struct macext_kext_info *approved; /* the kexts approved, co-approved ones included */
	size_t napproved;
	size_t nrequested;      /* how many of them were asked for (the rest co-approved) */
	bool restart_needed;    /* 11+: the new AuxKC loads at the next restart */
	struct macext_kext_info *loaded; /* <= 10.15: loaded at once (P25) */
	size_t nloaded;
};
MACEXT_API void macext_approve_result_clear(struct macext_approve_result *r);

/** Approves WHAT (a bundle id or a Team ID, P24) as USER, whose password the caller has
 * checked when the modeled release asks for one (macext_approvals_need_password). */
MACEXT_API int macext_approvals_approve(const struct macext_ctx *ctx, const char *user,
					const char *what, struct macext_approve_result *ret,
					struct macext_diag *diag);
/** True in *RET when approving on this Mac needs the user's password (macOS 11+, P5). */
MACEXT_API int macext_approvals_need_password(const struct macext_ctx *ctx, bool *ret,
					      struct macext_diag *diag);

struct macext_boot_result {
	bool recovery;
	struct macext_kext_info *loaded; /* kexts loaded from the AuxKC at boot (11+) */
	size_t nloaded;
	size_t nrefused; /* AuxKC kexts no longer approved */
};
MACEXT_API void macext_boot_result_clear(struct macext_boot_result *r);

/** Restarts the modeled Intel Mac into macOS or (RECOVERY) recoveryOS: the loaded set is
 * cleared, a new boot session starts, on 11+ the approved kexts of the AuxKC load, and
 * NVRAM's boot state is written. */
MACEXT_API int macext_machine_reboot(const struct macext_ctx *ctx, bool recovery,
				     struct macext_boot_result *ret, struct macext_diag *diag);

#ifdef __cplusplus
}
#endif
#endif
