/* Unit tests for lib/model/symlinks.c: rule V17 (kexts.md §6.4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/symlinks.h"
#include "util/alloc.h"
#include "util/file.h"

static char *tmp_bundle(char *dir)
{
	char *b;

	assert_non_null(mkdtemp(dir));
	b = mx_path_join(dir, "K.kext");
	assert_int_equal(mx_mkdir_p(b, 0755), 0);
	return b;
}

static void put(const char *base, const char *rel)
{
	char *p = mx_path_join(base, rel);

	assert_int_equal(mx_write_atomic(p, "x", 1, 0644), 0);
	free(p);
}

static void link_at(const char *base, const char *rel, const char *target)
{
	char *p = mx_path_join(base, rel);

	assert_int_equal(symlink(target, p), 0);
	free(p);
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void test_links(void **state)
{
	char dir[] = "/tmp/macext-symlinks-XXXXXX";
	char *b = tmp_bundle(dir), *res, *plug, *cmd;
	char **bad = NULL;
	size_t n = 99;

	(void)state;
	res = mx_path_join(b, "Contents/Resources");
	plug = mx_path_join(b, "Contents/PlugIns");
	assert_int_equal(mx_mkdir_p(res, 0755), 0);
	assert_int_equal(mx_mkdir_p(plug, 0755), 0);
	put(b, "Contents/Info.plist");
	put(dir, "outside.txt");
	/* a clean bundle has nothing to report */
	assert_int_equal(mx_bundle_bad_symlinks(b, &bad, &n), 0);
	assert_int_equal(n, 0);
	free_list(bad, n);

	link_at(b, "Contents/Resources/good", "../Info.plist");     /* inside: fine */
	link_at(b, "Contents/Resources/out", "../../../outside.txt"); /* readable, outside */
	link_at(b, "Contents/Resources/dangling", "nowhere");         /* not readable */
	link_at(b, "Contents/Resources/loop", "loop");                /* a loop: not readable */
	link_at(b, "Contents/PlugIns/ignored", "/etc/hostname");      /* plug-ins: not walked */
	assert_int_equal(mx_bundle_bad_symlinks(b, &bad, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(bad[0], "Contents/Resources/dangling");
	assert_string_equal(bad[1], "Contents/Resources/loop");
	assert_string_equal(bad[2], "Contents/Resources/out");
	free_list(bad, n);

	/* a link to a sibling folder whose name starts like the bundle's is outside */
	put(dir, "K.kext2");
	link_at(b, "Contents/Resources/prefix", "../../../K.kext2");
	assert_int_equal(mx_bundle_bad_symlinks(b, &bad, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(bad[3], "Contents/Resources/prefix");
	free_list(bad, n);

	assert_int_equal(mx_bundle_bad_symlinks("/nonexistent/K.kext", &bad, &n), -ENOENT);
	cmd = mx_asprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(res);
	free(plug);
	free(b);
}

static void test_depth_limit(void **state)
{
	char dir[] = "/tmp/macext-symlinks-XXXXXX";
	char *b = tmp_bundle(dir), *deep = mx_strdup(b), *cmd;
	char **bad = NULL;
	size_t n = 0;

	(void)state;
	for (unsigned i = 0; i <= MX_BUNDLE_WALK_MAX_DEPTH + 1; i++) {
		char *next = mx_path_join(deep, "d");

		free(deep);
		deep = next;
	}
	assert_int_equal(mx_mkdir_p(deep, 0755), 0);
	assert_int_equal(mx_bundle_bad_symlinks(b, &bad, &n), -E2BIG);
	cmd = mx_asprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(deep);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_depth_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
