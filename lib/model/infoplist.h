#pragma once
/*
 * Info.plist validation (kexts.md §6.1-§6.4, rules V1-V12 with Apple's diagnostic strings
 * of Appendix A). Works on a parsed dictionary or straight from bytes, so the fuzzer and
 * the unit tests need no file system.
 */
#include <plist/plist.h>
#include <stdbool.h>
#include <stddef.h>

#include "macext/finding.h"
#include "macext/kext.h"

struct mx_infoplist_opts {
	const char *path;  /* the bundle (or file) the findings are about */
	const char *macos; /* formatted release for the findings, or NULL */
	enum macext_kver_grammar grammar;
};

/* Checks the Info.plist dictionary INFO and appends findings to OUT. Returns 0 or -ENOMEM
 * (findings already added stay). */
int mx_infoplist_check(plist_t info, const struct mx_infoplist_opts *o,
		       struct macext_findings *out);

/* Parses BUF (XML or binary) with the depth guard and checks it. A buffer that is not a
 * property list, or whose top level is not a dictionary, is the finding
 * "info-plist.parse" (Apple: "Can't parse info dictionary XML"), not an error. Returns 0
 * or -ENOMEM. */
int mx_infoplist_validate(const void *buf, size_t len, const struct mx_infoplist_opts *o,
			  struct macext_findings *out);

/* Small accessors shared with the bundle reader and the audit. */
const char *mx_plist_string(plist_t dict, const char *key); /* NULL unless a string */
bool mx_plist_true(plist_t dict, const char *key);          /* a boolean that is true */
/* Whether ID names a kernel library of the old style: "com.apple.kernel" or
 * "com.apple.kernel.*". */
bool mx_is_kernel_library(const char *id);
bool mx_is_kpi_library(const char *id); /* "com.apple.kpi.*" */
