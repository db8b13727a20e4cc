#ifndef MACEXT_DIAG_H
#define MACEXT_DIAG_H
/*
 * The diagnostic every parser fills on failure (STYLE.md §4.2). The innermost layer fills
 * it; outer layers may prefix context with mx_diag_prefix() but never replace the code or
 * the message. Offsets are offsets in the file the user gave.
 */
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct macext_diag {
	int code;        /* the negative code the function returned */
	bool has_offset; /* false for faults with no position (a missing file) */
	uint64_t offset; /* where the fault is, in the file the user gave */
	char msg[160];   /* "<what>: <why>", lower case, no full stop */
};

#ifdef __cplusplus
}
#endif
#endif
