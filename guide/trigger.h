/* The trigger engine: where is the cart relative to the tour's stops?
 *
 * Three layers, each usable alone, each in a file of its own:
 *
 * 1. trigger_index (trigger_index.c): circle and polygon zones in a local
 *    metric projection (geo_proj) behind a uniform grid (CSR cell lists over
 *    the zones' bounding boxes), so a point query costs the same with 10 or
 *    100,000 zones.
 * 2. trigger_zones (trigger_zones.c): hysteresis over an index. A zone is
 *    entered after enter_fixes consecutive fixes inside AND enter_dwell_ms
 *    inside; it is left after exit_fixes consecutive fixes further than
 *    exit_margin_m beyond its edge.  Fixes between the edge and the margin
 *    change nothing.
 * 3. struct trigger (trigger.c): one tour.  Gates fixes against its
 *    prediction (the rules and their reasons are stage 2 in
 *    guide/fix_filter.h), smooths them, projects them onto the tour path
 *    (route progress), dead-reckons through short losses and reports, per
 *    tour entry (tour->stops[i]), when its clip is due.
 *
 * Progress along the path: the estimate is located near the last progress
 * first.  Off the path, it rejoins ahead of the progress no farther than
 * the estimate has moved since the progress last advanced (plus the search
 * window): on a closed loop the end runs beside the start, and a cart back
 * from an excursion near the start is not at the end (with every stop
 * between missed).  An entry is missed only when the progress passes its
 * exit.  When the gate (fix_filter.h, stage 2) gives up its prediction and
 * restarts at a fix (a receiver restart), the engine re-anchors: it finds
 * the fix on the path near the progress, else behind it (the prediction had
 * run ahead of a cart that stopped), ahead no farther than max_speed since
 * the last accepted fix, and the progress goes back there.  A loss
 * (gps_lost, dead reckoning) is lost_ms without a fix, or 2.5 times the
 * receiver's usual interval (the median of its last 9) when longer: a fix
 * every 1-5 s is a sparse receiver's rhythm, not a loss.
 *
 * Where "the stop" is along the path (its anchor, stop_along): the first
 * along-distance, at or after the previous entry's anchor, where the path
 * enters the stop's geofence while heading inside the stop's heading window
 * (any heading when the stop has none).  When the path never enters the
 * fence, the anchor is the path's closest approach to the fence centre.
 * The entry's exit (exit_along) is where the path leaves the fence after the
 * anchor (anchor + 2 r for the closest-approach case).
 *
 * When is a clip due (lead by speed): the cart's progress p along the path,
 * its speed v (Doppler from the fix when present) and
 *     lead = max(lead_m, lead_s * v)           ("whichever is earlier")
 * make entry i due when p >= stop_along - lead_eff, where
 *     lead_eff = lead + fit,  fit = min(max_early_m, shortfall)
 * and shortfall is how much the entry's whole language sequence
 * (duration_ms, set with trigger_set_duration) at speed v would overrun the
 * next entry's start point; lead_eff never reaches back before the previous
 * entry's exit.  Off the path (or with no path) an entry is due when its
 * zone is entered (hysteresis) while the heading matches.
 *
 * Heading windows: off the path a stop with a heading window fires only
 * when the fix's course is within +/- tolerance and the speed is at least
 * min_heading_speed (slower, the course is not trusted and nothing fires).
 * On the path the window chooses which pass of the path is the anchor.
 *
 * No clock is read: every call takes now_ms.  Main thread only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guide/fix_filter.h"
#include "hal/gps.h"
#include "routes/geo.h"
#include "routes/route.h"

/* ---- 1. spatial index ------------------------------------------------- */

struct trigger_index;

struct trigger_hit {
	uint32_t zone;
	/* distance to the zone's edge: > 0 outside; <= 0 inside (for circles
	 * the depth inside, for polygons 0) */
	double dist_m;
};

/* max_margin_m: the largest margin later queries will ask for. */
struct trigger_index *trigger_index_create(double max_margin_m);
void trigger_index_destroy(struct trigger_index *ix);
/* Add a zone; returns its id (0, 1, 2, ... in order) or -ENOMEM/-EINVAL. */
int trigger_index_add_circle(struct trigger_index *ix, struct geo_xy center, double radius_m);
/* The ring is copied; open ring (first vertex not repeated), n >= 3. */
int trigger_index_add_polygon(struct trigger_index *ix, const struct geo_xy *ring, size_t n);
/* A route fence projected with proj: its polygon (n_vertices >= 3), else
 * its circle. */
int trigger_index_add_fence(struct trigger_index *ix, const struct geo_proj *proj,
			    const struct route_fence *f);
/* Build the grid after the last add; 0 or -ENOMEM. Adding after build needs
 * another build. */
int trigger_index_build(struct trigger_index *ix);
/* How many zones were added. */
size_t trigger_index_count(const struct trigger_index *ix);
/* Zones within margin_m (<= max_margin_m) of p, i.e. inside or less than
 * margin_m beyond the edge. Writes up to max hits, returns how many there
 * are (may exceed max). */
size_t trigger_index_query(const struct trigger_index *ix, struct geo_xy p, double margin_m,
			   struct trigger_hit *out, size_t max);
/* Exact signed test of one zone (dist as in struct trigger_hit). */
bool trigger_index_zone_contains(const struct trigger_index *ix, uint32_t zone, struct geo_xy p,
				 double margin_m, double *dist_m);

/* ---- 2. hysteresis ---------------------------------------------------- */

