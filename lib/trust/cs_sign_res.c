/*
 * lib/trust/cs_sign_res.c: the resource seal a signer writes for a bundle (codesign.md
 * §2.10, fixtures.md §1.8), the counterpart of the check in cs_bundle.c.
 *
 * Every file and symlink under Contents/ is decided by Apple's standard rules2 (the
 * matching rule of highest weight, format/coderesources_write.c):
 *  - omitted (Info.plist, PkgInfo, .DS_Store, lproj/locversion.plist) or unmatched: skipped;
 *  - the main executable and _CodeSignature/ are never listed (CD and special slots);
 *  - a symlink: {symlink: target};
 *  - nested code (a bundle directory, or a Mach-O file under a `nested` rule such as
 *    MacOS/ or PlugIns/): {cdhash, requirement} of its own signature, which must exist
 *    (sign nested code first, as codesign requires); a bundle is sealed as a whole;
 *  - anything else: {hash (SHA-1), hash2 (SHA-256)}, plus a `files` (v1) entry when a v1
 *    rule seals it.
 * Directory walks never follow symlinks and are bounded in depth.
 */
#include "trust/cs_internal.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/coderesources.h"
#include "macext/macho.h"
#include "util/alloc.h"
#include "util/diag.h"
#include "util/file.h"

#define SIGN_MAX_DIR_DEPTH 64u
#define SIGN_MAX_FILE ((uint64_t)4 << 30)

struct res_entry {
	struct mx_cr_out out;
	char *path, *symlink, *requirement;
	uint8_t hash[20], hash2[32], cdhash[20];
};

struct res_walk {
	struct mx_coderesources std;
	const char *main_rel;
	struct res_entry *e;
	size_t n;
	struct macext_diag *diag;
};

static struct res_entry *add(struct res_walk *w, const char *rel)
{
	struct res_entry *e = mx_reallocarray(w->e, w->n + 1, sizeof(*w->e));

	if (!e)
		return NULL;
	w->e = e;
	e = &e[w->n];
	memset(e, 0, sizeof(*e));
	e->path = mx_strdup(rel);
	if (!e->path)
		return NULL;
	w->n++;
	e->out.path = e->path;
	return e;
}

static int hash_file(const char *full, struct res_entry *e, struct macext_diag *diag)
{
	struct mx_map map = MX_MAP_INIT;
	const void *p;
	int r = mx_map_file(&map, full, SIGN_MAX_FILE, diag);

	if (r < 0)
		return r;
	p = map.data ? (const void *)map.data : (const void *)"";
	r = EVP_Digest(p, map.len, e->hash, NULL, EVP_sha1(), NULL) == 1 &&
		    EVP_Digest(p, map.len, e->hash2, NULL, EVP_sha256(), NULL) == 1
		    ? 0
		    : -ENOMEM;
	mx_unmap(&map);
	e->out.hash = e->hash;
	e->out.hash2 = e->hash2;
	return r;
}

/* Nested code: its best cdhash and designated requirement, from its own signature. */
static int nested(struct res_entry *e, const char *full, const char *rel,
		  struct macext_diag *diag)
{
	struct macext_cs_options opt = {0};
	struct macext_cs_result *res = NULL;
	const struct macext_cs_slice *s;
	const char *dr;
	int r = macext_codesign_verify_path(&res, full, &opt, diag);

	if (r < 0)
		return r;
	s = &res->slices[0];
	if (res->nslices == 0 || s->ncds == 0) {
		r = mx_diag_fail_nopos(diag, -EBADMSG, "nested code %s is not signed: sign it first",
				       rel);
		goto out;
	}
	if (!mx_cs_unhex(s->cds[s->best].cdhash, e->cdhash, sizeof(e->cdhash))) {
		r = -EBADMSG;
		goto out;
	}
	dr = s->requirements ? strstr(s->requirements, "designated => ") : NULL;
	e->requirement = dr ? mx_strndup(dr + 14, strcspn(dr + 14, "\n"))
			    : mx_asprintf("cdhash H\"%s\"", s->cds[s->best].cdhash);
	if (!e->requirement) {
		r = -ENOMEM;
		goto out;
	}
	e->out.cdhash = e->cdhash;
	e->out.requirement = e->requirement;
out:
	macext_cs_result_free(res);
	return r;
}

static bool is_bundle_dir(const char *full, const char *name)
{
	static const char *const exts[] = {".app", ".kext", ".bundle", ".framework", ".plugin",
					   ".appex", ".xpc", ".systemextension", ".dext"};
	const char *dot = strrchr(name, '.');
	bool ext = false, r;
	char *p;

	for (size_t i = 0; dot && i < sizeof(exts) / sizeof(exts[0]); i++)
		ext = ext || !strcmp(dot, exts[i]);
	if (!ext)
		return false;
	p = mx_path_join(full, "Contents");
	r = p && mx_is_dir(p) > 0;
	free(p);
	return r;
}

