/*
 * lib/machine/profiles_merge.c: the effective policy of several installed extension
 * payloads (reference/mdm-sysext.md §4.1, §8 U-1 U-2 U-3 U-19; kexts.md §9 P9).
 *
 * 1. Allow-lists are a union. Each (kind, team, item) becomes one entry that names every
 *    payload listing it, in install order.
 * 2. Kext U-2, per payload before merging: a team in AllowedTeamIdentifiers that the same
 *    payload also keys in AllowedKernelExtensions gives no team-wide entry; it is recorded
 *    as "kext-team-shadowed" instead (not an allow).
 * 3. AllowUserOverrides (both payloads) and AllowNonAdminUserApprovals: an explicit false in
 *    any payload wins, else an explicit true, else the default (kext false, sysext true).
 * 4. AllowedSystemExtensionTypes merge as a union per team (inferred); a team with no
 *    type entry anywhere may install every type.
 * Nothing here reads a file or the clock: profiles.c feeds it parsed payloads.
 */
#include "machine/profiles.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

#define KEXT_TYPE "com.apple.syspolicy.kernel-extension-policy"
#define SYSEXT_TYPE "com.apple.system-extension-policy"

/* ---- reading payloads out of a plist ------------------------------------------------- */

static const char *str_of(plist_t n)
{
	return n && plist_get_node_type(n) == PLIST_STRING ? plist_get_string_ptr(n, NULL) : NULL;
}

static int str_list(plist_t arr, char ***ret, size_t *ret_n)
{
	uint32_t n = arr && plist_get_node_type(arr) == PLIST_ARRAY ? plist_array_get_size(arr)
								    : 0;
	char **v = n ? mx_calloc(n, sizeof(*v)) : NULL;
	size_t k = 0;

	if (n && !v)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		const char *s = str_of(plist_array_get_item(arr, i));

		if (!s)
			continue;
		v[k] = mx_strdup(s);
		if (!v[k]) {
			while (k)
				mx_free(v[--k]);
			mx_free(v);
			return -ENOMEM;
		}
		k++;
	}
	*ret = v;
	*ret_n = k;
	return 0;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mx_free(v[i]);
	mx_free(v);
}

static void dict_free(struct mx_team_dict *d)
{
	for (size_t i = 0; i < d->n; i++) {
		mx_free(d->v[i].team_id);
		strv_free(d->v[i].items, d->v[i].nitems);
	}
	mx_free(d->v);
	d->v = NULL;
	d->n = 0;
}

static int team_dict(plist_t dict, struct mx_team_dict *ret)
{
	uint32_t n = dict && plist_get_node_type(dict) == PLIST_DICT ? plist_dict_get_size(dict)
								     : 0;
	plist_dict_iter it = NULL;
	int r = 0;

	ret->v = NULL;
	ret->n = 0;
	if (!n)
		return 0;
	ret->v = mx_calloc(n, sizeof(*ret->v));
	if (!ret->v)
		return -ENOMEM;
	plist_dict_new_iter(dict, &it);
	for (uint32_t i = 0; i < n && r == 0; i++) {
		char *key = NULL;
		plist_t val = NULL;
		struct mx_team_list *e = &ret->v[ret->n];

		plist_dict_next_item(dict, it, &key, &val);
		if (!key)
			break;
		if (val && plist_get_node_type(val) == PLIST_ARRAY) {
			e->team_id = mx_strdup(key);
			r = e->team_id ? str_list(val, &e->items, &e->nitems) : -ENOMEM;
			ret->n++;
		}
		free(key);
	}
	free(it);
	if (r < 0)
		dict_free(ret);
	return r;
}

static enum macext_tristate tri(plist_t n)
{
	uint8_t b = 0;

	if (!n || plist_get_node_type(n) != PLIST_BOOLEAN)
		return MACEXT_UNSET;
	plist_get_bool_val(n, &b);
	return b ? MACEXT_TRUE : MACEXT_FALSE;
}

static void payload_clear(struct mx_payload *p)
{
	mx_free(p->profile_id);
	mx_free(p->payload_uuid);
	strv_free(p->teams, p->nteams);
	dict_free(&p->allowed);
	dict_free(&p->types);
	dict_free(&p->removable);
	dict_free(&p->non_removable);
	dict_free(&p->non_removable_ui);
	memset(p, 0, sizeof(*p));
}

void mx_payloads_free(struct mx_payload *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		payload_clear(&v[i]);
	mx_free(v);
}

