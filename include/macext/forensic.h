#ifndef MACEXT_FORENSIC_H
#define MACEXT_FORENSIC_H
/*
 * Forensic mode (ARCHITECTURE §1-2; kexts.md §3.1, §3.6): a read-only mounted image of a
 * real Mac as the root. Such a root has no .macext/ (it plays no hardware) but has Apple's
 * KextPolicy database; macext then only reads it, opening the file with
 * MACEXT_STORE_READ_ONLY (immutable: no journal, WAL, shm or lock file is ever created), and
 * writes nothing under the root. lib/machine/forensic.c; docs/approvals.md.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/ctx.h"
#include "macext/diag.h"
#include "macext/kextload.h"
#include "macext/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Whether CTX->root is a forensic root: no `.macext/` and a KextPolicy file at one of the
 * places a mounted image has it (kexts.md §3.1), tried in this order:
 * var/db/SystemPolicyConfiguration/KextPolicy, private/var/db/..., and
 * System/Volumes/Data/private/var/db/.... A candidate whose real path leaves the root (an
 * absolute symlink on the image pointing into the host) is skipped. Returns 1 and, when
 * RET_PATH is not NULL, the path relative to the root (caller frees); 0 when the root is a
 * modeled Mac, or has neither; -ENOMEM.
 */
MACEXT_API int macext_forensic_root(const struct macext_ctx *ctx, char **ret_path);

/* Every row of kext_policy and kext_load_history_v3, as Apple stored them. */
struct macext_kextpolicy_dump {
	char *path;        /* the database, relative to the root */
	bool forensic;     /* opened read-only on a forensic root (else the modeled Mac's) */
	bool has_cdhash;   /* kext_load_history_v3 has the macOS 11+ cdhash column */
	struct macext_kext_policy *policy; /* ordered by (team_id, bundle_id) */
	size_t npolicy;
	struct macext_kext_load_history *history; /* ordered by path */
	size_t nhistory;
};

/**
 * Reads the KextPolicy of CTX->root: on a forensic root read-only (MACEXT_STORE_READ_ONLY),
 * else the modeled Mac's own store, the way `kext list` reads it (a missing store reads as
 * empty). Strings are copies owned by *RET (macext_kextpolicy_dump_clear); allowed_raw is
 * the stored value as text. Errors: -ENOENT (neither a modeled Mac nor a forensic root),
 * -EBADMSG (not a KextPolicy database; never written), -ENOTSUP (unmerged WAL changes on a
 * forensic root), -ENOMEM, -EIO; DIAG names the file.
 */
MACEXT_API int macext_kextpolicy_dump_read(const struct macext_ctx *ctx,
					   struct macext_kextpolicy_dump *ret,
					   struct macext_diag *diag);
MACEXT_API void macext_kextpolicy_dump_clear(struct macext_kextpolicy_dump *d);

/**
 * The Privacy & Security pane of a real KextPolicy (kexts.md §9 P3): PENDING are the
 * kext_policy rows with allowed not 1 whose newest kext_load_history_v3 row of the same
 * (team_id, bundle_id) was last seen less than 30 minutes before NOW (expires = last_seen +
 * 30 min); APPROVED the rows read as allowed (kexts.md §3.6); BLOCKED the other rows. Each
 * takes its path from the newest history row of its (team_id, bundle_id), else "". Order:
 * the dump's. Arrays are the caller's (macext_kext_infos_free). 0 or -ENOMEM.
 */
MACEXT_API int macext_kextpolicy_pane(const struct macext_kextpolicy_dump *d, int64_t now,
				      struct macext_kext_info **ret_pending, size_t *ret_npending,
				      struct macext_kext_info **ret_approved,
				      size_t *ret_napproved, struct macext_kext_info **ret_blocked,
				      size_t *ret_nblocked);

/** Parses Apple's "YYYY-MM-DD HH:MM:SS" (UTC, kexts.md §3.3) into seconds since 1970.
 * Returns 0 or -EINVAL. */
MACEXT_API int macext_kextpolicy_time_parse(const char *text, int64_t *ret);

#ifdef __cplusplus
}
#endif
#endif
