/*
 * lib/trust/cs_cms.c: the CMS signature of a code signature, its secure timestamp and its
 * certificate chain (codesign.md §4, §5).
 *
 * Order (codesign.md §4.5 and §2.11):
 *  1. locate the SignedData parts with the BER walker (format/cms.c): one SignerInfo,
 *     no duplicate attributes, a definite-length signedAttrs;
 *  2. contentType is id-data and the content is detached;
 *  3. messageDigest = digest (SignerInfo digest algorithm) of the slot-0 CD bytes;
 *  4. the signer certificate is found by issuer and serial number;
 *  5. the signature verifies over the RAW signed-attribute bytes with 0xA0 changed to 0x31,
 *     with EVP_DigestVerify and the signer's key. CMS_verify is never used: it re-encodes the
 *     attributes in DER order and rejects osxfuse's genuine signatures (§4.5);
 *  6. the 100.9.1 cdhash list equals every CD's cdhash sorted by hash type, and 100.9.2 holds
 *     exactly one full hash per CD, so no CD can be stripped or swapped (§2.11 steps 3-4);
 *  7. the secure timestamp: its own SignedData verified the same way, its TSTInfo imprint =
 *     hash of this SignerInfo's signature octets, its chain anchored (to an Apple root when
 *     the main chain is Apple's, §2.11 step 7); its genTime becomes the validation time;
 *  8. the chain leaf -> certificates -> an anchor: a pinned Apple root found among the
 *     certificates by its SHA-256 (never by name, §6 #15) or a caller-supplied test anchor.
 *     Unknown critical extensions are tolerated only for Apple's Developer ID markers
 *     1.2.840.113635.100.6.1.13 and .18 (§4.6); the leaf needs the codeSigning EKU. With a
 *     timestamp the chain is checked at its genTime; without, at the modeled "now" with an
 *     expired or not-yet-valid certificate tolerated unless the CD sets CS_CHECK_EXPIRATION
 *     (§4.7). No revocation checks: macext is offline;
 *  9. the kind, Team ID (leaf UID, else OU; both must agree) and its agreement with the CD,
 *     and the developer name. The built chain is handed back so that cs_verify.c can
 *     evaluate requirements against it (requirement_eval.c), the kext signing requirement
 *     of §3.7 included.
 */
#include "trust/cs_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/x509v3.h>
#include <plist/plist.h>

#include "format/cms.h"
#include "util/alloc.h"

/* Apple Root CA, G2, G3 by SHA-256 (codesign.md §5.1). */
static const uint8_t apple_roots[3][32] = {
	{0xb0, 0xb1, 0x73, 0x0e, 0xcb, 0xc7, 0xff, 0x45, 0x05, 0x14, 0x2c, 0x49, 0xf1, 0x29, 0x5e, 0x6e,
	 0xda, 0x6b, 0xca, 0xed, 0x7e, 0x2c, 0x68, 0xc5, 0xbe, 0x91, 0xb5, 0xa1, 0x10, 0x01, 0xf0, 0x24},
	{0xc2, 0xb9, 0xb0, 0x42, 0xdd, 0x57, 0x83, 0x0e, 0x7d, 0x11, 0x7d, 0xac, 0x55, 0xac, 0x8a, 0xe1,
	 0x94, 0x07, 0xd3, 0x8e, 0x41, 0xd8, 0x8f, 0x32, 0x15, 0xbc, 0x3a, 0x89, 0x04, 0x44, 0xa0, 0x50},
	{0x63, 0x34, 0x3a, 0xbf, 0xb8, 0x9a, 0x6a, 0x03, 0xeb, 0xb5, 0x7b, 0x3f, 0x5f, 0xa7, 0xbe, 0x7e,
	 0x6f, 0x5c, 0x75, 0x6f, 0x30, 0x17, 0xb3, 0xa8, 0xc4, 0x88, 0xc3, 0x65, 0x3e, 0x91, 0x79, 0x79},
};

#define OID_DEVID_CA "1.2.840.113635.100.6.2.6"
#define OID_DEVID_APP "1.2.840.113635.100.6.1.13"
#define OID_DEVID_KEXT "1.2.840.113635.100.6.1.18"
#define OID_APP_STORE "1.2.840.113635.100.6.1.9"
#define OID_DEV_MAC "1.2.840.113635.100.6.1.12"
#define OID_DEV_IOS "1.2.840.113635.100.6.1.2"

