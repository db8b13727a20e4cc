#pragma once
/* What the store's front end (store.c) shares with its backends. */
#include <stddef.h>

#include "macext/store.h"

/* The backends, each a sibling file; store.c names them in its table. */
extern const struct macext_store_ops mx_store_sqlite_ops;
extern const struct macext_store_ops mx_store_memory_ops;

/* lib/store/schema.sql (Apple's tables), schema_macext.sql (macext_pending) and
 * schema_cdhash.sql (the macOS 11+ migration) as NUL-terminated text, embedded by the build
 * (macext_embed_text in cmake/embed.cmake). */
extern const char mx_store_schema_sql[];
extern const char mx_store_schema_macext_sql[];
extern const char mx_store_schema_cdhash_sql[];

/* Deep copies: *DST becomes SRC with every string copied into one block owned by
 * DST->mem. DST is written only on success. 0 or -ENOMEM. */
int mx_store_policy_copy(struct macext_kext_policy *dst, const struct macext_kext_policy *src);
int mx_store_history_copy(struct macext_kext_load_history *dst,
			  const struct macext_kext_load_history *src);
int mx_store_mdm_copy(struct macext_kext_policy_mdm *dst,
		      const struct macext_kext_policy_mdm *src);
int mx_store_pending_copy(struct macext_pending_approval *dst,
			  const struct macext_pending_approval *src);
/* Release what a copy owns and zero the record; accept NULL. */
void mx_store_history_clear(struct macext_kext_load_history *h);
void mx_store_mdm_clear(struct macext_kext_policy_mdm *m);

/* Calls the test hook of S, if any, after a statement named POINT changed data. */
void mx_store_hook(struct macext_store *s, const char *point);
