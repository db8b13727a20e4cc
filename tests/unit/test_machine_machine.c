/* tests/unit/test_machine_machine.c: machine init / load / accounts (lib/machine). */
#define _GNU_SOURCE
#include <dirent.h>
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
#include <openssl/evp.h>
#include <plist/plist.h>

#include "macext/machine.h"
#include "test_helpers.h"
#include "util/alloc.h"
#include "util/file.h"

#define NOW 1793491200 /* 2026-11-01T00:00:00Z */

struct fx {
	char parent[64];
	char *root;
	struct macext_ctx *ctx;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	test_mkdtemp(f->parent, sizeof(f->parent), "machine");
	f->root = mx_path_join(f->parent, "mac");
	assert_int_equal(macext_ctx_new(&f->ctx, NOW), 0);
	assert_int_equal(macext_ctx_set_root(f->ctx, f->root), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	test_rmtree(f->parent);
	macext_ctx_free(f->ctx);
	mx_free(f->root);
	free(f);
	return 0;
}

static struct macext_machine_init_opts default_opts(struct macext_macos_version *v)
{
	struct macext_machine_init_opts o = {0};

	assert_int_equal(macext_macos_parse("10.15.7", v), 0);
	o.arch = "x86_64";
	o.macos = v;
	o.admin = "alice";
	o.password = "correct horse";
	o.enrollment = "ade";
	return o;
}

static bool exists_under(const char *root, const char *rel, mode_t *mode, off_t *size)
{
	char *p = mx_path_join(root, rel);
	struct stat st;
	bool ok = stat(p, &st) == 0;

	if (ok && mode)
		*mode = st.st_mode & 0777;
	if (ok && size)
		*size = st.st_size;
	mx_free(p);
	return ok;
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void test_init_writes_the_layout(void **state)
{
	struct fx *f = *state;
	struct macext_macos_version v;
	struct macext_machine_init_opts o = default_opts(&v);
	struct macext_diag diag = {0};
	mode_t mode = 0;
	off_t size = -1;

	assert_int_equal(macext_machine_init(f->ctx, &o, &diag), 0);
	assert_true(exists_under(f->root, ".macext/machine.plist", NULL, NULL));
	assert_true(exists_under(f->root, ".macext/nvram.plist", NULL, NULL));
	assert_true(exists_under(f->root, ".macext/accounts.plist", &mode, NULL));
	assert_int_equal(mode, 0600);
	assert_true(exists_under(f->root, ".macext/sep/key.pem", &mode, NULL));
	assert_int_equal(mode, 0600);
	assert_true(exists_under(f->root, ".macext/sep", &mode, NULL));
	assert_int_equal(mode, 0700);
	assert_true(exists_under(f->root, ".macext/log.jsonl", NULL, &size));
	assert_int_equal(size, 0);
	assert_true(exists_under(f->root, "Library/StagedExtensions", NULL, NULL));
	assert_true(exists_under(f->root, "Library/Application Support", NULL, NULL));
	assert_true(exists_under(f->root, "var/db/SystemPolicyConfiguration", NULL, NULL));
	assert_true(exists_under(f->root, "System/Library/Extensions/System.kext/PlugIns/"
					  "BSDKernel.kext/Info.plist",
				 NULL, NULL));
	assert_true(exists_under(f->root, "System/Library/Extensions/AppleKextExcludeList.kext/"
					  "Contents/Info.plist",
				 NULL, NULL));
	/* nothing left beside the root */
	assert_int_equal(count_entries(f->parent), 1);
}

static void test_load_reads_back(void **state)
{
	struct fx *f = *state;
	struct macext_macos_version v;
	struct macext_machine_init_opts o = default_opts(&v);
	struct macext_machine_info *m = NULL;
	struct macext_diag diag = {0};

	assert_int_equal(macext_machine_load(f->ctx, &m, &diag), -ENOENT);
	assert_int_equal(macext_machine_init(f->ctx, &o, &diag), 0);
	assert_int_equal(macext_machine_load(f->ctx, &m, &diag), 0);
	assert_string_equal(m->arch, "x86_64");
	assert_int_equal(m->macos.major, 10);
	assert_int_equal(m->macos.minor, 15);
	assert_int_equal(m->macos.patch, 7);
	assert_string_equal(m->enrollment, "ade");
	assert_int_equal(m->created, NOW);
	assert_int_equal(m->csr_active_config, 0);
	assert_string_equal(m->boot_state, "normal");
	assert_int_equal(strlen(m->volume_group_uuid), 36);
	assert_int_equal(m->volume_group_uuid[14], '4'); /* version 4 */
	assert_non_null(strchr("89AB", m->volume_group_uuid[19]));
	assert_int_equal(m->naccounts, 1);
	assert_string_equal(m->accounts[0].name, "alice");
	assert_true(m->accounts[0].admin);
	assert_true(m->accounts[0].owner);
	assert_true(m->nsystem_kexts >= 5);
	assert_int_equal(m->ntrust_anchors, 0);
	macext_machine_info_free(m);
}

static void test_password_hash(void **state)
{
	struct fx *f = *state;
	struct macext_macos_version v;
	struct macext_machine_init_opts o = default_opts(&v);
	struct macext_diag diag = {0};
	plist_t top = NULL, u, pw;
	char *buf = NULL, *salt = NULL, *hash = NULL, *path;
	uint64_t iterations = 0, saltlen = 0, hashlen = 0;
	uint8_t want[32];
	size_t len = 0;

	assert_int_equal(macext_machine_init(f->ctx, &o, &diag), 0);
	assert_int_equal(macext_machine_check_password(f->ctx, "alice", "correct horse", &diag), 0);
	assert_int_equal(macext_machine_check_password(f->ctx, "alice", "correct horsE", &diag),
			 -EACCES);
	assert_int_equal(macext_machine_check_password(f->ctx, "alice", "", &diag), -EACCES);
	assert_int_equal(macext_machine_check_password(f->ctx, "mallory", "correct horse", &diag),
			 -EACCES);

	/* The stored record is PBKDF2-HMAC-SHA256 over a 16-byte salt, >= 100000 rounds. */
	path = mx_path_join(f->root, ".macext/accounts.plist");
	assert_int_equal(mx_read_file(path, 1 << 20, &buf, &len, NULL), 0);
	assert_null(strstr(buf, "correct horse"));
	plist_from_memory(buf, (uint32_t)len, &top);
	u = plist_array_get_item(plist_dict_get_item(top, "users"), 0);
	pw = plist_dict_get_item(u, "password");
	plist_get_uint_val(plist_dict_get_item(pw, "iterations"), &iterations);
	plist_get_data_val(plist_dict_get_item(pw, "salt"), &salt, &saltlen);
	plist_get_data_val(plist_dict_get_item(pw, "hash"), &hash, &hashlen);
	assert_true(iterations >= 100000);
	assert_int_equal(saltlen, 16);
	assert_int_equal(hashlen, 32);
	assert_int_equal(PKCS5_PBKDF2_HMAC("correct horse", 13, (uint8_t *)salt, 16,
					   (int)iterations, EVP_sha256(), 32, want),
			 1);
	assert_memory_equal(want, hash, 32);
	free(salt);
	free(hash);
	plist_free(top);
	mx_free(buf);
	mx_free(path);
}

static void test_reinit_refused_then_forced(void **state)
{
	struct fx *f = *state;
	struct macext_macos_version v;
	struct macext_machine_init_opts o = default_opts(&v);
	struct macext_machine_info *a = NULL, *b = NULL;
	struct macext_diag diag = {0};

	assert_int_equal(macext_machine_init(f->ctx, &o, &diag), 0);
	assert_int_equal(macext_machine_load(f->ctx, &a, &diag), 0);
	memset(&diag, 0, sizeof(diag));
	assert_int_equal(macext_machine_init(f->ctx, &o, &diag), -EEXIST);
	assert_int_equal(diag.code, -EEXIST);
	assert_non_null(strstr(diag.msg, "--force"));
	assert_int_equal(macext_machine_load(f->ctx, &b, &diag), 0);
	assert_string_equal(a->volume_group_uuid, b->volume_group_uuid);
	macext_machine_info_free(b);

	o.flags = MACEXT_MACHINE_INIT_FORCE;
	o.arch = "arm64";
	assert_int_equal(macext_machine_init(f->ctx, &o, &diag), 0);
	assert_int_equal(macext_machine_load(f->ctx, &b, &diag), 0);
	assert_string_equal(b->arch, "arm64");
	assert_string_not_equal(a->volume_group_uuid, b->volume_group_uuid);
	assert_int_equal(count_entries(f->parent), 1); /* the old root is gone */
	macext_machine_info_free(a);
	macext_machine_info_free(b);
}

static void test_bad_options_create_nothing(void **state)
{
	struct fx *f = *state;
	struct macext_macos_version v;
	struct macext_machine_init_opts o = default_opts(&v);
	struct macext_diag diag = {0};
	char *pem = mx_path_join(f->parent, "not-a-cert.pem");

	o.arch = "ppc";
	assert_int_equal(macext_machine_init(f->ctx, &o, &diag), MACEXT_E_USAGE);
	assert_non_null(strstr(diag.msg, "ppc"));
	o = default_opts(&v);
	o.enrollment = "maybe";
	assert_int_equal(macext_machine_init(f->ctx, &o, &diag), MACEXT_E_USAGE);
	o = default_opts(&v);
	o.admin = "-root";
	assert_int_equal(macext_machine_init(f->ctx, &o, &diag), MACEXT_E_USAGE);

	o = default_opts(&v);
	o.trust_anchor = pem;
	assert_int_equal(macext_machine_init(f->ctx, &o, &diag), -ENOENT);
	assert_int_equal(mx_write_atomic(pem, "hello\n", 6, 0644), 0);
	memset(&diag, 0, sizeof(diag));
	assert_int_equal(macext_machine_init(f->ctx, &o, &diag), -EBADMSG);
	assert_non_null(strstr(diag.msg, "not a PEM X.509 certificate"));
	assert_false(mx_exists(f->root));
	assert_int_equal(count_entries(f->parent), 1); /* only the bad PEM */
	mx_free(pem);
}

static void test_adduser(void **state)
{
	struct fx *f = *state;
	struct macext_macos_version v;
	struct macext_machine_init_opts o = default_opts(&v);
	struct macext_machine_info *m = NULL;
	struct macext_diag diag = {0};

	assert_int_equal(macext_machine_adduser(f->ctx, "bob", "pw", false, &diag), -ENOENT);
	assert_int_equal(macext_machine_init(f->ctx, &o, &diag), 0);
	assert_int_equal(macext_machine_adduser(f->ctx, "bob", "hunter2", false, &diag), 0);
	assert_int_equal(macext_machine_adduser(f->ctx, "bob", "x", true, &diag), -EEXIST);
	assert_int_equal(macext_machine_adduser(f->ctx, "b/ob", "x", true, &diag), MACEXT_E_USAGE);
	assert_int_equal(macext_machine_check_password(f->ctx, "bob", "hunter2", &diag), 0);
	assert_int_equal(macext_machine_check_password(f->ctx, "bob", "correct horse", &diag),
			 -EACCES);
	assert_int_equal(macext_machine_load(f->ctx, &m, &diag), 0);
	assert_int_equal(m->naccounts, 2);
	assert_string_equal(m->accounts[1].name, "bob");
	assert_false(m->accounts[1].admin);
	assert_false(m->accounts[1].owner);
	macext_machine_info_free(m);
}

/* Every allocation of init fails in turn: each run must fail with -ENOMEM and leave no
 * root and no temporary sibling, until one run gets through. */
static void test_init_atomic_under_alloc_failure(void **state)
{
	struct fx *f = *state;
	struct macext_macos_version v;
	struct macext_machine_init_opts o = default_opts(&v);
	long n;
	int r = -ENOMEM;

	for (n = 1; n < 100000 && r != 0; n++) {
		struct macext_diag diag = {0};

		mx_alloc_fail_at(n);
		r = macext_machine_init(f->ctx, &o, &diag);
		mx_alloc_fail_at(0);
		if (r == 0)
			break;
		assert_int_equal(r, -ENOMEM);
		assert_false(mx_exists(f->root));
		assert_int_equal(count_entries(f->parent), 0);
	}
	assert_int_equal(r, 0);
	assert_true(n > 10); /* init did allocate, and each failure was seen */
	assert_int_equal(count_entries(f->parent), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_writes_the_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_reads_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reinit_refused_then_forced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_options_create_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_adduser, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_atomic_under_alloc_failure, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
