/*
 * lib/machine/approvals.c: the Privacy & Security pane (`approvals list|approve`) and the
 * AuxKC rebuild kmd does at approval (kexts.md §1.3-1.5, §9 P3-P6, P24, P25).
 *
 * list: pending = blocked kexts whose block (macext_pending.blocked_at, renewed by every
 * blocked load) is less than 30 minutes old on the modeled clock, with `expires`; approved
 * = kext_policy rows with allowed = 1, with the installed bundle's path.
 * approve ID|TEAMID: the pending kexts of that bundle id, or every pending kext of that
 * Team ID (P24); each must pass macext_policy_may_approve (window, MDM, unsigned, admin);
 * the first refusal decides the exit code (69 / 77) and nothing changes. Then the Team ID
 * co-approval (macext_policy_coapprove over the kexts on disk). Effects:
 *   one transaction: kext_policy rows allowed = 1 (developer name from the certificate,
 *   Apple's flags kept), pending rows removed                       [approvals.store]
 *   11+: the AuxKC is rebuilt from the approved kexts and written atomically, before the
 *   commit (a kill leaves the old rows; reboot loads only kexts still approved)
 *                                                                   [approvals.auxkc]
 *   commit                                                          [approvals.committed]
 *   <= 10.15: the blocked load runs at once (P25), its own effects as `kext load`.
 */
#include "machine/kextload_internal.h"

#include <errno.h>
#include <string.h>

#include "machine/eventlog.h"
#include "machine/machine.h"
#include "util/alloc.h"
#include "util/diag.h"
#include "util/file.h"

/* ---- list ----------------------------------------------------------------------------- */

struct collect {
	struct mx_env *e;
	struct macext_kext_info *v;
	size_t n, cap;
	bool pending;
};

/* The installed bundle of (TEAM, ID): its macOS path, or "" when none is on disk. */
static const char *inv_path(struct mx_env *e, const char *team, const char *id)
{
	for (size_t i = 0; i < e->ninv; i++) {
		char *t = NULL;
		bool same;

		if (!e->inv[i].bundle_id || strcmp(e->inv[i].bundle_id, id) != 0 ||
		    mx_kext_team_of(e, e->inv[i].host_path, &t) < 0)
			continue;
		same = strcmp(t, team) == 0;
		mx_free(t);
		if (same)
			return e->inv[i].mac_path;
	}
	return "";
}

static int add_info(struct collect *c, const char *team, const char *id, const char *dev,
		    const char *path, int64_t expires)
{
	struct macext_kext_info *k;
	int r = mx_grow((void **)&c->v, &c->cap, c->n + 1, sizeof(*c->v));

	if (r < 0)
		return r;
	k = &c->v[c->n];
	memset(k, 0, sizeof(*k));
	k->team_id = mx_strdup(team ? team : "");
	k->bundle_id = mx_strdup(id ? id : "");
	k->developer_name = dev ? mx_strdup(dev) : NULL;
	k->path = mx_strdup(path ? path : "");
	k->expires = expires;
	c->n++;
	if (!k->team_id || !k->bundle_id || (dev && !k->developer_name) || !k->path)
		return -ENOMEM;
	return 0;
}

static int pending_fn(void *ud, const struct macext_pending_approval *p)
{
	struct collect *c = ud;
	int64_t now = c->e->ctx->now;

	if (now < p->blocked_at || now - p->blocked_at >= MACEXT_POLICY_APPROVAL_WINDOW_S)
		return 0;
	return add_info(c, p->team_id, p->bundle_id, p->developer_name, p->path,
			p->blocked_at + MACEXT_POLICY_APPROVAL_WINDOW_S);
}

static int approved_fn(void *ud, const struct macext_kext_policy *p)
{
	struct collect *c = ud;

	if (!p->allowed)
		return 0;
	return add_info(c, p->team_id, p->bundle_id, p->developer_name,
			inv_path(c->e, p->team_id ? p->team_id : "", p->bundle_id ? p->bundle_id : ""),
			0);
}

