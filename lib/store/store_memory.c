/*
 * lib/store/store_memory.c: the in-memory backend. It behaves as the SQLite backend does
 * (same orders, same codes, same transactions) with nothing on disk, so the one store test
 * suite runs against both and the layers above can test without files.
 *
 * Invariants:
 * 1. Each table is an array of records owning their strings (the store_internal.h copy
 *    helpers), kept sorted by the table's key with the order SQLite's BINARY collation
 *    gives (bytewise, NULL first); lookups are binary searches (mtab_find).
 * 2. A change builds everything it needs before touching a table, so a failed call
 *    (-ENOMEM) leaves the table as it was (mtab_put, mem_mdm_replace_all).
 * 3. begin() deep-copies every table into `snap`; rollback() swaps the copy back and
 *    commit() drops it. Outside a transaction each call is its own change.
 */
#include "store/store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/diag.h"

struct mtab {
	void *rows;
	size_t n, cap;
	size_t size;                                /* of one record */
	int (*cmp)(const void *a, const void *b);  /* key order */
	int (*copy)(void *dst, const void *src);   /* deep copy, 0 or -ENOMEM */
	void (*clear)(void *rec);
};

struct msetting {
	char *name;
	char *value;
};

enum { T_POLICY, T_HISTORY, T_MDM, T_SETTING, T_PENDING, T_COUNT };

struct mem_store {
	struct macext_store base;
	struct mtab t[T_COUNT];
	struct mtab snap[T_COUNT];
};

static int strcmp_null(const char *a, const char *b)
{
	if (!a || !b)
		return a ? 1 : b ? -1 : 0;
	return strcmp(a, b);
}

/* The (team_id, bundle_id) key order of kext_policy, kext_policy_mdm and macext_pending. */
static int team_bundle_cmp(const char *team_a, const char *bundle_a, const char *team_b,
			   const char *bundle_b)
{
	int c = strcmp_null(team_a, team_b);

	return c ? c : strcmp_null(bundle_a, bundle_b);
}

static int policy_cmp(const void *a, const void *b)
{
	const struct macext_kext_policy *x = a, *y = b;

	return team_bundle_cmp(x->team_id, x->bundle_id, y->team_id, y->bundle_id);
}

static int history_cmp(const void *a, const void *b)
{
	const struct macext_kext_load_history *x = a, *y = b;

	return strcmp_null(x->path, y->path);
}

/* MDM rows have no unique key (team-wide rows share a NULL bundle); ties keep no order
 * that matters since equal keys are equal rows for every caller. */
static int mdm_cmp(const void *a, const void *b)
{
	const struct macext_kext_policy_mdm *x = a, *y = b;
	int c = team_bundle_cmp(x->team_id, x->bundle_id, y->team_id, y->bundle_id);

	return c ? c : strcmp_null(x->payload_uuid, y->payload_uuid);
}

