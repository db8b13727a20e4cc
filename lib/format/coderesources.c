/*
 * lib/format/coderesources.c: the CodeResources resource seal (codesign.md §2.10).
 *
 *   <dict>
 *     files   path -> <data>SHA-1</data> | {hash: <data>, optional: <bool>}
 *     files2  path -> {hash?, hash2?, optional?, cdhash? + requirement?, symlink?}
 *     rules   regex -> <true/> | {omit?, optional?, weight?}
 *     rules2  regex -> <true/> | {nested?, omit?, optional?, weight?}
 *   </dict>
 *
 * Parsed with libplist (XML or binary) after mx_plist_precheck() bounded its depth and
 * object count and refused NUL keys, which libplist 2.2 aborts on. Every value's type is checked; hashes must have their
 * digest's length (20 for hash and cdhash, 32 for hash2); a path must be relative and free
 * of ".." components, so that no entry can name a file outside the bundle; rules are
 * compiled as POSIX extended regular expressions (Apple's are written for that dialect),
 * at most MX_CR_MAX_PATTERN bytes and without interval expressions, whose expansion by
 * glibc's regcomp is exponential in their nesting.
 * Entries are sorted by path for lookup. Nothing here touches the file system: the walk of
 * the bundle is lib/trust/cs_bundle.c's.
 */
#include "format/coderesources.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <plist/plist.h>

#include "format/cs_limits.h"
#include "format/mobileconfig.h"
#include "util/alloc.h"
#include "util/diag.h"

static int bad(struct macext_diag *diag, const char *what, const char *key)
{
	return mx_diag_fail_nopos(diag, -EBADMSG, "CodeResources: %s '%.200s'", what, key);
}

static bool safe_path(const char *p)
{
	const char *c = p;

	if (!*p || *p == '/')
		return false;
	while (c) {
		if (c[0] == '.' && c[1] == '.' && (c[2] == '/' || c[2] == '\0'))
			return false;
		c = strchr(c, '/');
		if (c)
			c++;
	}
	return true;
}

static int get_data(plist_t v, uint8_t *out, size_t want, const char *key, const char *what,
		    struct macext_diag *diag)
{
	char *data = NULL;
	uint64_t n = 0;

	if (plist_get_node_type(v) != PLIST_DATA)
		return bad(diag, what, key);
	plist_get_data_val(v, &data, &n);
	if (!data || n != want) {
		free(data);
		return bad(diag, what, key);
	}
	memcpy(out, data, want);
	free(data);
	return 0;
}

static int get_bool(plist_t v, bool *out, const char *key, struct macext_diag *diag)
{
	uint8_t b = 0;

	if (plist_get_node_type(v) != PLIST_BOOLEAN)
		return bad(diag, "a flag that is not a boolean in", key);
	plist_get_bool_val(v, &b);
	*out = b != 0;
	return 0;
}

/* plist_get_string_ptr, not _val: libplist 2.2 asserts on a string holding a NUL. */
static int get_string(plist_t v, char **out, const char *key, struct macext_diag *diag)
{
	uint64_t n = 0;
	const char *p = plist_get_node_type(v) == PLIST_STRING ? plist_get_string_ptr(v, &n) : NULL;

	if (!p || memchr(p, 0, (size_t)n))
		return bad(diag, "a value that is not a string in", key);
	*out = mx_strndup(p, (size_t)n);
	return *out ? 0 : -ENOMEM;
}

typedef int (*item_fn)(void *ctx, const char *key, plist_t v, struct macext_diag *diag);

/* Calls FN for the items of DICT in order, at most MAX of them, until one fails. */
static int each_item(plist_t dict, uint32_t max, item_fn fn, void *ctx, struct macext_diag *diag)
{
	plist_dict_iter it = NULL;
	char *k = NULL;
	plist_t v = NULL;
	int r = 0;

	plist_dict_new_iter(dict, &it);
	if (!it)
		return -ENOMEM;
	for (uint32_t i = 0; i < max; i++) {
		free(k);
		k = NULL;
		plist_dict_next_item(dict, it, &k, &v);
		if (!k)
			break;
		r = fn(ctx, k, v, diag);
		if (r < 0)
			break;
	}
	free(k);
	free(it);
	return r;
}

