/*
 * lib/machine/forensic.c: forensic mode, a mounted image of a real Mac as the root
 * (ARCHITECTURE §1-2; kexts.md §3.1, §3.6, §9 P3). include/macext/forensic.h.
 *
 * A root is forensic when it has no .macext/ and a KextPolicy file at one of the places an
 * image holds it. Invariants:
 * 1. Nothing under a forensic root is created, changed or deleted: the database is opened
 *    with MACEXT_STORE_READ_ONLY (SQLite's immutable mode: no journal, WAL, shm or lock
 *    file), and nothing else is opened for writing.
 * 2. A path found on the image is used only if its real path stays under the root's real
 *    path: an absolute symlink on an image would otherwise lead into the host.
 * 3. Rows are shown as Apple stored them; the pane's view of them (pending, approved,
 *    blocked) follows P3 with the history table, since an image has no macext_pending.
 */
#include "machine/kextload_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macext/forensic.h"
#include "util/alloc.h"
#include "util/diag.h"
#include "util/file.h"

static const char *const db_places[] = {
	MX_KEXTPOLICY,
	"private/" MX_KEXTPOLICY,
	"System/Volumes/Data/private/" MX_KEXTPOLICY,
};

/* Invariant 2: 1 if PATH (under ROOT) is a regular file whose real path is under ROOT's. */
static int inside_root(const char *root, const char *path)
{
	char *rr = realpath(root, NULL), *rp = NULL;
	size_t n;
	int in = 0;

	if (!rr)
		return errno == ENOMEM ? -ENOMEM : 0;
	rp = realpath(path, NULL);
	if (rp) {
		n = strlen(rr);
		if (n == 1) /* the root is "/" */
			n = 0;
		in = strncmp(rp, rr, n) == 0 && rp[n] == '/';
	} else if (errno == ENOMEM) {
		in = -ENOMEM;
	}
	free(rr);
	free(rp);
	return in;
}

int macext_forensic_root(const struct macext_ctx *ctx, char **ret_path)
{
	char *dot;
	int r = 0;

	if (ret_path)
		*ret_path = NULL;
	if (!ctx || !ctx->root)
		return 0;
	dot = mx_path_join(ctx->root, ".macext");
	if (!dot)
		return -ENOMEM;
	r = mx_exists(dot);
	mx_free(dot);
	if (r)
		return 0; /* a modeled Mac */
	for (size_t i = 0; i < sizeof(db_places) / sizeof(db_places[0]); i++) {
		char *p = mx_path_join(ctx->root, db_places[i]);

		if (!p)
			return -ENOMEM;
		r = mx_exists(p) ? inside_root(ctx->root, p) : 0;
		mx_free(p);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		if (ret_path && !(*ret_path = mx_strdup(db_places[i])))
			return -ENOMEM;
		return 1;
	}
	return 0;
}

/* ---- dump ------------------------------------------------------------------------------ */

struct dump_ctx {
	struct macext_kextpolicy_dump *d;
	size_t cap_p, cap_h;
};

/* Copies S into *DST (NULL stays NULL); false on ENOMEM. */
static bool dup_opt(const char **dst, const char *s)
{
	*dst = NULL;
	if (!s)
		return true;
	*dst = mx_strdup(s);
	return *dst != NULL;
}

static int policy_fn(void *ud, const struct macext_kext_policy *p)
{
	struct dump_ctx *c = ud;
	struct macext_kext_policy *q;
	bool ok;
	int r = mx_grow((void **)&c->d->policy, &c->cap_p, c->d->npolicy + 1, sizeof(*q));

	if (r < 0)
		return r;
	q = &c->d->policy[c->d->npolicy++];
	memset(q, 0, sizeof(*q));
	q->allowed = p->allowed;
	q->flags = p->flags;
	ok = dup_opt(&q->team_id, p->team_id);
	ok = dup_opt(&q->bundle_id, p->bundle_id) && ok;
	ok = dup_opt(&q->allowed_raw, p->allowed_raw) && ok;
	ok = dup_opt(&q->developer_name, p->developer_name) && ok;
	return ok ? 0 : -ENOMEM;
}

