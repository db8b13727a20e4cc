/*
 * lib/policy/deprecation.c: deprecated KPIs (kexts.md §7.1, §7.6; rule 6 of §1.11).
 *
 * lib/model classifies the kext (category ids, and whether each is unsupported at the
 * modeled release); this rule says what the release does with that:
 *   before 10.15        nothing;
 *   10.15 - 10.15.3     deprecated: the kext loads (audit warning) (seed-000);
 *   10.15.4 - 10.15.x   loads, with the "Legacy System Extension" alert (seed-004), which
 *                       is not shown for a kext an MDM payload allows (community report);
 *   11.0 and later      a kext in an unsupported category does not load by default, unless
 *                       SIP's kext protection is off or an MDM payload allows the kext
 *                       (seed-000); a refusal is exit 71 "unsupported to load" (§9 P12);
 *   12.3 and later      audio, Bluetooth and SCSI-controller kexts: a third-party source
 *                       calls their migration obligatory (seed-002); they still load and
 *                       the trace warns (§9 P13).
 * The refusal never happens before 11, whatever the facts say.
 */
#include "policy/rules.h"

#include <stdio.h>

#define RULE "deprecation"
#define REF_DEP "kexts.md §7.1: KPIs deprecated in 10.15 still load (seed-000)"
#define REF_ALERT "kexts.md §7.1, §1.9: Legacy System Extension alert from 10.15.4 (seed-004)"
#define REF_REFUSE "kexts.md §7.1, §9 P12: unsupported KPIs do not load by default from " \
		   "macOS 11 (seed-000)"
#define REF_EXEMPT "kexts.md §7.1: the refusal is not enforced with SIP disabled or for " \
		   "kexts approved through MDM (seed-000)"
#define REF_OBLIGATORY "kexts.md §7.4, §9 P13: migration called obligatory from 12.3 " \
		       "(seed-002, unconfirmed); the kext still loads"
#define REF_NONE "kexts.md §7.6: no deprecated-KPI policy applies"

/* "kauth (unsupported: symbols _kauth_listen_scope), socket" into BUF. */
static void list_categories(const struct macext_facts *f, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < f->nkpi && len < size; i++) {
		const struct macext_kpi_fact *k = &f->kpi[i];
		int n = snprintf(buf + len, size - len, "%s%s%s%s%s%s", i ? ", " : "", k->id,
				 k->unsupported ? " (unsupported" : "",
				 k->unsupported && k->evidence ? ": " : "",
				 k->unsupported && k->evidence ? k->evidence : "",
				 k->unsupported ? ")" : "");
		if (n < 0)
			break;
		len += (size_t)n;
	}
	if (len >= size && size > 4)
		snprintf(buf + size - 4, 4, "...");
}

int mx_rule_deprecation(const struct macext_facts *f, struct macext_trace *t,
			enum mx_verdict *ret)
{
	struct mx_mdm_state mdm;
	bool unsupported = false, obligatory = false;
	char cats[512];

	*ret = MX_PASS;
	if (f->nkpi == 0)
		return mx_trace_add(t, RULE, "none", REF_NONE, "the kext uses no deprecated KPI");
	list_categories(f, cats, sizeof(cats));
	if (!mx_macos_at_least(f, 10, 15, 0))
		return mx_trace_add(t, RULE, "none", REF_NONE,
				    "categories %s: no deprecated-KPI policy before macOS 10.15",
				    cats);
	mx_mdm_state(f, &mdm);
	if (!mx_macos_at_least(f, 11, 0, 0)) {
		if (!mx_macos_at_least(f, 10, 15, 4))
			return mx_trace_add(t, RULE, "warning", REF_DEP,
					    "categories %s: deprecated, the kext loads", cats);
		if (mdm.allows)
			return mx_trace_add(t, RULE, "warning", REF_ALERT,
					    "categories %s: deprecated; no Legacy System Extension "
					    "alert for a kext allowed by MDM",
					    cats);
		return mx_trace_add(t, RULE, "alert", REF_ALERT,
				    "categories %s: the kext loads with the Legacy System "
				    "Extension alert",
				    cats);
	}
	for (size_t i = 0; i < f->nkpi; i++) {
		unsupported |= f->kpi[i].unsupported;
		obligatory |= f->kpi[i].obligatory;
	}
	if (!unsupported && obligatory)
		return mx_trace_add(t, RULE, "obligatory", REF_OBLIGATORY,
				    "categories %s: replacement obligatory, the kext loads", cats);
	if (!unsupported)
		return mx_trace_add(t, RULE, "warning", REF_DEP,
				    "categories %s: deprecated only, the kext loads", cats);
	if (mx_sip_kext_protection_off(f))
		return mx_trace_add(t, RULE, "exempt-sip", REF_EXEMPT,
				    "categories %s: not enforced, SIP kext protection is off", cats);
	if (mdm.allows)
		return mx_trace_add(t, RULE, "exempt-mdm", REF_EXEMPT,
				    "categories %s: not enforced, allowed by MDM payload %s", cats,
				    mdm.by->payload_uuid ? mdm.by->payload_uuid : "(no uuid)");
	*ret = MX_REFUSE;
	return mx_trace_add(t, RULE, "refuse", REF_REFUSE,
			    "categories %s: unsupported to load on this release", cats);
}
