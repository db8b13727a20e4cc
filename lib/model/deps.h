#pragma once
/*
 * Dependency resolution of OSBundleLibraries (kexts.md §4.5, §6.7) against the Apple
 * kexts a release ships (the catalogue) and the kexts of the audited bundle tree (a
 * plug-in commonly depends on its parent).
 */
#include <stdbool.h>
#include <stddef.h>

#include "macext/finding.h"
#include "macext/kext.h"

/* A kext a library request can resolve to. */
struct mx_dep_candidate {
	const char *id;
	const char *version;            /* CFBundleVersion text */
	const char *compatible_version; /* OSBundleCompatibleVersion text, or NULL */
	const struct macext_kext *kext; /* the bundle kext, or NULL for a catalogue kext */
};

struct mx_dep_opts {
	const struct mx_dep_candidate *cands;
	size_t ncands;
	enum macext_kver_grammar grammar;
	const char *path, *macos, *arch; /* for the findings */
	const char *bundle_id;           /* the dependent kext */
	bool apple;                      /* Apple kext: id and copyright (§6.7) */
	bool is64;                       /* the slice is 64-bit (or unknown: assume so) */
	bool has_executable;
	bool kernel_component;           /* OSKernelResource */
	bool interface;                  /* OSBundleIsInterface */
};

/* Resolves LIBS (the effective OSBundleLibraries for the slice) and appends findings:
 * dependency.kernel-forbidden, dependency.kernel-component, dependency.private-kpi,
 * dependency.raw-and-component, dependency.not-found, dependency.no-compatible-version,
 * dependency.incompatible, dependency.indirect, dependency.circular,
 * dependency.interface-count, dependency.no-kpi. Returns 0 or -ENOMEM. */
int mx_deps_check(const struct macext_kext_library *libs, size_t n, const struct mx_dep_opts *o,
		  struct macext_findings *out);

/* Whether TEXT is an Apple copyright string of the form "Copyright © <years> Apple Inc.
 * All rights reserved." (<years>: comma-separated YYYY or YYYY-YYYY), §6.7. */
bool mx_is_apple_copyright(const char *text);
