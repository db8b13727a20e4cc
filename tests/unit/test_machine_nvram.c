/* tests/unit/test_machine_nvram.c: NVRAM load/save, grandfathering and upgrade (lib/machine
 * nvram.c, upgrade.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
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
#include <plist/plist.h>

#include "macext/machine.h"
#include "macext/machine_state.h"
#include "util/alloc.h"
#include "util/file.h"

#define NOW 1793491200 /* 2026-11-01T00:00:00Z */

struct fx {
	char parent[64];
	char *root;
	struct macext_ctx *ctx;
};

static int rm_entry(const char *p, const struct stat *st, int fl, struct FTW *ftw)
{
	(void)st;
	(void)fl;
	(void)ftw;
	return remove(p);
}

static void make_mac(struct fx *f, const char *arch, const char *release)
{
	struct macext_machine_init_opts o = {0};
	struct macext_macos_version v;
	struct macext_diag diag = {0};

	assert_int_equal(macext_macos_parse(release, &v), 0);
	o.arch = arch;
	o.macos = &v;
	o.password = "";
	o.flags = MACEXT_MACHINE_INIT_FORCE;
	assert_int_equal(macext_machine_init(f->ctx, &o, &diag), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->parent, sizeof(f->parent), "/tmp/macext-nvram-XXXXXX");
	assert_non_null(mkdtemp(f->parent));
	f->root = mx_path_join(f->parent, "mac");
	assert_int_equal(macext_ctx_new(&f->ctx, NOW), 0);
	assert_int_equal(macext_ctx_set_root(f->ctx, f->root), 0);
	make_mac(f, "x86_64", "10.12.6");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	nftw(f->parent, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	macext_ctx_free(f->ctx);
	mx_free(f->root);
	free(f);
	return 0;
}

static char *slurp(struct fx *f, const char *rel, size_t *len)
{
	char *p = mx_path_join(f->root, rel), *buf = NULL;
	size_t n = 0;

	assert_int_equal(mx_read_file(p, 1 << 20, &buf, &n, NULL), 0);
	mx_free(p);
	if (len)
		*len = n;
	return buf;
}

static void put(struct fx *f, const char *rel, const char *text)
{
	char *p = mx_path_join(f->root, rel), *dir = mx_strdup(p);

	*strrchr(dir, '/') = '\0';
	assert_int_equal(mx_mkdir_p(dir, 0755), 0);
	assert_int_equal(mx_write_atomic(p, text, strlen(text), 0644), 0);
	mx_free(p);
	mx_free(dir);
}

static plist_t read_plist(struct fx *f, const char *rel)
{
	size_t len = 0;
	char *buf = slurp(f, rel, &len);
	plist_t p = NULL;

	plist_from_memory(buf, (uint32_t)len, &p);
	mx_free(buf);
	assert_non_null(p);
	return p;
}

static void test_init_state(void **state)
{
	struct fx *f = *state;
	struct macext_nvram n;
	struct macext_diag diag = {0};

	memset(&n, 0xa5, sizeof(n));
	assert_int_equal(macext_nvram_load(f->ctx, &n, &diag), 0);
	assert_int_equal(n.csr_active_config, 0);
	assert_int_equal(n.boot_state, MACEXT_BOOT_NORMAL);
	assert_true(n.kext_consent_enabled);
	assert_int_equal(n.nkext_consent_teams, 0);
	macext_nvram_clear(&n);
}

static void test_round_trip(void **state)
{
	struct fx *f = *state;
	char t1[] = "ABCDE12345", t2[] = "ZYXWV98765";
	char *teams[] = {t1, t2};
	struct macext_nvram n = {.csr_active_config = 0x7f,
				 .boot_state = MACEXT_BOOT_RECOVERY,
				 .kext_consent_enabled = false,
				 .kext_consent_teams = teams,
				 .nkext_consent_teams = 2};
	struct macext_nvram back;
	struct macext_diag diag = {0};
	plist_t nv, csr;
	const char *b;
	uint64_t len = 0;
	uint8_t flag = 1;

	assert_int_equal(macext_nvram_save(f->ctx, &n, &diag), 0);
	assert_int_equal(macext_nvram_load(f->ctx, &back, &diag), 0);
	assert_int_equal(back.csr_active_config, 0x7f);
	assert_int_equal(back.boot_state, MACEXT_BOOT_RECOVERY);
	assert_false(back.kext_consent_enabled);
	assert_int_equal(back.nkext_consent_teams, 2);
	assert_string_equal(back.kext_consent_teams[0], "ABCDE12345");
	assert_string_equal(back.kext_consent_teams[1], "ZYXWV98765");
	macext_nvram_clear(&back);
	assert_null(back.kext_consent_teams);

	/* As Apple stores it: 4 bytes, little-endian. */
	nv = read_plist(f, ".macext/nvram.plist");
	csr = plist_dict_get_item(nv, "csr-active-config");
	assert_int_equal(plist_get_node_type(csr), PLIST_DATA);
	b = plist_get_data_ptr(csr, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(b, "\x7f\0\0\0", 4);
	assert_string_equal(plist_get_string_ptr(plist_dict_get_item(nv, "boot-state"), NULL),
			    "recovery");
	plist_get_bool_val(plist_dict_get_item(nv, "macext-kext-consent"), &flag);
	assert_int_equal(flag, 0);
	assert_int_equal(plist_array_get_size(plist_dict_get_item(nv, "macext-kext-consent-teams")),
			 2);
	plist_free(nv);

	/* Back to the defaults: the consent keys disappear (absent = enabled, no list). */
	n.csr_active_config = 0x12345678;
	n.boot_state = MACEXT_BOOT_NORMAL;
	n.kext_consent_enabled = true;
	n.nkext_consent_teams = 0;
	assert_int_equal(macext_nvram_save(f->ctx, &n, &diag), 0);
	nv = read_plist(f, ".macext/nvram.plist");
	assert_null(plist_dict_get_item(nv, "macext-kext-consent"));
	assert_null(plist_dict_get_item(nv, "macext-kext-consent-teams"));
	b = plist_get_data_ptr(plist_dict_get_item(nv, "csr-active-config"), &len);
	assert_memory_equal(b, "\x78\x56\x34\x12", 4);
	plist_free(nv);
	assert_int_equal(macext_nvram_load(f->ctx, &back, &diag), 0);
	assert_int_equal(back.csr_active_config, 0x12345678);
	assert_true(back.kext_consent_enabled);
	macext_nvram_clear(&back);
}

static void test_save_keeps_other_keys_and_logs(void **state)
{
	struct fx *f = *state;
	struct macext_nvram n;
	struct macext_diag diag = {0};
	plist_t nv;
	char *log;

	put(f, ".macext/nvram.plist",
	    "<plist version=\"1.0\"><dict><key>csr-active-config</key><data>AAAAAA==</data>"
	    "<key>boot-state</key><string>normal</string><key>boot-safe-mode</key><true/>"
	    "</dict></plist>");
	assert_int_equal(macext_nvram_load(f->ctx, &n, &diag), 0);
	n.csr_active_config = 0x7f;
	assert_int_equal(macext_nvram_save(f->ctx, &n, &diag), 0);
	n.kext_consent_enabled = false;
	assert_int_equal(macext_nvram_save(f->ctx, &n, &diag), 0);
	n.boot_state = MACEXT_BOOT_RECOVERY; /* not logged here: the boot code's business */
	assert_int_equal(macext_nvram_save(f->ctx, &n, &diag), 0);
	macext_nvram_clear(&n);
	nv = read_plist(f, ".macext/nvram.plist");
	assert_int_equal(plist_get_node_type(plist_dict_get_item(nv, "boot-safe-mode")),
			 PLIST_BOOLEAN);
	plist_free(nv);
	log = slurp(f, ".macext/log.jsonl", NULL);
	assert_string_equal(log, "{\"event\":\"sip.change\",\"from\":\"0x0\",\"time\":"
				 "\"2026-11-01T00:00:00Z\",\"to\":\"0x7f\"}\n"
				 "{\"enabled\":false,\"event\":\"kext-consent.change\",\"teams\":[],"
				 "\"time\":\"2026-11-01T00:00:00Z\"}\n");
	mx_free(log);
}

static void test_malformed_is_bad_machine_and_untouched(void **state)
{
	static const char *const bad[] = {
		"not a plist at all",
		"<plist version=\"1.0\"><array/></plist>",
		"<plist version=\"1.0\"><dict><key>csr-active-config</key><string>0</string>"
		"<key>boot-state</key><string>normal</string></dict></plist>",
		"<plist version=\"1.0\"><dict><key>csr-active-config</key><data>AAAA</data>"
		"<key>boot-state</key><string>normal</string></dict></plist>",
		"<plist version=\"1.0\"><dict><key>boot-state</key><string>dfu</string></dict>"
		"</plist>",
		"<plist version=\"1.0\"><dict></dict></plist>",
		"<plist version=\"1.0\"><dict><key>boot-state</key><string>normal</string>"
		"<key>macext-kext-consent</key><string>no</string></dict></plist>",
		"<plist version=\"1.0\"><dict><key>boot-state</key><string>normal</string>"
		"<key>macext-kext-consent-teams</key><string>ABCDE12345</string></dict></plist>",
		"<plist version=\"1.0\"><dict><key>boot-state</key><string>normal</string>"
		"<key>macext-kext-consent-teams</key><array><string>ABCDE12345</string>"
		"<integer>1</integer></array></dict></plist>",
	};
	struct fx *f = *state;
	struct macext_nvram good = {.kext_consent_enabled = true}, n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct macext_diag diag = {0};
		char *after;

		put(f, ".macext/nvram.plist", bad[i]);
		memset(&n, 0, sizeof(n));
		assert_int_equal(macext_nvram_load(f->ctx, &n, &diag), MACEXT_E_BAD_MACHINE);
		assert_int_equal(diag.code, MACEXT_E_BAD_MACHINE);
		assert_non_null(strstr(diag.msg, ".macext/nvram.plist"));
		assert_null(n.kext_consent_teams);
		memset(&diag, 0, sizeof(diag));
		assert_int_equal(macext_nvram_save(f->ctx, &good, &diag), MACEXT_E_BAD_MACHINE);
		after = slurp(f, ".macext/nvram.plist", NULL);
		assert_string_equal(after, bad[i]);
		mx_free(after);
	}
}

static void test_no_machine(void **state)
{
	struct fx *f = *state;
	struct macext_ctx *ctx = NULL;
	struct macext_nvram n = {0};
	struct macext_diag diag = {0};
	char *nowhere = mx_path_join(f->parent, "none");
	bool gf = true;

	assert_int_equal(macext_ctx_new(&ctx, NOW), 0);
	assert_int_equal(macext_ctx_set_root(ctx, nowhere), 0);
	assert_int_equal(macext_nvram_load(ctx, &n, &diag), -ENOENT);
	assert_int_equal(macext_nvram_save(ctx, &n, &diag), -ENOENT);
	assert_int_equal(macext_machine_grandfathered(ctx, "", "x", &gf, &diag), -ENOENT);
	assert_false(mx_exists(nowhere));
	macext_ctx_free(ctx);
	mx_free(nowhere);
}

static void test_save_is_atomic_under_alloc_failure(void **state)
{
	struct fx *f = *state;
	char t1[] = "ABCDE12345";
	char *teams[] = {t1};
	struct macext_nvram n = {.csr_active_config = 0x1,
				 .boot_state = MACEXT_BOOT_RECOVERY,
				 .kext_consent_enabled = false,
				 .kext_consent_teams = teams,
				 .nkext_consent_teams = 1};
	char *before = slurp(f, ".macext/nvram.plist", NULL), *after;
	long fails = 0;
	int r = -1;

	for (long at = 1; at < 500 && r != 0; at++) {
		struct macext_diag diag = {0};

		mx_alloc_fail_at(at);
		r = macext_nvram_save(f->ctx, &n, &diag);
		mx_alloc_fail_at(0);
		after = slurp(f, ".macext/nvram.plist", NULL);
		if (r != 0) {
			assert_int_equal(r, -ENOMEM);
			assert_string_equal(after, before);
			fails++;
		} else {
			assert_non_null(strstr(after, "ABCDE12345"));
		}
		mx_free(after);
	}
	assert_int_equal(r, 0);
	assert_true(fails > 0);
	/* load under the same faults: 0 or -ENOMEM, never a half-filled struct */
	r = -1;
	for (long at = 1; at < 500 && r != 0; at++) {
		struct macext_nvram back = {0};

		mx_alloc_fail_at(at);
		r = macext_nvram_load(f->ctx, &back, NULL);
		mx_alloc_fail_at(0);
		if (r != 0) {
			assert_int_equal(r, -ENOMEM);
			assert_null(back.kext_consent_teams);
		} else {
			assert_int_equal(back.nkext_consent_teams, 1);
			macext_nvram_clear(&back);
		}
	}
	assert_int_equal(r, 0);
	mx_free(before);
}

static void test_grandfathered_reads_migration_plist(void **state)
{
	struct fx *f = *state;
	struct macext_diag diag = {0};
	bool gf = true;

	/* no migration ran: nothing is grandfathered */
	assert_int_equal(macext_machine_grandfathered(f->ctx, "ABCDE12345", "a.b", &gf, &diag), 0);
	assert_false(gf);
	put(f, ".macext/migration.plist",
	    "<plist version=\"1.0\"><dict><key>SignedKernelExtensions</key><dict>"
	    "<key>ABCDE12345</key><array><array><string>com.example.a</string>"
	    "<string>Example Corp</string></array></array>"
	    "<key></key><array><array><string>com.example.unsigned</string>"
	    "<string>Unidentified - U</string></array></array></dict></dict></plist>");
	assert_int_equal(macext_machine_grandfathered(f->ctx, "ABCDE12345", "com.example.a", &gf,
						      &diag),
			 0);
	assert_true(gf);
	assert_int_equal(macext_machine_grandfathered(f->ctx, "ZYXWV98765", "com.example.a", &gf,
						      &diag),
			 0);
	assert_false(gf);
	assert_int_equal(macext_machine_grandfathered(f->ctx, "", "com.example.unsigned", &gf,
						      &diag),
			 0);
	assert_true(gf);
	assert_int_equal(macext_machine_grandfathered(f->ctx, "", "com.example.a", &gf, &diag), 0);
	assert_false(gf);
	put(f, ".macext/migration.plist",
	    "<plist version=\"1.0\"><dict><key>SignedKernelExtensions</key><array/></dict>"
	    "</plist>");
	assert_int_equal(macext_machine_grandfathered(f->ctx, "", "x", &gf, &diag),
			 MACEXT_E_BAD_MACHINE);
	assert_non_null(strstr(diag.msg, "migration.plist"));
}

static const char kext_plist[] =
	"<plist version=\"1.0\"><dict><key>CFBundleIdentifier</key><string>%s</string>"
	"<key>CFBundlePackageType</key><string>KEXT</string><key>CFBundleVersion</key>"
	"<string>1.0</string></dict></plist>";

static void put_kext(struct fx *f, const char *dir, const char *id)
{
	char *rel = mx_asprintf("%s/Contents/Info.plist", dir), *text = mx_asprintf(kext_plist, id);

	put(f, rel, text);
	mx_free(rel);
	mx_free(text);
}

static char *release_of(struct fx *f)
{
	struct macext_machine_info *m = NULL;
	char v[16];

	assert_int_equal(macext_machine_load(f->ctx, &m, NULL), 0);
	macext_macos_format(&m->macos, v);
	macext_machine_info_free(m);
	return mx_strdup(v);
}

static void test_upgrade_grandfathers_once(void **state)
{
	struct fx *f = *state;
	struct macext_machine_upgrade_result res;
	struct macext_macos_version v;
	struct macext_diag diag = {0};
	char *s;
	bool gf;

	put_kext(f, "Library/Extensions/A.kext", "com.example.a");
	put_kext(f, "Applications/X.app/Contents/Library/Extensions/B.kext", "com.example.b");
	put_kext(f, "Library/Application Support/Y/deep/er/C.kext", "com.example.c");
	put_kext(f, "Library/Extensions/Apple.kext", "com.apple.driver.Mine");
	put_kext(f, "Library/StagedExtensions/S.kext", "com.example.staged");
	assert_int_equal(macext_macos_parse("10.13.6", &v), 0);
	assert_int_equal(macext_machine_upgrade(f->ctx, &v, &res, &diag), 0);
	assert_true(res.migrated);
	assert_int_equal(res.ngrandfathered, 3);
	assert_int_equal(res.from.minor, 12);
	assert_int_equal(res.to.minor, 13);
	s = release_of(f);
	assert_string_equal(s, "10.13.6");
	mx_free(s);
	for (const char *const *id = (const char *const[]){"com.example.a", "com.example.b",
							     "com.example.c", NULL};
	     *id; id++) {
		assert_int_equal(macext_machine_grandfathered(f->ctx, "", *id, &gf, &diag), 0);
		assert_true(gf);
	}
	assert_int_equal(macext_machine_grandfathered(f->ctx, "", "com.apple.driver.Mine", &gf,
						      &diag),
			 0);
	assert_false(gf);
	assert_int_equal(macext_machine_grandfathered(f->ctx, "", "com.example.staged", &gf,
						      &diag),
			 0);
	assert_false(gf);
	/* A kext installed on 10.13 is not grandfathered by a later upgrade. */
	put_kext(f, "Library/Extensions/Later.kext", "com.example.later");
	assert_int_equal(macext_macos_parse("11", &v), 0);
	assert_int_equal(macext_machine_upgrade(f->ctx, &v, &res, &diag), 0);
	assert_false(res.migrated);
	assert_int_equal(res.ngrandfathered, 0);
	assert_int_equal(macext_machine_grandfathered(f->ctx, "", "com.example.later", &gf, &diag),
			 0);
	assert_false(gf);
	/* The Apple kexts follow the release: the exclude list carries Darwin 20's version. */
	s = slurp(f, "System/Library/Extensions/AppleKextExcludeList.kext/Contents/Info.plist",
		  NULL);
	assert_non_null(strstr(s, "<string>20.0.0</string>"));
	mx_free(s);
}

static void test_upgrade_backwards_refused(void **state)
{
	struct fx *f = *state;
	struct macext_macos_version v;
	struct macext_diag diag = {0};
	char *before = slurp(f, ".macext/machine.plist", NULL), *after, *s;

	assert_int_equal(macext_macos_parse("10.12.6", &v), 0);
	assert_int_equal(macext_machine_upgrade(f->ctx, &v, NULL, &diag), MACEXT_E_USAGE);
	assert_non_null(strstr(diag.msg, "forward only"));
	assert_int_equal(macext_macos_parse("10.12", &v), 0);
	assert_int_equal(macext_machine_upgrade(f->ctx, &v, NULL, &diag), MACEXT_E_USAGE);
	after = slurp(f, ".macext/machine.plist", NULL);
	assert_string_equal(before, after);
	assert_false(mx_exists(s = mx_path_join(f->root, ".macext/migration.plist")));
	mx_free(s);
	mx_free(before);
	mx_free(after);
}

static void test_upgrade_atomic_under_alloc_failure(void **state)
{
	struct fx *f = *state;
	struct macext_machine_upgrade_result res;
	struct macext_macos_version v;
	const char *ex = "System/Library/Extensions/AppleKextExcludeList.kext/Contents/Info.plist";
	char *old_ex = slurp(f, ex, NULL), *s;
	long fails = 0;
	int r = -1;

	put_kext(f, "Library/Extensions/A.kext", "com.example.a");
	assert_int_equal(macext_macos_parse("10.14.6", &v), 0);
	for (long at = 1; at < 100000 && r != 0; at += at < 400 ? 1 : 97) {
		struct macext_diag diag = {0};

		mx_alloc_fail_at(at);
		r = macext_machine_upgrade(f->ctx, &v, &res, &diag);
		mx_alloc_fail_at(0);
		if (r == 0)
			break;
		assert_int_equal(r, -ENOMEM);
		fails++;
		s = release_of(f);
		assert_string_equal(s, "10.12.6");
		mx_free(s);
		s = slurp(f, ex, NULL);
		assert_string_equal(s, old_ex);
		mx_free(s);
	}
	assert_int_equal(r, 0);
	assert_true(fails > 0);
	assert_true(res.migrated);
	assert_int_equal(res.ngrandfathered, 1);
	s = release_of(f);
	assert_string_equal(s, "10.14.6");
	mx_free(s);
	mx_free(old_ex);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_keeps_other_keys_and_logs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_is_bad_machine_and_untouched, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_machine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_is_atomic_under_alloc_failure, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_grandfathered_reads_migration_plist, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_grandfathers_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_backwards_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_atomic_under_alloc_failure, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
