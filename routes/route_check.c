/* The validation pass: everything the schema cannot express, checked once
 * over the converted route, each finding with the line and column of what the
 * curator wrote. */
#include "routes/route_internal.h"

#include "routes/geo.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ERR ROUTE_DIAG_ERROR
#define WARN ROUTE_DIAG_WARNING

/* Absolute, or a ".." component anywhere. */
bool
route_path_escapes(const char *p)
{
	if (!p || p[0] == '/')
		return true;
	for (const char *s = p; *s;) {
		size_t n = strcspn(s, "/");
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return true;
		s += n;
		while (*s == '/')
			s++;
	}
	return false;
}

static struct route_loc
or_loc(struct route_loc a, struct route_loc b)
{
	return a.line ? a : b;
}

static void
check_point(struct route_check_ctx *c, const char *file, double lat, double lon, const char *prefix)
{
	if (!(lat >= -90 && lat <= 90))
		route_diag_add(c->diags, ERR, file, route_index_loc(c->ix, "%s.lat", prefix),
			       "latitude %g is out of range (-90 to 90)", lat);
	if (!(lon >= -180 && lon <= 180))
		route_diag_add(c->diags, ERR, file, route_index_loc(c->ix, "%s.lon", prefix),
			       "longitude %g is out of range (-180 to 180)", lon);
}

static void
check_clip(struct route_check_ctx *c, const struct route *r, struct route_clip *clip)
{
	char err[512] = "";

	if (route_path_escapes(clip->file)) {
		route_diag_add(
			c->diags, ERR, r->file, clip->loc,
			"clip path '%s' leaves the route folder (absolute paths and '..' are "
			"not allowed)",
			clip->file);
		return;
	}
	if (c->opts->no_clip_check || !clip->path)
		return;
	if (c->opts->probe) {
		int64_t ms = -1;
		if (c->opts->probe(c->opts->probe_ctx, clip->path, &ms, err, sizeof(err)) < 0) {
			route_diag_add(c->diags, ERR, r->file, clip->loc,
				       "clip file '%s' cannot be played: %s", clip->file,
				       err[0] ? err : "undecodable");
			return;
		}
		clip->duration_ms = ms;
		return;
	}
	struct stat st;
	if (stat(clip->path, &st) < 0 || !S_ISREG(st.st_mode))
		route_diag_add(c->diags, ERR, r->file, clip->loc,
			       "clip file '%s' not found (looked for %s)", clip->file, clip->path);
}

/* ---- fences in a local metric frame --------------------------------------- */

struct fence_xy {
	bool circle;
	struct geo_xy c;
	double r;
	struct geo_xy *ring;
	size_t n;
};

static int
fence_xy_init(struct fence_xy *f, const struct geo_proj *p, const struct route_fence *fence,
	      unsigned circle_vertices)
{
	memset(f, 0, sizeof(*f));
	f->c = geo_project(p, fence->center.lat, fence->center.lon);
	f->r = fence->radius_m;
	if (fence->kind == ROUTE_FENCE_CIRCLE && !circle_vertices) {
		f->circle = true;
		return 0;
	}
	size_t n = fence->kind == ROUTE_FENCE_CIRCLE ? circle_vertices : fence->n_vertices;
	f->ring = calloc(n ? n : 1, sizeof(*f->ring));
	if (!f->ring)
		return -ENOMEM;
	f->n = n;
	for (size_t i = 0; i < n; i++) {
		if (fence->kind == ROUTE_FENCE_CIRCLE) {
			double a = 2 * M_PI * (double)i / (double)n;
			f->ring[i] =
				(struct geo_xy){f->c.x + f->r * cos(a), f->c.y + f->r * sin(a)};
		} else {
			f->ring[i] = geo_project(p, fence->vertices[i].lat, fence->vertices[i].lon);
		}
	}
	return 0;
}

static bool
fence_xy_contains(const struct fence_xy *f, struct geo_xy q)
{
	if (f->circle)
		return hypot(q.x - f->c.x, q.y - f->c.y) <= f->r;
	return f->n >= 3 && geo_polygon_contains(f->ring, f->n, q);
}