struct chain_out {
	STACK_OF(X509) *chain;
	bool apple, test;
	char code[40];
	char why[120];
};

struct verify_state {
	bool tolerate_time;
	bool saw_time;
};

static const EVP_MD *md_of_oid(const struct mx_bytes *oid)
{
	if (oid->len == sizeof(mx_oid_sha256) && !memcmp(oid->p, mx_oid_sha256, oid->len))
		return EVP_sha256();
	if (oid->len == sizeof(mx_oid_sha1) && !memcmp(oid->p, mx_oid_sha1, oid->len))
		return EVP_sha1();
	if (oid->len == sizeof(mx_oid_sha384) && !memcmp(oid->p, mx_oid_sha384, oid->len))
		return EVP_sha384();
	if (oid->len == sizeof(mx_oid_sha512) && !memcmp(oid->p, mx_oid_sha512, oid->len))
		return EVP_sha512();
	return NULL;
}

static bool digest_eq(const EVP_MD *md, const uint8_t *p, size_t n, const struct mx_bytes *want)
{
	uint8_t out[EVP_MAX_MD_SIZE];
	unsigned olen = 0;

	if (!EVP_Digest(p, n, out, &olen, md, NULL))
		return false;
	return want->len == olen && memcmp(out, want->p, olen) == 0;
}

static bool has_ext(X509 *x, const char *oid)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	bool r = o && X509_get_ext_by_OBJ(x, o, -1) >= 0;

	ASN1_OBJECT_free(o);
	return r;
}

static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	struct verify_state *st = X509_STORE_CTX_get_app_data(ctx);
	int err = X509_STORE_CTX_get_error(ctx);
	X509 *x = X509_STORE_CTX_get_current_cert(ctx);

	if (ok)
		return ok;
	if (err == X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION && x) {
		/* Accept only Apple's Developer ID markers among the unknown critical ones. */
		for (int i = 0; i < X509_get_ext_count(x); i++) {
			X509_EXTENSION *e = X509_get_ext(x, i);
			char oid[64];

			if (!X509_EXTENSION_get_critical(e) || X509_supported_extension(e))
				continue;
			OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(e), 1);
			if (strcmp(oid, OID_DEVID_APP) != 0 && strcmp(oid, OID_DEVID_KEXT) != 0)
				return 0;
		}
		return 1;
	}
	if (st && st->tolerate_time &&
	    (err == X509_V_ERR_CERT_HAS_EXPIRED || err == X509_V_ERR_CERT_NOT_YET_VALID)) {
		st->saw_time = true;
		return 1;
	}
	return 0;
}

static bool fingerprint(X509 *x, uint8_t out[32])
{
	unsigned n = 0;

	return X509_digest(x, EVP_sha256(), out, &n) && n == 32;
}

static bool is_apple_root(X509 *x)
{
	uint8_t fp[32];

	if (!fingerprint(x, fp))
		return false;
	for (size_t i = 0; i < 3; i++)
		if (!memcmp(fp, apple_roots[i], 32))
			return true;
	return false;
}

static bool is_test_anchor(X509 *x, const struct mx_cs_anchors *a)
{
	for (size_t i = 0; i < a->n; i++)
		if (!X509_cmp(x, a->certs[i]))
			return true;
	return false;
}

static void chain_code(struct chain_out *o, int err)
{
	const char *code;

	switch (err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		code = "certificate-expired";
		break;
	case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
		code = "unknown-critical-extension";
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		code = "chain-untrusted";
		break;
	default:
		code = "chain-invalid";
	}
	snprintf(o->code, sizeof(o->code), "%s", code);
	snprintf(o->why, sizeof(o->why), "%s", X509_verify_cert_error_string(err));
}

/* Builds and checks LEAF's chain at time AT. Returns 1 valid, 0 invalid (O says why),
 * -ENOMEM. */
