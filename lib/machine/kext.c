/*
 * lib/machine/kext.c: `kext install|load|unload|list` on the modeled Intel Mac, and the
 * loaded state (.macext/loaded.plist).
 *
 * Load path (kexts.md §1.10-1.11, §8.1): resolve the kext; load its third-party
 * dependencies first (rule 8, each through the whole path); gather the facts (facts.c) and
 * ask lib/policy (macext_policy_decide); an allowed kext whose bundle fails validation is
 * refused at load time (rule 2: "reported only if rules 3-7 pass"). Effects, in this order:
 *   1. staging: with SIP's kext protection on, a kext outside System/Library/Extensions with
 *      a valid signature is copied to Library/StagedExtensions/<original path> (restaged
 *      when its executable or Info.plist changed); the copy is built beside and renamed in;
 *   2. one store transaction: kext_load_history_v3 by original path (P2), and for a load
 *      that needs approval the kext_policy row (allowed = 0) when none exists - the alert
 *      is shown only then (U2) - and the pending block (P3: the window runs from now);
 *   3. an allowed load: the kext joins loaded.plist (atomic), before the commit;
 *   4. commit; then the event log ("kext.alert", "kext.load", "kext.refused").
 * A load that needs a restart (11+) makes sure the AuxKC holds the kext (kmd builds it).
 * Test points between the effects: docs/macext.md ($MACEXT_TEST_KILL_AT).
 */
#include "machine/kextload_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <plist/plist.h>

#include "machine/eventlog.h"
#include "machine/machine.h"
#include "util/alloc.h"
#include "util/diag.h"
#include "util/file.h"

#define DEPTH_MAX 8 /* dependency chains deeper than this are refused */
#define COPY_FILE_MAX ((uint64_t)1 << 30)

void mx_test_point(const struct macext_ctx *ctx, const char *name)
{
	if (ctx->test_point)
		ctx->test_point(ctx->test_point_userdata, name);
}

void mx_sql_time(int64_t t, char buf[static 20])
{
	char iso[21];

	macext_time_format(t, iso);
	memcpy(buf, iso, 19);
	buf[10] = ' ';
	buf[19] = '\0';
}

/* ---- loaded.plist --------------------------------------------------------------------- */

void mx_loaded_kext_clear(struct mx_loaded_kext *k)
{
	mx_free(k->bundle_id);
	mx_free(k->version);
	mx_free(k->team_id);
	mx_free(k->path);
	mx_free(k->cdhash);
	mx_free(k->uuid);
	memset(k, 0, sizeof(*k));
}

void mx_loaded_clear(struct mx_loaded *l)
{
	for (size_t i = 0; i < l->n; i++)
		mx_loaded_kext_clear(&l->kexts[i]);
	for (size_t i = 0; i < l->nbooted; i++)
		mx_loaded_kext_clear(&l->booted[i]);
	mx_free(l->kexts);
	mx_free(l->booted);
	mx_free(l->boot_session_uuid);
	memset(l, 0, sizeof(*l));
}

struct mx_loaded_kext *mx_loaded_find(const struct mx_loaded *l, const char *bundle_id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->kexts[i].bundle_id, bundle_id) == 0)
			return &l->kexts[i];
	return NULL;
}

static char *dup_or_null(const char *s)
{
	return s ? mx_strdup(s) : NULL;
}

static int copy_kext(struct mx_loaded_kext *d, const struct mx_loaded_kext *s)
{
	memset(d, 0, sizeof(*d));
	d->bundle_id = dup_or_null(s->bundle_id);
	d->version = dup_or_null(s->version);
	d->team_id = dup_or_null(s->team_id);
	d->path = dup_or_null(s->path);
	d->cdhash = dup_or_null(s->cdhash);
	d->uuid = dup_or_null(s->uuid);
	if (!d->bundle_id || (s->version && !d->version) || (s->team_id && !d->team_id) ||
	    (s->path && !d->path) || (s->cdhash && !d->cdhash) || (s->uuid && !d->uuid)) {
		mx_loaded_kext_clear(d);
		return -ENOMEM;
	}
	return 0;
}

static int append(struct mx_loaded_kext **v, size_t *n, const struct mx_loaded_kext *k)
{
	size_t cap = *n;
	int r = mx_grow((void **)v, &cap, *n + 1, sizeof(**v));

	if (r < 0)
		return r;
	r = copy_kext(&(*v)[*n], k);
	if (r == 0)
		(*n)++;
	return r;
}

