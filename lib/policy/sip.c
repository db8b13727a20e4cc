/*
 * lib/policy/sip.c: what System Integrity Protection changes for kexts (kexts.md §1.8,
 * §8.1, §8.5; boot-chain.md §7.3). Rule 4 of §1.11 records it; it never refuses.
 *
 * SIP's kext protection is off when csr-active-config has CSR_ALLOW_UNTRUSTED_KEXTS (0x1).
 * kext_tools also honours CSR_ALLOW_APPLE_INTERNAL (0x10), but xnu drops that bit on
 * customer units (boot-chain.md §7.3), and a modeled Mac is one, so 0x10 alone does not
 * count. With the protection off: invalid or missing signatures are tolerated (signing.c),
 * every path is a secure location so nothing is staged (§8.1), and on 11+ the
 * deprecated-KPI refusal is not enforced (seed-000, deprecation.c). User approval is still
 * required: observed on real Macs, and macext's rule P23, which also leaves
 * CSR_ALLOW_UNAPPROVED_KEXTS (0x200) without effect.
 */
#include "policy/rules.h"

#define RULE "sip"
#define REF_ON "kexts.md §8.1, §8.5: SIP kext protection on: signatures enforced, " \
	       "kexts outside secure locations staged"
#define REF_OFF "kexts.md §1.8, §9 P23; seed-000: SIP kext protection off relaxes " \
		"signatures, staging and the deprecated-KPI refusal, not user approval"

bool mx_sip_kext_protection_off(const struct macext_facts *f)
{
	return (f->csr_active_config & MACEXT_CSR_ALLOW_UNTRUSTED_KEXTS) != 0;
}

int mx_rule_sip(const struct macext_facts *f, struct macext_trace *t, enum mx_verdict *ret)
{
	uint32_t csr = f->csr_active_config;
	const char *unapproved = (csr & MACEXT_CSR_ALLOW_UNAPPROVED_KEXTS)
					 ? "; CSR_ALLOW_UNAPPROVED_KEXTS is set but never "
					   "bypasses approval (P23)"
					 : "";
	const char *internal = (csr & MACEXT_CSR_ALLOW_APPLE_INTERNAL) &&
					       !(csr & MACEXT_CSR_ALLOW_UNTRUSTED_KEXTS)
				       ? "; CSR_ALLOW_APPLE_INTERNAL is dropped on customer units"
				       : "";

	*ret = MX_PASS;
	if (mx_sip_kext_protection_off(f)) {
		bool eleven = mx_macos_at_least(f, 11, 0, 0);

		return mx_trace_add(t, RULE, "kext-protection-off", REF_OFF,
				    "csr-active-config 0x%x on %s: invalid signatures tolerated, "
				    "no staging%s, user approval still required%s",
				    (unsigned)csr, macext_platform_name(f->platform),
				    eleven ? ", deprecated-KPI refusal not enforced" : "",
				    unapproved);
	}
	return mx_trace_add(t, RULE, "enforced", REF_ON,
			    "csr-active-config 0x%x on %s: kext signatures enforced%s%s%s",
			    (unsigned)csr, macext_platform_name(f->platform),
			    f->kext.location == MACEXT_KEXT_LOC_SYSTEM
				    ? ""
				    : ", kext staged to /Library/StagedExtensions before use",
			    internal, unapproved);
}
