/*
 * lib/policy/signing.c: the kext signing requirement (kexts.md §8.3-8.5; authentication
 * step 3 of §1.10 a; rule 4 of §1.11).
 *
 * A kext whose identifier starts with "com.apple." must satisfy `anchor apple`; any other
 * kext must be signed by a Developer ID chain whose leaf carries the kext-signing marker
 * 1.2.840.113635.100.6.1.18 (kext_tools security.c). With SIP's kext protection off the
 * failure is logged ("Kext with invalid signature (%d) allowed") and ignored; a failing
 * kext whose ad-hoc hash is on the exclude-list kext's exception lists passes too (§5.7).
 * Otherwise the kext is refused: up to 10.15 kextd answers kOSKextReturnAuthentication
 * (71), or kOSKextReturnSystemPolicy (27) when the system policy refuses it as well
 * (§1.10 b step 5, combined in decide.c); from 11, kmutil code 29.
 */
#include "policy/rules.h"

#include <string.h>

#define RULE "signing"
#define REF "kexts.md §8.3: third-party kexts need a Developer ID signature with the " \
	    "kext-signing marker 1.2.840.113635.100.6.1.18 (kext_tools security.c)"
#define REF_APPLE "kexts.md §8.3: com.apple. kexts must satisfy anchor apple"
#define REF_OFF "kexts.md §8.5: SIP kext protection off: invalid signature logged and " \
		"ignored (kext_tools security.c)"
#define REF_EXC "kexts.md §5.7: signature exception lists of the exclude-list kext"

/* errSecCS codes for the log lines (kexts.md §8.5). */
#define ERR_SEC_CS_UNSIGNED (-67062)
#define ERR_SEC_CS_SIGNATURE_FAILED (-67061)
#define ERR_SEC_CS_REQ_FAILED (-67050)

static bool is_apple_id(const struct macext_facts *f)
{
	return strncmp(f->kext.bundle_id, "com.apple.", 10) == 0;
}

bool mx_kext_is_apple_system(const struct macext_facts *f)
{
	return is_apple_id(f) && f->sig.valid && f->sig.kind == MACEXT_CS_APPLE &&
	       f->kext.location == MACEXT_KEXT_LOC_SYSTEM;
}

const char *mx_kext_team(const struct macext_facts *f)
{
	if (f->sig.kind <= MACEXT_CS_ADHOC || !f->sig.team_id)
		return "";
	return f->sig.team_id;
}

static int sec_error(const struct macext_facts *f)
{
	if (f->sig.kind == MACEXT_CS_UNSIGNED)
		return ERR_SEC_CS_UNSIGNED;
	return f->sig.valid ? ERR_SEC_CS_REQ_FAILED : ERR_SEC_CS_SIGNATURE_FAILED;
}

int mx_rule_signing(const struct macext_facts *f, struct macext_trace *t, enum mx_verdict *ret)
{
	const char *kind = macext_cs_kind_name(f->sig.kind);
	const char *team = mx_kext_team(f);
	bool ok;

	if (is_apple_id(f))
		ok = f->sig.valid && f->sig.kind == MACEXT_CS_APPLE;
	else
		ok = f->sig.valid && f->sig.kind == MACEXT_CS_DEVELOPER_ID && f->sig.kext_marker;
	*ret = MX_PASS;
	if (ok)
		return mx_trace_add(t, RULE, "pass", is_apple_id(f) ? REF_APPLE : REF,
				    "%s signature, team %s, satisfies the kext requirement", kind,
				    *team ? team : "(none)");
	if (mx_sip_kext_protection_off(f))
		return mx_trace_add(t, RULE, "tolerated", REF_OFF,
				    "%s signature%s fails the requirement: Kext with invalid "
				    "signature (%d) allowed: %s",
				    kind, f->sig.kind == MACEXT_CS_DEVELOPER_ID && !f->sig.kext_marker
						  ? " without the kext-signing marker"
						  : "",
				    sec_error(f), f->kext.path);
	if (f->sig.exception_listed)
		return mx_trace_add(t, RULE, "exception-list", REF_EXC,
				    "%s signature fails the requirement (%d); its ad-hoc hash is "
				    "on the signature exception list",
				    kind, sec_error(f));
	*ret = MX_REFUSE;
	return mx_trace_add(t, RULE, "refuse", is_apple_id(f) ? REF_APPLE : REF,
			    "%s signature%s fails the requirement (%d): Untrusted kexts are not "
			    "allowed; Kext rejected due to invalid signature: %s",
			    kind, f->sig.kind == MACEXT_CS_DEVELOPER_ID && !f->sig.kext_marker
					  ? " without the kext-signing marker"
					  : "",
			    sec_error(f), f->kext.path);
}
