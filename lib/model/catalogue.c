/*
 * lib/model/catalogue.c: the Apple kexts of each release and the exclude list, read from
 * data/kpi_catalogue.json and data/exclude_list.json (embedded, see model/data.h).
 *
 * kpi_catalogue.json, per kext: id, bundle_name, parent (directory of the containing
 * kext, "System.kext" for KPI plug-ins), since/until (inclusive macOS bounds), versions
 * ({from, version}, the last one whose from <= release applies; "darwin" = the Darwin
 * version of the release, kexts.md §6.8), compatible_version (or "darwin"), kernel_resource,
 * executable, classes and symbol_prefixes (what binds a symbol to the kext, for the
 * deprecated-KPI classifier). The data is ours to trust: it is compiled in, so a malformed
 * document is a build bug and comes back as -EBADMSG rather than being half-used.
 */
#include "model/catalogue.h"

#include <errno.h>
#include <string.h>

#include "model/data.h"
#include "util/alloc.h"

int mx_catalogue_load(const char *name, json_t **ret)
{
	const unsigned char *data;
	size_t len;
	json_error_t err;
	json_t *root;
	int r;

	r = mx_data_get(name, &data, &len);
	if (r < 0)
		return -ENOENT;
	root = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &err);
	if (!root)
		return json_error_code(&err) == json_error_out_of_memory ? -ENOMEM : -EBADMSG;
	*ret = root;
	return 0;
}

/* Parses an optional macOS bound of entry E. Missing = BOUND_DEFAULT. */
static int entry_bound(json_t *e, const char *key, struct macext_macos_version *ret)
{
	json_t *j = json_object_get(e, key);

	if (!j || json_is_null(j)) {
		ret->major = strcmp(key, "until") == 0 ? 9999 : 0;
		ret->minor = ret->patch = 0;
		return 0;
	}
	return mx_macos_parse_loose(json_string_value(j), ret) < 0 ? -EBADMSG : 0;
}

/* The text of version field J for release V: "darwin" becomes DARWIN. NULL if J is
 * missing. */
static const char *version_text(json_t *j, const char *darwin)
{
	const char *s = json_string_value(j);

	if (s && strcmp(s, "darwin") == 0)
		return darwin;
	return s;
}

/* CFBundleVersion of catalogue entry E on release V, or NULL when V does not ship it. */
static const char *entry_version(json_t *e, const struct macext_macos_version *v,
				 const char *darwin)
{
	struct macext_macos_version since, until, from;
	json_t *vs, *x;
	const char *best = NULL;
	size_t i;

	if (entry_bound(e, "since", &since) < 0 || entry_bound(e, "until", &until) < 0)
		return NULL;
	if (macext_macos_cmp(v, &since) < 0 || macext_macos_cmp(v, &until) > 0)
		return NULL;
	vs = json_object_get(e, "versions");
	json_array_foreach(vs, i, x) {
		if (mx_macos_parse_loose(json_string_value(json_object_get(x, "from")), &from) < 0)
			return NULL;
		if (macext_macos_cmp(&from, v) <= 0)
			best = version_text(json_object_get(x, "version"), darwin);
	}
	return best;
}

static char *dup_opt(const char *s, bool *failed)
{
	char *d;

	if (!s)
		return NULL;
	d = mx_strdup(s);
	if (!d)
		*failed = true;
	return d;
}

void macext_catalogue_free(struct macext_catalogue_kext *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++) {
		mx_free(v[i].id);
		mx_free(v[i].bundle_name);
		mx_free(v[i].parent);
		mx_free(v[i].version);
		mx_free(v[i].compatible_version);
	}
	mx_free(v);
}

/* Fills record REC from entry E of a data table for release V (DARWIN its Darwin version):
 * 1 when filled, 0 when V does not have the entry, or a code (REC may be half filled). */
typedef int (*fill_fn)(void *rec, json_t *e, const struct macext_macos_version *v,
		       const char *darwin);

/* The records of release V in array KEY of data file NAME, one of SIZE bytes per entry that
 * FILL keeps, in a calloc'd array one longer than needed; FREE releases them on failure. */
static int load_table(const char *name, const char *key, const struct macext_macos_version *v,
		      size_t size, fill_fn fill, void (*free_fn)(void *recs, size_t n), void **ret,
		      size_t *ret_n)
{
	json_t *root = NULL, *entries, *e;
	char *out = NULL;
	char darwin[16];
	size_t i, n = 0;
	int r;

	r = mx_macos_darwin_version(v, darwin);
	if (r < 0)
		return r;
	r = mx_catalogue_load(name, &root);
	if (r < 0)
		return r;
	entries = json_object_get(root, key);
	out = mx_calloc(json_array_size(entries) + 1, size);
	if (!out) {
		r = -ENOMEM;
		goto out;
	}
	json_array_foreach(entries, i, e) {
		r = fill(out + n * size, e, v, darwin);
		if (r != 0)
			n++; /* a half-filled record is freed with the others */
		if (r < 0)
			goto out;
	}
	*ret = out;
	*ret_n = n;
	out = NULL;
	r = 0;
out:
	if (out)
		free_fn(out, n);
	json_decref(root);
	return r;
}

