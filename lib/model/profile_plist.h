#pragma once
/*
 * Small plist helpers shared by the profile validator, its payload checks and the kext
 * check (profile_validate.c, profile_payloads.c, profile_check.c): typed lookups over
 * libplist nodes and the key path of a finding ("PayloadContent[1].AllowedKernelExtensions
 * .UBF8T346G9[0]").
 */
#include <plist/plist.h>
#include <stdbool.h>
#include <stddef.h>

#include "macext/finding.h"
#include "macext/kext.h"

#define MX_PROFILE_KEXT_TYPE "com.apple.syspolicy.kernel-extension-policy"
#define MX_PROFILE_SYSEXT_TYPE "com.apple.system-extension-policy"

/* A key path built while walking. Keys that are empty or hold '.', '[', ']', '"' or white
 * space are written quoted ("" for the empty team key). Too long a path is cut with
 * "..." rather than failing: it only names a place. */
struct mx_kpath {
	char buf[384];
	size_t len;
};

/* Appends ".KEY" (or "KEY" at the start) / "[I]"; both return the previous length, which
 * mx_kpath_pop() restores. */
size_t mx_kpath_key(struct mx_kpath *k, const char *key);
size_t mx_kpath_index(struct mx_kpath *k, size_t i);
void mx_kpath_pop(struct mx_kpath *k, size_t len);

/* "string", "integer", "boolean", "real", "date", "data", "array", "dictionary". */
const char *mx_pv_type_name(plist_t node);
/* The string value of NODE, or NULL if it is not a string. Borrowed from NODE. */
const char *mx_pv_str(plist_t node);
/* DICT[KEY] if DICT is a dictionary, else NULL. */
plist_t mx_pv_get(plist_t dict, const char *key);
/* true if NODE is a boolean whose value is true. */
bool mx_pv_true(plist_t node);

/* ^[A-Z0-9]{10}$ (mdm-sysext.md §2.2, observed). */
bool mx_pv_team_id_ok(const char *s);
/* Non-empty, at most 63 bytes, only A-Z a-z 0-9 '-' '.' (kexts.md, CFBundleIdentifier). */
bool mx_pv_bundle_id_ok(const char *s);

/* The walk's state: where findings go and where the walk is. */
struct mx_pv {
	const char *file;
	struct macext_findings *f;
	struct mx_kpath path;
	bool have_macos;
	struct macext_macos_version macos;
	int err; /* the first -ENOMEM; later findings are dropped */
};

/* Appends a finding at the current path. */
void mx_pv_add(struct mx_pv *v, enum macext_severity sev, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* True when a key introduced in SINCE ("11.0") is newer than the --macos being checked. */
bool mx_pv_too_new(const struct mx_pv *v, const char *since);

/* Checks one kernel-extension-policy / system-extension-policy payload dictionary (the path
 * points at it). Conflicts across payloads are the caller's (profile_validate.c). */
void mx_pv_kext_payload(struct mx_pv *v, plist_t payload);
void mx_pv_sysext_payload(struct mx_pv *v, plist_t payload);