int mx_loaded_add(struct mx_loaded *l, const struct mx_loaded_kext *k)
{
	return append(&l->kexts, &l->n, k);
}

static const char *pstr(plist_t d, const char *key)
{
	plist_t v = plist_dict_get_item(d, key);
	const char *s;

	if (plist_get_node_type(v) != PLIST_STRING)
		return NULL;
	s = plist_get_string_ptr(v, NULL);
	return s;
}

static int read_list(plist_t top, const char *key, struct mx_loaded_kext **v, size_t *n)
{
	plist_t a = plist_dict_get_item(top, key);
	uint32_t count;
	int r = 0;

	if (!a)
		return 0;
	if (plist_get_node_type(a) != PLIST_ARRAY)
		return MACEXT_E_BAD_MACHINE;
	count = plist_array_get_size(a);
	for (uint32_t i = 0; r == 0 && i < count; i++) {
		plist_t d = plist_array_get_item(a, i);
		struct mx_loaded_kext k = {
			(char *)pstr(d, "bundle_id"), (char *)pstr(d, "version"),
			(char *)pstr(d, "team_id"),   (char *)pstr(d, "path"),
			(char *)pstr(d, "cdhash"),    (char *)pstr(d, "uuid"),
		};

		if (plist_get_node_type(d) != PLIST_DICT || !k.bundle_id)
			return MACEXT_E_BAD_MACHINE;
		r = append(v, n, &k);
	}
	return r;
}

int mx_loaded_read(const struct macext_ctx *ctx, struct mx_loaded *ret, struct macext_diag *diag)
{
	plist_t top = NULL;
	const char *s;
	int r;

	char *path = mx_path_join(ctx->root, MX_LOADED_PLIST);
	bool present = path && mx_exists(path);

	memset(ret, 0, sizeof(*ret));
	mx_free(path);
	if (!present)
		return 0; /* nothing loaded since machine init */
	r = mx_machine_read_plist(ctx->root, MX_LOADED_PLIST, &top, diag);
	if (r < 0)
		return r;
	s = pstr(top, "boot_session_uuid");
	if (s && !(ret->boot_session_uuid = mx_strdup(s)))
		r = -ENOMEM;
	if (r == 0)
		r = read_list(top, "loaded", &ret->kexts, &ret->n);
	if (r == 0)
		r = read_list(top, "booted_auxkc", &ret->booted, &ret->nbooted);
	plist_free(top);
	if (r == MACEXT_E_BAD_MACHINE)
		mx_diag_fail_nopos(diag, r, "%s: malformed", MX_LOADED_PLIST);
	if (r < 0)
		mx_loaded_clear(ret);
	return r;
}

static void set_str(plist_t d, const char *key, const char *v)
{
	if (v)
		plist_dict_set_item(d, key, plist_new_string(v));
}

static plist_t list_plist(const struct mx_loaded_kext *v, size_t n)
{
	plist_t a = plist_new_array();

	for (size_t i = 0; i < n; i++) {
		plist_t d = plist_new_dict();

		set_str(d, "bundle_id", v[i].bundle_id);
		set_str(d, "version", v[i].version);
		set_str(d, "team_id", v[i].team_id);
		set_str(d, "path", v[i].path);
		set_str(d, "cdhash", v[i].cdhash);
		set_str(d, "uuid", v[i].uuid);
		plist_array_append_item(a, d);
	}
	return a;
}

int mx_loaded_write(const struct macext_ctx *ctx, const struct mx_loaded *l)
{
	plist_t top = plist_new_dict();
	int r;

	plist_dict_set_item(top, "format", plist_new_uint(1));
	set_str(top, "boot_session_uuid", l->boot_session_uuid);
	plist_dict_set_item(top, "loaded", list_plist(l->kexts, l->n));
	plist_dict_set_item(top, "booted_auxkc", list_plist(l->booted, l->nbooted));
	r = mx_machine_write_plist(ctx->root, MX_LOADED_PLIST, top, 0644, true);
	plist_free(top);
	return r;
}

/* ---- copying bundles ------------------------------------------------------------------ */

