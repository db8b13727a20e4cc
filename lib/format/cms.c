/*
 * lib/format/cms.c: locating the parts of a CMS SignedData (RFC 5652; codesign.md §4.1).
 *
 *   ContentInfo  SEQUENCE { contentType OID (signedData), [0] EXPLICIT SignedData }
 *   SignedData   SEQUENCE { version, digestAlgorithms SET, encapContentInfo SEQUENCE
 *                { eContentType, [0] EXPLICIT OCTET STRING OPTIONAL }, [0] certificates
 *                OPTIONAL, [1] crls OPTIONAL, signerInfos SET }
 *   SignerInfo   SEQUENCE { version, sid (issuerAndSerialNumber), digestAlgorithm,
 *                [0] signedAttrs OPTIONAL, signatureAlgorithm, signature OCTET STRING,
 *                [1] unsignedAttrs OPTIONAL }
 *
 * Apple's blobs are BER with indefinite lengths (2019, 2023) or DER (2026); the walker takes
 * both. The signed attributes are kept as the raw bytes found in the blob, because the
 * signature covers exactly those bytes (re-encoding them breaks osxfuse's non-DER SET OF,
 * codesign.md §4.5). Attributes are parsed once each: a second messageDigest or cdhash list
 * is rejected so that what the verifier checks is the only thing the signature covers
 * (codesign.md §6 #13). Exactly one SignerInfo is accepted (§6 #14).
 */
#include "format/cms.h"

#include <errno.h>
#include <string.h>

#include "format/der.h"
#include "util/diag.h"

static const uint8_t oid_signed_data[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02};
static const uint8_t oid_content_type[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03};
static const uint8_t oid_message_digest[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
					     0x0d, 0x01, 0x09, 0x04};
static const uint8_t oid_signing_time[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05};
static const uint8_t oid_cdhashes[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x09, 0x01};
static const uint8_t oid_cdhashes2[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x09, 0x02};
static const uint8_t oid_timestamp_token[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
					      0x01, 0x09, 0x10, 0x02, 0x0e};
const uint8_t mx_oid_data[9] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01};
const uint8_t mx_oid_tstinfo[11] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
				    0x01, 0x09, 0x10, 0x01, 0x04};
const uint8_t mx_oid_sha1[5] = {0x2b, 0x0e, 0x03, 0x02, 0x1a};
const uint8_t mx_oid_sha256[9] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
const uint8_t mx_oid_sha384[9] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02};
const uint8_t mx_oid_sha512[9] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03};

#define IS(el, oid) mx_der_is_oid((el), (oid), sizeof(oid))

static struct mx_bytes val_of(const struct mx_der *el)
{
	return (struct mx_bytes){el->val, el->val_len, el->val_offset};
}

/* Reads the element with identifier TAG at RD into *EL and opens IN over its content. */
static int expect_in(struct mx_reader *rd, uint8_t tag, struct mx_der *el, struct mx_reader *in,
		     struct macext_diag *diag)
{
	int r = mx_der_expect(rd, tag, el, diag);

	if (r == 0)
		mx_der_enter(el, in);
	return r;
}

/* An OPTIONAL element with identifier TAG at RD: 1 with *EL when it is there, 0 when the
 * input ends or the next element has another identifier, or the walker's code. */
static int optional(struct mx_reader *rd, uint8_t tag, struct mx_der *el, struct macext_diag *diag)
{
	int r;

	if (!mx_rd_left(rd) || rd->p[rd->pos] != tag)
		return 0;
	r = mx_der_next(rd, 0, el, diag);
	return r < 0 ? r : 1;
}

/* A SEQUENCE at RD (*SEQ) that opens with an OID (*OID); IN reads on after the OID. */
static int seq_oid(struct mx_reader *rd, struct mx_der *seq, struct mx_der *oid,
		   struct mx_reader *in, struct macext_diag *diag)
{
	int r = expect_in(rd, MX_DER_SEQUENCE, seq, in, diag);

	return r < 0 ? r : mx_der_expect(in, MX_DER_OID, oid, diag);
}

/* AlgorithmIdentifier: SEQUENCE { OID, parameters OPTIONAL }. */
static int alg_id(struct mx_reader *rd, struct mx_bytes *ret, struct macext_diag *diag)
{
	struct mx_der seq, oid;
	struct mx_reader in;
	int r;

	r = seq_oid(rd, &seq, &oid, &in, diag);
	if (r < 0)
		return r;
	*ret = val_of(&oid);
	return 0;
}