bool
route_fence_contains(const struct route_fence *fence, double lat, double lon)
{
	if (fence->kind == ROUTE_FENCE_CIRCLE)
		return geo_distance_m(fence->center.lat, fence->center.lon, lat, lon) <=
		       fence->radius_m;
	struct geo_proj p;
	struct fence_xy f;
	geo_proj_init(&p, fence->center.lat, fence->center.lon);
	if (fence_xy_init(&f, &p, fence, 0) < 0)
		return false;
	bool in = fence_xy_contains(&f, geo_project(&p, lat, lon));
	free(f.ring);
	return in;
}

static bool
fences_overlap(const struct fence_xy *a, const struct fence_xy *b)
{
	if (a->circle && b->circle)
		return hypot(a->c.x - b->c.x, a->c.y - b->c.y) < a->r + b->r;
	/* both are rings here (circles were approximated by the caller) */
	for (size_t i = 0; i < a->n; i++)
		if (geo_polygon_contains(b->ring, b->n, a->ring[i]))
			return true;
	for (size_t i = 0; i < b->n; i++)
		if (geo_polygon_contains(a->ring, a->n, b->ring[i]))
			return true;
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < b->n; j++)
			if (geo_segments_intersect(a->ring[i], a->ring[(i + 1) % a->n], b->ring[j],
						   b->ring[(j + 1) % b->n]))
				return true;
	return false;
}

static bool
fence_usable(const struct route_fence *f)
{
	if (f->kind == ROUTE_FENCE_CIRCLE)
		return f->radius_m > 0 && f->center.lat >= -90 && f->center.lat <= 90 &&
		       f->center.lon >= -180 && f->center.lon <= 180;
	return f->n_vertices >= 3 && f->radius_m > 0;
}

/* ---- transit along a tour path -------------------------------------------- */

int
route_tour_transits(const struct route *r, const struct route_tour *t, struct route_transit *out)
{
	if (!t->path || t->n_path < 2 || !(t->speed_kmh > 0))
		return -EINVAL;
	for (unsigned i = 0; i < t->n_path; i++)
		if (!(fabs(t->path[i].lat) <= 90 && fabs(t->path[i].lon) <= 180))
			return -EINVAL;
	struct geo_proj p;
	geo_proj_init(&p, t->path[0].lat, t->path[0].lon);
	struct geo_xy *pts = calloc(t->n_path, sizeof(*pts));
	double *cum = calloc(t->n_path, sizeof(*cum));
	if (!pts || !cum) {
		free(pts);
		free(cum);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < t->n_path; i++)
		pts[i] = geo_project(&p, t->path[i].lat, t->path[i].lon);
	geo_polyline_lengths(pts, t->n_path, cum);
	double len = cum[t->n_path - 1];
	double step = fmax(1.0, len / 20000.0);
	double v = t->speed_kmh / 3.6;
	double prev_exit = 0;

	/* samples along the path every `step` metres, taken once, walking the
	 * segments with a cursor (at most 20001, whatever the path's size) */
	size_t n_samples = (size_t)(len / step) + 1, from = 0;
	struct geo_xy *sp = calloc(n_samples, sizeof(*sp));
	double *sh = calloc(n_samples, sizeof(*sh));
	if (!sp || !sh) {
		free(sp);
		free(sh);
		free(pts);
		free(cum);
		return -ENOMEM;
	}
	for (size_t i = 0, seg = 0; i < n_samples; i++) {
		double d = fmin(len, (double)i * step);
		while (seg + 2 < t->n_path && cum[seg + 1] < d)
			seg++;
		double sl = cum[seg + 1] - cum[seg];
		double u = sl > 0 ? (d - cum[seg]) / sl : 0;
		sp[i] = (struct geo_xy){pts[seg].x + u * (pts[seg + 1].x - pts[seg].x),
					pts[seg].y + u * (pts[seg + 1].y - pts[seg].y)};
		sh[i] = fmod(atan2(pts[seg + 1].x - pts[seg].x, pts[seg + 1].y - pts[seg].y) * 180 /
					     M_PI +
				     360.0,
			     360.0);
	}

	for (unsigned k = 0; k < t->n_stops; k++) {
		const struct route_stop *s = &r->stops[t->stops[k]];
		struct route_transit *o = &out[k];
		struct fence_xy f;
		memset(o, 0, sizeof(*o));
		o->narration_ms = 0;
		for (unsigned l = 0; l < t->n_langs; l++) {
			const struct route_clip *clip = route_stop_clip(s, t->langs[l]);
			if (!clip || clip->duration_ms < 0 || o->narration_ms < 0)
				o->narration_ms = -1;
			else
				o->narration_ms += clip->duration_ms;
		}
		if (!fence_usable(&s->fence) || fence_xy_init(&f, &p, &s->fence, 0) < 0)
			continue;
		/* the bounding circle first: the exact test only near the fence */
		double reach = f.r + 1e-6;
		for (size_t i = from; i < n_samples; i++) {
			if (hypot(sp[i].x - f.c.x, sp[i].y - f.c.y) > reach ||
			    !fence_xy_contains(&f, sp[i]))
				continue;
			if (s->heading.set &&
			    geo_heading_diff(sh[i], s->heading.deg) > s->heading.tolerance_deg)
				continue;
			size_t e = i;
			while (e + 1 < n_samples && fence_xy_contains(&f, sp[e + 1]))
				e++;
			o->found = true;
			o->enter_m = fmin(len, (double)i * step);
			o->exit_m = fmin(len, (double)e * step);
			from = e;
			break;
		}
		free(f.ring);
		if (!o->found)
			continue;
		double lead = fmax(s->lead_m, s->lead_s * v);
		o->approach_m = fmax(0, fmin(lead, o->enter_m - prev_exit));
		o->seconds = (o->exit_m - o->enter_m + o->approach_m) / v;
		prev_exit = o->exit_m;
	}
	free(sp);
	free(sh);
	free(pts);
	free(cum);
	return 0;
}