struct trigger_hysteresis {
	unsigned enter_fixes;   /* consecutive fixes inside to enter (>= 1) */
	int64_t enter_dwell_ms; /* and at least this long inside */
	unsigned exit_fixes;    /* consecutive fixes beyond the margin to leave */
	double exit_margin_m;   /* how far beyond the edge counts as outside */
};

struct trigger_zone_event {
	uint32_t zone;
	bool enter; /* false: exit */
};

struct trigger_zones;

/* The index is borrowed and must outlive the zones; it must be built. */
struct trigger_zones *trigger_zones_create(const struct trigger_index *ix,
					   const struct trigger_hysteresis *cfg);
void trigger_zones_destroy(struct trigger_zones *z);
/* Feed one good fix (the caller drops bad ones). Writes up to max
 * transitions to out and returns how many happened. */
size_t trigger_zones_update(struct trigger_zones *z, struct geo_xy p, int64_t now_ms,
			    struct trigger_zone_event *out, size_t max);
bool trigger_zones_inside(const struct trigger_zones *z, uint32_t zone);

/* ---- 3. the tour engine ----------------------------------------------- */

enum trigger_event_kind {
	TRIGGER_ZONE_ENTER,   /* stop: route stop index */
	TRIGGER_ZONE_EXIT,    /* stop */
	TRIGGER_DUE,          /* entry: its clip should start now */
	TRIGGER_PASSED,       /* entry: passed without becoming due (missed) */
	TRIGGER_FIX_ACCEPTED, /* lat, lon: a fix used (for gps_fix) */
	TRIGGER_FIX_REJECTED, /* lat, lon, reason (a stage 2 reason of fix_filter.h) */
	TRIGGER_GPS_LOST,
	TRIGGER_OFF_PATH, /* value: cross-track metres */
	TRIGGER_ON_PATH,  /* value: along metres */
};

struct trigger_event {
	enum trigger_event_kind kind;
	unsigned entry;  /* index into tour->stops (DUE, PASSED) */
	unsigned stop;   /* index into route->stops */
	double lat, lon; /* fixes */
	double value;
	/* FIX_REJECTED: FIX_FILTER_TRIGGER_ACCURACY or FIX_FILTER_TRIGGER_JUMP */
	enum fix_filter_reason reason;
};

typedef void (*trigger_event_fn)(void *ctx, const struct trigger_event *ev);

struct trigger_config {
	struct trigger_hysteresis hyst;
	struct fix_filter_gate_config gate; /* which fixes are rejected (fix_filter.h) */
	double smooth_tau_s;                /* position smoothing time constant */
	double still_speed;                 /* m/s: below, the cart is parked; position held */
	double min_heading_speed;           /* m/s: below, the course is not trusted */
	double off_path_m;                  /* cross-track beyond this is off the path */
	unsigned off_path_fixes;            /* consecutive fixes to declare off / back on */
	double path_window_m;               /* search this far around the last progress first */
	int64_t lost_ms;                    /* no fix this long: gps_lost */
	int64_t dead_reckon_ms;             /* advance along the path at the last speed this long */
	double max_early_m;                 /* most a clip may start early to fit its languages */
	unsigned lookahead;                 /* entries considered ahead of the next pending */
	double max_speed; /* m/s: the farthest a cart gets between fixes, for re-anchoring */
};

void trigger_config_defaults(struct trigger_config *cfg);

struct trigger;

/* Builds the engine for route->tours[tour_index]; the route is borrowed and
 * must outlive it. NULL on allocation failure or a bad index. */
struct trigger *trigger_create(const struct route *r, unsigned tour_index,
			       const struct trigger_config *cfg, trigger_event_fn fn, void *ctx);
void trigger_destroy(struct trigger *t);

/* A fix arrives (now_ms = its clock); events go to the callback. */
void trigger_on_fix(struct trigger *t, const struct hal_fix *fix, int64_t now_ms);
/* Time passes without a fix (call at least every second): loss detection,
 * dead reckoning, due checks. */
void trigger_tick(struct trigger *t, int64_t now_ms);

/* Total length (ms) of the entry's clip sequence in the tour's languages. */
void trigger_set_duration(struct trigger *t, unsigned entry, int64_t total_ms);
/* Consume entries before `entry` (driver skip): they will not be reported. */
void trigger_advance_to(struct trigger *t, unsigned entry);
/* First entry not yet reported due or passed (n_stops when none). */
unsigned trigger_next_entry(const struct trigger *t);
/* The cart has left the entry's stop (beyond its exit on the path, or its
 * zone left after being entered). */
bool trigger_entry_left(const struct trigger *t, unsigned entry);
/* The cart is inside route stop `stop`'s geofence (the zone layer's
 * hysteresis: between its zone_enter and zone_exit); false for a stop not
 * in the tour. */
bool trigger_stop_inside(const struct trigger *t, unsigned stop);
/* Where the entry sits along the path (the anchor and exit, metres). */
bool trigger_entry_span(const struct trigger *t, unsigned entry, double *stop_along,
			double *exit_along);

struct trigger_state {
	bool have_position;
	bool on_path;
	bool lost;
	double lat, lon;   /* estimated position (smoothed or dead-reckoned) */
	double progress_m; /* along the path, monotonic-ish */
	double cross_m;    /* signed cross-track of the estimate */
	double speed;      /* m/s */
	double heading;    /* degrees true; NaN when not trusted */
	double path_len_m;
};
void trigger_get_state(const struct trigger *t, struct trigger_state *out);
