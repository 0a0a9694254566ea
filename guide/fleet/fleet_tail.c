/* Reading guided's event log from where we left it: by inode and offset,
 * checked against the log id of the file's first line.  A log renamed away
 * (rotation) is read to its end before the new file at the path; a log
 * truncated (copytruncate) or replaced in place starts again at 0. */
#define _GNU_SOURCE
#include "guide/fleet/fleet.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "guide/log.h"

#define CHUNK (64 * 1024)

struct fleet_tail {
	char *path;
	int fd;
	struct fleet_tail_pos pos;
	bool finishing; /* fd is a rotated-away file: read to its end, then the path */
	char *buf;
};

/* The log id of the log_open first line of fd, or "". */
static void
first_line_log(int fd, char log[FLEET_ID_SIZE])
{
	char buf[512];
	log[0] = '\0';
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	char *nl = strchr(buf, '\n');
	if (!nl)
		return;
	*nl = '\0';
	json_object *o = json_tokener_parse(buf), *v;
	if (o && json_object_object_get_ex(o, "event", &v) &&
	    strcmp(json_object_get_string(v), "log_open") == 0 &&
	    json_object_object_get_ex(o, "log", &v))
		snprintf(log, FLEET_ID_SIZE, "%s", json_object_get_string(v));
	json_object_put(o);
}

/* The file of the log's folder that has inode ino (a rotated log), opened. */
static int
open_renamed(const char *path, uint64_t dev, uint64_t ino)
{
	char *copy = strdup(path);
	const char *dir = dirname(copy);
	int fd = -1;
	DIR *d = opendir(dir);
	for (struct dirent *de; d && (de = readdir(d));) {
		if (de->d_ino != ino)
			continue;
		int f = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (f >= 0 && fstat(f, &st) == 0 && st.st_ino == ino && st.st_dev == dev &&
		    S_ISREG(st.st_mode)) {
			fd = f;
			guide_log(HAL_LOG_INFO, "event log rotated: finishing %s/%s", dir,
				  de->d_name);
			break;
		}
		if (f >= 0)
			close(f);
	}
	if (d)
		closedir(d);
	free(copy);
	return fd;
}

struct fleet_tail *
fleet_tail_create(const char *path, const struct fleet_tail_pos *pos)
{
	struct fleet_tail *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->path = strdup(path);
	t->buf = malloc(CHUNK + 1);
	t->fd = -1;
	if (pos)
		t->pos = *pos;
	if (!t->path || !t->buf) {
		fleet_tail_destroy(t);
		return NULL;
	}
	return t;
}

void
fleet_tail_destroy(struct fleet_tail *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	free(t->path);
	free(t->buf);
	free(t);
}

void
fleet_tail_get_pos(const struct fleet_tail *t, struct fleet_tail_pos *pos)
{
	*pos = t->pos;
}

static void
start_over(struct fleet_tail *t, const struct stat *st, const char *why)
{
	if (why)
		guide_log(HAL_LOG_WARNING, "event log %s %s: reading it from its start", t->path,
			  why);
	t->pos.dev = st->st_dev;
	t->pos.ino = st->st_ino;
	t->pos.offset = 0;
	t->pos.log[0] = '\0';
}

/* Opens the file to read: the one we were in (at the path, or renamed
 * away), else the path's from its start. */
