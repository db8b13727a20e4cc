#pragma once
/* A growing string for building messages, property paths and decoded text. A failed append
 * marks the buffer failed; mx_sb_take() then returns NULL, so callers check once. */
#include <stdbool.h>
#include <stddef.h>

struct mx_sb {
	char *s;
	size_t len, cap;
	bool failed;
};

#define MX_SB_INIT {NULL, 0, 0, false}

void mx_sb_add(struct mx_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The built string (the caller's), or NULL if an append failed; B is left empty. */
char *mx_sb_take(struct mx_sb *b);
void mx_sb_free(struct mx_sb *b);
