/* The validation pass: everything the schema cannot express, checked once
 * over the converted route, each finding with the line and column of what the
 * curator wrote. */
#include "routes/route_internal.h"

#include "routes/geo.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
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

/* At most n characters (not bytes) of a UTF-8 text, "..." after a cut. */
static void
fmt_excerpt(char *buf, size_t len, const char *text, unsigned n)
{
	size_t b = 0;
	unsigned chars = 0;
	while (text[b] && chars < n) {
		b++;
		while ((text[b] & 0xc0) == 0x80)
			b++;
		chars++;
	}
	snprintf(buf, len, "%.*s%s", (int)b, text, text[b] ? "..." : "");
}

/* A clip whose record of its text (spoken, freed here) differs from its
 * `text:` was made from an older text. */
static void
check_spoken(struct route_check_ctx *c, const struct route *r, const struct route_clip *clip,
	     struct route_loc text_loc, char *spoken)
{
	if (spoken && clip->transcript && strcmp(spoken, clip->transcript) != 0) {
		char was[256];
		fmt_excerpt(was, sizeof(was), spoken, 40);
		route_diag_add(c->diags, WARN, r->file, or_loc(text_loc, clip->loc),
			       "clip '%s' was made from an older text (\"%s\"): make it "
			       "again from this one, or record it anew",
			       clip->file, was);
	}
	free(spoken);
}

/* text_loc: where the clip's `text:` is written (the warning about a clip
 * made from an older text points there). */
static void
check_clip(struct route_check_ctx *c, const struct route *r, struct route_clip *clip,
	   struct route_loc text_loc)
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
	if (c->opts->probe_info) {
		struct route_clip_probe info = {.duration_ms = -1};
		if (c->opts->probe_info(c->opts->probe_ctx, clip->path, &info, err, sizeof(err)) <
		    0) {
			route_diag_add(c->diags, ERR, r->file, clip->loc,
				       "clip file '%s' cannot be played: %s", clip->file,
				       err[0] ? err : "undecodable");
			return;
		}
		clip->duration_ms = info.duration_ms;
		clip->gain = info.has_gain ? ROUTE_GAIN_MEASURED : ROUTE_GAIN_NONE;
		clip->played_lufs = info.played_lufs;
		clip->target_lufs = info.target_lufs;
		check_spoken(c, r, clip, text_loc, info.text);
		return;
	}
	if (c->opts->probe_text) {
		int64_t ms = -1;
		char *spoken = NULL;
		if (c->opts->probe_text(c->opts->probe_ctx, clip->path, &ms, &spoken, err,
					sizeof(err)) < 0) {
			route_diag_add(c->diags, ERR, r->file, clip->loc,
				       "clip file '%s' cannot be played: %s", clip->file,
				       err[0] ? err : "undecodable");
			return;
		}
		clip->duration_ms = ms;
		check_spoken(c, r, clip, text_loc, spoken);
		return;
	}
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

/* The path sampled every `step` metres (walking the segments with a cursor),
 * with the heading of travel at each sample and the bounding box of every
 * SAMPLE_CHUNK consecutive samples, so that looking for a fence skips the
 * parts of a long path that are nowhere near it. */
#define SAMPLE_CHUNK 64
#define SAMPLE_STEP_MAX_M 2.0 /* fine enough for the smallest sensible fence */

struct samples {
	struct geo_proj p;
	double len, step;
	size_t n;
	struct geo_xy *xy;
	double *heading;
	struct geo_xy *box; /* box[2c] min corner, box[2c + 1] max corner of chunk c */
};

static void
samples_free(struct samples *sm)
{
	free(sm->xy);
	free(sm->heading);
	free(sm->box);
}

