/*
 * lib/store/store.c: the store's front end. It picks a backend, refuses one built for
 * another interface version, and guards every operation before the backend sees it.
 *
 * Invariants:
 * 1. A backend is used only if ops->version == MACEXT_STORE_OPS_VERSION and it fills
 *    every operation (macext_store_open_ops); otherwise -ENOTSUP and nothing is opened.
 * 2. A read-only store never reaches a backend's write operation: the front end answers
 *    -EROFS (check_write).
 * 3. begin/commit/rollback follow the in_txn flag: one transaction at a time, no nesting;
 *    in_txn changes only when the backend's call succeeded (a failed commit stays open).
 * 4. While a foreach runs its callback, changes and other foreach calls get -EBUSY, so a
 *    backend never sees its table move under an open cursor.
 * 5. Records leave the store only as copies whose strings live in one block (`mem`),
 *    made by the *_copy helpers below, so every backend hands out the same ownership.
 */
#include "store/store_internal.h"

#include <errno.h>
#include <string.h>

#include "util/alloc.h"
#include "util/diag.h"

static const struct {
	const char *name;
	const struct macext_store_ops *ops;
} backends[] = {
	{"sqlite", &mx_store_sqlite_ops},
	{"memory", &mx_store_memory_ops},
};

static bool ops_complete(const struct macext_store_ops *o)
{
	return o->open && o->begin && o->commit && o->rollback && o->kext_policy_get &&
	       o->kext_policy_put && o->kext_policy_delete && o->kext_policy_foreach &&
	       o->load_history_add && o->load_history_foreach && o->mdm_policy_replace_all &&
	       o->mdm_policy_foreach && o->setting_get && o->setting_set && o->pending_add &&
	       o->pending_get && o->pending_foreach && o->pending_remove && o->close;
}

int macext_store_open_ops(struct macext_store **ret, const struct macext_store_ops *ops,
			  const char *path, unsigned flags, struct macext_diag *diag)
{
	struct macext_store *s = NULL;
	int r;

	if (!ret || !ops)
		return mx_diag_fail_nopos(diag, -EINVAL, "store: no backend given");
	if (ops->version != MACEXT_STORE_OPS_VERSION)
		return mx_diag_fail_nopos(diag, -ENOTSUP,
					  "store backend %s: built for interface version %u, this "
					  "library has version %u",
					  ops->name ? ops->name : "(unnamed)", ops->version,
					  MACEXT_STORE_OPS_VERSION);
	if (!ops_complete(ops))
		return mx_diag_fail_nopos(diag, -ENOTSUP, "store backend %s: an operation is missing",
					  ops->name ? ops->name : "(unnamed)");
	r = ops->open(&s, path, flags, diag);
	if (r < 0)
		return r;
	s->ops = ops;
	s->flags = flags;
	s->in_txn = false;
	s->iterating = false;
	memset(&s->diag, 0, sizeof(s->diag));
	s->test_hook = NULL;
	s->test_hook_data = NULL;
	*ret = s;
	return 0;
}

int macext_store_open(struct macext_store **ret, const char *backend, const char *path,
		      unsigned flags, struct macext_diag *diag)
{
	if (!backend)
		return mx_diag_fail_nopos(diag, -EINVAL, "store: no backend named");
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i].name, backend) == 0)
			return macext_store_open_ops(ret, backends[i].ops, path, flags, diag);
	return mx_diag_fail_nopos(diag, MACEXT_E_USAGE,
				  "store backend '%s': unknown (sqlite, memory)", backend);
}

void macext_store_close(struct macext_store *s)
{
	if (!s)
		return;
	if (s->in_txn)
		s->ops->rollback(s);
	s->ops->close(s);
}

const struct macext_diag *macext_store_diag(const struct macext_store *s)
{
	return &s->diag;
}

void macext_store_set_test_hook(struct macext_store *s, macext_store_hook_fn fn, void *userdata)
{
	s->test_hook = fn;
	s->test_hook_data = userdata;
}

void mx_store_hook(struct macext_store *s, const char *point)
{
	if (s->test_hook)
		s->test_hook(s->test_hook_data, point);
}

/* Guard for every change (invariants 2 and 4). */
static int check_write(struct macext_store *s, const char *what)
{
	if (s->flags & MACEXT_STORE_READ_ONLY)
		return mx_diag_fail_nopos(&s->diag, -EROFS, "%s: the store is open read-only", what);
	if (s->iterating)
		return mx_diag_fail_nopos(&s->diag, -EBUSY, "%s: a foreach is running", what);
	return 0;
}

static int check_foreach(struct macext_store *s, bool has_fn, const char *what)
{
	if (!has_fn)
		return mx_diag_fail_nopos(&s->diag, -EINVAL, "%s: no callback", what);
	if (s->iterating)
		return mx_diag_fail_nopos(&s->diag, -EBUSY, "%s: a foreach is running", what);
	return 0;
}

