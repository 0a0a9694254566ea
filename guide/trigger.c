/* The trigger engine's third layer: one tour's path engine (see trigger.h).
 * The spatial index is in trigger_index.c, the hysteresis in
 * trigger_zones.c, the rules that reject fixes in fix_filter.c. */
#include "guide/trigger.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEG (M_PI / 180.0)
#define RHYTHM_N 9

enum entry_state {
	ENTRY_PENDING,
	ENTRY_DUE,
	ENTRY_PASSED,
};

struct entry {
	unsigned stop; /* route stop index */
	uint32_t zone; /* zone id in t->ix */
	double stop_along, exit_along;
	int64_t duration_ms;
	enum entry_state state;
	bool zone_left; /* zone exited after becoming due */
};

struct trigger {
	const struct route *route;
	const struct route_tour *tour;
	struct trigger_config cfg;
	trigger_event_fn fn;
	void *ctx;

	struct geo_proj proj;
	struct geo_xy *path;
	double *cum;
	size_t n_path;
	double path_len;

	struct trigger_index *ix;
	struct trigger_zones *zones;
	uint32_t *zone_stop; /* zone id -> route stop index */
	struct entry *entries;
	unsigned n_entries;
	unsigned next;

	/* estimate */
	bool have;
	struct geo_xy pos, vel;
	bool heading_ok;
	double heading;
	int64_t last_fix_ms;  /* last accepted fix */
	int64_t last_seen_ms; /* last fix with a position, accepted or not */
	/* the receiver's rhythm: the last intervals between fixes */
	int64_t intervals[RHYTHM_N];
	unsigned n_intervals;
	int64_t last_step_ms;        /* last time the estimate was advanced */
	struct fix_filter_gate gate; /* stage 2 of the fix rules */
	bool lost;
	bool on_path;
	unsigned off_count, on_count;
	double along, cross, progress;
	/* how far the estimate has moved since the progress last advanced: the
	 * most the cart can have gone along the path meanwhile */
	double odo_m;
	struct geo_xy odo_pos;
};

void
trigger_config_defaults(struct trigger_config *cfg)
{
	*cfg = (struct trigger_config){
		.hyst = {.enter_fixes = 2,
			 .enter_dwell_ms = 1000,
			 .exit_fixes = 2,
			 .exit_margin_m = 10},
		.smooth_tau_s = 1.0,
		.still_speed = 0.4,
		.min_heading_speed = 1.0,
		.off_path_m = 35,
		.off_path_fixes = 3,
		.path_window_m = 60,
		.lost_ms = 3000,
		.dead_reckon_ms = 15000,
		.max_early_m = 100,
		.lookahead = 3,
		.max_speed = 15,
	};
	fix_filter_gate_config_default(&cfg->gate);
}

static void
emit(struct trigger *t, const struct trigger_event *ev)
{
	if (t->fn)
		t->fn(t->ctx, ev);
}

/* The velocity of a course in degrees at speed v. */
static struct geo_xy
velocity(double v, double course)
{
	return (struct geo_xy){v * sin(course * DEG), v * cos(course * DEG)};
}

/* The first segment i (0 .. n_path - 2) with cum[i + 1] >= along: where
 * geo_polyline_point's walk from the start would stop, by bisection (a
 * city-wide path has tens of thousands of points). */
static size_t
path_segment(const struct trigger *t, double along)
{
	size_t lo = 0, hi = t->n_path - 2;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->cum[mid + 1] >= along)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* geo_polyline_point on the tour's path (n_path >= 2), the same answer. */
static struct geo_xy
path_point(const struct trigger *t, double along, double *heading_deg)
{
	size_t i = along > 0 && along < t->path_len ? path_segment(t, along) : 0;
	return geo_polyline_point(t->path + i, t->cum + i, t->n_path - i, along, heading_deg);
}