static int
samples_init(struct samples *sm, const struct route_tour *t)
{
	memset(sm, 0, sizeof(*sm));
	if (!t->path || t->n_path < 2 || !(t->speed_kmh > 0))
		return -EINVAL;
	for (unsigned i = 0; i < t->n_path; i++)
		if (!(fabs(t->path[i].lat) <= 90 && fabs(t->path[i].lon) <= 180))
			return -EINVAL;
	geo_proj_init(&sm->p, t->path[0].lat, t->path[0].lon);
	struct geo_xy *pts = calloc(t->n_path, sizeof(*pts));
	double *cum = calloc(t->n_path, sizeof(*cum));
	if (!pts || !cum)
		goto nomem;
	for (unsigned i = 0; i < t->n_path; i++)
		pts[i] = geo_project(&sm->p, t->path[i].lat, t->path[i].lon);
	geo_polyline_lengths(pts, t->n_path, cum);
	sm->len = cum[t->n_path - 1];
	/* 1 m on a short path, at most 2 m on a city-wide one (a 10,000-stop
	 * route drives hundreds of kilometres: len / 20000 would step over a
	 * 25 m geofence) */
	sm->step = fmax(1.0, fmin(sm->len / 20000.0, SAMPLE_STEP_MAX_M));
	sm->n = (size_t)(sm->len / sm->step) + 1;
	size_t n_chunks = (sm->n + SAMPLE_CHUNK - 1) / SAMPLE_CHUNK;
	sm->xy = calloc(sm->n, sizeof(*sm->xy));
	sm->heading = calloc(sm->n, sizeof(*sm->heading));
	sm->box = calloc(2 * n_chunks, sizeof(*sm->box));
	if (!sm->xy || !sm->heading || !sm->box)
		goto nomem;
	for (size_t i = 0, seg = 0; i < sm->n; i++) {
		double d = fmin(sm->len, (double)i * sm->step);
		while (seg + 2 < t->n_path && cum[seg + 1] < d)
			seg++;
		double sl = cum[seg + 1] - cum[seg];
		double u = sl > 0 ? (d - cum[seg]) / sl : 0;
		struct geo_xy q = {pts[seg].x + u * (pts[seg + 1].x - pts[seg].x),
				   pts[seg].y + u * (pts[seg + 1].y - pts[seg].y)};
		sm->xy[i] = q;
		sm->heading[i] =
			fmod(atan2(pts[seg + 1].x - pts[seg].x, pts[seg + 1].y - pts[seg].y) * 180 /
					     M_PI +
				     360.0,
			     360.0);
		struct geo_xy *b = &sm->box[2 * (i / SAMPLE_CHUNK)];
		if (i % SAMPLE_CHUNK == 0) {
			b[0] = b[1] = q;
		} else {
			b[0] = (struct geo_xy){fmin(b[0].x, q.x), fmin(b[0].y, q.y)};
			b[1] = (struct geo_xy){fmax(b[1].x, q.x), fmax(b[1].y, q.y)};
		}
	}
	free(pts);
	free(cum);
	return 0;
nomem:
	free(pts);
	free(cum);
	samples_free(sm);
	return -ENOMEM;
}

/* Distance from point c to the box of chunk k (0 inside). */
static double
chunk_distance(const struct samples *sm, size_t k, struct geo_xy c)
{
	const struct geo_xy *b = &sm->box[2 * k];
	double dx = fmax(0, fmax(b[0].x - c.x, c.x - b[1].x));
	double dy = fmax(0, fmax(b[0].y - c.y, c.y - b[1].y));
	return hypot(dx, dy);
}

static bool
heading_ok(const struct route_stop *s, double heading)
{
	return !s->heading.set ||
	       geo_heading_diff(heading, s->heading.deg) <= s->heading.tolerance_deg;
}

/* The first sample at or after `from` inside fence f (and in the stop's
 * heading window when `window`); sm->n when there is none. */
static size_t
find_entry(const struct samples *sm, const struct fence_xy *f, const struct route_stop *s,
	   size_t from, bool window)
{
	double reach = f->r + 1e-6;
	for (size_t k = from / SAMPLE_CHUNK; k * SAMPLE_CHUNK < sm->n; k++) {
		if (chunk_distance(sm, k, f->c) > reach)
			continue;
		size_t end = fmin(sm->n, (k + 1) * SAMPLE_CHUNK);
		for (size_t i = fmax(from, k * SAMPLE_CHUNK); i < end; i++) {
			if (hypot(sm->xy[i].x - f->c.x, sm->xy[i].y - f->c.y) > reach ||
			    !fence_xy_contains(f, sm->xy[i]))
				continue;
			if (!window || heading_ok(s, sm->heading[i]))
				return i;
		}
	}
	return sm->n;
}

