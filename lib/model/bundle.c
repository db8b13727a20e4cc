/*
 * lib/model/bundle.c: opening a kext bundle (kexts.md §6.1, fixtures.md §1.7).
 *
 *   modern                                  flat (old kexts)
 *   Foo.kext/Contents/Info.plist            Foo.kext/Info.plist
 *   Foo.kext/Contents/MacOS/<exe>           Foo.kext/<exe>
 *   Foo.kext/Contents/PlugIns/X.kext        Foo.kext/PlugIns/X.kext
 *   Foo.kext/Contents/_CodeSignature/       Foo.kext/_CodeSignature/
 *
 * The layout is modern when Contents/ is a directory. Nothing inside the bundle is an
 * error here: a missing or malformed Info.plist, a missing executable or a bad Mach-O is
 * recorded in the struct and reported by the audit, so one bad kext never hides the rest.
 * Errors are what stops us reading at all: the path missing or not a directory, -ENOMEM,
 * and -E2BIG when PlugIns nest deeper than MX_KEXT_MAX_PLUGIN_DEPTH or hold more than
 * MX_KEXT_MAX_PLUGINS kexts in all. CFBundleExecutable is a file name; one with a '/' is
 * treated as missing rather than followed out of the bundle. Plug-ins are read in name
 * order so output is deterministic.
 */
#include "model/bundle.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "format/plist_walk.h"
#include "model/infoplist.h"
#include "model/plist_guard.h"
#include "util/alloc.h"
#include "util/diag.h"

static void libsets_free(struct mx_libset *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < s[i].n; j++)
			mx_free((char *)s[i].v[j].id);
		mx_free(s[i].v);
		mx_free(s[i].arch);
	}
	mx_free(s);
}

void macext_kext_free(struct macext_kext *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->nplugins; i++)
		macext_kext_free(k->plugins[i]);
	mx_free(k->plugins);
	libsets_free(k->libsets, k->nlibsets);
	macext_macho_free(k->macho);
	mx_unmap(&k->map);
	mx_free(k->exe_path);
	if (k->info)
		plist_free(k->info);
	mx_free(k->path);
	mx_free(k);
}

static int cmp_lib(const void *a, const void *b)
{
	return strcmp(((const struct macext_kext_library *)a)->id,
		      ((const struct macext_kext_library *)b)->id);
}

/* Copies dictionary D (OSBundleLibraries or a _<arch> variant) into S. */
static int libset_fill(struct mx_libset *s, plist_t d)
{
	struct mx_dict_walk w = {.dict = d};
	uint32_t n = plist_dict_get_size(d);

	s->v = mx_calloc((size_t)n + 1, sizeof(*s->v));
	if (!s->v)
		return -ENOMEM;
	while (s->n < n && mx_dict_next(&w)) {
		s->v[s->n].id = mx_strdup(w.key);
		if (!s->v[s->n].id) {
			mx_dict_walk_end(&w);
			return -ENOMEM;
		}
		s->v[s->n].version = plist_get_node_type(w.val) == PLIST_STRING
					     ? plist_get_string_ptr(w.val, NULL)
					     : NULL;
		s->n++;
	}
	mx_dict_walk_end(&w);
	qsort(s->v, s->n, sizeof(*s->v), cmp_lib);
	return 0;
}

static int read_libraries(struct macext_kext *k)
{
	struct mx_dict_walk w = {.dict = k->info};
	uint32_t n = plist_dict_get_size(k->info);
	int r = 0;

	k->libsets = mx_calloc((size_t)n + 1, sizeof(*k->libsets));
	if (!k->libsets)
		return -ENOMEM;
	while (r == 0 && mx_dict_next(&w)) {
		struct mx_libset *s;

		if (plist_get_node_type(w.val) == PLIST_DICT &&
		    (strcmp(w.key, "OSBundleLibraries") == 0 ||
		     strncmp(w.key, "OSBundleLibraries_", 18) == 0)) {
			s = &k->libsets[k->nlibsets++];
			if (w.key[17] == '_' && !(s->arch = mx_strdup(w.key + 18)))
				r = -ENOMEM;
			if (r == 0)
				r = libset_fill(s, w.val);
		}
	}
	mx_dict_walk_end(&w);
	return r;
}