int macext_approvals_list(const struct macext_ctx *ctx, struct macext_kext_info **ret_pending,
			  size_t *ret_npending, struct macext_kext_info **ret_approved,
			  size_t *ret_napproved, struct macext_diag *diag)
{
	struct collect p = {0}, a = {0};
	struct mx_env e;
	int r;

	r = mx_env_open(&e, ctx, NULL, true, diag);
	if (r == 0)
		r = mx_inventory(&e);
	p.e = a.e = &e;
	p.pending = true;
	if (r == 0)
		r = macext_store_pending_foreach(e.store, pending_fn, &p);
	if (r == 0)
		r = macext_store_kext_policy_foreach(e.store, NULL, NULL, approved_fn, &a);
	if (r < 0) {
		if (e.store && diag->code == 0)
			*diag = *macext_store_diag(e.store);
		macext_kext_infos_free(p.v, p.n);
		macext_kext_infos_free(a.v, a.n);
	} else {
		*ret_pending = p.v, *ret_npending = p.n;
		*ret_approved = a.v, *ret_napproved = a.n;
	}
	if (e.ctx)
		mx_env_close(&e);
	return r;
}

int macext_approvals_need_password(const struct macext_ctx *ctx, bool *ret,
				   struct macext_diag *diag)
{
	struct macext_machine_info *info = NULL;
	int r = macext_machine_load(ctx, &info, diag);

	if (r == 0)
		*ret = info->macos.major >= 11; /* P5 */
	macext_machine_info_free(info);
	return r;
}

/* ---- the AuxKC ------------------------------------------------------------------------ */

static bool in_kc(const struct macext_kc *kc, const char *id)
{
	for (size_t i = 0; kc && i < kc->nkexts; i++)
		if (strcmp(kc->kexts[i].bundle_id, id) == 0)
			return true;
	return false;
}

static int read_kc(struct mx_env *e, struct macext_kc **ret)
{
	struct mx_map m = MX_MAP_INIT;
	char *p = mx_path_join(e->ctx->root, MX_AUXKC);
	int r = 0;

	*ret = NULL;
	if (!p)
		return -ENOMEM;
	if (mx_map_file(&m, p, (uint64_t)1 << 31, NULL) == 0 && m.data)
		r = macext_kc_parse(ret, m.data, m.len, NULL);
	mx_unmap(&m);
	mx_free(p);
	return r < 0 ? 0 : r; /* an unreadable collection is simply rebuilt */
}

int mx_auxkc_rebuild(struct mx_env *e, const char *extra, struct macext_diag *diag)
{
	struct macext_auxkc_opts o = {.arch = "x86_64", .macos = e->info->macos,
				      .root = e->ctx->root};
	struct macext_auxkc *kc = NULL;
	struct macext_kc *old = NULL;
	const char **paths = NULL;
	size_t n = 0;
	char *out = NULL, *dir = NULL;
	int r;

	r = mx_inventory(e);
	if (r == 0)
		r = read_kc(e, &old);
	if (r < 0)
		return r;
	paths = mx_calloc(e->ninv + 1, sizeof(*paths));
	if (!paths)
		return -ENOMEM;
	for (size_t i = 0; i < e->ninv; i++) {
		struct macext_kext_policy p = {0};
		char *team = NULL;
		bool take = false;

		if (!e->inv[i].bundle_id)
			continue;
		if (extra && strcmp(e->inv[i].host_path, extra) == 0)
			continue;
		if (in_kc(old, e->inv[i].bundle_id)) {
			take = true;
		} else if (mx_kext_team_of(e, e->inv[i].host_path, &team) == 0 &&
			   macext_store_kext_policy_get(e->store, team, e->inv[i].bundle_id, &p) == 0) {
			take = p.allowed;
		}
		mx_free(team);
		macext_kext_policy_clear(&p);
		if (take)
			paths[n++] = e->inv[i].host_path;
	}
	if (extra)
		paths[n++] = extra;
	r = macext_auxkc_build(paths, n, &o, &kc, diag);
	if (r < 0)
		goto out;
	out = mx_path_join(e->ctx->root, MX_AUXKC);
	dir = mx_path_join(e->ctx->root, "Library/KernelCollections");
	if (!out || !dir) {
		r = -ENOMEM;
		goto out;
	}
	r = mx_mkdir_p(dir, 0755);
	if (r == 0)
		r = mx_write_atomic(out, kc->data, kc->len, 0644);
	macext_kc_free(e->auxkc); /* facts read it again */
	e->auxkc = NULL;
	e->auxkc_read = false;
	if (r < 0)
		mx_diag_fail_nopos(diag, r, "%s: cannot write", MX_AUXKC);
out:
	macext_auxkc_free(kc);
	macext_kc_free(old);
	mx_free(paths);
	mx_free(out);
	mx_free(dir);
	return r;
}

/* ---- approve -------------------------------------------------------------------------- */

