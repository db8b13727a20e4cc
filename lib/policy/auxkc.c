/*
 * lib/policy/auxkc.c: the Auxiliary Kernel Collection on macOS 11 and later (seed-000,
 * seed-001, AD-install; kexts.md U9-U10, §9 P18, P25; boot-chain.md §2.4, §2.8; rule 9 of
 * §1.11).
 *
 * From macOS 11 third-party kexts are no longer loaded on demand: an approved kext is built
 * into the AuxKC and loads from the collection the Mac boots with. Until it is in the
 * booted AuxKC a load answers kmutil code 28 ("requires a reboot"). A kext whose cdhash on
 * disk differs from the one recorded in the booted AuxKC is an update: the user must allow
 * it (27, pane entry "update") and then restart (28); the old version keeps running
 * meanwhile. Codeless kexts need approval but no restart (§1.2). Up to 10.15 kexts load on
 * demand and this rule does not apply.
 */
#include "policy/rules.h"

#include <string.h>

#define RULE "auxkc"
#define REF "seed-000 / seed-001: from macOS 11 approved kexts load from the AuxKC after a " \
	    "restart (kmutil code 28)"
#define REF_PRE "TN2459 / seed 003: up to 10.15 an approved kext is loaded at once"
#define REF_UPDATE "kexts.md U9, §9 P18: an update of an approved kext must be allowed, then " \
		   "the Mac restarted"
#define REF_CODELESS "AD-install / kexts.md §1.2: codeless kexts need no restart"

int mx_rule_auxkc(const struct macext_facts *f, struct macext_trace *t, enum mx_verdict *ret)
{
	const char *disk = f->sig.cdhash, *booted = f->auxkc.booted_cdhash;

	*ret = MX_PASS;
	if (!mx_macos_at_least(f, 11, 0, 0))
		return mx_trace_add(t, RULE, "not-applicable", REF_PRE,
				    "kexts load on demand before macOS 11");
	if (mx_kext_is_apple_system(f))
		return mx_trace_add(t, RULE, "not-applicable", REF,
				    "Apple kexts load from the boot and system collections");
	if (f->kext.codeless)
		return mx_trace_add(t, RULE, "codeless", REF_CODELESS,
				    "codeless kext: loads without a restart");
	if (f->auxkc.in_booted && disk && booted && strcmp(disk, booted) != 0) {
		if (f->auxkc.update_allowed) {
			*ret = MX_NEEDS_RESTART;
			return mx_trace_add(t, RULE, "update-pending", REF_UPDATE,
					    "update allowed: cdhash %s is in the new AuxKC, %s "
					    "runs until the restart",
					    disk, booted);
		}
		*ret = MX_NEEDS_APPROVAL;
		return mx_trace_add(t, RULE, "update", REF_UPDATE,
				    "cdhash on disk %s differs from %s in the booted AuxKC", disk,
				    booted);
	}
	if (f->auxkc.in_booted)
		return mx_trace_add(t, RULE, "in-auxkc", REF, "%s is in the booted AuxKC%s",
				    f->kext.bundle_id, f->loaded ? " and loaded" : "");
	*ret = MX_NEEDS_RESTART;
	return mx_trace_add(t, RULE, "needs-restart", REF,
			    "%s is not in the booted AuxKC: once approved it loads after the next "
			    "restart",
			    f->kext.bundle_id);
}