/* ---- the pass ------------------------------------------------------------- */

static void
check_fence(struct route_check_ctx *c, const struct route *r, struct route_stop *s, unsigned i)
{
	struct route_fence *f = &s->fence;
	char prefix[64];
	bool has_circle = route_index_loc(c->ix, "stops[%u].circle", i).line != 0;
	bool has_poly = route_index_loc(c->ix, "stops[%u].polygon", i).line != 0;

	if (!has_circle && !has_poly) {
		route_diag_add(c->diags, ERR, r->file, s->loc,
			       "stop '%s' has no geofence: give it a circle or a polygon", s->id);
		return;
	}
	if (has_circle && has_poly) {
		route_diag_add(c->diags, ERR, r->file,
			       route_index_loc(c->ix, "stops[%u].polygon", i),
			       "stop '%s' has both a circle and a polygon: keep one", s->id);
		return;
	}
	if (f->kind == ROUTE_FENCE_CIRCLE) {
		snprintf(prefix, sizeof(prefix), "stops[%u].circle", i);
		check_point(c, r->file, f->center.lat, f->center.lon, prefix);
		if (!(f->radius_m > 0))
			route_diag_add(c->diags, ERR, r->file,
				       route_index_loc(c->ix, "stops[%u].circle.radius_m", i),
				       "radius_m must be greater than 0 (got %g)", f->radius_m);
		return;
	}
	struct route_loc ploc = route_index_loc(c->ix, "stops[%u].polygon", i);
	bool ok = true;
	for (unsigned k = 0; k < f->n_vertices; k++) {
		unsigned before = c->diags->n_errors;
		snprintf(prefix, sizeof(prefix), "stops[%u].polygon[%u]", i, k);
		check_point(c, r->file, f->vertices[k].lat, f->vertices[k].lon, prefix);
		ok = ok && before == c->diags->n_errors;
	}
	if (f->n_vertices < 3) {
		route_diag_add(c->diags, ERR, r->file, ploc,
			       "polygon of stop '%s' needs at least 3 vertices (got %u)", s->id,
			       f->n_vertices);
		return;
	}
	if (!ok)
		return;
	/* centre = vertex centroid, radius = farthest vertex */
	double lat = 0, lon = 0;
	for (unsigned k = 0; k < f->n_vertices; k++) {
		lat += f->vertices[k].lat;
		lon += f->vertices[k].lon;
	}
	f->center = (struct route_point){lat / f->n_vertices, lon / f->n_vertices};
	f->radius_m = 0;
	for (unsigned k = 0; k < f->n_vertices; k++)
		f->radius_m =
			fmax(f->radius_m, geo_distance_m(f->center.lat, f->center.lon,
							 f->vertices[k].lat, f->vertices[k].lon));
	struct geo_proj p;
	struct fence_xy fx;
	geo_proj_init(&p, f->center.lat, f->center.lon);
	if (fence_xy_init(&fx, &p, f, 0) < 0)
		return;
	size_t ea, eb;
	if (geo_polygon_self_intersects(fx.ring, fx.n, &ea, &eb))
		route_diag_add(
			c->diags, ERR, r->file,
			or_loc(route_index_loc(c->ix, "stops[%u].polygon[%zu]", i, eb), ploc),
			"polygon of stop '%s' crosses itself (edges %zu-%zu and %zu-%zu)", s->id,
			ea + 1, (ea + 1) % fx.n + 1, eb + 1, (eb + 1) % fx.n + 1);
	free(fx.ring);
}