/* The single value of an attribute whose SET must hold exactly one. */
static int single_value(const struct mx_der *set, struct mx_der *ret, struct macext_diag *diag)
{
	struct mx_reader in;
	int r;

	mx_der_enter(set, &in);
	r = mx_der_next(&in, 0, ret, diag);
	if (r < 0)
		return r;
	if (mx_rd_left(&in) != 0)
		return mx_diag_fail_at(diag, set->offset, -EBADMSG,
				       "cms: attribute with more than one value");
	return 0;
}

static int hashes2(struct mx_cms *cms, const struct mx_der *set, struct macext_diag *diag)
{
	struct mx_reader in, seq_in;
	struct mx_der seq, oid, digest;
	int r;

	mx_der_enter(set, &in);
	while (mx_rd_left(&in)) {
		if (cms->nhashes2 == MX_CMS_MAX_HASHES)
			return mx_diag_fail(diag, &in, -E2BIG, "cms: over %u cdhashes2 values",
					    MX_CMS_MAX_HASHES);
		r = seq_oid(&in, &seq, &oid, &seq_in, diag);
		if (r == 0)
			r = mx_der_expect(&seq_in, MX_DER_OCTETSTRING, &digest, diag);
		if (r < 0)
			return r;
		cms->hashes2[cms->nhashes2++] = (struct mx_cms_hash2){val_of(&oid), val_of(&digest)};
	}
	cms->has_hashes2 = true;
	return 0;
}

/* Attribute: SEQUENCE { attrType OID, attrValues SET }, the SEQUENCE read from RD. */
static int attribute(struct mx_reader *rd, struct mx_der *attr, struct mx_der *oid,
		     struct mx_der *set, struct macext_diag *diag)
{
	struct mx_reader in;
	int r;

	r = seq_oid(rd, attr, oid, &in, diag);
	if (r == 0)
		r = mx_der_expect(&in, MX_DER_SET, set, diag);
	return r;
}

static int one_attr(struct mx_cms *cms, const struct mx_der *attr, const struct mx_der *oid,
		    const struct mx_der *set, struct macext_diag *diag)
{
	struct mx_der v;
	int r;

	if (IS(oid, oid_cdhashes2)) {
		if (!cms->has_hashes2)
			return hashes2(cms, set, diag);
		cms->fault = MX_CMS_FAULT_DUPLICATE_ATTR;
		return mx_diag_fail_at(diag, attr->offset, -EBADMSG,
				       "cms: duplicate cdhashes2 attribute");
	}
	if (!IS(oid, oid_content_type) && !IS(oid, oid_message_digest) &&
	    !IS(oid, oid_signing_time) && !IS(oid, oid_cdhashes))
		return 0; /* another attribute: covered by the signature, not interpreted */
	r = single_value(set, &v, diag);
	if (r < 0)
		return r;
	if ((IS(oid, oid_content_type) && cms->content_type.p) ||
	    (IS(oid, oid_message_digest) && cms->message_digest.p) ||
	    (IS(oid, oid_signing_time) && cms->has_signing_time) ||
	    (IS(oid, oid_cdhashes) && cms->cdhashes_plist.p)) {
		cms->fault = MX_CMS_FAULT_DUPLICATE_ATTR;
		return mx_diag_fail_at(diag, attr->offset, -EBADMSG,
				       "cms: duplicate signed attribute");
	}
	if (IS(oid, oid_content_type)) {
		if (cms->content_type.p || v.tag != MX_DER_OID)
			goto bad;
		cms->content_type = val_of(&v);
	} else if (IS(oid, oid_message_digest)) {
		if (cms->message_digest.p || v.tag != MX_DER_OCTETSTRING)
			goto bad;
		cms->message_digest = val_of(&v);
	} else if (IS(oid, oid_signing_time)) {
		if (cms->has_signing_time || mx_der_time(&v, &cms->signing_time) < 0)
			goto bad;
		cms->has_signing_time = true;
	} else {
		if (cms->cdhashes_plist.p || v.tag != MX_DER_OCTETSTRING)
			goto bad;
		cms->cdhashes_plist = val_of(&v);
	}
	return 0;
bad:
	return mx_diag_fail_at(diag, attr->offset, -EBADMSG,
			       "cms: duplicate or malformed signed attribute");
}

static int signed_attrs(struct mx_cms *cms, const struct mx_der *el, struct macext_diag *diag)
{
	struct mx_der attr, oid, set;
	struct mx_reader in;
	size_t n = 0;
	int r;

	if (el->indefinite)
		return mx_diag_fail_at(diag, el->offset, -EBADMSG,
				       "cms: signed attributes with indefinite length");
	cms->signed_attrs = (struct mx_bytes){el->raw, el->raw_len, el->offset};
	mx_der_enter(el, &in);
	while (mx_rd_left(&in)) {
		if (++n > MX_CMS_MAX_ATTRS)
			return mx_diag_fail(diag, &in, -E2BIG, "cms: over %u signed attributes",
					    MX_CMS_MAX_ATTRS);
		r = attribute(&in, &attr, &oid, &set, diag);
		if (r == 0)
			r = one_attr(cms, &attr, &oid, &set, diag);
		if (r < 0)
			return r;
	}
	return 0;
}

