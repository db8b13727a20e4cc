/*
 * lib/machine/eventlog.c: appends events to .macext/log.jsonl (eventlog.h).
 *
 * A line is built whole in memory and written with a single write(2) on an O_APPEND file,
 * then fsync'd: a process killed at any point leaves either the whole line or none of it,
 * and readers never see a torn record. Keys are sorted so the log is reproducible.
 */
#include "machine/eventlog.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "machine/machine.h"
#include "util/alloc.h"
#include "util/file.h"

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -EIO;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int mx_eventlog_append(const struct macext_ctx *ctx, const char *event, json_t *fields)
{
	json_t *doc = NULL;
	char when[21], *line = NULL, *text = NULL, *path = NULL;
	int fd = -1, r;

	if (!ctx || !ctx->root || !event) {
		r = -EINVAL;
		goto out;
	}
	doc = fields && json_is_object(fields) ? json_deep_copy(fields) : json_object();
	if (!doc) {
		r = -ENOMEM;
		goto out;
	}
	macext_time_format(ctx->now, when);
	if (json_object_set_new(doc, "time", json_string(when)) < 0 ||
	    json_object_set_new(doc, "event", json_string(event)) < 0) {
		r = -ENOMEM;
		goto out;
	}
	text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	line = text ? mx_asprintf("%s\n", text) : NULL;
	path = mx_path_join(ctx->root, MX_LOG);
	if (!line || !path) {
		r = -ENOMEM;
		goto out;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = errno == ENOENT ? -ENOENT : -EIO;
		goto out;
	}
	r = write_all(fd, line, strlen(line));
	if (r == 0 && fsync(fd) < 0)
		r = -EIO;
out:
	if (fd >= 0)
		close(fd);
	free(text);
	mx_free(line);
	mx_free(path);
	json_decref(doc);
	json_decref(fields);
	return r;
}
