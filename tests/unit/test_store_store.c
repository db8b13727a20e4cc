/*
 * tests/unit/test_store_store.c: the store (lib/store). One suite runs against every
 * backend as a parameter (STYLE.md §7.2); the tests after it need a file (the SQLite
 * backend): Apple's exact schema text, a forensic read of a KextPolicy built with the
 * sample rows of kexts.md §3.4, corrupt files left untouched, processes killed in the
 * middle of a change, and the 10,000-approval lookup rate.
 *
 * This test builds "real" KextPolicy files with the sqlite3 API directly, as syspolicyd
 * would, so that the store is checked against files it did not write.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "macext/store.h"
#include "test_helpers.h"
#include "util/alloc.h"
#include "util/file.h"

/* Apple's schema text, as kexts.md §3.2 prints it (not taken from lib/store/schema.sql). */
static const char *const apple_schema[] = {
	"CREATE TABLE kext_load_history_v3 ( path TEXT PRIMARY KEY, team_id TEXT, bundle_id "
	"TEXT, boot_uuid TEXT, created_at TEXT, last_seen TEXT, flags INTEGER )",
	"CREATE TABLE kext_policy ( team_id TEXT, bundle_id TEXT, allowed BOOLEAN, "
	"developer_name TEXT, flags INTEGER, PRIMARY KEY (team_id, bundle_id) )",
	"CREATE TABLE kext_policy_mdm ( team_id TEXT, bundle_id TEXT, allowed BOOLEAN, "
	"payload_uuid TEXT, PRIMARY KEY (team_id, bundle_id) )",
	"CREATE TABLE settings ( name TEXT, value TEXT, PRIMARY KEY (name) )",
};
static const char history_cdhash_sql[] =
	"CREATE TABLE kext_load_history_v3 ( path TEXT PRIMARY KEY, team_id TEXT, bundle_id "
	"TEXT, boot_uuid TEXT, created_at TEXT, last_seen TEXT, flags INTEGER , cdhash TEXT)";

struct backend {
	const char *name;
	bool persistent;
};
static const struct backend b_memory = {"memory", false};
static const struct backend b_sqlite = {"sqlite", true};

struct fx {
	const struct backend *b;
	char dir[64];
	char *path;
	struct macext_store *s;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->b = *state ? *state : &b_sqlite;
	test_mkdtemp(f->dir, sizeof(f->dir), "store");
	f->path = mx_path_join(f->dir, "KextPolicy");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	macext_store_close(f->s);
	test_rmtree(f->dir);
	mx_free(f->path);
	free(f);
	return 0;
}

static struct macext_store *open_rw(struct fx *f, unsigned flags)
{
	struct macext_diag d = {0};
	struct macext_store *s = NULL;
	int r = macext_store_open(&s, f->b->name, f->path, flags, &d);

	if (r != 0)
		fail_msg("open %s: %d %s", f->b->name, r, d.msg);
	return s;
}

static struct macext_kext_policy pol(const char *team, const char *bundle, bool allowed,
				     const char *dev, int64_t flags)
{
	struct macext_kext_policy p = {0};

	p.team_id = team;
	p.bundle_id = bundle;
	p.allowed = allowed;
	p.developer_name = dev;
	p.flags = flags;
	return p;
}

/* Collects foreach rows as "team|bundle|allowed|dev|flags" lines. */
struct lines {
	char buf[4096];
	int stop_after; /* 0: never stop */
	int n;
};

