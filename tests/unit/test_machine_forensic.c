/* tests/unit/test_machine_forensic.c: forensic mode (lib/machine/forensic.c): which roots are
 * forensic, Apple's history times, and the pane derived from Apple's rows (kexts.md §9 P3):
 * the 30-minute window's edges, the newest history row deciding, lenient `allowed`. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "macext/forensic.h"

#define NOW 1793491200 /* 2026-11-01T00:00:00Z */

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fclose(f);
}

static void test_forensic_root(void **state)
{
	char dir[] = "/tmp/macext-forensic.XXXXXX", p[256], q[512];
	struct macext_ctx *ctx = NULL;
	char *rel = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(macext_ctx_new(&ctx, NOW), 0);
	assert_int_equal(macext_ctx_set_root(ctx, dir), 0);
	/* nothing there */
	assert_int_equal(macext_forensic_root(ctx, &rel), 0);
	assert_null(rel);
	/* a Data-volume layout */
	snprintf(p, sizeof(p), "%s/private/var/db/SystemPolicyConfiguration", dir);
	snprintf(q, sizeof(q), "mkdir -p '%s'", p);
	assert_int_equal(system(q), 0);
	snprintf(q, sizeof(q), "%s/KextPolicy", p);
	touch(q);
	assert_int_equal(macext_forensic_root(ctx, &rel), 1);
	assert_string_equal(rel, "private/var/db/SystemPolicyConfiguration/KextPolicy");
	free(rel);
	/* var -> private/var (relative, as on macOS) is preferred, and stays inside */
	snprintf(q, sizeof(q), "%s/var", dir);
	assert_int_equal(symlink("private/var", q), 0);
	assert_int_equal(macext_forensic_root(ctx, &rel), 1);
	assert_string_equal(rel, "var/db/SystemPolicyConfiguration/KextPolicy");
	free(rel);
	/* a modeled Mac is never forensic */
	snprintf(q, sizeof(q), "%s/.macext", dir);
	assert_int_equal(mkdir(q, 0755), 0);
	assert_int_equal(macext_forensic_root(ctx, NULL), 0);
	snprintf(q, sizeof(q), "rm -rf '%s'", dir);
	assert_int_equal(system(q), 0);
	macext_ctx_free(ctx);
}

static void test_time_parse(void **state)
{
	int64_t t = 0;

	(void)state;
	assert_int_equal(macext_kextpolicy_time_parse("2026-11-01 00:00:00", &t), 0);
	assert_int_equal(t, NOW);
	assert_int_equal(macext_kextpolicy_time_parse("2020-04-13 16:29:03", &t), 0);
	assert_int_equal(t, 1586795343);
	assert_int_equal(macext_kextpolicy_time_parse("2026-11-01T00:00:00", &t), -EINVAL);
	assert_int_equal(macext_kextpolicy_time_parse("2026-11-01 00:00", &t), -EINVAL);
	assert_int_equal(macext_kextpolicy_time_parse("2026-13-01 00:00:00", &t), -EINVAL);
	assert_int_equal(macext_kextpolicy_time_parse(NULL, &t), -EINVAL);
}

static void test_pane(void **state)
{
	struct macext_kext_policy pol[] = {
		{.team_id = "AAAAAAAAAA", .bundle_id = "com.a", .allowed = false,
		 .developer_name = "A"},
		{.team_id = "BBBBBBBBBB", .bundle_id = "com.b", .allowed = true},
		{.team_id = "", .bundle_id = "com.c", .allowed = false},
	};
	struct macext_kext_load_history hist[] = {
		/* the older path of com.a, then the newer one: the newest decides */
		{.path = "/Library/Extensions/A-old.kext", .team_id = "AAAAAAAAAA",
		 .bundle_id = "com.a", .last_seen = "2026-10-31 23:00:00"},
		{.path = "/Library/Extensions/A.kext", .team_id = "AAAAAAAAAA", .bundle_id = "com.a",
		 .last_seen = "2026-10-31 23:45:00"},
		/* same bundle, another team: not this row's */
		{.path = "/x.kext", .team_id = "ZZZZZZZZZZ", .bundle_id = "com.c",
		 .last_seen = "2026-10-31 23:59:00"},
		{.path = "/Library/Extensions/C.kext", .team_id = "", .bundle_id = "com.c",
		 .last_seen = "garbage"},
	};
	struct macext_kextpolicy_dump d = {.policy = pol, .npolicy = 3, .history = hist,
					   .nhistory = 4};
	struct macext_kext_info *p, *a, *b;
	size_t np, na, nb;

	(void)state;
	/* 15:00 after the last block: pending, expires at 00:15:00 */
	assert_int_equal(macext_kextpolicy_pane(&d, NOW, &p, &np, &a, &na, &b, &nb), 0);
	assert_int_equal(np, 1);
	assert_string_equal(p[0].bundle_id, "com.a");
	assert_string_equal(p[0].path, "/Library/Extensions/A.kext");
	assert_string_equal(p[0].developer_name, "A");
	assert_int_equal(p[0].expires, NOW + 15 * 60);
	assert_int_equal(na, 1);
	assert_string_equal(a[0].bundle_id, "com.b");
	assert_string_equal(a[0].path, "");
	assert_null(a[0].developer_name);
	/* an unparsable last_seen counts as long ago: blocked, with its path */
	assert_int_equal(nb, 1);
	assert_string_equal(b[0].bundle_id, "com.c");
	assert_string_equal(b[0].team_id, "");
	assert_string_equal(b[0].path, "/Library/Extensions/C.kext");
	macext_kext_infos_free(p, np);
	macext_kext_infos_free(a, na);
	macext_kext_infos_free(b, nb);

	/* 29:59 after: still pending; 30:00: blocked; before the block (clock behind): blocked */
	const int64_t seen = NOW - 15 * 60;
	const int64_t at[] = {seen + 1799, seen + 1800, seen - 1};
	const size_t want_np[] = {1, 0, 0};

	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(macext_kextpolicy_pane(&d, at[i], &p, &np, &a, &na, &b, &nb), 0);
		assert_int_equal(np, want_np[i]);
		assert_int_equal(nb, 2 - want_np[i]);
		macext_kext_infos_free(p, np);
		macext_kext_infos_free(a, na);
		macext_kext_infos_free(b, nb);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forensic_root),
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_pane),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
