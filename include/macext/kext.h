#ifndef MACEXT_KEXT_H
#define MACEXT_KEXT_H
/*
 * Kext bundles (lib/model): macOS versions, kext version strings, bundle reading,
 * Info.plist validation, dependency resolution against the KPI catalogue, the exclude
 * list and the deprecated-KPI classifier, gathered by macext_kext_audit() into findings.
 * Facts: reference/kexts.md §4-§7; our choices are marked there as [proposal].
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/diag.h"
#include "macext/error.h"
#include "macext/finding.h"
#include "macext/macho.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- macOS versions ------------------------------------------------------------------ */

struct macext_macos_version {
	unsigned major, minor, patch; /* 10.15.7 -> 10, 15, 7; "11" -> 11, 0, 0 */
};

/** Parses "10.15.7", "11", "14.2". Returns 0 or -EINVAL (also for versions the catalogue
 * does not know: before 10.12 or after the newest modeled release). */
MACEXT_API int macext_macos_parse(const char *text, struct macext_macos_version *ret);
/** <0, 0, >0 like strcmp. */
MACEXT_API int macext_macos_cmp(const struct macext_macos_version *a,
				const struct macext_macos_version *b);
/** "10.15.7", "11.0", "14.0" (at least major.minor). */
MACEXT_API void macext_macos_format(const struct macext_macos_version *v, char buf[static 16]);
/** The Darwin major of a release: 10.15 -> 19, 11 -> 20, 14 -> 23, 15 -> 24. */
MACEXT_API unsigned macext_macos_darwin_major(const struct macext_macos_version *v);

/* ---- kext version strings (kexts.md §4) ------------------------------------------------ */

enum macext_kver_grammar {
	MACEXT_KVER_GRAMMAR_1013, /* up to macOS 10.13: 2-digit minor/revision */
	MACEXT_KVER_GRAMMAR_1014, /* macOS 10.14 and later: 4 digits */
};

MACEXT_API enum macext_kver_grammar macext_kver_grammar_for(const struct macext_macos_version *v);
/** The kernel's parse: the packed value, or -1 if invalid. */
MACEXT_API int64_t macext_kver_parse(const char *text, enum macext_kver_grammar g);
/** User space's parse: as the kernel's, but a string of 20 or more characters (or with a
 * non-ASCII character) is invalid. */
MACEXT_API int64_t macext_kver_parse_user(const char *text, enum macext_kver_grammar g);
/** Prints V back ("1.2.3b4", "(missing)" for 0, "(invalid)" for bad values). */
MACEXT_API void macext_kver_format(int64_t v, enum macext_kver_grammar g, char buf[static 20]);

/* ---- bundles ----------------------------------------------------------------------------- */

struct macext_kext; /* opaque */

struct macext_kext_library {
	const char *id;      /* bundle identifier named in OSBundleLibraries */
	const char *version; /* the requested version string (NULL if not a string) */
};

/**
 * Opens the kext bundle at PATH (modern Contents/ layout or the flat one) and its nested
 * PlugIns kexts, reads Info.plist and maps the executable. Nothing about the bundle's
 * content is an error here: a missing or malformed Info.plist, a missing executable or a
 * bad Mach-O are recorded and reported by macext_kext_audit() (and the Mach-O failure by
 * macext_kext_macho_error()). Errors: -ENOENT (PATH missing), -ENOTDIR (PATH is not a
 * directory), -ENOMEM, -E2BIG (PlugIns nested too deep or too many).
 */
MACEXT_API int macext_kext_open(struct macext_kext **ret, const char *path,
				struct macext_diag *diag);
/** Frees K and its plug-ins; accepts NULL. */
MACEXT_API void macext_kext_free(struct macext_kext *k);

MACEXT_API const char *macext_kext_path(const struct macext_kext *k);
/** CFBundleIdentifier, or NULL when missing or not a string. */
MACEXT_API const char *macext_kext_bundle_id(const struct macext_kext *k);
/** CFBundleVersion, or NULL when missing or not a string. */
MACEXT_API const char *macext_kext_version(const struct macext_kext *k);
/** Full path of the executable named by CFBundleExecutable, or NULL (codeless kext). */
MACEXT_API const char *macext_kext_executable_path(const struct macext_kext *k);
/** The parsed executable, or NULL (no executable, missing, or not a valid Mach-O). */
MACEXT_API const struct macext_macho *macext_kext_macho(const struct macext_kext *k);
/** If the executable exists but failed to parse: its diagnostic (else NULL). */
MACEXT_API const struct macext_diag *macext_kext_macho_error(const struct macext_kext *k);
/** Effective OSBundleLibraries for ARCH (OSBundleLibraries_<arch> first, kexts.md §6.2;
 * ARCH NULL = the plain key), sorted by id. *RET borrowed from K. Returns the count. */
MACEXT_API size_t macext_kext_libraries(const struct macext_kext *k, const char *arch,
					const struct macext_kext_library **ret);
MACEXT_API size_t macext_kext_nplugins(const struct macext_kext *k);
MACEXT_API const struct macext_kext *macext_kext_plugin(const struct macext_kext *k, size_t i);

/* ---- audit ---------------------------------------------------------------------------- */

