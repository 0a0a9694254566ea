/* evemu:FILE -- a recording made with evemu-record, replayed on the
 * caller's clock: the fake of a keypad (STYLE.md 16).  The whole file is
 * parsed at open; read hands out its key events once they are due. */
#include "hal/input_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EV_KEY_TYPE 0x01 /* linux/input-event-codes.h EV_KEY */

struct hal_input_evemu {
	struct hal_input base; /* first */
	struct hal_input_key *keys;
	size_t n, next;
};

/* "0001" (hex) at *p, at most 4 digits; advances *p. */
static bool
parse_hex(const char **p, unsigned *out)
{
	const char *s = *p;
	unsigned v = 0;
	int n = 0;
	for (; n < 8; n++, s++) {
		int c = (unsigned char)*s, d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		v = v * 16 + (unsigned)d;
	}
	if (n == 0)
		return false;
	*out = v;
	*p = s;
	return true;
}

static void
skip_blanks(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
}

/* "E: SEC.USEC TYPE CODE VALUE [# ...]" between line and end: 0 or the
 * column (1-based) where it goes wrong. */
static int
parse_event(const char *line, const char *end, int64_t *us, unsigned *type, unsigned *code,
	    int *value)
{
	const char *p = line + 2;
	skip_blanks(&p, end);
	char *e;
	if (p >= end || *p < '0' || *p > '9')
		return (int)(p - line) + 1;
	unsigned long long sec = strtoull(p, &e, 10);
	if (*e != '.' || e[1] < '0' || e[1] > '9')
		return (int)(e - line) + 1;
	p = e + 1;
	unsigned long long usec = strtoull(p, &e, 10);
	if (e - p != 6 || sec > 1000000000000ull)
		return (int)(p - line) + 1;
	*us = (int64_t)(sec * 1000000ull + usec);
	p = e;
	skip_blanks(&p, end);
	if (!parse_hex(&p, type) || *type > 0x1f)
		return (int)(p - line) + 1;
	skip_blanks(&p, end);
	if (!parse_hex(&p, code) || *code > 0x2ff)
		return (int)(p - line) + 1;
	skip_blanks(&p, end);
	long v = strtol(p, &e, 10);
	if (e == p || e > end)
		return (int)(p - line) + 1;
	*value = (int)v;
	p = e;
	skip_blanks(&p, end);
	if (p < end && *p != '#' && *p != '\r')
		return (int)(p - line) + 1;
	return 0;
}

int
hal_input_evemu_parse(const char *data, size_t len, const char *path, hal_log_fn log,
		      void *log_user, struct hal_input_key **keys_out, size_t *n_out)
{
	struct hal_input_key *keys = NULL;
	size_t n = 0, cap = 0;
	int64_t first = -1, last = -1;
	unsigned lineno = 0;
	const char *p = data, *end = data + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		lineno++;
		const char *line = p;
		p = eol + 1;
		if (eol == line || *line == '#' || (eol - line == 1 && *line == '\r'))
			continue;
		/* the device's description: evemu-device needs it, a replay does not */
		if (eol - line >= 2 && line[1] == ':' && strchr("NIPBALS", line[0]))
			continue;
		if (eol - line < 2 || line[0] != 'E' || line[1] != ':') {
			hal_logf(log, log_user, HAL_LOG_ERR,
				 "%s:%u:1: not an evemu line (# comment, N:, I:, P:, B:, A:, L:, "
				 "S: or E: SEC.USEC TYPE CODE VALUE)",
				 path, lineno);
			goto bad;
		}
		int64_t us = 0;
		unsigned type = 0, code = 0;
		int value = 0;
		int col = parse_event(line, eol, &us, &type, &code, &value);
		if (col) {
			hal_logf(log, log_user, HAL_LOG_ERR,
				 "%s:%u:%d: an event is E: SEC.USEC TYPE CODE VALUE (type and code "
				 "in hex, e.g. E: 1.500000 0001 0039 1)",
				 path, lineno, col);
			goto bad;
		}
		if (first < 0)
			first = us;
		if (us < last) {
			hal_logf(log, log_user, HAL_LOG_ERR,
				 "%s:%u:4: time goes back (%lld.%06lld after %lld.%06lld)", path,
				 lineno, (long long)(us / 1000000), (long long)(us % 1000000),
				 (long long)(last / 1000000), (long long)(last % 1000000));
			goto bad;
		}
		last = us;
		if (type != EV_KEY_TYPE)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			void *q = realloc(keys, nc * sizeof(*keys));
			if (!q) {
				free(keys);
				return -ENOMEM;
			}
			keys = q;
			cap = nc;
		}
		keys[n++] = (struct hal_input_key){
			.code = (int)code, .value = value, .time_ms = (us - first) / 1000};
	}
	*keys_out = keys;
	*n_out = n;
	return 0;
bad:
	free(keys);
	return -EBADMSG;
}

/* Reads a whole file; *data is NUL-terminated, free() it.  Negative errno. */
static int
read_file(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "rbe");
	if (!f)
		return -errno;
	int rc = 0;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	while (buf) {
		if (n == cap) {
			char *q = realloc(buf, cap * 2 + 1);
			if (!q)
				break;
			buf = q;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (!buf || n == cap)
		rc = -ENOMEM;
	else if (ferror(f))
		rc = -EIO;
	fclose(f);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

static void
evemu_close(struct hal_input *in)
{
	struct hal_input_evemu *r = (struct hal_input_evemu *)in;
	free(r->keys);
	free(r);
}

static int
evemu_open(const char *arg, const struct hal_input_options *opts, struct hal_input **out)
{
	char *data = NULL;
	size_t len = 0;
	if (!arg || !*arg) {
		hal_input_logf(opts, HAL_LOG_ERR, "evemu: needs a file (evemu:FILE)");
		return -EINVAL;
	}
	int rc = read_file(arg, &data, &len);
	if (rc < 0) {
		hal_input_logf(opts, HAL_LOG_ERR, "evemu: %s: %s", arg, strerror(-rc));
		return rc;
	}
	struct hal_input_evemu *r = calloc(1, sizeof(*r));
	if (!r) {
		free(data);
		return -ENOMEM;
	}
	hal_input_base_init(&r->base, &hal_input_evemu_impl, opts);
	rc = hal_input_evemu_parse(data, len, arg, opts ? opts->log : NULL,
				   opts ? opts->log_user : NULL, &r->keys, &r->n);
	free(data);
	if (rc < 0) {
		if (rc != -EBADMSG)
			hal_input_logf(opts, HAL_LOG_ERR, "evemu: %s: %s", arg, strerror(-rc));
		free(r);
		return rc;
	}
	*out = &r->base;
	return 0;
}

/* Due is the caller's business (peek): read hands out the next event. */
static int
evemu_read(struct hal_input *in, struct hal_input_key *key)
{
	struct hal_input_evemu *r = (struct hal_input_evemu *)in;
	if (r->next >= r->n)
		return HAL_INPUT_END;
	*key = r->keys[r->next++];
	return HAL_INPUT_KEY;
}

static int64_t
evemu_peek(struct hal_input *in)
{
	struct hal_input_evemu *r = (struct hal_input_evemu *)in;
	return r->next < r->n ? r->keys[r->next].time_ms : -1;
}

const struct hal_input_impl hal_input_evemu_impl = {
	.scheme = {"evemu", "evemu:FILE"},
	.open = evemu_open,
	.read = evemu_read,
	.close = evemu_close,
	.peek_time_ms = evemu_peek,
};
