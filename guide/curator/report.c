#include "guide/curator/report.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "guide/curator/array.h"
#include "guide/curator/event_log.h"
#include "routes/geo.h"

#define REPORT_MAX_REASONS 8
/* A cart that had left a zone and comes this much closer to it again is on
 * a new approach (a loop that passes a stop twice). */
#define REPORT_APPROACH_M 20

/* Where a clip began, against its stop's geofence. */
enum start_side {
	START_BEFORE, /* the cart had not reached the zone yet (lead_m, lead_s) */
	START_INSIDE,
	START_AFTER, /* the cart had been in the zone and was past its edge: late */
};

static const char *const side_names[] = {"before", "inside", "after"};

struct start_at {
	enum start_side side;
	double m; /* from the edge, >= 0 */
};

struct stop_stats {
	char poi[64];
	unsigned plays;     /* clip_start events */
	unsigned completed; /* clip_end completed=true */
	unsigned cut;       /* clip_end completed=false */
	unsigned skips;
	char reasons[REPORT_MAX_REASONS][48];
	unsigned reason_count[REPORT_MAX_REASONS];
	struct start_at *dist; /* where each clip began */
	size_t n_dist, cap_dist;
	unsigned rejected_near; /* fixes rejected within 100 m of the geofence */
	/* the cart's way past this stop, from zone_enter/zone_exit and gps_fix */
	bool entered;  /* in the zone since the last approach began */
	bool left;     /* and out again */
	double away_m; /* since it left: the furthest from the edge */
};

struct report {
	struct stop_stats *stops;
	size_t n, cap;
	const struct route *route;
	size_t events; /* lines that are events (an object with "event") */
};

static struct stop_stats *
stats_for(struct report *rep, const char *poi)
{
	for (size_t i = 0; i < rep->n; i++)
		if (strcmp(rep->stops[i].poi, poi) == 0)
			return &rep->stops[i];
	struct stop_stats *p = array_grow(rep->stops, rep->n, &rep->cap, sizeof(*p), 32);
	if (!p)
		return NULL;
	rep->stops = p;
	struct stop_stats *s = &rep->stops[rep->n++];
	memset(s, 0, sizeof(*s));
	snprintf(s->poi, sizeof(s->poi), "%s", poi);
	return s;
}

/* signed distance from the fence's edge: negative inside */
static double
edge_distance(const struct route_stop *s, double lat, double lon)
{
	if (s->fence.kind == ROUTE_FENCE_CIRCLE)
		return geo_distance_m(lat, lon, s->fence.center.lat, s->fence.center.lon) -
		       s->fence.radius_m;
	struct geo_proj p;
	geo_proj_init(&p, s->fence.center.lat, s->fence.center.lon);
	struct geo_xy ring[s->fence.n_vertices];
	for (unsigned i = 0; i < s->fence.n_vertices; i++)
		ring[i] = geo_project(&p, s->fence.vertices[i].lat, s->fence.vertices[i].lon);
	struct geo_xy q = geo_project(&p, lat, lon);
	double d = geo_polygon_edge_distance(ring, s->fence.n_vertices, q);
	return geo_polygon_contains(ring, s->fence.n_vertices, q) ? -d : d;
}

static void
add_reason(struct stop_stats *s, const char *reason)
{
	for (unsigned i = 0; i < REPORT_MAX_REASONS; i++) {
		if (s->reasons[i][0] == '\0')
			snprintf(s->reasons[i], sizeof(s->reasons[i]), "%s", reason);
		if (strcmp(s->reasons[i], reason) == 0) {
			s->reason_count[i]++;
			return;
		}
	}
}

/* Sorts starts from the earliest (furthest before the zone) to the latest. */
static double
start_key(const struct start_at *a)
{
	return a->side == START_BEFORE ? -a->m : a->side == START_AFTER ? a->m : 0;
}

static int
cmp_start(const void *a, const void *b)
{
	double x = start_key(a), y = start_key(b);
	return (x > y) - (x < y);
}

/* A new tour: every stop is ahead again. */
static void
forget_passes(struct report *rep)
{
	for (size_t i = 0; i < rep->n; i++) {
		rep->stops[i].entered = rep->stops[i].left = false;
		rep->stops[i].away_m = 0;
	}
}

/* A fix: a cart that left a stop and comes back towards it is on a new
 * approach. */
static void
follow_fix(struct report *rep, double lat, double lon)
{
	for (size_t i = 0; i < rep->n; i++) {
		struct stop_stats *st = &rep->stops[i];
		const struct route_stop *s = st->left ? route_find_stop(rep->route, st->poi) : NULL;
		if (!s)
			continue;
		double d = edge_distance(s, lat, lon);
		if (d > st->away_m)
			st->away_m = d;
		else if (d < st->away_m - REPORT_APPROACH_M)
			st->entered = st->left = false;
	}
}

