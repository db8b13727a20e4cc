#ifndef MACEXT_STORE_H
#define MACEXT_STORE_H
/*
 * The store: the KextPolicy database behind a small versioned interface (STYLE.md §7.2).
 * It speaks in domain records, the rows of Apple's tables (kexts.md §3), never in SQL.
 * Backends fill a struct macext_store_ops; the front end (macext_store_open) refuses one
 * built for another MACEXT_STORE_OPS_VERSION. Backends: "sqlite" (the KextPolicy file,
 * Apple's schema) and "memory" (same behaviour, nothing on disk, for tests).
 *
 * Changes: each call that changes data is one transaction of its own, unless the caller
 * opened one with macext_store_begin(); then nothing is visible to others, or durable,
 * until macext_store_commit(). A failed call changes nothing.
 *
 * Strings in records are UTF-8 text as stored; a string field may be NULL where the
 * database holds NULL. Records filled by the store (a _get) own their strings through
 * their `mem` field and are released with the matching _clear(); records handed to a
 * foreach callback are borrowed and valid only during the call.
 *
 * Errors: besides the code, a failed call leaves a diagnostic in the store object
 * (macext_store_diag), the way a database handle keeps its last message; open fills the
 * caller's diag since there is no store yet.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/diag.h"
#include "macext/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version of struct macext_store_ops; adding or changing an operation bumps it. */
#define MACEXT_STORE_OPS_VERSION 1u

/* Open flags. */
enum {
	/* Forensic mode: the file is opened read-only and immutable (a mounted image is never
	 * written: no journal, no WAL, no lock files); nothing is created or migrated, and
	 * every change returns -EROFS. */
	MACEXT_STORE_READ_ONLY = 1u << 0,
	/* The macOS 11+ shape: kext_load_history_v3 has a `cdhash` column. A new database is
	 * created with it; an existing read-write one that lacks it is migrated (one ALTER
	 * TABLE, as macOS did). Without this flag a new database gets the 10.13-10.15 shape. */
	MACEXT_STORE_CDHASH = 1u << 1,
};

/* A row of kext_policy: the user's (or an installer's) decision about one kext. */
struct macext_kext_policy {
	const char *team_id;        /* 10 characters; "" for a kext without Team ID */
	const char *bundle_id;      /* CFBundleIdentifier */
	bool allowed;               /* read leniently: 1, "1", "true", "yes" (any case) */
	const char *allowed_raw;    /* the stored value as text (NULL for NULL); set by the
				     * store when reading, ignored by put */
	const char *developer_name; /* what the UI shows; may be NULL */
	int64_t flags;              /* Apple's, meaning unknown: never interpreted (NULL as 0) */
	void *mem;                  /* owned storage of a record the store filled, else NULL */
};

/* A row of kext_load_history_v3: a kext bundle path the system saw load or try to load. */
struct macext_kext_load_history {
	const char *path;       /* primary key: the requested (not staged) bundle path */
	const char *team_id;
	const char *bundle_id;
	const char *boot_uuid;  /* upper-case UUID of the boot session */
	const char *created_at; /* "YYYY-MM-DD HH:MM:SS", UTC, as Apple writes it */
	const char *last_seen;  /* same format */
	int64_t flags;          /* Apple's, meaning unknown */
	const char *cdhash;     /* macOS 11+ shape only; NULL otherwise */
	void *mem;
};

/* A row of kext_policy_mdm: a kext (or, with bundle_id NULL, a whole team) allowed by an
 * MDM kernel-extension-policy payload. */
struct macext_kext_policy_mdm {
	const char *team_id;      /* "" for the unsigned-kext key of AllowedKernelExtensions */
	const char *bundle_id;    /* NULL for an AllowedTeamIdentifiers entry (macext's choice) */
	bool allowed;
	const char *payload_uuid; /* PayloadUUID of the payload that allowed it */
	void *mem;                /* owned storage of a copy the store keeps, else NULL */
};

/* A kext whose load was blocked and which the user may still approve: macext's own table
 * (macext_pending), beside Apple's. The approval window is a policy rule; the store only
 * keeps the time. One row per (team_id, bundle_id): a new block replaces the old row. */
struct macext_pending_approval {
	const char *team_id;
	const char *bundle_id;
	const char *developer_name;
	const char *path;   /* the kext bundle whose load was blocked */
	int64_t blocked_at; /* modeled time of the block, seconds since 1970 UTC */
	void *mem;
};

/* Foreach callbacks: return 0 to go on; any other value stops the walk and is returned by
 * the foreach. A callback may read the store (a _get) but not change it or start another
 * foreach (-EBUSY). */
typedef int (*macext_kext_policy_fn)(void *userdata, const struct macext_kext_policy *p);
typedef int (*macext_kext_load_history_fn)(void *userdata,
					   const struct macext_kext_load_history *h);
