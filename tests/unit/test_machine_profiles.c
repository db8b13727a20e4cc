/* tests/unit/test_machine_profiles.c: installed profiles (lib/machine/profiles.c): the merge
 * of hand-built payloads, the kext_policy_mdm mirror, and that a failed change (every
 * allocation made to fail in turn) leaves the index, the stored files and the store as
 * they were. */
#define _GNU_SOURCE
#include <dirent.h>
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

#include <cmocka.h>

#include "macext/finding.h"
#include "macext/machine.h"
#include "machine/profiles.h"
#include "util/alloc.h"
#include "util/file.h"

#define NOW 1793491200 /* 2026-11-01T00:00:00Z */

/* ---- the merge on hand-built payloads ---------------------------------------------- */

/* A writable string (the payload fields are char *). */
#define W(s) ((char[]){s})

static char *team_a[] = {W("AAAAAAAAAA")};
static char *team_b[] = {W("AAAAAAAAAA"), W("CCCCCCCCCC")};
static char *bundles_1[] = {W("com.b.one")};
static char *bundles_2[] = {W("com.a.two"), W("com.b.one")};
static char *net[] = {W("NetworkExtension")};
static char *drv[] = {W("DriverExtension")};
static char *sys_team[] = {W("SSSSSSSSSS")};

static const struct macext_effective_entry *find(const struct macext_effective_policy *p,
						 const char *kind, const char *team,
						 const char *item)
{
	for (size_t i = 0; i < p->nentries; i++) {
		const struct macext_effective_entry *e = &p->entries[i];

		if (strcmp(e->kind, kind) == 0 && strcmp(e->team_id, team) == 0 &&
		    ((!item && !e->item) || (item && e->item && strcmp(item, e->item) == 0)))
			return e;
	}
	return NULL;
}