static int unsigned_attrs(struct mx_cms *cms, const struct mx_der *el, struct macext_diag *diag)
{
	struct mx_der attr, oid, set, v;
	struct mx_reader in;
	int r;

	mx_der_enter(el, &in);
	while (mx_rd_left(&in)) {
		r = attribute(&in, &attr, &oid, &set, diag);
		if (r < 0)
			return r;
		if (!IS(&oid, oid_timestamp_token))
			continue;
		if (cms->timestamp.p)
			return mx_diag_fail_at(diag, attr.offset, -EBADMSG,
					       "cms: two timestamp tokens");
		r = single_value(&set, &v, diag);
		if (r < 0)
			return r;
		cms->timestamp = (struct mx_bytes){v.raw, v.raw_len, v.offset};
	}
	return 0;
}

static int signer_id(struct mx_cms *cms, struct mx_reader *rd, struct macext_diag *diag)
{
	struct mx_der sid, name, serial;
	struct mx_reader in;
	int r;

	r = expect_in(rd, MX_DER_SEQUENCE, &sid, &in, diag);
	if (r < 0)
		return mx_diag_fail(diag, rd, -EBADMSG,
				    "cms: signer not identified by issuer and serial number");
	r = mx_der_expect(&in, MX_DER_SEQUENCE, &name, diag);
	if (r == 0)
		r = mx_der_expect(&in, MX_DER_INTEGER, &serial, diag);
	if (r < 0)
		return r;
	cms->sid_issuer = (struct mx_bytes){name.raw, name.raw_len, name.offset};
	cms->sid_serial = val_of(&serial);
	return 0;
}

static int signer_info(struct mx_cms *cms, const struct mx_der *si, struct macext_diag *diag)
{
	struct mx_der ver, el;
	struct mx_reader in;
	int r;

	mx_der_enter(si, &in);
	r = mx_der_expect(&in, MX_DER_INTEGER, &ver, diag);
	if (r == 0)
		r = signer_id(cms, &in, diag);
	if (r == 0)
		r = alg_id(&in, &cms->digest_alg, diag);
	if (r < 0)
		return r;
	r = optional(&in, MX_DER_CTX0, &el, diag);
	if (r > 0)
		r = signed_attrs(cms, &el, diag);
	if (r == 0)
		r = alg_id(&in, &cms->sig_alg, diag);
	if (r == 0)
		r = mx_der_expect(&in, MX_DER_OCTETSTRING, &el, diag);
	if (r < 0)
		return r;
	cms->signature = val_of(&el);
	r = optional(&in, MX_DER_CTX1, &el, diag);
	if (r > 0)
		r = unsigned_attrs(cms, &el, diag);
	return r;
}

static int encap(struct mx_cms *cms, struct mx_reader *rd, struct macext_diag *diag)
{
	struct mx_der seq, oid, wrap, oct;
	struct mx_reader in, w_in;
	int r;

	r = seq_oid(rd, &seq, &oid, &in, diag);
	if (r < 0)
		return r;
	cms->econtent_type = val_of(&oid);
	if (!mx_rd_left(&in))
		return 0;
	r = expect_in(&in, MX_DER_CTX0, &wrap, &w_in, diag);
	if (r == 0)
		r = mx_der_next(&w_in, 0, &oct, diag);
	if (r < 0)
		return r;
	if (oct.tag == 0x24u) {
		/* BER constructed OCTET STRING: accepted when it holds a single chunk. */
		struct mx_reader c_in;

		mx_der_enter(&oct, &c_in);
		r = mx_der_expect(&c_in, MX_DER_OCTETSTRING, &oct, diag);
		if (r < 0)
			return r;
		if (mx_rd_left(&c_in))
			return mx_diag_fail(diag, &c_in, -EBADMSG,
					    "cms: eContent in several chunks");
	} else if (oct.tag != MX_DER_OCTETSTRING) {
		return mx_diag_fail_at(diag, oct.offset, -EBADMSG, "cms: eContent is not octets");
	}
	cms->econtent = val_of(&oct);
	return 0;
}

