/*
 * lib/machine/audit_signature.c: the `signature.*` audit findings (kexts.md §8.3-8.5,
 * codesign.md §3.7; docs/audit.md).
 *
 * Every modeled release (10.12 and later) requires, since 10.10 and under SIP's kext
 * protection since 10.11, that a third-party kext satisfy kext_tools' fixed requirement
 * (anchor apple generic, intermediate 1.2.840.113635.100.6.2.6, leaf .6.1.13 and the
 * kext-signing marker .6.1.18) and a com.apple. kext `anchor apple`, over every slice
 * (strict validation of all architectures). Findings, one per kext and release, in this
 * order of precedence:
 *   signature.unsigned        no signature in any form (embedded or _CodeSignature/)
 *   signature.adhoc           ad-hoc or linker-signed: no identity, so no Team ID
 *   signature.invalid         a signature that does not verify (a tampered page, Info.plist
 *                             or resource, a bad CMS, slices of two teams ...): the reasons
 *   signature.untrusted       a valid CMS whose chain ends at no trusted root
 *   signature.not-developer-id  valid, but not a Developer ID (or, for com.apple., not Apple)
 *   signature.no-kext-marker  Developer ID whose leaf lacks 1.2.840.113635.100.6.1.18
 * Severity: with SIP's kext protection on, each is an error (kextd/kmutil refuse:
 * "Untrusted kexts are not allowed", code 29 from 11; kexts.md §1.10 step 3, §8.5), except
 * that an unsigned or ad-hoc kext the MDM payload lists under the empty Team ID may load
 * (kexts.md §9 P6), so with --mdm-approved those two are warnings; with SIP off
 * (--sip-disabled) each is a note, since kext_tools logs the failure and loads the kext. Notarization (10.14.5+, §8.6) needs
 * Apple's tickets and is not judged here.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macext/audit.h"
#include "macext/codesign.h"

#define REASONS_MAX 3

static bool is_apple_id(const char *id)
{
	return id && strncmp(id, "com.apple.", 10) == 0;
}

/* "code: message; code: message" of the first few reasons, slice-level ones named. */
static void reasons(const struct macext_cs_result *res, char *buf, size_t size)
{
	size_t n = 0, used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < res->nerrors && n < REASONS_MAX; i++, n++)
		used += (size_t)snprintf(buf + used, used < size ? size - used : 0, "%s%s: %s",
					 n ? "; " : "", res->errors[i].code,
					 res->errors[i].message);
	for (size_t i = 0; i < res->nslices; i++)
		for (size_t j = 0; j < res->slices[i].nerrors && n < REASONS_MAX; j++, n++)
			used += (size_t)snprintf(buf + used, used < size ? size - used : 0,
						 "%sslice %s: %s: %s", n ? "; " : "",
						 res->slices[i].arch, res->slices[i].errors[j].code,
						 res->slices[i].errors[j].message);
}

static bool only_untrusted(const struct macext_cs_result *res)
{
	size_t n = res->nerrors;

	for (size_t i = 0; i < res->nslices; i++)
		for (size_t j = 0; j < res->slices[i].nerrors; j++, n++)
			if (strcmp(res->slices[i].errors[j].code, "chain-untrusted"))
				return false;
	return n > 0 && res->nerrors == 0;
}

/* The weakest of the slices ARCH selects (all when NULL; the first of equals). *RET_MIXED
 * is set when the selected slices differ in kind, so the finding names the slice. */
static const struct macext_cs_slice *weakest(const struct macext_cs_result *res, const char *arch,
					     bool *ret_mixed)
{
	const struct macext_cs_slice *w = NULL;

	*ret_mixed = false;
	for (size_t i = 0; i < res->nslices; i++) {
		const struct macext_cs_slice *s = &res->slices[i];

		if (arch && strcmp(s->arch, arch) && res->nslices > 1)
			continue;
		if (w && s->kind != w->kind)
			*ret_mixed = true;
		if (!w || s->kind < w->kind ||
		    (s->kind == w->kind && w->kext_requirement && !s->kext_requirement))
			w = s;
	}
	return w;
}

