#pragma once
/*
 * A DER/BER walker (docs/formats/codesign.md). It hands back each element with pointers
 * to its RAW bytes (header included) and its content, and the file offset of both, so a
 * verifier can hash exactly the bytes a signature covers (codesign.md §4.5).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/diag.h"
#include "util/reader.h"

/* Identifier octets as one byte (tag numbers above 30 are rejected: CMS never uses them). */
#define MX_DER_BOOLEAN 0x01u
#define MX_DER_INTEGER 0x02u
#define MX_DER_BITSTRING 0x03u
#define MX_DER_OCTETSTRING 0x04u
#define MX_DER_NULL 0x05u
#define MX_DER_OID 0x06u
#define MX_DER_UTF8STRING 0x0cu
#define MX_DER_PRINTABLESTRING 0x13u
#define MX_DER_IA5STRING 0x16u
#define MX_DER_UTCTIME 0x17u
#define MX_DER_GENTIME 0x18u
#define MX_DER_SEQUENCE 0x30u
#define MX_DER_SET 0x31u
#define MX_DER_CTX0 0xa0u /* [0] constructed */
#define MX_DER_CTX1 0xa1u /* [1] constructed */

struct mx_der {
	uint8_t tag;          /* the identifier byte, e.g. 0x30 */
	bool constructed;
	bool indefinite;      /* BER length 0x80, closed by 00 00 */
	const uint8_t *raw;   /* the whole element: identifier, length, content (and EOC) */
	size_t raw_len;
	const uint8_t *val;   /* the content octets (without the end-of-contents pair) */
	size_t val_len;
	uint64_t offset;      /* file offset of raw[0] */
	uint64_t val_offset;  /* file offset of val[0] */
};

/* Reads the element at RD's position and advances past it. DEPTH is the nesting depth of
 * the caller (0 at the top); indefinite-length elements are walked to their end-of-contents
 * with the depth bounded by MX_DER_MAX_DEPTH. Returns 0, -EBADMSG (truncated, a length past
 * its parent, a primitive with indefinite length, an EOC missing) or -E2BIG (too deep). */
int mx_der_next(struct mx_reader *rd, unsigned depth, struct mx_der *ret,
		struct macext_diag *diag);
/* Same, but the element must carry identifier TAG. */
int mx_der_expect(struct mx_reader *rd, uint8_t tag, struct mx_der *ret, struct macext_diag *diag);
/* A reader over EL's content (for walking its children). */
void mx_der_enter(const struct mx_der *el, struct mx_reader *ret);
/* True if EL is an OID whose content equals the DER content bytes OID (LEN bytes). */
bool mx_der_is_oid(const struct mx_der *el, const uint8_t *oid, size_t len);
/* Writes the dotted form of the OID content bytes into BUF; -EBADMSG if malformed. */
int mx_der_oid_text(const uint8_t *val, size_t len, char *buf, size_t size);
/* Parses a UTCTime or GeneralizedTime element (Z form, optional fraction) into seconds since
 * 1970; -EBADMSG if it is neither or malformed. */
int mx_der_time(const struct mx_der *el, int64_t *ret);
/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t mx_days_from_civil(int64_t y, unsigned m, unsigned d);
