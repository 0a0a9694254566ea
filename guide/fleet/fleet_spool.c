/* The spool: DIR/spool.jsonl holds the lines to publish, in order.  [0,
 * head) is acknowledged, [head, send) is on the wire (QoS 1, waiting for
 * its PUBACK), [send, size) waits for the broker.  head and size are
 * persisted by the agent's state file after the lines are written; at a
 * restart the file is cut back to size (lines after it are read from the
 * event log again) and sending starts at head (a line sent twice is
 * de-duplicated by the depot).  The unsent part is bounded: the oldest
 * unsent lines are dropped first. */
#define _GNU_SOURCE
#include "guide/fleet/fleet.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guide/log.h"

struct inflight {
	int mid;
	bool acked;
	uint64_t end;
};

struct fleet_spool {
	int fd;
	char *dir, *path;
	unsigned gen; /* the file is DIR/spool.GEN.jsonl; a compaction writes GEN + 1 */
	uint64_t max, size, head, send;
	struct inflight fl[FLEET_INFLIGHT];
	unsigned n_fl;
};

static char *
gen_path(const char *dir, unsigned gen)
{
	char *p;
	return asprintf(&p, "%s/spool.%u.jsonl", dir, gen) < 0 ? NULL : p;
}

/* Removes the spool files of other generations (a compaction cut short). */
static void
remove_others(const char *dir, unsigned gen)
{
	for (unsigned g = gen - 2; g != gen + 3; g++) {
		char *p = g == gen ? NULL : gen_path(dir, g);
		if (p)
			unlink(p);
		free(p);
	}
}

int
fleet_spool_open(const char *dir, unsigned gen, uint64_t max, uint64_t size, uint64_t head,
		 struct fleet_spool **out)
{
	struct fleet_spool *s = calloc(1, sizeof(*s));
	int r = -ENOMEM;
	if (!s)
		return r;
	s->fd = -1;
	s->gen = gen;
	s->dir = strdup(dir);
	s->path = gen_path(dir, gen);
	if (!s->dir || !s->path)
		goto fail;
	remove_others(dir, gen);
	s->fd = open(s->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	struct stat st;
	if (s->fd < 0 || fstat(s->fd, &st) < 0) {
		r = -errno;
		goto fail;
	}
	if ((uint64_t)st.st_size < size) /* the state is ahead of the file: trust the file */
		size = (uint64_t)st.st_size;
	if (head > size)
		head = size;
	if ((uint64_t)st.st_size > size && ftruncate(s->fd, (off_t)size) < 0) {
		r = -errno;
		goto fail;
	}
	s->max = max;
	s->size = size;
	s->head = s->send = head;
	*out = s;
	return 0;
fail:
	fleet_spool_destroy(s);
	return r;
}

void
fleet_spool_destroy(struct fleet_spool *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->path);
	free(s->dir);
	free(s);
}

int
fleet_spool_append(struct fleet_spool *s, const char *line, size_t len)
{
	char buf[FLEET_MAX_LINE + 512];
	if (len + 1 > sizeof(buf))
		return -EMSGSIZE;
	memcpy(buf, line, len);
	buf[len] = '\n';
	ssize_t n = pwrite(s->fd, buf, len + 1, (off_t)s->size);
	if (n != (ssize_t)(len + 1)) {
		int r = n < 0 ? -errno : -ENOSPC;
		/* a partial line is cut off again */
		if (ftruncate(s->fd, (off_t)s->size) < 0)
			r = -errno;
		return r;
	}
	s->size += len + 1;
	return 0;
}

uint64_t
fleet_spool_unsent(const struct fleet_spool *s)
{
	return s->size - s->send;
}

unsigned
fleet_spool_inflight(const struct fleet_spool *s)
{
	return s->n_fl;
}

/* The line at off into buf (NUL-terminated, without its '\n'); 0 if none. */
static size_t
line_at(struct fleet_spool *s, uint64_t off, char *buf, size_t cap, uint64_t *end)
{
	if (off >= s->size)
		return 0;
	size_t want = cap - 1;
	if (want > s->size - off)
		want = (size_t)(s->size - off);
	ssize_t n = pread(s->fd, buf, want, (off_t)off);
	if (n <= 0)
		return 0;
	char *nl = memchr(buf, '\n', (size_t)n);
	if (!nl) { /* cannot be: lines are bounded when appended; skip to the end */
		*end = s->size;
		buf[0] = '\0';
		return 0;
	}
	*nl = '\0';
	*end = off + (uint64_t)(nl - buf) + 1;
	return (size_t)(nl - buf);
}

