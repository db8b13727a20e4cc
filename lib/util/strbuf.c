/* lib/util/strbuf.c: the growing string of strbuf.h. */
#include "util/strbuf.h"

#include <stdarg.h>
#include <stdio.h>

#include "util/alloc.h"

void mx_sb_add(struct mx_sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || mx_grow((void **)&b->s, &b->cap, b->len + (size_t)n + 1, 1) < 0) {
		b->failed = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *mx_sb_take(struct mx_sb *b)
{
	char *s = b->failed ? NULL : b->s;

	if (!s && !b->failed)
		s = mx_strdup("");
	if (b->failed)
		mx_free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
	b->failed = false;
	return s;
}

void mx_sb_free(struct mx_sb *b)
{
	mx_free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
	b->failed = false;
}