static int audit_one(const struct macext_kext *k, const struct macext_audit_opts *opts,
		     const struct macext_audit_signature_opts *sopt, struct macext_findings *out)
{
	struct macext_cs_options o = {.now = sopt->now, .anchors = sopt->anchors,
				      .anchor_lens = sopt->anchor_lens, .nanchors = sopt->nanchors};
	bool sip_off = (opts->flags & MACEXT_AUDIT_SIP_DISABLED) != 0;
	enum macext_severity hard = sip_off ? MACEXT_SEVERITY_NOTE : MACEXT_SEVERITY_ERROR;
	enum macext_severity soft = sip_off ? MACEXT_SEVERITY_NOTE
				    : (opts->flags & MACEXT_AUDIT_MDM_APPROVED) ? MACEXT_SEVERITY_WARNING
									       : MACEXT_SEVERITY_ERROR;
	const char *path = macext_kext_path(k), *id = macext_kext_bundle_id(k);
	const char *tail = sip_off ? " (SIP's kext protection is off: logged and ignored)" : "";
	struct macext_cs_result *res = NULL;
	const struct macext_cs_slice *s;
	struct macext_diag d = {0};
	char macos[16], why[700];
	bool mixed;
	int r;

	macext_macos_format(&opts->macos, macos);
	r = macext_codesign_verify_path(&res, path, &o, &d);
	if (r == -ENOMEM)
		return r;
	if (r < 0) /* no executable and no detached signature, or not a Mach-O */
		return r == -ENOENT ? macext_findings_add(out, soft, "signature.unsigned", path, NULL,
							  macos, NULL, "Kext is not signed%s", tail)
				    : 0; /* an unreadable executable is executable.*'s finding */
	s = weakest(res, opts->arch, &mixed);
	if (!s) {
		r = 0;
	} else if (s->kind == MACEXT_CS_UNSIGNED) {
		r = macext_findings_add(out, soft, "signature.unsigned", path, NULL, macos,
					mixed ? s->arch : NULL, "Kext is not signed%s",
					tail);
	} else if (s->kind == MACEXT_CS_ADHOC || s->kind == MACEXT_CS_LINKER_SIGNED) {
		r = macext_findings_add(out, soft, "signature.adhoc", path, NULL, macos,
					mixed ? s->arch : NULL,
					"Kext has an ad-hoc signature: no Developer ID, no Team ID "
					"(%s)%s", macext_cs_kind_name(s->kind), tail);
	} else if (!res->valid && only_untrusted(res)) {
		r = macext_findings_add(out, hard, "signature.untrusted", path, NULL, macos, NULL,
					"Kext signature does not chain to an Apple root (3rd-party "
					"kext without Apple root)%s", tail);
	} else if (!res->valid) {
		reasons(res, why, sizeof(why));
		r = macext_findings_add(out, hard, "signature.invalid", path, NULL, macos, NULL,
					"Kext with invalid signature (-67061) denied - %s%s", why,
					tail);
	} else if (is_apple_id(id) ? s->kind != MACEXT_CS_APPLE
				   : s->kind != MACEXT_CS_DEVELOPER_ID) {
		r = macext_findings_add(out, hard, "signature.not-developer-id", path, NULL, macos,
					NULL, "Kext is signed (%s) but not by %s (-67050)%s",
					macext_cs_kind_name(s->kind),
					is_apple_id(id) ? "Apple (anchor apple)" : "a Developer ID",
					tail);
	} else if (!s->kext_requirement) {
		r = macext_findings_add(out, hard, "signature.no-kext-marker", path, NULL, macos,
					NULL, "Kext is signed with a Developer ID certificate (team %s) "
					"that is not enabled for kexts: the leaf lacks "
					"1.2.840.113635.100.6.1.18 (-67050)%s",
					s->team_id ? s->team_id : "none", tail);
	}
	macext_cs_result_free(res);
	return r < 0 ? r : 0;
}

int macext_audit_signature(const struct macext_kext *k, const struct macext_audit_opts *opts,
			   const struct macext_audit_signature_opts *sopt,
			   struct macext_findings *out)
{
	int r;

	if (!k || !opts || !sopt || !out)
		return -EINVAL;
	r = audit_one(k, opts, sopt, out);
	for (size_t i = 0; r == 0 && i < macext_kext_nplugins(k); i++)
		r = macext_audit_signature(macext_kext_plugin(k, i), opts, sopt, out);
	return r;
}
