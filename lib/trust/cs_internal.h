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

/* The OpenSSL digest for a CD hash type (SHA-256 for type 3, truncated by the caller). */
const EVP_MD *mx_cs_md(uint32_t hash_type);
/* Lower-case hex of N bytes into OUT (2N+1 bytes). */
void mx_hex(const uint8_t *p, size_t n, char *out);

/* Verifies the CMS blob (the BlobWrapper payload, BUF/LEN at file offset ORIGIN) of a
 * signature whose CDs are CDS[0..NCDS) (slot 0 first), filling S's signer, chain, times,
 * kind and errors. Returns 0 (problems are errors in S) or -ENOMEM. */
int mx_cs_verify_cms(struct macext_cs_slice *s, const uint8_t *buf, size_t len, uint64_t origin,
		     const struct mx_cs_cd *cds, size_t ncds, const struct macext_cs_options *opt,
		     const struct mx_cs_anchors *anchors);
