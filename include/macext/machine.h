#ifndef MACEXT_MACHINE_H
#define MACEXT_MACHINE_H
/*
 * The modeled Mac (lib/machine, ARCHITECTURE.md §2): a directory laid out like a Mac's
 * root file system plus a hidden .macext/ folder that plays the hardware. This header
 * covers creating it (`machine init`), reading its description (`machine show`) and its
 * local accounts (`machine adduser`). Every path is under ctx->root; time is ctx->now.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/ctx.h"
#include "macext/diag.h"
#include "macext/error.h"
#include "macext/kext.h"

#ifdef __cplusplus
extern "C" {
#endif

/* PBKDF2-HMAC-SHA256 work factor for new password hashes (stored with each hash, so it can
 * grow without breaking existing machines). */
#define MACEXT_MACHINE_PBKDF2_ITERATIONS 100000u

enum {
	MACEXT_MACHINE_INIT_FORCE = 1u << 0, /* replace an existing modeled Mac */
};

struct macext_machine_init_opts {
	const char *arch;       /* "arm64", "x86_64", "x86_64-t2"; NULL = "arm64" */
	const struct macext_macos_version *macos; /* NULL = macext_machine_newest_macos() */
	const char *admin;      /* the owner's account name; NULL = "admin" */
	const char *password;   /* the owner's password (required, may be "") */
	const char *enrollment; /* "none", "user-approved", "ade", "user-enrollment"; NULL = none */
	const char *trust_anchor; /* path of a PEM X.509 test anchor to record, or NULL */
	unsigned flags;         /* MACEXT_MACHINE_INIT_* */
};

/**
 * Creates the modeled Mac at ctx->root: the file-system skeleton, the Apple kexts of the
 * release (from the catalogue), the exclude-list kext, and .macext/ (machine.plist,
 * nvram.plist with SIP on, accounts.plist with the owner, a P-256 SEP key, an empty
 * log.jsonl, the trust anchor). It is built in a temporary sibling directory and renamed
 * into place, so a failure leaves the root as it was. Expected errors: -EEXIST (a root
 * exists and FORCE is not set), MACEXT_E_USAGE (an unknown arch, enrolment or release; DIAG
 * says which), -EBADMSG (the trust anchor is not a PEM certificate), -ENOENT (the anchor
 * file is missing), -ENOMEM, -EIO and other errno from the file system.
 */
MACEXT_API int macext_machine_init(const struct macext_ctx *ctx,
				   const struct macext_machine_init_opts *opts,
				   struct macext_diag *diag);

/** The newest macOS release the catalogue knows (a major release, "15" -> 15.0.0). */
MACEXT_API void macext_machine_newest_macos(struct macext_macos_version *ret);

struct macext_machine_account {
	char *name;
	bool admin;
	bool owner; /* the first admin, made at init */
};

struct macext_machine_info {
	char *arch;              /* "arm64", "x86_64", "x86_64-t2" */
	struct macext_macos_version macos;
	char *enrollment;        /* "none", "user-approved", "ade", "user-enrollment" */
	char *volume_group_uuid; /* upper-case 8-4-4-4-12 */
	int64_t created;         /* modeled time of `machine init` */
	uint32_t csr_active_config; /* 0 = SIP fully on */
	char *boot_state;        /* "normal" or "recovery" */
	struct macext_machine_account *accounts;
	size_t naccounts;
	size_t ntrust_anchors;   /* PEM files under .macext/trust/ */
	size_t nsystem_kexts;    /* bundles under System/Library/Extensions (plug-ins counted) */
};

/**
 * Reads the description of the modeled Mac at ctx->root. *RET is the caller's
 * (macext_machine_info_free). Errors: -ENOENT (no modeled Mac there), MACEXT_E_BAD_MACHINE
 * (its .macext files are missing or malformed; DIAG names the file), -ENOMEM.
 */
MACEXT_API int macext_machine_load(const struct macext_ctx *ctx,
				   struct macext_machine_info **ret, struct macext_diag *diag);
/** Frees INFO; accepts NULL. */
MACEXT_API void macext_machine_info_free(struct macext_machine_info *info);

/**
 * Adds a local account NAME with PASSWORD to the modeled Mac (accounts.plist is replaced
 * atomically). Errors: -ENOENT (no modeled Mac), -EEXIST (the name is taken),
 * MACEXT_E_USAGE (a name that is empty, too long or not [A-Za-z0-9._-]), -ENOMEM, -EIO.
 */
MACEXT_API int macext_machine_adduser(const struct macext_ctx *ctx, const char *name,
				      const char *password, bool admin, struct macext_diag *diag);

/**
 * Checks PASSWORD for account NAME. Returns 0 if it matches, -EACCES if it does not or the
 * account does not exist, MACEXT_E_BAD_MACHINE or -ENOENT as macext_machine_load().
 */
MACEXT_API int macext_machine_check_password(const struct macext_ctx *ctx, const char *name,
					     const char *password, struct macext_diag *diag);

#ifdef __cplusplus
}
#endif
#endif
