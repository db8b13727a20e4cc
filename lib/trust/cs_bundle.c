/*
 * lib/trust/cs_bundle.c: verifying a path like `codesign --verify --deep --strict`
 * (codesign.md §2.9-2.11): a Mach-O file, or a bundle with its resource seal and nested code.
 *
 * For a bundle (a directory with Contents/, or the main executable in Contents/MacOS/):
 *  1. Contents/Info.plist and Contents/_CodeSignature/CodeResources are read; they are the
 *     components of special slots 1 and 3;
 *  2. if Contents/_CodeSignature/CodeDirectory exists the signature is detached (§2.9):
 *     CodeDirectory, CodeRequirements, CodeRequirements-1..-5 (alternate CDs),
 *     CodeSignature (bare CMS), CodeEntitlements; it covers the whole main executable file
 *     (fat or thin), or Info.plist for a bundle without CFBundleExecutable. Otherwise the
 *     main executable's embedded signature is verified (cs_verify.c);
 *  3. the resource seal (§2.10): every file and symlink under Contents/ except the main
 *     executable and _CodeSignature/ is looked up in files2 (files for a v1-only seal, which
 *     is itself an error: weak envelope). A listed path is checked by its kind: `symlink`
 *     entries must be symlinks with the same target that stays inside the bundle; `cdhash`
 *     entries are nested code, verified recursively and compared by cdhash; others are
 *     hashed (hash2 = SHA-256 when present, else hash = SHA-1). A path not listed is an error
 *     when the rule deciding it (highest weight) seals it; listed paths that do not exist are
 *     errors unless optional. Without any CodeResources, a signed bundle holding other files
 *     than its executable, Info.plist and PkgInfo is "resources not sealed";
 *  4. nested bundles (.kext, .app, .bundle, .framework, .plugin, .appex, .xpc,
 *     .systemextension, .dext directories with a Contents/ or Info.plist) found anywhere
 *     under Contents/ are verified recursively (depth MX_CS_MAX_NESTING); an invalid one
 *     invalidates the outer bundle.
 * Each failure is its own file-level error with its own code and the path it concerns.
 * Directory walks never follow symlinks and are bounded in depth.
 */
#include "trust/cs_internal.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <plist/plist.h>

#include "format/coderesources.h"
#include "util/alloc.h"
#include "util/diag.h"
#include "util/file.h"

#define CS_MAX_FILE ((uint64_t)4 << 30)
#define CS_MAX_SIDE ((size_t)16 << 20)
#define MX_CS_MAX_NESTING 8u
#define MX_CS_MAX_DIR_DEPTH 64u

static int verify_path(struct macext_cs_result **ret, const char *path,
		       const struct macext_cs_options *opt, unsigned depth,
		       struct macext_diag *diag);

/* A file read whole, or absent. */
struct blob {
	char *p;
	size_t len;
};

static int read_opt(const char *dir, const char *name, struct blob *b, struct macext_diag *d)
{
	char *p = mx_path_join(dir, name);
	int r = 0;

	if (!p)
		return -ENOMEM;
	if (mx_exists(p) && !mx_is_dir(p))
		r = mx_read_file(p, CS_MAX_SIDE, &b->p, &b->len, d);
	free(p);
	return r;
}

static char *plist_string(const struct blob *info, const char *key)
{
	plist_t root = mx_cs_plist(info->p, info->len), item;
	const char *p = NULL;
	uint64_t n = 0;
	char *v = NULL;

	item = root && plist_get_node_type(root) == PLIST_DICT ? plist_dict_get_item(root, key)
							       : NULL;
	if (item && plist_get_node_type(item) == PLIST_STRING)
		p = plist_get_string_ptr(item, &n);
	if (p && !memchr(p, 0, (size_t)n))
		v = mx_strndup(p, (size_t)n);
	plist_free(root);
	return v;
}