static int setting_cmp(const void *a, const void *b)
{
	const struct msetting *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int pending_cmp(const void *a, const void *b)
{
	const struct macext_pending_approval *x = a, *y = b;

	return team_bundle_cmp(x->team_id, x->bundle_id, y->team_id, y->bundle_id);
}

static int policy_copy(void *d, const void *s)
{
	return mx_store_policy_copy(d, s);
}

static int history_copy(void *d, const void *s)
{
	return mx_store_history_copy(d, s);
}

static int mdm_copy(void *d, const void *s)
{
	return mx_store_mdm_copy(d, s);
}

static int pending_copy(void *d, const void *s)
{
	return mx_store_pending_copy(d, s);
}

static int setting_copy(void *d, const void *s)
{
	const struct msetting *src = s;
	struct msetting t = {mx_strdup(src->name), mx_strdup(src->value)};

	if (!t.name || !t.value) {
		mx_free(t.name);
		mx_free(t.value);
		return -ENOMEM;
	}
	*(struct msetting *)d = t;
	return 0;
}

static void policy_clear(void *r)
{
	macext_kext_policy_clear(r);
}

static void history_clear(void *r)
{
	mx_store_history_clear(r);
}

static void mdm_clear(void *r)
{
	mx_store_mdm_clear(r);
}

static void pending_clear(void *r)
{
	macext_pending_approval_clear(r);
}

static void setting_clear(void *r)
{
	struct msetting *m = r;

	mx_free(m->name);
	mx_free(m->value);
}

static const struct mtab proto[T_COUNT] = {
	[T_POLICY] = {NULL, 0, 0, sizeof(struct macext_kext_policy), policy_cmp, policy_copy,
		      policy_clear},
	[T_HISTORY] = {NULL, 0, 0, sizeof(struct macext_kext_load_history), history_cmp,
		       history_copy, history_clear},
	[T_MDM] = {NULL, 0, 0, sizeof(struct macext_kext_policy_mdm), mdm_cmp, mdm_copy,
		   mdm_clear},
	[T_SETTING] = {NULL, 0, 0, sizeof(struct msetting), setting_cmp, setting_copy,
		       setting_clear},
	[T_PENDING] = {NULL, 0, 0, sizeof(struct macext_pending_approval), pending_cmp,
		       pending_copy, pending_clear},
};

static void *row(const struct mtab *t, size_t i)
{
	return (char *)t->rows + i * t->size;
}

/* First index whose row is not below KEY; *FOUND if that row equals KEY. */
static size_t lower_bound(const struct mtab *t, const void *key, bool *found)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->cmp(row(t, mid), key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < t->n && t->cmp(row(t, lo), key) == 0;
	return lo;
}

static void *mtab_find(const struct mtab *t, const void *key)
{
	bool found;
	size_t i = lower_bound(t, key, &found);

	return found ? row(t, i) : NULL;
}

/* Inserts a copy of REC, or replaces the row with its key. */
static int mtab_put(struct mtab *t, const void *rec)
{
	bool found;
	size_t i = lower_bound(t, rec, &found);
	union {
		struct macext_kext_policy p;
		struct macext_kext_load_history h;
		struct macext_kext_policy_mdm m;
		struct macext_pending_approval a;
		struct msetting s;
	} tmp;
	int r;

	if (!found) {
		r = mx_grow(&t->rows, &t->cap, t->n + 1, t->size);
		if (r < 0)
			return r;
	}
	r = t->copy(&tmp, rec);
	if (r < 0)
		return r;
	if (found) {
		t->clear(row(t, i));
	} else {
		memmove(row(t, i + 1), row(t, i), (t->n - i) * t->size);
		t->n++;
	}
	memcpy(row(t, i), &tmp, t->size);
	return 0;
}

static int mtab_remove(struct mtab *t, const void *key)
{
	bool found;
	size_t i = lower_bound(t, key, &found);

	if (!found)
		return -ENOENT;
	t->clear(row(t, i));
	memmove(row(t, i), row(t, i + 1), (t->n - i - 1) * t->size);
	t->n--;
	return 0;
}

static void mtab_free(struct mtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		t->clear(row(t, i));
	mx_free(t->rows);
	t->rows = NULL;
	t->n = t->cap = 0;
}

static int mtab_clone(struct mtab *dst, const struct mtab *src)
{
	struct mtab t = *src;
	int r;

	t.rows = NULL;
	t.n = t.cap = 0;
	r = mx_grow(&t.rows, &t.cap, src->n ? src->n : 1, t.size);
	if (r < 0)
		return r;
	for (; t.n < src->n; t.n++) {
		r = t.copy(row(&t, t.n), row(src, t.n));
		if (r < 0) {
			mtab_free(&t);
			return r;
		}
	}
	*dst = t;
	return 0;
}

static struct mem_store *M(struct macext_store *s)
{
	return (struct mem_store *)s;
}

static int mem_open(struct macext_store **ret, const char *path, unsigned flags,
		    struct macext_diag *diag)
{
	struct mem_store *m;

	(void)path;
	(void)diag;
	m = mx_calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	memcpy(m->t, proto, sizeof(proto));
	memcpy(m->snap, proto, sizeof(proto));
	m->base.has_cdhash = (flags & MACEXT_STORE_CDHASH) != 0;
	*ret = &m->base;
	return 0;
}

static void mem_close(struct macext_store *s)
{
	struct mem_store *m = M(s);

	for (int i = 0; i < T_COUNT; i++) {
		mtab_free(&m->t[i]);
		mtab_free(&m->snap[i]);
	}
	mx_free(m);
}

static int mem_begin(struct macext_store *s)
{
	struct mem_store *m = M(s);
	int r;

	for (int i = 0; i < T_COUNT; i++) {
		r = mtab_clone(&m->snap[i], &m->t[i]);
		if (r < 0) {
			while (i-- > 0)
				mtab_free(&m->snap[i]);
			return mx_diag_fail_nopos(&s->diag, r, "begin: out of memory");
		}
	}
	return 0;
}

static int mem_commit(struct macext_store *s)
{
	for (int i = 0; i < T_COUNT; i++)
		mtab_free(&M(s)->snap[i]);
	return 0;
}

static int mem_rollback(struct macext_store *s)
{
	struct mem_store *m = M(s);

	for (int i = 0; i < T_COUNT; i++) {
		mtab_free(&m->t[i]);
		m->t[i] = m->snap[i];
		m->snap[i] = proto[i];
	}
	return 0;
}

static int nomem(struct macext_store *s, const char *what)
{
	return mx_diag_fail_nopos(&s->diag, -ENOMEM, "%s: out of memory", what);
}

static int not_found(struct macext_store *s, const char *what, const char *team_id,
		     const char *bundle_id)
{
	return mx_diag_fail_nopos(&s->diag, -ENOENT, "%s (%s, %s): no such row", what, team_id,
				  bundle_id);
}

/* Copies the row of table T equal to KEY, keyed (TEAM_ID, BUNDLE_ID), into RET; -ENOENT
 * naming WHAT when there is none. */
static int get_keyed(struct macext_store *s, int t, const void *key, const char *what,
		     const char *team_id, const char *bundle_id, void *ret)
{
	const struct mtab *tab = &M(s)->t[t];
	const void *rec = mtab_find(tab, key);

	if (!rec)
		return not_found(s, what, team_id, bundle_id);
	if (tab->copy(ret, rec) < 0)
		return nomem(s, what);
	return 0;
}

/* Inserts or replaces REC in table T, then calls the test hook HOOK. */
static int put(struct macext_store *s, int t, const void *rec, const char *what, const char *hook)
{
	if (mtab_put(&M(s)->t[t], rec) < 0)
		return nomem(s, what);
	mx_store_hook(s, hook);
	return 0;
}

/* Removes the row of table T equal to KEY, keyed (TEAM_ID, BUNDLE_ID), then calls the test
 * hook HOOK; -ENOENT naming WHAT when there is none. */
static int remove_keyed(struct macext_store *s, int t, const void *key, const char *what,
			const char *hook, const char *team_id, const char *bundle_id)
{
	if (mtab_remove(&M(s)->t[t], key) < 0)
		return not_found(s, what, team_id, bundle_id);
	mx_store_hook(s, hook);
	return 0;
}

static int mem_policy_get(struct macext_store *s, const char *team_id, const char *bundle_id,
			  struct macext_kext_policy *ret)
{
	struct macext_kext_policy key = {.team_id = team_id, .bundle_id = bundle_id};

	return get_keyed(s, T_POLICY, &key, "kext policy", team_id, bundle_id, ret);
}

static int mem_policy_put(struct macext_store *s, const struct macext_kext_policy *p)
{
	struct macext_kext_policy t = *p;

	t.allowed_raw = p->allowed ? "1" : "0"; /* what SQLite would read back */
	return put(s, T_POLICY, &t, "kext policy", "kext_policy_put");
}

static int mem_policy_delete(struct macext_store *s, const char *team_id, const char *bundle_id)
{
	struct macext_kext_policy key = {.team_id = team_id, .bundle_id = bundle_id};

	return remove_keyed(s, T_POLICY, &key, "kext policy", "kext_policy_delete", team_id,
			    bundle_id);
}

static int mem_policy_foreach(struct macext_store *s, const char *team_id, const char *bundle_id,
			      macext_kext_policy_fn fn, void *userdata)
{
	const struct mtab *t = &M(s)->t[T_POLICY];

	for (size_t i = 0; i < t->n; i++) {
		const struct macext_kext_policy *p = row(t, i);
		int r;

		if (team_id && strcmp_null(p->team_id, team_id) != 0)
			continue;
		if (bundle_id && strcmp_null(p->bundle_id, bundle_id) != 0)
			continue;
		r = fn(userdata, p);
		if (r)
			return r;
	}
	return 0;
}

static int mem_history_add(struct macext_store *s, const struct macext_kext_load_history *h)
{
	return put(s, T_HISTORY, h, "load history", "load_history_add");
}

static int mem_history_foreach(struct macext_store *s, macext_kext_load_history_fn fn,
			       void *userdata)
{
	const struct mtab *t = &M(s)->t[T_HISTORY];

	for (size_t i = 0; i < t->n; i++) {
		int r = fn(userdata, row(t, i));

		if (r)
			return r;
	}
	return 0;
}

static int mem_mdm_replace_all(struct macext_store *s, const struct macext_kext_policy_mdm *rows,
			       size_t n)
{
	struct mtab t = proto[T_MDM];
	int r;

	r = mx_grow(&t.rows, &t.cap, n ? n : 1, t.size);
	if (r < 0)
		return nomem(s, "mdm policy");
	for (; t.n < n; t.n++) {
		r = mx_store_mdm_copy(row(&t, t.n), &rows[t.n]);
		if (r < 0) {
			mtab_free(&t);
			return nomem(s, "mdm policy");
		}
	}
	qsort(t.rows, t.n, t.size, mdm_cmp);
	mtab_free(&M(s)->t[T_MDM]);
	M(s)->t[T_MDM] = t;
	mx_store_hook(s, "mdm_policy_replace_all");
	return 0;
}

static int mem_mdm_foreach(struct macext_store *s, macext_kext_policy_mdm_fn fn, void *userdata)
{
	const struct mtab *t = &M(s)->t[T_MDM];

	for (size_t i = 0; i < t->n; i++) {
		int r = fn(userdata, row(t, i));

		if (r)
			return r;
	}
	return 0;
}

static int mem_setting_get(struct macext_store *s, const char *name, char **ret)
{
	struct msetting key = {(char *)name, NULL};
	const struct msetting *m = mtab_find(&M(s)->t[T_SETTING], &key);
	char *v;

	if (!m)
		return mx_diag_fail_nopos(&s->diag, -ENOENT, "setting %s: not set", name);
	v = mx_strdup(m->value);
	if (!v)
		return nomem(s, "setting");
	*ret = v;
	return 0;
}

static int mem_setting_set(struct macext_store *s, const char *name, const char *value)
{
	struct msetting rec = {(char *)name, (char *)value};

	return put(s, T_SETTING, &rec, "setting", "setting_set");
}

static int mem_pending_add(struct macext_store *s, const struct macext_pending_approval *p)
{
	return put(s, T_PENDING, p, "pending approval", "pending_add");
}

static int mem_pending_get(struct macext_store *s, const char *team_id, const char *bundle_id,
			   struct macext_pending_approval *ret)
{
	struct macext_pending_approval key = {.team_id = team_id, .bundle_id = bundle_id};

	return get_keyed(s, T_PENDING, &key, "pending approval", team_id, bundle_id, ret);
}

static int mem_pending_foreach(struct macext_store *s, macext_pending_approval_fn fn,
			       void *userdata)
{
	const struct mtab *t = &M(s)->t[T_PENDING];

	for (size_t i = 0; i < t->n; i++) {
		int r = fn(userdata, row(t, i));

		if (r)
			return r;
	}
	return 0;
}

static int mem_pending_remove(struct macext_store *s, const char *team_id, const char *bundle_id)
{
	struct macext_pending_approval key = {.team_id = team_id, .bundle_id = bundle_id};

	return remove_keyed(s, T_PENDING, &key, "pending approval", "pending_remove", team_id,
			    bundle_id);
}

const struct macext_store_ops mx_store_memory_ops = {
	.version = MACEXT_STORE_OPS_VERSION,
	.name = "memory",
	.open = mem_open,
	.begin = mem_begin,
	.commit = mem_commit,
	.rollback = mem_rollback,
	.kext_policy_get = mem_policy_get,
	.kext_policy_put = mem_policy_put,
	.kext_policy_delete = mem_policy_delete,
	.kext_policy_foreach = mem_policy_foreach,
	.load_history_add = mem_history_add,
	.load_history_foreach = mem_history_foreach,
	.mdm_policy_replace_all = mem_mdm_replace_all,
	.mdm_policy_foreach = mem_mdm_foreach,
	.setting_get = mem_setting_get,
	.setting_set = mem_setting_set,
	.pending_add = mem_pending_add,
	.pending_get = mem_pending_get,
	.pending_foreach = mem_pending_foreach,
	.pending_remove = mem_pending_remove,
	.close = mem_close,
};