static int payload_read(plist_t pl, bool sysext, const char *profile_id, struct mx_payload *p)
{
	const char *uuid = str_of(plist_dict_get_item(pl, "PayloadUUID"));
	int r;

	memset(p, 0, sizeof(*p));
	p->sysext = sysext;
	p->profile_id = mx_strdup(profile_id);
	p->payload_uuid = mx_strdup(uuid ? uuid : "");
	if (!p->profile_id || !p->payload_uuid)
		return -ENOMEM;
	p->user_overrides = tri(plist_dict_get_item(pl, "AllowUserOverrides"));
	r = str_list(plist_dict_get_item(pl, "AllowedTeamIdentifiers"), &p->teams, &p->nteams);
	if (r == 0)
		r = team_dict(plist_dict_get_item(pl, sysext ? "AllowedSystemExtensions"
							     : "AllowedKernelExtensions"),
			      &p->allowed);
	if (!sysext) {
		p->non_admin = tri(plist_dict_get_item(pl, "AllowNonAdminUserApprovals"));
		return r;
	}
	if (r == 0)
		r = team_dict(plist_dict_get_item(pl, "AllowedSystemExtensionTypes"), &p->types);
	if (r == 0)
		r = team_dict(plist_dict_get_item(pl, "RemovableSystemExtensions"), &p->removable);
	if (r == 0)
		r = team_dict(plist_dict_get_item(pl, "NonRemovableSystemExtensions"),
			      &p->non_removable);
	if (r == 0)
		r = team_dict(plist_dict_get_item(pl, "NonRemovableFromUISystemExtensions"),
			      &p->non_removable_ui);
	return r;
}

int mx_payloads_from_plist(plist_t root, const char *profile_id, struct mx_payload **v,
			   size_t *n)
{
	plist_t content = root && plist_get_node_type(root) == PLIST_DICT
				  ? plist_dict_get_item(root, "PayloadContent")
				  : NULL;
	uint32_t count = content && plist_get_node_type(content) == PLIST_ARRAY
				 ? plist_array_get_size(content)
				 : 0;

	for (uint32_t i = 0; i < count; i++) {
		plist_t pl = plist_array_get_item(content, i);
		const char *type;
		bool sysext;
		int r;

		if (!pl || plist_get_node_type(pl) != PLIST_DICT)
			continue;
		type = str_of(plist_dict_get_item(pl, "PayloadType"));
		if (!type || (strcmp(type, KEXT_TYPE) != 0 && strcmp(type, SYSEXT_TYPE) != 0))
			continue;
		sysext = strcmp(type, SYSEXT_TYPE) == 0;
		r = mx_grow((void **)v, &(size_t){*n}, *n + 1, sizeof(**v));
		if (r < 0)
			return r;
		r = payload_read(pl, sysext, profile_id, &(*v)[*n]);
		(*n)++;
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- merging -------------------------------------------------------------------------- */

/* One (kind, team, item) seen in payload PAYLOAD; sorted, then grouped into entries. */
struct tup {
	const char *kind;
	const char *team;
	const char *item;
	size_t payload;
};

struct tups {
	struct tup *v;
	size_t n, cap;
};

static int tup_add(struct tups *t, const char *kind, const char *team, const char *item,
		   size_t payload)
{
	int r = mx_grow((void **)&t->v, &t->cap, t->n + 1, sizeof(*t->v));

	if (r < 0)
		return r;
	t->v[t->n++] = (struct tup){kind, team, item, payload};
	return 0;
}

static int nullcmp(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int key_cmp(const char *ka, const char *ta, const char *ia, const char *kb,
		   const char *tb, const char *ib)
{
	int c = strcmp(ka, kb);

	if (c == 0)
		c = strcmp(ta, tb);
	if (c == 0)
		c = nullcmp(ia, ib);
	return c;
}

static int tup_cmp(const void *a, const void *b)
{
	const struct tup *x = a, *y = b;
	int c = key_cmp(x->kind, x->team, x->item, y->kind, y->team, y->item);

	if (c == 0)
		c = (x->payload > y->payload) - (x->payload < y->payload);
	return c;
}

static bool keyed(const struct mx_team_dict *d, const char *team)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].team_id, team) == 0)
			return true;
	return false;
}

static int dict_tups(struct tups *t, const char *kind, const struct mx_team_dict *d, size_t i)
{
	int r = 0;

	for (size_t k = 0; k < d->n && r == 0; k++)
		for (size_t j = 0; j < d->v[k].nitems && r == 0; j++)
			r = tup_add(t, kind, d->v[k].team_id, d->v[k].items[j], i);
	return r;
}

