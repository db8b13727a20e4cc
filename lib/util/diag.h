#pragma once
/* Filling a struct macext_diag: one helper records the fault and returns the code. */
#include <stdint.h>
#include "macext/diag.h"

struct mx_reader;

/* Records CODE and the message with the reader's current file offset (RD may be NULL: no
 * offset). Returns CODE. DIAG may be NULL. */
int mx_diag_fail(struct macext_diag *diag, const struct mx_reader *rd, int code, const char *fmt,
		 ...) __attribute__((format(printf, 4, 5)));
/* Same, with an explicit file offset. */
int mx_diag_fail_at(struct macext_diag *diag, uint64_t offset, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Same, with no offset. */
int mx_diag_fail_nopos(struct macext_diag *diag, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Puts "<prefix>: " before the message already recorded; code and offset stay. */
void mx_diag_prefix(struct macext_diag *diag, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Shifts a recorded offset by DELTA (a parser that saw a sub-buffer reports file offsets). */
void mx_diag_shift(struct macext_diag *diag, uint64_t delta);