static bool is_macho(const char *full)
{
	uint8_t b[8];
	FILE *f = fopen(full, "rb");
	size_t n = f ? fread(b, 1, sizeof(b), f) : 0;

	if (f)
		fclose(f);
	return macext_macho_sniff(b, n);
}

static int visit(struct res_walk *w, const char *full, const char *rel, const struct stat *st)
{
	const struct mx_cr_rule *r2 = mx_cr_match(w->std.rules2, w->std.nrules2, rel);
	const struct mx_cr_rule *r1;
	struct res_entry *e;
	char target[PATH_MAX];
	ssize_t n;

	if ((w->main_rel && !strcmp(rel, w->main_rel)) || !r2 || r2->omit)
		return 0;
	if (!S_ISLNK(st->st_mode) && !S_ISREG(st->st_mode))
		return 0;
	e = add(w, rel);
	if (!e)
		return -ENOMEM;
	if (S_ISLNK(st->st_mode)) {
		n = readlink(full, target, sizeof(target) - 1);
		if (n < 0)
			return mx_diag_fail_nopos(w->diag, -EIO, "%s: unreadable symlink", rel);
		target[n] = '\0';
		e->symlink = mx_strdup(target);
		e->out.symlink = e->symlink;
		return e->symlink ? 0 : -ENOMEM;
	}
	if (r2->nested && is_macho(full))
		return nested(e, full, rel, w->diag);
	r1 = mx_cr_match(w->std.rules, w->std.nrules, rel);
	e->out.v1 = r1 && !r1->omit;
	e->out.optional = r2->optional;
	return hash_file(full, e, w->diag);
}

static int walk(struct res_walk *w, const char *dir, const char *rel_dir, unsigned level)
{
	struct dirent **names = NULL;
	int n, r = 0;

	if (level > SIGN_MAX_DIR_DEPTH)
		return mx_diag_fail_nopos(w->diag, -E2BIG, "%s: directories nested too deep",
					  rel_dir);
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return mx_diag_fail_nopos(w->diag, -EIO, "%s: cannot read the directory",
					  *rel_dir ? rel_dir : "Contents");
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char *full = NULL, *rel = NULL;
		struct stat st;

		if (r < 0 || !strcmp(name, ".") || !strcmp(name, "..") ||
		    (!*rel_dir && !strcmp(name, "_CodeSignature")))
			continue;
		full = mx_path_join(dir, name);
		rel = *rel_dir ? mx_asprintf("%s/%s", rel_dir, name) : mx_strdup(name);
		if (!full || !rel)
			r = -ENOMEM;
		else if (lstat(full, &st) < 0)
			r = mx_diag_fail_nopos(w->diag, -EIO, "%s: cannot stat", rel);
		else if (S_ISDIR(st.st_mode) && is_bundle_dir(full, name)) {
			struct res_entry *e = add(w, rel);

			r = e ? nested(e, full, rel, w->diag) : -ENOMEM;
		} else if (S_ISDIR(st.st_mode))
			r = walk(w, full, rel, level + 1);
		else
			r = visit(w, full, rel, &st);
		free(full);
		free(rel);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct res_entry *)a)->path, ((const struct res_entry *)b)->path);
}

int mx_cs_sign_resources(char **ret, size_t *ret_len, size_t *ret_count, const char *contents,
			 const char *main_rel, struct macext_diag *diag)
{
	struct res_walk w = {.main_rel = main_rel, .diag = diag};
	struct mx_cr_out *outs = NULL;
	int r = mx_coderesources_standard(&w.std, diag);

	if (r < 0)
		return r;
	r = walk(&w, contents, "", 0);
	if (r < 0)
		goto out;
	qsort(w.e, w.n, sizeof(*w.e), cmp_entry);
	outs = mx_calloc(w.n ? w.n : 1, sizeof(*outs));
	if (!outs) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < w.n; i++) {
		outs[i] = w.e[i].out;
		outs[i].path = w.e[i].path;
		if (w.e[i].out.hash)
			outs[i].hash = w.e[i].hash, outs[i].hash2 = w.e[i].hash2;
		if (w.e[i].out.cdhash)
			outs[i].cdhash = w.e[i].cdhash;
	}
	r = mx_coderesources_write(ret, ret_len, outs, w.n);
	*ret_count = w.n;
out:
	free(outs);
	for (size_t i = 0; i < w.n; i++) {
		free(w.e[i].path);
		free(w.e[i].symlink);
		free(w.e[i].requirement);
	}
	free(w.e);
	mx_coderesources_free(&w.std);
	return r;
}