static int read_info(struct macext_kext *k, const char *base)
{
	char *path = mx_path_join(base, "Info.plist"), *buf = NULL;
	size_t len = 0;
	int r;

	if (!path)
		return -ENOMEM;
	r = mx_read_file(path, MX_INFO_PLIST_MAX_SIZE, &buf, &len, &k->info_diag);
	mx_free(path);
	if (r == -ENOMEM)
		return r;
	if (r == -ENOENT) {
		k->info_state = MX_INFO_MISSING;
		return 0;
	}
	if (r == 0)
		r = mx_plist_parse(buf, len, &k->info, &k->info_diag);
	mx_free(buf);
	if (r == -ENOMEM)
		return r;
	if (r == 0 && plist_get_node_type(k->info) != PLIST_DICT)
		r = mx_diag_fail_at(&k->info_diag, 0, -EBADMSG, "top level is not a dictionary");
	if (r < 0) {
		k->info_state = MX_INFO_BAD;
		return 0;
	}
	k->bundle_id = mx_plist_string(k->info, "CFBundleIdentifier");
	k->version = mx_plist_string(k->info, "CFBundleVersion");
	return read_libraries(k);
}

static int read_executable(struct macext_kext *k, const char *base)
{
	const char *name = mx_plist_string(k->info, "CFBundleExecutable");
	char *dir;
	int r;

	if (!name || !*name)
		return 0;
	dir = k->flat ? mx_strdup(base) : mx_path_join(base, "MacOS");
	k->exe_path = dir ? mx_path_join(dir, name) : NULL;
	mx_free(dir);
	if (!k->exe_path)
		return -ENOMEM;
	if (strchr(name, '/')) {
		k->exe_state = MX_EXE_MISSING;
		return 0;
	}
	r = mx_map_file(&k->map, k->exe_path, MX_KEXT_MAX_EXECUTABLE, &k->exe_diag);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		k->exe_state = r == -ENOENT ? MX_EXE_MISSING : MX_EXE_UNREADABLE;
		return 0;
	}
	r = macext_macho_parse(&k->macho, k->map.data, k->map.len, 0, &k->exe_diag);
	if (r == -ENOMEM)
		return r;
	k->exe_state = r < 0 ? MX_EXE_BAD : MX_EXE_OK;
	return 0;
}

static int kext_open(struct macext_kext **ret, const char *path, unsigned depth, size_t *count,
		     struct macext_diag *diag);

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the *.kext directories in DIR, sorted. */
static int list_plugins(const char *dir, char ***ret, size_t *ret_n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t n = 0, cap = 0;
	int r = 0;

	*ret = NULL;
	*ret_n = 0;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (l <= 5 || strcmp(e->d_name + l - 5, ".kext") != 0)
			continue;
		if (n == MX_KEXT_MAX_PLUGINS) {
			r = -E2BIG;
			break;
		}
		r = mx_grow((void **)&v, &cap, n + 1, sizeof(*v));
		if (r < 0 || !(v[n] = mx_path_join(dir, e->d_name))) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*ret = v;
	*ret_n = n;
	return r;
}

static int read_plugins(struct macext_kext *k, const char *base, unsigned depth, size_t *count,
			struct macext_diag *diag)
{
	char *dir = mx_path_join(base, "PlugIns"), **names = NULL;
	size_t n = 0;
	int r;

