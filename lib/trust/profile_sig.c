/*
 * lib/trust/profile_sig.c: the CMS signature of a configuration profile
 * (reference/mdm-sysext.md §1.4; docs/formats/mobileconfig.md).
 *
 * lib/format/mobileconfig.c has already walked the ContentInfo down to the plist; here
 * OpenSSL parses the same bytes (d2i_CMS_ContentInfo) and each SignerInfo is checked on its
 * own, so several signers are each reported (§1.4 "verify each one; report all"):
 *
 *   1. signature: the messageDigest attribute equals the digest of the eContent octets
 *      (RFC 5652 §5.4) and the signature over the DER SET OF signedAttrs verifies
 *      (CMS_SignerInfo_verify). Without signed attributes the whole message goes through
 *      CMS_verify with CMS_NO_SIGNER_CERT_VERIFY instead.
 *   2. chain: the signer's certificate, with the CMS certificates as intermediates, chains
 *      to one of the caller's anchors and nothing else (no system store). Time is not
 *      checked here (X509_V_FLAG_NO_CHECK_TIME) but separately, at the modeled clock, on the
 *      signer certificate, so an expired signer and an unknown root are two findings.
 *
 * Severities, decided from §1.4's table: unsigned = note (macOS installs it and shows "not
 * signed"); a digest or signature that does not verify = error (the profile was altered);
 * no chain to an anchor = warning (macOS still installs it manually, shown unverified); a
 * signer outside its validity at --now = warning; BER = note; trailing bytes or an
 * eContentType other than id-data = error. The profile counts as verified when at least one
 * signer both verifies and chains.
 */
#include "macext/profile.h"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <string.h>

#include "util/alloc.h"

#define NOTE MACEXT_SEVERITY_NOTE
#define WARN MACEXT_SEVERITY_WARNING
#define ERR MACEXT_SEVERITY_ERROR

static const char *const sig_status_names[] = {
	[MACEXT_PROFILE_SIG_UNSIGNED] = "unsigned",
	[MACEXT_PROFILE_SIG_VERIFIED] = "verified",
	[MACEXT_PROFILE_SIG_UNTRUSTED] = "untrusted",
	[MACEXT_PROFILE_SIG_INVALID] = "invalid",
};

const char *macext_profile_sig_status_name(enum macext_profile_sig_status s)
{
	return (unsigned)s < sizeof(sig_status_names) / sizeof(sig_status_names[0])
		       ? sig_status_names[s]
		       : "unknown";
}

void macext_profile_sig_clear(struct macext_profile_sig *sig)
{
	if (!sig)
		return;
	for (size_t i = 0; i < sig->n_signers; i++) {
		mx_free(sig->signers[i].subject);
		mx_free(sig->signers[i].why);
	}
	mx_free(sig->signers);
	memset(sig, 0, sizeof(*sig));
}

static int load_anchors(X509_STORE *store, const struct macext_profile_anchor *anchors,
			size_t n)
{
	for (size_t i = 0; i < n; i++) {
		BIO *bio = BIO_new_mem_buf(anchors[i].pem, (int)anchors[i].len);
		X509 *x;
		int count = 0;

		if (!bio)
			return -ENOMEM;
		while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
			X509_STORE_add_cert(store, x);
			X509_free(x);
			count++;
		}
		BIO_free(bio);
		ERR_clear_error();
		if (count == 0)
			return -EBADMSG;
	}
	return 0;
}

static char *name_text(const X509_NAME *name)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *s = NULL;
	long n;

	if (!bio)
		return NULL;
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
		n = BIO_get_mem_data(bio, &data);
		s = mx_strndup(data, (size_t)n);
	}
	BIO_free(bio);
	return s;
}