/* Room for the items of a section DICT named NAME, at most MAX WHAT; NULL with *R set. */
static void *alloc_items(plist_t dict, size_t size, uint32_t max, const char *name,
			 const char *what, uint32_t *ret_n, int *r, struct macext_diag *diag)
{
	uint32_t n = plist_dict_get_size(dict);
	void *p;

	if (n > max) {
		*r = mx_diag_fail_nopos(diag, -E2BIG, "CodeResources: %s holds %u %s, limit %u",
					name, n, what, max);
		return NULL;
	}
	p = mx_calloc(n ? n : 1, size);
	if (!p)
		*r = -ENOMEM;
	*ret_n = n;
	return p;
}

static int entry_item(void *ctx, const char *k, plist_t item, struct macext_diag *diag)
{
	struct mx_cr_entry *e = ctx;
	const char *path = e->path;

	if (!strcmp(k, "hash")) {
		e->has_hash = true;
		return get_data(item, e->hash, 20, path, "a hash of the wrong size for", diag);
	} else if (!strcmp(k, "hash2")) {
		e->has_hash2 = true;
		return get_data(item, e->hash2, 32, path, "a hash2 of the wrong size for", diag);
	} else if (!strcmp(k, "cdhash")) {
		e->has_cdhash = true;
		return get_data(item, e->cdhash, 20, path, "a cdhash of the wrong size for", diag);
	} else if (!strcmp(k, "optional")) {
		return get_bool(item, &e->optional, path, diag);
	} else if (!strcmp(k, "symlink") && !e->symlink) {
		return get_string(item, &e->symlink, path, diag);
	} else if (!strcmp(k, "requirement") && !e->requirement) {
		return get_string(item, &e->requirement, path, diag);
	}
	return 0;
}

static int entry(struct mx_cr_entry *e, const char *path, plist_t v, struct macext_diag *diag)
{
	int r;

	if (!safe_path(path))
		return bad(diag, "unsafe path", path);
	e->path = mx_strdup(path);
	if (!e->path)
		return -ENOMEM;
	if (plist_get_node_type(v) == PLIST_DATA) {
		e->has_hash = true;
		return get_data(v, e->hash, 20, path, "a hash of the wrong size for", diag);
	}
	if (plist_get_node_type(v) != PLIST_DICT)
		return bad(diag, "an entry that is neither data nor a dictionary:", path);
	r = each_item(v, UINT32_MAX, entry_item, e, diag);
	if (r == 0 && !e->has_hash && !e->has_hash2 && !e->has_cdhash && !e->symlink)
		r = bad(diag, "an entry without hash, cdhash or symlink:", path);
	return r;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct mx_cr_entry *)a)->path, ((const struct mx_cr_entry *)b)->path);
}

/* The array a section's items are parsed into and its count so far. */
struct fill {
	void *v;
	size_t *n;
};

/* Entries are counted as they are filled: a failed one still owns its strings. */
static int entries_item(void *ctx, const char *k, plist_t v, struct macext_diag *diag)
{
	struct fill *c = ctx;
	struct mx_cr_entry *e = c->v;

	return entry(&e[(*c->n)++], k, v, diag);
}

static int entries(plist_t dict, struct mx_cr_entry **ret, size_t *ret_n, const char *name,
		   struct macext_diag *diag)
{
	struct fill c;
	uint32_t n = 0;
	int r = 0;

	*ret = alloc_items(dict, sizeof(**ret), MX_CR_MAX_ENTRIES, name, "entries", &n, &r,
			   diag);
	if (!*ret)
		return r;
	c.v = *ret;
	c.n = ret_n;
	r = each_item(dict, n, entries_item, &c, diag);
	if (r == 0) {
		qsort(*ret, *ret_n, sizeof(**ret), cmp_entry);
		for (size_t i = 1; i < *ret_n; i++)
			if (!strcmp((*ret)[i - 1].path, (*ret)[i].path))
				return bad(diag, "a path listed twice:", (*ret)[i].path);
	}
	return r;
}