static int chain_verify(X509 *leaf, STACK_OF(X509) *untrusted, const struct mx_cs_anchors *a,
			int64_t at, bool tolerate_time, struct chain_out *o)
{
	struct verify_state st = {.tolerate_time = tolerate_time};
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int r = -ENOMEM, n;

	if (!store || !ctx)
		goto out;
	for (int i = 0; i < sk_X509_num(untrusted); i++)
		if (is_apple_root(sk_X509_value(untrusted, i)))
			X509_STORE_add_cert(store, sk_X509_value(untrusted, i));
	for (size_t i = 0; i < a->n; i++)
		X509_STORE_add_cert(store, a->certs[i]);
	X509_STORE_set_verify_cb(store, verify_cb);
	if (!X509_STORE_CTX_init(ctx, store, leaf, untrusted))
		goto out;
	X509_STORE_CTX_set_app_data(ctx, &st);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)at);
	if (X509_verify_cert(ctx) != 1) {
		chain_code(o, X509_STORE_CTX_get_error(ctx));
		r = 0;
		goto out;
	}
	o->chain = X509_STORE_CTX_get1_chain(ctx);
	n = o->chain ? sk_X509_num(o->chain) : 0;
	if (n == 0)
		goto out;
	o->apple = is_apple_root(sk_X509_value(o->chain, n - 1));
	o->test = !o->apple && is_test_anchor(sk_X509_value(o->chain, n - 1), a);
	r = 1;
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return r;
}

static X509 *find_signer(STACK_OF(X509) *certs, const struct mx_cms *cms)
{
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);
		const ASN1_INTEGER *serial = X509_get0_serialNumber(x);
		unsigned char *issuer = NULL;
		int n = i2d_X509_NAME(X509_get_issuer_name(x), &issuer);
		bool same = n > 0 && (size_t)n == cms->sid_issuer.len &&
			    !memcmp(issuer, cms->sid_issuer.p, (size_t)n) &&
			    (size_t)ASN1_STRING_length(serial) == cms->sid_serial.len &&
			    !memcmp(ASN1_STRING_get0_data(serial), cms->sid_serial.p,
				    cms->sid_serial.len);

		OPENSSL_free(issuer);
		if (same)
			return x;
	}
	return NULL;
}

/* Serial INTEGER content octets may carry a leading 00 that OpenSSL's ASN1_INTEGER drops. */
static void trim_serial(struct mx_cms *cms)
{
	while (cms->sid_serial.len > 1 && cms->sid_serial.p[0] == 0 &&
	       (cms->sid_serial.p[1] & 0x80u)) {
		cms->sid_serial.p++;
		cms->sid_serial.len--;
	}
}

static STACK_OF(X509) *parse_certs(const struct mx_cms *cms)
{
	STACK_OF(X509) *sk = sk_X509_new_null();

	for (size_t i = 0; sk && i < cms->ncerts; i++) {
		const unsigned char *p = cms->certs[i].p;
		X509 *x = d2i_X509(NULL, &p, (long)cms->certs[i].len);

		if (x && !sk_X509_push(sk, x))
			X509_free(x);
	}
	return sk;
}

/* Checks the signature over the raw signed attributes. 1 good, 0 bad, -ENOMEM. */
static int raw_attrs_ok(const struct mx_cms *cms, const EVP_MD *md, X509 *signer)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY *key = X509_get0_pubkey(signer);
	uint8_t *copy = mx_malloc(cms->signed_attrs.len);
	int r = -ENOMEM;

	if (!mctx || !copy)
		goto out;
	memcpy(copy, cms->signed_attrs.p, cms->signed_attrs.len);
	copy[0] = 0x31; /* [0] IMPLICIT -> SET OF, RFC 5652 §5.4 */
	r = key && EVP_DigestVerifyInit(mctx, NULL, md, NULL, key) == 1 &&
	    EVP_DigestVerify(mctx, cms->signature.p, cms->signature.len, copy,
			     cms->signed_attrs.len) == 1;
out:
	EVP_MD_CTX_free(mctx);
	free(copy);
	return r;
}

/* Verifies a SignedData's signer: messageDigest over CONTENT, raw-attribute signature.
 * Returns 1 good, 0 bad (CODE/WHY set), -ENOMEM. *RET_SIGNER is borrowed from CERTS. */
