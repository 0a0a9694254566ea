#include "guide/events.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct events {
	events_sink_fn sink;
	void *ctx;
	unsigned long count;
	/* memory sink */
	char *buf;
	size_t len, cap;
};

/* A line under construction; grows on the heap when long. */
struct line {
	char *p;
	size_t len, cap;
	bool oom;
};

static void
line_put(struct line *l, const char *s, size_t n)
{
	if (l->oom)
		return;
	if (l->len + n + 1 > l->cap) {
		size_t cap = l->cap ? l->cap : 256;
		while (cap < l->len + n + 1)
			cap *= 2;
		char *p = realloc(l->p, cap);
		if (!p) {
			l->oom = true;
			return;
		}
		l->p = p;
		l->cap = cap;
	}
	memcpy(l->p + l->len, s, n);
	l->len += n;
	l->p[l->len] = '\0';
}

static void
line_puts(struct line *l, const char *s)
{
	line_put(l, s, strlen(s));
}

static void
line_json_string(struct line *l, const char *s)
{
	if (!s) {
		line_puts(l, "null");
		return;
	}
	line_put(l, "\"", 1);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		char esc[8];
		switch (*c) {
		case '"': line_put(l, "\\\"", 2); break;
		case '\\': line_put(l, "\\\\", 2); break;
		case '\n': line_put(l, "\\n", 2); break;
		case '\r': line_put(l, "\\r", 2); break;
		case '\t': line_put(l, "\\t", 2); break;
		case '\b': line_put(l, "\\b", 2); break;
		case '\f': line_put(l, "\\f", 2); break;
		default:
			if (*c < 0x20 || *c == 0x7f) {
				snprintf(esc, sizeof(esc), "\\u%04x", *c);
				line_put(l, esc, 6);
			} else {
				line_put(l, (const char *)c, 1);
			}
		}
	}
	line_put(l, "\"", 1);
}

size_t
events_json_escape(const char *s, char *out, size_t size)
{
	struct line l = {0};
	line_json_string(&l, s ? s : "");
	size_t need = l.len >= 2 ? l.len - 2 : 0;
	if (size) {
		size_t n = need < size - 1 ? need : size - 1;
		if (l.p)
			memcpy(out, l.p + 1, n);
		out[n] = '\0';
	}
	free(l.p);
	return need;
}

static void
file_sink(void *ctx, const char *line, size_t len)
{
	FILE *f = ctx;
	fwrite(line, 1, len, f);
	fflush(f);
}

static void
memory_sink(void *ctx, const char *line, size_t len)
{
	struct events *ev = ctx;
	if (ev->len + len + 1 > ev->cap) {
		size_t cap = ev->cap ? ev->cap : 1024;
		while (cap < ev->len + len + 1)
			cap *= 2;
		char *p = realloc(ev->buf, cap);
		if (!p)
			return;
		ev->buf = p;
		ev->cap = cap;
	}
	memcpy(ev->buf + ev->len, line, len);
	ev->len += len;
	ev->buf[ev->len] = '\0';
}

struct events *
events_create(events_sink_fn sink, void *ctx)
{
	struct events *ev = calloc(1, sizeof(*ev));
	if (!ev)
		return NULL;
	ev->sink = sink;
	ev->ctx = ctx;
	return ev;
}

struct events *
events_create_file(FILE *f)
{
	return events_create(file_sink, f);
}

struct events *
events_create_memory(void)
{
	struct events *ev = events_create(memory_sink, NULL);
	if (ev)
		ev->ctx = ev;
	return ev;
}

void
events_destroy(struct events *ev)
{
	if (!ev)
		return;
	free(ev->buf);
	free(ev);
}

const char *
events_buffer(const struct events *ev)
{
	return ev && ev->buf ? ev->buf : "";
}

void
events_buffer_clear(struct events *ev)
{
	if (ev && ev->buf) {
		ev->len = 0;
		ev->buf[0] = '\0';
	}
}

unsigned long
events_count(const struct events *ev)
{
	return ev ? ev->count : 0;
}

void
events_format_time(int64_t time_ms, char buf[32])
{
	int64_t ms = time_ms % 1000;
	int64_t s = time_ms / 1000;
	if (ms < 0) {
		ms += 1000;
		s -= 1;
	}
	time_t tt = (time_t)s;
	struct tm tm;
	gmtime_r(&tt, &tm);
	int year = tm.tm_year + 1900;
	if (year < 0 || year > 9999)
		year = 0;
	char tmp[96];
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)ms);
	memcpy(buf, tmp, 31);
	buf[31] = '\0';
}

static void
put_double(struct line *l, bool coord, double v)
{
	char num[64];
	if (!isfinite(v)) {
		line_puts(l, "null");
		return;
	}
	if (coord)
		snprintf(num, sizeof(num), "%.7f", v);
	else
		snprintf(num, sizeof(num), "%.6g", v);
	line_puts(l, num);
}

