#include "guide/trigger.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEG (M_PI / 180.0)

/* ======================================================================
 * 1. spatial index: a uniform grid, cells in CSR form
 * ==================================================================== */

struct zone {
	double minx, miny, maxx, maxy; /* bounding box, without margin */
	double cx, cy, r;              /* circle */
	uint32_t ring, n;              /* polygon: offset into ix->rings, count; n == 0: circle */
};

struct trigger_index {
	double max_margin;
	struct zone *zones;
	size_t n_zones, cap_zones;
	struct geo_xy *rings;
	size_t n_rings, cap_rings;
	/* grid */
	bool built;
	double gx0, gy0, cell;
	uint32_t nx, ny;
	uint32_t *cell_start; /* nx * ny + 1 */
	uint32_t *cell_items;
};

struct trigger_index *
trigger_index_create(double max_margin_m)
{
	struct trigger_index *ix = calloc(1, sizeof(*ix));
	if (!ix)
		return NULL;
	ix->max_margin = max_margin_m > 0 ? max_margin_m : 0;
	return ix;
}

void
trigger_index_destroy(struct trigger_index *ix)
{
	if (!ix)
		return;
	free(ix->zones);
	free(ix->rings);
	free(ix->cell_start);
	free(ix->cell_items);
	free(ix);
}

static struct zone *
index_new_zone(struct trigger_index *ix)
{
	if (ix->n_zones == ix->cap_zones) {
		size_t cap = ix->cap_zones ? ix->cap_zones * 2 : 16;
		struct zone *z = realloc(ix->zones, cap * sizeof(*z));
		if (!z)
			return NULL;
		ix->zones = z;
		ix->cap_zones = cap;
	}
	ix->built = false;
	struct zone *z = &ix->zones[ix->n_zones];
	memset(z, 0, sizeof(*z));
	return z;
}

int
trigger_index_add_circle(struct trigger_index *ix, struct geo_xy c, double r)
{
	if (!(r >= 0) || !isfinite(c.x) || !isfinite(c.y) || ix->n_zones >= UINT32_MAX - 1)
		return -EINVAL;
	struct zone *z = index_new_zone(ix);
	if (!z)
		return -ENOMEM;
	z->cx = c.x;
	z->cy = c.y;
	z->r = r;
	z->minx = c.x - r;
	z->maxx = c.x + r;
	z->miny = c.y - r;
	z->maxy = c.y + r;
	return (int)ix->n_zones++;
}

int
trigger_index_add_polygon(struct trigger_index *ix, const struct geo_xy *ring, size_t n)
{
	if (n < 3 || n > UINT32_MAX || ix->n_zones >= UINT32_MAX - 1)
		return -EINVAL;
	if (ix->n_rings + n > ix->cap_rings) {
		size_t cap = ix->cap_rings ? ix->cap_rings : 64;
		while (cap < ix->n_rings + n)
			cap *= 2;
		struct geo_xy *p = realloc(ix->rings, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		ix->rings = p;
		ix->cap_rings = cap;
	}
	struct zone *z = index_new_zone(ix);
	if (!z)
		return -ENOMEM;
	z->minx = z->miny = INFINITY;
	z->maxx = z->maxy = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(ring[i].x) || !isfinite(ring[i].y))
			return -EINVAL;
		z->minx = fmin(z->minx, ring[i].x);
		z->maxx = fmax(z->maxx, ring[i].x);
		z->miny = fmin(z->miny, ring[i].y);
		z->maxy = fmax(z->maxy, ring[i].y);
	}
	z->ring = (uint32_t)ix->n_rings;
	z->n = (uint32_t)n;
	z->cx = (z->minx + z->maxx) / 2;
	z->cy = (z->miny + z->maxy) / 2;
	memcpy(ix->rings + ix->n_rings, ring, n * sizeof(*ring));
	ix->n_rings += n;
	return (int)ix->n_zones++;
}

size_t
trigger_index_count(const struct trigger_index *ix)
{
	return ix->n_zones;
}