static void add_line(struct lines *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_line(struct lines *l, const char *fmt, ...)
{
	size_t len = strlen(l->buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->buf + len, sizeof(l->buf) - len, fmt, ap);
	va_end(ap);
	l->n++;
}

#define S(x) ((x) ? (x) : "(null)")

static int collect_policy(void *ud, const struct macext_kext_policy *p)
{
	struct lines *l = ud;

	add_line(l, "%s|%s|%d|%s|%lld\n", S(p->team_id), S(p->bundle_id), p->allowed,
		 S(p->developer_name), (long long)p->flags);
	return l->stop_after && l->n == l->stop_after ? 42 : 0;
}

static int collect_history(void *ud, const struct macext_kext_load_history *h)
{
	add_line(ud, "%s|%s|%s|%s|%s|%s|%lld|%s\n", S(h->path), S(h->team_id), S(h->bundle_id),
		 S(h->boot_uuid), S(h->created_at), S(h->last_seen), (long long)h->flags,
		 S(h->cdhash));
	return 0;
}

static int collect_mdm(void *ud, const struct macext_kext_policy_mdm *m)
{
	add_line(ud, "%s|%s|%d|%s\n", S(m->team_id), S(m->bundle_id), m->allowed,
		 S(m->payload_uuid));
	return 0;
}

static int collect_pending(void *ud, const struct macext_pending_approval *p)
{
	add_line(ud, "%s|%s|%s|%s|%lld\n", S(p->team_id), S(p->bundle_id), S(p->developer_name),
		 S(p->path), (long long)p->blocked_at);
	return 0;
}

static void put_samples(struct macext_store *s)
{
	struct macext_kext_policy p;

	p = pol("EG7KH642X6", "com.vmware.kext.vmnet", true, "VMware, Inc.", 8);
	assert_int_equal(macext_store_kext_policy_put(s, &p), 0);
	p = pol("54GTJ2AU36", "com.joshuawise.kexts.HoRNDIS", true, "Joshua Wise", 1);
	assert_int_equal(macext_store_kext_policy_put(s, &p), 0);
	p = pol("", "com.vgpu.probe", true, "Unidentified - vgpuProbe", 0);
	assert_int_equal(macext_store_kext_policy_put(s, &p), 0);
	p = pol("EG7KH642X6", "com.vmware.kext.vmx86", false, "VMware, Inc.", 0);
	assert_int_equal(macext_store_kext_policy_put(s, &p), 0);
}

static const char samples_all[] = "|com.vgpu.probe|1|Unidentified - vgpuProbe|0\n"
				  "54GTJ2AU36|com.joshuawise.kexts.HoRNDIS|1|Joshua Wise|1\n"
				  "EG7KH642X6|com.vmware.kext.vmnet|1|VMware, Inc.|8\n"
				  "EG7KH642X6|com.vmware.kext.vmx86|0|VMware, Inc.|0\n";

/* ---- the suite every backend runs ------------------------------------------------------ */

static void t_policy_roundtrip(void **state)
{
	struct fx *f = *state;
	struct macext_kext_policy got = {0}, p;
	struct lines l = {0};

	f->s = open_rw(f, 0);
	put_samples(f->s);

	assert_int_equal(macext_store_kext_policy_get(f->s, "EG7KH642X6", "com.vmware.kext.vmnet",
						      &got),
			 0);
	assert_string_equal(got.team_id, "EG7KH642X6");
	assert_string_equal(got.bundle_id, "com.vmware.kext.vmnet");
	assert_true(got.allowed);
	assert_string_equal(got.allowed_raw, "1");
	assert_string_equal(got.developer_name, "VMware, Inc.");
	assert_int_equal(got.flags, 8);
	macext_kext_policy_clear(&got);
	assert_null(got.mem);

	/* The empty Team ID is a key like any other. */
	assert_int_equal(macext_store_kext_policy_get(f->s, "", "com.vgpu.probe", &got), 0);
	assert_string_equal(got.developer_name, "Unidentified - vgpuProbe");
	macext_kext_policy_clear(&got);

	/* Missing: -ENOENT and RET untouched. */
	assert_int_equal(macext_store_kext_policy_get(f->s, "EG7KH642X6", "com.vgpu.probe", &got),
			 -ENOENT);
	assert_null(got.team_id);
	assert_int_equal(macext_store_diag(f->s)->code, -ENOENT);

	/* All rows, ordered bytewise by (team, bundle). */
	assert_int_equal(macext_store_kext_policy_foreach(f->s, NULL, NULL, collect_policy, &l), 0);
	assert_string_equal(l.buf, samples_all);
	/* By team. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(
		macext_store_kext_policy_foreach(f->s, "EG7KH642X6", NULL, collect_policy, &l), 0);
	assert_string_equal(l.buf, "EG7KH642X6|com.vmware.kext.vmnet|1|VMware, Inc.|8\n"
				   "EG7KH642X6|com.vmware.kext.vmx86|0|VMware, Inc.|0\n");
	/* By bundle. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(macext_store_kext_policy_foreach(f->s, NULL, "com.vgpu.probe",
							  collect_policy, &l),
			 0);
	assert_string_equal(l.buf, "|com.vgpu.probe|1|Unidentified - vgpuProbe|0\n");
	/* A callback's stop value comes back. */
	memset(&l, 0, sizeof(l));
	l.stop_after = 2;
	assert_int_equal(macext_store_kext_policy_foreach(f->s, NULL, NULL, collect_policy, &l),
			 42);
	assert_int_equal(l.n, 2);

	/* Put replaces the row with its key, every column as given. */
	p = pol("EG7KH642X6", "com.vmware.kext.vmx86", true, "VMware, Inc.", 0);
	assert_int_equal(macext_store_kext_policy_put(f->s, &p), 0);
	assert_int_equal(macext_store_kext_policy_get(f->s, "EG7KH642X6", "com.vmware.kext.vmx86",
						      &got),
			 0);
	assert_true(got.allowed);
	macext_kext_policy_clear(&got);

	/* Delete. */
	assert_int_equal(macext_store_kext_policy_delete(f->s, "", "com.vgpu.probe"), 0);
	assert_int_equal(macext_store_kext_policy_get(f->s, "", "com.vgpu.probe", &got), -ENOENT);
	assert_int_equal(macext_store_kext_policy_delete(f->s, "", "com.vgpu.probe"), -ENOENT);

	/* Arguments. */
	p = pol(NULL, "x", true, NULL, 0);
	assert_int_equal(macext_store_kext_policy_put(f->s, &p), -EINVAL);
	assert_int_equal(macext_store_kext_policy_foreach(f->s, NULL, NULL, NULL, NULL), -EINVAL);
}

static void t_transactions(void **state)
{
	struct fx *f = *state;
	struct macext_kext_policy got = {0}, p = pol("AAAAAAAAAA", "com.example.a", true, "A", 0);
	struct lines l = {0};

	f->s = open_rw(f, 0);
	assert_int_equal(macext_store_commit(f->s), -EINVAL);
	assert_int_equal(macext_store_rollback(f->s), -EINVAL);

	assert_int_equal(macext_store_begin(f->s), 0);
	assert_int_equal(macext_store_begin(f->s), -EINVAL);
	put_samples(f->s);
	assert_int_equal(macext_store_kext_policy_put(f->s, &p), 0);
	/* Visible inside the transaction. */
	assert_int_equal(macext_store_kext_policy_get(f->s, "AAAAAAAAAA", "com.example.a", &got),
			 0);
	macext_kext_policy_clear(&got);
	assert_int_equal(macext_store_rollback(f->s), 0);
	assert_int_equal(macext_store_kext_policy_get(f->s, "AAAAAAAAAA", "com.example.a", &got),
			 -ENOENT);
	assert_int_equal(macext_store_kext_policy_foreach(f->s, NULL, NULL, collect_policy, &l), 0);
	assert_int_equal(l.n, 0);

	assert_int_equal(macext_store_begin(f->s), 0);
	put_samples(f->s);
	assert_int_equal(macext_store_setting_set(f->s, "migrationPerformed", "YES"), 0);
	assert_int_equal(macext_store_commit(f->s), 0);
	assert_int_equal(macext_store_kext_policy_foreach(f->s, NULL, NULL, collect_policy, &l), 0);
	assert_string_equal(l.buf, samples_all);

	/* A transaction left open is rolled back by close. */
	assert_int_equal(macext_store_begin(f->s), 0);
	assert_int_equal(macext_store_kext_policy_put(f->s, &p), 0);
	if (f->b->persistent) {
		macext_store_close(f->s);
		f->s = open_rw(f, 0);
		assert_int_equal(
			macext_store_kext_policy_get(f->s, "AAAAAAAAAA", "com.example.a", &got),
			-ENOENT);
		memset(&l, 0, sizeof(l));
		assert_int_equal(
			macext_store_kext_policy_foreach(f->s, NULL, NULL, collect_policy, &l), 0);
		assert_string_equal(l.buf, samples_all);
	}
}

static void t_history(void **state)
{
	struct fx *f = *state;
	struct macext_kext_load_history h = {0};
	struct lines l = {0};

	f->s = open_rw(f, 0);
	h.path = "/Library/Extensions/VMwareGfx.kext";
	h.team_id = "EG7KH642X6";
	h.bundle_id = "com.vmware.kext.VMwareGfx";
	h.boot_uuid = "F5E8FB21-0D2A-4C3E-9B7F-1A2B3C4D5E6F";
	h.created_at = "2020-04-13 16:29:03";
	h.last_seen = "2020-04-13 16:30:58";
	h.flags = 55;
	assert_int_equal(macext_store_load_history_add(f->s, &h), 0);
	h.path = "/Library/Extensions/HoRNDIS.kext";
	h.team_id = "54GTJ2AU36";
	h.bundle_id = "com.joshuawise.kexts.HoRNDIS";
	h.flags = 16;
	assert_int_equal(macext_store_load_history_add(f->s, &h), 0);
	/* The same path again replaces its row. */
	h.last_seen = "2020-04-14 09:00:00";
	assert_int_equal(macext_store_load_history_add(f->s, &h), 0);
	/* No cdhash column in the 10.15 shape. */
	h.cdhash = "0123456789abcdef0123456789abcdef01234567";
	assert_int_equal(macext_store_load_history_add(f->s, &h), -ENOTSUP);

	assert_int_equal(macext_store_load_history_foreach(f->s, collect_history, &l), 0);
	assert_string_equal(l.buf,
			    "/Library/Extensions/HoRNDIS.kext|54GTJ2AU36|com.joshuawise.kexts."
			    "HoRNDIS|F5E8FB21-0D2A-4C3E-9B7F-1A2B3C4D5E6F|2020-04-13 16:29:03|"
			    "2020-04-14 09:00:00|16|(null)\n"
			    "/Library/Extensions/VMwareGfx.kext|EG7KH642X6|com.vmware.kext."
			    "VMwareGfx|F5E8FB21-0D2A-4C3E-9B7F-1A2B3C4D5E6F|2020-04-13 16:29:03|"
			    "2020-04-13 16:30:58|55|(null)\n");

	/* The macOS 11+ shape keeps the cdhash. */
	macext_store_close(f->s);
	f->s = NULL;
	remove(f->path);
	f->s = open_rw(f, MACEXT_STORE_CDHASH);
	assert_true(f->s->has_cdhash);
	assert_int_equal(macext_store_load_history_add(f->s, &h), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(macext_store_load_history_foreach(f->s, collect_history, &l), 0);
	assert_int_equal(l.n, 1);
	assert_non_null(strstr(l.buf, "|16|0123456789abcdef0123456789abcdef01234567\n"));
}

static void t_mdm(void **state)
{
	struct fx *f = *state;
	struct macext_kext_policy_mdm rows[] = {
		{"EG7KH642X6", "com.vmware.kext.vmnet", true, "11111111-2222-3333-4444-555555555555",
		 NULL},
		{"", "com.example.unsigned", true, "11111111-2222-3333-4444-555555555555", NULL},
		{"54GTJ2AU36", NULL, true, "66666666-2222-3333-4444-555555555555", NULL},
	};
	struct lines l = {0};

	f->s = open_rw(f, 0);
	assert_int_equal(macext_store_mdm_policy_foreach(f->s, collect_mdm, &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(macext_store_mdm_policy_replace_all(f->s, rows, 3), 0);
	assert_int_equal(macext_store_mdm_policy_foreach(f->s, collect_mdm, &l), 0);
	assert_string_equal(l.buf, "|com.example.unsigned|1|11111111-2222-3333-4444-555555555555\n"
				   "54GTJ2AU36|(null)|1|66666666-2222-3333-4444-555555555555\n"
				   "EG7KH642X6|com.vmware.kext.vmnet|1|"
				   "11111111-2222-3333-4444-555555555555\n");
	/* Replacing drops every old row. */
	assert_int_equal(macext_store_mdm_policy_replace_all(f->s, rows + 2, 1), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(macext_store_mdm_policy_foreach(f->s, collect_mdm, &l), 0);
	assert_string_equal(l.buf, "54GTJ2AU36|(null)|1|66666666-2222-3333-4444-555555555555\n");
	assert_int_equal(macext_store_mdm_policy_replace_all(f->s, NULL, 0), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(macext_store_mdm_policy_foreach(f->s, collect_mdm, &l), 0);
	assert_int_equal(l.n, 0);
	rows[0].team_id = NULL;
	assert_int_equal(macext_store_mdm_policy_replace_all(f->s, rows, 1), -EINVAL);
}

static void t_settings(void **state)
{
	struct fx *f = *state;
	char *v = (char *)"untouched";

	f->s = open_rw(f, 0);
	assert_int_equal(macext_store_setting_get(f->s, "migrationPerformed", &v), -ENOENT);
	assert_string_equal(v, "untouched");
	assert_int_equal(macext_store_setting_set(f->s, "migrationPerformed", "NO"), 0);
	assert_int_equal(macext_store_setting_set(f->s, "migrationPerformed", "YES"), 0);
	assert_int_equal(macext_store_setting_get(f->s, "migrationPerformed", &v), 0);
	assert_string_equal(v, "YES");
	free(v);
	assert_int_equal(macext_store_setting_set(f->s, "x", NULL), -EINVAL);
}

static void t_pending(void **state)
{
	struct fx *f = *state;
	struct macext_pending_approval p = {0}, got = {0};
	struct lines l = {0};

	f->s = open_rw(f, 0);
	p.team_id = "EG7KH642X6";
	p.bundle_id = "com.vmware.kext.vmnet";
	p.developer_name = "VMware, Inc.";
	p.path = "/Library/Extensions/vmnet.kext";
	p.blocked_at = 1793491200;
	assert_int_equal(macext_store_pending_add(f->s, &p), 0);
	p.team_id = "";
	p.bundle_id = "com.vgpu.probe";
	p.developer_name = NULL;
	p.path = "/Library/Extensions/vgpuProbe.kext";
	p.blocked_at = 1793491000;
	assert_int_equal(macext_store_pending_add(f->s, &p), 0);

	/* A new block of the same kext replaces its row (the window restarts). */
	p.team_id = "EG7KH642X6";
	p.bundle_id = "com.vmware.kext.vmnet";
	p.developer_name = "VMware, Inc.";
	p.path = "/Applications/VMware Fusion.app/Contents/Library/kexts/vmnet.kext";
	p.blocked_at = 1793492999;
	assert_int_equal(macext_store_pending_add(f->s, &p), 0);

	assert_int_equal(
		macext_store_pending_get(f->s, "EG7KH642X6", "com.vmware.kext.vmnet", &got), 0);
	assert_string_equal(got.path,
			    "/Applications/VMware Fusion.app/Contents/Library/kexts/vmnet.kext");
	assert_string_equal(got.developer_name, "VMware, Inc.");
	assert_int_equal(got.blocked_at, 1793492999);
	macext_pending_approval_clear(&got);

	assert_int_equal(macext_store_pending_foreach(f->s, collect_pending, &l), 0);
	assert_string_equal(l.buf, "|com.vgpu.probe|(null)|/Library/Extensions/vgpuProbe.kext|"
				   "1793491000\n"
				   "EG7KH642X6|com.vmware.kext.vmnet|VMware, Inc.|/Applications/"
				   "VMware Fusion.app/Contents/Library/kexts/vmnet.kext|1793492999\n");

	assert_int_equal(macext_store_pending_remove(f->s, "", "com.vgpu.probe"), 0);
	assert_int_equal(macext_store_pending_remove(f->s, "", "com.vgpu.probe"), -ENOENT);
	assert_int_equal(macext_store_pending_get(f->s, "", "com.vgpu.probe", &got), -ENOENT);
}

struct busy_ctx {
	struct macext_store *s;
	int put_rc, get_rc, foreach_rc, begin_rc;
};

static int busy_cb(void *ud, const struct macext_kext_policy *p)
{
	struct busy_ctx *c = ud;
	struct macext_kext_policy got = {0};
	struct macext_kext_policy n = pol("ZZZZZZZZZZ", "com.example.z", true, NULL, 0);

	c->put_rc = macext_store_kext_policy_put(c->s, &n);
	c->begin_rc = macext_store_begin(c->s);
	c->foreach_rc = macext_store_kext_policy_foreach(c->s, NULL, NULL, busy_cb, c);
	c->get_rc = macext_store_kext_policy_get(c->s, p->team_id, p->bundle_id, &got);
	macext_kext_policy_clear(&got);
	return 1;
}

static void t_foreach_guards(void **state)
{
	struct fx *f = *state;
	struct busy_ctx c = {0};

	f->s = open_rw(f, 0);
	put_samples(f->s);
	c.s = f->s;
	assert_int_equal(macext_store_kext_policy_foreach(f->s, NULL, NULL, busy_cb, &c), 1);
	assert_int_equal(c.put_rc, -EBUSY);
	assert_int_equal(c.begin_rc, -EBUSY);
	assert_int_equal(c.foreach_rc, -EBUSY);
	assert_int_equal(c.get_rc, 0);
	/* And afterwards all is normal again. */
	struct macext_kext_policy n = pol("ZZZZZZZZZZ", "com.example.z", true, NULL, 0);
	assert_int_equal(macext_store_kext_policy_put(f->s, &n), 0);
}

static struct macext_store_ops bad_ops;

static void t_backend_version(void **state)
{
	struct fx *f = *state;
	const struct macext_store_ops *real =
		macext_store_open(&f->s, f->b->name, f->path, 0, NULL) == 0 ? f->s->ops : NULL;
	struct macext_store *s = NULL;
	struct macext_diag d = {0};

	assert_non_null(real);
	assert_int_equal(real->version, MACEXT_STORE_OPS_VERSION);
	assert_string_equal(real->name, f->b->name);

	bad_ops = *real;
	bad_ops.version = MACEXT_STORE_OPS_VERSION + 1;
	assert_int_equal(macext_store_open_ops(&s, &bad_ops, f->path, 0, &d), -ENOTSUP);
	assert_null(s);
	assert_non_null(strstr(d.msg, "built for interface version 2"));

	bad_ops = *real;
	bad_ops.pending_remove = NULL;
	assert_int_equal(macext_store_open_ops(&s, &bad_ops, f->path, 0, &d), -ENOTSUP);
	assert_null(s);

	bad_ops = *real;
	assert_int_equal(macext_store_open_ops(&s, &bad_ops, f->path, 0, &d), 0);
	macext_store_close(s);
	s = NULL;

	assert_int_equal(macext_store_open(&s, "postgres", f->path, 0, &d), MACEXT_E_USAGE);
	assert_null(s);
}

static void t_read_only_refuses_writes(void **state)
{
	struct fx *f = *state;
	struct macext_kext_policy p = pol("EG7KH642X6", "com.vmware.kext.vmnet", true, NULL, 0);
	struct macext_pending_approval a = {.team_id = "", .bundle_id = "b"};
	struct macext_kext_load_history h = {.path = "/x"};

	if (f->b->persistent) { /* a read-only open needs a file */
		f->s = open_rw(f, 0);
		macext_store_close(f->s);
	}
	f->s = open_rw(f, MACEXT_STORE_READ_ONLY);
	assert_int_equal(macext_store_kext_policy_put(f->s, &p), -EROFS);
	assert_int_equal(macext_store_kext_policy_delete(f->s, "a", "b"), -EROFS);
	assert_int_equal(macext_store_load_history_add(f->s, &h), -EROFS);
	assert_int_equal(macext_store_mdm_policy_replace_all(f->s, NULL, 0), -EROFS);
	assert_int_equal(macext_store_setting_set(f->s, "a", "b"), -EROFS);
	assert_int_equal(macext_store_pending_add(f->s, &a), -EROFS);
	assert_int_equal(macext_store_pending_remove(f->s, "", "b"), -EROFS);
	assert_int_equal(macext_store_begin(f->s), -EROFS);
	assert_int_equal(macext_store_diag(f->s)->code, -EROFS);
}

/* Every allocation of ours fails in turn: each call returns 0 or -ENOMEM, and what a
 * failed call was to change is not half there (ASan reports any leak). */
static void t_alloc_failures(void **state)
{
	struct fx *f = *state;

	for (long n = 1; n < 200; n++) {
		struct macext_store *s = NULL;
		struct macext_kext_policy p = pol("EG7KH642X6", "com.vmware.kext.vmnet", true,
						  "VMware, Inc.", 8);
		struct macext_kext_policy got = {0};
		struct macext_kext_policy_mdm m = {"", "b", true, "U", NULL};
		int r;

		remove(f->path);
		mx_alloc_fail_at(n);
		r = macext_store_open(&s, f->b->name, f->path, 0, NULL);
		if (r == 0) {
			r = macext_store_kext_policy_put(s, &p);
			if (r == 0)
				r = macext_store_begin(s);
			if (r == 0) {
				r = macext_store_mdm_policy_replace_all(s, &m, 1);
				if (r == 0)
					r = macext_store_commit(s);
				else
					assert_int_equal(macext_store_rollback(s), 0);
			}
			if (r == 0)
				r = macext_store_kext_policy_get(s, p.team_id, p.bundle_id, &got);
			macext_kext_policy_clear(&got);
			macext_store_close(s);
		}
		mx_alloc_fail_at(0);
		if (r == 0)
			return; /* past the last allocation */
		if (r != -ENOMEM)
			fail_msg("allocation %ld: code %d", n, r);
	}
	fail_msg("still failing after 200 allocations");
}

/* ---- SQLite only: raw files ------------------------------------------------------------ */

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	return db;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
}

/* The `sql` of each table in creation order, joined with newlines. */
static void raw_schema(const char *path, char *buf, size_t len)
{
	sqlite3 *db = raw_open(path);
	sqlite3_stmt *st;

	buf[0] = '\0';
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT sql FROM sqlite_schema WHERE type = 'table' "
					    "ORDER BY rowid",
					    -1, &st, NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		size_t n = strlen(buf);

		snprintf(buf + n, len - n, "%s\n", (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void t_schema_text(void **state)
{
	struct fx *f = *state;
	char want[2048] = "", got[2048];

	f->s = open_rw(f, 0);
	macext_store_close(f->s);
	f->s = NULL;
	for (int i = 0; i < 4; i++) {
		strncat(want, apple_schema[i], sizeof(want) - strlen(want) - 1);
		strncat(want, "\n", sizeof(want) - strlen(want) - 1);
	}
	strncat(want,
		"CREATE TABLE macext_pending ( team_id TEXT, bundle_id TEXT, developer_name TEXT, "
		"path TEXT, blocked_at INTEGER, PRIMARY KEY (team_id, bundle_id) )\n",
		sizeof(want) - strlen(want) - 1);
	raw_schema(f->path, got, sizeof(got));
	assert_string_equal(got, want);

	/* WAL mode, as on a Mac: byte 18 of the header is 2. */
	{
		char *data = NULL;
		size_t len = 0;

		assert_int_equal(mx_read_file(f->path, 1 << 20, &data, &len, NULL), 0);
		assert_true(len >= 100);
		assert_int_equal((unsigned char)data[18], 2);
		mx_free(data);
	}

	/* macOS 11+: the history table's text is what the ALTER TABLE writes. */
	remove(f->path);
	f->s = open_rw(f, MACEXT_STORE_CDHASH);
	macext_store_close(f->s);
	f->s = NULL;
	raw_schema(f->path, got, sizeof(got));
	assert_non_null(strstr(got, history_cdhash_sql));
	assert_true(strncmp(got, history_cdhash_sql, strlen(history_cdhash_sql)) == 0);
}

/* A KextPolicy as syspolicyd leaves it, with the sample rows of kexts.md §3.4. */
static void make_apple_dump(const char *path, bool cdhash, bool wal)
{
	sqlite3 *db = raw_open(path);

	if (wal)
		raw_exec(db, "PRAGMA journal_mode=WAL");
	for (int i = 0; i < 4; i++)
		raw_exec(db, apple_schema[i]);
	if (cdhash)
		raw_exec(db, "ALTER TABLE kext_load_history_v3 ADD COLUMN cdhash TEXT");
	raw_exec(db, "INSERT INTO kext_policy VALUES ('54GTJ2AU36', "
		     "'com.joshuawise.kexts.HoRNDIS', 1, 'Joshua Wise', 1)");
	raw_exec(db, "INSERT INTO kext_policy VALUES ('EG7KH642X6', 'com.vmware.kext.vmnet', 1, "
		     "'VMware, Inc.', 8)");
	raw_exec(db, "INSERT INTO kext_policy VALUES ('', 'com.vgpu.probe', 1, "
		     "'Unidentified - vgpuProbe', 0)");
	raw_exec(db, "INSERT INTO kext_load_history_v3 (path, team_id, bundle_id, boot_uuid, "
		     "created_at, last_seen, flags) VALUES ('/Library/Extensions/VMwareGfx.kext', "
		     "'EG7KH642X6', 'com.vmware.kext.VMwareGfx', "
		     "'F5E8FB21-0D2A-4C3E-9B7F-1A2B3C4D5E6F', '2020-04-13 16:29:03', "
		     "'2020-04-13 16:30:58', 55)");
	raw_exec(db, "INSERT INTO settings VALUES ('migrationPerformed', 'YES')");
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void file_state(const char *path, char **ret, size_t *ret_len, struct stat *st)
{
	assert_int_equal(mx_read_file(path, 1 << 20, ret, ret_len, NULL), 0);
	assert_int_equal(stat(path, st), 0);
}

static void assert_no_side_files(const char *path)
{
	static const char *const sfx[] = {"-wal", "-shm", "-journal"};

	for (int i = 0; i < 3; i++) {
		char *p = mx_asprintf("%s%s", path, sfx[i]);

		if (mx_exists(p))
			fail_msg("%s was created", p);
		mx_free(p);
	}
}

static void check_forensic(struct fx *f, bool cdhash, bool wal)
{
	struct macext_kext_policy got = {0};
	struct lines l = {0};
	char *before = NULL, *after = NULL, *v = NULL;
	size_t blen, alen;
	struct stat sb, sa;

	make_apple_dump(f->path, cdhash, wal);
	file_state(f->path, &before, &blen, &sb);
	f->s = open_rw(f, MACEXT_STORE_READ_ONLY);
	assert_int_equal(f->s->has_cdhash, cdhash);

	assert_int_equal(macext_store_kext_policy_foreach(f->s, NULL, NULL, collect_policy, &l), 0);
	assert_string_equal(l.buf, "|com.vgpu.probe|1|Unidentified - vgpuProbe|0\n"
				   "54GTJ2AU36|com.joshuawise.kexts.HoRNDIS|1|Joshua Wise|1\n"
				   "EG7KH642X6|com.vmware.kext.vmnet|1|VMware, Inc.|8\n");
	assert_int_equal(macext_store_kext_policy_get(f->s, "54GTJ2AU36",
						      "com.joshuawise.kexts.HoRNDIS", &got),
			 0);
	assert_string_equal(got.developer_name, "Joshua Wise");
	assert_int_equal(got.flags, 1);
	assert_string_equal(got.allowed_raw, "1");
	macext_kext_policy_clear(&got);

	memset(&l, 0, sizeof(l));
	assert_int_equal(macext_store_load_history_foreach(f->s, collect_history, &l), 0);
	assert_string_equal(l.buf, "/Library/Extensions/VMwareGfx.kext|EG7KH642X6|com.vmware.kext."
				   "VMwareGfx|F5E8FB21-0D2A-4C3E-9B7F-1A2B3C4D5E6F|2020-04-13 "
				   "16:29:03|2020-04-13 16:30:58|55|(null)\n");
	assert_int_equal(macext_store_setting_get(f->s, "migrationPerformed", &v), 0);
	assert_string_equal(v, "YES");
	free(v);

	/* No macext_pending in Apple's file: nothing pending, nothing created. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(macext_store_pending_foreach(f->s, collect_pending, &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(macext_store_kext_policy_put(f->s, &got), -EROFS);
	macext_store_close(f->s);
	f->s = NULL;

	file_state(f->path, &after, &alen, &sa);
	assert_int_equal(alen, blen);
	assert_memory_equal(after, before, blen);
	assert_int_equal(sa.st_mtim.tv_sec, sb.st_mtim.tv_sec);
	assert_int_equal(sa.st_mtim.tv_nsec, sb.st_mtim.tv_nsec);
	assert_no_side_files(f->path);
	mx_free(before);
	mx_free(after);
}

static void t_forensic_read(void **state)
{
	check_forensic(*state, false, false);
}

static void t_forensic_read_wal_cdhash(void **state)
{
	check_forensic(*state, true, true);
}

static void t_forensic_unmerged_wal(void **state)
{
	struct fx *f = *state;
	struct macext_diag d = {0};
	char *wal = mx_asprintf("%s-wal", f->path);

	make_apple_dump(f->path, false, false);
	assert_int_equal(mx_write_atomic(wal, "0123456789abcdef", 16, 0644), 0);
	assert_int_equal(macext_store_open(&f->s, "sqlite", f->path, MACEXT_STORE_READ_ONLY, &d),
			 -ENOTSUP);
	assert_non_null(strstr(d.msg, "16 bytes of changes wait in the write-ahead log"));
	mx_free(wal);

	assert_int_equal(macext_store_open(&f->s, "sqlite", "/nonexistent/KextPolicy",
					   MACEXT_STORE_READ_ONLY, &d),
			 -ENOENT);
	assert_null(f->s);
}

static void t_lenient_allowed(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *sql_value;
		bool allowed;
		const char *raw;
	} cases[] = {
		{"1", true, "1"},         {"'1'", true, "1"},   {"'true'", true, "true"},
		{"'YES'", true, "YES"},   {"'yes'", true, "yes"}, {"'TRUE'", true, "TRUE"},
		{"0", false, "0"},        {"2", false, "2"},    {"'no'", false, "no"},
		{"NULL", false, NULL},    {"''", false, ""},    {"'allowed'", false, "allowed"},
	};
	sqlite3 *db;

	make_apple_dump(f->path, false, false);
	db = raw_open(f->path);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char sql[200];

		snprintf(sql, sizeof(sql),
			 "INSERT INTO kext_policy VALUES ('LENIENT000', 'case.%02zu', %s, NULL, "
			 "NULL)",
			 i, cases[i].sql_value);
		raw_exec(db, sql);
	}
	sqlite3_close(db);
	f->s = open_rw(f, MACEXT_STORE_READ_ONLY);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct macext_kext_policy got = {0};
		char bundle[16];

		snprintf(bundle, sizeof(bundle), "case.%02zu", i);
		assert_int_equal(macext_store_kext_policy_get(f->s, "LENIENT000", bundle, &got), 0);
		if (got.allowed != cases[i].allowed)
			fail_msg("%s: allowed %d", cases[i].sql_value, got.allowed);
		if (cases[i].raw)
			assert_string_equal(got.allowed_raw, cases[i].raw);
		else
			assert_null(got.allowed_raw);
		assert_null(got.developer_name);
		assert_int_equal(got.flags, 0);
		macext_kext_policy_clear(&got);
	}
}

/* Creates PATH with the four tables of SQL[0..4) (NULL: that one left out). */
static void raw_tables(const char *path, const char *const sql[4])
{
	sqlite3 *db = raw_open(path);

	for (size_t i = 0; i < 4; i++)
		if (sql[i])
			raw_exec(db, sql[i]);
	sqlite3_close(db);
}

/* Opens PATH in both modes; each must fail with -EBADMSG, a message containing WANT, and
 * leave the file byte for byte as it was. */
static void check_refused(const char *path, const char *want)
{
	static const unsigned modes[] = {0, MACEXT_STORE_READ_ONLY, MACEXT_STORE_CDHASH};
	char *before = NULL, *after = NULL;
	size_t blen, alen;
	struct stat sb, sa;

	file_state(path, &before, &blen, &sb);
	for (int i = 0; i < 3; i++) {
		struct macext_store *s = NULL;
		struct macext_diag d = {0};

		assert_int_equal(macext_store_open(&s, "sqlite", path, modes[i], &d), -EBADMSG);
		assert_null(s);
		assert_int_equal(d.code, -EBADMSG);
		if (!strstr(d.msg, want))
			fail_msg("mode %u: diag '%s' lacks '%s'", modes[i], d.msg, want);
	}
	file_state(path, &after, &alen, &sa);
	assert_int_equal(alen, blen);
	assert_memory_equal(after, before, blen);
	assert_int_equal(sa.st_mtim.tv_nsec, sb.st_mtim.tv_nsec);
	mx_free(before);
	mx_free(after);
}

static void t_corrupt_refused(void **state)
{
	struct fx *f = *state;
	char junk[8192];

	/* Not a database at all. */
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)('a' + i % 26);
	assert_int_equal(mx_write_atomic(f->path, junk, sizeof(junk), 0644), 0);
	check_refused(f->path, "not an SQLite database");

	/* A database, but another one: a table missing. */
	remove(f->path);
	raw_tables(f->path,
		   (const char *[]){NULL, apple_schema[1], apple_schema[2], apple_schema[3]});
	check_refused(f->path, "no table kext_load_history_v3");

	/* A column missing. */
	remove(f->path);
	raw_tables(f->path,
		   (const char *[]){apple_schema[0],
				    "CREATE TABLE kext_policy ( team_id TEXT, bundle_id TEXT, "
				    "allowed BOOLEAN, flags INTEGER, PRIMARY KEY (team_id, "
				    "bundle_id) )",
				    apple_schema[2], apple_schema[3]});
	check_refused(f->path, "table kext_policy has no column developer_name");

	/* A real dump with its b-tree pages damaged: the header survives, the data does not. */
	remove(f->path);
	make_apple_dump(f->path, false, false);
	{
		char *data = NULL;
		size_t len = 0;

		assert_int_equal(mx_read_file(f->path, 1 << 20, &data, &len, NULL), 0);
		assert_true(len > 4096);
		memset(data + 4096, 0xee, 2000); /* page 2's b-tree header and cells */
		assert_int_equal(mx_write_atomic(f->path, data, len, 0644), 0);
		mx_free(data);
	}
	check_refused(f->path, f->path);
}

static void t_apple_file_read_write(void **state)
{
	struct fx *f = *state;
	struct macext_kext_policy got = {0};
	struct macext_pending_approval a = {.team_id = "", .bundle_id = "b", .blocked_at = 5};
	char schema[2048];

	/* Read-write on Apple's 10.15 file: macext_pending is added beside Apple's tables,
	 * Apple's rows stay, and with CDHASH the history table is migrated. */
	make_apple_dump(f->path, false, false);
	f->s = open_rw(f, MACEXT_STORE_CDHASH);
	assert_true(f->s->has_cdhash);
	assert_int_equal(macext_store_pending_add(f->s, &a), 0);
	assert_int_equal(macext_store_kext_policy_get(f->s, "EG7KH642X6", "com.vmware.kext.vmnet",
						      &got),
			 0);
	assert_int_equal(got.flags, 8);
	macext_kext_policy_clear(&got);
	macext_store_close(f->s);
	f->s = NULL;
	raw_schema(f->path, schema, sizeof(schema));
	assert_true(strncmp(schema, history_cdhash_sql, strlen(history_cdhash_sql)) == 0);
	assert_non_null(strstr(schema, "CREATE TABLE macext_pending ("));
}

/* ---- kill safety ---------------------------------------------------------------------- */

struct killer {
	int fd;    /* pipe to the parent */
	int calls; /* hook calls so far */
	int at;    /* call at which to stop and wait for SIGKILL */
};

static void kill_hook(void *ud, const char *point)
{
	struct killer *k = ud;

	(void)point;
	if (++k->calls == k->at) {
		char c = 'k';

		if (write(k->fd, &c, 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
}

static void seed_old_state(struct fx *f)
{
	struct macext_kext_policy_mdm m[] = {
		{"EG7KH642X6", "com.vmware.kext.vmnet", true, "OLD", NULL},
		{"54GTJ2AU36", NULL, true, "OLD", NULL},
	};

	f->s = open_rw(f, 0);
	put_samples(f->s);
	assert_int_equal(macext_store_mdm_policy_replace_all(f->s, m, 2), 0);
	macext_store_close(f->s);
	f->s = NULL;
}

static void check_old_state(struct fx *f)
{
	struct lines l = {0};
	struct macext_kext_policy got = {0};

	f->s = open_rw(f, 0);
	assert_int_equal(macext_store_kext_policy_foreach(f->s, NULL, NULL, collect_policy, &l), 0);
	assert_string_equal(l.buf, samples_all);
	assert_int_equal(macext_store_kext_policy_get(f->s, "NEWNEWNEW0", "com.example.new", &got),
			 -ENOENT);
	memset(&l, 0, sizeof(l));
	assert_int_equal(macext_store_mdm_policy_foreach(f->s, collect_mdm, &l), 0);
	assert_string_equal(l.buf, "54GTJ2AU36|(null)|1|OLD\n"
				   "EG7KH642X6|com.vmware.kext.vmnet|1|OLD\n");
	macext_store_close(f->s);
	f->s = NULL;
}

enum child_plan { PLAN_EXIT_BEFORE_COMMIT, PLAN_KILL_IN_TXN, PLAN_KILL_IN_REPLACE_ALL };

/* The child changes the store by PLAN and never commits; returns its wait status. */
static int run_child(struct fx *f, enum child_plan plan)
{
	int fds[2], status = 0;
	pid_t pid;
	char c;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct killer k = {fds[1], 0, 0};
		struct macext_store *s = NULL;
		struct macext_kext_policy p = pol("EG7KH642X6", "com.vmware.kext.vmnet", false,
						  "changed", 99);
		struct macext_kext_policy n = pol("NEWNEWNEW0", "com.example.new", true, "N", 0);
		struct macext_kext_policy_mdm m[] = {
			{"AAAAAAAAAA", "a", true, "NEW", NULL},
			{"BBBBBBBBBB", "b", true, "NEW", NULL},
			{"CCCCCCCCCC", "c", true, "NEW", NULL},
		};

		close(fds[0]);
		if (macext_store_open(&s, "sqlite", f->path, 0, NULL) != 0)
			_exit(2);
		macext_store_set_test_hook(s, kill_hook, &k);
		if (plan == PLAN_KILL_IN_REPLACE_ALL) {
			k.at = 3; /* after the DELETE and the first two INSERTs */
			macext_store_mdm_policy_replace_all(s, m, 3);
			_exit(4);
		}
		k.at = plan == PLAN_KILL_IN_TXN ? 3 : 0;
		if (macext_store_begin(s) != 0 || macext_store_kext_policy_put(s, &p) != 0 ||
		    macext_store_kext_policy_delete(s, "", "com.vgpu.probe") != 0 ||
		    macext_store_kext_policy_put(s, &n) != 0)
			_exit(5);
		_exit(0); /* before commit, without closing */
	}
	close(fds[1]);
	if (plan != PLAN_EXIT_BEFORE_COMMIT) {
		assert_int_equal(read(fds[0], &c, 1), 1);
		assert_int_equal(kill(pid, SIGKILL), 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(fds[0]);
	return status;
}

static void t_kill_exit_before_commit(void **state)
{
	struct fx *f = *state;
	int st;

	seed_old_state(f);
	st = run_child(f, PLAN_EXIT_BEFORE_COMMIT);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	check_old_state(f);
}

/* A child killed with SIGKILL at PLAN's point leaves the old state. */
static void check_sigkill(struct fx *f, enum child_plan plan)
{
	int st;

	seed_old_state(f);
	st = run_child(f, plan);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	check_old_state(f);
}

static void t_kill_sigkill_in_txn(void **state)
{
	check_sigkill(*state, PLAN_KILL_IN_TXN);
}

static void t_kill_sigkill_in_replace_all(void **state)
{
	check_sigkill(*state, PLAN_KILL_IN_REPLACE_ALL);
}

/* ---- lookups at scale ------------------------------------------------------------------ */

#define BENCH_ROWS 10000

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void t_ten_thousand_approvals(void **state)
{
	struct fx *f = *state;
	char team[16], bundle[48];
	double t0, t1;

	f->s = open_rw(f, 0);
	assert_int_equal(macext_store_begin(f->s), 0);
	for (int i = 0; i < BENCH_ROWS; i++) {
		struct macext_kext_policy p = pol(team, bundle, i % 3 != 0, "Bench Developer", 0);

		snprintf(team, sizeof(team), "T%09d", i % 1000);
		snprintf(bundle, sizeof(bundle), "com.example.bench.kext%05d", i);
		assert_int_equal(macext_store_kext_policy_put(f->s, &p), 0);
	}
	assert_int_equal(macext_store_commit(f->s), 0);

	t0 = now_s();
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < BENCH_ROWS; i++) {
			struct macext_kext_policy got = {0};

			snprintf(team, sizeof(team), "T%09d", i % 1000);
			snprintf(bundle, sizeof(bundle), "com.example.bench.kext%05d", i);
			assert_int_equal(macext_store_kext_policy_get(f->s, team, bundle, &got), 0);
			if (got.allowed != (i % 3 != 0))
				fail_msg("row %d: allowed %d", i, got.allowed);
			macext_kext_policy_clear(&got);
		}
	}
	t1 = now_s();
	print_message("store %s: %d kext_policy_get over %d rows: %.0f gets/sec\n", f->b->name,
		      3 * BENCH_ROWS, BENCH_ROWS, 3 * BENCH_ROWS / (t1 - t0));

	if (f->b->persistent) {
		/* The lookup uses the primary key's index, as Apple's schema implies. */
		sqlite3 *db = raw_open(f->path);
		sqlite3_stmt *st;
		const char *detail;

		assert_int_equal(sqlite3_prepare_v2(db,
						    "EXPLAIN QUERY PLAN SELECT team_id, bundle_id, "
						    "allowed, developer_name, flags FROM kext_policy "
						    "WHERE team_id = ?1 AND bundle_id = ?2",
						    -1, &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		detail = (const char *)sqlite3_column_text(st, 3);
		if (!strstr(detail, "USING INDEX sqlite_autoindex_kext_policy_1 (team_id=? AND "
				    "bundle_id=?)"))
			fail_msg("plan: %s", detail);
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
}

#define ONE(fn, b) {#fn "/" #b, fn, setup, teardown, (void *)&b_##b}
#define BOTH(fn) ONE(fn, memory), ONE(fn, sqlite)
#define SQLITE(fn) ONE(fn, sqlite)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(t_policy_roundtrip),
		BOTH(t_transactions),
		BOTH(t_history),
		BOTH(t_mdm),
		BOTH(t_settings),
		BOTH(t_pending),
		BOTH(t_foreach_guards),
		BOTH(t_backend_version),
		BOTH(t_read_only_refuses_writes),
		BOTH(t_ten_thousand_approvals),
		BOTH(t_alloc_failures),
		SQLITE(t_schema_text),
		SQLITE(t_forensic_read),
		SQLITE(t_forensic_read_wal_cdhash),
		SQLITE(t_forensic_unmerged_wal),
		SQLITE(t_lenient_allowed),
		SQLITE(t_corrupt_refused),
		SQLITE(t_apple_file_read_write),
		SQLITE(t_kill_exit_before_commit),
		SQLITE(t_kill_sigkill_in_txn),
		SQLITE(t_kill_sigkill_in_replace_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
