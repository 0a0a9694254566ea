/* Reading an event log (DESIGN.md "Event log contract": JSON Lines, one
 * object a line) for the curator's map and report.  guide/events.h writes
 * it; this side only reads, and never prints.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct event_log_counts {
	size_t lines;     /* lines that are not empty */
	size_t bad_lines; /* of those, lines that are not a JSON object (skipped) */
};

/* Called with each line that is a JSON object; the object is freed after
 * the call.  A negative return stops the reading. */
typedef int (*event_log_fn)(void *ctx, json_object *event);

/* Reads f to its end (a read error ends it too), calling fn for each event.
 * Returns 0 or fn's negative return; counts may be NULL. */
int event_log_read(FILE *f, event_log_fn fn, void *ctx, struct event_log_counts *counts);

/* A string member; NULL when absent or not a string. */
const char *event_log_str(json_object *event, const char *key);
/* A number member into *out; false (and *out untouched) when absent or not
 * a number. */
bool event_log_num(json_object *event, const char *key, double *out);
/* A member as a truth value (json-c's): 1 or 0; -1 when absent. */
int event_log_bool(json_object *event, const char *key);
/* "YYYY-MM-DDTHH:MM:SS[.mmm...]" (UTC) in milliseconds; 0 when unreadable. */
int64_t event_log_time_ms(const char *iso);
