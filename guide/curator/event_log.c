#define _GNU_SOURCE
#include "guide/curator/event_log.h"

#include <stdlib.h>
#include <time.h>

int
event_log_read(FILE *f, event_log_fn fn, void *ctx, struct event_log_counts *counts)
{
	struct event_log_counts c = {0};
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int r = 0;

	while ((len = getline(&line, &cap, f)) >= 0) {
		if (len <= 1)
			continue;
		c.lines++;
		json_object *o = json_tokener_parse(line);
		if (!o || !json_object_is_type(o, json_type_object)) {
			c.bad_lines++;
			json_object_put(o);
			continue;
		}
		r = fn(ctx, o);
		json_object_put(o);
		if (r < 0)
			break;
	}
	free(line);
	if (counts)
		*counts = c;
	return r;
}

const char *
event_log_str(json_object *event, const char *key)
{
	json_object *v;
	if (!json_object_object_get_ex(event, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

bool
event_log_num(json_object *event, const char *key, double *out)
{
	json_object *v;
	if (!json_object_object_get_ex(event, key, &v) ||
	    !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		return false;
	*out = json_object_get_double(v);
	return true;
}

int
event_log_bool(json_object *event, const char *key)
{
	json_object *v;
	if (!json_object_object_get_ex(event, key, &v))
		return -1;
	return json_object_get_boolean(v) ? 1 : 0;
}

int64_t
event_log_time_ms(const char *iso)
{
	struct tm tm = {0};
	int ms = 0;
	const char *p = strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return 0;
	if (*p == '.') {
		int digits = 0;
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (digits < 3) {
				ms = ms * 10 + (*p - '0');
				digits++;
			}
		}
		while (digits++ < 3)
			ms *= 10;
	}
	return (int64_t)timegm(&tm) * 1000 + ms;
}
