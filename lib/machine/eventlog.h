#pragma once
/*
 * The modeled Mac's event log, .macext/log.jsonl (ARCHITECTURE.md §2): what the unified log
 * would say. One JSON object per line: {"time": RFC 3339 of ctx->now, "event": NAME, ...}.
 * Events written by lib/machine: "kext.alert" (System Extension Blocked shown), "kext.load",
 * "kext.refused", "kext.approved", "kext.unload", "boot" (docs/kext.md lists their fields).
 */
#include <jansson.h>

#include "macext/ctx.h"

/* Appends one line for EVENT with the members of FIELDS (may be NULL; the reference is
 * taken either way) to ctx->root's log. The line is written with one write(2) on an
 * O_APPEND descriptor and fsync'd, so a kill leaves whole lines only. Returns 0, -ENOENT
 * (no modeled Mac), -ENOMEM, -EIO. */
int mx_eventlog_append(const struct macext_ctx *ctx, const char *event, json_t *fields);