static void
cell_range(const struct trigger_index *ix, const struct zone *z, uint32_t *x0, uint32_t *y0,
	   uint32_t *x1, uint32_t *y1)
{
	double m = ix->max_margin;
	*x0 = (uint32_t)((z->minx - m - ix->gx0) / ix->cell);
	*y0 = (uint32_t)((z->miny - m - ix->gy0) / ix->cell);
	*x1 = (uint32_t)((z->maxx + m - ix->gx0) / ix->cell);
	*y1 = (uint32_t)((z->maxy + m - ix->gy0) / ix->cell);
	if (*x1 >= ix->nx)
		*x1 = ix->nx - 1;
	if (*y1 >= ix->ny)
		*y1 = ix->ny - 1;
}

int
trigger_index_build(struct trigger_index *ix)
{
	free(ix->cell_start);
	free(ix->cell_items);
	ix->cell_start = NULL;
	ix->cell_items = NULL;
	ix->built = false;

	double m = ix->max_margin;
	double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
	double sum_ext = 0;
	for (size_t i = 0; i < ix->n_zones; i++) {
		const struct zone *z = &ix->zones[i];
		minx = fmin(minx, z->minx - m);
		miny = fmin(miny, z->miny - m);
		maxx = fmax(maxx, z->maxx + m);
		maxy = fmax(maxy, z->maxy + m);
		sum_ext += fmax(z->maxx - z->minx, z->maxy - z->miny) + 2 * m;
	}
	if (ix->n_zones == 0) {
		minx = miny = 0;
		maxx = maxy = 1;
		sum_ext = 1;
	}
	/* cells about the size of a zone (with margin): each query looks at a
	 * handful of candidates; at most ~4M cells */
	double cell = fmax(sum_ext / (double)(ix->n_zones ? ix->n_zones : 1), 1.0);
	double w = maxx - minx, h = maxy - miny;
	double min_cell = sqrt(w * h / 4.0e6);
	if (cell < min_cell)
		cell = min_cell;
	if (cell < fmax(w, h) / 65535.0)
		cell = fmax(w, h) / 65535.0;
	ix->gx0 = minx;
	ix->gy0 = miny;
	ix->cell = cell;
	ix->nx = (uint32_t)(w / cell) + 1;
	ix->ny = (uint32_t)(h / cell) + 1;
	size_t n_cells = (size_t)ix->nx * ix->ny;

	ix->cell_start = calloc(n_cells + 1, sizeof(uint32_t));
	if (!ix->cell_start)
		return -ENOMEM;
	size_t total = 0;
	for (size_t i = 0; i < ix->n_zones; i++) {
		uint32_t x0, y0, x1, y1;
		cell_range(ix, &ix->zones[i], &x0, &y0, &x1, &y1);
		for (uint32_t y = y0; y <= y1; y++)
			for (uint32_t x = x0; x <= x1; x++)
				ix->cell_start[(size_t)y * ix->nx + x + 1]++;
		total += (size_t)(x1 - x0 + 1) * (y1 - y0 + 1);
	}
	if (total > UINT32_MAX)
		return -ENOMEM;
	for (size_t c = 0; c < n_cells; c++)
		ix->cell_start[c + 1] += ix->cell_start[c];
	ix->cell_items = malloc((total ? total : 1) * sizeof(uint32_t));
	uint32_t *fill = malloc(n_cells * sizeof(uint32_t));
	if (!ix->cell_items || !fill) {
		free(fill);
		return -ENOMEM;
	}
	memcpy(fill, ix->cell_start, n_cells * sizeof(uint32_t));
	for (size_t i = 0; i < ix->n_zones; i++) {
		uint32_t x0, y0, x1, y1;
		cell_range(ix, &ix->zones[i], &x0, &y0, &x1, &y1);
		for (uint32_t y = y0; y <= y1; y++)
			for (uint32_t x = x0; x <= x1; x++)
				ix->cell_items[fill[(size_t)y * ix->nx + x]++] = (uint32_t)i;
	}
	free(fill);
	ix->built = true;
	return 0;
}

static bool
zone_test(const struct trigger_index *ix, const struct zone *z, struct geo_xy p, double margin,
	  double *dist)
{
	if (p.x < z->minx - margin || p.x > z->maxx + margin || p.y < z->miny - margin ||
	    p.y > z->maxy + margin)
		return false;
	if (z->n == 0) {
		double dx = p.x - z->cx, dy = p.y - z->cy;
		double d2 = dx * dx + dy * dy, rm = z->r + margin;
		if (d2 > rm * rm)
			return false;
		*dist = sqrt(d2) - z->r;
		return true;
	}
	const struct geo_xy *ring = ix->rings + z->ring;
	if (geo_polygon_contains(ring, z->n, p)) {
		*dist = 0;
		return true;
	}
	if (margin <= 0)
		return false;
	double d = geo_polygon_edge_distance(ring, z->n, p);
	if (d > margin)
		return false;
	*dist = d;
	return true;
}

