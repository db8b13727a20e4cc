#pragma once
/*
 * Evaluating compiled code requirements (codesign.md §3) against a verified signature
 * (lib/trust/requirement_eval.c).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/x509.h>
#include <plist/plist.h>

#include "macext/diag.h"

/* What a requirement may ask about one signature. Every pointer is borrowed. */
struct mx_req_ctx {
	const char *identifier;       /* the CD identifier */
	const uint8_t *const *cdhashes; /* the full hash of every CD (at least 20 bytes each) */
	const size_t *cdhash_lens;
	size_t ncdhashes;
	STACK_OF(X509) *chain;        /* leaf first, anchor last; NULL for ad-hoc/unsigned */
	bool anchor_apple;            /* the anchor is a pinned Apple root */
	bool anchor_test;             /* the anchor is a caller-supplied test anchor */
	plist_t info;                 /* Info.plist dictionary, or NULL */
	plist_t entitlements;         /* entitlements dictionary, or NULL */
	uint8_t platform;             /* the CD platform field */
};

/* Evaluates the requirement blob (magic 0xfade0c00) at BUF (LEN bytes, ORIGIN its file
 * offset). *RET is the verdict. Returns 0, -EBADMSG (malformed: truncated, an operand past
 * the blob, trailing bytes), -ENOTSUP (an unknown opcode without a skip flag,
 * errSecCSUnimplemented), -E2BIG (nesting or operations over MX_CS_MAX_REQ_*). */
int mx_req_eval(const uint8_t *buf, size_t len, uint64_t origin, const struct mx_req_ctx *ctx,
		bool *ret, struct macext_diag *diag);

/* Finds the requirement of TYPE (3 = designated) in the requirements set (SuperBlob
 * 0xfade0c01) at BUF. Returns 1 found (RET_P, RET_LEN, RET_OFF set), 0 absent, -EBADMSG. */
int mx_req_find(const uint8_t *buf, size_t len, uint64_t origin, uint32_t type,
		const uint8_t **ret_p, size_t *ret_len, uint64_t *ret_off, struct macext_diag *diag);

/* The compiled kext signing requirement of codesign.md §3.7 for a bundle identifier:
 * `anchor apple` for com.apple.*, else the third-party Developer ID kext requirement.
 * Writes at most CAP bytes to BUF; returns the length (always under 160). */
size_t mx_req_kext(uint8_t *buf, size_t cap, const char *bundle_id);