size_t
fleet_spool_peek(struct fleet_spool *s, char *buf, size_t cap, uint64_t *end)
{
	*end = s->send;
	size_t n = line_at(s, s->send, buf, cap, end);
	if (n == 0 && *end > s->send)
		s->send = *end;
	return n;
}

void
fleet_spool_sent(struct fleet_spool *s, int mid, uint64_t end)
{
	if (s->n_fl < FLEET_INFLIGHT)
		s->fl[s->n_fl++] = (struct inflight){.mid = mid, .end = end};
	s->send = end;
	if (s->n_fl == 0)
		s->head = end;
}

void
fleet_spool_acked(struct fleet_spool *s, int mid)
{
	for (unsigned i = 0; i < s->n_fl; i++)
		if (s->fl[i].mid == mid)
			s->fl[i].acked = true;
	unsigned k = 0;
	while (k < s->n_fl && s->fl[k].acked)
		s->head = s->fl[k++].end;
	memmove(s->fl, s->fl + k, (s->n_fl - k) * sizeof(s->fl[0]));
	s->n_fl -= k;
	if (s->n_fl == 0)
		s->head = s->send;
}

unsigned
fleet_spool_trim(struct fleet_spool *s, void (*fn)(void *ctx, const char *line, size_t len),
		 void *ctx)
{
	unsigned dropped = 0;
	if (s->size - s->send <= s->max)
		return 0;
	/* down to 3/4 of the bound, so that a full spool drops in batches */
	char *buf = malloc(FLEET_MAX_LINE + 512);
	if (!buf)
		return 0;
	while (s->size - s->send > s->max / 4 * 3) {
		uint64_t end = s->send;
		size_t n = line_at(s, s->send, buf, FLEET_MAX_LINE + 512, &end);
		if (end <= s->send)
			break;
		fn(ctx, buf, n);
		s->send = end;
		dropped++;
	}
	if (s->n_fl == 0)
		s->head = s->send;
	free(buf);
	return dropped;
}

void
fleet_spool_get(const struct fleet_spool *s, unsigned *gen, uint64_t *size, uint64_t *head)
{
	*gen = s->gen;
	*size = s->size;
	*head = s->head;
}

void
fleet_spool_forget_old(struct fleet_spool *s)
{
	remove_others(s->dir, s->gen);
}

int
fleet_spool_sync(struct fleet_spool *s)
{
	return fdatasync(s->fd) < 0 ? -errno : 0;
}

int
fleet_spool_compact(struct fleet_spool *s)
{
	if (s->head == 0)
		return 0;
	/* copy the live part (maybe nothing) to a new generation when the dead
	 * front is large */
	if (s->head < s->max / 2 && s->head < 1024 * 1024)
		return 0;
	int r = 0;
	char *next = gen_path(s->dir, s->gen + 1);
	if (!next)
		return -ENOMEM;
	int fd = open(next, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		free(next);
		return r;
	}
	char buf[65536];
	for (uint64_t off = s->head; off < s->size;) {
		size_t want = sizeof(buf);
		if (want > s->size - off)
			want = (size_t)(s->size - off);
		ssize_t n = pread(s->fd, buf, want, (off_t)off);
		if (n <= 0 || write(fd, buf, (size_t)n) != n) {
			r = n < 0 ? -errno : -EIO;
			goto fail;
		}
		off += (uint64_t)n;
	}
	if (fdatasync(fd) < 0) {
		r = -errno;
		goto fail;
	}
	/* the old file stays until the state names the new one
	 * (fleet_spool_forget_old) */
	uint64_t cut = s->head;
	close(s->fd);
	s->fd = fd;
	s->gen++;
	free(s->path);
	s->path = next;
	s->size -= cut;
	s->send -= cut;
	s->head = 0;
	for (unsigned i = 0; i < s->n_fl; i++)
		s->fl[i].end -= cut;
	return 1;
fail:
	close(fd);
	unlink(next);
	free(next);
	return r;
}