static void test_merge(void **state)
{
	struct mx_team_list kx_a[] = {{W("BBBBBBBBBB"), bundles_1, 1}};
	struct mx_team_list kx_b[] = {{W("AAAAAAAAAA"), bundles_2, 2},
				      {W("BBBBBBBBBB"), bundles_1, 1}};
	struct mx_team_list ty_c[] = {{W("SSSSSSSSSS"), net, 1}};
	struct mx_team_list ty_d[] = {{W("SSSSSSSSSS"), drv, 1}};
	struct mx_payload v[4] = {
		{.profile_id = W("p.a"), .payload_uuid = W("UA"), .teams = team_a, .nteams = 1,
		 .allowed = {kx_a, 1}, .user_overrides = MACEXT_TRUE},
		{.profile_id = W("p.b"), .payload_uuid = W("UB"), .teams = team_b, .nteams = 2,
		 .allowed = {kx_b, 2}, .user_overrides = MACEXT_FALSE, .non_admin = MACEXT_TRUE},
		{.sysext = true, .profile_id = W("p.c"), .payload_uuid = W("UC"), .teams = sys_team,
		 .nteams = 1, .types = {ty_c, 1}},
		{.sysext = true, .profile_id = W("p.d"), .payload_uuid = W("UD"), .types = {ty_d, 1},
		 .user_overrides = MACEXT_FALSE},
	};
	struct macext_effective_policy p;
	const struct macext_effective_entry *e;
	struct macext_kext_policy_mdm *rows;
	size_t n;

	(void)state;
	assert_int_equal(mx_profiles_merge(v, 4, &p), 0);
	assert_int_equal(p.nkext_payloads, 2);
	assert_int_equal(p.nsysext_payloads, 2);
	/* explicit false wins, the conflict is recorded and names the first false payload */
	assert_false(p.kext_user_overrides.value);
	assert_true(p.kext_user_overrides.conflict);
	assert_string_equal(p.kext_user_overrides.by.payload_uuid, "UB");
	assert_true(p.kext_non_admin.value);
	assert_false(p.kext_non_admin.conflict);
	assert_false(p.sysext_user_overrides.value);
	assert_string_equal(p.sysext_user_overrides.by.profile_id, "p.d");
	/* union; U-2 per payload: AAAAAAAAAA team-wide from p.a, shadowed in p.b */
	e = find(&p, "kext-team", "AAAAAAAAAA", NULL);
	assert_non_null(e);
	assert_int_equal(e->nfrom, 1);
	assert_string_equal(e->from[0].payload_uuid, "UA");
	e = find(&p, "kext-team-shadowed", "AAAAAAAAAA", NULL);
	assert_non_null(e);
	assert_string_equal(e->from[0].payload_uuid, "UB");
	assert_non_null(find(&p, "kext-team", "CCCCCCCCCC", NULL));
	e = find(&p, "kext", "BBBBBBBBBB", "com.b.one");
	assert_non_null(e);
	assert_int_equal(e->nfrom, 2);
	assert_string_equal(e->from[0].profile_id, "p.a");
	assert_string_equal(e->from[1].profile_id, "p.b");
	assert_non_null(find(&p, "kext", "AAAAAAAAAA", "com.a.two"));
	/* types: union per team */
	assert_non_null(find(&p, "sysext-type", "SSSSSSSSSS", "NetworkExtension"));
	assert_non_null(find(&p, "sysext-type", "SSSSSSSSSS", "DriverExtension"));
	assert_non_null(find(&p, "sysext-team", "SSSSSSSSSS", NULL));
	assert_int_equal(p.nentries, 9);
	/* the mirror: kext and kext-team entries only, shadowed teams left out */
	assert_int_equal(mx_profiles_mdm_rows(&p, &rows, &n), 0);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++) {
		if (!rows[i].bundle_id)
			assert_true(strcmp(rows[i].team_id, "AAAAAAAAAA") == 0 ||
				    strcmp(rows[i].team_id, "CCCCCCCCCC") == 0);
		if (rows[i].bundle_id && strcmp(rows[i].bundle_id, "com.b.one") == 0 &&
		    strcmp(rows[i].team_id, "BBBBBBBBBB") == 0)
			assert_string_equal(rows[i].payload_uuid, "UA");
	}
	mx_free(rows);
	/* the sysext rules by release */
	mx_profiles_machine_fields(&p, &(struct macext_macos_version){11, 2, 3}, "ade");
	assert_int_equal(p.sysext_changes, MACEXT_SYSEXT_CHANGES_LATER_REQUESTS);
	mx_profiles_machine_fields(&p, &(struct macext_macos_version){11, 3, 0}, "none");
	assert_int_equal(p.sysext_changes, MACEXT_SYSEXT_CHANGES_ACT_ON_STATE);
	assert_false(p.kext_honoured);
	assert_false(p.removable_honoured);
	mx_profiles_machine_fields(&p, &(struct macext_macos_version){12, 0, 1}, "user-approved");
	assert_true(p.kext_honoured);
	assert_true(p.removable_honoured);
	assert_false(p.non_removable_honoured);
	macext_effective_policy_clear(&p);

	/* every allocation of the merge failing in turn: an error and an empty result */
	for (long i = 1;; i++) {
		int r;

		mx_alloc_fail_at(i);
		r = mx_profiles_merge(v, 4, &p);
		mx_alloc_fail_at(0);
		if (r == 0) {
			macext_effective_policy_clear(&p);
			break;
		}
		assert_int_equal(r, -ENOMEM);
		assert_int_equal(p.nentries, 0);
		assert_null(p.entries);
	}
}

/* ---- on a modeled Mac ------------------------------------------------------------------- */

struct fx {
	char parent[64];
	char *root;
	struct macext_ctx *ctx;
};