static int certificates(struct mx_cms *cms, const struct mx_der *el, struct macext_diag *diag)
{
	struct mx_reader in;
	struct mx_der c;
	int r;

	mx_der_enter(el, &in);
	while (mx_rd_left(&in)) {
		if (cms->ncerts == MX_CMS_MAX_CERTS)
			return mx_diag_fail(diag, &in, -E2BIG, "cms: over %u certificates",
					    MX_CMS_MAX_CERTS);
		r = mx_der_next(&in, 0, &c, diag);
		if (r < 0)
			return r;
		if (c.tag != MX_DER_SEQUENCE)
			continue; /* other certificate choices: not used by code signatures */
		cms->certs[cms->ncerts++] = (struct mx_bytes){c.raw, c.raw_len, c.offset};
	}
	return 0;
}

static int signed_data(struct mx_cms *cms, const struct mx_der *sd, struct macext_diag *diag)
{
	struct mx_der el, si;
	struct mx_reader in, s_in;
	int r;

	mx_der_enter(sd, &in);
	r = mx_der_expect(&in, MX_DER_INTEGER, &el, diag);
	if (r == 0)
		r = mx_der_expect(&in, MX_DER_SET, &el, diag);
	if (r == 0)
		r = encap(cms, &in, diag);
	if (r < 0)
		return r;
	r = optional(&in, MX_DER_CTX0, &el, diag);
	if (r > 0)
		r = certificates(cms, &el, diag);
	if (r == 0)
		r = optional(&in, MX_DER_CTX1, &el, diag); /* crls: not used */
	if (r >= 0)
		r = expect_in(&in, MX_DER_SET, &el, &s_in, diag);
	if (r < 0)
		return r;
	r = mx_der_expect(&s_in, MX_DER_SEQUENCE, &si, diag);
	if (r < 0)
		return mx_diag_fail_at(diag, el.offset, -EBADMSG, "cms: no SignerInfo");
	if (mx_rd_left(&s_in)) {
		cms->fault = MX_CMS_FAULT_MULTIPLE_SIGNERS;
		return mx_diag_fail(diag, &s_in, -EBADMSG, "cms: more than one SignerInfo");
	}
	return signer_info(cms, &si, diag);
}

int mx_cms_parse(struct mx_cms *ret, const uint8_t *buf, size_t len, uint64_t origin,
		 struct macext_diag *diag)
{
	struct mx_reader rd, in, w_in;
	struct mx_der ci, oid, wrap, sd;
	int r;

	memset(ret, 0, sizeof(*ret));
	mx_rd_init(&rd, buf, len, origin);
	r = mx_der_expect(&rd, MX_DER_SEQUENCE, &ci, diag);
	if (r < 0)
		return r;
	for (size_t i = rd.pos; i < len; i++)
		if (buf[i] != 0)
			return mx_diag_fail_at(diag, origin + i, -EBADMSG,
					       "cms: data after the ContentInfo");
	mx_der_enter(&ci, &in);
	r = mx_der_expect(&in, MX_DER_OID, &oid, diag);
	if (r < 0)
		return r;
	if (!IS(&oid, oid_signed_data))
		return mx_diag_fail_at(diag, oid.offset, -EBADMSG, "cms: not a SignedData");
	r = expect_in(&in, MX_DER_CTX0, &wrap, &w_in, diag);
	if (r == 0)
		r = mx_der_expect(&w_in, MX_DER_SEQUENCE, &sd, diag);
	if (r < 0)
		return r;
	return signed_data(ret, &sd, diag);
}

int mx_tstinfo_parse(struct mx_tstinfo *ret, const uint8_t *buf, size_t len, uint64_t origin,
		     struct macext_diag *diag)
{
	struct mx_der tst, el, mi;
	struct mx_reader rd, in, m_in;
	struct mx_tstinfo t;
	int r;

	mx_rd_init(&rd, buf, len, origin);
	r = expect_in(&rd, MX_DER_SEQUENCE, &tst, &in, diag);
	if (r == 0)
		r = mx_der_expect(&in, MX_DER_INTEGER, &el, diag);
	if (r == 0)
		r = mx_der_expect(&in, MX_DER_OID, &el, diag);
	if (r == 0)
		r = expect_in(&in, MX_DER_SEQUENCE, &mi, &m_in, diag);
	if (r == 0)
		r = alg_id(&m_in, &t.imprint_alg, diag);
	if (r == 0)
		r = mx_der_expect(&m_in, MX_DER_OCTETSTRING, &el, diag);
	if (r < 0)
		return r;
	t.imprint = val_of(&el);
	r = mx_der_expect(&in, MX_DER_INTEGER, &el, diag);
	if (r == 0)
		r = mx_der_expect(&in, MX_DER_GENTIME, &el, diag);
	if (r < 0)
		return r;
	if (mx_der_time(&el, &t.gen_time) < 0)
		return mx_diag_fail_at(diag, el.offset, -EBADMSG, "tstinfo: malformed genTime");
	*ret = t;
	return 0;
}