static bool
heading_in_window(const struct route_heading *h, double deg)
{
	return !h->set || geo_heading_diff(deg, h->deg) <= h->tolerance_deg;
}

/* Anchor an entry on the path, searching from `from` (see trigger.h). */
static void
anchor_entry(struct trigger *t, struct entry *e, double from)
{
	const struct route_stop *s = &t->route->stops[e->stop];
	const double step = 1.0;
	double len = t->path_len;
	bool prev_in = false;
	e->stop_along = NAN;
	e->exit_along = NAN;
	if (t->n_path >= 2) {
		for (double a = from; a <= len + step / 2; a += step) {
			double aa = fmin(a, len), hd;
			struct geo_xy p = path_point(t, aa, &hd);
			bool in = trigger_index_zone_contains(t->ix, e->zone, p, 0, NULL) &&
				  heading_in_window(&s->heading, hd);
			if (in && !prev_in && isnan(e->stop_along)) {
				/* refine the crossing by bisection */
				double lo = fmax(from, aa - step), hi = aa;
				if (aa > from) {
					for (int k = 0; k < 20; k++) {
						double mid = (lo + hi) / 2;
						struct geo_xy q = path_point(t, mid, &hd);
						if (trigger_index_zone_contains(t->ix, e->zone, q,
										0, NULL) &&
						    heading_in_window(&s->heading, hd))
							hi = mid;
						else
							lo = mid;
					}
				}
				e->stop_along = hi;
			} else if (!in && prev_in && !isnan(e->stop_along)) {
				e->exit_along = aa;
				break;
			}
			prev_in = in;
		}
		if (!isnan(e->stop_along) && isnan(e->exit_along))
			e->exit_along = len;
	}
	if (isnan(e->stop_along)) {
		/* closest approach to the centre, at or after `from` */
		struct geo_xy c = geo_project(&t->proj, s->fence.center.lat, s->fence.center.lon);
		double best = INFINITY, best_a = from;
		for (double a = from; t->n_path >= 2 && a <= len; a += step) {
			double hd;
			struct geo_xy p = path_point(t, a, &hd);
			double d = hypot(p.x - c.x, p.y - c.y);
			if (d < best && heading_in_window(&s->heading, hd)) {
				best = d;
				best_a = a;
			}
		}
		e->stop_along = best_a;
		e->exit_along = fmin(len, best_a + 2 * fmax(s->fence.radius_m, 10));
	}
}

/* The projection (origin: the path's first point, else the first stop) and
 * the path in it. */
static int
project_path(struct trigger *t)
{
	const struct route_tour *tour = t->tour;
	double lat0 = 0, lon0 = 0;
	if (tour->n_path) {
		lat0 = tour->path[0].lat;
		lon0 = tour->path[0].lon;
	} else if (tour->n_stops && tour->stops[0] < t->route->n_stops) {
		lat0 = t->route->stops[tour->stops[0]].fence.center.lat;
		lon0 = t->route->stops[tour->stops[0]].fence.center.lon;
	}
	geo_proj_init(&t->proj, lat0, lon0);
	t->n_path = tour->n_path;
	if (!t->n_path)
		return 0;
	t->path = calloc(t->n_path, sizeof(*t->path));
	t->cum = calloc(t->n_path, sizeof(*t->cum));
	if (!t->path || !t->cum)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_path; i++)
		t->path[i] = geo_project(&t->proj, tour->path[i].lat, tour->path[i].lon);
	geo_polyline_lengths(t->path, t->n_path, t->cum);
	t->path_len = t->cum[t->n_path - 1];
	return 0;
}