static int rule(struct mx_cr_rule *ru, const char *pattern, plist_t v, struct macext_diag *diag)
{
	ru->weight = 1;
	ru->pattern = mx_strdup(pattern);
	if (!ru->pattern)
		return -ENOMEM;
	if (plist_get_node_type(v) == PLIST_DICT) {
		plist_t w = plist_dict_get_item(v, "weight"), f;
		int r = 0;

		if (w && plist_get_node_type(w) == PLIST_REAL)
			plist_get_real_val(w, &ru->weight);
		else if (w && plist_get_node_type(w) == PLIST_UINT) {
			uint64_t u = 0;

			plist_get_uint_val(w, &u);
			ru->weight = (double)u;
		} else if (w)
			return bad(diag, "a weight that is not a number in rule", pattern);
		if ((f = plist_dict_get_item(v, "omit")))
			r = get_bool(f, &ru->omit, pattern, diag);
		if (r == 0 && (f = plist_dict_get_item(v, "optional")))
			r = get_bool(f, &ru->optional, pattern, diag);
		if (r == 0 && (f = plist_dict_get_item(v, "nested")))
			r = get_bool(f, &ru->nested, pattern, diag);
		if (r < 0)
			return r;
	} else if (plist_get_node_type(v) == PLIST_BOOLEAN) {
		bool b = false;

		get_bool(v, &b, pattern, diag);
		if (!b)
			ru->omit = true;
	} else {
		return bad(diag, "a rule that is neither a boolean nor a dictionary:", pattern);
	}
	return 0;
}

/* A rule pattern regcomp can compile in bounded memory: short, no interval expression, no
 * repetition operator applied to a repetition ("a+*", "(a*)+"), at most 32 of them. */
static bool pattern_ok(const char *k)
{
	unsigned reps = 0;
	char prev = 0, before_group = 0;

	if (strlen(k) > MX_CR_MAX_PATTERN || strchr(k, '{'))
		return false;
	for (const char *c = k; *c; c++) {
		bool rep = *c == '*' || *c == '+' || *c == '?';

		if (*c == '\\' && c[1]) {
			prev = 'a';
			c++;
			continue;
		}
		if (rep && (prev == '*' || prev == '+' || prev == '?' ||
			    (prev == ')' && before_group)))
			return false;
		if (rep && ++reps > 32)
			return false;
		/* a group whose last atom was repeated: "(a*)+" */
		before_group = *c == ')' ? (prev == '*' || prev == '+' || prev == '?') : 0;
		prev = *c;
	}
	return true;
}

/* Rules are counted once compiled: a failed one gives its pattern back here. */
static int rules_item(void *ctx, const char *k, plist_t v, struct macext_diag *diag)
{
	struct fill *c = ctx;
	struct mx_cr_rule *ru = (struct mx_cr_rule *)c->v + *c->n;
	int r;

	r = rule(ru, k, v, diag);
	if (r == 0 && !pattern_ok(k)) {
		/* glibc expands repetitions by copying the subtree: "(a{255}){255}" or
		 * "a++++…" need gigabytes. Apple's rules use neither. */
		free(ru->pattern);
		ru->pattern = NULL;
		r = mx_diag_fail_nopos(diag, -E2BIG, "CodeResources: rule '%.80s' is longer "
						     "than %u bytes, uses an interval {m,n} "
						     "or stacks repetitions", k,
				       MX_CR_MAX_PATTERN);
	} else if (r == 0 && regcomp(&ru->re, k, REG_EXTENDED | REG_NOSUB) != 0) {
		free(ru->pattern);
		ru->pattern = NULL;
		r = bad(diag, "a rule that is not a regular expression:", k);
	} else if (r == 0) {
		(*c->n)++;
	} else {
		free(ru->pattern);
		ru->pattern = NULL;
	}
	return r;
}

