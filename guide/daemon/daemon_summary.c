/* The summary at the end of a replay, told per tour as the event log tells
 * it: every event line passes through daemon_event_line() on its way to the
 * log, and the summary keeps what the lines say (a tour's start, its end and
 * the end's reason, its clips), what the tour says of its stops at its end
 * (told, missed, skipped), and how far the drive kept from the tour's path,
 * for a hint when it never came near (or only once shifted by GCJ-02). */
#include "guide/daemon/daemon_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "routes/geo.h"
#include "routes/route.h"

/* A drive that never came this close to the path is not of this route. */
#define HINT_FAR_M 100.0
/* Shifted by the GCJ-02 offset, this share of the fixes within HINT_NEAR_M of
 * the path: the datum is the mistake. */
#define HINT_NEAR_M 50.0
#define HINT_NEAR_SHARE 0.8
/* A drive with this share of its fixes near the path followed it: no hint. */
#define HINT_ON_SHARE 0.5
/* Further than this from the path's first point the plane is not good
 * enough: great-circle distances to the path's corners instead. */
#define HINT_PLANE_M 50000.0

static const char *
str_of(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static bool
num_of(json_object *o, const char *key, double *out)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) ||
	    !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		return false;
	*out = json_object_get_double(v);
	return true;
}

/* The run the log tells of now: the latest one, NULL before the first. */
static struct guided_summary_tour *
current_run(struct daemon *d)
{
	struct guided_summary *s = &d->runs;
	unsigned kept = s->n_tours - s->tours_dropped;
	return kept ? &s->tours[kept - 1] : NULL;
}

static struct guided_summary_tour *
new_run(struct daemon *d, json_object *o)
{
	struct guided_summary *s = &d->runs;
	if (s->n_tours - s->tours_dropped == GUIDED_SUMMARY_MAX_TOURS) {
		/* a long shift: the latest tours are the ones worth reading */
		memmove(&s->tours[0], &s->tours[1],
			sizeof(s->tours[0]) * (GUIDED_SUMMARY_MAX_TOURS - 1));
		s->tours_dropped++;
	}
	s->n_tours++;
	struct guided_summary_tour *t = current_run(d);
	memset(t, 0, sizeof(*t));
	const char *id = str_of(o, "tour");
	snprintf(t->tour, sizeof(t->tour), "%s", id ? id : "?");
	json_object *langs;
	if (json_object_object_get_ex(o, "lang", &langs) &&
	    json_object_is_type(langs, json_type_array)) {
		size_t off = 0;
		for (size_t i = 0; i < json_object_array_length(langs) && off < sizeof(t->langs);
		     i++) {
			const char *l = json_object_get_string(json_object_array_get_idx(langs, i));
			int n = snprintf(t->langs + off, sizeof(t->langs) - off, "%s%s",
					 i ? "," : "", l ? l : "");
			off += n > 0 ? (size_t)n : 0;
		}
	}
	return t;
}

/* What the tour says of its stops, while it still knows them (its tour_end,
 * or the end of the replay). */
static void
snapshot_stops(struct daemon *d, struct guided_summary_tour *run)
{
	struct tour_status ts;
	tour_get_status(d->tour, &ts);
	const struct route_tour *tour = ts.tour ? route_find_tour(d->route, ts.tour) : NULL;
	run->stops = run->stops_told = run->missed = run->n_skips = 0;
	run->state = tour_state_to_str(ts.state);
	for (unsigned i = 0; tour && i < tour->n_stops; i++) {
		run->stops++;
		run->stops_told += tour_stop_played(d->tour, tour->stops[i]);
		const char *why = tour_entry_skip_reason(d->tour, i);
		if (!why)
			continue;
		run->missed += strcmp(why, "missed") == 0;
		if (run->n_skips < GUIDED_SUMMARY_TOUR_SKIPS) {
			snprintf(run->skips[run->n_skips].poi, sizeof(run->skips[0].poi), "%s",
				 d->route->stops[tour->stops[i]].id);
			snprintf(run->skips[run->n_skips].reason, sizeof(run->skips[0].reason),
				 "%s", why);
			run->n_skips++;
		}
	}
}

/* ---- how near the drive came to the path ---------------------------------- */

/* The path of the tour the drive is measured against: the latest run's, or
 * the one --tour names (the route's first). */