static int res_error(struct macext_cs_result *res, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int res_error(struct macext_cs_result *res, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	res->valid = false;
	return mx_cs_error(&res->errors, &res->nerrors, code, false, 0, "%s", msg);
}

/* --- nested code --------------------------------------------------------------------- */

static bool any_cdhash(const struct macext_cs_result *n, const uint8_t want[20])
{
	char hex[41];

	mx_hex(want, 20, hex);
	for (size_t i = 0; i < n->nslices; i++)
		for (size_t j = 0; j < n->slices[i].ncds; j++)
			if (!strcmp(n->slices[i].cds[j].cdhash, hex))
				return true;
	return false;
}

static const char *first_error(const struct macext_cs_result *n, char *buf, size_t size)
{
	const struct macext_cs_error *e = n->nerrors ? &n->errors[0] : NULL;

	for (size_t i = 0; !e && i < n->nslices; i++)
		if (n->slices[i].nerrors)
			e = &n->slices[i].errors[0];
	if (!e)
		return NULL;
	snprintf(buf, size, "%s: %s", e->code, e->message);
	return buf;
}

/* Verifies nested code at FULL (REL inside Contents/) and records it. WANT_CDHASH, when
 * set, is the cdhash the seal recorded. */
static int nested(struct macext_cs_result *res, const char *full, const char *rel,
		  const uint8_t *want_cdhash, const struct macext_cs_options *opt, unsigned depth)
{
	struct macext_cs_result *n = NULL;
	struct macext_diag d = {0};
	struct macext_cs_nested *e;
	char buf[400];
	const char *why;
	int r;

	e = mx_reallocarray(res->nested, res->nnested + 1, sizeof(*res->nested));
	if (!e)
		return -ENOMEM;
	res->nested = e;
	e = &e[res->nnested++];
	memset(e, 0, sizeof(*e));
	e->path = mx_strdup(rel);
	if (!e->path)
		return -ENOMEM;
	if (depth + 1 > MX_CS_MAX_NESTING)
		return res_error(res, "nested-code-invalid", "%s: nested more than %u levels deep",
				 rel, MX_CS_MAX_NESTING);
	r = verify_path(&n, full, opt, depth + 1, &d);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		e->first_error = mx_asprintf("unreadable: %s", d.msg);
		return res_error(res, "nested-code-invalid", "%s: %s", rel, d.msg);
	}
	e->valid = n->valid;
	e->kind = n->kind;
	for (size_t i = 0; i < n->nslices && !e->team_id; i++)
		if (n->slices[i].team_id)
			e->team_id = mx_strdup(n->slices[i].team_id);
	why = first_error(n, buf, sizeof(buf));
	if (why)
		e->first_error = mx_strdup(why);
	if (!n->valid)
		r = res_error(res, "nested-code-invalid", "%s: nested code is not valid (%s)", rel,
			      why ? why : "invalid");
	else if (want_cdhash && !any_cdhash(n, want_cdhash))
		r = res_error(res, "nested-cdhash-mismatch",
			      "%s: nested code's cdhash is not the one the seal recorded", rel);
	if (r == 0 && want_cdhash && n->valid && !any_cdhash(n, want_cdhash))
		e->valid = false;
	macext_cs_result_free(n);
	return r;
}

/* --- the resource seal --------------------------------------------------------------- */

struct walk {
	struct macext_cs_result *res;
	const struct macext_cs_options *opt;
	unsigned depth;               /* nesting depth of the bundle being verified */
	const char *contents;         /* .../Contents */
	const char *main_rel;         /* the main executable relative to Contents/, or NULL */
	const struct mx_cr_entry *files;
	size_t nfiles;
	bool *seen;
	const struct mx_cr_rule *rules;
	size_t nrules;
	bool have_seal;
	bool unsealed_reported;
	size_t checked;
};