static void
check_nonneg(struct route_check_ctx *c, const struct route *r, double v, const char *key,
	     unsigned i)
{
	if (!(v >= 0))
		route_diag_add(c->diags, ERR, r->file,
			       route_index_loc(c->ix, "stops[%u].%s", i, key),
			       "%s must be 0 or more (got %g)", key, v);
}

static void
check_stop(struct route_check_ctx *c, struct route *r, unsigned i)
{
	struct route_stop *s = &r->stops[i];

	for (unsigned j = 0; j < i; j++)
		if (strcmp(r->stops[j].id, s->id) == 0) {
			route_diag_add(c->diags, ERR, r->file,
				       route_index_loc(c->ix, "stops[%u].id", i),
				       "duplicate stop id '%s' (first used on line %u)", s->id,
				       route_index_loc(c->ix, "stops[%u].id", j).line);
			break;
		}
	check_fence(c, r, s, i);
	if (s->heading.set) {
		if (!(s->heading.deg >= 0 && s->heading.deg <= 360))
			route_diag_add(c->diags, ERR, r->file,
				       route_index_loc(c->ix, "stops[%u].heading.deg", i),
				       "heading deg must be between 0 and 360 (got %g)",
				       s->heading.deg);
		if (!(s->heading.tolerance_deg > 0 && s->heading.tolerance_deg <= 180))
			route_diag_add(c->diags, ERR, r->file,
				       route_index_loc(c->ix, "stops[%u].heading.tolerance_deg", i),
				       "heading tolerance_deg must be more than 0 and at most 180 "
				       "(got %g)",
				       s->heading.tolerance_deg);
	}
	check_nonneg(c, r, s->lead_s, "lead_s", i);
	check_nonneg(c, r, s->lead_m, "lead_m", i);
	check_nonneg(c, r, s->cooldown_s, "cooldown_s", i);
	for (unsigned k = 0; k < s->n_clips; k++)
		check_clip(c, r, &s->clips[k]);
}

