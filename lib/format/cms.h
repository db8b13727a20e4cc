#pragma once
/*
 * The parts of a CMS SignedData that code-signature verification needs (codesign.md §4),
 * located with the BER walker of der.h. Nothing is verified here; lib/trust does that.
 * Every pointer borrows the caller's buffer.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/cs_limits.h"
#include "macext/diag.h"

struct mx_bytes {
	const uint8_t *p;
	size_t len;
	uint64_t offset; /* file offset of p[0] */
};

struct mx_cms_hash2 {
	struct mx_bytes alg;    /* OID content bytes */
	struct mx_bytes digest; /* OCTET STRING content */
};

/* Why mx_cms_parse() refused a SignedData, where a caller reports it on its own
 * (codesign.md §6 #13, #14); MX_CMS_FAULT_NONE for every other malformation. */
enum mx_cms_fault {
	MX_CMS_FAULT_NONE,
	MX_CMS_FAULT_DUPLICATE_ATTR,   /* a signed attribute appears twice */
	MX_CMS_FAULT_MULTIPLE_SIGNERS, /* more than one SignerInfo */
};

struct mx_cms {
	enum mx_cms_fault fault;       /* set when parsing failed for one of these reasons */
	struct mx_bytes econtent_type; /* OID content of encapContentInfo.eContentType */
	struct mx_bytes econtent;      /* eContent octets; p NULL when detached */
	struct mx_bytes certs[MX_CMS_MAX_CERTS]; /* raw DER of each certificate */
	size_t ncerts;
	/* The one SignerInfo. */
	struct mx_bytes sid_issuer;    /* raw DER of the issuer Name */
	struct mx_bytes sid_serial;    /* INTEGER content octets */
	struct mx_bytes digest_alg;    /* OID content */
	struct mx_bytes sig_alg;       /* OID content */
	struct mx_bytes signature;     /* OCTET STRING content */
	struct mx_bytes signed_attrs;  /* raw [0] element, tag byte 0xa0 included; p NULL if none */
	/* Signed attributes (each at most once; duplicates are rejected). */
	struct mx_bytes content_type;  /* OID content */
	struct mx_bytes message_digest;
	bool has_signing_time;
	int64_t signing_time;
	struct mx_bytes cdhashes_plist; /* 1.2.840.113635.100.9.1: the XML plist bytes */
	bool has_hashes2;               /* 1.2.840.113635.100.9.2 */
	struct mx_cms_hash2 hashes2[MX_CMS_MAX_HASHES];
	size_t nhashes2;
	/* Unsigned attribute: the RFC 3161 timestamp token (a ContentInfo), raw. */
	struct mx_bytes timestamp;
};

/* The DER content bytes of OIDs the verifier compares against. */
extern const uint8_t mx_oid_data[9], mx_oid_tstinfo[11], mx_oid_sha1[5], mx_oid_sha256[9],
	mx_oid_sha384[9], mx_oid_sha512[9];

/* Parses a ContentInfo holding a SignedData at BUF (LEN bytes; trailing zero padding after
 * the ContentInfo is allowed, since signature blobs are padded). ORIGIN is the file offset of
 * BUF. Requires exactly one SignerInfo identified by issuer and serial number, a
 * definite-length signedAttrs, and no duplicate attributes. Returns 0, -EBADMSG, -E2BIG. */
int mx_cms_parse(struct mx_cms *ret, const uint8_t *buf, size_t len, uint64_t origin,
		 struct macext_diag *diag);

struct mx_tstinfo {
	struct mx_bytes imprint_alg; /* OID content */
	struct mx_bytes imprint;     /* hashedMessage */
	int64_t gen_time;
};

/* Parses an RFC 3161 TSTInfo (the eContent of a timestamp token). */
int mx_tstinfo_parse(struct mx_tstinfo *ret, const uint8_t *buf, size_t len, uint64_t origin,
		     struct macext_diag *diag);
