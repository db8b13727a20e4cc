#ifndef MACEXT_PROFILE_H
#define MACEXT_PROFILE_H
/*
 * Configuration profiles (.mobileconfig): reading every container macOS accepts, checking a
 * CMS signature, validating the envelope and the two extension payloads, and asking whether
 * a profile approves one kext (reference/mdm-sysext.md §1-§3, docs/formats/mobileconfig.md).
 *
 *   macext_profile_read()       lib/format/mobileconfig.c  pure: buffer in, plist out
 *   macext_profile_verify()     lib/trust/profile_sig.c    OpenSSL CMS verification
 *   macext_profile_validate()   lib/model/profile_validate.c
 *   macext_profile_check_kext() lib/model/profile_check.c
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/diag.h"
#include "macext/error.h"
#include "macext/finding.h"
#include "macext/kext.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The container the file came in (mdm-sysext.md §1.1). */
enum macext_profile_form {
	MACEXT_PROFILE_XML,    /* XML plist, after an optional BOM and white space */
	MACEXT_PROFILE_BINARY, /* bplist00 */
	MACEXT_PROFILE_CMS,    /* CMS SignedData with the plist as its eContent */
};

/** Stable name of a form: "xml", "binary", "cms". */
MACEXT_API const char *macext_profile_form_name(enum macext_profile_form f);

/* What the structural walk of a CMS container found (form == MACEXT_PROFILE_CMS only). */
struct macext_profile_cms {
	const uint8_t *der;      /* the ContentInfo, borrowed from the caller's buffer */
	size_t der_len;
	bool ber;                /* some length is indefinite: not DER (note profile.cms.ber) */
	bool data_type;          /* eContentType is id-data (else error profile.cms.content-type) */
	uint64_t trailing;       /* bytes after the ContentInfo (error profile.cms.trailing) */
	uint64_t content_offset; /* file offset of the first eContent byte */
};

struct macext_profile {
	enum macext_profile_form form;
	struct macext_profile_cms cms;
	bool plist_binary;     /* the plist itself (inside CMS too) is a binary plist */
	uint64_t plist_offset; /* file offset of the plist's first byte (after BOM/white space) */
	void *root;            /* the parsed plist (libplist plist_t), owned */
	uint8_t *joined;       /* a chunked BER eContent joined into one buffer, owned */
};

/** Reads a profile from BUF (LEN bytes; borrowed: keep it alive while *RET lives). Accepts
 * an XML plist (UTF-8 BOM, leading white space, CRLF, comments, one line), a binary plist
 * and a CMS SignedData holding either (DER or BER). The plist's nesting and node count are
 * checked before libplist sees it. Returns 0, -ENOEXEC (none of the three forms), -EBADMSG
 * (malformed container or plist; a detached signature), -E2BIG (over a limit of
 * lib/format/limits.h) or -ENOMEM; DIAG names the offset. */
MACEXT_API int macext_profile_read(struct macext_profile **ret, const void *buf, size_t len,
				   struct macext_diag *diag);
/** Frees P; accepts NULL. */
MACEXT_API void macext_profile_free(struct macext_profile *p);

/* ---- signature (lib/trust/profile_sig.c) ---------------------------------------------- */

enum macext_profile_sig_status {
	MACEXT_PROFILE_SIG_UNSIGNED,  /* no CMS: note profile.cms.unsigned */
	MACEXT_PROFILE_SIG_VERIFIED,  /* a signer verifies and chains to an anchor */
	MACEXT_PROFILE_SIG_UNTRUSTED, /* signatures verify, no signer chains: warning */
	MACEXT_PROFILE_SIG_INVALID,   /* a digest or signature does not verify: error */
};

/** Stable name: "unsigned", "verified", "untrusted", "invalid". */
MACEXT_API const char *macext_profile_sig_status_name(enum macext_profile_sig_status s);

