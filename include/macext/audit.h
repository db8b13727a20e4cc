#ifndef MACEXT_AUDIT_H
#define MACEXT_AUDIT_H
/*
 * Audit checks that need more than the bundle model: the code signature of a kext, judged
 * per macOS release as kext_tools would (kexts.md §8.3-8.5). lib/machine/audit_signature.c.
 */
#include <stddef.h>
#include <stdint.h>

#include "macext/codesign.h"
#include "macext/finding.h"
#include "macext/kext.h"

#ifdef __cplusplus
extern "C" {
#endif

struct macext_audit_signature_opts {
	int64_t now;                   /* the modeled clock: certificate validity */
	const uint8_t *const *anchors; /* extra trusted roots (a modeled Mac's test anchors) */
	const size_t *anchor_lens;
	size_t nanchors;
};

/**
 * Verifies the signature of K (and of each plug-in) with macext_codesign_verify_path() and
 * appends `signature.*` findings for the release, architecture and SIP state of OPTS
 * (docs/audit.md): signature.unsigned, signature.adhoc, signature.invalid,
 * signature.untrusted, signature.not-developer-id, signature.no-kext-marker. With SIP's
 * kext protection on, a signature that is present but fails the kext signing requirement is
 * an error, a missing or ad-hoc one a warning; with MACEXT_AUDIT_SIP_DISABLED every one of
 * them is a note (the failure is logged and ignored, kexts.md §8.5). Returns 0 (findings
 * are results), -EINVAL or -ENOMEM.
 */
MACEXT_API int macext_audit_signature(const struct macext_kext *k,
				      const struct macext_audit_opts *opts,
				      const struct macext_audit_signature_opts *sopt,
				      struct macext_findings *out);

#ifdef __cplusplus
}
#endif
#endif
