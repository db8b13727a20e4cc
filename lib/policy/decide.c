/*
 * lib/policy/decide.c: runs the rules for one kext and turns their verdicts into the
 * decision, exit code and tool text of the modeled release.
 *
 * Order: reference/kexts.md §1.11 (macext's proposal, built from kext_tools' authentication
 * order §1.10 a-b and the order kmutil reports on real Macs §1.10 d):
 *   1 exclude.c, 4 sip.c + signing.c, 6 deprecation.c, 7 consent.c -> mdm_kext.c ->
 *   uakel.c (precedence §9 P10), 9 auxkc.c.
 * (Rules 2, 3, 5 and 8 — Info.plist validation, file-system authentication, staging and
 * dependencies — are lib/model's audit and lib/machine's staging.) Every rule runs and
 * records its entry, so `why` shows all of them; the first refusal in this order decides,
 * except that up to 10.15 a signature failure is re-asked of the system policy and reported
 * as 27 when the policy refuses too (kextd, §1.10 b step 5).
 *
 * Texts (kexts.md §1.9, §2.3-2.5, boot-chain.md §6.2): up to 10.15 kextload's line with
 * mach_error_string() of the result, plus kextutil's TN2459 sentence on 27 (§9 P19); from
 * 11 kmutil's KMErrorDomain line, whose pane name is "System Preferences" on 11-12 and
 * "System Settings" from 13.
 */
#include "policy/rules.h"

#include <errno.h>

typedef int (*rule_fn)(const struct macext_facts *, struct macext_trace *, enum mx_verdict *);

enum { R_EXCLUDE, R_SIP, R_SIGNING, R_DEPRECATION, R_CONSENT, R_MDM, R_UAKEL, R_AUXKC, R_N };

static const rule_fn rules[R_N] = {
	[R_EXCLUDE] = mx_rule_exclude,	   [R_SIP] = mx_rule_sip,
	[R_SIGNING] = mx_rule_signing,	   [R_DEPRECATION] = mx_rule_deprecation,
	[R_CONSENT] = mx_rule_consent,	   [R_MDM] = mx_rule_mdm_kext,
	[R_UAKEL] = mx_rule_uakel,	   [R_AUXKC] = mx_rule_auxkc,
};

/* What refused, which picks the text. */
enum why {
	W_NONE,
	W_EXCLUDED,
	W_AUTH,
	W_SIGNATURE,
	W_UNSUPPORTED,
	W_POLICY,
	W_RESTART,
};

#define KEXTLOAD "%s failed to load - %s; check the system/kernel logs for errors or try " \
		 "kextutil(8)."
#define KM "Error Domain=KMErrorDomain Code=%d \"%s%s%s\" UserInfo={NSLocalizedDescription=" \
	   "%s%s%s}"

static int message_1015(const struct macext_facts *f, struct macext_trace *t, enum why w,
			size_t *off)
{
	const char *p = f->kext.path;

	switch (w) {
	case W_EXCLUDED:
		return mx_trace_text(t, off, KEXTLOAD, p,
				     "(libkern/kext) not loadable (reason unspecified)");
	case W_AUTH:
		return mx_trace_text(t, off, KEXTLOAD, p,
				     "(libkern/kext) authentication failure (file "
				     "ownership/permissions)");
	default:
		return mx_trace_text(t, off, KEXTLOAD "\n%s", p,
				     "(libkern/kext) system policy prevents loading",
				     "System policy prevents loading the kernel extension.");
	}
}

static int km(struct macext_trace *t, size_t *off, int code, const char *a, const char *b,
	      const char *c)
{
	return mx_trace_text(t, off, KM, code, a, b, c, a, b, c);
}

