/* The curator's map: a route's geofences and tour path, a drive, and the
 * stretch of road over which each clip played, as a standalone SVG. */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "routes/route.h"

struct render_point {
	int64_t time_ms; /* UTC ms, 0 if unknown */
	double lat, lon;
};

/* One clip as it played: from the event log's clip_start / clip_end. */
struct render_clip {
	char poi[64];
	char clip[128];
	char lang[16];
	int64_t start_ms, end_ms; /* end_ms = 0: still playing at the end of the log */
	double start_lat, start_lon;
	int completed; /* 1 completed, 0 cut, -1 unknown */
};

struct render_input {
	const struct route *route;
	const char *tour_id; /* NULL: every tour */
	const struct render_point *track;
	size_t n_track;
	const struct render_clip *clips;
	size_t n_clips;
	int width_px; /* default 1200 */
};

/* Reads clip_start/clip_end pairs from a JSON Lines event log.  Lines that
 * are not JSON objects are skipped and counted in *bad_lines.  Returns 0 or
 * a negative errno; *out is malloc'd. */
int render_read_events(FILE *f, struct render_clip **out, size_t *n, size_t *bad_lines);

/* Writes the SVG; returns 0 or a negative errno. */
int render_svg(const struct render_input *in, FILE *out);
