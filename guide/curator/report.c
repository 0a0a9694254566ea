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

struct stop_stats {
	char poi[64];
	unsigned plays;     /* clip_start events */
	unsigned completed; /* clip_end completed=true */
	unsigned cut;       /* clip_end completed=false */
	unsigned skips;
	char reasons[REPORT_MAX_REASONS][48];
	unsigned reason_count[REPORT_MAX_REASONS];
	double *dist; /* start distance to the geofence edge, m (<0 inside) */
	size_t n_dist, cap_dist;
	unsigned rejected_near; /* fixes rejected within 100 m of the geofence */
};

struct report {
	struct stop_stats *stops;
	size_t n, cap;
	const struct route *route;
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

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int
handle(void *ctx, json_object *o)
{
	struct report *rep = ctx;
	const char *ev = event_log_str(o, "event"), *poi = event_log_str(o, "poi");
	double lat, lon;

	if (!ev)
		return 0;
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
			double *p = array_grow(st->dist, st->n_dist, &st->cap_dist, sizeof(*p), 16);
			if (!p)
				return -ENOMEM;
			st->dist = p;
			st->dist[st->n_dist++] = edge_distance(s, lat, lon);
		}
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

	fprintf(out, "%-22s %6s %6s %5s %6s %10s %10s %9s  %s\n", "stop", "plays", "done", "cut",
		"skips", "start m*", "worst m*", "rejected", "skip reasons");
	for (size_t i = 0; i < rep.n; i++) {
		struct stop_stats *s = &rep.stops[i];
		char med[16] = "-", worst[16] = "-", reasons[256] = "";
		if (s->n_dist) {
			qsort(s->dist, s->n_dist, sizeof(double), cmp_double);
			snprintf(med, sizeof(med), "%.0f", s->dist[s->n_dist / 2]);
			/* the start furthest from the geofence, either way */
			double w = fabs(s->dist[0]) > fabs(s->dist[s->n_dist - 1])
					   ? s->dist[0]
					   : s->dist[s->n_dist - 1];
			snprintf(worst, sizeof(worst), "%.0f", w);
		}
		size_t off = 0;
		for (unsigned k = 0; k < REPORT_MAX_REASONS && s->reasons[k][0]; k++) {
			int n = snprintf(reasons + off, sizeof(reasons) - off, "%s%s x%u",
					 off ? ", " : "", s->reasons[k], s->reason_count[k]);
			if (n < 0 || (size_t)n >= sizeof(reasons) - off)
				break;
			off += (size_t)n;
		}
		fprintf(out, "%-22s %6u %6u %5u %6u %10s %10s %9u  %s\n", s->poi, s->plays,
			s->completed, s->cut, s->skips, med, worst, s->rejected_near, reasons);
	}
	fprintf(out,
		"\n* metres from the geofence's edge where the clip began: median and the\n"
		"  worst case; negative = inside the zone. 'rejected' counts fixes the filter\n"
		"  dropped within 100 m of the zone. %zu event lines, %zu unreadable.\n",
		counts.lines, counts.bad_lines);
out:
	for (size_t i = 0; i < rep.n; i++)
		free(rep.stops[i].dist);
	free(rep.stops);
	return r;
}