enum {
	MACEXT_AUDIT_SIP_DISABLED = 1u << 0, /* SIP's kext protection is off */
	MACEXT_AUDIT_MDM_APPROVED = 1u << 1, /* allowed by an MDM kext payload */
};

struct macext_audit_opts {
	struct macext_macos_version macos; /* the modeled release */
	const char *arch;                  /* NULL: every slice of the executable */
	unsigned flags;                    /* MACEXT_AUDIT_* */
};

/**
 * Appends to OUT everything that would stop K (and its plug-ins) loading on the release
 * and architecture of OPTS: Info.plist validation (every diagnostic class of kexts.md
 * §6.4), the executable (missing, not Mach-O, no slice for the arch, no _kmod_info),
 * OSBundleLibraries resolution against the KPI catalogue of that release (§6.7), the
 * exclude list (§5), and deprecated KPIs with their replacement and outcome (§7). Rule ids
 * and messages: docs/formats/info-plist.md. Returns 0 (findings are results), -EINVAL (a
 * release the catalogue does not know) or -ENOMEM.
 */
MACEXT_API int macext_kext_audit(const struct macext_kext *k, const struct macext_audit_opts *opts,
				 struct macext_findings *out);

/* ---- the KPI catalogue (data/) --------------------------------------------------------- */

struct macext_catalogue_kext {
	char *id;                 /* e.g. "com.apple.kpi.bsd" */
	char *bundle_name;        /* directory name, e.g. "BSDKernel.kext" */
	char *parent;             /* "System.kext" for its plug-ins, or NULL */
	char *version;            /* CFBundleVersion for that release */
	char *compatible_version; /* OSBundleCompatibleVersion, or NULL */
	bool kernel_resource;     /* OSKernelResource */
	bool executable;          /* it has an executable (KPI interface kexts do) */
};

/** The Apple kexts (KPI interface kexts and families) that release V ships, as
 * `machine init` installs them under System/Library/Extensions. *RET is the caller's
 * (macext_catalogue_free). Returns 0, -EINVAL for an unknown release, or -ENOMEM. */
MACEXT_API int macext_catalogue_kexts(const struct macext_macos_version *v,
				      struct macext_catalogue_kext **ret, size_t *ret_n);
MACEXT_API void macext_catalogue_free(struct macext_catalogue_kext *v, size_t n);

struct macext_exclude_entry {
	char *id;   /* bundle identifier */
	char *rule; /* version rule string, e.g. "LT 5.2.14" (kexts.md §5.2) */
};

/** The exclude list (OSKextExcludeList) release V ships, as bundle id -> rule entries in
 * data order; used by `machine init` to write AppleKextExcludeList.kext and by the audit.
 * *RET is the caller's (macext_exclude_list_free). Returns 0, -EINVAL for an unknown
 * release, or -ENOMEM. */
MACEXT_API int macext_catalogue_exclude_list(const struct macext_macos_version *v,
					     struct macext_exclude_entry **ret, size_t *ret_n);
MACEXT_API void macext_exclude_list_free(struct macext_exclude_entry *v, size_t n);

enum macext_exclude_grammar {
	MACEXT_EXCLUDE_KERNEL, /* xnu's isInExcludeList: what the kernel registers (§5.3) */
	MACEXT_EXCLUDE_USER,   /* user space (kext_tools, kmd): decides load policy (§5.4) */
};

/** Whether a kext of version VERSION (packed, macext_kver_parse) is excluded by the rule
 * string RULE read with grammar EG. G is the release's version grammar (kexts.md §5). */
MACEXT_API bool macext_exclude_match(const char *rule, int64_t version,
				     enum macext_exclude_grammar eg, enum macext_kver_grammar g);

/* ---- load-policy facts for one kext (lib/model/classify.c) --------------------------- */

/* One deprecated-KPI category the kext falls into whose outcome on the release is not
 * "none" (kexts.md §7.6). */
struct macext_kext_kpi_class {
	char *id;         /* "kauth", "hid", ... */
	bool unsupported; /* unsupported on the release (refused unless SIP off or MDM) */
	bool obligatory;  /* 12.3+ migration called obligatory (§9 P13) */
	char *evidence;   /* "symbols _kauth_listen_scope", or NULL */
};

struct macext_kext_class {
	struct macext_kext_kpi_class *kpi;
	size_t nkpi;
	bool excluded;        /* exclude list, user-space grammar (decides, P20) */
	bool excluded_kernel; /* exclude list, kernel grammar */
	char *exclude_rule;   /* the rule string of the entry for the kext, or NULL */
};

/**
 * What the load policy needs from lib/model about K itself (not its plug-ins) on release V
 * for slice ARCH ("x86_64"; NULL = the first slice): the deprecated-KPI categories and the
 * exclude list of that release. Fills *RET (release with macext_kext_class_clear()).
 * Returns 0, -EINVAL (unknown release), -ENOMEM.
 */
MACEXT_API int macext_kext_classify(const struct macext_kext *k, const char *arch,
				    const struct macext_macos_version *v,
				    struct macext_kext_class *ret);
MACEXT_API void macext_kext_class_clear(struct macext_kext_class *c);

#ifdef __cplusplus
}
#endif
#endif