static void
check_transits(struct route_check_ctx *c, const struct route *r, const struct route_tour *t,
	       unsigned ti)
{
	struct route_transit *tr = calloc(t->n_stops ? t->n_stops : 1, sizeof(*tr));
	if (!tr || route_tour_transits(r, t, tr) < 0) {
		free(tr);
		return;
	}
	for (unsigned k = 0; k < t->n_stops; k++) {
		const struct route_stop *s = &r->stops[t->stops[k]];
		unsigned si = t->stops[k];
		if (!fence_usable(&s->fence) ||
		    (s->heading.set &&
		     !(s->heading.deg >= 0 && s->heading.deg <= 360 &&
		       s->heading.tolerance_deg > 0 && s->heading.tolerance_deg <= 180)))
			continue; /* already reported */
		if (!tr[k].found) {
			route_diag_add(
				c->diags, ERR, r->file,
				route_index_loc(c->ix, "tours[%u].path", ti),
				"the path of tour '%s' does not pass through the geofence of "
				"stop '%s'%s%s%s",
				t->id, s->id, k ? " after stop '" : "",
				k ? r->stops[t->stops[k - 1]].id : "", k ? "'" : "");
			continue;
		}
		if (tr[k].narration_ms > tr[k].seconds * 1000.0) {
			char parts[256] = "";
			size_t used = 0;
			for (unsigned l = 0; l < t->n_langs && used < sizeof(parts); l++) {
				const struct route_clip *clip = route_stop_clip(s, t->langs[l]);
				int n = snprintf(parts + used, sizeof(parts) - used, "%s%s %.1f s",
						 l ? " + " : "", t->langs[l],
						 clip ? clip->duration_ms / 1000.0 : 0.0);
				used += n > 0 ? (size_t)n : 0;
			}
			route_diag_add(
				c->diags, WARN, r->file,
				or_loc(route_index_loc(c->ix, "stops[%u].clips", si), s->loc),
				"narration of stop '%s' (%s) lasts %.1f s but the cart spends "
				"only %.1f s in and approaching its geofence at %g km/h on "
				"tour '%s'",
				s->id, parts, tr[k].narration_ms / 1000.0, tr[k].seconds,
				t->speed_kmh, t->id);
		}
	}
	free(tr);
}

/* The opening announcements' length in the tour's languages (welcome, then
 * safety, every language of each, as the tour plays them); -1 when a clip's
 * length is unknown. */
static int64_t
opening_ms(const struct route_tour *t)
{
	const enum route_announcement_kind kinds[] = {ROUTE_ANNOUNCE_WELCOME,
						      ROUTE_ANNOUNCE_SAFETY};
	int64_t total = 0;
	for (unsigned a = 0; a < 2; a++)
		for (unsigned l = 0; l < t->n_langs; l++)
			for (unsigned k = 0; k < t->n_announcements[kinds[a]]; k++) {
				const struct route_clip *clip = &t->announcements[kinds[a]][k];
				if (!clip->lang || strcmp(clip->lang, t->langs[l]) != 0)
					continue;
				if (clip->duration_ms < 0)
					return -1;
				total += clip->duration_ms;
			}
	return total;
}

/* The stop a tour starts in (its path begins inside the first stop's
 * geofence) is told once the welcome and safety announcements end, even
 * when the cart has left it meanwhile, unless the next stop has come up by
 * then (guide/tour.h).  For a cart that leaves at once at the tour's speed,
 * warn with the numbers when it cannot be: the announcements outlast the
 * drive to the next stop's trigger point (the start stop is dropped), or
 * they and the start stop's story outlast the next stop's transit (the
 * next one is dropped in its turn). */
