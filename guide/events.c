#include "guide/events.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

struct events {
	events_sink_fn sink;
	void *ctx;
	unsigned long count;
	int64_t last_t; /* of the last line: times never decrease */
	/* memory sink */
	char *buf;
	size_t len, cap;
};

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
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)ms);
	memcpy(buf, tmp, 31);
	buf[31] = '\0';
}

/* A number as the log has always written it: coordinates with 7 decimals
 * (1 cm), other figures with 6 significant digits, never json-c's 17. */
static json_object *
new_number(double v, bool coord)
{
	char num[64];
	if (!isfinite(v))
		return NULL;
	snprintf(num, sizeof(num), coord ? "%.7f" : "%.6g", v);
	return json_object_new_double_s(v, num);
}

static json_object *
new_string_list(const char *const *list, unsigned n)
{
	json_object *a = json_object_new_array_ext((int)n);
	for (unsigned i = 0; i < n; i++)
		json_object_array_add(a, list[i] ? json_object_new_string(list[i]) : NULL);
	return a;
}

static void
events_vemit(struct events *ev, int64_t t, const char *event, va_list ap)
{
	if (!ev)
		return;
	/* the log's time never goes backwards, whatever the caller's clock did */
	if (ev->count && t < ev->last_t)
		t = ev->last_t;
	ev->last_t = t;

	char ts[32];
	events_format_time(t, ts);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "time", json_object_new_string(ts));
	json_object_object_add(o, "event", json_object_new_string(event));
	for (;;) {
		const char *key = va_arg(ap, const char *);
		if (!key)
			break;
		int type = va_arg(ap, int);
		json_object *v = NULL;
		switch (type) {
		case 's': {
			const char *str = va_arg(ap, const char *);
			v = str ? json_object_new_string(str) : NULL;
			break;
		}
		case 'c': v = new_number(va_arg(ap, double), true); break;
		case 'd': v = new_number(va_arg(ap, double), false); break;
		case 'i': v = json_object_new_int64(va_arg(ap, long long)); break;
		case 'b': v = json_object_new_boolean(va_arg(ap, int)); break;
		case 'S': {
			const char *const *list = va_arg(ap, const char *const *);
			v = new_string_list(list, va_arg(ap, unsigned));
			break;
		}
		default: break;
		}
		json_object_object_add(o, key, v);
	}
	size_t len;
	const char *text = json_object_to_json_string_length(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	char *line = text ? malloc(len + 2) : NULL;
	if (line) {
		memcpy(line, text, len);
		memcpy(line + len, "\n", 2);
		if (ev->sink)
			ev->sink(ev->ctx, line, len + 1);
		ev->count++;
		free(line);
	}
	json_object_put(o);
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
events_clip_start(struct events *ev, int64_t t, const char *poi, const char *clip, const char *lang,
		  double lat, double lon)
{
	events_emit(ev, t, "clip_start", "poi", 's', poi, "clip", 's', clip, "lang", 's', lang,
		    "lat", 'c', lat, "lon", 'c', lon, NULL);
}

void
events_clip_end(struct events *ev, int64_t t, const char *poi, const char *clip, const char *lang,
		bool completed)
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
	events_emit(ev, t, "fix_rejected", "lat", 'c', lat, "lon", 'c', lon, "reason", 's', reason,
		    NULL);
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