static bool
check_path(struct daemon *d)
{
	struct daemon_drive_check *c = &d->drive_check;
	const struct guided_summary_tour *run = current_run(d);
	const char *id = run ? run->tour : d->o->tour;
	const struct route_tour *t = id                  ? route_find_tour(d->route, id)
				     : d->route->n_tours ? &d->route->tours[0]
							 : NULL;
	if (!t || t->n_path < 1)
		return false;
	if (c->route == d->route && c->tour == t)
		return true;
	struct geo_xy *xy = realloc(c->path, t->n_path * sizeof(*xy));
	if (!xy)
		return false;
	c->path = xy;
	c->n_path = t->n_path;
	c->route = d->route;
	c->tour = t;
	snprintf(c->tour_id, sizeof(c->tour_id), "%s", t->id);
	geo_proj_init(&c->proj, t->path[0].lat, t->path[0].lon);
	for (unsigned i = 0; i < t->n_path; i++)
		xy[i] = geo_project(&c->proj, t->path[i].lat, t->path[i].lon);
	return true;
}

static double
path_distance(const struct daemon_drive_check *c, const struct route_tour *t, double lat,
	      double lon)
{
	double best = INFINITY;
	if (geo_distance_m(lat, lon, c->proj.lat0, c->proj.lon0) > HINT_PLANE_M) {
		for (unsigned i = 0; i < t->n_path; i++)
			best = fmin(best, geo_distance_m(lat, lon, t->path[i].lat, t->path[i].lon));
		return best;
	}
	struct geo_xy p = geo_project(&c->proj, lat, lon);
	if (c->n_path == 1)
		return hypot(p.x - c->path[0].x, p.y - c->path[0].y);
	for (size_t i = 0; i + 1 < c->n_path; i++) {
		struct geo_xy a = c->path[i], b = c->path[i + 1];
		double dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy;
		double u = len2 > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2 : 0;
		u = u < 0 ? 0 : u > 1 ? 1 : u;
		best = fmin(best, hypot(p.x - a.x - u * dx, p.y - a.y - u * dy));
	}
	return best;
}

/* An accepted fix (a gps_fix line): as it is, and moved by the GCJ-02 shift
 * either way (a route copied from AMap that says wgs84; a drive recorded in
 * GCJ-02). */
static void
measure_fix(struct daemon *d, double lat, double lon)
{
	struct daemon_drive_check *c = &d->drive_check;
	if (!check_path(d))
		return;
	double v[DAEMON_DRIVE_VARIANTS][2] = {{lat, lon}};
	geo_wgs84_to_gcj02(lat, lon, &v[DAEMON_DRIVE_TO_GCJ02][0], &v[DAEMON_DRIVE_TO_GCJ02][1]);
	geo_gcj02_to_wgs84(lat, lon, &v[DAEMON_DRIVE_FROM_GCJ02][0],
			   &v[DAEMON_DRIVE_FROM_GCJ02][1]);
	if (c->fixes == 0)
		for (int k = 0; k < DAEMON_DRIVE_VARIANTS; k++)
			c->min_m[k] = INFINITY;
	c->fixes++;
	for (int k = 0; k < DAEMON_DRIVE_VARIANTS; k++) {
		double m = path_distance(c, c->tour, v[k][0], v[k][1]);
		c->min_m[k] = fmin(c->min_m[k], m);
		c->near[k] += m <= HINT_NEAR_M;
		if (k == DAEMON_DRIVE_AS_IS)
			c->sum_m += m;
	}
	c->shift_m +=
		geo_distance_m(lat, lon, v[DAEMON_DRIVE_TO_GCJ02][0], v[DAEMON_DRIVE_TO_GCJ02][1]);
}