/* The tour's entries, one zone per distinct stop, the index built. */
static int
add_entries(struct trigger *t)
{
	const struct route_tour *tour = t->tour;
	t->ix = trigger_index_create(t->cfg.hyst.exit_margin_m);
	t->n_entries = tour->n_stops;
	t->entries = calloc(t->n_entries ? t->n_entries : 1, sizeof(*t->entries));
	t->zone_stop = calloc(t->n_entries ? t->n_entries : 1, sizeof(*t->zone_stop));
	if (!t->ix || !t->entries || !t->zone_stop)
		return -ENOMEM;
	/* zone_of[stop] + 1: the zone of a stop the tour visits again */
	uint32_t *zone_of = calloc(t->route->n_stops ? t->route->n_stops : 1, sizeof(*zone_of));
	if (!zone_of)
		return -ENOMEM;
	for (unsigned i = 0; i < t->n_entries; i++) {
		unsigned si = tour->stops[i];
		if (si >= t->route->n_stops) {
			free(zone_of);
			return -EINVAL;
		}
		struct entry *e = &t->entries[i];
		e->stop = si;
		if (zone_of[si]) {
			e->zone = zone_of[si] - 1;
			continue;
		}
		int id = trigger_index_add_fence(t->ix, &t->proj, &t->route->stops[si].fence);
		if (id < 0) {
			free(zone_of);
			return id;
		}
		e->zone = (uint32_t)id;
		zone_of[si] = (uint32_t)id + 1;
		t->zone_stop[id] = si;
	}
	free(zone_of);
	return trigger_index_build(t->ix);
}

struct trigger *
trigger_create(const struct route *r, unsigned tour_index, const struct trigger_config *cfg,
	       trigger_event_fn fn, void *ctx)
{
	if (!r || tour_index >= r->n_tours)
		return NULL;
	struct trigger *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->route = r;
	t->tour = &r->tours[tour_index];
	if (cfg)
		t->cfg = *cfg;
	else
		trigger_config_defaults(&t->cfg);
	t->fn = fn;
	t->ctx = ctx;
	if (project_path(t) < 0 || add_entries(t) < 0)
		goto fail;
	t->zones = trigger_zones_create(t->ix, &t->cfg.hyst);
	if (!t->zones)
		goto fail;
	double from = 0;
	for (unsigned i = 0; i < t->n_entries; i++) {
		anchor_entry(t, &t->entries[i], from);
		from = t->entries[i].stop_along;
	}
	t->heading = NAN;
	fix_filter_gate_init(&t->gate, &t->cfg.gate);
	return t;
fail:
	trigger_destroy(t);
	return NULL;
}

void
trigger_destroy(struct trigger *t)
{
	if (!t)
		return;
	trigger_zones_destroy(t->zones);
	trigger_index_destroy(t->ix);
	free(t->zone_stop);
	free(t->entries);
	free(t->path);
	free(t->cum);
	free(t);
}

/* Locate p on the path between along lo and hi; returns along, sets cross. */
static double
locate_window(const struct trigger *t, struct geo_xy p, double lo, double hi, double *cross)
{
	size_t a = lo > t->path_len ? t->n_path - 1 : path_segment(t, lo), b;
	b = a;
	while (b + 1 < t->n_path && t->cum[b] < hi)
		b++;
	size_t n = b - a + 1;
	if (n < 2) {
		if (a > 0)
			a--;
		else if (b + 1 < t->n_path)
			b++;
		n = b - a + 1;
	}
	double c;
	double along = geo_polyline_locate(t->path + a, t->cum + a, n, p, &c, NULL);
	/* geo_polyline_locate measures from pts[0] with cum[0] = cum[a]: already absolute */
	*cross = c;
	return along;
}

static void
set_on_path(struct trigger *t, bool on, int64_t now)
{
	if (on == t->on_path)
		return;
	t->on_path = on;
	struct trigger_event ev = {.kind = on ? TRIGGER_ON_PATH : TRIGGER_OFF_PATH,
				   .value = on ? t->progress : t->cross};
	(void)now;
	emit(t, &ev);
}

/* Is the cart going the path's way at along (any way when its heading is
 * not trusted)? */
