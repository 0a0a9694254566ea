/* `guide-route report`: what a drive or a day of logs says about each stop,
 * for a curator deciding whether to move a geofence. */
#pragma once

#include <stdio.h>

#include "routes/route.h"

/* Reads a JSON Lines event log from `in` and writes the per-stop table to
 * `out`.  With a route, start distances and nearby fix rejections are
 * measured against each stop's geofence.  Returns 0 or a negative errno. */
int report_write(FILE *in, const struct route *route, FILE *out);

/* What the log held. */
struct report_result {
	size_t lines;     /* lines that are not empty */
	size_t bad_lines; /* of those, not a JSON object */
	size_t events;    /* objects with an "event" */
};

/* report_write(), and what the log held into *result (may be NULL).
 * -EBADMSG when no line is an event (not an event log; nothing written). */
int report_write_result(FILE *in, const struct route *route, FILE *out,
			struct report_result *result);