static int message_11(const struct macext_facts *f, struct macext_trace *t, enum why w,
		      size_t *off)
{
	const char *id = f->kext.bundle_id;

	switch (w) {
	case W_EXCLUDED:
		return km(t, off, 71, "Kernel request failed: (libkern/kext) not loadable (reason "
				      "unspecified) (-603946989)",
			  "", "");
	case W_SIGNATURE:
		return km(t, off, 29, "Authenticating extension failed: Bad code signature", "", "");
	case W_UNSUPPORTED:
		return km(t, off, 71, "Extension with identifiers ", id, " unsupported to load.");
	case W_RESTART:
		return km(t, off, 28, "Loading extension(s): ", id, " requires a reboot");
	default:
		return km(t, off, 27, "Extension with identifiers ", id,
			  mx_macos_at_least(f, 13, 0, 0)
				  ? " not approved to load. Please approve using System Settings."
				  : " not approved to load. Please approve using System "
				    "Preferences.");
	}
}

static enum mx_verdict approval_sources(const enum mx_verdict *v)
{
	if (v[R_CONSENT] == MX_GRANT || v[R_MDM] == MX_GRANT)
		return MX_GRANT;
	if (v[R_MDM] == MX_BLOCK)
		return MX_BLOCK;
	return v[R_UAKEL] == MX_GRANT ? MX_GRANT : MX_NEEDS_APPROVAL;
}

static void combine(const struct macext_facts *f, const enum mx_verdict *v,
		    enum macext_decision *d, int *code, enum why *w)
{
	enum mx_verdict pol = approval_sources(v);
	bool eleven = mx_macos_at_least(f, 11, 0, 0);

	*d = MACEXT_DECISION_DENY;
	if (v[R_EXCLUDE] == MX_REFUSE) {
		*code = 71, *w = W_EXCLUDED;
	} else if (v[R_SIGNING] == MX_REFUSE && eleven) {
		*code = 29, *w = W_SIGNATURE;
	} else if (v[R_SIGNING] == MX_REFUSE && pol == MX_GRANT) {
		*code = 71, *w = W_AUTH;
	} else if (v[R_SIGNING] == MX_REFUSE) {
		*d = pol == MX_BLOCK ? MACEXT_DECISION_DENY : MACEXT_DECISION_NEEDS_APPROVAL;
		*code = 27, *w = W_POLICY;
	} else if (v[R_DEPRECATION] == MX_REFUSE) {
		*code = 71, *w = W_UNSUPPORTED;
	} else if (pol == MX_BLOCK) {
		*code = 27, *w = W_POLICY;
	} else if (pol == MX_NEEDS_APPROVAL || v[R_AUXKC] == MX_NEEDS_APPROVAL) {
		*d = MACEXT_DECISION_NEEDS_APPROVAL;
		*code = 27, *w = W_POLICY;
	} else if (v[R_AUXKC] == MX_NEEDS_RESTART) {
		*d = MACEXT_DECISION_NEEDS_RESTART;
		*code = 28, *w = W_RESTART;
	} else {
		*d = MACEXT_DECISION_ALLOW;
		*code = 0, *w = W_NONE;
	}
}

int macext_policy_decide(const struct macext_facts *f, struct macext_trace *t,
			 enum macext_decision *ret_decision, int *ret_exit_code,
			 const char **ret_message)
{
	enum mx_verdict v[R_N];
	enum macext_decision d;
	size_t off = 0;
	enum why w;
	int code, r;

	if (!f || !t || !ret_decision || !ret_exit_code || !ret_message || !f->kext.bundle_id ||
	    !f->kext.path || !mx_macos_at_least(f, 10, 12, 0))
		return -EINVAL;
	macext_trace_reset(t);
	for (size_t i = 0; i < R_N; i++) {
		r = rules[i](f, t, &v[i]);
		if (r < 0)
			return r;
	}
	combine(f, v, &d, &code, &w);
	if (w != W_NONE) {
		r = mx_macos_at_least(f, 11, 0, 0) ? message_11(f, t, w, &off)
						   : message_1015(f, t, w, &off);
		if (r < 0)
			return r;
	}
	*ret_decision = d;
	*ret_exit_code = code;
	*ret_message = w == W_NONE ? NULL : t->text + off;
	return 0;
}