static int signer_ok(const struct mx_cms *cms, STACK_OF(X509) *certs, const uint8_t *content,
		     size_t content_len, X509 **ret_signer, const char **code, const char **why)
{
	const EVP_MD *md = md_of_oid(&cms->digest_alg);
	X509 *signer;
	int r;

	if (!md) {
		*code = "unsupported-digest";
		*why = "the signer's digest algorithm is not sha1/sha256/sha384/sha512";
		return 0;
	}
	if (!cms->signed_attrs.p || !cms->message_digest.p || !cms->content_type.p) {
		*code = "cms-malformed";
		*why = "signed attributes, contentType or messageDigest missing";
		return 0;
	}
	if (!digest_eq(md, content, content_len, &cms->message_digest)) {
		*code = "message-digest-mismatch";
		*why = "the messageDigest attribute is not the digest of the signed content";
		return 0;
	}
	signer = find_signer(certs, cms);
	if (!signer) {
		*code = "signer-certificate-missing";
		*why = "no certificate matches the signer's issuer and serial number";
		return 0;
	}
	r = raw_attrs_ok(cms, md, signer);
	if (r == 0) {
		*code = "signature-invalid";
		*why = "the signature does not verify over the signed attributes";
	}
	*ret_signer = signer;
	return r;
}

static int agility_v1(struct macext_cs_slice *s, const struct mx_cms *cms,
		      const struct mx_cs_cd *cds, size_t ncds)
{
	const struct mx_cs_cd *sorted[MX_CS_MAX_CDS];
	plist_t root = NULL, arr;
	bool ok = false;

	for (size_t i = 0; i < ncds; i++) {
		size_t j = i;

		while (j > 0 && sorted[j - 1]->cd.hash_type > cds[i].cd.hash_type) {
			sorted[j] = sorted[j - 1];
			j--;
		}
		sorted[j] = &cds[i];
	}
	root = mx_cs_plist(cms->cdhashes_plist.p, cms->cdhashes_plist.len);
	arr = root && plist_get_node_type(root) == PLIST_DICT ? plist_dict_get_item(root, "cdhashes")
							      : NULL;
	if (arr && plist_get_node_type(arr) == PLIST_ARRAY && plist_array_get_size(arr) == ncds) {
		ok = true;
		for (uint32_t i = 0; ok && i < ncds; i++) {
			plist_t item = plist_array_get_item(arr, i);
			char *data = NULL;
			uint64_t n = 0;

			if (plist_get_node_type(item) == PLIST_DATA)
				plist_get_data_val(item, &data, &n);
			ok = data && n == MX_CDHASH_LEN && !memcmp(data, sorted[i]->full, n);
			free(data);
		}
	}
	plist_free(root);
	if (ok)
		return 0;
	return mx_cs_slice_error_at(s, "cdhashes-mismatch", cms->cdhashes_plist.offset,
				    "the signed cdhash list (1.2.840.113635.100.9.1) does not match "
				    "the %zu code directories", ncds);
}

static bool cd_matches_alg(const struct mx_cs_cd *c, const struct mx_cms_hash2 *h)
{
	const EVP_MD *md = md_of_oid(&h->alg);

	if (!md || EVP_MD_get_type(md) != EVP_MD_get_type(mx_cs_md(c->cd.hash_type)))
		return false;
	return h->digest.len == c->full_len && !memcmp(h->digest.p, c->full, c->full_len);
}

static int agility_v2(struct macext_cs_slice *s, const struct mx_cms *cms,
		      const struct mx_cs_cd *cds, size_t ncds)
{
	bool used[MX_CMS_MAX_HASHES] = {false};

	if (cms->nhashes2 != ncds)
		goto bad;
	for (size_t i = 0; i < ncds; i++) {
		size_t j;

		for (j = 0; j < cms->nhashes2; j++)
			if (!used[j] && cd_matches_alg(&cds[i], &cms->hashes2[j]))
				break;
		if (j == cms->nhashes2)
			goto bad;
		used[j] = true;
	}
	return 0;
bad:
	return mx_cs_slice_error(s, "cdhashes2-mismatch",
				 "the signed hash set (1.2.840.113635.100.9.2) holds %zu entries "
				 "that do not match the %zu code directories",
				 cms->nhashes2, ncds);
}

/* The Mach-O CD: slot-0 content checks and the hash-agility attributes. */
static int content_checks(struct macext_cs_slice *s, const struct mx_cms *cms,
			  const struct mx_cs_cd *cds, size_t ncds)
{
	int r = 0;

	if (cms->econtent.p || cms->econtent_type.len != sizeof(mx_oid_data) ||
	    memcmp(cms->econtent_type.p, mx_oid_data, sizeof(mx_oid_data)) ||
	    cms->content_type.len != sizeof(mx_oid_data) ||
	    memcmp(cms->content_type.p, mx_oid_data, sizeof(mx_oid_data)))
		r = mx_cs_slice_error(s, "cms-malformed",
				      "the signature is not a detached signature over data");
	if (r == 0 && cms->cdhashes_plist.p)
		r = agility_v1(s, cms, cds, ncds);
	if (r == 0 && cms->has_hashes2)
		r = agility_v2(s, cms, cds, ncds);
	if (r == 0 && ncds > 1 && !cms->cdhashes_plist.p && !cms->has_hashes2)
		r = mx_cs_slice_error(s, "cdhashes-mismatch",
				      "%zu code directories but the signature covers only slot 0",
				      ncds);
	return r;
}

