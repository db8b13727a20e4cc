#pragma once
/* lib/machine internals shared by machine.c (init, load) and accounts.c (local users). */
#include <stdbool.h>
#include <stddef.h>
#include <plist/plist.h>

#include "macext/machine.h"

/* Files of .macext/, relative to the root. */
#define MX_MACHINE_PLIST ".macext/machine.plist"
#define MX_NVRAM_PLIST ".macext/nvram.plist"
#define MX_ACCOUNTS_PLIST ".macext/accounts.plist"
#define MX_SEP_KEY ".macext/sep/key.pem"
#define MX_SEP_PUBKEY ".macext/sep/key.pub.pem"
#define MX_LOG ".macext/log.jsonl"
#define MX_TRUST_DIR ".macext/trust"

/* The biggest .macext plist we read: they hold a few accounts and keys, never megabytes. */
#define MX_MACHINE_PLIST_MAX ((size_t)1 << 20)

/* Writes PLIST as XML to DIR/REL, creating parent directories; without FSYNC the file is
 * written in place (used inside init's temporary tree, which is synced once before its
 * rename), with it through mx_write_atomic(). Returns 0 or a negative errno. */
int mx_machine_write_plist(const char *dir, const char *rel, plist_t plist, unsigned mode,
			   bool atomic);
/* Writes LEN bytes to DIR/REL (a new file; parents created). */
int mx_machine_write_file(const char *dir, const char *rel, const void *data, size_t len,
			  unsigned mode);
/* Reads DIR/REL as a plist whose top is a dictionary. MACEXT_E_BAD_MACHINE with DIAG
 * naming REL if it is missing or malformed (check mx_exists() first where a missing file
 * is normal); -ENOMEM. *RET is the caller's (plist_free). */
int mx_machine_read_plist(const char *dir, const char *rel, plist_t *ret,
			  struct macext_diag *diag);

/* Writes the Apple kexts of release V from the catalogue (and the exclude-list kext) into
 * EXT, the folder that plays System/Library/Extensions (it may be a staging folder; parents
 * are created). Used by init and by upgrade. 0, or a negative code with DIAG set
 * (MACEXT_E_USAGE when the catalogue does not know V). */
int mx_machine_write_system_kexts(const char *ext, const struct macext_macos_version *v,
				  struct macext_diag *diag);

/* Removes the tree at PATH (symlinks are removed, not followed); best effort. */
void mx_machine_rm_tree(const char *path);

/* 0 if ROOT holds a modeled Mac (a .macext directory), else -ENOENT with DIAG saying so. */
int mx_machine_check_exists(const char *root, struct macext_diag *diag);

/* A new accounts.plist dictionary holding one account. */
int mx_accounts_new(plist_t *ret, const char *name, const char *password, bool admin, bool owner,
		    struct macext_diag *diag);
/* Checks an account name: 1-64 characters of [A-Za-z0-9._-], not starting with '.' or '-'. */
int mx_account_name_check(const char *name, struct macext_diag *diag);
