#define _GNU_SOURCE
#include "guide/events.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

struct events {
	events_sink_fn sink;
	void *ctx;
	unsigned long count;
	uint64_t seq;   /* of the last line */
	bool have_t;    /* last_t holds a time */
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

uint64_t
events_seq(const struct events *ev)
{
	return ev ? ev->seq : 0;
}

void
events_continue(struct events *ev, uint64_t seq, int64_t last_ms)
{
	if (!ev)
		return;
	ev->seq = seq;
	if (last_ms >= 0 && (!ev->have_t || last_ms > ev->last_t)) {
		ev->last_t = last_ms;
		ev->have_t = true;
	}
}

int
events_new_log_id(char id[EVENTS_LOG_ID_SIZE])
{
	unsigned char b[16];
	size_t got = 0;
	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(id + 2 * i, 3, "%02x", b[i]);
	return 0;
}

void
events_log_open(struct events *ev, int64_t t, const char *id)
{
	events_emit(ev, t, "log_open", "log", 's', id, NULL);
}

int64_t
events_parse_time(const char *text)
{
	struct tm tm = {0};
	int ms = 0;
	const char *p = text ? strptime(text, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!p)
		return -1;
	if (*p == '.') {
		int digits = 0;
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (digits++ < 3)
				ms = ms * 10 + (*p - '0');
		for (; digits < 3; digits++)
			ms *= 10;
	}
	if (*p != 'Z' || p[1] != '\0')
		return -1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

/* seq and time of one line, if it is an event object with them */
static bool
scan_line(const char *line, size_t len, uint64_t *seq, int64_t *t)
{
	json_tokener *tok = json_tokener_new();
	json_object *o = tok ? json_tokener_parse_ex(tok, line, (int)len) : NULL;
	json_object *v;
	bool ok = false;
	if (o && json_object_is_type(o, json_type_object)) {
		*seq = json_object_object_get_ex(o, "seq", &v) &&
				       json_object_is_type(v, json_type_int)
			       ? (uint64_t)json_object_get_int64(v)
			       : 0;
		*t = json_object_object_get_ex(o, "time", &v)
			     ? events_parse_time(json_object_get_string(v))
			     : -1;
		ok = *seq > 0 || *t >= 0;
	}
	json_object_put(o);
	if (tok)
		json_tokener_free(tok);
	return ok;
}

#define SCAN_TAIL 65536 /* event lines are far shorter: the last one is in here */
#define SCAN_HEAD 4096

int
events_file_scan(int fd, struct events_file_end *end)
{
	memset(end, 0, sizeof(*end));
	end->last_ms = -1;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		end->empty = true;
		return 0;
	}
	char *buf = malloc(SCAN_TAIL + 1);
	if (!buf)
		return -ENOMEM;
	/* the first line: the log's id */
	ssize_t n = pread(fd, buf, SCAN_HEAD, 0);
	if (n < 0) {
		int r = -errno;
		free(buf);
		return r;
	}
	char *nl = memchr(buf, '\n', (size_t)n);
	if (nl) {
		json_tokener *tok = json_tokener_new();
		json_object *o = tok ? json_tokener_parse_ex(tok, buf, (int)(nl - buf)) : NULL;
		json_object *ev, *log;
		if (o && json_object_object_get_ex(o, "event", &ev) &&
		    strcmp(json_object_get_string(ev), "log_open") == 0 &&
		    json_object_object_get_ex(o, "log", &log) &&
		    json_object_is_type(log, json_type_string) &&
		    json_object_get_string_len(log) < EVENTS_LOG_ID_SIZE) {
			const char *id = json_object_get_string(log);
			bool word =
				*id != '\0'; /* printable, no blanks: it goes in the state file */
			for (const char *c = id; *c; c++)
				word = word && (unsigned char)*c > ' ' && (unsigned char)*c < 0x7f;
			if (word)
				snprintf(end->log, sizeof(end->log), "%s", id);
		}
		json_object_put(o);
		if (tok)
			json_tokener_free(tok);
	}
	/* the last complete line that is an event */
	off_t from = st.st_size > SCAN_TAIL ? st.st_size - SCAN_TAIL : 0;
	n = pread(fd, buf, (size_t)(st.st_size - from), from);
	if (n < 0) {
		int r = -errno;
		free(buf);
		return r;
	}
	end->torn = n > 0 && buf[n - 1] != '\n';
	size_t stop = (size_t)n;
	while (stop > 0 && buf[stop - 1] != '\n') /* a torn line is no event */
		stop--;
	while (stop > 0) {
		size_t start = stop - 1; /* buf[stop - 1] is the line's '\n' */
		while (start > 0 && buf[start - 1] != '\n')
			start--;
		if (start == 0 && from > 0)
			break; /* the line began before what was read */
		uint64_t seq;
		int64_t t;
		if (scan_line(buf + start, stop - 1 - start, &seq, &t)) {
			end->last_seq = seq;
			end->last_ms = t;
			break;
		}
		stop = start;
	}
	free(buf);
	return 0;
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
	if (ev->have_t && t < ev->last_t)
		t = ev->last_t;
	ev->last_t = t;
	ev->have_t = true;

	char ts[32];
	events_format_time(t, ts);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "time", json_object_new_string(ts));
	json_object_object_add(o, "event", json_object_new_string(event));
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)(ev->seq + 1)));
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
		case 'M': { /* channel mask: bit c is channel c + 1 */
			unsigned mask = va_arg(ap, unsigned);
			v = json_object_new_array();
			for (unsigned c = 0; c < 32; c++)
				if (mask & (1u << c))
					json_object_array_add(v, json_object_new_int((int)c + 1));
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
		ev->seq++;
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
events_clip_start_channels(struct events *ev, int64_t t, const char *poi, const char *clip,
			   const char *lang, double lat, double lon, unsigned channels)
{
	events_emit(ev, t, "clip_start", "poi", 's', poi, "clip", 's', clip, "lang", 's', lang,
		    "lat", 'c', lat, "lon", 'c', lon, "channels", 'M', channels, NULL);
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
