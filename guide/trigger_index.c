/* The trigger engine's first layer: circle and polygon zones in a local
 * metric frame behind a uniform grid, the cells in CSR form (see trigger.h). */
#include "guide/trigger.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* items with room for need of them (capacity *cap, doubled from first);
 * NULL when out of memory, items then untouched. */
static void *
reserve(void *items, size_t *cap, size_t need, size_t size, size_t first)
{
	if (need <= *cap)
		return items;
	size_t c = *cap ? *cap : first;
	while (c < need)
		c *= 2;
	void *p = realloc(items, c * size);
	if (p)
		*cap = c;
	return p;
}

static struct zone *
index_new_zone(struct trigger_index *ix)
{
	struct zone *zones =
		reserve(ix->zones, &ix->cap_zones, ix->n_zones + 1, sizeof(*zones), 16);
	if (!zones)
		return NULL;
	ix->zones = zones;
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
	struct geo_xy *rings =
		reserve(ix->rings, &ix->cap_rings, ix->n_rings + n, sizeof(*rings), 64);
	if (!rings)
		return -ENOMEM;
	ix->rings = rings;
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

int
trigger_index_add_fence(struct trigger_index *ix, const struct geo_proj *proj,
			const struct route_fence *f)
{
	if (f->kind != ROUTE_FENCE_POLYGON || f->n_vertices < 3)
		return trigger_index_add_circle(ix, geo_project(proj, f->center.lat, f->center.lon),
						f->radius_m);
	struct geo_xy *ring = calloc(f->n_vertices, sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	for (unsigned k = 0; k < f->n_vertices; k++)
		ring[k] = geo_project(proj, f->vertices[k].lat, f->vertices[k].lon);
	int id = trigger_index_add_polygon(ix, ring, f->n_vertices);
	free(ring);
	return id;
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