static bool
same_way(const struct trigger *t, double along)
{
	double path_hd = 0;
	path_point(t, along, &path_hd);
	return !t->heading_ok || geo_heading_diff(path_hd, t->heading) <= 90;
}

/* The progress only moves forward; the odometer counts from there. */
static void
advance_progress(struct trigger *t, double along)
{
	if (along > t->progress) {
		t->progress = along;
		t->odo_m = 0;
	}
}

/* Project the estimate onto the path, searching near the last progress
 * first so that a path passing near itself does not pull us backwards. */
static void
update_progress(struct trigger *t, int64_t now, double step_m)
{
	if (t->n_path < 2)
		return;
	t->odo_m += hypot(t->pos.x - t->odo_pos.x, t->pos.y - t->odo_pos.y);
	t->odo_pos = t->pos;
	double lo = t->progress - t->cfg.path_window_m;
	double hi = t->progress + t->cfg.path_window_m + step_m;
	double cross, along = locate_window(t, t->pos, lo, hi, &cross);
	bool near = fabs(cross) <= t->cfg.off_path_m;
	if (!near) {
		/* rejoin ahead (or a little behind) of the progress, but no
		 * farther ahead than the cart has moved since the progress last
		 * advanced: a closed loop's end lies beside its start, and a cart
		 * back from an excursion near the start must not be taken to be
		 * at the end, with every stop between missed */
		double reach = fmin(t->path_len + 1,
				    t->progress + t->cfg.path_window_m + t->odo_m + step_m);
		double c2, a2 = locate_window(t, t->pos, t->progress - 2 * t->cfg.path_window_m,
					      reach, &c2);
		/* ... but only going the path's way: a cart driving a loop the
		 * wrong way round is near the path's far end at once, and
		 * must not be taken to have skipped the whole tour */
		if (fabs(c2) <= t->cfg.off_path_m && same_way(t, a2) && a2 <= reach) {
			along = a2;
			cross = c2;
			near = true;
		}
	}
	t->along = along;
	t->cross = cross;
	if (near) {
		t->off_count = 0;
		if (!t->on_path) {
			if (++t->on_count >= t->cfg.off_path_fixes) {
				advance_progress(t, along);
				set_on_path(t, true, now);
			}
		} else {
			advance_progress(t, along);
		}
	} else {
		t->on_count = 0;
		if (t->on_path && ++t->off_count >= t->cfg.off_path_fixes)
			set_on_path(t, false, now);
	}
}

/* The gate gave up its prediction and restarted the estimate at a fix far
 * from it (a receiver restart, a long loss): find the cart on the path
 * again, near the progress first, then behind it (the prediction had run
 * ahead of a cart that stopped), ahead no farther than a cart gets at
 * max_speed since the last accepted fix.  The progress may go back; the
 * jump itself does not count as distance driven.  False when the fix is
 * not on the path. */
static bool
reanchor(struct trigger *t, int64_t now, double off, int64_t since_ms)
{
	if (t->n_path < 2)
		return false;
	t->odo_pos = t->pos;
	t->odo_m += fmin(off, t->cfg.max_speed * (double)since_ms / 1000.0);
	double w = t->cfg.path_window_m;
	double reach = fmin(t->path_len + 1, t->progress + w + t->odo_m);
	const double from[2][2] = {{t->progress - w, reach}, {0, fmax(0, t->progress - w)}};
	for (int k = 0; k < 2; k++) {
		double cross, along = locate_window(t, t->pos, from[k][0], from[k][1], &cross);
		if (!(fabs(cross) <= t->cfg.off_path_m) || along > reach || !same_way(t, along))
			continue;
		t->along = along;
		t->cross = cross;
		t->progress = along;
		t->odo_m = 0;
		t->off_count = t->on_count = 0;
		set_on_path(t, true, now);
		return true;
	}
	return false;
}

static double
speed_of(const struct trigger *t)
{
	return hypot(t->vel.x, t->vel.y);
}