void macext_approve_result_clear(struct macext_approve_result *r)
{
	if (!r)
		return;
	macext_kext_infos_free(r->approved, r->napproved);
	macext_kext_infos_free(r->loaded, r->nloaded);
	memset(r, 0, sizeof(*r));
}

struct target {
	struct mx_kext_facts kf;
	bool gathered;
};

struct pick {
	const char *what;
	struct macext_pending_approval *v;
	size_t n, cap;
};

static int pick_fn(void *ud, const struct macext_pending_approval *p)
{
	struct pick *k = ud;
	struct macext_pending_approval *d;
	int r;

	if (strcmp(p->bundle_id, k->what) != 0 && strcmp(p->team_id, k->what) != 0)
		return 0;
	r = mx_grow((void **)&k->v, &k->cap, k->n + 1, sizeof(*k->v));
	if (r < 0)
		return r;
	d = &k->v[k->n++];
	memset(d, 0, sizeof(*d));
	d->team_id = mx_strdup(p->team_id);
	d->bundle_id = mx_strdup(p->bundle_id);
	d->path = mx_strdup(p->path ? p->path : "");
	d->blocked_at = p->blocked_at;
	return d->team_id && d->bundle_id && d->path ? 0 : -ENOMEM;
}

static void pick_free(struct pick *k)
{
	for (size_t i = 0; i < k->n; i++) {
		mx_free((char *)k->v[i].team_id);
		mx_free((char *)k->v[i].bundle_id);
		mx_free((char *)k->v[i].path);
	}
	mx_free(k->v);
}

static bool already(const struct macext_approve_result *res, const char *team, const char *id)
{
	for (size_t i = 0; i < res->napproved; i++)
		if (strcmp(res->approved[i].team_id, team) == 0 &&
		    strcmp(res->approved[i].bundle_id, id) == 0)
			return true;
	return false;
}

static int approve_row(struct mx_env *e, struct macext_approve_result *res, const char *team,
		       const char *id, const char *dev, const char *path)
{
	struct macext_kext_policy old = {0}, row = {0};
	struct collect c = {.v = res->approved, .n = res->napproved, .cap = res->napproved};
	int r;

	if (already(res, team, id))
		return 0;
	r = macext_store_kext_policy_get(e->store, team, id, &old);
	if (r < 0 && r != -ENOENT)
		return r;
	row.team_id = team;
	row.bundle_id = id;
	row.allowed = true;
	row.developer_name = dev ? dev : old.developer_name;
	row.flags = r == 0 ? old.flags : 0; /* P14 */
	r = macext_store_kext_policy_put(e->store, &row);
	if (r == 0) {
		r = macext_store_pending_remove(e->store, team, id);
		if (r == -ENOENT)
			r = 0;
	}
	if (r == 0)
		r = add_info(&c, team, id, row.developer_name, path, 0);
	res->approved = c.v;
	res->napproved = c.n;
	macext_kext_policy_clear(&old);
	return r;
}

/* U7 / P4: the same team's kexts on disk in the scopes of TARGET. */
static int coapprove(struct mx_env *e, struct mx_kext_facts *t, struct macext_approve_result *res)
{
	struct macext_coapproval_candidate *c = NULL;
	char **teams = NULL;
	bool *sel = NULL;
	int r;

	r = mx_inventory(e);
	if (r < 0 || e->ninv == 0)
		return r;
	c = mx_calloc(e->ninv, sizeof(*c));
	teams = mx_calloc(e->ninv, sizeof(*teams));
	sel = mx_calloc(e->ninv, sizeof(*sel));
	if (!c || !teams || !sel) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; r == 0 && i < e->ninv; i++) {
		r = mx_kext_team_of(e, e->inv[i].host_path, &teams[i]);
		c[i] = (struct macext_coapproval_candidate){teams[i], e->inv[i].bundle_id,
							     e->inv[i].mac_path};
	}
	if (r < 0)
		goto out;
	r = macext_policy_coapprove(&t->f, c, e->ninv, sel);
	for (size_t i = 0; r >= 0 && i < e->ninv; i++)
		if (sel[i] && c[i].bundle_id)
			r = approve_row(e, res, teams[i], c[i].bundle_id, mx_facts_developer(t),
					c[i].path);
	r = r < 0 ? r : 0;
out:
	for (size_t i = 0; teams && i < e->ninv; i++)
		mx_free(teams[i]);
	mx_free(teams);
	mx_free(c);
	mx_free(sel);
	return r;
}