/* messageDigest equals the digest of CONTENT under the signer's digest algorithm. */
static bool digest_ok(CMS_SignerInfo *si, const ASN1_OCTET_STRING *content)
{
	const ASN1_OCTET_STRING *md_attr;
	X509_ALGOR *alg = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	const EVP_MD *evp;
	int idx;

	CMS_SignerInfo_get0_algs(si, NULL, NULL, &alg, NULL);
	if (!alg || !content)
		return false;
	evp = EVP_get_digestbyobj(alg->algorithm);
	idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_messageDigest, -1);
	if (!evp || idx < 0)
		return false;
	md_attr = X509_ATTRIBUTE_get0_data(CMS_signed_get_attr(si, idx), 0, V_ASN1_OCTET_STRING,
					   NULL);
	if (!md_attr ||
	    !EVP_Digest(ASN1_STRING_get0_data(content), (size_t)ASN1_STRING_length(content), md,
			&md_len, evp, NULL))
		return false;
	return (unsigned)ASN1_STRING_length(md_attr) == md_len &&
	       memcmp(ASN1_STRING_get0_data(md_attr), md, md_len) == 0;
}

/* Verdict on the whole message when a signer has no signed attributes. */
static bool whole_message_ok(CMS_ContentInfo *cms)
{
	int ok = CMS_verify(cms, NULL, NULL, NULL, NULL,
			    CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY | CMS_NO_ATTR_VERIFY);

	ERR_clear_error();
	return ok == 1;
}

static bool chain_ok(X509_STORE *store, X509 *cert, STACK_OF(X509) *certs, char *why,
		     size_t why_size)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	bool ok = false;

	if (!ctx)
		return false;
	if (X509_STORE_CTX_init(ctx, store, cert, certs) == 1) {
		X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx),
					    X509_V_FLAG_NO_CHECK_TIME);
		ok = X509_verify_cert(ctx) == 1;
		if (!ok)
			snprintf(why, why_size, "chain: %s",
				 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	}
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/* A finding about the whole file (no key path). */
#define add(f, sev, rule, file, ...) \
	macext_findings_add(f, sev, rule, file, NULL, NULL, NULL, __VA_ARGS__)

struct verify_state {
	CMS_ContentInfo *cms;
	X509_STORE *store;
	STACK_OF(X509) *certs;
	ASN1_OCTET_STRING *content;
	int64_t now;
	const char *file;
	struct macext_findings *f;
};

/* Checks one SignerInfo, fills S and appends its findings. */
static int check_signer(struct verify_state *v, CMS_SignerInfo *si,
			struct macext_profile_signer *s)
{
	X509 *signer = NULL;
	char why[200] = "";
	const char *who;
	time_t t = (time_t)v->now;
	int r = 0;

	CMS_SignerInfo_get0_algs(si, NULL, &signer, NULL, NULL);
	if (signer) {
		s->subject = name_text(X509_get_subject_name(signer));
		if (!s->subject)
			return -ENOMEM;
	}
	who = s->subject ? s->subject : "(no certificate)";
	if (CMS_signed_get_attr_count(si) < 0)
		s->signature_ok = whole_message_ok(v->cms);
	else
		s->signature_ok = signer && digest_ok(si, v->content) &&
				  CMS_SignerInfo_verify(si) == 1;
	ERR_clear_error();
	if (!s->signature_ok) {
		snprintf(why, sizeof(why), signer ? "digest or signature does not verify"
						 : "signer certificate not in the message");
		r = add(v->f, ERR, "profile.cms.signature", v->file,
			"signer %s: the digest or signature does not verify (profile altered "
			"after signing)",
			who);
	} else {
		s->chain_ok = chain_ok(v->store, signer, v->certs, why, sizeof(why));
		if (!s->chain_ok)
			r = add(v->f, WARN, "profile.cms.untrusted", v->file,
				"signer %s does not chain to a trust anchor: macOS shows the "
				"profile as unverified",
				who);
		if (r == 0 && (X509_cmp_time(X509_get0_notBefore(signer), &t) >= 0 ||
			       X509_cmp_time(X509_get0_notAfter(signer), &t) <= 0))
			r = add(v->f, WARN, "profile.cms.cert-time", v->file,
				"signer %s is expired or not yet valid at the modeled time", who);
		if (r == 0 && s->chain_ok)
			r = add(v->f, NOTE, "profile.cms.signed", v->file,
				"signed by %s; the signature verifies and chains to an anchor", who);
	}
	if (r == 0 && why[0]) {
		s->why = mx_strdup(why);
		if (!s->why)
			r = -ENOMEM;
	}
	return r;
}