typedef int (*macext_kext_policy_mdm_fn)(void *userdata, const struct macext_kext_policy_mdm *m);
typedef int (*macext_pending_approval_fn)(void *userdata,
					  const struct macext_pending_approval *p);

/* Test hook: a persistent backend calls it after each statement that changes data, with
 * the statement's name, so a test can kill the process between two statements. */
typedef void (*macext_store_hook_fn)(void *userdata, const char *point);

struct macext_store;

/* What a backend implements. The front end checks arguments, read-only mode and the
 * transaction state before calling an operation, so a backend may assume them. */
struct macext_store_ops {
	unsigned version; /* MACEXT_STORE_OPS_VERSION the backend was built against */
	const char *name; /* "sqlite", "memory" */
	int (*open)(struct macext_store **ret, const char *path, unsigned flags,
		    struct macext_diag *diag);
	int (*begin)(struct macext_store *s);
	int (*commit)(struct macext_store *s);
	int (*rollback)(struct macext_store *s);
	int (*kext_policy_get)(struct macext_store *s, const char *team_id,
			       const char *bundle_id, struct macext_kext_policy *ret);
	int (*kext_policy_put)(struct macext_store *s, const struct macext_kext_policy *p);
	int (*kext_policy_delete)(struct macext_store *s, const char *team_id,
				  const char *bundle_id);
	int (*kext_policy_foreach)(struct macext_store *s, const char *team_id,
				   const char *bundle_id, macext_kext_policy_fn fn, void *userdata);
	int (*load_history_add)(struct macext_store *s, const struct macext_kext_load_history *h);
	int (*load_history_foreach)(struct macext_store *s, macext_kext_load_history_fn fn,
				    void *userdata);
	int (*mdm_policy_replace_all)(struct macext_store *s,
				      const struct macext_kext_policy_mdm *rows, size_t n);
	int (*mdm_policy_foreach)(struct macext_store *s, macext_kext_policy_mdm_fn fn,
				  void *userdata);
	int (*setting_get)(struct macext_store *s, const char *name, char **ret);
	int (*setting_set)(struct macext_store *s, const char *name, const char *value);
	int (*pending_add)(struct macext_store *s, const struct macext_pending_approval *p);
	int (*pending_get)(struct macext_store *s, const char *team_id, const char *bundle_id,
			   struct macext_pending_approval *ret);
	int (*pending_foreach)(struct macext_store *s, macext_pending_approval_fn fn,
			       void *userdata);
	int (*pending_remove)(struct macext_store *s, const char *team_id,
			      const char *bundle_id);
	void (*close)(struct macext_store *s);
};

/* The part every backend object starts with. Backends set ops, flags and has_cdhash in
 * open; the rest belongs to the front end. */
struct macext_store {
	const struct macext_store_ops *ops;
	unsigned flags;                 /* MACEXT_STORE_* given to open */
	bool has_cdhash;                /* kext_load_history_v3 has the cdhash column */
	bool in_txn;                    /* between begin and commit/rollback */
	bool iterating;                 /* inside a foreach callback */
	struct macext_diag diag;        /* of the last failed call */
	macext_store_hook_fn test_hook; /* tests only; NULL otherwise */
	void *test_hook_data;
};

/** Opens the store of backend BACKEND ("sqlite" or "memory") at PATH (ignored by
 * "memory") with FLAGS (MACEXT_STORE_*). Read-write: a missing or empty file gets Apple's
 * schema (kexts.md §3.2) plus macext_pending, in one transaction; an existing file must
 * have Apple's tables and columns and is never repaired. The caller closes *RET with
 * macext_store_close(). Returns 0; -EBADMSG (not a database, corrupt, a table or column
 * missing; DIAG names it), -ENOENT (read-only and missing), MACEXT_E_USAGE (unknown
 * backend), -ENOTSUP (read-only with unmerged WAL changes), -EIO. */
MACEXT_API int macext_store_open(struct macext_store **ret, const char *backend,
				 const char *path, unsigned flags, struct macext_diag *diag);
/** Same with an explicit backend. Returns -ENOTSUP if OPS was built for another
 * MACEXT_STORE_OPS_VERSION or lacks an operation. */
MACEXT_API int macext_store_open_ops(struct macext_store **ret,
				     const struct macext_store_ops *ops, const char *path,
				     unsigned flags, struct macext_diag *diag);
/** Closes S, rolling back an open transaction; accepts NULL. */
MACEXT_API void macext_store_close(struct macext_store *s);
/** The diagnostic of the last failed call on S (borrowed). */
MACEXT_API const struct macext_diag *macext_store_diag(const struct macext_store *s);
/** Sets the test hook (see macext_store_hook_fn); NULL removes it. */
MACEXT_API void macext_store_set_test_hook(struct macext_store *s, macext_store_hook_fn fn,
					   void *userdata);