static bool is_bundle_dir(const char *full, const char *name)
{
	static const char *const exts[] = {".app", ".kext", ".bundle", ".framework", ".plugin",
					   ".appex", ".xpc", ".systemextension", ".dext"};
	const char *dot = strrchr(name, '.');
	char *p;
	bool r;

	if (!dot)
		return false;
	r = false;
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (!strcmp(dot, exts[i]))
			r = true;
	if (!r)
		return false;
	p = mx_path_join(full, "Contents");
	r = p && mx_is_dir(p);
	free(p);
	return r;
}

static int file_hash(const char *full, const EVP_MD *md, uint8_t *out, struct macext_diag *d)
{
	struct mx_map map = MX_MAP_INIT;
	unsigned n = 0;
	int r = mx_map_file(&map, full, CS_MAX_FILE, d);

	if (r < 0)
		return r;
	r = EVP_Digest(map.data ? map.data : (const void *)"", map.len, out, &n, md, NULL) == 1
		    ? 0
		    : -ENOMEM;
	mx_unmap(&map);
	return r;
}

/* Does TARGET, relative to the directory of REL (inside Contents/), stay inside the bundle
 * (the parent of Contents/)? */
static bool link_inside(const char *rel, const char *target)
{
	long level = 1; /* Contents/ is one level below the bundle root */
	const char *p;

	if (target[0] == '/')
		return false;
	for (p = rel; (p = strchr(p, '/')); p++)
		level++;
	for (p = target; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			level--;
		else if (!(n == 1 && p[0] == '.') && n > 0)
			level++;
		if (level < 0)
			return false;
		p += n;
		while (*p == '/')
			p++;
	}
	return true;
}

static int check_entry(struct walk *w, const char *full, const char *rel, const struct stat *st,
		       const struct mx_cr_entry *e)
{
	struct macext_diag d = {0};
	uint8_t h[EVP_MAX_MD_SIZE];
	char target[PATH_MAX];
	ssize_t n;
	int r;

	w->checked++;
	if (e->symlink) {
		if (!S_ISLNK(st->st_mode))
			return res_error(w->res, "resource-modified",
					 "%s: sealed as a symlink, but it is not one", rel);
		n = readlink(full, target, sizeof(target) - 1);
		if (n < 0)
			return res_error(w->res, "resource-modified", "%s: unreadable symlink", rel);
		target[n] = '\0';
		if (strcmp(target, e->symlink))
			return res_error(w->res, "resource-symlink",
					 "%s: symlink retargeted to '%s' (sealed: '%s')", rel, target,
					 e->symlink);
		if (!link_inside(rel, target))
			return res_error(w->res, "resource-symlink",
					 "%s: symlink target '%s' leaves the bundle", rel, target);
		return 0;
	}
	if (S_ISLNK(st->st_mode))
		return res_error(w->res, "resource-modified",
				 "%s: a symlink where the seal has a file", rel);
	if (e->has_cdhash)
		return nested(w->res, full, rel, e->cdhash, w->opt, w->depth);
	if (!S_ISREG(st->st_mode))
		return res_error(w->res, "resource-modified", "%s: not a regular file", rel);
	r = file_hash(full, e->has_hash2 ? EVP_sha256() : EVP_sha1(), h, &d);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return res_error(w->res, "resource-modified", "%s: unreadable: %s", rel, d.msg);
	if (memcmp(h, e->has_hash2 ? e->hash2 : e->hash, e->has_hash2 ? 32 : 20))
		return res_error(w->res, "resource-modified", "%s: %s does not match the seal", rel,
				 e->has_hash2 ? "SHA-256" : "SHA-1");
	return 0;
}

static int visit_file(struct walk *w, const char *full, const char *rel, const struct stat *st)
{
	const struct mx_cr_entry *e;
	const struct mx_cr_rule *ru;

	if (w->main_rel && !strcmp(rel, w->main_rel))
		return 0;
	if (!w->have_seal) {
		if (!strcmp(rel, "Info.plist") || !strcmp(rel, "PkgInfo") || w->unsealed_reported)
			return 0;
		w->unsealed_reported = true;
		return res_error(w->res, "resources-not-sealed",
				 "%s: the bundle holds resources but no _CodeSignature/CodeResources",
				 rel);
	}
	e = mx_cr_find(w->files, w->nfiles, rel);
	if (e) {
		w->seen[e - w->files] = true;
		return check_entry(w, full, rel, st, e);
	}
	ru = mx_cr_match(w->rules, w->nrules, rel);
	if (!ru || ru->omit)
		return 0;
	return res_error(w->res, "resource-added", "%s: not in the resource seal (added after "
						   "signing)", rel);
}