static int payload_tups(struct tups *t, const struct mx_payload *p, size_t i)
{
	const char *team_kind = p->sysext ? "sysext-team" : "kext-team";
	int r = 0;

	for (size_t k = 0; k < p->nteams && r == 0; k++) {
		bool shadowed = !p->sysext && keyed(&p->allowed, p->teams[k]);

		r = tup_add(t, shadowed ? "kext-team-shadowed" : team_kind, p->teams[k], NULL, i);
	}
	if (r == 0)
		r = dict_tups(t, p->sysext ? "sysext" : "kext", &p->allowed, i);
	if (r == 0 && p->sysext)
		r = dict_tups(t, "sysext-type", &p->types, i);
	if (r == 0 && p->sysext)
		r = dict_tups(t, "sysext-removable", &p->removable, i);
	if (r == 0 && p->sysext)
		r = dict_tups(t, "sysext-non-removable", &p->non_removable, i);
	if (r == 0 && p->sysext)
		r = dict_tups(t, "sysext-non-removable-ui", &p->non_removable_ui, i);
	return r;
}

static int ref_set(struct macext_payload_ref *ref, const struct mx_payload *p)
{
	ref->profile_id = mx_strdup(p->profile_id);
	ref->payload_uuid = mx_strdup(p->payload_uuid);
	return ref->profile_id && ref->payload_uuid ? 0 : -ENOMEM;
}

static void ref_clear(struct macext_payload_ref *ref)
{
	mx_free(ref->profile_id);
	mx_free(ref->payload_uuid);
	ref->profile_id = ref->payload_uuid = NULL;
}

/* Rule 3 over the payloads of one kind; FIELD picks the key. */
static int flag_merge(struct macext_effective_flag *f, const struct mx_payload *v, size_t n,
		      bool sysext, bool non_admin, bool dflt)
{
	const struct mx_payload *first_true = NULL, *first_false = NULL;

	for (size_t i = 0; i < n; i++) {
		enum macext_tristate t = non_admin ? v[i].non_admin : v[i].user_overrides;

		if (v[i].sysext != sysext)
			continue;
		if (t == MACEXT_TRUE && !first_true)
			first_true = &v[i];
		if (t == MACEXT_FALSE && !first_false)
			first_false = &v[i];
	}
	f->set = first_true || first_false;
	f->conflict = first_true && first_false;
	f->value = first_false ? false : first_true ? true : dflt;
	if (!f->set)
		return 0;
	return ref_set(&f->by, first_false ? first_false : first_true);
}

static void entry_clear(struct macext_effective_entry *e)
{
	mx_free(e->team_id);
	mx_free(e->item);
	for (size_t i = 0; i < e->nfrom; i++)
		ref_clear(&e->from[i]);
	mx_free(e->from);
}

void macext_effective_policy_clear(struct macext_effective_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nentries; i++)
		entry_clear(&p->entries[i]);
	mx_free(p->entries);
	mx_free(p->enrollment);
	ref_clear(&p->kext_user_overrides.by);
	ref_clear(&p->kext_non_admin.by);
	ref_clear(&p->sysext_user_overrides.by);
	memset(p, 0, sizeof(*p));
}

static int group(const struct tups *t, const struct mx_payload *v,
		 struct macext_effective_policy *ret)
{
	size_t i = 0;

	ret->entries = t->n ? mx_calloc(t->n, sizeof(*ret->entries)) : NULL;
	if (t->n && !ret->entries)
		return -ENOMEM;
	while (i < t->n) {
		struct macext_effective_entry *e = &ret->entries[ret->nentries++];
		size_t j = i;

		while (j < t->n && key_cmp(t->v[i].kind, t->v[i].team, t->v[i].item, t->v[j].kind,
					   t->v[j].team, t->v[j].item) == 0)
			j++;
		e->kind = t->v[i].kind;
		e->team_id = mx_strdup(t->v[i].team);
		e->item = t->v[i].item ? mx_strdup(t->v[i].item) : NULL;
		e->from = mx_calloc(j - i, sizeof(*e->from));
		if (!e->team_id || (t->v[i].item && !e->item) || !e->from)
			return -ENOMEM;
		for (size_t k = i; k < j; k++) {
			/* one ref per payload, even if a payload lists the item twice */
			if (e->nfrom && t->v[k].payload == t->v[k - 1].payload)
				continue;
			if (ref_set(&e->from[e->nfrom++], &v[t->v[k].payload]) < 0)
				return -ENOMEM;
		}
		i = j;
	}
	return 0;
}

