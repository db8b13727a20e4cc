#ifndef MACEXT_CTX_H
#define MACEXT_CTX_H
/*
 * The context: everything the library would otherwise take from the environment. The root
 * of the modeled Mac, the modeled clock and the debug log hook live here, so two modeled
 * Macs can share a process and tests need no tricks (STYLE.md §5.1).
 */
#include <stdint.h>
#include "macext/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*macext_log_fn)(void *userdata, const char *line);

struct macext_ctx {
	char *root;          /* the modeled Mac's root directory, or NULL */
	int64_t now;         /* the modeled clock, seconds since 1970 UTC */
	macext_log_fn log;   /* debug lines only; may be NULL */
	void *log_userdata;
	/* Tests only (kill tests): called between the effects of a state change with the
	 * name of the point reached ("kext.load.staged", ...; docs/macext.md); NULL otherwise. */
	void (*test_point)(void *userdata, const char *name);
	void *test_point_userdata;
};

/** Makes a context with no root and the clock at NOW. The caller frees it with
 * macext_ctx_free(). Returns 0 or -ENOMEM. */
MACEXT_API int macext_ctx_new(struct macext_ctx **ret, int64_t now);
/** Sets (a copy of) the root directory; NULL clears it. Returns 0 or -ENOMEM. */
MACEXT_API int macext_ctx_set_root(struct macext_ctx *ctx, const char *root);
/** Frees CTX; accepts NULL. */
MACEXT_API void macext_ctx_free(struct macext_ctx *ctx);

/** Parses an RFC 3339 time ("2026-11-01T00:00:00Z", offsets allowed, fraction ignored)
 * into seconds since 1970 UTC. Returns 0 or -EINVAL. */
MACEXT_API int macext_time_parse(const char *text, int64_t *ret);
/** Formats T as RFC 3339 UTC ("2026-11-01T00:00:00Z") into BUF of at least 21 bytes. */
MACEXT_API void macext_time_format(int64_t t, char buf[static 21]);

#ifdef __cplusplus
}
#endif
#endif
