/* lib/util/diag.c: recording faults in a struct macext_diag. */
#include "util/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/reader.h"

__attribute__((format(printf, 5, 0))) static int
record(struct macext_diag *diag, bool has_offset, uint64_t offset, int code, const char *fmt,
       va_list ap)
{
	if (!diag)
		return code;
	diag->code = code;
	diag->has_offset = has_offset;
	diag->offset = has_offset ? offset : 0;
	vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
	return code;
}

int mx_diag_fail(struct macext_diag *diag, const struct mx_reader *rd, int code, const char *fmt,
		 ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = record(diag, rd != NULL, rd ? mx_rd_offset(rd) : 0, code, fmt, ap);
	va_end(ap);
	return code;
}

int mx_diag_fail_at(struct macext_diag *diag, uint64_t offset, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = record(diag, true, offset, code, fmt, ap);
	va_end(ap);
	return code;
}

int mx_diag_fail_nopos(struct macext_diag *diag, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = record(diag, false, 0, code, fmt, ap);
	va_end(ap);
	return code;
}

void mx_diag_prefix(struct macext_diag *diag, const char *fmt, ...)
{
	char prefix[96];
	char joined[sizeof(prefix) + sizeof(diag->msg) + 2];
	va_list ap;

	if (!diag)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	snprintf(joined, sizeof(joined), "%s: %s", prefix, diag->msg);
	memcpy(diag->msg, joined, sizeof(diag->msg) - 1);
	diag->msg[sizeof(diag->msg) - 1] = '\0';
}

void mx_diag_shift(struct macext_diag *diag, uint64_t delta)
{
	if (diag && diag->has_offset)
		diag->offset += delta;
}
