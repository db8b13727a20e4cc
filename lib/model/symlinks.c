/*
 * lib/model/symlinks.c: V17, "The kext contains a symlink which is either not readable or
 * points outside of its bundle; please remove" (kexts.md §6.4, [IOKitUser:OSKext.c]).
 *
 * A link is good when realpath() of it succeeds, the target can be opened for reading,
 * and the resolved path lies inside realpath() of the bundle. Links are never followed
 * during the walk itself (lstat), so a loop of links cannot make it run forever.
 */
#include "model/symlinks.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/file.h"

struct walk {
	const char *root_real; /* realpath of the bundle */
	size_t root_len;
	size_t entries;
	char **bad;
	size_t nbad, cap;
};

static bool inside(const struct walk *w, const char *real)
{
	return strncmp(real, w->root_real, w->root_len) == 0 &&
	       (real[w->root_len] == '/' || real[w->root_len] == '\0');
}

static int check_link(struct walk *w, const char *path, const char *rel)
{
	char *real = realpath(path, NULL);
	bool ok = real && access(real, R_OK) == 0 && inside(w, real);
	int r;

	free(real);
	if (ok)
		return 0;
	r = mx_grow((void **)&w->bad, &w->cap, w->nbad + 1, sizeof(*w->bad));
	if (r < 0)
		return r;
	w->bad[w->nbad] = mx_strdup(rel);
	if (!w->bad[w->nbad])
		return -ENOMEM;
	w->nbad++;
	return 0;
}

static int walk_dir(struct walk *w, const char *dir, const char *rel, unsigned depth);

static int visit(struct walk *w, const char *dir, const char *rel, const char *name,
		 unsigned depth)
{
	char *path = mx_path_join(dir, name);
	char *sub = *rel ? mx_asprintf("%s/%s", rel, name) : mx_strdup(name);
	struct stat st;
	int r = 0;

	if (!path || !sub) {
		r = -ENOMEM;
		goto out;
	}
	if (++w->entries > MX_BUNDLE_WALK_MAX_ENTRIES) {
		r = -E2BIG;
		goto out;
	}
	if (lstat(path, &st) < 0)
		goto out; /* vanished while we walked: nothing to judge */
	if (S_ISLNK(st.st_mode))
		r = check_link(w, path, sub);
	else if (S_ISDIR(st.st_mode) && strcmp(sub, "Contents/PlugIns") != 0 &&
		 strcmp(sub, "PlugIns") != 0)
		r = walk_dir(w, path, sub, depth + 1);
out:
	mx_free(path);
	mx_free(sub);
	return r;
}

static int walk_dir(struct walk *w, const char *dir, const char *rel, unsigned depth)
{
	DIR *d;
	struct dirent *e;
	int r = 0;

	if (depth > MX_BUNDLE_WALK_MAX_DEPTH)
		return -E2BIG;
	d = opendir(dir);
	if (!d)
		return 0; /* unreadable folders are the ownership rule's business (§6.5) */
	while (r == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		r = visit(w, dir, rel, e->d_name, depth);
	}
	closedir(d);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int mx_bundle_bad_symlinks(const char *bundle, char ***ret, size_t *ret_n)
{
	struct walk w = {0};
	int r;

	w.root_real = realpath(bundle, NULL);
	if (!w.root_real)
		return errno == ENOMEM ? -ENOMEM : -ENOENT;
	w.root_len = strlen(w.root_real);
	r = walk_dir(&w, bundle, "", 0);
	free((char *)w.root_real);
	if (r < 0) {
		for (size_t i = 0; i < w.nbad; i++)
			mx_free(w.bad[i]);
		mx_free(w.bad);
		return r;
	}
	if (w.nbad > 1)
		qsort(w.bad, w.nbad, sizeof(*w.bad), cmp_str);
	*ret = w.bad;
	*ret_n = w.nbad;
	return 0;
}