/* Verifies the timestamp token. Returns 1 valid (*RET_TIME set), 0 invalid (error added),
 * -ENOMEM. */
static int timestamp_ok(struct macext_cs_slice *s, const struct mx_cms *cms,
			const struct mx_cs_anchors *a, int64_t *ret_time, bool *ret_apple)
{
	struct mx_cms *tok = mx_calloc(1, sizeof(*tok));
	STACK_OF(X509) *certs = NULL;
	struct chain_out co = {0};
	struct mx_tstinfo tst;
	const char *code = "timestamp-invalid", *why = NULL;
	const EVP_MD *md;
	X509 *signer = NULL;
	struct macext_diag d = {0};
	int r = -ENOMEM;

	if (!tok)
		return -ENOMEM;
	if (mx_cms_parse(tok, cms->timestamp.p, cms->timestamp.len, cms->timestamp.offset, &d) < 0 ||
	    !tok->econtent.p || tok->econtent_type.len != sizeof(mx_oid_tstinfo) ||
	    memcmp(tok->econtent_type.p, mx_oid_tstinfo, sizeof(mx_oid_tstinfo)) ||
	    mx_tstinfo_parse(&tst, tok->econtent.p, tok->econtent.len, tok->econtent.offset, &d) < 0) {
		r = mx_cs_slice_error(s, code, "timestamp token malformed: %s",
				      d.msg[0] ? d.msg : "not a TSTInfo token");
		goto out;
	}
	trim_serial(tok);
	certs = parse_certs(tok);
	if (!certs)
		goto out;
	r = signer_ok(tok, certs, tok->econtent.p, tok->econtent.len, &signer, &code, &why);
	if (r <= 0) {
		if (r == 0)
			r = mx_cs_slice_error(s, "timestamp-invalid", "timestamp: %s", why);
		goto out;
	}
	md = md_of_oid(&tst.imprint_alg);
	if (!md || !digest_eq(md, cms->signature.p, cms->signature.len, &tst.imprint)) {
		r = mx_cs_slice_error(s, "timestamp-invalid",
				      "timestamp: the message imprint is not the hash of the "
				      "signature");
		goto out;
	}
	r = chain_verify(signer, certs, a, tst.gen_time, false, &co);
	if (r == 0)
		r = mx_cs_slice_error(s, "timestamp-invalid", "timestamp chain: %s", co.why);
	else if (r > 0 && !(X509_get_extended_key_usage(signer) & XKU_TIMESTAMP))
		r = mx_cs_slice_error(s, "timestamp-invalid",
				      "timestamp signer lacks the timeStamping key usage");
	else if (r > 0) {
		*ret_time = tst.gen_time;
		*ret_apple = co.apple;
		r = 1;
	}
out:
	sk_X509_pop_free(co.chain, X509_free);
	sk_X509_pop_free(certs, X509_free);
	free(tok);
	return r;
}

static char *name_text(const X509_NAME *name)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *out = NULL, *p;
	long n;

	if (!b)
		return NULL;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		n = BIO_get_mem_data(b, &p);
		if (n >= 0)
			out = mx_strndup(p, (size_t)n);
	}
	BIO_free(b);
	return out;
}

static char *name_entry(const X509_NAME *name, int nid)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	unsigned char *utf8 = NULL;
	char *out;
	int n;

	if (i < 0)
		return NULL;
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (n < 0)
		return NULL;
	out = mx_strndup((const char *)utf8, (size_t)n);
	OPENSSL_free(utf8);
	return out;
}

static int64_t asn1_epoch(const ASN1_TIME *t)
{
	ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
	int days = 0, secs = 0;

	if (epoch && t)
		ASN1_TIME_diff(&days, &secs, epoch, t);
	ASN1_TIME_free(epoch);
	return (int64_t)days * 86400 + secs;
}

