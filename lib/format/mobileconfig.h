#pragma once
/*
 * The pieces of the .mobileconfig reader that tests and the fuzz target reach directly
 * (mobileconfig.c; docs/formats/mobileconfig.md).
 */
#include <stddef.h>
#include <stdint.h>

#include "macext/diag.h"
#include "macext/profile.h"

/* What the first bytes say. */
enum mx_sniff {
	MX_SNIFF_XML,
	MX_SNIFF_BINARY,
	MX_SNIFF_CMS,
	MX_SNIFF_UNKNOWN,
};

/* Classifies BUF and stores in *RET_SKIP the bytes of UTF-8 BOM and white space before an
 * XML or binary plist (0 for CMS, which must start at byte 0). */
enum mx_sniff mx_mobileconfig_sniff(const uint8_t *buf, size_t len, size_t *ret_skip);

/* Checks that the plist in BUF (XML or binary per BINARY) stays within MX_PLIST_MAX_DEPTH
 * and, for a bplist, MX_PLIST_MAX_NODES expanded objects, before libplist (which recurses
 * and expands shared objects) sees it. ORIGIN is the file offset of BUF[0]. Returns 0,
 * -E2BIG or -EBADMSG (a bplist whose trailer, offsets or references are out of range). */
int mx_plist_precheck(const uint8_t *buf, size_t len, bool binary, uint64_t origin,
		      struct macext_diag *diag);