static int structure_findings(const struct macext_profile *p, const char *file,
			      struct macext_findings *f)
{
	int r = 0;

	if (p->cms.ber)
		r = add(f, NOTE, "profile.cms.ber", file,
			"the cms is %s-encoded, not der (accepted)", "ber");
	if (r == 0 && p->cms.trailing)
		r = macext_findings_add(f, ERR, "profile.cms.trailing", file, NULL, NULL, NULL,
					"%llu bytes follow the cms content info",
					(unsigned long long)p->cms.trailing);
	if (r == 0 && !p->cms.data_type)
		r = add(f, ERR, "profile.cms.content-type", file,
			"the signed content type is not %s", "id-data");
	return r;
}

int macext_profile_verify(struct macext_profile_sig *ret, const struct macext_profile *p,
			  const struct macext_profile_anchor *anchors, size_t n_anchors,
			  int64_t now, const char *file, struct macext_findings *findings)
{
	struct verify_state v = {.now = now, .file = file, .f = findings};
	struct macext_profile_sig sig = {0};
	STACK_OF(CMS_SignerInfo) *sis;
	const unsigned char *der;
	ASN1_OCTET_STRING **pos;
	bool any_invalid = false, any_verified = false;
	int r, n;

	if (!ret || !p || (n_anchors && !anchors))
		return -EINVAL;
	if (p->form != MACEXT_PROFILE_CMS) {
		*ret = sig;
		return add(findings, NOTE, "profile.cms.unsigned", file,
			   "the profile is not signed%s", "; macOS shows it as not signed");
	}
	r = structure_findings(p, file, findings);
	if (r < 0)
		return r;
	v.store = X509_STORE_new();
	if (!v.store)
		return -ENOMEM;
	r = load_anchors(v.store, anchors, n_anchors);
	if (r < 0)
		goto out;
	der = p->cms.der;
	v.cms = d2i_CMS_ContentInfo(NULL, &der, (long)p->cms.der_len);
	pos = v.cms ? CMS_get0_content(v.cms) : NULL;
	sis = v.cms ? CMS_get0_SignerInfos(v.cms) : NULL;
	ERR_clear_error();
	if (!pos || !*pos || !sis || sk_CMS_SignerInfo_num(sis) == 0) {
		sig.status = MACEXT_PROFILE_SIG_INVALID;
		r = add(findings, ERR, "profile.cms.no-signer", file,
			"the cms %s", v.cms ? "has no signer" : "cannot be parsed by openssl");
		goto done;
	}
	v.content = *pos;
	v.certs = CMS_get1_certs(v.cms);
	CMS_set1_signers_certs(v.cms, NULL, 0);
	ERR_clear_error();
	n = sk_CMS_SignerInfo_num(sis);
	sig.signers = mx_calloc((size_t)n, sizeof(*sig.signers));
	if (!sig.signers) {
		r = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		struct macext_profile_signer *s = &sig.signers[sig.n_signers++];

		r = check_signer(&v, sk_CMS_SignerInfo_value(sis, i), s);
		if (r < 0)
			goto out;
		any_invalid |= !s->signature_ok;
		any_verified |= s->signature_ok && s->chain_ok;
	}
	sig.status = any_verified ? MACEXT_PROFILE_SIG_VERIFIED
		     : any_invalid ? MACEXT_PROFILE_SIG_INVALID
				   : MACEXT_PROFILE_SIG_UNTRUSTED;
done:
	*ret = sig;
	memset(&sig, 0, sizeof(sig));
out:
	macext_profile_sig_clear(&sig);
	sk_X509_pop_free(v.certs, X509_free);
	CMS_ContentInfo_free(v.cms);
	X509_STORE_free(v.store);
	return r;
}
