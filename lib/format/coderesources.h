#pragma once
/*
 * CodeResources, the bundle resource seal (codesign.md §2.10): files/files2 entries and
 * rules/rules2, parsed with libplist (lib/format/coderesources.c).
 */
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/diag.h"

struct mx_cr_entry {
	char *path;        /* relative to Contents/ */
	bool optional;
	bool has_hash, has_hash2, has_cdhash;
	uint8_t hash[20];  /* SHA-1 of the file */
	uint8_t hash2[32]; /* SHA-256 of the file */
	uint8_t cdhash[20]; /* nested code: its cdhash */
	char *symlink;     /* a symlink's recorded target, or NULL */
	char *requirement; /* nested code: its designated requirement (text), or NULL */
};

struct mx_cr_rule {
	char *pattern;
	regex_t re;        /* POSIX extended, compiled */
	bool omit, optional, nested;
	double weight;     /* 1 when absent */
};

struct mx_coderesources {
	struct mx_cr_entry *files, *files2; /* sorted by path */
	size_t nfiles, nfiles2;
	struct mx_cr_rule *rules, *rules2;
	size_t nrules, nrules2;
	bool has_files2, has_rules2;
};

/* Parses the CodeResources plist (XML or binary) at BUF (LEN bytes). *RET is the caller's
 * (mx_coderesources_free). Returns 0, -EBADMSG (not a plist dictionary, a value of the wrong
 * type, a hash of the wrong length, a rule that is not a regular expression, a path that is
 * absolute or contains ".."), -E2BIG (over the limits of cs_limits.h) or -ENOMEM. */
int mx_coderesources_parse(struct mx_coderesources *ret, const uint8_t *buf, size_t len,
			   struct macext_diag *diag);
void mx_coderesources_free(struct mx_coderesources *cr);
/* The rule deciding PATH: the matching rule of highest weight (first of equal weight), or
 * NULL when none matches. */
const struct mx_cr_rule *mx_cr_match(const struct mx_cr_rule *rules, size_t n, const char *path);
/* The entry for PATH in a sorted entry array, or NULL. */
const struct mx_cr_entry *mx_cr_find(const struct mx_cr_entry *e, size_t n, const char *path);

/* One entry to write (coderesources_write.c). */
struct mx_cr_out {
	const char *path;  /* relative to Contents/ */
	bool v1;           /* also listed in `files` (a v1 rule seals it) */
	bool optional;     /* the deciding rule says optional */
	const uint8_t *hash, *hash2; /* SHA-1 (20) and SHA-256 (32) of a file, or NULL */
	const char *symlink; /* a symlink's target, or NULL */
	const uint8_t *cdhash; /* nested code: its cdhash (20), with REQUIREMENT */
	const char *requirement;
};
/* Writes an XML CodeResources with Apple's standard rules/rules2 (codesign.md §2.10) and
 * files/files2 for the N entries E (sorted by the caller or not: plist dictionaries are
 * written sorted). *RET is the caller's (free()), not NUL-terminated. Returns 0, -ENOMEM. */
int mx_coderesources_write(char **ret, size_t *ret_len, const struct mx_cr_out *e, size_t n);
/* The standard rules as a parsed seal with no files (for deciding what to seal). */
int mx_coderesources_standard(struct mx_coderesources *ret, struct macext_diag *diag);