struct macext_profile_signer {
	char *subject;     /* RFC 2253 one-line subject, or NULL if no certificate was found */
	bool signature_ok; /* messageDigest and signature verify */
	bool chain_ok;     /* the certificate chains to an anchor at the modeled time */
	char *why;         /* why not, lower case; NULL when both are true */
};

struct macext_profile_sig {
	enum macext_profile_sig_status status;
	struct macext_profile_signer *signers;
	size_t n_signers;
};

/* A trust anchor as PEM text (one or more certificates). */
struct macext_profile_anchor {
	const void *pem;
	size_t len;
};

/** Verifies P's CMS signature (P from macext_profile_read over the same buffer) against
 * ANCHORS (N_ANCHORS of them; the anchors are the only roots) at time NOW, fills *RET (free
 * with macext_profile_sig_clear) and appends the profile.cms.* findings about FILE to
 * FINDINGS. An unsigned profile gives status unsigned and a note. Returns 0, -EBADMSG (an
 * anchor is not PEM) or -ENOMEM. */
MACEXT_API int macext_profile_verify(struct macext_profile_sig *ret, const struct macext_profile *p,
				     const struct macext_profile_anchor *anchors, size_t n_anchors,
				     int64_t now, const char *file,
				     struct macext_findings *findings);
/** Frees what SIG holds; accepts NULL. */
MACEXT_API void macext_profile_sig_clear(struct macext_profile_sig *sig);

/* ---- validation (lib/model/profile_validate.c) ---------------------------------------- */

struct macext_profile_validate_opts {
	/* The macOS the profile is meant for; keys newer than it give *.key.too-new. NULL
	 * means the newest modeled release. */
	const struct macext_macos_version *macos;
	int64_t now; /* the modeled clock, for profile.expired */
};

/** Appends to FINDINGS every finding about P (envelope, kext and system extension
 * payloads; mdm-sysext.md §1.7, §2.4, §3.4). Each finding's path is FILE and its location
 * the key path, e.g. "PayloadContent[1].AllowedKernelExtensions.UBF8T346G9[0]". Returns 0
 * or -ENOMEM. */
MACEXT_API int macext_profile_validate(const struct macext_profile *p,
				       const struct macext_profile_validate_opts *opts,
				       const char *file, struct macext_findings *findings);

/* ---- one kext against one profile (lib/model/profile_check.c) ------------------------- */

enum macext_profile_verdict {
	MACEXT_PROFILE_NO_KEXT_PAYLOAD,    /* the profile holds no kext policy payload */
	MACEXT_PROFILE_ALLOWED_KEXT,       /* listed in AllowedKernelExtensions[team] */
	MACEXT_PROFILE_ALLOWED_TEAM,       /* team in AllowedTeamIdentifiers */
	MACEXT_PROFILE_USER_MAY_APPROVE,   /* not allowed; AllowUserOverrides true */
	MACEXT_PROFILE_BLOCKED,            /* not allowed; the user cannot approve it either */
};

/** Stable name: "no-kext-payload", "allowed-kext", "allowed-team", "user-may-approve",
 * "blocked". */
MACEXT_API const char *macext_profile_verdict_name(enum macext_profile_verdict v);

struct macext_profile_check {
	enum macext_profile_verdict verdict;
	char location[384]; /* the key path that decided, or "" */
	char reason[256];   /* one sentence for people */
	bool non_admin;     /* AllowNonAdminUserApprovals in force (user-may-approve only) */
};

/** Whether P's kernel-extension-policy payloads (merged as mdm-sysext.md §4.1 and U-1/U-2)
 * let the kext BUNDLE_ID of team TEAM_ID ("" when unsigned) load without user approval
 * (mdm-sysext.md §2.3 steps 1-3). Returns 0 or -EINVAL. */
MACEXT_API int macext_profile_check_kext(struct macext_profile_check *ret,
					 const struct macext_profile *p, const char *team_id,
					 const char *bundle_id);

#ifdef __cplusplus
}
#endif
#endif
