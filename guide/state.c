#include "guide/state.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
guide_state_init(struct guide_state *st)
{
	memset(st, 0, sizeof(*st));
	st->state = GUIDE_STATE_IDLE;
}

bool
guide_state_has_played(const struct guide_state *st, const char *stop_id)
{
	for (unsigned i = 0; i < st->n_played; i++)
		if (strcmp(st->played[i], stop_id) == 0)
			return true;
	return false;
}

bool
guide_state_mark_played(struct guide_state *st, const char *stop_id)
{
	if (guide_state_has_played(st, stop_id))
		return true;
	if (st->n_played == GUIDE_STATE_MAX_PLAYED || strlen(stop_id) >= GUIDE_STATE_MAX_ID)
		return false;
	strcpy(st->played[st->n_played++], stop_id);
	return true;
}

/* an id is printable, without blanks, and fits */
static bool
copy_word(char *dst, const char *src)
{
	size_t n = strlen(src);
	if (n == 0 || n >= GUIDE_STATE_MAX_ID)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)src[i] <= ' ' || src[i] == 0x7f)
			return false;
	memcpy(dst, src, n + 1);
	return true;
}

int
guide_state_load(const char *path, struct guide_state *st, char *err, size_t errlen)
{
	struct guide_state tmp;
	char line[256];
	unsigned lineno = 0;
	bool header = false;
	FILE *f;

	guide_state_init(st);
	guide_state_init(&tmp);
	f = fopen(path, "re");
	if (!f) {
		int r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		size_t len = strlen(line);
		if (len == 0 || line[len - 1] != '\n') {
			snprintf(err, errlen, "%s:%u: truncated or over-long line", path, lineno);
			goto bad;
		}
		line[len - 1] = '\0';
		char *val = strchr(line, ' ');
		if (!val) {
			snprintf(err, errlen, "%s:%u: expected 'key value'", path, lineno);
			goto bad;
		}
		*val++ = '\0';
		bool ok = true;
		if (!header) {
			ok = strcmp(line, "guide-state") == 0 && strcmp(val, "1") == 0;
			header = true;
		} else if (strcmp(line, "route") == 0) {
			ok = copy_word(tmp.route, val);
		} else if (strcmp(line, "tour") == 0) {
			ok = copy_word(tmp.tour, val);
		} else if (strcmp(line, "langs") == 0) {
			ok = copy_word(tmp.langs, val);
		} else if (strcmp(line, "state") == 0) {
			if (strcmp(val, "idle") == 0)
				tmp.state = GUIDE_STATE_IDLE;
			else if (strcmp(val, "running") == 0)
				tmp.state = GUIDE_STATE_RUNNING;
			else if (strcmp(val, "paused") == 0)
				tmp.state = GUIDE_STATE_PAUSED;
			else
				ok = false;
		} else if (strcmp(line, "log") == 0) {
			ok = copy_word(tmp.log, val);
		} else if (strcmp(line, "seq") == 0) {
			char *end;
			errno = 0;
			unsigned long long n = strtoull(val, &end, 10);
			ok = *val >= '0' && *val <= '9' && *end == '\0' && errno == 0;
			tmp.seq = n;
		} else if (strcmp(line, "played") == 0) {
			char id[GUIDE_STATE_MAX_ID];
			ok = copy_word(id, val) && guide_state_mark_played(&tmp, id);
		} else {
			ok = false;
		}
		if (!ok) {
			snprintf(err, errlen, "%s:%u: bad line '%.40s'", path, lineno, line);
			goto bad;
		}
	}
	if (ferror(f) || !header) {
		snprintf(err, errlen, "%s: empty or unreadable", path);
		goto bad;
	}
	if (tmp.state != GUIDE_STATE_IDLE && tmp.tour[0] == '\0') {
		snprintf(err, errlen, "%s: a running tour without a tour id", path);
		goto bad;
	}
	fclose(f);
	*st = tmp;
	return 0;
bad:
	fclose(f);
	return -EBADMSG;
}

static const char *
state_name(enum guide_state_tour s)
{
	switch (s) {
	case GUIDE_STATE_RUNNING: return "running";
	case GUIDE_STATE_PAUSED: return "paused";
	default: return "idle";
	}
}

int
guide_state_save(const char *path, const struct guide_state *st)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 8);
	char *dircopy = strdup(path);
	int fd = -1, r = 0;
	FILE *f = NULL;

	if (!tmp || !dircopy) {
		r = -ENOMEM;
		goto out;
	}
	snprintf(tmp, plen + 8, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		goto out;
	}
	fd = -1;
	fprintf(f, "guide-state 1\n");
	if (st->route[0])
		fprintf(f, "route %s\n", st->route);
	if (st->tour[0])
		fprintf(f, "tour %s\n", st->tour);
	fprintf(f, "state %s\n", state_name(st->state));
	if (st->langs[0])
		fprintf(f, "langs %s\n", st->langs);
	for (unsigned i = 0; i < st->n_played; i++)
		fprintf(f, "played %s\n", st->played[i]);
	if (st->log[0])
		fprintf(f, "log %s\nseq %llu\n", st->log, (unsigned long long)st->seq);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		r = -errno;
		goto out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		r = -errno;
		goto out;
	}
	f = NULL;
	if (rename(tmp, path) < 0) {
		r = -errno;
		goto out;
	}
	int dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
out:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (r < 0 && tmp)
		unlink(tmp);
	free(tmp);
	free(dircopy);
	return r;
}
