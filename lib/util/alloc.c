/* lib/util/alloc.c: the allocation wrappers and their failure-injection hook. */
#include "util/alloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/checked.h"

/* Countdown for allocation-failure tests; 0 means off. The only mutable global of the
 * library, and a test hook: production code never sets it. */
static long fail_countdown;

void mx_alloc_fail_at(long n)
{
	fail_countdown = n;
}

static bool should_fail(void)
{
	if (fail_countdown <= 0)
		return false;
	if (fail_countdown == 1)
		return true; /* stays at 1: every later allocation fails too */
	fail_countdown--;
	return false;
}

void *mx_malloc(size_t n)
{
	if (should_fail())
		return NULL;
	return malloc(n ? n : 1);
}

void *mx_calloc(size_t count, size_t size)
{
	if (should_fail())
		return NULL;
	if (count == 0 || size == 0)
		return calloc(1, 1);
	return calloc(count, size);
}

void *mx_realloc(void *p, size_t n)
{
	if (should_fail())
		return NULL;
	return realloc(p, n ? n : 1);
}

void *mx_reallocarray(void *p, size_t count, size_t size)
{
	size_t n;

	if (!mx_mul_size(count, size, &n))
		return NULL;
	return mx_realloc(p, n);
}

char *mx_strdup(const char *s)
{
	return s ? mx_strndup(s, strlen(s)) : NULL;
}

char *mx_strndup(const char *s, size_t n)
{
	char *d;
	size_t len = strnlen(s, n);

	d = mx_malloc(len + 1);
	if (!d)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

char *mx_asprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	s = mx_malloc((size_t)n + 1);
	if (!s)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

void mx_free(void *p)
{
	free(p);
}

int mx_grow(void **arr, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 8;
	while (ncap < need) {
		if (!mx_mul_size(ncap, 2, &ncap))
			return -ENOMEM;
	}
	p = mx_reallocarray(*arr, ncap, size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}