/** Transactions. begin returns -EINVAL if one is open; commit and rollback if none is.
 * A failed commit leaves the transaction open, so the caller can roll it back. */
MACEXT_API int macext_store_begin(struct macext_store *s);
MACEXT_API int macext_store_commit(struct macext_store *s);
MACEXT_API int macext_store_rollback(struct macext_store *s);

/** Fills *RET with the kext_policy row for (TEAM_ID, BUNDLE_ID); the caller releases it
 * with macext_kext_policy_clear(). Returns 0, -ENOENT (no row), -ENOMEM, -EBADMSG. */
MACEXT_API int macext_store_kext_policy_get(struct macext_store *s, const char *team_id,
					    const char *bundle_id,
					    struct macext_kext_policy *ret);
/** Inserts P, or replaces the row with its (team_id, bundle_id); every column is written
 * as given (flags too: a caller updating a row reads it first to keep Apple's flags).
 * team_id and bundle_id must not be NULL. Returns 0, -EROFS, -EINVAL, -EIO. */
MACEXT_API int macext_store_kext_policy_put(struct macext_store *s,
					    const struct macext_kext_policy *p);
/** Deletes the row for (TEAM_ID, BUNDLE_ID). Returns 0, -ENOENT, -EROFS. */
MACEXT_API int macext_store_kext_policy_delete(struct macext_store *s, const char *team_id,
					       const char *bundle_id);
/** Calls FN for every row whose team is TEAM_ID and bundle is BUNDLE_ID (NULL: any),
 * ordered by (team_id, bundle_id) bytewise, NULLs first. Returns 0 or FN's stop value. */
MACEXT_API int macext_store_kext_policy_foreach(struct macext_store *s, const char *team_id,
						const char *bundle_id,
						macext_kext_policy_fn fn, void *userdata);
/** Releases the strings of a record the store filled and zeroes it; accepts NULL. */
MACEXT_API void macext_kext_policy_clear(struct macext_kext_policy *p);

/** Inserts H or replaces the row with its path. H->cdhash must be NULL on a store without
 * the cdhash column (-ENOTSUP). Returns 0, -EROFS, -EINVAL, -ENOTSUP. */
MACEXT_API int macext_store_load_history_add(struct macext_store *s,
					     const struct macext_kext_load_history *h);
/** Calls FN for every load-history row, ordered by path. */
MACEXT_API int macext_store_load_history_foreach(struct macext_store *s,
						 macext_kext_load_history_fn fn, void *userdata);

/** Replaces all kext_policy_mdm rows with ROWS[0..N) in one transaction. */
MACEXT_API int macext_store_mdm_policy_replace_all(struct macext_store *s,
						   const struct macext_kext_policy_mdm *rows,
						   size_t n);
/** Calls FN for every MDM row, ordered by (team_id, bundle_id, payload_uuid), NULLs first. */
MACEXT_API int macext_store_mdm_policy_foreach(struct macext_store *s,
					       macext_kext_policy_mdm_fn fn, void *userdata);

/** Puts a copy of setting NAME's value in *RET (the caller frees it with free(); NULL if
 * the stored value is NULL). Returns 0, -ENOENT. */
MACEXT_API int macext_store_setting_get(struct macext_store *s, const char *name, char **ret);
/** Sets setting NAME to VALUE (not NULL). */
MACEXT_API int macext_store_setting_set(struct macext_store *s, const char *name,
					const char *value);

/** Adds P to macext_pending, replacing the row for its (team_id, bundle_id). */
MACEXT_API int macext_store_pending_add(struct macext_store *s,
					const struct macext_pending_approval *p);
/** Fills *RET (release with macext_pending_approval_clear()). Returns 0, -ENOENT. A
 * read-only Apple file has no macext_pending table: every lookup is -ENOENT. */
MACEXT_API int macext_store_pending_get(struct macext_store *s, const char *team_id,
					const char *bundle_id,
					struct macext_pending_approval *ret);
/** Calls FN for every pending approval, ordered by (team_id, bundle_id). */
MACEXT_API int macext_store_pending_foreach(struct macext_store *s,
					    macext_pending_approval_fn fn, void *userdata);
/** Removes the pending approval for (TEAM_ID, BUNDLE_ID). Returns 0, -ENOENT. */
MACEXT_API int macext_store_pending_remove(struct macext_store *s, const char *team_id,
					   const char *bundle_id);
/** Releases a pending approval the store filled; accepts NULL. */
MACEXT_API void macext_pending_approval_clear(struct macext_pending_approval *p);

#ifdef __cplusplus
}
#endif
#endif