static void
hints(struct daemon *d, struct guided_summary *s)
{
	const struct daemon_drive_check *c = &d->drive_check;
	if (c->fixes == 0) {
		snprintf(s->hint, sizeof(s->hint),
			 "the drive gave no position fix: nothing could trigger");
		return;
	}
	if (c->fixes == 0 || c->near[DAEMON_DRIVE_AS_IS] >= HINT_ON_SHARE * c->fixes)
		return;
	double mean = c->sum_m / c->fixes, closest = c->min_m[DAEMON_DRIVE_AS_IS];
	double shift = c->shift_m / c->fixes;
	double on = 100.0 * c->near[DAEMON_DRIVE_AS_IS] / c->fixes;
	const char *route_datum = route_datum_to_str(d->route->datum);
	if (c->near[DAEMON_DRIVE_TO_GCJ02] >= HINT_NEAR_SHARE * c->fixes)
		snprintf(s->hint, sizeof(s->hint),
			 "the drive runs beside tour %s's path, and on it once moved by the "
			 "GCJ-02 shift (%.0f m here): the route's coordinates look copied from a "
			 "Chinese map (AMap, Tencent: GCJ-02) while %s says datum: %s. Write "
			 "datum: gcj02 in it (then guide-route convert --datum wgs84 if you like)",
			 c->tour_id, shift, d->route->file, route_datum);
	else if (c->near[DAEMON_DRIVE_FROM_GCJ02] >= HINT_NEAR_SHARE * c->fixes)
		snprintf(s->hint, sizeof(s->hint),
			 "the drive runs beside tour %s's path, and on it once moved back by the "
			 "GCJ-02 shift (%.0f m here): the drive looks recorded in GCJ-02 (a "
			 "phone's map app), not the WGS-84 that GPS receivers and gpsd report",
			 c->tour_id, shift);
	else if (closest > HINT_FAR_M)
		snprintf(s->hint, sizeof(s->hint),
			 "the drive never came within %.0f m of tour %s's path (closest %.0f %s): "
			 "nothing could trigger. Is it a drive of route %s?",
			 HINT_FAR_M, c->tour_id, closest >= 10000 ? closest / 1000 : closest,
			 closest >= 10000 ? "km" : "m", d->route->id ? d->route->id : "");
	else
		snprintf(s->hint, sizeof(s->hint),
			 "only %.0f%% of the drive's fixes came within %.0f m of tour %s's path "
			 "(%.0f m from it on average): stops off the way the cart drove stay "
			 "silent",
			 on, HINT_NEAR_M, c->tour_id, mean);
}

/* ---- the event sink -------------------------------------------------------- */

static void
summary_event(struct daemon *d, const char *line, size_t len)
{
	json_tokener *tok = json_tokener_new();
	if (!tok)
		return;
	json_object *o = json_tokener_parse_ex(tok, line, (int)len);
	json_tokener_free(tok);
	const char *ev = o ? str_of(o, "event") : NULL;
	struct guided_summary_tour *run = current_run(d);
	double lat, lon;
	if (!ev) {
		/* not ours to judge */
	} else if (strcmp(ev, "tour_start") == 0) {
		new_run(d, o);
	} else if (strcmp(ev, "tour_resume") == 0) {
		/* the same tour goes on (a reload); after a restart a new run */
		const char *id = str_of(o, "tour");
		if (!run || run->end[0] || !id || strcmp(run->tour, id) != 0) {
			run = new_run(d, o);
			run->resumed = true;
		}
	} else if (strcmp(ev, "tour_end") == 0 && run) {
		const char *why = str_of(o, "reason");
		snprintf(run->end, sizeof(run->end), "%s", why ? why : "?");
		snapshot_stops(d, run);
	} else if (strcmp(ev, "clip_start") == 0 && run) {
		run->clips_started++;
	} else if (strcmp(ev, "clip_end") == 0 && run) {
		json_object *v;
		if (json_object_object_get_ex(o, "completed", &v) && json_object_get_boolean(v))
			run->clips_completed++;
		else
			run->clips_cut++;
	} else if (strcmp(ev, "gps_fix") == 0 && num_of(o, "lat", &lat) && num_of(o, "lon", &lon)) {
		measure_fix(d, lat, lon);
	}
	json_object_put(o);
}

void
daemon_event_line(void *ctx, const char *line, size_t len)
{
	struct daemon *d = ctx;
	if (d->ev_file) {
		fwrite(line, 1, len, d->ev_file);
		fflush(d->ev_file);
	}
	daemon_watch_event(d, line, len);
	summary_event(d, line, len);
}

void
daemon_summary_fill(struct daemon *d, struct guided_summary *s)
{
	struct guided_summary_tour *run = current_run(d);
	if (run && !run->end[0])
		snapshot_stops(d, run); /* the replay ended while it ran */
	s->n_tours = d->runs.n_tours;
	s->tours_dropped = d->runs.tours_dropped;
	memcpy(s->tours, d->runs.tours, sizeof(s->tours));
	hints(d, s);
}

void
daemon_summary_finish(struct daemon *d)
{
	free(d->drive_check.path);
	d->drive_check.path = NULL;
}