static int
handle(void *ctx, json_object *o)
{
	struct report *rep = ctx;
	const char *ev = event_log_str(o, "event"), *poi = event_log_str(o, "poi");
	double lat, lon;

	if (!ev)
		return 0;
	rep->events++;
	if (strcmp(ev, "tour_start") == 0) {
		forget_passes(rep);
		return 0;
	}
	if (strcmp(ev, "gps_fix") == 0 && rep->route && event_log_num(o, "lat", &lat) &&
	    event_log_num(o, "lon", &lon)) {
		follow_fix(rep, lat, lon);
		return 0;
	}
	if (strcmp(ev, "fix_rejected") == 0 && rep->route && event_log_num(o, "lat", &lat) &&
	    event_log_num(o, "lon", &lon)) {
		for (unsigned i = 0; i < rep->route->n_stops; i++) {
			const struct route_stop *s = &rep->route->stops[i];
			if (edge_distance(s, lat, lon) < 100) {
				struct stop_stats *st = stats_for(rep, s->id);
				if (!st)
					return -ENOMEM;
				st->rejected_near++;
			}
		}
		return 0;
	}
	if (!poi)
		return 0;
	struct stop_stats *st = stats_for(rep, poi);
	if (!st)
		return -ENOMEM;
	if (strcmp(ev, "clip_start") == 0) {
		st->plays++;
		const struct route_stop *s = rep->route ? route_find_stop(rep->route, poi) : NULL;
		if (s && event_log_num(o, "lat", &lat) && event_log_num(o, "lon", &lon)) {
			struct start_at *p =
				array_grow(st->dist, st->n_dist, &st->cap_dist, sizeof(*p), 16);
			if (!p)
				return -ENOMEM;
			st->dist = p;
			double d = edge_distance(s, lat, lon);
			st->dist[st->n_dist++] = (struct start_at){
				.side = d <= 0        ? START_INSIDE
					: st->entered ? START_AFTER
						      : START_BEFORE,
				.m = fabs(d),
			};
		}
	} else if (strcmp(ev, "zone_enter") == 0) {
		st->entered = true;
		st->left = false;
	} else if (strcmp(ev, "zone_exit") == 0) {
		st->left = st->entered;
		st->away_m = 0;
	} else if (strcmp(ev, "clip_end") == 0) {
		if (event_log_bool(o, "completed") == 1)
			st->completed++;
		else
			st->cut++;
	} else if (strcmp(ev, "clip_skip") == 0) {
		st->skips++;
		const char *reason = event_log_str(o, "reason");
		add_reason(st, reason ? reason : "unknown");
	}
	return 0;
}

int
report_write(FILE *in, const struct route *route, FILE *out)
{
	return report_write_result(in, route, out, NULL);
}

int
report_write_result(FILE *in, const struct route *route, FILE *out, struct report_result *result)
{
	struct report rep = {.route = route};
	struct event_log_counts counts;
	int r = 0;

	/* stops in route order first, so the table reads like the tour */
	for (unsigned i = 0; route && i < route->n_stops; i++)
		if (!stats_for(&rep, route->stops[i].id)) {
			r = -ENOMEM;
			goto out;
		}
	r = event_log_read(in, handle, &rep, &counts);
	if (r < 0)
		goto out;
	if (rep.events == 0) {
		r = -EBADMSG; /* not an event log: nothing is written */
		if (result)
			*result = (struct report_result){counts.lines, counts.bad_lines, 0};
		goto out;
	}

	fprintf(out, "%-22s %6s %6s %5s %6s %13s %13s %9s  %s\n", "stop", "plays", "done", "cut",
		"skips", "start m*", "worst m*", "rejected", "skip reasons");
	for (size_t i = 0; i < rep.n; i++) {
		struct stop_stats *s = &rep.stops[i];
		char med[24] = "-", worst[24] = "-", reasons[256] = "";
		if (s->n_dist) {
			qsort(s->dist, s->n_dist, sizeof(*s->dist), cmp_start);
			const struct start_at *m = &s->dist[s->n_dist / 2];
			snprintf(med, sizeof(med), "%.0f %s", m->m, side_names[m->side]);
			/* the start furthest from the geofence, either way */
			const struct start_at *w =
				fabs(start_key(&s->dist[0])) >
						fabs(start_key(&s->dist[s->n_dist - 1]))
					? &s->dist[0]
					: &s->dist[s->n_dist - 1];
			snprintf(worst, sizeof(worst), "%.0f %s", w->m, side_names[w->side]);
		}
		size_t off = 0;
		for (unsigned k = 0; k < REPORT_MAX_REASONS && s->reasons[k][0]; k++) {
			int n = snprintf(reasons + off, sizeof(reasons) - off, "%s%s x%u",
					 off ? ", " : "", s->reasons[k], s->reason_count[k]);
			if (n < 0 || (size_t)n >= sizeof(reasons) - off)
				break;
			off += (size_t)n;
		}
		fprintf(out, "%-22s %6u %6u %5u %6u %13s %13s %9u  %s\n", s->poi, s->plays,
			s->completed, s->cut, s->skips, med, worst, s->rejected_near, reasons);
	}
	fprintf(out,
		"\n* where the clip began, in metres from the geofence's edge: median and the\n"
		"  worst case.  'before': the cart had not reached the zone yet (lead_m,\n"
		"  lead_s); 'inside'; 'after': the cart had been in the zone and was past its\n"
		"  edge (told late).  'rejected' counts fixes the filter dropped within 100 m\n"
		"  of the zone.  %zu event lines, %zu unreadable.\n",
		counts.lines, counts.bad_lines);
	if (result)
		*result = (struct report_result){counts.lines, counts.bad_lines, rep.events};
out:
	for (size_t i = 0; i < rep.n; i++)
		free(rep.stops[i].dist);
	free(rep.stops);
	return r;
}