int macext_store_begin(struct macext_store *s)
{
	int r;

	if (s->in_txn)
		return mx_diag_fail_nopos(&s->diag, -EINVAL, "begin: a transaction is open");
	r = check_write(s, "begin");
	if (r < 0)
		return r;
	r = s->ops->begin(s);
	if (r == 0)
		s->in_txn = true;
	return r;
}

int macext_store_commit(struct macext_store *s)
{
	int r;

	if (!s->in_txn)
		return mx_diag_fail_nopos(&s->diag, -EINVAL, "commit: no transaction is open");
	if (s->iterating)
		return mx_diag_fail_nopos(&s->diag, -EBUSY, "commit: a foreach is running");
	r = s->ops->commit(s);
	if (r == 0)
		s->in_txn = false;
	return r;
}

int macext_store_rollback(struct macext_store *s)
{
	int r;

	if (!s->in_txn)
		return mx_diag_fail_nopos(&s->diag, -EINVAL, "rollback: no transaction is open");
	if (s->iterating)
		return mx_diag_fail_nopos(&s->diag, -EBUSY, "rollback: a foreach is running");
	r = s->ops->rollback(s);
	if (r == 0)
		s->in_txn = false;
	return r;
}

int macext_store_kext_policy_get(struct macext_store *s, const char *team_id,
				 const char *bundle_id, struct macext_kext_policy *ret)
{
	if (!team_id || !bundle_id || !ret)
		return mx_diag_fail_nopos(&s->diag, -EINVAL, "kext policy: no team or bundle id");
	return s->ops->kext_policy_get(s, team_id, bundle_id, ret);
}

int macext_store_kext_policy_put(struct macext_store *s, const struct macext_kext_policy *p)
{
	int r = check_write(s, "kext policy");

	if (r < 0)
		return r;
	if (!p || !p->team_id || !p->bundle_id)
		return mx_diag_fail_nopos(&s->diag, -EINVAL, "kext policy: no team or bundle id");
	return s->ops->kext_policy_put(s, p);
}

int macext_store_kext_policy_delete(struct macext_store *s, const char *team_id,
				    const char *bundle_id)
{
	int r = check_write(s, "kext policy");

	if (r < 0)
		return r;
	if (!team_id || !bundle_id)
		return mx_diag_fail_nopos(&s->diag, -EINVAL, "kext policy: no team or bundle id");
	return s->ops->kext_policy_delete(s, team_id, bundle_id);
}

int macext_store_kext_policy_foreach(struct macext_store *s, const char *team_id,
				     const char *bundle_id, macext_kext_policy_fn fn,
				     void *userdata)
{
	int r = check_foreach(s, fn != NULL, "kext policy");

	if (r < 0)
		return r;
	s->iterating = true;
	r = s->ops->kext_policy_foreach(s, team_id, bundle_id, fn, userdata);
	s->iterating = false;
	return r;
}

void macext_kext_policy_clear(struct macext_kext_policy *p)
{
	if (!p)
		return;
	mx_free(p->mem);
	memset(p, 0, sizeof(*p));
}

int macext_store_load_history_add(struct macext_store *s, const struct macext_kext_load_history *h)
{
	int r = check_write(s, "load history");

	if (r < 0)
		return r;
	if (!h || !h->path)
		return mx_diag_fail_nopos(&s->diag, -EINVAL, "load history: no path");
	if (h->cdhash && !s->has_cdhash)
		return mx_diag_fail_nopos(&s->diag, -ENOTSUP,
					  "load history %s: this database has no cdhash column "
					  "(macOS 10.15 or earlier shape)",
					  h->path);
	return s->ops->load_history_add(s, h);
}

int macext_store_load_history_foreach(struct macext_store *s, macext_kext_load_history_fn fn,
				      void *userdata)
{
	int r = check_foreach(s, fn != NULL, "load history");

	if (r < 0)
		return r;
	s->iterating = true;
	r = s->ops->load_history_foreach(s, fn, userdata);
	s->iterating = false;
	return r;
}

int macext_store_mdm_policy_replace_all(struct macext_store *s,
					const struct macext_kext_policy_mdm *rows, size_t n)
{
	int r = check_write(s, "mdm policy");

	if (r < 0)
		return r;
	if (n && !rows)
		return mx_diag_fail_nopos(&s->diag, -EINVAL, "mdm policy: no rows");
	for (size_t i = 0; i < n; i++)
		if (!rows[i].team_id)
			return mx_diag_fail_nopos(&s->diag, -EINVAL, "mdm policy row %zu: no team id",
						  i);
	return s->ops->mdm_policy_replace_all(s, rows, n);
}

int macext_store_mdm_policy_foreach(struct macext_store *s, macext_kext_policy_mdm_fn fn,
				    void *userdata)
{
	int r = check_foreach(s, fn != NULL, "mdm policy");

	if (r < 0)
		return r;
	s->iterating = true;
	r = s->ops->mdm_policy_foreach(s, fn, userdata);
	s->iterating = false;
	return r;
}

