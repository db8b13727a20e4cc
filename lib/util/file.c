/*
 * lib/util/file.c: mapping inputs and writing outputs.
 *
 * Invariants:
 * 1. An input is mapped read-only and never written; a map of an empty file has no pages.
 * 2. An output is never written in place: mx_write_atomic() writes "<path>.tmp.<pid>",
 *    fsyncs, renames over the target and fsyncs the directory, so a crash leaves either
 *    the old or the new content, never a mix.
 */
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macext/error.h"
#include "util/alloc.h"
#include "util/diag.h"

int mx_map_file(struct mx_map *ret, const char *path, uint64_t max, struct macext_diag *diag)
{
	struct stat st;
	void *p = NULL;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		return mx_diag_fail_nopos(diag, r, "%s", macext_strerror(r));
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return mx_diag_fail_nopos(diag, r, "%s", macext_strerror(r));
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return mx_diag_fail_nopos(diag, -ENOEXEC, "is a directory");
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return mx_diag_fail_nopos(diag, -ENOEXEC, "not a regular file");
	}
	if ((uint64_t)st.st_size > max || (uint64_t)st.st_size > SIZE_MAX) {
		close(fd);
		return mx_diag_fail_nopos(diag, -E2BIG, "file of %lld bytes is over the limit of %llu",
					  (long long)st.st_size, (unsigned long long)max);
	}
	if (st.st_size > 0) {
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			r = -errno;
			close(fd);
			return mx_diag_fail_nopos(diag, r == -ENOMEM ? -ENOMEM : -EIO, "cannot map: %s",
						  macext_strerror(r));
		}
	}
	close(fd);
	ret->data = p;
	ret->len = (size_t)st.st_size;
	ret->base_ = p;
	return 0;
}

void mx_unmap(struct mx_map *m)
{
	if (m && m->base_)
		munmap(m->base_, m->len);
	if (m) {
		m->data = NULL;
		m->len = 0;
		m->base_ = NULL;
	}
}

int mx_read_file(const char *path, size_t max, char **ret, size_t *ret_len,
		 struct macext_diag *diag)
{
	struct mx_map m = MX_MAP_INIT;
	char *buf;
	int r;

	r = mx_map_file(&m, path, max, diag);
	if (r < 0)
		return r;
	buf = mx_malloc(m.len + 1);
	if (!buf) {
		mx_unmap(&m);
		return -ENOMEM;
	}
	if (m.len)
		memcpy(buf, m.data, m.len);
	buf[m.len] = '\0';
	*ret = buf;
	if (ret_len)
		*ret_len = m.len;
	mx_unmap(&m);
	return 0;
}

/* Opens the directory holding PATH (read-only), so it can be fsync'd after a rename without
 * allocating then. Returns the descriptor or a negative errno. */
static int open_dir_of(const char *path)
{
	char *dir = mx_strdup(path);
	char *slash;
	int fd;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strncpy(dir, ".", strlen(dir) + 1);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
	mx_free(dir);
	return fd;
}

int mx_write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int mx_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp;
	int fd, dfd, r = 0;

	/* Everything that can fail for want of memory happens before the rename: after it,
	 * PATH holds the new content and the call must not report a failure. */
	tmp = mx_asprintf("%s.tmp.%ld", path, (long)getpid());
	if (!tmp)
		return -ENOMEM;
	dfd = open_dir_of(path);
	if (dfd == -ENOMEM) {
		mx_free(tmp);
		return -ENOMEM;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	r = mx_write_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r == 0 && dfd >= 0 && fsync(dfd) < 0)
		r = -errno;
out:
	if (r < 0 && fd >= 0)
		unlink(tmp);
	if (dfd >= 0)
		close(dfd);
	mx_free(tmp);
	return r;
}

int mx_mkdir_p(const char *path, mode_t mode)
{
	char *p = mx_strdup(path);
	int r = 0;

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			r = -errno;
			goto out;
		}
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		r = -errno;
out:
	mx_free(p);
	return r;
}

char *mx_path_join(const char *a, const char *b)
{
	size_t la = strlen(a);

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	return mx_asprintf("%.*s/%s", (int)la, a, b);
}

int mx_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int mx_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}
