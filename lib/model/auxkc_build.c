/*
 * lib/model/auxkc_build.c: builds the Auxiliary Kernel Collection from kext bundles, as
 * kmd does when kexts are approved on macOS 11+ (boot-chain.md §5, kexts.md §5).
 *
 * Each bundle (and each of its PlugIns kexts) is opened with macext_kext_open and sorted
 * into "in" or "left out":
 *   - on the release's exclude list, read with the user-space grammar (kmd is user space,
 *     kexts.md §5.6): left out, reason "exclude-list" ("banned kexts are left out of the
 *     AuxKC", §5.1; the receipt names them, boot-chain.md §9 row 10);
 *   - a com.apple kext not marked OSBundleRequired = Auxiliary: "apple-kext"; a kext marked
 *     OSBundleRequired Root or Safe Boot: "os-bundle-required" (boot or system KC only,
 *     boot-chain.md §5.8);
 *   - otherwise in: its slice for the arch and its Info.plist (re-rendered as XML) go to
 *     macext_kc_write; a kext without CFBundleExecutable goes in as codeless.
 * A bundle that cannot go in for a reason of its own (no Info.plist or identifier, a
 * missing or broken executable, no slice for the arch) fails the build, as kmutil does:
 * the collection never silently lacks a kext that was asked for. Inputs are sorted by
 * bundle id, so the same set of bundles gives the same bytes in any order. The finished
 * KC is read back with macext_kc_parse, which both checks it and gives each kext its
 * fileset entry's offsets.
 */
#include <errno.h>
#include <plist/plist.h>
#include <stdlib.h>
#include <string.h>

#include "macext/kc.h"
#include "model/bundle.h"
#include "util/alloc.h"
#include "util/diag.h"

struct build {
	const struct macext_auxkc_opts *o;
	struct macext_exclude_entry *ex;
	size_t nex;
	enum macext_kver_grammar g;
	const struct macext_kext **k; /* every kext, plug-ins included (borrowed) */
	size_t nk, capk;
	struct macext_auxkc *out;
	size_t capitems;
};

static void item_free(struct macext_auxkc_item *it)
{
	mx_free(it->bundle_id);
	mx_free(it->version);
	mx_free(it->path);
	mx_free(it->reason);
}

void macext_auxkc_free(struct macext_auxkc *kc)
{
	if (!kc)
		return;
	for (size_t i = 0; i < kc->nitems; i++)
		item_free(&kc->items[i]);
	mx_free(kc->items);
	mx_free(kc->data);
	mx_free(kc);
}

static int oom(struct macext_diag *diag)
{
	return mx_diag_fail_nopos(diag, -ENOMEM, "auxiliary kernel collection: out of memory");
}

static int collect(struct build *b, const struct macext_kext *k, struct macext_diag *diag)
{
	int r;

	if (mx_grow((void **)&b->k, &b->capk, b->nk + 1, sizeof(*b->k)) < 0)
		return oom(diag);
	b->k[b->nk++] = k;
	for (size_t i = 0; i < macext_kext_nplugins(k); i++) {
		r = collect(b, macext_kext_plugin(k, i), diag);
		if (r < 0)
			return r;
	}
	return 0;
}

static const char *string_key(const struct macext_kext *k, const char *key)
{
	plist_t v = k->info ? plist_dict_get_item(k->info, key) : NULL;
	uint64_t len = 0;

	if (!v || plist_get_node_type(v) != PLIST_STRING)
		return NULL;
	return plist_get_string_ptr(v, &len);
}

/* Why K stays out of the AuxKC, or NULL. */
static const char *left_out_reason(const struct build *b, const struct macext_kext *k)
{
	const char *req = string_key(k, "OSBundleRequired");
	int64_t v = k->version ? macext_kver_parse(k->version, b->g) : 0;

	for (size_t i = 0; i < b->nex; i++)
		if (strcmp(b->ex[i].id, k->bundle_id) == 0 &&
		    macext_exclude_match(b->ex[i].rule, v, MACEXT_EXCLUDE_USER, b->g))
			return "exclude-list";
	if (strncmp(k->bundle_id, "com.apple.", 10) == 0)
		return req && strcmp(req, "Auxiliary") == 0 ? NULL : "apple-kext";
	if (req && (strcmp(req, "Root") == 0 || strcmp(req, "Safe Boot") == 0))
		return "os-bundle-required";
	return NULL;
}

static int cmp_kext(const void *a, const void *b)
{
	const struct macext_kext *x = *(const struct macext_kext *const *)a;
	const struct macext_kext *y = *(const struct macext_kext *const *)b;
	int c = strcmp(x->bundle_id, y->bundle_id);

	return c ? c : strcmp(x->path, y->path);
}