bool
trigger_index_zone_contains(const struct trigger_index *ix, uint32_t zone, struct geo_xy p,
			    double margin_m, double *dist_m)
{
	double d = INFINITY;
	if (zone >= ix->n_zones)
		return false;
	bool in = zone_test(ix, &ix->zones[zone], p, margin_m, &d);
	if (dist_m)
		*dist_m = in ? d : INFINITY;
	return in;
}

size_t
trigger_index_query(const struct trigger_index *ix, struct geo_xy p, double margin,
		    struct trigger_hit *out, size_t max)
{
	if (!ix->built || !(p.x >= ix->gx0) || !(p.y >= ix->gy0))
		return 0;
	double fx = (p.x - ix->gx0) / ix->cell, fy = (p.y - ix->gy0) / ix->cell;
	if (fx >= ix->nx || fy >= ix->ny)
		return 0;
	if (margin > ix->max_margin)
		margin = ix->max_margin;
	size_t c = (size_t)(uint32_t)fy * ix->nx + (uint32_t)fx;
	size_t n = 0;
	for (uint32_t k = ix->cell_start[c]; k < ix->cell_start[c + 1]; k++) {
		uint32_t id = ix->cell_items[k];
		double d;
		if (zone_test(ix, &ix->zones[id], p, margin, &d)) {
			if (n < max) {
				out[n].zone = id;
				out[n].dist_m = d;
			}
			n++;
		}
	}
	return n;
}

/* ======================================================================
 * 2. hysteresis
 * ==================================================================== */

struct zone_state {
	bool inside;
	bool active; /* in the active list */
	unsigned n_in, n_out;
	int64_t first_in_ms;
	uint64_t seen; /* generation of the last fix that hit it */
};

struct trigger_zones {
	const struct trigger_index *ix;
	struct trigger_hysteresis cfg;
	struct zone_state *st;
	uint32_t *active;
	size_t n_active;
	uint64_t gen;
	struct trigger_hit *hits;
	size_t cap_hits;
};

struct trigger_zones *
trigger_zones_create(const struct trigger_index *ix, const struct trigger_hysteresis *cfg)
{
	struct trigger_zones *z = calloc(1, sizeof(*z));
	if (!z)
		return NULL;
	z->ix = ix;
	z->cfg = *cfg;
	if (z->cfg.enter_fixes < 1)
		z->cfg.enter_fixes = 1;
	if (z->cfg.exit_fixes < 1)
		z->cfg.exit_fixes = 1;
	size_t n = ix->n_zones ? ix->n_zones : 1;
	z->st = calloc(n, sizeof(*z->st));
	z->active = calloc(n, sizeof(*z->active));
	z->cap_hits = 64;
	z->hits = calloc(z->cap_hits, sizeof(*z->hits));
	if (!z->st || !z->active || !z->hits) {
		trigger_zones_destroy(z);
		return NULL;
	}
	return z;
}

void
trigger_zones_destroy(struct trigger_zones *z)
{
	if (!z)
		return;
	free(z->st);
	free(z->active);
	free(z->hits);
	free(z);
}

void
trigger_zones_reset(struct trigger_zones *z)
{
	memset(z->st, 0, (z->ix->n_zones ? z->ix->n_zones : 1) * sizeof(*z->st));
	z->n_active = 0;
}

bool
trigger_zones_inside(const struct trigger_zones *z, uint32_t zone)
{
	return zone < z->ix->n_zones && z->st[zone].inside;
}

static void
zones_emit(struct trigger_zone_event *out, size_t max, size_t *n, uint32_t zone, bool enter)
{
	if (*n < max) {
		out[*n].zone = zone;
		out[*n].enter = enter;
	}
	(*n)++;
}

