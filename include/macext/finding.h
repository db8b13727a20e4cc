#ifndef MACEXT_FINDING_H
#define MACEXT_FINDING_H
/*
 * Findings: what audit and profile validation report. A finding is a result, not an
 * error: the command that gathers them succeeds and the CLI turns errors into exit 1.
 */
#include <stdarg.h>
#include <stddef.h>
#include "macext/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum macext_severity {
	MACEXT_SEVERITY_ERROR,
	MACEXT_SEVERITY_WARNING,
	MACEXT_SEVERITY_NOTE,
};

struct macext_finding {
	char *rule;     /* stable rule id, e.g. "info-plist.missing-key" */
	enum macext_severity severity;
	char *message;  /* one sentence for people; Apple's wording where Apple has one */
	char *path;     /* the file or bundle the finding is about */
	char *location; /* where inside it, e.g. "IOKitPersonalities.Foo.IOClass"; may be NULL */
	char *macos;    /* the macOS version it applies to, e.g. "11.0"; may be NULL */
	char *arch;     /* the architecture it applies to; may be NULL */
};

struct macext_findings {
	struct macext_finding *v;
	size_t n;
	size_t cap;
};

/** Stable name of a severity: "error", "warning", "note". */
MACEXT_API const char *macext_severity_name(enum macext_severity s);

/** Appends a finding. Strings are copied; LOCATION, MACOS and ARCH may be NULL. The message
 * is a printf format. Returns 0 or -ENOMEM (then nothing was appended). */
MACEXT_API int macext_findings_add(struct macext_findings *f, enum macext_severity sev,
				   const char *rule, const char *path, const char *location,
				   const char *macos, const char *arch, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

/** Counts findings of severity SEV. */
MACEXT_API size_t macext_findings_count(const struct macext_findings *f,
					enum macext_severity sev);

/** Sorts by path, macOS version, arch, rule, location, message: output is deterministic. */
MACEXT_API void macext_findings_sort(struct macext_findings *f);

/** Frees what F holds and leaves it empty; F itself is the caller's. Accepts NULL. */
MACEXT_API void macext_findings_clear(struct macext_findings *f);

#ifdef __cplusplus
}
#endif
#endif