/* The nearest the path comes to fence f (0 when it enters it), and where. */
static double
nearest_approach(const struct samples *sm, const struct fence_xy *f, size_t *at)
{
	double best = INFINITY;
	*at = 0;
	for (size_t k = 0; k * SAMPLE_CHUNK < sm->n; k++) {
		if (chunk_distance(sm, k, f->c) - f->r >= best)
			continue;
		size_t end = fmin(sm->n, (k + 1) * SAMPLE_CHUNK);
		for (size_t i = k * SAMPLE_CHUNK; i < end; i++) {
			struct geo_xy q = sm->xy[i];
			double d = f->circle ? hypot(q.x - f->c.x, q.y - f->c.y) - f->r
				   : fence_xy_contains(f, q)
					   ? 0
					   : geo_polygon_edge_distance(f->ring, f->n, q);
			if (d < best) {
				best = fmax(0, d);
				*at = i;
			}
		}
	}
	return best;
}

/* Channels mode's airtime of a stop: its longest clip in the tour's
 * languages (they all play at once); -1 when one is of unknown length. */
static int64_t
transit_longest_ms(const struct route_stop *s, const struct route_tour *t)
{
	int64_t longest = 0;
	for (unsigned l = 0; l < t->n_langs; l++) {
		const struct route_clip *clip = route_stop_clip(s, t->langs[l]);
		if (!clip || clip->duration_ms < 0)
			return -1;
		longest = clip->duration_ms > longest ? clip->duration_ms : longest;
	}
	return longest;
}

static int
transits(const struct route *r, const struct route_tour *t, const struct samples *sm,
	 struct route_transit *out, size_t *from_out)
{
	double v = t->speed_kmh / 3.6;
	double prev_exit = 0;
	size_t from = 0;

	for (unsigned k = 0; k < t->n_stops; k++) {
		const struct route_stop *s = &r->stops[t->stops[k]];
		struct route_transit *o = &out[k];
		struct fence_xy f;
		memset(o, 0, sizeof(*o));
		if (from_out)
			from_out[k] = from;
		o->narration_ms = 0;
		for (unsigned l = 0; l < t->n_langs; l++) {
			const struct route_clip *clip = route_stop_clip(s, t->langs[l]);
			if (!clip || clip->duration_ms < 0 || o->narration_ms < 0)
				o->narration_ms = -1;
			else
				o->narration_ms += clip->duration_ms;
		}
		o->longest_ms = transit_longest_ms(s, t);
		if (!fence_usable(&s->fence))
			continue;
		if (fence_xy_init(&f, &sm->p, &s->fence, 0) < 0)
			return -ENOMEM;
		size_t i = find_entry(sm, &f, s, from, true);
		if (i < sm->n) {
			size_t e = i;
			while (e + 1 < sm->n && fence_xy_contains(&f, sm->xy[e + 1]))
				e++;
			o->found = true;
			o->enter_m = fmin(sm->len, (double)i * sm->step);
			o->exit_m = fmin(sm->len, (double)e * sm->step);
			from = e;
		}
		free(f.ring);
		if (!o->found)
			continue;
		double lead = fmax(s->lead_m, s->lead_s * v);
		o->approach_m = fmax(0, fmin(lead, o->enter_m - prev_exit));
		o->seconds = (o->exit_m - o->enter_m + o->approach_m) / v;
		prev_exit = o->exit_m;
	}
	return 0;
}