static void
check_start_zone(struct route_check_ctx *c, const struct route *r, const struct route_tour *t,
		 unsigned ti)
{
	if (t->n_stops < 2 || !(t->speed_kmh > 0))
		return;
	struct route_transit *tr = calloc(t->n_stops, sizeof(*tr));
	if (!tr || route_tour_transits(r, t, tr) < 0 || !tr[0].found || tr[0].enter_m > 0 ||
	    !tr[1].found || tr[0].narration_ms < 0) {
		free(tr);
		return;
	}
	int64_t open_ms = opening_ms(t);
	double v = t->speed_kmh / 3.6;
	double zone_s = tr[0].exit_m / v;
	double next_s = (tr[1].enter_m - tr[1].approach_m) / v;
	double open_s = (double)open_ms / 1000.0;
	double story_s = (double)tr[0].narration_ms / 1000.0;
	const struct route_stop *s = &r->stops[t->stops[0]];
	const struct route_stop *n = &r->stops[t->stops[1]];
	struct route_loc loc = or_loc(route_index_loc(c->ix, "tours[%u].stops", ti), t->loc);
	if (open_ms > 0 && open_s > next_s)
		route_diag_add(c->diags, WARN, r->file, loc,
			       "tour '%s' starts in stop '%s', but its welcome and safety "
			       "announcements (%.1f s) outlast a cart leaving at once at %g km/h "
			       "(out of the geofence after %.1f s, at the next stop '%s' after "
			       "%.1f s): the story of '%s' is not told unless the cart waits "
			       "%.0f s before leaving",
			       t->id, s->id, open_s, t->speed_kmh, zone_s, n->id, next_s, s->id,
			       ceil(open_s - next_s));
	else if (open_ms > 0 && open_s + story_s > next_s + tr[1].seconds)
		route_diag_add(c->diags, WARN, r->file, loc,
			       "tour '%s' starts in stop '%s': its welcome and safety "
			       "announcements (%.1f s) and its story (%.1f s) outlast a cart "
			       "leaving at once at %g km/h through the next stop '%s' (%.1f s "
			       "from the start): '%s' is not told unless the cart waits %.0f s "
			       "before leaving",
			       t->id, s->id, open_s, story_s, t->speed_kmh, n->id,
			       next_s + tr[1].seconds, n->id,
			       ceil(open_s + story_s - next_s - tr[1].seconds));
	free(tr);
}

static void
check_overlaps(struct route_check_ctx *c, const struct route *r, const struct route_tour *t)
{
	bool *first = calloc(t->n_stops + 1, sizeof(bool));
	bool *seen = calloc(r->n_stops + 1, sizeof(bool));
	if (!first || !seen) {
		free(first);
		free(seen);
		return;
	}
	for (unsigned k = 0; k < t->n_stops; k++) {
		first[k] = !seen[t->stops[k]];
		seen[t->stops[k]] = true;
	}
	for (unsigned a = 0; a < t->n_stops; a++)
		for (unsigned b = a + 1; b < t->n_stops; b++) {
			const struct route_stop *sa = &r->stops[t->stops[a]];
			const struct route_stop *sb = &r->stops[t->stops[b]];
			if (sa == sb || !fence_usable(&sa->fence) || !fence_usable(&sb->fence))
				continue;
			/* a stop visited twice is compared once, at its first visit */
			if (!first[a] || !first[b])
				continue;
			if (geo_distance_m(sa->fence.center.lat, sa->fence.center.lon,
					   sb->fence.center.lat, sb->fence.center.lon) >=
			    sa->fence.radius_m + sb->fence.radius_m)
				continue; /* bounding circles apart */
			struct geo_proj p;
			struct fence_xy fa, fb;
			bool circles = sa->fence.kind == ROUTE_FENCE_CIRCLE &&
				       sb->fence.kind == ROUTE_FENCE_CIRCLE;
			geo_proj_init(&p, sa->fence.center.lat, sa->fence.center.lon);
			if (fence_xy_init(&fa, &p, &sa->fence, circles ? 0 : 64) < 0)
				continue;
			if (fence_xy_init(&fb, &p, &sb->fence, circles ? 0 : 64) < 0) {
				free(fa.ring);
				continue;
			}
			if (fences_overlap(&fa, &fb)) {
				unsigned si = t->stops[b];
				struct route_loc loc = route_index_loc(
					c->ix, "stops[%u].%s", si,
					sb->fence.kind == ROUTE_FENCE_CIRCLE ? "circle"
									     : "polygon");
				route_diag_add(
					c->diags, WARN, r->file, or_loc(loc, sb->loc),
					"geofences of stops '%s' and '%s' overlap (both on tour "
					"'%s'): the later one may cut the earlier",
					sa->id, sb->id, t->id);
			}
			free(fa.ring);
			free(fb.ring);
		}
	free(first);
	free(seen);
}