static double
entry_lead(const struct trigger *t, unsigned i, double v)
{
	const struct route_stop *s = &t->route->stops[t->entries[i].stop];
	double lead = fmax(s->lead_m > 0 ? s->lead_m : 0, s->lead_s > 0 ? s->lead_s * v : 0);
	const struct entry *e = &t->entries[i];
	if (i + 1 < t->n_entries && e->duration_ms > 0 && v > 0) {
		const struct entry *n = &t->entries[i + 1];
		const struct route_stop *ns = &t->route->stops[n->stop];
		double nlead =
			fmax(ns->lead_m > 0 ? ns->lead_m : 0, ns->lead_s > 0 ? ns->lead_s * v : 0);
		double next_start = n->stop_along - nlead;
		double need = (double)e->duration_ms / 1000.0 * v;
		double shortfall = need - (next_start - (e->stop_along - lead));
		if (shortfall > 0)
			lead += fmin(shortfall, t->cfg.max_early_m);
	}
	double floor_along = i > 0 ? t->entries[i - 1].exit_along : 0;
	if (e->stop_along - lead < floor_along)
		lead = fmax(0, e->stop_along - floor_along);
	return lead;
}

static void
mark(struct trigger *t, unsigned i, enum entry_state st)
{
	struct entry *e = &t->entries[i];
	e->state = st;
	struct trigger_event ev = {.kind = st == ENTRY_DUE ? TRIGGER_DUE : TRIGGER_PASSED,
				   .entry = i,
				   .stop = e->stop};
	emit(t, &ev);
}

static void
advance_next(struct trigger *t)
{
	while (t->next < t->n_entries && t->entries[t->next].state != ENTRY_PENDING)
		t->next++;
}

static void
fire(struct trigger *t, unsigned i)
{
	for (unsigned j = t->next; j < i; j++)
		if (t->entries[j].state == ENTRY_PENDING)
			mark(t, j, ENTRY_PASSED);
	mark(t, i, ENTRY_DUE);
	advance_next(t);
}

static void
check_due(struct trigger *t)
{
	if (!t->have)
		return;
	double v = speed_of(t);
	unsigned end = t->next + t->cfg.lookahead;
	if (end > t->n_entries)
		end = t->n_entries;
	if (t->on_path && t->n_path >= 2) {
		bool again = true;
		while (again) {
			again = false;
			end = t->next + t->cfg.lookahead;
			if (end > t->n_entries)
				end = t->n_entries;
			for (unsigned i = t->next; i < end; i++) {
				struct entry *e = &t->entries[i];
				if (e->state != ENTRY_PENDING ||
				    t->progress > e->exit_along + t->cfg.hyst.exit_margin_m)
					continue;
				if (t->progress >= e->stop_along - entry_lead(t, i, v)) {
					fire(t, i);
					again = true;
					break;
				}
			}
		}
		/* entries whose exit lies behind the progress were missed */
		while (t->next < t->n_entries &&
		       t->progress > t->entries[t->next].exit_along + t->cfg.hyst.exit_margin_m) {
			mark(t, t->next, ENTRY_PASSED);
			advance_next(t);
		}
		return;
	}
	/* off the path: zones and heading */
	for (unsigned i = t->next; i < end; i++) {
		struct entry *e = &t->entries[i];
		if (e->state != ENTRY_PENDING || !trigger_zones_inside(t->zones, e->zone))
			continue;
		const struct route_stop *s = &t->route->stops[e->stop];
		if (s->heading.set &&
		    !(t->heading_ok && heading_in_window(&s->heading, t->heading)))
			continue;
		fire(t, i);
		break;
	}
}

