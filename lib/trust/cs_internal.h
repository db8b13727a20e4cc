#pragma once
/*
 * What the code-signature verifier's files share (cs_verify.c: slices and CodeDirectories;
 * cs_cms.c: the CMS signature, the timestamp and the certificate chain).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <plist/plist.h>

#include "format/codedir.h"
#include "format/cs_limits.h"
#include "macext/codesign.h"

struct mx_cs_cd {
	struct mx_codedir cd;
	uint32_t slot;
	uint8_t full[EVP_MAX_MD_SIZE]; /* hash of the CD blob with its own hash type */
	unsigned full_len;
};

/* Trusted roots given by the caller, parsed once per verify call. */
struct mx_cs_anchors {
	X509 **certs;
	size_t n;
};

/* Appends an error to S. Returns 0 or -ENOMEM. */
int mx_cs_error(struct macext_cs_error **errs, size_t *n, const char *code, bool has_offset,
		uint64_t offset, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
#define mx_cs_slice_error(s, code, ...) \
	mx_cs_error(&(s)->errors, &(s)->nerrors, (code), false, 0, __VA_ARGS__)
#define mx_cs_slice_error_at(s, code, off, ...) \
	mx_cs_error(&(s)->errors, &(s)->nerrors, (code), true, (off), __VA_ARGS__)

/* Parses an untrusted plist (XML or binary) after mx_plist_precheck(); NULL when it is not
 * one. The caller plist_free()s it. */
plist_t mx_cs_plist(const void *buf, size_t len);

/* The OpenSSL digest for a CD hash type (SHA-256 for type 3, truncated by the caller). */
const EVP_MD *mx_cs_md(uint32_t hash_type);
/* Lower-case hex of N bytes into OUT (2N+1 bytes). */
void mx_hex(const uint8_t *p, size_t n, char *out);

/* Verifies the CMS blob (the BlobWrapper payload, BUF/LEN at file offset ORIGIN) of a
 * signature whose CDs are CDS[0..NCDS) (slot 0 first), filling S's signer, chain, times,
 * kind and errors. When the chain verified, *RET_CHAIN is the built chain (leaf first; the
 * caller frees it with sk_X509_pop_free). Returns 0 (problems are errors in S) or -ENOMEM. */
int mx_cs_verify_cms(struct macext_cs_slice *s, const uint8_t *buf, size_t len, uint64_t origin,
		     const struct mx_cs_cd *cds, size_t ncds, const struct macext_cs_options *opt,
		     const struct mx_cs_anchors *anchors, STACK_OF(X509) **ret_chain);

/* Parses the caller's trust anchors / frees them. */
int mx_cs_load_anchors(struct mx_cs_anchors *a, const struct macext_cs_options *opt,
		       struct macext_diag *diag);
void mx_cs_free_anchors(struct mx_cs_anchors *a);

/* Signing (cs_sign.c, cs_sign_res.c). */
/* Parses N bytes of lower-case or upper-case hex at HEX into OUT; false if malformed. */
bool mx_cs_unhex(const char *hex, uint8_t *out, size_t n);
/* The CodeResources plist for the bundle whose Contents/ is CONTENTS (the main executable
 * MAIN_REL, relative to Contents/, is left out). *RET is the caller's; *RET_COUNT the number
 * of files2 entries. Returns 0, -EBADMSG (unsigned nested code), -EIO, -E2BIG, -ENOMEM. */
int mx_cs_sign_resources(char **ret, size_t *ret_len, size_t *ret_count, const char *contents,
			 const char *main_rel, struct macext_diag *diag);