static int rules(plist_t dict, struct mx_cr_rule **ret, size_t *ret_n, const char *name,
		 struct macext_diag *diag)
{
	struct fill c;
	uint32_t n = 0;
	int r = 0;

	*ret = alloc_items(dict, sizeof(**ret), MX_CR_MAX_RULES, name, "rules", &n, &r, diag);
	if (!*ret)
		return r;
	c.v = *ret;
	c.n = ret_n;
	return each_item(dict, n, rules_item, &c, diag);
}

int mx_coderesources_parse(struct mx_coderesources *ret, const uint8_t *buf, size_t len,
			   struct macext_diag *diag)
{
	plist_t root = NULL, v;
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	if (len > MX_CR_MAX_BYTES)
		return mx_diag_fail_nopos(diag, -E2BIG, "CodeResources: %zu bytes, limit %u", len,
					  MX_CR_MAX_BYTES);
	if (len == 0 || len > UINT32_MAX)
		return mx_diag_fail_nopos(diag, -EBADMSG, "CodeResources: empty");
	r = mx_plist_precheck(buf, len, len >= 8 && !memcmp(buf, "bplist00", 8), 0, diag);
	if (r < 0)
		return r;
	plist_from_memory((const char *)buf, (uint32_t)len, &root);
	if (!root || plist_get_node_type(root) != PLIST_DICT) {
		plist_free(root);
		return mx_diag_fail_nopos(diag, -EBADMSG, "CodeResources: not a property list "
							  "dictionary");
	}
	static const char *const keys[] = {"files", "files2", "rules", "rules2"};
	for (size_t i = 0; r == 0 && i < 4; i++) {
		v = plist_dict_get_item(root, keys[i]);
		if (!v)
			continue;
		if (plist_get_node_type(v) != PLIST_DICT) {
			r = bad(diag, "a section that is not a dictionary:", keys[i]);
			break;
		}
		if (i == 0)
			r = entries(v, &ret->files, &ret->nfiles, keys[i], diag);
		else if (i == 1)
			r = entries(v, &ret->files2, &ret->nfiles2, keys[i], diag);
		else if (i == 2)
			r = rules(v, &ret->rules, &ret->nrules, keys[i], diag);
		else
			r = rules(v, &ret->rules2, &ret->nrules2, keys[i], diag);
		if (i == 1)
			ret->has_files2 = true;
		if (i == 3)
			ret->has_rules2 = true;
	}
	plist_free(root);
	if (r < 0)
		mx_coderesources_free(ret);
	return r;
}

static void free_entries(struct mx_cr_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].path);
		free(e[i].symlink);
		free(e[i].requirement);
	}
	free(e);
}

static void free_rules(struct mx_cr_rule *ru, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		regfree(&ru[i].re);
		free(ru[i].pattern);
	}
	free(ru);
}

void mx_coderesources_free(struct mx_coderesources *cr)
{
	if (!cr)
		return;
	/* Entries are counted as they are filled; a failed entry still owns its strings. */
	free_entries(cr->files, cr->nfiles);
	free_entries(cr->files2, cr->nfiles2);
	free_rules(cr->rules, cr->nrules);
	free_rules(cr->rules2, cr->nrules2);
	memset(cr, 0, sizeof(*cr));
}

const struct mx_cr_rule *mx_cr_match(const struct mx_cr_rule *rules, size_t n, const char *path)
{
	const struct mx_cr_rule *best = NULL;

	for (size_t i = 0; i < n; i++)
		if ((!best || rules[i].weight > best->weight) &&
		    regexec(&rules[i].re, path, 0, NULL, 0) == 0)
			best = &rules[i];
	return best;
}

const struct mx_cr_entry *mx_cr_find(const struct mx_cr_entry *e, size_t n, const char *path)
{
	struct mx_cr_entry key = {.path = (char *)(uintptr_t)path};

	return n ? bsearch(&key, e, n, sizeof(*e), cmp_entry) : NULL;
}