static int walk_dir(struct walk *w, const char *dir, const char *rel_dir, unsigned level,
		    bool inside_nested)
{
	DIR *dp;
	struct dirent *de;
	int r = 0;

	if (level > MX_CS_MAX_DIR_DEPTH)
		return res_error(w->res, "resources-malformed", "%s: directories nested too deep",
				 rel_dir);
	dp = opendir(dir);
	if (!dp)
		return res_error(w->res, "resources-malformed", "%s: cannot read the directory",
				 *rel_dir ? rel_dir : ".");
	while (r >= 0 && (de = readdir(dp))) {
		char *full, *rel;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!*rel_dir && !strcmp(de->d_name, "_CodeSignature"))
			continue;
		full = mx_path_join(dir, de->d_name);
		rel = *rel_dir ? mx_asprintf("%s/%s", rel_dir, de->d_name) : mx_strdup(de->d_name);
		if (!full || !rel) {
			r = -ENOMEM;
		} else if (lstat(full, &st) < 0) {
			r = res_error(w->res, "resources-malformed", "%s: cannot stat", rel);
		} else if (S_ISDIR(st.st_mode)) {
			const struct mx_cr_entry *e = mx_cr_find(w->files, w->nfiles, rel);
			bool bundle = is_bundle_dir(full, de->d_name);

			if (e && e->has_cdhash) {
				/* Nested code sealed as a whole (rules2 `nested`). */
				w->seen[e - w->files] = true;
				w->checked++;
				r = nested(w->res, full, rel, e->cdhash, w->opt, w->depth);
			} else {
				if (bundle && !inside_nested)
					r = nested(w->res, full, rel, NULL, w->opt, w->depth);
				if (r >= 0)
					r = walk_dir(w, full, rel, level + 1, inside_nested || bundle);
			}
		} else {
			r = visit_file(w, full, rel, &st);
		}
		free(full);
		free(rel);
	}
	closedir(dp);
	return r;
}

static int seal(struct macext_cs_result *res, const char *contents, const char *main_rel,
		const struct blob *cr_bytes, const struct macext_cs_options *opt, unsigned depth)
{
	struct mx_coderesources cr;
	struct macext_diag d = {0};
	struct walk w = {.res = res, .opt = opt, .depth = depth, .contents = contents,
			 .main_rel = main_rel};
	int r;

	if (cr_bytes->p) {
		r = mx_coderesources_parse(&cr, (const uint8_t *)cr_bytes->p, cr_bytes->len, &d);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			return res_error(res, "resources-malformed", "_CodeSignature/CodeResources: %s",
					 d.msg);
		w.have_seal = true;
		res->resources_checked = true;
		if (cr.has_files2) {
			w.files = cr.files2;
			w.nfiles = cr.nfiles2;
			w.rules = cr.rules2;
			w.nrules = cr.nrules2;
		} else {
			w.files = cr.files;
			w.nfiles = cr.nfiles;
			w.rules = cr.rules;
			w.nrules = cr.nrules;
			r = res_error(res, "resources-weak",
				      "_CodeSignature/CodeResources has only a version-1 seal "
				      "(weak resource envelope)");
			if (r < 0)
				goto out;
		}
		w.seen = mx_calloc(w.nfiles ? w.nfiles : 1, sizeof(*w.seen));
		if (!w.seen) {
			r = -ENOMEM;
			goto out;
		}
	}
	r = walk_dir(&w, contents, "", 0, false);
	for (size_t i = 0; r >= 0 && i < w.nfiles; i++)
		if (!w.seen[i] && !w.files[i].optional)
			r = res_error(res, "resource-missing", "%s: sealed but missing",
				      w.files[i].path);
	res->resources_sealed = w.checked;
out:
	free(w.seen);
	if (cr_bytes->p)
		mx_coderesources_free(&cr);
	return r < 0 ? r : 0;
}

