#pragma once
/*
 * Shared by the unit tests that work in a scratch directory: make one under /tmp, and
 * remove it with everything below it. The including file defines _GNU_SOURCE before its
 * first #include (nftw needs it).
 */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <cmocka.h>

/* Makes a new directory "/tmp/macext-<WHAT>-XXXXXX", its name written into DIR (SIZE bytes). */
static inline void test_mkdtemp(char *dir, size_t size, const char *what)
{
	snprintf(dir, size, "/tmp/macext-%s-XXXXXX", what);
	assert_non_null(mkdtemp(dir));
}

static inline int test_rm_entry(const char *p, const struct stat *st, int fl, struct FTW *ftw)
{
	(void)st;
	(void)fl;
	(void)ftw;
	return remove(p);
}

/* Removes DIR and everything below it, without following symbolic links; 0 or -1. */
static inline int test_rmtree(const char *dir)
{
	return nftw(dir, test_rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}