static void
open_current(struct fleet_tail *t)
{
	struct stat st;
	int fd = open(t->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	bool ours = fd >= 0 && st.st_ino == t->pos.ino && st.st_dev == t->pos.dev;
	if (!ours && t->pos.ino && t->pos.offset) {
		int old = open_renamed(t->path, t->pos.dev, t->pos.ino);
		if (old >= 0) {
			if (fd >= 0)
				close(fd);
			t->fd = old;
			t->finishing = true;
			return;
		}
	}
	if (fd < 0)
		return;
	t->fd = fd;
	t->finishing = false;
	if (!ours) {
		start_over(t, &st, t->pos.ino ? "is a new file" : NULL);
		return;
	}
	char log[FLEET_ID_SIZE];
	first_line_log(fd, log);
	if ((uint64_t)st.st_size < t->pos.offset)
		start_over(t, &st, "was truncated");
	else if (t->pos.log[0] && strcmp(log, t->pos.log) != 0)
		start_over(t, &st, "was replaced (another log id)");
}

/* Before reading on in the same file: is it still the log we were in?  A
 * file truncated and written again between two polls is longer than our
 * offset, but its first line names another log.  (A pread of its first
 * line from the page cache: cheap at our 10 Hz.) */
static bool
still_ours(struct fleet_tail *t)
{
	struct stat cur;
	if (t->pos.offset == 0 || fstat(t->fd, &cur) < 0)
		return true;
	if ((uint64_t)cur.st_size < t->pos.offset) {
		start_over(t, &cur, "was truncated");
		return false;
	}
	if (!t->pos.log[0])
		return true;
	char log[FLEET_ID_SIZE];
	first_line_log(t->fd, log);
	if (strcmp(log, t->pos.log) != 0) {
		start_over(t, &cur, "was replaced (another log id)");
		return false;
	}
	return true;
}

/* At the end of fd: is there another file to go to, or did this one shrink? */
static bool
check_moved(struct fleet_tail *t)
{
	struct stat st, cur;
	if (fstat(t->fd, &cur) < 0)
		return false;
	if ((uint64_t)cur.st_size < t->pos.offset) {
		start_over(t, &cur, "was truncated");
		return true;
	}
	if (stat(t->path, &st) < 0)
		return false; /* no new file yet: stay in this one */
	if (st.st_ino == cur.st_ino && st.st_dev == cur.st_dev)
		return false;
	/* rotated: this file is finished (its torn last line, if any, stays
	 * unread: the writer has gone on in the new file) */
	close(t->fd);
	t->fd = -1;
	t->finishing = false;
	t->pos.dev = t->pos.ino = 0;
	t->pos.offset = 0;
	t->pos.log[0] = '\0';
	return true;
}

unsigned
fleet_tail_poll(struct fleet_tail *t, fleet_line_fn fn, void *ctx, unsigned max_lines)
{
	unsigned lines = 0;
	for (int rounds = 0; rounds < 4 && lines < max_lines; rounds++) {
		if (t->fd < 0)
			open_current(t);
		if (t->fd < 0)
			return lines;
		if (!still_ours(t))
			continue;
		ssize_t n = pread(t->fd, t->buf, CHUNK, (off_t)t->pos.offset);
		if (n < 0) {
			guide_log(HAL_LOG_ERR, "event log %s: %s", t->path, strerror(errno));
			close(t->fd);
			t->fd = -1;
			return lines;
		}
		size_t used = 0;
		while (used < (size_t)n && lines < max_lines) {
			char *line = t->buf + used;
			char *nl = memchr(line, '\n', (size_t)n - used);
			if (!nl)
				break;
			size_t len = (size_t)(nl - line);
			*nl = '\0';
			if (t->pos.offset + used == 0) {
				json_object *o = json_tokener_parse(line), *v;
				t->pos.log[0] = '\0';
				if (o && json_object_object_get_ex(o, "event", &v) &&
				    strcmp(json_object_get_string(v), "log_open") == 0 &&
				    json_object_object_get_ex(o, "log", &v))
					snprintf(t->pos.log, sizeof(t->pos.log), "%s",
						 json_object_get_string(v));
				json_object_put(o);
			}
			fn(ctx, line, len, t->pos.log);
			used += len + 1;
			lines++;
		}
		if (used == 0 && n == CHUNK) {
			/* a line longer than we hold: skip it */
			guide_log(HAL_LOG_WARNING, "event log %s: a line over %d bytes skipped",
				  t->path, CHUNK);
			char *nl;
			do {
				t->pos.offset += (uint64_t)n;
				n = pread(t->fd, t->buf, CHUNK, (off_t)t->pos.offset);
				nl = n > 0 ? memchr(t->buf, '\n', (size_t)n) : NULL;
			} while (n > 0 && !nl);
			if (nl)
				t->pos.offset += (uint64_t)(nl - t->buf) + 1;
			continue;
		}
		t->pos.offset += used;
		if (used < (size_t)n && lines >= max_lines)
			return lines;
		if (n < CHUNK && !check_moved(t))
			return lines; /* at the end of the file */
	}
	return lines;
}
