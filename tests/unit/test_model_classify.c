/* Unit tests for lib/model/classify.c: macext_kext_classify() on the generated fixture
 * kexts (deprecated-KPI categories per release) and on a hand-made bundle named on the
 * release's exclude list (both grammars, the rule string). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macext/kext.h"
#include "test_helpers.h"

static char *fixture(const char *name)
{
	const char *b = getenv("MACEXT_BUILD_DIR");
	char *p = NULL;

	if (!b || asprintf(&p, "%s/fixtures/kexts/%s", b, name) < 0)
		return NULL;
	return p;
}

static void classify(const char *name, const char *release, struct macext_kext_class *c)
{
	struct macext_macos_version v;
	struct macext_kext *k = NULL;
	char *p = fixture(name);
	struct stat st;

	if (!p || stat(p, &st) != 0) {
		free(p);
		skip();
	}
	assert_int_equal(macext_macos_parse(release, &v), 0);
	assert_int_equal(macext_kext_open(&k, p, NULL), 0);
	assert_int_equal(macext_kext_classify(k, "x86_64", &v, c), 0);
	macext_kext_free(k);
	free(p);
}

static void test_kauth_per_release(void **state)
{
	struct macext_kext_class c;

	(void)state;
	classify("Kauth.kext", "10.14.6", &c);
	assert_int_equal(c.nkpi, 0); /* no deprecated-KPI policy before 10.15 */
	macext_kext_class_clear(&c);

	classify("Kauth.kext", "10.15.7", &c);
	assert_int_equal(c.nkpi, 1);
	assert_string_equal(c.kpi[0].id, "kauth");
	assert_false(c.kpi[0].unsupported);
	assert_false(c.kpi[0].obligatory);
	assert_non_null(strstr(c.kpi[0].evidence, "_kauth_listen_scope"));
	assert_false(c.excluded);
	macext_kext_class_clear(&c);

	classify("Kauth.kext", "11", &c);
	assert_int_equal(c.nkpi, 1);
	assert_true(c.kpi[0].unsupported);
	macext_kext_class_clear(&c);
	assert_int_equal(c.nkpi, 0);
	assert_null(c.kpi);
}

static void test_clean_and_obligatory(void **state)
{
	struct macext_kext_class c;

	(void)state;
	classify("Control.kext", "14", &c);
	assert_int_equal(c.nkpi, 0);
	assert_false(c.excluded);
	assert_null(c.exclude_rule);
	macext_kext_class_clear(&c);

	classify("Audio.kext", "12.3", &c);
	assert_int_equal(c.nkpi, 1);
	assert_true(c.kpi[0].obligatory);
	assert_false(c.kpi[0].unsupported);
	macext_kext_class_clear(&c);
}

static void write_plist(const char *dir, const char *id, const char *version)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/Contents", dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/Contents/Info.plist", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>"
		   "<key>CFBundleIdentifier</key><string>%s</string>"
		   "<key>CFBundleVersion</key><string>%s</string>"
		   "<key>CFBundlePackageType</key><string>KEXT</string></dict></plist>\n",
		id, version);
	fclose(f);
}

static void test_exclude_list(void **state)
{
	struct macext_exclude_entry *e = NULL;
	struct macext_macos_version v;
	struct macext_kext_class c;
	struct macext_kext *k = NULL;
	char dir[256], kext[300];
	size_t n = 0, i;

	(void)state;
	assert_int_equal(macext_macos_parse("14", &v), 0);
	assert_int_equal(macext_catalogue_exclude_list(&v, &e, &n), 0);
	for (i = 0; i < n && strncmp(e[i].rule, "LT ", 3) != 0; i++)
		;
	if (i == n) {
		macext_exclude_list_free(e, n);
		skip();
	}
	test_mkdtemp(dir, sizeof(dir), "classify");
	snprintf(kext, sizeof(kext), "%s/Banned.kext", dir);
	write_plist(kext, e[i].id, "0.0.1"); /* below every "LT x" bound */
	assert_int_equal(macext_kext_open(&k, kext, NULL), 0);
	assert_int_equal(macext_kext_classify(k, "x86_64", &v, &c), 0);
	assert_true(c.excluded);
	assert_true(c.excluded_kernel);
	assert_string_equal(c.exclude_rule, e[i].rule);
	macext_kext_class_clear(&c);
	macext_kext_free(k);
	macext_exclude_list_free(e, n);
	test_rmtree(dir);
}

static void test_bad_arguments(void **state)
{
	struct macext_kext_class c;

	(void)state;
	assert_int_equal(macext_kext_classify(NULL, "x86_64", NULL, &c), -EINVAL);
	macext_kext_class_clear(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kauth_per_release),
		cmocka_unit_test(test_clean_and_obligatory),
		cmocka_unit_test(test_exclude_list),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