	if (!dir)
		return -ENOMEM;
	r = list_plugins(dir, &names, &n);
	mx_free(dir);
	if (r == 0 && n > 0 && depth + 1 > MX_KEXT_MAX_PLUGIN_DEPTH)
		r = mx_diag_fail_nopos(diag, -E2BIG, "plug-ins nested deeper than %u levels",
				       MX_KEXT_MAX_PLUGIN_DEPTH);
	if (r == 0 && n > 0 && !(k->plugins = mx_calloc(n, sizeof(*k->plugins))))
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (!mx_is_dir(names[i]))
			continue;
		if (++*count > MX_KEXT_MAX_PLUGINS) {
			r = mx_diag_fail_nopos(diag, -E2BIG, "more than %u plug-in kexts",
					       MX_KEXT_MAX_PLUGINS);
			break;
		}
		r = kext_open(&k->plugins[k->nplugins], names[i], depth + 1, count, diag);
		if (r == 0)
			k->nplugins++;
	}
	for (size_t i = 0; i < n; i++)
		mx_free(names[i]);
	mx_free(names);
	if (r == -E2BIG && diag && diag->code == 0)
		mx_diag_fail_nopos(diag, r, "more than %u plug-in kexts", MX_KEXT_MAX_PLUGINS);
	return r;
}

static int kext_open(struct macext_kext **ret, const char *path, unsigned depth, size_t *count,
		     struct macext_diag *diag)
{
	struct macext_kext *k = NULL;
	char *contents = NULL, *sig = NULL;
	const char *base;
	struct stat st;
	int r;

	if (stat(path, &st) < 0)
		return mx_diag_fail_nopos(diag, errno == ENOENT ? -ENOENT : -errno, "cannot open: %s",
					  errno == ENOENT ? "no such file or directory"
							  : "cannot stat");
	if (!S_ISDIR(st.st_mode))
		return mx_diag_fail_nopos(diag, -ENOTDIR, "not a bundle directory");
	k = mx_calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->map = (struct mx_map)MX_MAP_INIT;
	k->path = mx_strdup(path);
	contents = mx_path_join(path, "Contents");
	if (!k->path || !contents) {
		r = -ENOMEM;
		goto out;
	}
	k->flat = !mx_is_dir(contents);
	base = k->flat ? path : contents;
	sig = mx_path_join(base, "_CodeSignature");
	if (!sig) {
		r = -ENOMEM;
		goto out;
	}
	k->signature_dir = mx_is_dir(sig);
	r = read_info(k, base);
	if (r == 0 && k->info_state == MX_INFO_OK)
		r = read_executable(k, base);
	if (r == 0)
		r = read_plugins(k, base, depth, count, diag);
	if (r < 0)
		goto out;
	*ret = k;
	k = NULL;
out:
	mx_free(contents);
	mx_free(sig);
	macext_kext_free(k);
	return r;
}

int macext_kext_open(struct macext_kext **ret, const char *path, struct macext_diag *diag)
{
	size_t count = 0;

	if (!ret || !path)
		return -EINVAL;
	return kext_open(ret, path, 0, &count, diag);
}

const char *macext_kext_path(const struct macext_kext *k)
{
	return k->path;
}

const char *macext_kext_bundle_id(const struct macext_kext *k)
{
	return k->bundle_id;
}

const char *macext_kext_version(const struct macext_kext *k)
{
	return k->version;
}

const char *macext_kext_executable_path(const struct macext_kext *k)
{
	return k->exe_path;
}

const struct macext_macho *macext_kext_macho(const struct macext_kext *k)
{
	return k->macho;
}

const struct macext_diag *macext_kext_macho_error(const struct macext_kext *k)
{
	return k->exe_state == MX_EXE_BAD || k->exe_state == MX_EXE_UNREADABLE ? &k->exe_diag
										  : NULL;
}

size_t macext_kext_libraries(const struct macext_kext *k, const char *arch,
			     const struct macext_kext_library **ret)
{
	const struct mx_libset *plain = NULL;

	for (size_t i = 0; i < k->nlibsets; i++) {
		const struct mx_libset *s = &k->libsets[i];

		if (!s->arch)
			plain = s;
		else if (arch && strcmp(s->arch, arch) == 0) {
			*ret = s->v;
			return s->n;
		}
	}
	*ret = plain ? plain->v : NULL;
	return plain ? plain->n : 0;
}

size_t macext_kext_nplugins(const struct macext_kext *k)
{
	return k->nplugins;
}

const struct macext_kext *macext_kext_plugin(const struct macext_kext *k, size_t i)
{
	return i < k->nplugins ? k->plugins[i] : NULL;
}