static int copy_file(const char *src, const char *dst, mode_t mode)
{
	struct mx_map m = MX_MAP_INIT;
	int fd, r;

	r = mx_map_file(&m, src, COPY_FILE_MAX, NULL);
	if (r < 0)
		return r;
	fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0777);
	if (fd < 0) {
		mx_unmap(&m);
		return -errno;
	}
	for (size_t off = 0; r == 0 && off < m.len;) {
		ssize_t n = write(fd, m.data + off, m.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -EIO;
		else
			off += (size_t)n;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -EIO;
	close(fd);
	mx_unmap(&m);
	return r;
}

/* Copies the tree SRC to DST (which must not exist): files, folders and symlinks as they
 * are (no link is followed). */
static int copy_tree(const char *src, const char *dst, int depth)
{
	struct stat st;
	struct dirent *d;
	DIR *dp;
	int r = 0;

	if (depth > 16)
		return -E2BIG;
	if (lstat(src, &st) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode)) {
		char buf[4096];
		ssize_t n = readlink(src, buf, sizeof(buf) - 1);

		if (n < 0)
			return -errno;
		buf[n] = '\0';
		return symlink(buf, dst) < 0 ? -errno : 0;
	}
	if (S_ISREG(st.st_mode))
		return copy_file(src, dst, st.st_mode);
	if (!S_ISDIR(st.st_mode))
		return 0;
	if (mkdir(dst, 0755) < 0)
		return -errno;
	dp = opendir(src);
	if (!dp)
		return -errno;
	while (r == 0 && (d = readdir(dp))) {
		char *s, *t;

		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		s = mx_path_join(src, d->d_name);
		t = mx_path_join(dst, d->d_name);
		r = s && t ? copy_tree(s, t, depth + 1) : -ENOMEM;
		mx_free(s);
		mx_free(t);
	}
	closedir(dp);
	return r;
}

/* Puts a copy of SRC at DST, replacing what is there: the copy is made beside DST and
 * renamed in, so DST is always either the old or the new bundle. */
static int place_copy(const char *src, const char *dst)
{
	char *tmp = mx_asprintf("%s.macext-tmp-%ld", dst, (long)getpid());
	char *old = mx_asprintf("%s.macext-old-%ld", dst, (long)getpid());
	char *parent = mx_strdup(dst), *slash;
	int r;

	if (!tmp || !old || !parent) {
		r = -ENOMEM;
		goto out;
	}
	slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	r = mx_mkdir_p(parent, 0755);
	if (r < 0)
		goto out;
	mx_machine_rm_tree(tmp);
	r = copy_tree(src, tmp, 0);
	if (r < 0) {
		mx_machine_rm_tree(tmp);
		goto out;
	}
	if (mx_exists(dst) && rename(dst, old) < 0) {
		r = -errno;
		mx_machine_rm_tree(tmp);
		goto out;
	}
	if (rename(tmp, dst) < 0) {
		r = -errno;
		rename(old, dst);
		mx_machine_rm_tree(tmp);
		goto out;
	}
	mx_machine_rm_tree(old);
out:
	mx_free(tmp);
	mx_free(old);
	mx_free(parent);
	return r;
}

/* ---- install -------------------------------------------------------------------------- */

int macext_kext_install(const struct macext_ctx *ctx, const char *user, const char *bundle,
			const char *dest, char **ret_path, struct macext_diag *diag)
{
	struct macext_kext *k = NULL;
	struct mx_env e;
	char *base = NULL, *host = NULL, *mac = NULL, *rel = NULL;
	const char *name;
	int r;

	r = mx_env_open(&e, ctx, user, true, diag);
	if (r < 0)
		goto out;
	if (!e.admin) {
		r = mx_diag_fail_nopos(diag, -EPERM, "%s is not an administrator", e.user);
		goto out;
	}
	r = macext_kext_open(&k, bundle, diag);
	if (r < 0)
		goto out;
	if (!macext_kext_bundle_id(k)) {
		r = mx_diag_fail_nopos(diag, -EBADMSG, "%s: no CFBundleIdentifier", bundle);
		goto out;
	}
	name = strrchr(macext_kext_path(k), '/');
	name = name ? name + 1 : macext_kext_path(k);
	dest = dest ? dest : "/Library/Extensions";
	rel = mx_asprintf("%s/%s", dest, name);
	host = rel ? mx_path_join(ctx->root, rel) : NULL;
	mac = host ? mx_mac_path(ctx, host) : NULL;
	if (!mac) {
		r = -ENOMEM;
		goto out;
	}
	r = place_copy(macext_kext_path(k), host);
	if (r < 0) {
		r = mx_diag_fail_nopos(diag, r, "%s: cannot install: %s", mac, macext_strerror(r));
		goto out;
	}
	mx_eventlog_append(ctx, "kext.install",
			   json_pack("{s:s, s:s}", "bundle_id", macext_kext_bundle_id(k), "path",
				     mac));
	*ret_path = mac;
	mac = NULL;
out:
	if (e.ctx)
		mx_env_close(&e);
	macext_kext_free(k);
	mx_free(base);
	mx_free(host);
	mx_free(mac);
	mx_free(rel);
	return r;
}