static int fill_kext(void *rec, json_t *e, const struct macext_macos_version *v, const char *darwin)
{
	struct macext_catalogue_kext *k = rec;
	const char *version = entry_version(e, v, darwin);
	bool failed = false;

	if (!version)
		return 0;
	k->id = dup_opt(json_string_value(json_object_get(e, "id")), &failed);
	k->bundle_name = dup_opt(json_string_value(json_object_get(e, "bundle_name")), &failed);
	k->parent = dup_opt(json_string_value(json_object_get(e, "parent")), &failed);
	k->version = dup_opt(version, &failed);
	k->compatible_version =
		dup_opt(version_text(json_object_get(e, "compatible_version"), darwin), &failed);
	k->kernel_resource = json_is_true(json_object_get(e, "kernel_resource"));
	k->executable = json_is_true(json_object_get(e, "executable"));
	if (failed)
		return -ENOMEM;
	return k->id && k->bundle_name ? 1 : -EBADMSG;
}

static void free_kexts(void *recs, size_t n)
{
	macext_catalogue_free(recs, n);
}

int macext_catalogue_kexts(const struct macext_macos_version *v,
			   struct macext_catalogue_kext **ret, size_t *ret_n)
{
	void *out;
	int r;

	r = load_table("kpi_catalogue.json", "kexts", v, sizeof(**ret), fill_kext, free_kexts, &out,
		       ret_n);
	if (r == 0)
		*ret = out;
	return r;
}

void macext_exclude_list_free(struct macext_exclude_entry *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++) {
		mx_free(v[i].id);
		mx_free(v[i].rule);
	}
	mx_free(v);
}

static int fill_exclude(void *rec, json_t *e, const struct macext_macos_version *v,
			const char *darwin)
{
	struct macext_exclude_entry *x = rec;
	struct macext_macos_version since;
	bool failed = false;

	(void)darwin;
	if (entry_bound(e, "since", &since) < 0)
		return -EBADMSG;
	if (macext_macos_cmp(v, &since) < 0)
		return 0;
	x->id = dup_opt(json_string_value(json_object_get(e, "id")), &failed);
	x->rule = dup_opt(json_string_value(json_object_get(e, "rule")), &failed);
	if (failed)
		return -ENOMEM;
	return x->id && x->rule ? 1 : -EBADMSG;
}

static void free_exclude(void *recs, size_t n)
{
	macext_exclude_list_free(recs, n);
}

int macext_catalogue_exclude_list(const struct macext_macos_version *v,
				  struct macext_exclude_entry **ret, size_t *ret_n)
{
	void *out;
	int r;

	r = load_table("exclude_list.json", "entries", v, sizeof(**ret), fill_exclude, free_exclude,
		       &out, ret_n);
	if (r == 0)
		*ret = out;
	return r;
}

/* Reads "<len><name>" at P. */
static bool read_source_name(const char *p, const char **ret, size_t *ret_len)
{
	size_t len = 0;
	unsigned nd = 0;

	while (*p >= '0' && *p <= '9') {
		if (++nd > 4)
			return false;
		len = len * 10 + (size_t)(*p - '0');
		p++;
	}
	if (nd == 0 || len == 0 || strnlen(p, len) < len)
		return false;
	*ret = p;
	*ret_len = len;
	return true;
}

bool mx_cxx_class_name(const char *symbol, const char **ret, size_t *ret_len)
{
	static const char *const prefixes[] = {"__ZNK", "__ZN", "__ZTV", "__ZTS", "__ZTI"};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t pl = strlen(prefixes[i]);

		if (strncmp(symbol, prefixes[i], pl) == 0)
			return read_source_name(symbol + pl, ret, ret_len);
	}
	return false;
}

/* Longest prefix of array PREFIXES that starts TEXT (of LEN bytes); 0 if none. */
static size_t longest_prefix(json_t *prefixes, const char *text, size_t len)
{
	json_t *x;
	size_t i, best = 0;

	json_array_foreach(prefixes, i, x) {
		const char *p = json_string_value(x);
		size_t pl = p ? strlen(p) : 0;

		if (pl > best && pl <= len && strncmp(text, p, pl) == 0)
			best = pl;
	}
	return best;
}

const char *mx_catalogue_bind_symbol(json_t *cat, const char *symbol)
{
	json_t *kexts = json_object_get(cat, "kexts"), *e;
	const char *cls = NULL, *best_id = NULL;
	size_t cls_len = 0, best = 0, i;
	bool is_cxx = mx_cxx_class_name(symbol, &cls, &cls_len);

	json_array_foreach(kexts, i, e) {
		size_t l;

		if (is_cxx)
			l = longest_prefix(json_object_get(e, "classes"), cls, cls_len);
		else
			l = longest_prefix(json_object_get(e, "symbol_prefixes"), symbol,
					   strlen(symbol));
		if (l > best) {
			best = l;
			best_id = json_string_value(json_object_get(e, "id"));
		}
	}
	return best_id;
}
