/*
 * The decision trace (ARCHITECTURE.md §4, `macext why`). Entries sit in a fixed array, as
 * there is one per rule; their details and the decision's message sit in one text buffer
 * the trace owns and keeps across resets, so deciding in a loop allocates nothing once
 * the buffer has grown. Details are stored by offset and their pointers refreshed
 * whenever the buffer moves.
 */
#include "policy/rules.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

void macext_trace_init(struct macext_trace *t)
{
	if (t)
		memset(t, 0, sizeof(*t));
}

void macext_trace_reset(struct macext_trace *t)
{
	if (!t)
		return;
	t->n = 0;
	t->text_len = 0;
}

void macext_trace_free(struct macext_trace *t)
{
	if (!t)
		return;
	mx_free(t->text);
	memset(t, 0, sizeof(*t));
}

const struct macext_trace_entry *macext_trace_find(const struct macext_trace *t,
						   const char *rule)
{
	if (!t || !rule)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->entries[i].rule, rule) == 0)
			return &t->entries[i];
	return NULL;
}

static void repoint(struct macext_trace *t)
{
	for (size_t i = 0; i < t->n; i++)
		t->entries[i].detail = t->text + t->entries[i].detail_off;
}

__attribute__((format(printf, 3, 0))) static int vtext(struct macext_trace *t, size_t *ret_off,
							 const char *fmt, va_list ap)
{
	size_t room = t->text_cap - t->text_len;
	va_list aq;
	int len;

	va_copy(aq, ap);
	len = vsnprintf(t->text ? t->text + t->text_len : NULL, room, fmt, aq);
	va_end(aq);
	if (len < 0)
		return -EINVAL;
	if ((size_t)len >= room) {
		size_t cap = t->text_cap;
		void *p = t->text;
		int r = mx_grow(&p, &cap, t->text_len + (size_t)len + 1, 1);

		if (r < 0)
			return r;
		t->text = p;
		t->text_cap = cap;
		repoint(t);
		vsnprintf(t->text + t->text_len, cap - t->text_len, fmt, ap);
	}
	*ret_off = t->text_len;
	t->text_len += (size_t)len + 1;
	return 0;
}

int mx_trace_text(struct macext_trace *t, size_t *ret_off, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vtext(t, ret_off, fmt, ap);
	va_end(ap);
	return r;
}

int mx_trace_add(struct macext_trace *t, const char *rule, const char *outcome,
		 const char *reference, const char *fmt, ...)
{
	struct macext_trace_entry *e;
	size_t off;
	va_list ap;
	int r;

	if (t->n >= MACEXT_TRACE_MAX)
		return -E2BIG;
	va_start(ap, fmt);
	r = vtext(t, &off, fmt, ap);
	va_end(ap);
	if (r < 0)
		return r;
	e = &t->entries[t->n++];
	e->rule = rule;
	e->outcome = outcome;
	e->reference = reference;
	e->detail_off = off;
	e->detail = t->text + off;
	return 0;
}