/* ---- load ------------------------------------------------------------------------------ */

void macext_load_result_clear(struct macext_load_result *r)
{
	if (!r)
		return;
	mx_free(r->message);
	mx_free(r->bundle_id);
	mx_free(r->path);
	mx_free(r->alert_text);
	mx_free(r->validation);
	macext_trace_free(&r->trace);
	memset(r, 0, sizeof(*r));
}

/* P6: the name shown for a kext without a Team ID. */
static char *developer_name(const struct mx_kext_facts *kf)
{
	const char *exe = macext_kext_executable_path(kf->k), *base;

	if (kf->f.sig.developer_name && *mx_facts_team(kf))
		return mx_strdup(kf->f.sig.developer_name);
	base = exe ? strrchr(exe, '/') : NULL;
	if (base)
		return mx_asprintf("Unidentified - %s", base + 1);
	base = strrchr(kf->mac_path, '/');
	return mx_asprintf("Unidentified - %.*s", (int)(strlen(base + 1) - 5), base + 1);
}

struct history_find {
	const char *path;
	char *created;
	int64_t flags;
};

static int history_find_fn(void *ud, const struct macext_kext_load_history *h)
{
	struct history_find *f = ud;

	if (!h->path || strcmp(h->path, f->path) != 0)
		return 0;
	f->flags = h->flags;
	if (h->created_at && !(f->created = mx_strdup(h->created_at)))
		return -ENOMEM;
	return 1;
}

int mx_history_touch(struct mx_env *e, const struct mx_kext_facts *kf)
{
	struct macext_kext_load_history h = {0};
	struct history_find f = {kf->mac_path, NULL, 0};
	char now[20];
	int r;

	mx_sql_time(e->ctx->now, now);
	r = macext_store_load_history_foreach(e->store, history_find_fn, &f);
	if (r < 0)
		return r;
	h.path = kf->mac_path;
	h.team_id = mx_facts_team(kf);
	h.bundle_id = kf->f.kext.bundle_id;
	h.boot_uuid = e->loaded.boot_session_uuid ? e->loaded.boot_session_uuid
						  : e->info->volume_group_uuid;
	h.created_at = f.created ? f.created : now; /* P2: created_at on insert only */
	h.last_seen = now;
	h.flags = f.flags; /* P14: preserved, 0 in new rows */
	h.cdhash = e->store->has_cdhash && kf->f.sig.cdhash ? kf->f.sig.cdhash : NULL;
	r = macext_store_load_history_add(e->store, &h);
	mx_free(f.created);
	return r;
}

/* kexts.md §8.1 rule 1-3: staged iff SIP's kext protection is on and the kext is not in
 * System/Library/Extensions; restaged when the staged copy's executable or Info.plist
 * differs. Returns 0, or a negative errno with DIAG ("Unable to stage kext ..."). */
static bool same_file(const char *a, const char *b)
{
	struct mx_map x = MX_MAP_INIT, y = MX_MAP_INIT;
	bool same = false;

	if (mx_map_file(&x, a, COPY_FILE_MAX, NULL) == 0 &&
	    mx_map_file(&y, b, COPY_FILE_MAX, NULL) == 0)
		same = x.len == y.len && (x.len == 0 || memcmp(x.data, y.data, x.len) == 0);
	mx_unmap(&x);
	mx_unmap(&y);
	return same;
}

