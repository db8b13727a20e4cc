#pragma once
/*
 * Safe entry to libplist for an untrusted Info.plist. libplist 2.2 parses nested arrays
 * and dictionaries recursively with no depth limit and expands shared binary objects, so
 * the bytes first pass the format layer's mx_plist_precheck (depth and expanded-object
 * limits of lib/format/limits.h).
 */
#include <plist/plist.h>
#include <stddef.h>

#include "macext/diag.h"

/* An Info.plist is a few KiB; Apple's largest (families with hundreds of personalities)
 * are a few hundred KiB. */
#define MX_INFO_PLIST_MAX_SIZE (4u * 1024 * 1024)

/* Parses BUF (XML or binary plist) into *RET (the caller's, plist_free). Errors, with
 * DIAG: -E2BIG (over a size, depth or object limit), -EBADMSG (libplist refused it, or a
 * binary plist whose tables point outside the file), -ENOMEM. */
int mx_plist_parse(const void *buf, size_t len, plist_t *ret, struct macext_diag *diag);