/* Checks that K can be put into the collection at all; fills DIAG naming its path. */
static int check_kext(const struct macext_kext *k, struct macext_diag *diag)
{
	if (k->info_state == MX_INFO_MISSING)
		return mx_diag_fail_nopos(diag, -EBADMSG, "%s: no Info.plist", k->path);
	if (k->info_state != MX_INFO_OK) {
		*diag = k->info_diag;
		mx_diag_prefix(diag, "%s: Info.plist", k->path);
		return diag->code < 0 ? diag->code : -EBADMSG;
	}
	if (!k->bundle_id)
		return mx_diag_fail_nopos(diag, -EBADMSG, "%s: no CFBundleIdentifier", k->path);
	return 0;
}

static int check_executable(const struct build *b, const struct macext_kext *k,
			    const struct macext_slice **ret, struct macext_diag *diag)
{
	*ret = NULL;
	switch (k->exe_state) {
	case MX_EXE_NONE:
		return 0;
	case MX_EXE_MISSING:
		return mx_diag_fail_nopos(diag, -EBADMSG, "%s: executable %s is missing", k->path,
					  k->exe_path);
	case MX_EXE_UNREADABLE:
	case MX_EXE_BAD:
		*diag = k->exe_diag;
		mx_diag_prefix(diag, "%s", k->exe_path);
		return diag->code < 0 ? diag->code : -EBADMSG;
	case MX_EXE_OK:
		break;
	}
	*ret = macext_macho_find_slice(k->macho, b->o->arch ? b->o->arch : "x86_64");
	if (!*ret)
		return mx_diag_fail_nopos(diag, -ENOEXEC, "%s: no %s slice", k->exe_path,
					  b->o->arch ? b->o->arch : "x86_64");
	return 0;
}

static int add_item(struct build *b, const struct macext_kext *k, const char *reason, bool codeless,
		    struct macext_diag *diag)
{
	struct macext_auxkc *out = b->out;
	struct macext_auxkc_item *it;

	if (mx_grow((void **)&out->items, &b->capitems, out->nitems + 1, sizeof(*out->items)) < 0)
		return oom(diag);
	it = &out->items[out->nitems];
	memset(it, 0, sizeof(*it));
	out->nitems++;
	it->bundle_id = mx_strdup(k->bundle_id);
	it->path = mx_strdup(k->path);
	it->version = k->version ? mx_strdup(k->version) : NULL;
	it->reason = reason ? mx_strdup(reason) : NULL;
	it->included = reason == NULL;
	it->codeless = codeless;
	if (!it->bundle_id || !it->path || (k->version && !it->version) || (reason && !it->reason))
		return oom(diag);
	return 0;
}

/* _PrelinkBundlePath: under the root, the path the Mac would see ("/Library/..."). */
static const char *mac_path(const struct build *b, const char *path)
{
	size_t n = b->o->root ? strlen(b->o->root) : 0;

	while (n > 1 && b->o->root[n - 1] == '/')
		n--;
	if (n && strncmp(path, b->o->root, n) == 0 && path[n] == '/')
		return path + n;
	return path;
}

static const char *exe_relpath(const struct macext_kext *k)
{
	size_t n = strlen(k->path);

	if (k->exe_path && strncmp(k->exe_path, k->path, n) == 0 && k->exe_path[n] == '/')
		return k->exe_path + n + 1;
	return NULL;
}

struct inputs {
	struct macext_kc_input *in;
	size_t n;
	struct macext_kc_left_out *lo;
	size_t nlo;
	char **xml; /* Info.plist renderings, one per input */
};

static void inputs_free(struct inputs *x)
{
	for (size_t i = 0; i < x->n; i++)
		plist_to_xml_free(x->xml[i]);
	mx_free(x->xml);
	mx_free(x->in);
	mx_free(x->lo);
}