/* P25 (<= 10.15): the blocked load is carried out at once; its result is logged. */
static int load_now(struct mx_env *e, struct target *t, size_t n,
		    struct macext_approve_result *ret, struct macext_diag *diag)
{
	struct collect c = {0};
	int r = 0;

	for (size_t i = 0; r == 0 && i < n; i++) {
		struct macext_load_result lr = {0};

		r = mx_kext_load_one(e, t[i].kf.host_path, t[i].kf.mac_path, 0, 0, &lr, diag);
		if (r == 0 && lr.exit_code == 0)
			r = add_info(&c, mx_facts_team(&t[i].kf), t[i].kf.f.kext.bundle_id,
				     mx_facts_developer(&t[i].kf), t[i].kf.mac_path, 0);
		macext_load_result_clear(&lr);
	}
	ret->loaded = c.v;
	ret->nloaded = c.n;
	return r;
}

static const char nothing_pending[] = "no pending approval; load the kext again to show it";

int macext_approvals_approve(const struct macext_ctx *ctx, const char *user, const char *what,
			     struct macext_approve_result *ret, struct macext_diag *diag)
{
	struct target *t = NULL;
	struct pick pk = {.what = what};
	struct mx_env e;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = mx_env_open(&e, ctx, user, false, diag);
	if (r < 0)
		goto out;
	r = macext_store_pending_foreach(e.store, pick_fn, &pk);
	if (r < 0)
		goto store_fail;
	if (pk.n == 0) {
		ret->exit_code = 69;
		ret->reason = nothing_pending;
		goto out;
	}
	t = mx_calloc(pk.n, sizeof(*t));
	if (!t) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < pk.n; i++) {
		struct macext_approval_verdict v;
		char *host = mx_path_join(ctx->root, pk.v[i].path);

		if (!host) {
			r = -ENOMEM;
			goto out;
		}
		r = mx_is_dir(host) ? mx_facts_gather(&e, host, pk.v[i].path, &t[i].kf, diag)
				    : mx_diag_fail_nopos(diag, -ENOENT, "%s: no longer installed",
							 pk.v[i].path);
		t[i].gathered = true;
		mx_free(host);
		if (r < 0)
			goto out;
		r = macext_policy_may_approve(&t[i].kf.f, &v);
		if (r < 0)
			goto out;
		if (!v.allowed) {
			ret->exit_code = v.exit_code;
			ret->reason = v.reason;
			goto out;
		}
	}
	ret->nrequested = pk.n;
	r = macext_store_begin(e.store);
	for (size_t i = 0; r == 0 && i < pk.n; i++)
		r = approve_row(&e, ret, mx_facts_team(&t[i].kf), t[i].kf.f.kext.bundle_id,
				mx_facts_developer(&t[i].kf), t[i].kf.mac_path);
	for (size_t i = 0; r == 0 && i < pk.n; i++)
		r = coapprove(&e, &t[i].kf, ret);
	if (r < 0)
		goto store_fail;
	mx_test_point(ctx, "approvals.store");
	if (e.info->macos.major >= 11) {
		r = mx_auxkc_rebuild(&e, NULL, diag);
		if (r < 0)
			goto rollback;
		ret->restart_needed = true;
		mx_test_point(ctx, "approvals.auxkc");
	}
	r = macext_store_commit(e.store);
	if (r < 0)
		goto store_fail;
	mx_test_point(ctx, "approvals.committed");
	for (size_t i = 0; i < ret->napproved; i++)
		mx_eventlog_append(ctx, "kext.approved",
				   json_pack("{s:s, s:s, s:s, s:s, s:b}", "bundle_id",
					     ret->approved[i].bundle_id, "team_id",
					     ret->approved[i].team_id, "developer_name",
					     ret->approved[i].developer_name
						     ? ret->approved[i].developer_name
						     : "",
					     "user", e.user, "co_approved", i >= ret->nrequested));
	if (e.info->macos.major < 11)
		r = load_now(&e, t, pk.n, ret, diag);
	goto out;
store_fail:
	if (diag->code == 0)
		*diag = *macext_store_diag(e.store);
rollback:
	if (e.store && e.store->in_txn)
		macext_store_rollback(e.store);
out:
	for (size_t i = 0; t && i < pk.n; i++)
		if (t[i].gathered)
			mx_facts_clear(&t[i].kf);
	mx_free(t);
	pick_free(&pk);
	if (e.ctx)
		mx_env_close(&e);
	if (r < 0)
		macext_approve_result_clear(ret);
	return r;
}