static const char profile_a[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>"
	"<key>PayloadIdentifier</key><string>com.example.a</string>"
	"<key>PayloadUUID</key><string>AAAAAAAA-0000-1000-8000-000000000000</string>"
	"<key>PayloadType</key><string>Configuration</string>"
	"<key>PayloadVersion</key><integer>1</integer><key>PayloadContent</key><array>"
	"<dict><key>PayloadType</key><string>com.apple.syspolicy.kernel-extension-policy</string>"
	"<key>PayloadIdentifier</key><string>com.example.a.k</string>"
	"<key>PayloadUUID</key><string>AAAAAAAA-0000-1000-8000-000000000001</string>"
	"<key>PayloadVersion</key><integer>1</integer>"
	"<key>AllowedTeamIdentifiers</key><array><string>ABCDE12345</string></array>"
	"<key>AllowedKernelExtensions</key><dict><key></key><array><string>com.x.unsigned"
	"</string></array><key>UBF8T346G9</key><array><string>com.ms.one</string></array></dict>"
	"</dict></array></dict></plist>\n";

static const char profile_b[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>"
	"<key>PayloadIdentifier</key><string>com.example.b</string>"
	"<key>PayloadUUID</key><string>BBBBBBBB-0000-1000-8000-000000000000</string>"
	"<key>PayloadType</key><string>Configuration</string>"
	"<key>PayloadVersion</key><integer>1</integer><key>PayloadContent</key><array>"
	"<dict><key>PayloadType</key><string>com.apple.syspolicy.kernel-extension-policy</string>"
	"<key>PayloadIdentifier</key><string>com.example.b.k</string>"
	"<key>PayloadUUID</key><string>BBBBBBBB-0000-1000-8000-000000000001</string>"
	"<key>PayloadVersion</key><integer>1</integer><key>AllowUserOverrides</key><false/>"
	"<key>AllowedTeamIdentifiers</key><array><string>QRSTU13579</string></array>"
	"</dict></array></dict></plist>\n";

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct macext_machine_init_opts o = {.arch = "x86_64", .password = "pw",
					     .enrollment = "user-approved"};
	struct macext_diag d = {0};

	snprintf(f->parent, sizeof(f->parent), "/tmp/macext-profiles-XXXXXX");
	assert_non_null(mkdtemp(f->parent));
	f->root = mx_path_join(f->parent, "mac");
	assert_int_equal(macext_ctx_new(&f->ctx, NOW), 0);
	assert_int_equal(macext_ctx_set_root(f->ctx, f->root), 0);
	assert_int_equal(macext_machine_init(f->ctx, &o, &d), 0);
	*state = f;
	return 0;
}

static int rm_entry(const char *p, const struct stat *st, int fl, struct FTW *ftw)
{
	(void)st;
	(void)fl;
	(void)ftw;
	return remove(p);
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

static int install(struct fx *f, const char *text, struct macext_profiles_result *res)
{
	struct macext_findings fi = {0};
	struct macext_diag d = {0};
	int r = macext_profiles_install(f->ctx, text, strlen(text), "p.mobileconfig", 0, &fi, res,
					&d);

	macext_findings_clear(&fi);
	return r;
}

/* The state a failed change must not touch: index bytes, stored files, mirror rows. */
struct snapshot {
	char *index;
	size_t index_len;
	size_t nfiles;
	char rows[1024];
};

static int row_cb(void *u, const struct macext_kext_policy_mdm *m)
{
	char *s = u;
	size_t l = strlen(s);

	snprintf(s + l, 1024 - l, "%s|%s|%s;", m->team_id, m->bundle_id ? m->bundle_id : "NULL",
		 m->payload_uuid);
	return 0;
}

static void snap(struct fx *f, struct snapshot *s)
{
	char *p = mx_path_join(f->root, MX_PROFILES_INDEX), *dir;
	struct macext_store *st = NULL;
	struct macext_diag d = {0};
	struct dirent *de;
	DIR *dh;

	memset(s, 0, sizeof(*s));
	assert_int_equal(mx_read_file(p, 1 << 20, &s->index, &s->index_len, NULL), 0);
	mx_free(p);
	dir = mx_path_join(f->root, MX_PROFILES_DIR);
	dh = opendir(dir);
	assert_non_null(dh);
	while ((de = readdir(dh)))
		s->nfiles += de->d_name[0] != '.';
	closedir(dh);
	mx_free(dir);
	p = mx_path_join(f->root, MX_KEXTPOLICY_DB);
	assert_int_equal(macext_store_open(&st, "sqlite", p, MACEXT_STORE_READ_ONLY, &d), 0);
	assert_int_equal(macext_store_mdm_policy_foreach(st, row_cb, s->rows), 0);
	macext_store_close(st);
	mx_free(p);
}

static void snap_equal(const struct snapshot *a, const struct snapshot *b)
{
	assert_int_equal(a->index_len, b->index_len);
	assert_memory_equal(a->index, b->index, a->index_len);
	assert_int_equal(a->nfiles, b->nfiles);
	assert_string_equal(a->rows, b->rows);
}

static void test_mirror(void **state)
{
	struct fx *f = *state;
	struct macext_profiles_result res;
	struct macext_mdm_kext_payload *v = NULL;
	struct macext_diag d = {0};
	struct snapshot s;
	size_t n = 0;

	assert_int_equal(install(f, profile_a, &res), 0);
	assert_int_equal(res.status, MACEXT_PROFILES_DONE);
	assert_int_equal(res.kext_rows, 3);
	macext_profiles_result_clear(&res);
	snap(f, &s);
	assert_string_equal(s.rows, "|com.x.unsigned|AAAAAAAA-0000-1000-8000-000000000001;"
				    "ABCDE12345|NULL|AAAAAAAA-0000-1000-8000-000000000001;"
				    "UBF8T346G9|com.ms.one|AAAAAAAA-0000-1000-8000-000000000001;");
	assert_int_equal(s.nfiles, 2);
	mx_free(s.index);
	assert_int_equal(install(f, profile_b, &res), 0);
	assert_int_equal(res.kext_rows, 4);
	assert_true(res.before.kext_user_overrides.value == false);
	assert_true(res.after.kext_user_overrides.set);
	macext_profiles_result_clear(&res);

	/* the view the kext decisions read: install order, strings owned */
	assert_int_equal(macext_mdm_kext_payloads(f->ctx, &v, &n, &d), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].profile_id, "com.example.a");
	assert_int_equal(v[0].nallowed_kexts, 2);
	assert_int_equal(v[0].allow_user_overrides, MACEXT_UNSET);
	assert_string_equal(v[1].allowed_teams[0], "QRSTU13579");
	assert_int_equal(v[1].allow_user_overrides, MACEXT_FALSE);
	macext_mdm_kext_payloads_free(v, n);

	/* remove drops the rows of its payloads */
	assert_int_equal(macext_profiles_remove(f->ctx, "com.example.a", 0, &res, &d), 0);
	assert_int_equal(res.status, MACEXT_PROFILES_DONE);
	assert_int_equal(res.kext_rows, 1);
	assert_int_equal(res.nrevoked, 3);
	macext_profiles_result_clear(&res);
	snap(f, &s);
	assert_string_equal(s.rows, "QRSTU13579|NULL|BBBBBBBB-0000-1000-8000-000000000001;");
	assert_int_equal(s.nfiles, 2);
	mx_free(s.index);
	assert_int_equal(macext_profiles_remove(f->ctx, "com.example.a", 0, &res, &d), -ENOENT);
}

static void test_failure_keeps_state(void **state)
{
	struct fx *f = *state;
	struct macext_profiles_result res;
	struct macext_diag d = {0};
	struct snapshot before, after;
	long i;
	int r;

	assert_int_equal(install(f, profile_a, &res), 0);
	macext_profiles_result_clear(&res);
	snap(f, &before);
	for (i = 1;; i++) {
		mx_alloc_fail_at(i);
		r = install(f, profile_b, &res);
		mx_alloc_fail_at(0);
		if (r == 0)
			break;
		assert_int_equal(r, -ENOMEM);
		snap(f, &after);
		snap_equal(&before, &after);
		mx_free(after.index);
	}
	assert_true(i > 10);
	assert_int_equal(res.status, MACEXT_PROFILES_DONE);
	macext_profiles_result_clear(&res);
	mx_free(before.index);
	snap(f, &before);
	for (i = 1;; i++) {
		mx_alloc_fail_at(i);
		r = macext_profiles_remove(f->ctx, "com.example.a", 0, &res, &d);
		mx_alloc_fail_at(0);
		if (r == 0)
			break;
		assert_int_equal(r, -ENOMEM);
		snap(f, &after);
		snap_equal(&before, &after);
		mx_free(after.index);
	}
	macext_profiles_result_clear(&res);
	mx_free(before.index);
	snap(f, &after);
	assert_string_equal(after.rows, "QRSTU13579|NULL|BBBBBBBB-0000-1000-8000-000000000001;");
	mx_free(after.index);
}

static void test_enrollment_refused(void **state)
{
	struct fx *f = *state;
	struct macext_profiles_result res;
	struct macext_findings fi = {0};
	struct macext_diag d = {0};

	assert_int_equal(macext_profiles_install(f->ctx, profile_a, strlen(profile_a), "a",
						 MACEXT_PROFILES_MANUAL, &fi, &res, &d),
			 0);
	assert_int_equal(res.status, MACEXT_PROFILES_REFUSED);
	assert_string_equal(res.reason, "com.apple.syspolicy.kernel-extension-policy can only be "
					"installed by a user-approved MDM");
	macext_profiles_result_clear(&res);
	macext_findings_clear(&fi);
	assert_int_equal(macext_profiles_remove(f->ctx, "com.example.a", 0, &res, &d), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge),
		cmocka_unit_test_setup_teardown(test_mirror, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_keeps_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enrollment_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