int mx_profiles_merge(const struct mx_payload *v, size_t n, struct macext_effective_policy *ret)
{
	struct tups t = {NULL, 0, 0};
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < n && r == 0; i++) {
		if (v[i].sysext)
			ret->nsysext_payloads++;
		else
			ret->nkext_payloads++;
		r = payload_tups(&t, &v[i], i);
	}
	if (r == 0) {
		if (t.n)
			qsort(t.v, t.n, sizeof(*t.v), tup_cmp);
		r = group(&t, v, ret);
	}
	if (r == 0)
		r = flag_merge(&ret->kext_user_overrides, v, n, false, false, false);
	if (r == 0)
		r = flag_merge(&ret->kext_non_admin, v, n, false, true, false);
	if (r == 0)
		r = flag_merge(&ret->sysext_user_overrides, v, n, true, false, true);
	mx_free(t.v);
	if (r < 0)
		macext_effective_policy_clear(ret);
	return r;
}

static bool has_entry(const struct macext_effective_policy *p, const struct macext_effective_entry *e)
{
	for (size_t i = 0; i < p->nentries; i++) {
		const struct macext_effective_entry *x = &p->entries[i];

		if (key_cmp(x->kind, x->team_id, x->item, e->kind, e->team_id, e->item) == 0)
			return true;
	}
	return false;
}

int mx_profiles_diff(const struct macext_effective_policy *a,
		     const struct macext_effective_policy *b, struct macext_effective_entry **ret,
		     size_t *ret_n)
{
	struct macext_effective_entry *v = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < a->nentries; i++) {
		if (strcmp(a->entries[i].kind, "kext-team-shadowed") == 0 ||
		    has_entry(b, &a->entries[i]))
			continue;
		if (mx_grow((void **)&v, &cap, n + 1, sizeof(*v)) < 0) {
			mx_free(v);
			return -ENOMEM;
		}
		v[n++] = a->entries[i];
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int mx_profiles_mdm_rows(const struct macext_effective_policy *p,
			 struct macext_kext_policy_mdm **ret, size_t *ret_n)
{
	struct macext_kext_policy_mdm *rows = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < p->nentries; i++) {
		const struct macext_effective_entry *e = &p->entries[i];
		bool team = strcmp(e->kind, "kext-team") == 0;

		if (!team && strcmp(e->kind, "kext") != 0)
			continue;
		if (mx_grow((void **)&rows, &cap, n + 1, sizeof(*rows)) < 0) {
			mx_free(rows);
			return -ENOMEM;
		}
		rows[n++] = (struct macext_kext_policy_mdm){
			.team_id = e->team_id,
			.bundle_id = team ? NULL : e->item,
			.allowed = true,
			.payload_uuid = e->from[0].payload_uuid,
		};
	}
	*ret = rows;
	*ret_n = n;
	return 0;
}

static const char *const changes_names[] = {
	[MACEXT_SYSEXT_CHANGES_NONE] = "none",
	[MACEXT_SYSEXT_CHANGES_LATER_REQUESTS] = "later-requests",
	[MACEXT_SYSEXT_CHANGES_ACT_ON_STATE] = "act-on-state",
};

const char *macext_sysext_changes_name(enum macext_sysext_changes c)
{
	return (unsigned)c < sizeof(changes_names) / sizeof(changes_names[0]) ? changes_names[c]
									      : NULL;
}

static bool at_least(const struct macext_macos_version *v, unsigned a, unsigned b, unsigned c)
{
	struct macext_macos_version w = {a, b, c};

	return macext_macos_cmp(v, &w) >= 0;
}

void mx_profiles_machine_fields(struct macext_effective_policy *p,
				const struct macext_macos_version *macos, const char *enrollment)
{
	bool uamdm = enrollment && (strcmp(enrollment, "user-approved") == 0 ||
				    strcmp(enrollment, "ade") == 0);

	p->macos = *macos;
	p->kext_honoured = uamdm && at_least(macos, 10, 13, 2);
	p->sysext_honoured = uamdm && at_least(macos, 10, 15, 0);
	p->sysext_changes = !at_least(macos, 10, 15, 0)  ? MACEXT_SYSEXT_CHANGES_NONE
			    : !at_least(macos, 11, 3, 0) ? MACEXT_SYSEXT_CHANGES_LATER_REQUESTS
							 : MACEXT_SYSEXT_CHANGES_ACT_ON_STATE;
	p->removable_honoured = at_least(macos, 12, 0, 0);
	p->non_removable_honoured = at_least(macos, 15, 0, 0);
}
