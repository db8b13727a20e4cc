/*
 * lib/policy/exclude.c: the exclude ("banned") list (kexts.md §5; rule 1 of §1.11).
 *
 * A kext on AppleKextExcludeList.kext's OSKextExcludeList is refused before anything else:
 * kextd answers kOSKextReturnNotLoadable (kext_tools kextd_request.c), the kernel refuses
 * it in OSKext::load (xnu), and on 11+ kmd leaves it out of the AuxKC (seed-000). Exit 71
 * on every release. lib/model evaluates both grammars; the user-space one decides (kmd and
 * kextd are user space, §9 P20) and a disagreement with the kernel's is shown in the trace.
 */
#include "policy/rules.h"

#define RULE "exclude"
#define REF "kexts.md §5.4, §5.6: exclude list (IOKitUser OSKextIsInExcludeList; " \
	    "xnu OSKext::load: kOSKextReturnNotLoadable)"

int mx_rule_exclude(const struct macext_facts *f, struct macext_trace *t, enum mx_verdict *ret)
{
	const char *rule = f->exclude_rule ? f->exclude_rule : "(none)";
	const char *note = "";

	if (f->excluded != f->excluded_kernel)
		note = f->excluded ? "; the kernel grammar does not exclude it (P20)"
				   : "; only the kernel grammar excludes it (P20)";
	if (f->excluded) {
		*ret = MX_REFUSE;
		return mx_trace_add(t, RULE, "excluded", REF,
				    "%s %s matches exclude rule \"%s\"%s", f->kext.bundle_id,
				    f->kext.version ? f->kext.version : "(no version)", rule, note);
	}
	*ret = MX_PASS;
	return mx_trace_add(t, RULE, "pass", REF, "%s %s is not on the exclude list%s",
			    f->kext.bundle_id, f->kext.version ? f->kext.version : "(no version)",
			    note);
}