size_t
trigger_zones_update(struct trigger_zones *z, struct geo_xy p, int64_t now_ms,
		     struct trigger_zone_event *out, size_t max)
{
	size_t n_ev = 0;
	size_t nh = trigger_index_query(z->ix, p, z->cfg.exit_margin_m, z->hits, z->cap_hits);
	if (nh > z->cap_hits) {
		struct trigger_hit *h = realloc(z->hits, nh * sizeof(*h));
		if (h) {
			z->hits = h;
			z->cap_hits = nh;
		}
		nh = trigger_index_query(z->ix, p, z->cfg.exit_margin_m, z->hits, z->cap_hits);
		if (nh > z->cap_hits)
			nh = z->cap_hits;
	}
	z->gen++;
	for (size_t i = 0; i < nh; i++) {
		uint32_t id = z->hits[i].zone;
		struct zone_state *s = &z->st[id];
		s->seen = z->gen;
		bool in_fence = z->hits[i].dist_m <= 0;
		if (!s->active) {
			s->active = true;
			z->active[z->n_active++] = id;
		}
		if (s->inside) {
			/* inside the fence or the margin ring: still inside */
			s->n_out = 0;
			continue;
		}
		if (in_fence) {
			if (s->n_in == 0)
				s->first_in_ms = now_ms;
			s->n_in++;
			if (s->n_in >= z->cfg.enter_fixes &&
			    now_ms - s->first_in_ms >= z->cfg.enter_dwell_ms) {
				s->inside = true;
				s->n_out = 0;
				zones_emit(out, max, &n_ev, id, true);
			}
		} else {
			s->n_in = 0;
		}
	}
	/* active zones this fix did not reach: beyond the margin */
	for (size_t i = 0; i < z->n_active;) {
		uint32_t id = z->active[i];
		struct zone_state *s = &z->st[id];
		if (s->seen != z->gen) {
			s->n_in = 0;
			if (s->inside) {
				s->n_out++;
				if (s->n_out >= z->cfg.exit_fixes) {
					s->inside = false;
					s->n_out = 0;
					zones_emit(out, max, &n_ev, id, false);
				}
			}
			if (!s->inside) {
				s->active = false;
				z->active[i] = z->active[--z->n_active];
				continue;
			}
		}
		i++;
	}
	return n_ev;
}

/* ======================================================================
 * 3. the tour engine
 * ==================================================================== */

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
	int64_t last_fix_ms;   /* last accepted fix */
	int64_t last_seen_ms;  /* last fix with a position, accepted or not */
	int64_t last_step_ms;  /* last time the estimate was advanced */
	int64_t reject_since_ms;
	bool rejecting;
	bool lost;
	bool on_path;
	unsigned off_count, on_count;
	double along, cross, progress;
};

void
trigger_config_defaults(struct trigger_config *cfg)
{
	*cfg = (struct trigger_config){
		.hyst = {.enter_fixes = 2, .enter_dwell_ms = 1000, .exit_fixes = 2,
			 .exit_margin_m = 10},
		.gate_m = 25,
		.reject_reset_ms = 8000,
		.max_eph_m = 60,
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
	};
}

static void
emit(struct trigger *t, const struct trigger_event *ev)
{
	if (t->fn)
		t->fn(t->ctx, ev);
}