static void
dead_reckon(struct trigger *t, int64_t now)
{
	if (!t->have || now <= t->last_step_ms)
		return;
	double dt = (double)(now - t->last_step_ms) / 1000.0;
	int64_t since = now - t->last_fix_ms;
	if (since > t->cfg.dead_reckon_ms)
		dt -= (double)(since - t->cfg.dead_reckon_ms) / 1000.0;
	t->last_step_ms = now;
	if (dt <= 0 || !t->on_path || t->n_path < 2)
		return;
	double v = speed_of(t);
	t->progress = fmin(t->path_len, t->progress + v * dt);
	double hd;
	t->pos = path_point(t, t->progress, &hd);
	t->odo_pos = t->pos;
	t->odo_m = 0;
	t->along = t->progress;
	t->cross = 0;
	t->vel = velocity(v, hd);
}

/* No fix for this long is a loss: lost_ms, or 2.5 times the receiver's
 * usual interval (the median of the last RHYTHM_N) when it reports more
 * rarely: a fix every 1-5 s is its rhythm, not a loss to dead-reckon
 * through; a 1 Hz receiver's dropouts do not move the median. */
static int64_t
lost_after(const struct trigger *t)
{
	if (t->n_intervals < RHYTHM_N)
		return t->cfg.lost_ms;
	int64_t v[RHYTHM_N];
	memcpy(v, t->intervals, sizeof(v));
	for (unsigned i = 1; i < RHYTHM_N; i++) /* insertion sort of 9 */
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			int64_t x = v[j];
			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	int64_t rhythm = v[RHYTHM_N / 2];
	return rhythm * 5 / 2 > t->cfg.lost_ms ? rhythm * 5 / 2 : t->cfg.lost_ms;
}

/* A fix with a position arrived: learn the receiver's rhythm. */
static void
seen(struct trigger *t, int64_t now)
{
	int64_t iv = now - t->last_seen_ms;
	if (t->have && iv > 0)
		t->intervals[t->n_intervals++ % RHYTHM_N] = iv;
	t->last_seen_ms = now;
}

void
trigger_tick(struct trigger *t, int64_t now_ms)
{
	if (!t->have)
		return;
	int64_t since = now_ms - t->last_seen_ms;
	int64_t lost_ms = lost_after(t);
	if (!t->lost && since >= lost_ms) {
		t->lost = true;
		struct trigger_event ev = {.kind = TRIGGER_GPS_LOST};
		emit(t, &ev);
	}
	if (now_ms - t->last_fix_ms >= lost_ms)
		dead_reckon(t, now_ms);
	check_due(t);
}

static void
reject(struct trigger *t, const struct hal_fix *fix, enum fix_filter_reason why)
{
	struct trigger_event ev = {
		.kind = TRIGGER_FIX_REJECTED, .lat = fix->lat, .lon = fix->lon, .reason = why};
	emit(t, &ev);
}

/* The first fix: the estimate starts there, on the path if it is near it. */
static void
start_estimate(struct trigger *t, const struct hal_fix *fix, struct geo_xy p, int64_t now)
{
	t->have = true;
	t->pos = p;
	t->vel = (struct geo_xy){0, 0};
	if ((fix->set & HAL_FIX_SPEED) && isfinite(fix->speed) && (fix->set & HAL_FIX_TRACK) &&
	    isfinite(fix->track))
		t->vel = velocity(fix->speed, fix->track);
	t->last_fix_ms = t->last_step_ms = now;
	t->progress = 0;
	t->odo_pos = p;
	t->odo_m = 0;
	if (t->n_path < 2)
		return;
	/* the tour starts at the path's beginning: look there first */
	double cross, along = locate_window(t, p, 0, 2 * t->cfg.path_window_m, &cross);
	if (fabs(cross) > t->cfg.off_path_m)
		along = locate_window(t, p, 0, t->path_len + 1, &cross);
	t->along = along;
	t->cross = cross;
	t->on_path = fabs(cross) <= t->cfg.off_path_m;
	if (t->on_path)
		t->progress = along;
}

/* Velocity and heading from the receiver's Doppler speed (and its course
 * when given); parked, the position is held against drift. */
