#pragma once
/*
 * Allocation wrappers. All library allocation goes through these so a test can make the
 * Nth allocation fail (STYLE.md §8.5): mx_alloc_fail_at(n) fails the n-th call from now
 * (1-based) and every later one until it is reset with mx_alloc_fail_at(0).
 */
#include <stddef.h>

void *mx_malloc(size_t n);
void *mx_calloc(size_t count, size_t size);
void *mx_realloc(void *p, size_t n);
/* realloc for COUNT elements of SIZE bytes, failing (NULL) on overflow. */
void *mx_reallocarray(void *p, size_t count, size_t size);
char *mx_strdup(const char *s);
char *mx_strndup(const char *s, size_t n);
/* printf into a fresh string; NULL on failure. */
char *mx_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mx_free(void *p);

/* Grows *ARR (of *CAP elements of SIZE bytes) so it holds at least NEED; 0 or -ENOMEM. */
int mx_grow(void **arr, size_t *cap, size_t need, size_t size);

/* Test hook: see the comment at the top. Not thread-safe; tests only. */
void mx_alloc_fail_at(long n);
