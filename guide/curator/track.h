/* Synthetic drives along a tour path (`guide-route track`, the trigger
 * engine's tests and benchmarks): a speed profile with halts, white noise,
 * a slowly drifting bias, multipath jumps, dropouts and a parked cart
 * drifting for minutes; seeded with its own PRNG (xoshiro256**), so a seed
 * always gives the same drive.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hal/gps.h"
#include "routes/route.h"

struct track_options {
	double speed_kmh;    /* cruising speed; <= 0: the tour's, else 12 */
	double hz;           /* fixes per second (1 or 10) */
	double noise_m;      /* white noise sigma per axis, metres */
	double bias_m;       /* drifting bias sigma (Gauss-Markov), metres */
	double bias_tau_s;   /* its correlation time */
	double jump_per_min; /* multipath jumps per minute of driving */
	double jump_min_m, jump_max_m;
	double jump_min_s, jump_max_s;
	double dropout_per_min;
	double dropout_min_s, dropout_max_s;
	double halt_s;       /* halt this long at each stop's closest approach */
	double accel;        /* m/s^2, accelerating and braking */
	double park_start_s; /* parked before leaving */
	double park_end_s;   /* parked at the end of the path */
	double park_drift_m; /* how far a parked position wanders */
	bool reverse;        /* drive the tour's path the wrong way round */
	/* an excursion off the path and back (a rider's errand, a blocked lane):
	 * at detour_at_m along the path the cart leaves it at detour_deg to its
	 * heading (90: to the right), drives detour_m straight out, turns and
	 * comes back to the same point; detour_m <= 0: none */
	double detour_at_m, detour_m, detour_deg;
	/* > 1/hz: sparse fixes, each 1/hz to fix_gap_max_s after the last (a
	 * receiver that reports every few seconds); the samples between are
	 * left out of the drive, not dropouts */
	double fix_gap_max_s;
	uint64_t seed;
	int64_t start_ms; /* UTC of the first fix */
};

void track_options_defaults(struct track_options *o);

struct track_sample {
	int64_t t_ms;
	struct hal_fix fix; /* what the receiver reports (mode NONE in a dropout) */
	bool dropped;
	bool jumping; /* inside a multipath jump */
	bool parked;
	bool detour; /* off the path on the excursion */
	double true_lat, true_lon;
	double true_along; /* metres along the tour path */
	double true_speed; /* m/s */
};

/* Generates the drive for route->tours[tour_index]; *out is malloc'ed
 * (free with free()). 0, -EINVAL (no path) or -ENOMEM. */
int track_generate(const struct route *r, unsigned tour_index, const struct track_options *o,
		   struct track_sample **out, size_t *n);

/* RMC then GGA for a fix (valid checksums; status V / quality 0 without a
 * position). Returns the length written (truncated to size). */
size_t track_format_nmea(const struct hal_fix *fix, char *buf, size_t size);

/* The whole drive as NMEA text to f. */
int track_write_nmea(const struct track_sample *s, size_t n, FILE *f);

/* The drive as GPX 1.1 (trkpt with ele, time, hdop; speed and course in
 * <extensions>); dropouts are left out. */
int track_write_gpx(const struct track_sample *s, size_t n, const char *name, FILE *f);

/* A small synthetic route (a 4.8 km loop with an out-and-back lane, nine
 * stops: circles, polygons, heading windows, a priority stop) in Beijing's
 * 798 area, for tests, benchmarks and `guide-route track --synthetic`.  An
 * ordinary struct route: free it with route_destroy(). */
struct route *track_synthetic_route(void);