static void
follow_doppler(struct trigger *t, const struct hal_fix *fix, struct geo_xy pred,
	       struct geo_xy innov, double alpha, bool reset)
{
	bool has_track = (fix->set & HAL_FIX_TRACK) && isfinite(fix->track);
	double sp = fix->speed < 0 ? 0 : fix->speed;
	if (has_track) {
		t->vel = velocity(sp, fix->track);
	} else {
		double v = speed_of(t);
		t->vel.x = v > 0 ? t->vel.x / v * sp : 0;
		t->vel.y = v > 0 ? t->vel.y / v * sp : 0;
	}
	if (sp < t->cfg.still_speed) {
		t->vel = (struct geo_xy){0, 0};
		if (!reset) {
			t->pos.x = pred.x + 0.02 * alpha * innov.x;
			t->pos.y = pred.y + 0.02 * alpha * innov.y;
		}
	}
	t->heading_ok = has_track && sp >= t->cfg.min_heading_speed;
	t->heading = t->heading_ok ? fix->track : NAN;
}

/* Without Doppler: velocity and heading from the innovation (alpha-beta). */
static void
follow_innovation(struct trigger *t, struct geo_xy innov, double alpha, double dt)
{
	double beta = alpha * alpha / (2.0 - alpha);
	t->vel.x += beta * innov.x / dt;
	t->vel.y += beta * innov.y / dt;
	double v = speed_of(t);
	t->heading_ok = v >= t->cfg.min_heading_speed;
	t->heading = t->heading_ok ? fmod(atan2(t->vel.x, t->vel.y) / DEG + 360.0, 360.0) : NAN;
}

/* An accepted fix at p, dt seconds after the last step, where the estimate
 * predicted pred: smooth towards it (reset: jump to it). */
static void
follow_fix(struct trigger *t, const struct hal_fix *fix, struct geo_xy p, struct geo_xy pred,
	   double dt, bool reset)
{
	struct geo_xy innov = {p.x - pred.x, p.y - pred.y};
	double alpha = dt > 0 ? 1.0 - exp(-dt / t->cfg.smooth_tau_s) : 0.5;
	if (reset) {
		t->pos = p;
	} else {
		t->pos.x = pred.x + alpha * innov.x;
		t->pos.y = pred.y + alpha * innov.y;
	}
	if ((fix->set & HAL_FIX_SPEED) && isfinite(fix->speed))
		follow_doppler(t, fix, pred, innov, alpha, reset);
	else if (dt > 0)
		follow_innovation(t, innov, alpha, dt);
}

/* The zone layer's transitions at the estimate, as events. */
static void
update_zones(struct trigger *t, int64_t now)
{
	struct trigger_zone_event zev[16];
	size_t nz = trigger_zones_update(t->zones, t->pos, now, zev, 16);
	for (size_t i = 0; i < nz && i < 16; i++) {
		uint32_t zone = zev[i].zone;
		struct trigger_event ev = {.kind = zev[i].enter ? TRIGGER_ZONE_ENTER
								: TRIGGER_ZONE_EXIT,
					   .stop = t->zone_stop[zone]};
		if (!zev[i].enter)
			for (unsigned k = 0; k < t->n_entries; k++)
				if (t->entries[k].zone == zone && t->entries[k].state == ENTRY_DUE)
					t->entries[k].zone_left = true;
		emit(t, &ev);
	}
}

static void
accepted(struct trigger *t, const struct hal_fix *fix, int64_t now)
{
	struct trigger_event ev = {.kind = TRIGGER_FIX_ACCEPTED, .lat = fix->lat, .lon = fix->lon};
	emit(t, &ev);
	update_zones(t, now);
	check_due(t);
}