static int history_fn(void *ud, const struct macext_kext_load_history *h)
{
	struct dump_ctx *c = ud;
	struct macext_kext_load_history *q;
	bool ok;
	int r = mx_grow((void **)&c->d->history, &c->cap_h, c->d->nhistory + 1, sizeof(*q));

	if (r < 0)
		return r;
	q = &c->d->history[c->d->nhistory++];
	memset(q, 0, sizeof(*q));
	q->flags = h->flags;
	ok = dup_opt(&q->path, h->path);
	ok = dup_opt(&q->team_id, h->team_id) && ok;
	ok = dup_opt(&q->bundle_id, h->bundle_id) && ok;
	ok = dup_opt(&q->boot_uuid, h->boot_uuid) && ok;
	ok = dup_opt(&q->created_at, h->created_at) && ok;
	ok = dup_opt(&q->last_seen, h->last_seen) && ok;
	ok = dup_opt(&q->cdhash, h->cdhash) && ok;
	return ok ? 0 : -ENOMEM;
}

static int dump_store(struct macext_store *s, struct macext_kextpolicy_dump *d,
		      struct macext_diag *diag)
{
	struct dump_ctx c = {.d = d};
	int r;

	d->has_cdhash = s->has_cdhash;
	r = macext_store_kext_policy_foreach(s, NULL, NULL, policy_fn, &c);
	if (r == 0)
		r = macext_store_load_history_foreach(s, history_fn, &c);
	if (r < 0 && diag->code == 0)
		*diag = *macext_store_diag(s);
	return r;
}

void macext_kextpolicy_dump_clear(struct macext_kextpolicy_dump *d)
{
	if (!d)
		return;
	for (size_t i = 0; d->policy && i < d->npolicy; i++) {
		mx_free((char *)d->policy[i].team_id);
		mx_free((char *)d->policy[i].bundle_id);
		mx_free((char *)d->policy[i].allowed_raw);
		mx_free((char *)d->policy[i].developer_name);
	}
	for (size_t i = 0; d->history && i < d->nhistory; i++) {
		struct macext_kext_load_history *h = &d->history[i];

		mx_free((char *)h->path);
		mx_free((char *)h->team_id);
		mx_free((char *)h->bundle_id);
		mx_free((char *)h->boot_uuid);
		mx_free((char *)h->created_at);
		mx_free((char *)h->last_seen);
		mx_free((char *)h->cdhash);
	}
	mx_free(d->policy);
	mx_free(d->history);
	mx_free(d->path);
	memset(d, 0, sizeof(*d));
}

int macext_kextpolicy_dump_read(const struct macext_ctx *ctx,
				struct macext_kextpolicy_dump *ret, struct macext_diag *diag)
{
	struct macext_store *s = NULL;
	struct mx_env e;
	char *rel = NULL, *db = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	memset(&e, 0, sizeof(e));
	r = macext_forensic_root(ctx, &rel);
	if (r < 0)
		return mx_diag_fail_nopos(diag, r, "%s: out of memory", ctx->root);
	if (r == 1) {
		ret->forensic = true;
		ret->path = rel;
		db = mx_path_join(ctx->root, rel);
		if (!db) {
			r = -ENOMEM;
			goto out;
		}
		r = macext_store_open(&s, "sqlite", db, MACEXT_STORE_READ_ONLY, diag);
		if (r == 0)
			r = dump_store(s, ret, diag);
		goto out;
	}
	ret->path = mx_strdup(MX_KEXTPOLICY);
	if (!ret->path) {
		r = -ENOMEM;
		goto out;
	}
	r = mx_env_open(&e, ctx, NULL, true, diag);
	if (r == 0)
		r = dump_store(e.store, ret, diag);
out:
	macext_store_close(s);
	if (e.ctx)
		mx_env_close(&e);
	mx_free(db);
	if (r < 0)
		macext_kextpolicy_dump_clear(ret);
	return r;
}