/* --- bundles ------------------------------------------------------------------------- */

static const char *const detached_names[] = {
	"CodeDirectory", "CodeRequirements", "CodeRequirements-1", "CodeRequirements-2",
	"CodeRequirements-3", "CodeRequirements-4", "CodeRequirements-5", "CodeSignature",
	"CodeEntitlements",
};
#define NDETACHED (sizeof(detached_names) / sizeof(detached_names[0]))

static int verify_detached_bundle(struct macext_cs_result **ret, const char *sigdir,
				  const uint8_t *code, size_t code_len,
				  const struct macext_cs_options *opt, struct macext_diag *diag)
{
	struct blob parts[NDETACHED] = {{0}};
	struct macext_cs_detached det = {0};
	int r = 0;

	for (size_t i = 0; r == 0 && i < NDETACHED; i++)
		r = read_opt(sigdir, detached_names[i], &parts[i], diag);
	if (r == 0) {
		det.code_directory = (const uint8_t *)parts[0].p;
		det.code_directory_len = parts[0].len;
		det.requirements = (const uint8_t *)parts[1].p;
		det.requirements_len = parts[1].len;
		for (size_t i = 0; i < 5; i++) {
			det.alternates[i] = (const uint8_t *)parts[2 + i].p;
			det.alternate_lens[i] = parts[2 + i].len;
		}
		det.signature = (const uint8_t *)parts[7].p;
		det.signature_len = parts[7].len;
		det.entitlements = (const uint8_t *)parts[8].p;
		det.entitlements_len = parts[8].len;
		r = macext_codesign_verify_detached(ret, code, code_len, &det, opt, diag);
	}
	for (size_t i = 0; i < NDETACHED; i++)
		free(parts[i].p);
	return r;
}

static int verify_file(struct macext_cs_result **ret, const char *path,
		       const struct macext_cs_options *opt, struct macext_diag *diag)
{
	struct mx_map map = MX_MAP_INIT;
	int r = mx_map_file(&map, path, CS_MAX_FILE, diag);

	if (r == 0)
		r = macext_codesign_verify(ret, map.data ? map.data : (const void *)"", map.len, opt,
					   diag);
	mx_unmap(&map);
	return r;
}

static int verify_bundle(struct macext_cs_result **ret, const char *bundle, const char *exe_in,
			 const struct macext_cs_options *opt_in, unsigned depth,
			 struct macext_diag *diag)
{
	struct macext_cs_options opt = *opt_in;
	struct blob info = {0}, res_bytes = {0};
	struct macext_cs_result *res = NULL;
	struct mx_map map = MX_MAP_INIT;
	char *contents = mx_path_join(bundle, "Contents");
	char *sigdir = NULL, *cdpath = NULL, *exe = NULL, *name = NULL, *main_rel = NULL;
	bool detached;
	int r = -ENOMEM;