void
trigger_on_fix(struct trigger *t, const struct hal_fix *fix, int64_t now_ms)
{
	if (!hal_fix_has_position(fix)) {
		trigger_tick(t, now_ms);
		return;
	}
	enum fix_filter_reason why = fix_filter_gate_accuracy(&t->gate, fix);
	if (why != FIX_FILTER_ACCEPT) {
		seen(t, now_ms);
		reject(t, fix, why);
		trigger_tick(t, now_ms);
		return;
	}
	struct geo_xy p = geo_project(&t->proj, fix->lat, fix->lon);
	bool was_lost = t->lost;
	t->lost = false;
	seen(t, now_ms);
	if (!t->have) {
		start_estimate(t, fix, p, now_ms);
		accepted(t, fix, now_ms);
		return;
	}

	double dt = (double)(now_ms - t->last_step_ms) / 1000.0;
	if (dt < 0)
		dt = 0;
	struct geo_xy pred = {t->pos.x + t->vel.x * dt, t->pos.y + t->vel.y * dt};
	double off = hypot(p.x - pred.x, p.y - pred.y);
	why = fix_filter_gate_push(&t->gate, off, speed_of(t),
				   was_lost ? now_ms - t->last_fix_ms : 0, now_ms);
	if (why == FIX_FILTER_TRIGGER_JUMP) {
		/* carry on with the prediction */
		t->pos = pred;
		t->last_step_ms = now_ms;
		update_progress(t, now_ms, speed_of(t) * dt);
		reject(t, fix, why);
		check_due(t);
		return;
	}
	bool reset = why == FIX_FILTER_RESET;
	int64_t since_fix = now_ms - t->last_fix_ms;
	follow_fix(t, fix, p, pred, dt, reset);
	t->last_fix_ms = t->last_step_ms = now_ms;
	if (!reset || !reanchor(t, now_ms, off, since_fix))
		update_progress(t, now_ms, speed_of(t) * dt);
	accepted(t, fix, now_ms);
}

void
trigger_set_duration(struct trigger *t, unsigned entry, int64_t total_ms)
{
	if (entry < t->n_entries)
		t->entries[entry].duration_ms = total_ms;
}

void
trigger_advance_to(struct trigger *t, unsigned entry)
{
	for (unsigned i = t->next; i < entry && i < t->n_entries; i++)
		if (t->entries[i].state == ENTRY_PENDING)
			t->entries[i].state = ENTRY_PASSED;
	advance_next(t);
}

unsigned
trigger_next_entry(const struct trigger *t)
{
	return t->next;
}

bool
trigger_stop_inside(const struct trigger *t, unsigned stop)
{
	for (unsigned i = 0; i < t->n_entries; i++)
		if (t->entries[i].stop == stop)
			return trigger_zones_inside(t->zones, t->entries[i].zone);
	return false;
}

bool
trigger_entry_left(const struct trigger *t, unsigned entry)
{
	if (entry >= t->n_entries)
		return true;
	const struct entry *e = &t->entries[entry];
	if (t->on_path && t->n_path >= 2)
		return t->progress > e->exit_along + t->cfg.hyst.exit_margin_m;
	return e->zone_left;
}

bool
trigger_entry_span(const struct trigger *t, unsigned entry, double *stop_along, double *exit_along)
{
	if (entry >= t->n_entries)
		return false;
	if (stop_along)
		*stop_along = t->entries[entry].stop_along;
	if (exit_along)
		*exit_along = t->entries[entry].exit_along;
	return true;
}

void
trigger_get_state(const struct trigger *t, struct trigger_state *out)
{
	out->have_position = t->have;
	out->on_path = t->on_path;
	out->lost = t->lost;
	geo_unproject(&t->proj, t->pos, &out->lat, &out->lon);
	if (!t->have)
		out->lat = out->lon = NAN;
	out->progress_m = t->progress;
	out->cross_m = t->cross;
	out->speed = speed_of(t);
	out->heading = t->heading_ok ? t->heading : NAN;
	out->path_len_m = t->path_len;
}