static int fill_chain(struct macext_cs_slice *s, STACK_OF(X509) *chain)
{
	int n = sk_X509_num(chain);

	s->chain = mx_calloc((size_t)n, sizeof(*s->chain));
	if (!s->chain)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		X509 *x = sk_X509_value(chain, i);
		struct macext_cs_cert *c = &s->chain[i];
		uint8_t fp[32];

		s->nchain++;
		c->subject = name_text(X509_get_subject_name(x));
		c->issuer = name_text(X509_get_issuer_name(x));
		c->common_name = name_entry(X509_get_subject_name(x), NID_commonName);
		if (!c->subject || !c->issuer)
			return -ENOMEM;
		if (fingerprint(x, fp))
			mx_hex(fp, 32, c->sha256);
		c->not_before = asn1_epoch(X509_get0_notBefore(x));
		c->not_after = asn1_epoch(X509_get0_notAfter(x));
	}
	return 0;
}

/* Team ID (UID, else OU; both must agree) and developer name of the leaf (§5.4). */
static int leaf_identity(struct macext_cs_slice *s, X509 *leaf)
{
	const X509_NAME *name = X509_get_subject_name(leaf);
	char *uid = name_entry(name, NID_userId), *ou = name_entry(name, NID_organizationalUnitName);
	char *cn = name_entry(name, NID_commonName);
	int r = 0;

	if (uid && ou && strcmp(uid, ou) != 0)
		r = mx_cs_slice_error(s, "team-id-conflict",
				      "leaf subject UID '%s' and OU '%s' disagree", uid, ou);
	s->team_id = uid ? uid : ou;
	if (uid)
		free(ou);
	if (cn) {
		const char *start = strstr(cn, ": ");
		size_t len;

		start = start ? start + 2 : cn;
		len = strlen(start);
		if (s->team_id) {
			size_t tl = strlen(s->team_id);

			if (len > tl + 3 && start[len - 1] == ')' && start[len - tl - 3] == ' ' &&
			    start[len - tl - 2] == '(' && !strncmp(start + len - tl - 1, s->team_id, tl))
				len -= tl + 3;
		}
		s->developer_name = mx_strndup(start, len);
		free(cn);
		if (!s->developer_name)
			return -ENOMEM;
	}
	return r;
}

static bool subject_is(X509 *x, int nid, const char *want)
{
	char *v = name_entry(X509_get_subject_name(x), nid);
	bool r = v && !strcmp(v, want);

	free(v);
	return r;
}

static void classify(struct macext_cs_slice *s, STACK_OF(X509) *chain)
{
	int n = sk_X509_num(chain);
	X509 *leaf = sk_X509_value(chain, 0);
	X509 *c1 = n > 1 ? sk_X509_value(chain, 1) : NULL;
	X509 *below_anchor = n > 1 ? sk_X509_value(chain, n - 2) : NULL;
	bool anchored = s->anchor_apple || s->anchor_test;

	s->kind = MACEXT_CS_OTHER;
	if (!anchored)
		return;
	if (below_anchor && subject_is(below_anchor, NID_commonName,
				       "Apple Code Signing Certification Authority") &&
	    subject_is(below_anchor, NID_organizationName, "Apple Inc."))
		s->kind = MACEXT_CS_APPLE;
	else if (c1 && has_ext(c1, OID_DEVID_CA) && has_ext(leaf, OID_DEVID_APP))
		s->kind = MACEXT_CS_DEVELOPER_ID;
	else if (has_ext(leaf, OID_APP_STORE))
		s->kind = MACEXT_CS_APP_STORE;
	else if (has_ext(leaf, OID_DEV_MAC) || has_ext(leaf, OID_DEV_IOS))
		s->kind = MACEXT_CS_DEVELOPMENT;
}

static bool developer_chain(const struct macext_cs_slice *s)
{
	return s->kind == MACEXT_CS_DEVELOPER_ID || s->kind == MACEXT_CS_APP_STORE ||
	       s->kind == MACEXT_CS_DEVELOPMENT;
}

/* The chain, the validation time, kind, Team ID and developer name. The built chain goes
 * to *RET_CHAIN (for requirement evaluation) when it verified. */