static int gather(struct build *b, struct inputs *x, struct macext_diag *diag)
{
	int r;

	x->in = mx_calloc(b->nk, sizeof(*x->in));
	x->lo = mx_calloc(b->nk, sizeof(*x->lo));
	x->xml = mx_calloc(b->nk, sizeof(*x->xml));
	if (!x->in || !x->lo || !x->xml)
		return oom(diag);
	for (size_t i = 0; i < b->nk; i++) {
		const struct macext_kext *k = b->k[i];
		const struct macext_slice *s = NULL;
		const char *why = left_out_reason(b, k);
		struct macext_kc_input *e;
		uint32_t len = 0;

		if (why) {
			x->lo[x->nlo++] = (struct macext_kc_left_out){k->bundle_id, why};
			r = add_item(b, k, why, false, diag);
			if (r < 0)
				return r;
			continue;
		}
		r = check_executable(b, k, &s, diag);
		if (r < 0)
			return r;
		e = &x->in[x->n];
		plist_to_xml(k->info, &x->xml[x->n], &len);
		x->n++;
		if (!x->xml[x->n - 1] || len == 0)
			return oom(diag);
		*e = (struct macext_kc_input){
		    .bundle_id = k->bundle_id,
		    .bundle_path = mac_path(b, k->path),
		    .executable_relpath = s ? exe_relpath(k) : NULL,
		    .macho = s ? k->map.data + s->offset : NULL,
		    .macho_len = s ? (size_t)s->size : 0,
		    .info_plist = (const uint8_t *)x->xml[x->n - 1],
		    .info_plist_len = len,
		};
		r = add_item(b, k, NULL, s == NULL, diag);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Reads the finished KC back: a check of the writer, and each item's entry offsets. */
static int read_back(struct build *b, struct macext_diag *diag)
{
	struct macext_kc *kc = NULL;
	int r;

	r = macext_kc_parse(&kc, b->out->data, b->out->len, diag);
	if (r < 0) {
		mx_diag_prefix(diag, "the built collection");
		return r;
	}
	memcpy(b->out->uuid, kc->uuid, 16);
	for (size_t i = 0; i < b->out->nitems; i++) {
		struct macext_auxkc_item *it = &b->out->items[i];

		for (size_t j = 0; j < kc->nentries && it->included; j++)
			if (strcmp(kc->kexts[j].bundle_id, it->bundle_id) == 0) {
				it->fileoff = kc->kexts[j].fileoff;
				it->vmaddr = kc->kexts[j].vmaddr;
			}
	}
	macext_kc_free(kc);
	return 0;
}

static int write_kc(struct build *b, struct macext_diag *diag)
{
	const struct macext_macos_version *v = &b->o->macos;
	struct macext_kc_write_opts wo = {0};
	struct inputs x = {0};
	int r;

	r = macext_kc_arch_cpu(b->o->arch ? b->o->arch : "x86_64", &wo.cputype, &wo.cpusubtype);
	if (r < 0)
		return mx_diag_fail_nopos(diag, -EINVAL, "unknown architecture '%s'", b->o->arch);
	wo.platform = 1; /* macOS */
	wo.minos = wo.sdk =
	    (v->major & 0xffffu) << 16 | (v->minor & 0xffu) << 8 | (v->patch & 0xffu);
	wo.boot_kc_uuid = b->o->boot_kc_uuid;
	wo.pageable_kc_uuid = b->o->pageable_kc_uuid;
	r = gather(b, &x, diag);
	if (r == 0) {
		wo.left_out = x.lo;
		wo.nleft_out = x.nlo;
		r = macext_kc_write(x.in, x.n, &wo, &b->out->data, &b->out->len, diag);
	}
	inputs_free(&x);
	return r;
}

int macext_auxkc_build(const char *const *paths, size_t npaths,
		       const struct macext_auxkc_opts *opts, struct macext_auxkc **ret,
		       struct macext_diag *diag)
{
	struct build b = {.o = opts};
	struct macext_kext **roots = NULL;
	size_t nroots = 0;
	int r;

	*ret = NULL;
	b.g = macext_kver_grammar_for(&opts->macos);
	r = macext_catalogue_exclude_list(&opts->macos, &b.ex, &b.nex);
	if (r < 0)
		return mx_diag_fail_nopos(diag, r, "the exclude list of that macOS release: %s",
					  macext_strerror(r));
	roots = mx_calloc(npaths ? npaths : 1, sizeof(*roots));
	b.out = mx_calloc(1, sizeof(*b.out));
	if (!roots || !b.out) {
		r = oom(diag);
		goto out;
	}
	for (size_t i = 0; i < npaths && r == 0; i++) {
		r = macext_kext_open(&roots[i], paths[i], diag);
		if (r < 0) {
			mx_diag_prefix(diag, "%s", paths[i]);
			break;
		}
		nroots++;
		r = collect(&b, roots[i], diag);
	}
	for (size_t i = 0; i < b.nk && r == 0; i++)
		r = check_kext(b.k[i], diag);
	if (r < 0)
		goto out;
	if (b.nk)
		qsort(b.k, b.nk, sizeof(*b.k), cmp_kext);
	r = write_kc(&b, diag);
	if (r == 0)
		r = read_back(&b, diag);
	if (r < 0)
		goto out;
	*ret = b.out;
	b.out = NULL;
out:
	macext_auxkc_free(b.out);
	for (size_t i = 0; i < nroots; i++)
		macext_kext_free(roots[i]);
	mx_free(roots);
	mx_free(b.k);
	macext_exclude_list_free(b.ex, b.nex);
	return r;
}