/* ---- the pane (P3) ----------------------------------------------------------------------- */

int macext_kextpolicy_time_parse(const char *text, int64_t *ret)
{
	char iso[21];

	/* exactly "YYYY-MM-DD HH:MM:SS"; the RFC 3339 parser checks the digits and ranges */
	if (!text || strlen(text) != 19 || text[10] != ' ')
		return -EINVAL;
	memcpy(iso, text, 19);
	iso[10] = 'T';
	iso[19] = 'Z';
	iso[20] = '\0';
	return macext_time_parse(iso, ret);
}

static bool same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* The newest history row of (TEAM, ID) by last_seen, or NULL; *RET_T its time (0 when
 * unparsable, which counts as long ago). */
static const struct macext_kext_load_history *newest(const struct macext_kextpolicy_dump *d,
						     const char *team, const char *id,
						     int64_t *ret_t)
{
	const struct macext_kext_load_history *best = NULL;
	int64_t best_t = 0;

	for (size_t i = 0; i < d->nhistory; i++) {
		const struct macext_kext_load_history *h = &d->history[i];
		int64_t t = 0;

		if (!same(h->team_id, team) || !same(h->bundle_id, id))
			continue;
		if (macext_kextpolicy_time_parse(h->last_seen, &t) < 0)
			t = 0;
		if (!best || t > best_t) {
			best = h;
			best_t = t;
		}
	}
	*ret_t = best_t;
	return best;
}

struct infos {
	struct macext_kext_info *v;
	size_t n, cap;
};

static int info_add(struct infos *c, const struct macext_kext_policy *p, const char *path,
		    int64_t expires)
{
	struct macext_kext_info *k;
	int r = mx_grow((void **)&c->v, &c->cap, c->n + 1, sizeof(*c->v));

	if (r < 0)
		return r;
	k = &c->v[c->n++];
	memset(k, 0, sizeof(*k));
	k->team_id = mx_strdup(p->team_id ? p->team_id : "");
	k->bundle_id = mx_strdup(p->bundle_id ? p->bundle_id : "");
	k->developer_name = p->developer_name ? mx_strdup(p->developer_name) : NULL;
	k->path = mx_strdup(path ? path : "");
	k->expires = expires;
	if (!k->team_id || !k->bundle_id || (p->developer_name && !k->developer_name) ||
	    !k->path)
		return -ENOMEM;
	return 0;
}

int macext_kextpolicy_pane(const struct macext_kextpolicy_dump *d, int64_t now,
			   struct macext_kext_info **ret_pending, size_t *ret_npending,
			   struct macext_kext_info **ret_approved, size_t *ret_napproved,
			   struct macext_kext_info **ret_blocked, size_t *ret_nblocked)
{
	struct infos pend = {0}, appr = {0}, blk = {0};
	int r = 0;

	for (size_t i = 0; r == 0 && i < d->npolicy; i++) {
		const struct macext_kext_policy *p = &d->policy[i];
		int64_t seen = 0;
		const struct macext_kext_load_history *h =
			newest(d, p->team_id, p->bundle_id, &seen);
		const char *path = h ? h->path : "";

		if (p->allowed)
			r = info_add(&appr, p, path, 0);
		else if (h && seen > 0 && now >= seen &&
			 now - seen < MACEXT_POLICY_APPROVAL_WINDOW_S)
			r = info_add(&pend, p, path, seen + MACEXT_POLICY_APPROVAL_WINDOW_S);
		else
			r = info_add(&blk, p, path, 0);
	}
	if (r < 0) {
		macext_kext_infos_free(pend.v, pend.n);
		macext_kext_infos_free(appr.v, appr.n);
		macext_kext_infos_free(blk.v, blk.n);
		return r;
	}
	*ret_pending = pend.v, *ret_npending = pend.n;
	*ret_approved = appr.v, *ret_napproved = appr.n;
	*ret_blocked = blk.v, *ret_nblocked = blk.n;
	return 0;
}