static bool staged_current(const struct mx_kext_facts *kf, const char *staged)
{
	const char *exe = macext_kext_executable_path(kf->k);
	size_t n = strlen(kf->host_path);
	char *a, *b;
	bool same;

	if (!mx_is_dir(staged))
		return false;
	a = mx_path_join(staged, exe ? exe + n : "/Contents/Info.plist");
	b = mx_path_join(kf->host_path, "Contents/Info.plist");
	same = a && b && same_file(exe ? exe : b, a);
	mx_free(a);
	if (same) {
		a = mx_path_join(staged, "Contents/Info.plist");
		same = a && same_file(b, a);
		mx_free(a);
	}
	mx_free(b);
	return same;
}

static int stage(struct mx_env *e, const struct mx_kext_facts *kf, struct macext_diag *diag)
{
	const struct macext_facts *f = &kf->f;
	char *staged;
	int r = 0;

	if ((f->csr_active_config &
	     (MACEXT_CSR_ALLOW_UNTRUSTED_KEXTS | MACEXT_CSR_ALLOW_APPLE_INTERNAL)) ||
	    f->kext.location == MACEXT_KEXT_LOC_SYSTEM || !f->sig.valid || f->excluded)
		return 0;
	staged = mx_asprintf("%s/%s%s", e->ctx->root, MX_STAGED, kf->mac_path);
	if (!staged)
		return -ENOMEM;
	if (!staged_current(kf, staged))
		r = place_copy(kf->host_path, staged);
	if (r < 0)
		mx_diag_fail_nopos(diag, r, "Unable to stage kext (%s) to secure location.",
				   kf->mac_path);
	mx_free(staged);
	return r;
}

static const char alert_fmt[] =
	"System Extension Blocked: A program tried to load new system extension(s) signed by "
	"\u201c%s\u201d. If you want to enable these extensions, open Security & Privacy "
	"System Preferences.";

static int fill_result(struct macext_load_result *ret, const struct mx_kext_facts *kf,
		       enum macext_decision d, int code, const char *msg)
{
	ret->decision = d;
	ret->exit_code = code;
	mx_free(ret->message);
	mx_free(ret->bundle_id);
	mx_free(ret->path);
	mx_free(ret->validation);
	ret->message = dup_or_null(msg);
	ret->bundle_id = mx_strdup(kf->f.kext.bundle_id);
	ret->path = mx_strdup(kf->mac_path);
	ret->validation = dup_or_null(kf->validation);
	if ((msg && !ret->message) || !ret->bundle_id || !ret->path ||
	    (kf->validation && !ret->validation))
		return -ENOMEM;
	return 0;
}

static char *validation_message(const struct mx_env *e, const struct mx_kext_facts *kf)
{
	static const char text[] = "(libkern/kext) validation failure (plist/executable)";

	if (e->info->macos.major >= 11)
		return mx_asprintf("Error Domain=KMErrorDomain Code=71 \"Kernel request failed: %s "
				   "(-603946996)\" UserInfo={NSLocalizedDescription=Kernel request "
				   "failed: %s (-603946996)}",
				   text, text);
	return mx_asprintf("%s failed to load - %s; check the system/kernel logs for errors or "
			   "try kextutil(8).",
			   kf->mac_path, text);
}

static json_t *event_fields(const struct mx_kext_facts *kf, int code)
{
	return json_pack("{s:s, s:s, s:s, s:i}", "bundle_id", kf->f.kext.bundle_id, "path",
			 kf->mac_path, "team_id", mx_facts_team(kf), "exit_code", code);
}

/* A load that needs approval: P2 row + P3 pending, inside the transaction. */
static int record_block(struct mx_env *e, const struct mx_kext_facts *kf, bool *ret_alert)
{
	struct macext_pending_approval p = {0};
	char *dev = developer_name(kf);
	int r = 0;

	*ret_alert = false;
	if (!dev)
		return -ENOMEM;
	if (!kf->row_present) {
		struct macext_kext_policy row = {
			.team_id = mx_facts_team(kf),
			.bundle_id = kf->f.kext.bundle_id,
			.allowed = false,
			.developer_name = dev,
			.flags = 0,
		};

		r = macext_store_kext_policy_put(e->store, &row);
		*ret_alert = r == 0;
	}
	p.team_id = mx_facts_team(kf);
	p.bundle_id = kf->f.kext.bundle_id;
	p.developer_name = dev;
	p.path = kf->mac_path;
	p.blocked_at = e->ctx->now;
	if (r == 0)
		r = macext_store_pending_add(e->store, &p);
	mx_free(dev);
	return r;
}