static int chain_checks(struct macext_cs_slice *s, X509 *signer, STACK_OF(X509) *certs,
			const struct mx_cs_cd *cds, size_t ncds, const struct macext_cs_options *opt,
			const struct mx_cs_anchors *a, bool ts_apple, STACK_OF(X509) **ret_chain)
{
	struct chain_out co = {0};
	bool tolerate = false;
	int r;

	if (s->has_timestamp) {
		s->time_source = MACEXT_CS_TIME_TIMESTAMP;
		s->validated_at = s->timestamp;
	} else {
		s->time_source = MACEXT_CS_TIME_NOW;
		s->validated_at = opt->now;
		tolerate = !(cds[0].cd.flags & MX_CS_CHECK_EXPIRATION);
	}
	r = chain_verify(signer, certs, a, s->validated_at, tolerate, &co);
	if (r <= 0) {
		if (r == 0)
			r = mx_cs_slice_error(s, co.code, "certificate chain: %s", co.why);
		goto out;
	}
	s->anchor_apple = co.apple;
	s->anchor_test = co.test;
	r = fill_chain(s, co.chain);
	if (r == 0)
		r = leaf_identity(s, signer);
	if (r < 0)
		goto out;
	if (!(X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) ||
	    !(X509_get_extended_key_usage(signer) & XKU_CODE_SIGN)) {
		r = mx_cs_slice_error(s, "chain-invalid", "the leaf lacks the codeSigning key usage");
		goto out;
	}
	classify(s, co.chain);
	if (s->has_timestamp && s->anchor_apple && !ts_apple)
		r = mx_cs_slice_error(s, "timestamp-invalid",
				      "the signature chains to Apple but its timestamp does not");
	/* §2.11 step 6: every CD's Team ID must be the leaf's on an Apple developer chain. */
	for (size_t i = 0; r == 0 && developer_chain(s) && i < ncds; i++)
		if (cds[i].cd.team && (!s->team_id || strcmp(cds[i].cd.team, s->team_id)))
			r = mx_cs_slice_error(s, "team-id-mismatch",
					      "code directory 0x%x team id '%s' is not the leaf's '%s'",
					      cds[i].slot, cds[i].cd.team,
					      s->team_id ? s->team_id : "(none)");
	if (r == 0) {
		*ret_chain = co.chain;
		co.chain = NULL;
	}
out:
	sk_X509_pop_free(co.chain, X509_free);
	return r;
}

int mx_cs_verify_cms(struct macext_cs_slice *s, const uint8_t *buf, size_t len, uint64_t origin,
		     const struct mx_cs_cd *cds, size_t ncds, const struct macext_cs_options *opt,
		     const struct mx_cs_anchors *anchors, STACK_OF(X509) **ret_chain)
{
	struct mx_cms *cms = mx_calloc(1, sizeof(*cms));
	STACK_OF(X509) *certs = NULL;
	struct macext_diag d = {0};
	const char *code = NULL, *why = NULL;
	X509 *signer = NULL;
	bool ts_apple = false;
	int r = -ENOMEM;

	if (!cms)
		return -ENOMEM;
	if (mx_cms_parse(cms, buf, len, origin, &d) < 0) {
		code = cms->fault == MX_CMS_FAULT_DUPLICATE_ATTR     ? "cms-duplicate-attribute"
		       : cms->fault == MX_CMS_FAULT_MULTIPLE_SIGNERS ? "cms-multiple-signers"
								     : "cms-malformed";
		r = mx_cs_error(&s->errors, &s->nerrors, code, d.has_offset, d.offset, "%s", d.msg);
		goto out;
	}
	trim_serial(cms);
	s->has_signing_time = cms->has_signing_time;
	s->signing_time = cms->signing_time;
	certs = parse_certs(cms);
	if (!certs)
		goto out;
	r = signer_ok(cms, certs, cds[0].cd.raw, cds[0].cd.len, &signer, &code, &why);
	if (r == 0)
		r = mx_cs_slice_error(s, code, "%s", why);
	if (r <= 0)
		goto out;
	r = content_checks(s, cms, cds, ncds);
	if (r < 0)
		goto out;
	if (cms->timestamp.p) {
		r = timestamp_ok(s, cms, anchors, &s->timestamp, &ts_apple);
		if (r < 0)
			goto out;
		s->has_timestamp = r == 1;
	}
	r = chain_checks(s, signer, certs, cds, ncds, opt, anchors, ts_apple, ret_chain);
out:
	sk_X509_pop_free(certs, X509_free);
	free(cms);
	return r;
}