int
route_tour_transits(const struct route *r, const struct route_tour *t, struct route_transit *out)
{
	struct samples sm;
	int rc = samples_init(&sm, t);
	if (rc < 0)
		return rc;
	rc = transits(r, t, &sm, out, NULL);
	samples_free(&sm);
	return rc;
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

/* first[i]: the first of the n items (ids at `offset`, `stride` bytes
 * apart) with item i's id; i when it is the first.  NULL on OOM. */
static unsigned *
first_with_id(const void *items, size_t stride, size_t offset, unsigned n)
{
	struct route_id_entry *e = route_ids_sorted(items, stride, offset, n);
	unsigned *first = calloc(n ? n : 1, sizeof(*first));
	if (!e || !first) {
		free(e);
		free(first);
		return NULL;
	}
	for (unsigned k = 0; k < n; k++)
		first[e[k].i] = k && strcmp(e[k].id, e[k - 1].id) == 0 ? first[e[k - 1].i] : e[k].i;
	free(e);
	return first;
}

static void
check_stop(struct route_check_ctx *c, struct route *r, unsigned i, unsigned first)
{
	struct route_stop *s = &r->stops[i];

	if (first != i)
		route_diag_add(c->diags, ERR, r->file, route_index_loc(c->ix, "stops[%u].id", i),
			       "duplicate stop id '%s' (first used on line %u)", s->id,
			       route_index_loc(c->ix, "stops[%u].id", first).line);
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
	if (s->max_volume != -1 && !(s->max_volume >= 0 && s->max_volume <= 100))
		route_diag_add(c->diags, ERR, r->file,
			       route_index_loc(c->ix, "stops[%u].max_volume", i),
			       "max_volume must be between 0 and 100 (got %g)", s->max_volume);
	for (unsigned k = 0; k < s->n_clips; k++)
		check_clip(c, r, &s->clips[k],
			   route_index_loc(c->ix, "stops[%u].clips.%s.text", i, s->clips[k].lang));
}

/* Metres along a path for a message: "850 m", "12.4 km". */
static void
fmt_along(char *buf, size_t len, double m)
{
	if (m < 10000)
		snprintf(buf, len, "%.0f m", m);
	else
		snprintf(buf, len, "%.1f km", m / 1000);
}

/* Why stop k of tour t was not found on the path after sample `from`:
 * the path misses the fence (by how much, where), reaches it only before
 * the previous stop (wrong order), or only outside its heading window. */
static void
explain_miss(struct route_check_ctx *c, const struct route *r, const struct route_tour *t,
	     const struct samples *sm, const struct route_transit *tr, unsigned k, size_t from)
{
	const struct route_stop *s = &r->stops[t->stops[k]];
	char why[256], at[32], at2[32], after[96] = "";
	struct fence_xy f;
	int prev = -1; /* the last stop found before k: the search began at its exit */

	for (unsigned j = 0; j < k; j++)
		if (tr[j].found)
			prev = (int)j;
	if (prev >= 0)
		snprintf(after, sizeof(after), " after stop '%s'", r->stops[t->stops[prev]].id);
	if (fence_xy_init(&f, &sm->p, &s->fence, 0) < 0)
		return;
	size_t before = find_entry(sm, &f, s, 0, true);
	size_t wrong = find_entry(sm, &f, s, from, false);
	if (wrong == sm->n)
		wrong = find_entry(sm, &f, s, 0, false);
	if (before < from && prev >= 0) {
		fmt_along(at, sizeof(at), (double)before * sm->step);
		fmt_along(at2, sizeof(at2), tr[prev].enter_m);
		snprintf(why, sizeof(why),
			 "it passes through it only before, at %s along the path (stop '%s' at "
			 "%s): the stops are in the wrong order",
			 at, r->stops[t->stops[prev]].id, at2);
	} else if (wrong < sm->n) {
		fmt_along(at, sizeof(at), (double)wrong * sm->step);
		snprintf(why, sizeof(why),
			 "it passes through it only heading %.0f deg, at %s along the path, "
			 "outside the stop's heading window of %g +/- %g deg",
			 sm->heading[wrong], at, s->heading.deg, s->heading.tolerance_deg);
	} else {
		size_t i;
		double d = nearest_approach(sm, &f, &i);
		fmt_along(at, sizeof(at), (double)i * sm->step);
		snprintf(why, sizeof(why),
			 "it misses it by %.0f m at the nearest approach (%s along the path)",
			 fmax(1, round(d)), at);
	}
	free(f.ring);
	route_diag_add(c->diags, ERR, r->file, s->loc,
		       "the path of tour '%s' does not pass through the geofence of stop '%s'%s: "
		       "%s",
		       t->id, s->id, after, why);
}

static void
check_transits(struct route_check_ctx *c, const struct route *r, const struct route_tour *t)
{
	struct samples sm;
	struct route_transit *tr = calloc(t->n_stops ? t->n_stops : 1, sizeof(*tr));
	size_t *from = calloc(t->n_stops ? t->n_stops : 1, sizeof(*from));
	if (!tr || !from || samples_init(&sm, t) < 0) {
		free(tr);
		free(from);
		return;
	}
	if (transits(r, t, &sm, tr, from) < 0)
		goto out;
	for (unsigned k = 0; k < t->n_stops; k++) {
		const struct route_stop *s = &r->stops[t->stops[k]];
		unsigned si = t->stops[k];
		if (!fence_usable(&s->fence) ||
		    (s->heading.set &&
		     !(s->heading.deg >= 0 && s->heading.deg <= 360 &&
		       s->heading.tolerance_deg > 0 && s->heading.tolerance_deg <= 180)))
			continue; /* already reported */
		if (!tr[k].found) {
			explain_miss(c, r, t, &sm, tr, k, from[k]);
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
out:
	samples_free(&sm);
	free(tr);
	free(from);
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

/* A stop of a tour for the overlap sweep. */
struct sweep_item {
	unsigned k; /* position in the tour */
	double lat;
};

static int
sweep_cmp(const void *a, const void *b)
{
	const struct sweep_item *x = a, *y = b;
	return (x->lat > y->lat) - (x->lat < y->lat);
}

struct overlap_pair {
	unsigned a, b; /* tour positions, a < b */
};

static int
pair_cmp(const void *p, const void *q)
{
	const struct overlap_pair *x = p, *y = q;
	if (x->a != y->a)
		return (x->a > y->a) - (x->a < y->a);
	return (x->b > y->b) - (x->b < y->b);
}

static bool
stops_overlap(const struct route_stop *sa, const struct route_stop *sb)
{
	if (geo_distance_m(sa->fence.center.lat, sa->fence.center.lon, sb->fence.center.lat,
			   sb->fence.center.lon) >= sa->fence.radius_m + sb->fence.radius_m)
		return false; /* bounding circles apart */
	struct geo_proj p;
	struct fence_xy fa, fb;
	bool circles = sa->fence.kind == ROUTE_FENCE_CIRCLE && sb->fence.kind == ROUTE_FENCE_CIRCLE;
	geo_proj_init(&p, sa->fence.center.lat, sa->fence.center.lon);
	if (fence_xy_init(&fa, &p, &sa->fence, circles ? 0 : 64) < 0)
		return false;
	if (fence_xy_init(&fb, &p, &sb->fence, circles ? 0 : 64) < 0) {
		free(fa.ring);
		return false;
	}
	bool overlap = fences_overlap(&fa, &fb);
	free(fa.ring);
	free(fb.ring);
	return overlap;
}

/* Pairs of geofences of one tour that overlap, by a sweep over the stops
 * sorted by latitude: only stops whose bounding circles could meet north to
 * south are compared (every pair of a 10,000-stop tour would be 50 million). */
static void
check_overlaps(struct route_check_ctx *c, const struct route *r, const struct route_tour *t)
{
	/* metres per degree of latitude on the sphere of geo_distance_m, a
	 * little less: a lower bound of the distance between two latitudes */
	const double m_per_deg = GEO_EARTH_RADIUS_M * M_PI / 180 * 0.999;
	struct sweep_item *it = calloc(t->n_stops + 1, sizeof(*it));
	bool *seen = calloc(r->n_stops + 1, sizeof(bool));
	struct overlap_pair *pairs = NULL;
	size_t n_pairs = 0, cap = 0;
	unsigned n = 0;
	double r_max = 0;

	if (!it || !seen)
		goto out;
	/* a stop visited twice is compared once, at its first visit */
	for (unsigned k = 0; k < t->n_stops; k++) {
		const struct route_stop *s = &r->stops[t->stops[k]];
		if (seen[t->stops[k]] || !fence_usable(&s->fence))
			continue;
		seen[t->stops[k]] = true;
		it[n++] = (struct sweep_item){k, s->fence.center.lat};
		r_max = fmax(r_max, s->fence.radius_m);
	}
	qsort(it, n, sizeof(*it), sweep_cmp);
	for (unsigned i = 0; i < n; i++) {
		const struct route_stop *si = &r->stops[t->stops[it[i].k]];
		for (unsigned j = i + 1; j < n; j++) {
			if ((it[j].lat - it[i].lat) * m_per_deg >= si->fence.radius_m + r_max)
				break;
			const struct route_stop *sj = &r->stops[t->stops[it[j].k]];
			if (!stops_overlap(si, sj))
				continue;
			if (n_pairs == cap) {
				cap = cap ? 2 * cap : 16;
				struct overlap_pair *np = realloc(pairs, cap * sizeof(*np));
				if (!np)
					goto out;
				pairs = np;
			}
			unsigned a = it[i].k, b = it[j].k;
			pairs[n_pairs++] =
				a < b ? (struct overlap_pair){a, b} : (struct overlap_pair){b, a};
		}
	}
	/* in tour order, the later stop named second */
	if (n_pairs)
		qsort(pairs, n_pairs, sizeof(*pairs), pair_cmp);
	for (size_t p = 0; p < n_pairs; p++) {
		const struct route_stop *sa = &r->stops[t->stops[pairs[p].a]];
		const struct route_stop *sb = &r->stops[t->stops[pairs[p].b]];
		unsigned si = t->stops[pairs[p].b];
		struct route_loc loc = route_index_loc(
			c->ix, "stops[%u].%s", si,
			sb->fence.kind == ROUTE_FENCE_CIRCLE ? "circle" : "polygon");
		route_diag_add(c->diags, WARN, r->file, or_loc(loc, sb->loc),
			       "geofences of stops '%s' and '%s' overlap (both on tour '%s'): the "
			       "later one may cut the earlier",
			       sa->id, sb->id, t->id);
	}
out:
	free(it);
	free(seen);
	free(pairs);
}

static void
check_tour(struct route_check_ctx *c, struct route *r, unsigned i, unsigned first, bool *seen)
{
	struct route_tour *t = &r->tours[i];
	char prefix[64];

	if (first != i)
		route_diag_add(c->diags, ERR, r->file, route_index_loc(c->ix, "tours[%u].id", i),
			       "duplicate tour id '%s' (first used on line %u)", t->id,
			       route_index_loc(c->ix, "tours[%u].id", first).line);
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
	for (unsigned l = 0; langs_ok && seen && l < t->n_langs; l++) {
		/* seen[]: stops of this tour already looked at, for this language */
		memset(seen, 0, r->n_stops * sizeof(*seen));
		for (unsigned k = 0; k < t->n_stops; k++) {
			unsigned si = t->stops[k];
			const struct route_stop *s = &r->stops[si];
			bool dup = seen[si];
			seen[si] = true;
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
			check_clip(c, r, &t->announcements[a][k],
				   route_index_loc(c->ix, "tours[%u].announcements.%s.%s.text", i,
						   route_announcement_to_str(
							   (enum route_announcement_kind)a),
						   t->announcements[a][k].lang));
	if (t->music)
		check_clip(c, r, t->music, route_index_loc(c->ix, "tours[%u].music.text", i));
}

/* ---- loudness (issue 17) --------------------------------------------------- */

/* Calls fn for every clip of the route: the stops', then each tour's
 * announcements and music. */
static void
each_clip(const struct route *r, void (*fn)(const struct route_clip *clip, void *arg), void *arg)
{
	for (unsigned i = 0; i < r->n_stops; i++)
		for (unsigned k = 0; k < r->stops[i].n_clips; k++)
			fn(&r->stops[i].clips[k], arg);
	for (unsigned i = 0; i < r->n_tours; i++) {
		const struct route_tour *t = &r->tours[i];
		for (unsigned a = 0; a < ROUTE_ANNOUNCE_COUNT; a++)
			for (unsigned k = 0; k < t->n_announcements[a]; k++)
				fn(&t->announcements[a][k], arg);
		if (t->music)
			fn(t->music, arg);
	}
}

static bool
off_target(const struct route_clip *clip)
{
	return clip->gain == ROUTE_GAIN_MEASURED &&
	       fabs(clip->played_lufs - clip->target_lufs) > ROUTE_GAIN_TOLERANCE_LU;
}

static void
count_gain(const struct route_clip *clip, void *arg)
{
	struct route_gain_summary *s = arg;
	s->clips++;
	s->measured += clip->gain == ROUTE_GAIN_MEASURED;
	s->unmeasured += clip->gain == ROUTE_GAIN_NONE;
	s->off_target += off_target(clip);
}

void
route_gain_summary(const struct route *r, struct route_gain_summary *out)
{
	*out = (struct route_gain_summary){0};
	each_clip(r, count_gain, out);
}

struct gain_check {
	struct route_check_ctx *c;
	const struct route *r;
};

static void
warn_off_target(const struct route_clip *clip, void *arg)
{
	const struct gain_check *g = arg;
	if (!off_target(clip))
		return;
	double d = clip->played_lufs - clip->target_lufs;
	route_diag_add(g->c->diags, WARN, g->r->file, clip->loc,
		       "clip '%s' plays at %.1f LUFS, %.1f LU %s the %.0f LUFS of the other clips "
		       "even after its loudness gain: %s",
		       clip->file, clip->played_lufs, fabs(d), d < 0 ? "below" : "above",
		       clip->target_lufs,
		       d < 0 ? "record it louder (the guide boosts a clip by a limited amount)"
			     : "measure it again (guide-route gain) and make it again");
}

/* Clips whose measured gain still leaves them far from the target: a
 * warning each.  Clips without a gain are not warned about one by one:
 * `guide-route check` counts them in its summary (route_gain_summary). */
static void
check_gains(struct route_check_ctx *c, const struct route *r)
{
	struct gain_check g = {c, r};
	each_clip(r, warn_off_target, &g);
}

void
route_check(struct route *r, struct route_check_ctx *c)
{
	unsigned *first_stop = first_with_id(r->stops, sizeof(*r->stops),
					     offsetof(struct route_stop, id), r->n_stops);
	unsigned *first_tour = first_with_id(r->tours, sizeof(*r->tours),
					     offsetof(struct route_tour, id), r->n_tours);
	bool *seen = calloc(r->n_stops ? r->n_stops : 1, sizeof(*seen));

	for (unsigned i = 0; i < r->n_stops; i++)
		check_stop(c, r, i, first_stop ? first_stop[i] : i);
	for (unsigned i = 0; i < r->n_tours; i++)
		check_tour(c, r, i, first_tour ? first_tour[i] : i, seen);
	/* a stop no tour names is never told (a duplicate id is an error already) */
	if (seen) {
		memset(seen, 0, r->n_stops * sizeof(*seen));
		for (unsigned i = 0; i < r->n_tours; i++)
			for (unsigned k = 0; k < r->tours[i].n_stops; k++)
				seen[r->tours[i].stops[k]] = true;
		for (unsigned i = 0; i < r->n_stops; i++)
			if (!seen[i] && (!first_stop || first_stop[i] == i))
				route_diag_add(
					c->diags, WARN, r->file, r->stops[i].loc,
					"stop '%s' is on no tour: it is never told (add it to "
					"a tour's stops:, or remove it)",
					r->stops[i].id);
	}
	check_gains(c, r);
	/* geometry of tours last: it needs fences and clip durations */
	for (unsigned i = 0; i < r->n_tours; i++) {
		check_transits(c, r, &r->tours[i]);
		check_overlaps(c, r, &r->tours[i]);
		check_start_zone(c, r, &r->tours[i], i);
	}
	free(first_stop);
	free(first_tour);
	free(seen);
}