static int loaded_entry(struct mx_env *e, const struct mx_kext_facts *kf)
{
	struct mx_loaded_kext k = {
		(char *)kf->f.kext.bundle_id,
		(char *)(kf->f.kext.version ? kf->f.kext.version : ""),
		(char *)mx_facts_team(kf),
		kf->mac_path,
		kf->f.sig.cdhash ? (char *)kf->f.sig.cdhash : NULL,
		kf->uuid,
	};

	return mx_loaded_add(&e->loaded, &k);
}

static bool in_auxkc_file(struct mx_env *e, const char *bundle_id)
{
	struct mx_map m = MX_MAP_INIT;
	struct macext_kc *kc = NULL;
	char *p = mx_path_join(e->ctx->root, MX_AUXKC);
	bool in = false;

	if (p && mx_map_file(&m, p, (uint64_t)1 << 31, NULL) == 0 && m.data &&
	    macext_kc_parse(&kc, m.data, m.len, NULL) == 0)
		for (size_t i = 0; i < kc->nkexts; i++)
			in |= strcmp(kc->kexts[i].bundle_id, bundle_id) == 0;
	macext_kc_free(kc);
	mx_unmap(&m);
	mx_free(p);
	return in;
}

/* 10.15.4+: a kext using deprecated KPIs loads with the "Legacy System Extension" alert
 * (seed-004, kexts.md §1.9), which the deprecation rule's outcome "alert" announces. */
static const char legacy_fmt[] =
	"Legacy System Extension: Existing software on your system loaded a system extension "
	"signed by \u201c%s\u201d which will be incompatible with a future version of macOS. "
	"Contact the developer for support.";

/* Replaces RET's alert text by the blocked (or, LEGACY, the legacy) alert naming the
 * developer and logs it: bundle id, team id (not for the legacy alert), name and text. */
static void set_alert(struct mx_env *e, const struct mx_kext_facts *kf, bool legacy,
		      struct macext_load_result *ret)
{
	char *dev = developer_name(kf);

	mx_free(ret->alert_text);
	ret->alert_text = dev ? mx_asprintf(legacy ? legacy_fmt : alert_fmt, dev) : NULL;
	mx_eventlog_append(e->ctx, legacy ? "kext.legacy-alert" : "kext.alert",
			   json_pack("{s:s, s:s*, s:s, s:s}", "bundle_id", kf->f.kext.bundle_id,
				     "team_id", legacy ? NULL : mx_facts_team(kf),
				     "developer_name", dev ? dev : "", "text",
				     ret->alert_text ? ret->alert_text : ""));
	mx_free(dev);
}

static void legacy_alert(struct mx_env *e, const struct mx_kext_facts *kf,
			 struct macext_load_result *ret)
{
	const struct macext_trace_entry *t = macext_trace_find(&ret->trace, "deprecation");

	if (!t || strcmp(t->outcome, "alert") != 0 || ret->alert)
		return;
	set_alert(e, kf, true, ret);
	ret->alert = ret->alert_text != NULL;
}

static int apply(struct mx_env *e, struct mx_kext_facts *kf, enum macext_decision d, int code,
		 struct macext_load_result *ret, struct macext_diag *diag)
{
	bool alert = false, allow = d == MACEXT_DECISION_ALLOW && code == 0;
	int r;

	r = stage(e, kf, diag);
	if (r < 0)
		return r;
	mx_test_point(e->ctx, "kext.load.staged");
	r = macext_store_begin(e->store);
	if (r == 0)
		r = mx_history_touch(e, kf);
	if (r == 0 && d == MACEXT_DECISION_NEEDS_APPROVAL)
		r = record_block(e, kf, &alert);
	if (r < 0)
		goto fail;
	mx_test_point(e->ctx, "kext.load.store");
	if (allow) {
		r = loaded_entry(e, kf);
		if (r == 0)
			r = mx_loaded_write(e->ctx, &e->loaded);
		if (r < 0)
			goto fail;
		mx_test_point(e->ctx, "kext.load.loaded");
	}
	r = macext_store_commit(e->store);
	if (r < 0)
		goto fail;
	mx_test_point(e->ctx, "kext.load.committed");
	if (alert) {
		ret->alert = true;
		set_alert(e, kf, false, ret);
	}
	mx_eventlog_append(e->ctx, allow ? "kext.load" : "kext.refused", event_fields(kf, code));
	if (allow)
		legacy_alert(e, kf, ret);
	if (d == MACEXT_DECISION_NEEDS_RESTART && !in_auxkc_file(e, kf->f.kext.bundle_id))
		r = mx_auxkc_rebuild(e, kf->host_path, diag);
	return r;
fail:
	if (e->store->in_txn)
		macext_store_rollback(e->store);
	if (diag->code == 0)
		*diag = *macext_store_diag(e->store);
	return r;
}