static void
events_vemit(struct events *ev, int64_t t, const char *event, va_list ap)
{
	if (!ev)
		return;
	struct line l = {0};
	char ts[32];
	events_format_time(t, ts);
	line_puts(&l, "{\"time\":\"");
	line_puts(&l, ts);
	line_puts(&l, "\",\"event\":");
	line_json_string(&l, event);
	for (;;) {
		const char *key = va_arg(ap, const char *);
		if (!key)
			break;
		int type = va_arg(ap, int);
		line_put(&l, ",", 1);
		line_json_string(&l, key);
		line_put(&l, ":", 1);
		switch (type) {
		case 's': line_json_string(&l, va_arg(ap, const char *)); break;
		case 'c': put_double(&l, true, va_arg(ap, double)); break;
		case 'd': put_double(&l, false, va_arg(ap, double)); break;
		case 'i': {
			char num[32];
			snprintf(num, sizeof(num), "%lld", va_arg(ap, long long));
			line_puts(&l, num);
			break;
		}
		case 'b': line_puts(&l, va_arg(ap, int) ? "true" : "false"); break;
		case 'S': {
			const char *const *list = va_arg(ap, const char *const *);
			unsigned n = va_arg(ap, unsigned);
			line_put(&l, "[", 1);
			for (unsigned i = 0; i < n; i++) {
				if (i)
					line_put(&l, ",", 1);
				line_json_string(&l, list[i]);
			}
			line_put(&l, "]", 1);
			break;
		}
		default: line_puts(&l, "null"); break;
		}
	}
	line_puts(&l, "}\n");
	if (!l.oom && ev->sink) {
		ev->sink(ev->ctx, l.p, l.len);
		ev->count++;
	}
	free(l.p);
}

void
events_emit(struct events *ev, int64_t t, const char *event, ...)
{
	va_list ap;
	va_start(ap, event);
	events_vemit(ev, t, event, ap);
	va_end(ap);
}

void
events_tour_start(struct events *ev, int64_t t, const char *tour, const char *const *langs,
		  unsigned n_langs)
{
	events_emit(ev, t, "tour_start", "tour", 's', tour, "lang", 'S', langs, n_langs, NULL);
}

void
events_tour_end(struct events *ev, int64_t t, const char *tour, const char *reason)
{
	events_emit(ev, t, "tour_end", "tour", 's', tour, "reason", 's', reason, NULL);
}

void
events_gps_fix(struct events *ev, int64_t t, double lat, double lon)
{
	events_emit(ev, t, "gps_fix", "lat", 'c', lat, "lon", 'c', lon, NULL);
}

void
events_gps_lost(struct events *ev, int64_t t)
{
	events_emit(ev, t, "gps_lost", NULL);
}

void
events_zone_enter(struct events *ev, int64_t t, const char *poi)
{
	events_emit(ev, t, "zone_enter", "poi", 's', poi, NULL);
}

void
events_zone_exit(struct events *ev, int64_t t, const char *poi)
{
	events_emit(ev, t, "zone_exit", "poi", 's', poi, NULL);
}

void
events_clip_start(struct events *ev, int64_t t, const char *poi, const char *clip,
		  const char *lang, double lat, double lon)
{
	events_emit(ev, t, "clip_start", "poi", 's', poi, "clip", 's', clip, "lang", 's', lang,
		    "lat", 'c', lat, "lon", 'c', lon, NULL);
}

void
events_clip_end(struct events *ev, int64_t t, const char *poi, const char *clip,
		const char *lang, bool completed)
{
	events_emit(ev, t, "clip_end", "poi", 's', poi, "clip", 's', clip, "lang", 's', lang,
		    "completed", 'b', (int)completed, NULL);
}

void
events_clip_skip(struct events *ev, int64_t t, const char *poi, const char *reason)
{
	events_emit(ev, t, "clip_skip", "poi", 's', poi, "reason", 's', reason, NULL);
}

void
events_error(struct events *ev, int64_t t, const char *message)
{
	events_emit(ev, t, "error", "message", 's', message, NULL);
}

void
events_fix_rejected(struct events *ev, int64_t t, double lat, double lon, const char *reason)
{
	events_emit(ev, t, "fix_rejected", "lat", 'c', lat, "lon", 'c', lon, "reason", 's',
		    reason, NULL);
}

void
events_off_path(struct events *ev, int64_t t, double cross_m)
{
	events_emit(ev, t, "off_path", "cross_m", 'd', cross_m, NULL);
}

void
events_on_path(struct events *ev, int64_t t, double along_m)
{
	events_emit(ev, t, "on_path", "along_m", 'd', along_m, NULL);
}

void
events_tour_state(struct events *ev, int64_t t, const char *tour, const char *state)
{
	events_emit(ev, t, "tour_state", "tour", 's', tour, "state", 's', state, NULL);
}

void
events_volume(struct events *ev, int64_t t, double volume)
{
	events_emit(ev, t, "volume", "volume", 'd', volume, NULL);
}

void
events_lang(struct events *ev, int64_t t, const char *const *langs, unsigned n_langs)
{
	events_emit(ev, t, "lang", "lang", 'S', langs, n_langs, NULL);
}
