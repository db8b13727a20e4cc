#pragma once
/* Files: read-only maps of inputs, atomic replacement of outputs, small path helpers. */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct macext_diag;

struct mx_map {
	const uint8_t *data; /* NULL for an empty file */
	size_t len;
	void *base_; /* what munmap takes; NULL when nothing is mapped */
};

#define MX_MAP_INIT {NULL, 0, NULL}

/* Maps PATH read-only. Refuses what is not a regular file (-ENOEXEC for a directory, so a
 * caller can tell a bundle from a file) and files over MAX bytes (-E2BIG). Symlinks are
 * followed. -ENOENT when missing, -EACCES, -EIO. Fills DIAG (no offset) on failure. */
int mx_map_file(struct mx_map *ret, const char *path, uint64_t max, struct macext_diag *diag);
void mx_unmap(struct mx_map *m);

/* Reads a whole (small) file into a NUL-terminated heap buffer. */
int mx_read_file(const char *path, size_t max, char **ret, size_t *ret_len,
		 struct macext_diag *diag);

/* Writes all LEN bytes of DATA to FD, retrying short writes and EINTR. Returns 0, a
 * negative errno, or -EIO when write(2) makes no progress. */
int mx_write_all(int fd, const void *data, size_t len);

/* Replaces PATH with DATA: writes a temp file in the same directory, fsyncs it, renames it
 * over PATH and fsyncs the directory. On failure PATH keeps its previous content and the
 * temp file is removed. Returns 0 or a negative errno. */
int mx_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* mkdir -p with MODE for created directories. */
int mx_mkdir_p(const char *path, mode_t mode);

/* "a" + "/" + "b" in a fresh string (no doubled slash); NULL on ENOMEM. */
char *mx_path_join(const char *a, const char *b);

/* 1 if PATH names a directory, 0 if something else or nothing. */
int mx_is_dir(const char *path);
/* 1 if PATH exists (lstat), 0 if not. */
int mx_exists(const char *path);