/* Rule 8: third-party OSBundleLibraries load first; Apple's KPIs are in the kernel. */
static int load_deps(struct mx_env *e, struct mx_kext_facts *kf, int depth, unsigned flags,
		     struct macext_load_result *ret, struct macext_diag *diag)
{
	const struct macext_kext_library *libs;
	size_t n = macext_kext_libraries(kf->k, "x86_64", &libs);
	int r;

	for (size_t i = 0; i < n; i++) {
		char *host = NULL, *mac = NULL;

		if (strncmp(libs[i].id, "com.apple.", 10) == 0 ||
		    strcmp(libs[i].id, kf->f.kext.bundle_id) == 0)
			continue;
		if (mx_resolve(e, libs[i].id, &host, &mac, NULL) < 0)
			continue; /* unresolved: rule 2 (validation) reports it */
		r = mx_kext_load_one(e, host, mac, depth + 1, flags, ret, diag);
		mx_free(host);
		mx_free(mac);
		if (r < 0 || ret->exit_code != 0)
			return r;
	}
	return 0;
}

int mx_kext_load_one(struct mx_env *e, const char *host, const char *mac, int depth,
		    unsigned flags, struct macext_load_result *ret, struct macext_diag *diag)
{
	struct mx_kext_facts kf;
	enum macext_decision d;
	const char *msg = NULL;
	char *vmsg = NULL;
	int code = 0, r;

	if (depth > DEPTH_MAX)
		return mx_diag_fail_nopos(diag, -ELOOP, "%s: dependencies nest too deep", mac);
	r = mx_facts_gather(e, host, mac, &kf, diag);
	if (r < 0)
		goto out;
	if (kf.f.loaded && !(flags & MACEXT_LOAD_DRY_RUN) && depth > 0)
		goto out; /* a dependency already loaded */
	r = load_deps(e, &kf, depth, flags, ret, diag);
	if (r < 0 || ret->exit_code != 0)
		goto out;
	r = macext_policy_decide(&kf.f, &ret->trace, &d, &code, &msg);
	if (r < 0)
		goto out;
	if (d == MACEXT_DECISION_ALLOW && kf.validation) {
		vmsg = validation_message(e, &kf);
		if (!vmsg) {
			r = -ENOMEM;
			goto out;
		}
		d = MACEXT_DECISION_DENY, code = 71, msg = vmsg;
	}
	r = fill_result(ret, &kf, d, code, msg);
	if (r < 0 || (flags & MACEXT_LOAD_DRY_RUN))
		goto out;
	if (kf.f.loaded && code == 0)
		goto out; /* already loaded: kextload says so and succeeds */
	r = apply(e, &kf, d, code, ret, diag);
out:
	mx_free(vmsg);
	mx_facts_clear(&kf);
	return r;
}

int macext_kext_load(const struct macext_ctx *ctx, const char *user, const char *what,
		     unsigned flags, struct macext_load_result *ret, struct macext_diag *diag)
{
	char *host = NULL, *mac = NULL;
	struct mx_env e;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = mx_env_open(&e, ctx, user, flags & MACEXT_LOAD_DRY_RUN, diag);
	if (r < 0)
		goto out;
	if (!e.admin && !(flags & MACEXT_LOAD_DRY_RUN)) {
		r = mx_diag_fail_nopos(diag, -EPERM, "%s is not an administrator (kexts are loaded "
						     "as root)",
				       e.user);
		goto out;
	}
	r = mx_resolve(&e, what, &host, &mac, diag);
	if (r == 0)
		r = mx_kext_load_one(&e, host, mac, 0, flags, ret, diag);
out:
	if (e.ctx)
		mx_env_close(&e);
	mx_free(host);
	mx_free(mac);
	return r;
}