int macext_store_setting_get(struct macext_store *s, const char *name, char **ret)
{
	if (!name || !ret)
		return mx_diag_fail_nopos(&s->diag, -EINVAL, "setting: no name");
	return s->ops->setting_get(s, name, ret);
}

int macext_store_setting_set(struct macext_store *s, const char *name, const char *value)
{
	int r = check_write(s, "setting");

	if (r < 0)
		return r;
	if (!name || !value)
		return mx_diag_fail_nopos(&s->diag, -EINVAL, "setting: no name or value");
	return s->ops->setting_set(s, name, value);
}

int macext_store_pending_add(struct macext_store *s, const struct macext_pending_approval *p)
{
	int r = check_write(s, "pending approval");

	if (r < 0)
		return r;
	if (!p || !p->team_id || !p->bundle_id)
		return mx_diag_fail_nopos(&s->diag, -EINVAL,
					  "pending approval: no team or bundle id");
	return s->ops->pending_add(s, p);
}

int macext_store_pending_get(struct macext_store *s, const char *team_id, const char *bundle_id,
			     struct macext_pending_approval *ret)
{
	if (!team_id || !bundle_id || !ret)
		return mx_diag_fail_nopos(&s->diag, -EINVAL,
					  "pending approval: no team or bundle id");
	return s->ops->pending_get(s, team_id, bundle_id, ret);
}

int macext_store_pending_foreach(struct macext_store *s, macext_pending_approval_fn fn,
				 void *userdata)
{
	int r = check_foreach(s, fn != NULL, "pending approval");

	if (r < 0)
		return r;
	s->iterating = true;
	r = s->ops->pending_foreach(s, fn, userdata);
	s->iterating = false;
	return r;
}

int macext_store_pending_remove(struct macext_store *s, const char *team_id,
				const char *bundle_id)
{
	int r = check_write(s, "pending approval");

	if (r < 0)
		return r;
	if (!team_id || !bundle_id)
		return mx_diag_fail_nopos(&s->diag, -EINVAL,
					  "pending approval: no team or bundle id");
	return s->ops->pending_remove(s, team_id, bundle_id);
}

void macext_pending_approval_clear(struct macext_pending_approval *p)
{
	if (!p)
		return;
	mx_free(p->mem);
	memset(p, 0, sizeof(*p));
}

void mx_store_history_clear(struct macext_kext_load_history *h)
{
	if (!h)
		return;
	mx_free(h->mem);
	memset(h, 0, sizeof(*h));
}

void mx_store_mdm_clear(struct macext_kext_policy_mdm *m)
{
	if (!m)
		return;
	mx_free(m->mem);
	memset(m, 0, sizeof(*m));
}

/* Copies the strings FIELDS point at into one fresh block and points the fields into it.
 * NULL fields stay NULL. */
static int pack(void **ret_mem, const char **fields[], size_t n)
{
	size_t total = 1, len;
	char *mem, *p;

	for (size_t i = 0; i < n; i++)
		if (*fields[i])
			total += strlen(*fields[i]) + 1;
	mem = mx_malloc(total);
	if (!mem)
		return -ENOMEM;
	p = mem;
	for (size_t i = 0; i < n; i++) {
		if (!*fields[i])
			continue;
		len = strlen(*fields[i]) + 1;
		memcpy(p, *fields[i], len);
		*fields[i] = p;
		p += len;
	}
	*ret_mem = mem;
	return 0;
}

int mx_store_policy_copy(struct macext_kext_policy *dst, const struct macext_kext_policy *src)
{
	struct macext_kext_policy t = *src;
	const char **f[] = {&t.team_id, &t.bundle_id, &t.allowed_raw, &t.developer_name};
	int r = pack(&t.mem, f, sizeof(f) / sizeof(f[0]));

	if (r == 0)
		*dst = t;
	return r;
}

int mx_store_history_copy(struct macext_kext_load_history *dst,
			  const struct macext_kext_load_history *src)
{
	struct macext_kext_load_history t = *src;
	const char **f[] = {&t.path,       &t.team_id,   &t.bundle_id, &t.boot_uuid,
			    &t.created_at, &t.last_seen, &t.cdhash};
	int r = pack(&t.mem, f, sizeof(f) / sizeof(f[0]));

	if (r == 0)
		*dst = t;
	return r;
}

int mx_store_mdm_copy(struct macext_kext_policy_mdm *dst, const struct macext_kext_policy_mdm *src)
{
	struct macext_kext_policy_mdm t = *src;
	const char **f[] = {&t.team_id, &t.bundle_id, &t.payload_uuid};
	int r = pack(&t.mem, f, sizeof(f) / sizeof(f[0]));

	if (r == 0)
		*dst = t;
	return r;
}

int mx_store_pending_copy(struct macext_pending_approval *dst,
			  const struct macext_pending_approval *src)
{
	struct macext_pending_approval t = *src;
	const char **f[] = {&t.team_id, &t.bundle_id, &t.developer_name, &t.path};
	int r = pack(&t.mem, f, sizeof(f) / sizeof(f[0]));

	if (r == 0)
		*dst = t;
	return r;
}