static bool
fence_contains(const struct trigger *t, unsigned stop, struct geo_xy p)
{
	/* the entries' zones live in t->ix; find any entry of this stop */
	for (unsigned i = 0; i < t->n_entries; i++)
		if (t->entries[i].stop == stop)
			return trigger_index_zone_contains(t->ix, t->entries[i].zone, p, 0, NULL);
	return false;
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
			struct geo_xy p = geo_polyline_point(t->path, t->cum, t->n_path, aa, &hd);
			bool in = fence_contains(t, e->stop, p) && heading_in_window(&s->heading, hd);
			if (in && !prev_in && isnan(e->stop_along)) {
				/* refine the crossing by bisection */
				double lo = fmax(from, aa - step), hi = aa;
				if (aa > from) {
					for (int k = 0; k < 20; k++) {
						double mid = (lo + hi) / 2;
						struct geo_xy q = geo_polyline_point(
							t->path, t->cum, t->n_path, mid, &hd);
						if (fence_contains(t, e->stop, q) &&
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
			struct geo_xy p = geo_polyline_point(t->path, t->cum, t->n_path, a, &hd);
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

struct trigger *
trigger_create(const struct route *r, unsigned tour_index, const struct trigger_config *cfg,
	       trigger_event_fn fn, void *ctx)
{
	if (!r || tour_index >= r->n_tours)
		return NULL;
	const struct route_tour *tour = &r->tours[tour_index];
	struct trigger *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->route = r;
	t->tour = tour;
	if (cfg)
		t->cfg = *cfg;
	else
		trigger_config_defaults(&t->cfg);
	t->fn = fn;
	t->ctx = ctx;

	/* projection origin: the path's first point, else the first stop */
	double lat0 = 0, lon0 = 0;
	if (tour->n_path) {
		lat0 = tour->path[0].lat;
		lon0 = tour->path[0].lon;
	} else if (tour->n_stops && tour->stops[0] < r->n_stops) {
		lat0 = r->stops[tour->stops[0]].fence.center.lat;
		lon0 = r->stops[tour->stops[0]].fence.center.lon;
	}
	geo_proj_init(&t->proj, lat0, lon0);

	t->n_path = tour->n_path;
	if (t->n_path) {
		t->path = calloc(t->n_path, sizeof(*t->path));
		t->cum = calloc(t->n_path, sizeof(*t->cum));
		if (!t->path || !t->cum)
			goto fail;
		for (size_t i = 0; i < t->n_path; i++)
			t->path[i] = geo_project(&t->proj, tour->path[i].lat, tour->path[i].lon);
		geo_polyline_lengths(t->path, t->n_path, t->cum);
		t->path_len = t->cum[t->n_path - 1];
	}

	t->ix = trigger_index_create(t->cfg.hyst.exit_margin_m);
	t->n_entries = tour->n_stops;
	t->entries = calloc(t->n_entries ? t->n_entries : 1, sizeof(*t->entries));
	t->zone_stop = calloc(t->n_entries ? t->n_entries : 1, sizeof(*t->zone_stop));
	if (!t->ix || !t->entries || !t->zone_stop)
		goto fail;
	/* one zone per distinct stop of the tour */
	for (unsigned i = 0; i < t->n_entries; i++) {
		unsigned si = tour->stops[i];
		if (si >= r->n_stops)
			goto fail;
		struct entry *e = &t->entries[i];
		e->stop = si;
		e->duration_ms = 0;
		bool found = false;
		for (unsigned j = 0; j < i; j++) {
			if (t->entries[j].stop == si) {
				e->zone = t->entries[j].zone;
				found = true;
				break;
			}
		}
		if (found)
			continue;
		const struct route_fence *f = &r->stops[si].fence;
		int id;
		if (f->kind == ROUTE_FENCE_POLYGON && f->n_vertices >= 3) {
			struct geo_xy *ring = calloc(f->n_vertices, sizeof(*ring));
			if (!ring)
				goto fail;
			for (unsigned k = 0; k < f->n_vertices; k++)
				ring[k] = geo_project(&t->proj, f->vertices[k].lat,
						      f->vertices[k].lon);
			id = trigger_index_add_polygon(t->ix, ring, f->n_vertices);
			free(ring);
		} else {
			id = trigger_index_add_circle(
				t->ix, geo_project(&t->proj, f->center.lat, f->center.lon),
				f->radius_m);
		}
		if (id < 0)
			goto fail;
		e->zone = (uint32_t)id;
		t->zone_stop[id] = si;
	}
	if (trigger_index_build(t->ix) < 0)
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
	size_t a = 0, b = t->n_path - 1;
	while (a + 1 < t->n_path && t->cum[a + 1] < lo)
		a++;
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

/* Project the estimate onto the path, searching near the last progress
 * first so that a path passing near itself does not pull us backwards. */
static void
update_progress(struct trigger *t, int64_t now, double step_m)
{
	if (t->n_path < 2)
		return;
	double lo = t->progress - t->cfg.path_window_m;
	double hi = t->progress + t->cfg.path_window_m + step_m;
	double cross, along = locate_window(t, t->pos, lo, hi, &cross);
	bool near = fabs(cross) <= t->cfg.off_path_m;
	if (!near) {
		/* rejoin anywhere ahead (or a little behind) of the progress */
		double c2, a2 = locate_window(t, t->pos, t->progress - 2 * t->cfg.path_window_m,
					     t->path_len + 1, &c2);
		/* ... but only going the path's way: a cart driving a loop the
		 * wrong way round is near the path's far end at once, and
		 * must not be taken to have skipped the whole tour */
		double path_hd = 0;
		geo_polyline_point(t->path, t->cum, t->n_path, a2, &path_hd);
		bool same_way = !t->heading_ok || geo_heading_diff(path_hd, t->heading) <= 90;
		if (fabs(c2) <= t->cfg.off_path_m && same_way) {
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
				t->progress = fmax(t->progress, along);
				set_on_path(t, true, now);
			}
		} else if (along > t->progress) {
			t->progress = along;
		}
	} else {
		t->on_count = 0;
		if (t->on_path && ++t->off_count >= t->cfg.off_path_fixes)
			set_on_path(t, false, now);
	}
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
		double nlead = fmax(ns->lead_m > 0 ? ns->lead_m : 0,
				    ns->lead_s > 0 ? ns->lead_s * v : 0);
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
				   .entry = i, .stop = e->stop};
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
		if (s->heading.set && !(t->heading_ok && heading_in_window(&s->heading, t->heading)))
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
	t->pos = geo_polyline_point(t->path, t->cum, t->n_path, t->progress, &hd);
	t->along = t->progress;
	t->cross = 0;
	t->vel.x = v * sin(hd * DEG);
	t->vel.y = v * cos(hd * DEG);
}

void
trigger_tick(struct trigger *t, int64_t now_ms)
{
	if (!t->have)
		return;
	int64_t since = now_ms - t->last_seen_ms;
	if (!t->lost && since >= t->cfg.lost_ms) {
		t->lost = true;
		struct trigger_event ev = {.kind = TRIGGER_GPS_LOST};
		emit(t, &ev);
	}
	if (now_ms - t->last_fix_ms >= t->cfg.lost_ms)
		dead_reckon(t, now_ms);
	check_due(t);
}

static void
reject(struct trigger *t, const struct hal_fix *fix, int64_t now, const char *reason)
{
	struct trigger_event ev = {.kind = TRIGGER_FIX_REJECTED, .lat = fix->lat,
				   .lon = fix->lon, .reason = reason};
	emit(t, &ev);
	(void)now;
}

void
trigger_on_fix(struct trigger *t, const struct hal_fix *fix, int64_t now_ms)
{
	if (!hal_fix_has_position(fix)) {
		trigger_tick(t, now_ms);
		return;
	}
	if ((fix->set & HAL_FIX_EPH) && isfinite(fix->eph) && fix->eph > t->cfg.max_eph_m) {
		t->last_seen_ms = now_ms;
		reject(t, fix, now_ms, "accuracy");
		trigger_tick(t, now_ms);
		return;
	}
	struct geo_xy p = geo_project(&t->proj, fix->lat, fix->lon);
	bool has_doppler = (fix->set & HAL_FIX_SPEED) && isfinite(fix->speed);
	bool has_track = (fix->set & HAL_FIX_TRACK) && isfinite(fix->track);
	bool was_lost = t->lost;
	t->lost = false;
	t->last_seen_ms = now_ms;

	if (!t->have) {
		t->have = true;
		t->pos = p;
		t->vel = (struct geo_xy){0, 0};
		if (has_doppler && has_track) {
			t->vel.x = fix->speed * sin(fix->track * DEG);
			t->vel.y = fix->speed * cos(fix->track * DEG);
		}
		t->last_fix_ms = t->last_step_ms = now_ms;
		t->progress = 0;
		if (t->n_path >= 2) {
			/* the tour starts at the path's beginning: look there first */
			double cross, along = locate_window(t, p, 0, 2 * t->cfg.path_window_m,
							    &cross);
			if (fabs(cross) > t->cfg.off_path_m)
				along = locate_window(t, p, 0, t->path_len + 1, &cross);
			t->along = along;
			t->cross = cross;
			t->on_path = fabs(cross) <= t->cfg.off_path_m;
			if (t->on_path)
				t->progress = along;
		}
		struct trigger_event ev = {.kind = TRIGGER_FIX_ACCEPTED, .lat = fix->lat,
					   .lon = fix->lon};
		emit(t, &ev);
		struct trigger_zone_event zev[16];
		size_t nz = trigger_zones_update(t->zones, t->pos, now_ms, zev, 16);
		for (size_t i = 0; i < nz && i < 16; i++) {
			struct trigger_event e2 = {.kind = zev[i].enter ? TRIGGER_ZONE_ENTER
									: TRIGGER_ZONE_EXIT,
						   .stop = t->zone_stop[zev[i].zone]};
			emit(t, &e2);
		}
		check_due(t);
		return;
	}

	double dt = (double)(now_ms - t->last_step_ms) / 1000.0;
	if (dt < 0)
		dt = 0;
	struct geo_xy pred = {t->pos.x + t->vel.x * dt, t->pos.y + t->vel.y * dt};
	double ix = p.x - pred.x, iy = p.y - pred.y, e = hypot(ix, iy);
	double gate = t->cfg.gate_m;
	if (was_lost)
		gate += 0.5 * speed_of(t) * (double)(now_ms - t->last_fix_ms) / 1000.0;
	bool reset = false;
	if (e > gate) {
		if (!t->rejecting) {
			t->rejecting = true;
			t->reject_since_ms = now_ms;
		}
		if (now_ms - t->reject_since_ms < t->cfg.reject_reset_ms) {
			/* a jump: carry on with the prediction */
			t->pos = pred;
			t->last_step_ms = now_ms;
			update_progress(t, now_ms, speed_of(t) * dt);
			reject(t, fix, now_ms, "jump");
			check_due(t);
			return;
		}
		reset = true; /* the fixes agree with each other, not with us */
	}
	t->rejecting = false;
	double alpha = dt > 0 ? 1.0 - exp(-dt / t->cfg.smooth_tau_s) : 0.5;
	if (reset) {
		t->pos = p;
	} else {
		t->pos.x = pred.x + alpha * ix;
		t->pos.y = pred.y + alpha * iy;
	}
	if (has_doppler) {
		double sp = fix->speed < 0 ? 0 : fix->speed;
		if (has_track) {
			t->vel.x = sp * sin(fix->track * DEG);
			t->vel.y = sp * cos(fix->track * DEG);
		} else {
			double v = speed_of(t);
			t->vel.x = v > 0 ? t->vel.x / v * sp : 0;
			t->vel.y = v > 0 ? t->vel.y / v * sp : 0;
		}
		if (sp < t->cfg.still_speed) {
			/* parked: hold the position against drift */
			t->vel = (struct geo_xy){0, 0};
			if (!reset) {
				t->pos.x = pred.x + 0.02 * alpha * ix;
				t->pos.y = pred.y + 0.02 * alpha * iy;
			}
		}
		t->heading_ok = has_track && sp >= t->cfg.min_heading_speed;
		t->heading = t->heading_ok ? fix->track : NAN;
	} else if (dt > 0) {
		double beta = alpha * alpha / (2.0 - alpha);
		t->vel.x += beta * ix / dt;
		t->vel.y += beta * iy / dt;
		double v = speed_of(t);
		t->heading_ok = v >= t->cfg.min_heading_speed;
		t->heading = t->heading_ok ? fmod(atan2(t->vel.x, t->vel.y) / DEG + 360.0, 360.0)
					   : NAN;
	}
	t->last_fix_ms = t->last_step_ms = now_ms;
	update_progress(t, now_ms, speed_of(t) * dt + (reset ? e : 0));

	struct trigger_event ev = {.kind = TRIGGER_FIX_ACCEPTED, .lat = fix->lat, .lon = fix->lon};
	emit(t, &ev);
	struct trigger_zone_event zev[16];
	size_t nz = trigger_zones_update(t->zones, t->pos, now_ms, zev, 16);
	for (size_t i = 0; i < nz && i < 16; i++) {
		uint32_t zone = zev[i].zone;
		struct trigger_event e2 = {.kind = zev[i].enter ? TRIGGER_ZONE_ENTER
								: TRIGGER_ZONE_EXIT,
					   .stop = t->zone_stop[zone]};
		if (!zev[i].enter)
			for (unsigned k = 0; k < t->n_entries; k++)
				if (t->entries[k].zone == zone && t->entries[k].state == ENTRY_DUE)
					t->entries[k].zone_left = true;
		emit(t, &e2);
	}
	check_due(t);
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
