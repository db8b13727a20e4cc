/*
 * lib/policy/consent.c: `spctl kext-consent` (kexts.md §1.6, rule U13; TN2459 / seed 003).
 *
 * From Recovery OS an administrator can turn the user-consent requirement off completely,
 * or list Team IDs whose kexts load without approval. The list is separate from the
 * KextPolicy database and lives in NVRAM (P8). It is the first allow source of rule 7
 * (§9 P10); an unsigned kext has no Team ID and so is never listed. Changes are allowed only
 * in Recovery OS (macext_policy_consent_may_change). The setting is an Intel one; every
 * platform this layer models is Intel.
 */
#include "policy/rules.h"

#include <string.h>

#define RULE "consent"
#define REF "TN2459 / seed 003: spctl kext-consent disables user consent or lists Team IDs " \
	    "(kexts.md §1.6)"
#define REF_NA "kexts.md §1.1: spctl kext-consent exists from macOS 10.13"

int mx_rule_consent(const struct macext_facts *f, struct macext_trace *t, enum mx_verdict *ret)
{
	const char *team = mx_kext_team(f);

	*ret = MX_PASS;
	if (!mx_macos_at_least(f, 10, 13, 0))
		return mx_trace_add(t, RULE, "not-applicable", REF_NA,
				    "no user consent before macOS 10.13");
	if (mx_kext_is_apple_system(f))
		return mx_trace_add(t, RULE, "not-applicable", REF,
				    "Apple kext in /System/Library/Extensions (P1)");
	if (!f->consent.enabled) {
		*ret = MX_GRANT;
		return mx_trace_add(t, RULE, "consent-disabled", REF,
				    "Kernel Extension User Consent: DISABLED");
	}
	for (size_t i = 0; *team && i < f->consent.nteams; i++) {
		if (f->consent.teams[i] && strcmp(f->consent.teams[i], team) == 0) {
			*ret = MX_GRANT;
			return mx_trace_add(t, RULE, "team-listed", REF,
					    "Kernel Extension User Consent: ENABLED; team %s is "
					    "on the list",
					    team);
		}
	}
	return mx_trace_add(t, RULE, "required", REF,
			    "Kernel Extension User Consent: ENABLED; team %s is not on the list "
			    "(%zu teams)",
			    *team ? team : "(none)", f->consent.nteams);
}

int macext_policy_consent_may_change(const struct macext_facts *f)
{
	if (!f)
		return -EINVAL;
	return f->boot_state == MACEXT_BOOT_RECOVERY ? 0 : MACEXT_E_NEEDS_RECOVERY;
}