static void
check_tour(struct route_check_ctx *c, struct route *r, unsigned i)
{
	struct route_tour *t = &r->tours[i];
	char prefix[64];

	for (unsigned j = 0; j < i; j++)
		if (strcmp(r->tours[j].id, t->id) == 0) {
			route_diag_add(c->diags, ERR, r->file,
				       route_index_loc(c->ix, "tours[%u].id", i),
				       "duplicate tour id '%s' (first used on line %u)", t->id,
				       route_index_loc(c->ix, "tours[%u].id", j).line);
			break;
		}
	bool langs_ok = true;
	for (unsigned l = 0; l < t->n_langs; l++) {
		if (!route_lang_supported(t->langs[l])) {
			char list[128] = "";
			for (unsigned k = 0; route_supported_langs[k]; k++) {
				strncat(list, k ? ", " : "", sizeof(list) - strlen(list) - 1);
				strncat(list, route_supported_langs[k],
					sizeof(list) - strlen(list) - 1);
			}
			route_diag_add(c->diags, ERR, r->file,
				       route_index_loc(c->ix, "tours[%u].langs[%u]", i, l),
				       "unknown language '%s' (supported: %s)", t->langs[l], list);
			langs_ok = false;
		}
	}
	if (!(t->speed_kmh > 0 && t->speed_kmh <= 200))
		route_diag_add(
			c->diags, ERR, r->file, route_index_loc(c->ix, "tours[%u].speed_kmh", i),
			"speed_kmh must be more than 0 and at most 200 (got %g)", t->speed_kmh);
	for (unsigned k = 0; k < t->n_path; k++) {
		snprintf(prefix, sizeof(prefix), "tours[%u].path[%u]", i, k);
		check_point(c, r->file, t->path[k].lat, t->path[k].lon, prefix);
	}
	/* every language of the tour at every stop and in every announcement */
	for (unsigned l = 0; langs_ok && l < t->n_langs; l++) {
		for (unsigned k = 0; k < t->n_stops; k++) {
			unsigned si = t->stops[k];
			const struct route_stop *s = &r->stops[si];
			bool dup = false;
			for (unsigned j = 0; j < k; j++)
				dup = dup || t->stops[j] == si;
			if (dup || route_stop_clip(s, t->langs[l]))
				continue;
			route_diag_add(
				c->diags, ERR, r->file,
				or_loc(route_index_loc(c->ix, "stops[%u].clips", si), s->loc),
				"stop '%s' has no '%s' clip, but tour '%s' is narrated in '%s'",
				s->id, t->langs[l], t->id, t->langs[l]);
		}
		for (int a = 0; a < ROUTE_ANNOUNCE_COUNT; a++) {
			if (!t->n_announcements[a])
				continue;
			bool have = false;
			for (unsigned k = 0; k < t->n_announcements[a]; k++)
				have = have ||
				       strcmp(t->announcements[a][k].lang, t->langs[l]) == 0;
			const char *kind =
				route_announcement_to_str((enum route_announcement_kind)a);
			if (!have)
				route_diag_add(c->diags, ERR, r->file,
					       route_index_loc(c->ix, "tours[%u].announcements.%s",
							       i, kind),
					       "%s announcement of tour '%s' has no '%s' clip",
					       kind, t->id, t->langs[l]);
		}
	}
	for (int a = 0; a < ROUTE_ANNOUNCE_COUNT; a++)
		for (unsigned k = 0; k < t->n_announcements[a]; k++)
			check_clip(c, r, &t->announcements[a][k]);
	if (t->music)
		check_clip(c, r, t->music);
}

void
route_check(struct route *r, struct route_check_ctx *c)
{
	for (unsigned i = 0; i < r->n_stops; i++)
		check_stop(c, r, i);
	for (unsigned i = 0; i < r->n_tours; i++)
		check_tour(c, r, i);
	/* geometry of tours last: it needs fences and clip durations */
	for (unsigned i = 0; i < r->n_tours; i++) {
		check_transits(c, r, &r->tours[i], i);
		check_overlaps(c, r, &r->tours[i]);
		check_start_zone(c, r, &r->tours[i], i);
	}
}