/* ---- unload, list ---------------------------------------------------------------------- */

/* The kext at macOS path MAC lists ID in its OSBundleLibraries. */
static bool depends_on(const struct macext_ctx *ctx, const char *mac, const char *id)
{
	const struct macext_kext_library *libs;
	struct macext_kext *k = NULL;
	char *host = mx_path_join(ctx->root, mac);
	bool dep = false;

	if (host && macext_kext_open(&k, host, NULL) == 0) {
		size_t n = macext_kext_libraries(k, "x86_64", &libs);

		for (size_t i = 0; i < n; i++)
			dep |= strcmp(libs[i].id, id) == 0;
	}
	macext_kext_free(k);
	mx_free(host);
	return dep;
}

int macext_kext_unload(const struct macext_ctx *ctx, const char *user, const char *bundle_id,
		       struct macext_diag *diag)
{
	struct mx_loaded_kext *k;
	struct mx_env e;
	size_t i;
	int r;

	r = mx_env_open(&e, ctx, user, true, diag);
	if (r < 0)
		goto out;
	if (!e.admin) {
		r = mx_diag_fail_nopos(diag, -EPERM, "%s is not an administrator", e.user);
		goto out;
	}
	k = mx_loaded_find(&e.loaded, bundle_id);
	if (!k) {
		r = mx_diag_fail_nopos(diag, -ENOENT, "%s is not loaded", bundle_id);
		goto out;
	}
	for (size_t j = 0; j < e.loaded.n; j++) {
		if (&e.loaded.kexts[j] != k && e.loaded.kexts[j].path &&
		    depends_on(ctx, e.loaded.kexts[j].path, bundle_id)) {
			r = mx_diag_fail_nopos(diag, -EBUSY,
					       "%s is in use by %s: (libkern/kext) kext is in use or "
					       "retained (cannot unload)",
					       bundle_id, e.loaded.kexts[j].bundle_id);
			goto out;
		}
	}
	i = (size_t)(k - e.loaded.kexts);
	mx_loaded_kext_clear(k);
	memmove(&e.loaded.kexts[i], &e.loaded.kexts[i + 1],
		(e.loaded.n - i - 1) * sizeof(*e.loaded.kexts));
	e.loaded.n--;
	r = mx_loaded_write(ctx, &e.loaded);
	if (r < 0) {
		r = mx_diag_fail_nopos(diag, r, "%s: cannot write", MX_LOADED_PLIST);
		goto out;
	}
	mx_eventlog_append(ctx, "kext.unload", json_pack("{s:s}", "bundle_id", bundle_id));
out:
	if (e.ctx)
		mx_env_close(&e);
	return r;
}

void macext_kext_infos_free(struct macext_kext_info *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		mx_free(v[i].bundle_id);
		mx_free(v[i].version);
		mx_free(v[i].team_id);
		mx_free(v[i].developer_name);
		mx_free(v[i].path);
		mx_free(v[i].uuid);
	}
	mx_free(v);
}

int macext_kext_loaded(const struct macext_ctx *ctx, struct macext_kext_info **ret,
		       size_t *ret_n, struct macext_diag *diag)
{
	struct macext_kext_info *v = NULL;
	struct mx_loaded l;
	int r;

	r = mx_machine_check_exists(ctx->root, diag);
	if (r == 0)
		r = mx_loaded_read(ctx, &l, diag);
	if (r < 0)
		return r;
	if (l.n && !(v = mx_calloc(l.n, sizeof(*v))))
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < l.n; i++) {
		v[i].bundle_id = dup_or_null(l.kexts[i].bundle_id);
		v[i].version = dup_or_null(l.kexts[i].version);
		v[i].team_id = dup_or_null(l.kexts[i].team_id ? l.kexts[i].team_id : "");
		v[i].path = dup_or_null(l.kexts[i].path);
		v[i].uuid = dup_or_null(l.kexts[i].uuid);
		if (!v[i].bundle_id || !v[i].team_id)
			r = -ENOMEM;
	}
	if (r < 0) {
		macext_kext_infos_free(v, l.n);
	} else {
		*ret = v;
		*ret_n = l.n;
	}
	mx_loaded_clear(&l);
	return r;
}
