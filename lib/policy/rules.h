#pragma once
/*
 * What the rule files of lib/policy share: the verdict a rule gives decide.c, the rule
 * prototypes (one per file, STYLE.md §7.1), the trace writer, and the derived facts more
 * than one rule reads (computed by small pure helpers, never by calling another rule).
 */
#include <stdbool.h>
#include <stddef.h>

#include "macext/policy.h"

/* A rule's verdict, which decide.c combines (kexts.md §1.11). */
enum mx_verdict {
	MX_PASS,           /* no objection; for an approval source: it does not allow */
	MX_GRANT,          /* an approval source allows the load without user approval */
	MX_BLOCK,          /* MDM forbids user approval: refused with no pane entry */
	MX_NEEDS_APPROVAL, /* refused until the user approves (pane entry) */
	MX_REFUSE,         /* refused */
	MX_NEEDS_RESTART,  /* allowed, effective after the next boot */
};

int mx_rule_exclude(const struct macext_facts *f, struct macext_trace *t, enum mx_verdict *ret);
int mx_rule_sip(const struct macext_facts *f, struct macext_trace *t, enum mx_verdict *ret);
int mx_rule_signing(const struct macext_facts *f, struct macext_trace *t, enum mx_verdict *ret);
int mx_rule_deprecation(const struct macext_facts *f, struct macext_trace *t,
			enum mx_verdict *ret);
int mx_rule_consent(const struct macext_facts *f, struct macext_trace *t, enum mx_verdict *ret);
int mx_rule_mdm_kext(const struct macext_facts *f, struct macext_trace *t, enum mx_verdict *ret);
int mx_rule_uakel(const struct macext_facts *f, struct macext_trace *t, enum mx_verdict *ret);
int mx_rule_auxkc(const struct macext_facts *f, struct macext_trace *t, enum mx_verdict *ret);

/* Appends an entry; RULE, OUTCOME and REFERENCE must be static. 0, -ENOMEM or -E2BIG. */
int mx_trace_add(struct macext_trace *t, const char *rule, const char *outcome,
		 const char *reference, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Appends text to T's buffer and returns its offset through *RET_OFF. 0 or -ENOMEM. */
int mx_trace_text(struct macext_trace *t, size_t *ret_off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The modeled release is at least MAJOR.MINOR.PATCH. */
static inline bool mx_macos_at_least(const struct macext_facts *f, unsigned major,
				     unsigned minor, unsigned patch)
{
	const struct macext_macos_version *v = &f->macos;

	if (v->major != major)
		return v->major > major;
	if (v->minor != minor)
		return v->minor > minor;
	return v->patch >= patch;
}

/* Derived facts (each a pure function of F). */
bool mx_sip_kext_protection_off(const struct macext_facts *f); /* sip.c */
bool mx_kext_is_apple_system(const struct macext_facts *f);     /* signing.c: P1 */
const char *mx_kext_team(const struct macext_facts *f);         /* signing.c: "" if none */

/* The merged MDM kext policy for F's kext (mdm_kext.c; mdm-sysext.md §2.3, §4.1). */
struct mx_mdm_state {
	bool honoured;      /* payloads installed, enrolment may deliver them, macOS >= 10.13.2 */
	bool allows;        /* step 1 or 2 of §2.3 matched */
	const struct macext_mdm_kext_payload *by; /* the payload that matched */
	bool by_team;       /* matched through AllowedTeamIdentifiers */
	/* the first payload listing the team in AllowedTeamIdentifiers whose own
	 * AllowedKernelExtensions keys it too (U-2, per payload), when nothing allowed */
	const struct macext_mdm_kext_payload *shadowed;
	bool user_overrides; /* merged AllowUserOverrides */
	bool non_admin;      /* merged AllowNonAdminUserApprovals (macOS 11+ only) */
};
void mx_mdm_state(const struct macext_facts *f, struct mx_mdm_state *ret);