	if (!contents)
		goto out;
	if (!mx_is_dir(contents)) {
		r = mx_diag_fail_nopos(diag, -ENOENT, "%s: not a bundle (no Contents/)", bundle);
		goto out;
	}
	sigdir = mx_path_join(contents, "_CodeSignature");
	cdpath = sigdir ? mx_path_join(sigdir, "CodeDirectory") : NULL;
	if (!cdpath)
		goto out;
	r = read_opt(contents, "Info.plist", &info, diag);
	if (r == 0)
		r = read_opt(sigdir, "CodeResources", &res_bytes, diag);
	if (r < 0)
		goto out;
	r = -ENOMEM;
	if (exe_in) {
		exe = mx_strdup(exe_in);
		name = mx_strdup(strrchr(exe_in, '/') + 1);
		if (!exe || !name)
			goto out;
	} else {
		name = plist_string(&info, "CFBundleExecutable");
		if (name && (!*name || strchr(name, '/'))) {
			r = mx_diag_fail_nopos(diag, -EBADMSG, "%s: CFBundleExecutable '%s' is not a "
								"file name", bundle, name);
			goto out;
		}
		if (name) {
			char *macos = mx_path_join(contents, "MacOS");

			exe = macos ? mx_path_join(macos, name) : NULL;
			free(macos);
			if (!exe)
				goto out;
		}
	}
	if (name && !(main_rel = mx_asprintf("MacOS/%s", name)))
		goto out;
	if (exe && !mx_exists(exe)) {
		r = mx_diag_fail_nopos(diag, -ENOENT, "%s: main executable %s is missing", bundle,
				       main_rel);
		goto out;
	}
	opt.info_plist = (const uint8_t *)info.p;
	opt.info_plist_len = info.len;
	opt.resources = (const uint8_t *)res_bytes.p;
	opt.resources_len = res_bytes.len;
	detached = mx_exists(cdpath);
	if (exe) {
		r = mx_map_file(&map, exe, CS_MAX_FILE, diag);
		if (r < 0)
			goto out;
	}
	if (detached || !exe) {
		/* Detached, or a codeless bundle (signed over its Info.plist, or unsigned). */
		const uint8_t *code = exe ? map.data : (const uint8_t *)info.p;
		size_t code_len = exe ? map.len : info.len;

		r = verify_detached_bundle(&res, sigdir, code, code_len, &opt, diag);
	} else {
		r = macext_codesign_verify(&res, map.data ? map.data : (const void *)"", map.len,
					   &opt, diag);
	}
	if (r < 0)
		goto out;
	res->bundle = true;
	if (exe && !(res->main_executable = mx_strdup(exe))) {
		r = -ENOMEM;
		goto out;
	}
	if (res->kind > MACEXT_CS_UNSIGNED || res_bytes.p)
		r = seal(res, contents, main_rel, &res_bytes, &opt, depth);
	if (r < 0)
		goto out;
	*ret = res;
	res = NULL;
out:
	macext_cs_result_free(res);
	mx_unmap(&map);
	free(info.p);
	free(res_bytes.p);
	free(contents);
	free(sigdir);
	free(cdpath);
	free(exe);
	free(name);
	free(main_rel);
	return r;
}

/* ".../X.kext/Contents/MacOS/name" -> ".../X.kext", else NULL. */
static char *bundle_of_exe(const char *path)
{
	const char *m = NULL, *p = path;

	while ((p = strstr(p, "/Contents/MacOS/"))) {
		m = p;
		p++;
	}
	if (!m || strchr(m + 16, '/') || !m[16])
		return NULL;
	return mx_strndup(path, (size_t)(m - path));
}

static int verify_path(struct macext_cs_result **ret, const char *path,
		       const struct macext_cs_options *opt, unsigned depth,
		       struct macext_diag *diag)
{
	char *bundle;
	int r;

	if (mx_is_dir(path))
		return verify_bundle(ret, path, NULL, opt, depth, diag);
	if (!mx_exists(path))
		return mx_diag_fail_nopos(diag, -ENOENT, "%s: no such file", path);
	bundle = bundle_of_exe(path);
	if (bundle && mx_is_dir(bundle)) {
		r = verify_bundle(ret, bundle, path, opt, depth, diag);
		free(bundle);
		return r;
	}
	free(bundle);
	return verify_file(ret, path, opt, diag);
}

int macext_codesign_verify_path(struct macext_cs_result **ret, const char *path,
				const struct macext_cs_options *opt, struct macext_diag *diag)
{
	if (!ret || !path || !opt)
		return -EINVAL;
	return verify_path(ret, path, opt, 0, diag);
}
