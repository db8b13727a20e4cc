#pragma once
/*
 * Limits for the code-signature parsers (superblob.c, codedir.c, requirement.c, der.c,
 * cms.c). lib/format/limits.h belongs to the Mach-O reader; these sit beside it. Every
 * value is far above what real signatures use (codesign.md §2, fixtures.md §3) and low
 * enough that hostile input cannot make a parser loop or recurse without bound.
 */

/* SuperBlob index entries: real signatures hold 1 to 6; Apple defines about 20 slot types. */
#define MX_CS_MAX_BLOBS 64u
/* Alternate CodeDirectories (slots 0x1000..0x1004, codesign.md §2.3) plus slot 0. */
#define MX_CS_MAX_CDS 6u
/* Code slots of one CD: 2^24 pages of 4 KiB is 64 GiB of code. */
#define MX_CS_MAX_CODE_SLOTS (1u << 24)
/* Special slots: Apple defines 11; anything far beyond is hostile. */
#define MX_CS_MAX_SPECIAL_SLOTS 64u
/* Identifier and Team ID strings. */
#define MX_CS_MAX_IDENT 1024u
/* Requirement expressions: nesting depth of and/or/not while decoding or evaluating. */
#define MX_CS_MAX_REQ_DEPTH 64u
/* Operations in one requirement expression (guards against long flat chains). */
#define MX_CS_MAX_REQ_OPS 4096u
/* Requirements in a requirements set. */
#define MX_CS_MAX_REQS 16u
/* DER/BER nesting depth: a CMS with a timestamp token and certificate extensions reaches
 * about 20 levels. */
#define MX_DER_MAX_DEPTH 48u
/* Certificates in one CMS SignedData (real ones carry 3). */
#define MX_CMS_MAX_CERTS 32u
/* Signed attributes of one SignerInfo (real ones carry 5). */
#define MX_CMS_MAX_ATTRS 32u
/* Values in the 100.9.2 hash-agility attribute (one per CD). */
#define MX_CMS_MAX_HASHES MX_CS_MAX_CDS
/* CodeResources (coderesources.c): entries of files/files2 (osxfuse.fs has 45; large apps
 * tens of thousands), rules of rules/rules2 (codesign writes 5 and 14), the plist size. */
#define MX_CR_MAX_ENTRIES (1u << 18)
#define MX_CR_MAX_RULES 256u
#define MX_CR_MAX_BYTES (64u << 20)
/* Bytes of one rule pattern (Apple's longest is about 110). */
#define MX_CR_MAX_PATTERN 512u
