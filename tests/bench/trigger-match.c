/* Matching cost per fix with 10, 1,000 and 100,000 geofences (circles of
 * 20-80 m, polygons of 8-32 vertices, over 40 km x 40 km): our grid index
 * (point query, and the full hysteresis update), and GEOS prepared
 * geometries in an STRtree as the peer when libgeos_c was found.
 * Prints one line per size: "match zones N ours_ns X update_ns Y geos_ns Z". */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "guide/trigger.h"
#ifdef HAVE_GEOS
#include <geos_c.h>
#endif

static uint64_t rng_state = 0x1234567;

static double
urand(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double)(rng_state >> 11) * 0x1.0p-53;
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define SIDE 40000.0

struct zdef {
	double x, y, r;
	int n; /* 0 circle */
	struct geo_xy ring[32];
};

#ifdef HAVE_GEOS
struct geos_ctx {
	GEOSContextHandle_t h;
	const GEOSGeometry *pt;
	unsigned hits;
};

static void
geos_cb(void *item, void *userdata)
{
	struct geos_ctx *c = userdata;
	if (GEOSPreparedContains_r(c->h, item, c->pt) == 1)
		c->hits++;
}
#endif

int
main(void)
{
	const unsigned sizes[] = {10, 1000, 100000};
	const size_t n_pts = 1000000;
	struct geo_xy *pts = malloc(n_pts * sizeof(*pts));
	for (unsigned si = 0; si < 3; si++) {
		unsigned nz = sizes[si];
		struct zdef *z = calloc(nz, sizeof(*z));
		struct trigger_index *ix = trigger_index_create(10);
		for (unsigned i = 0; i < nz; i++) {
			z[i].x = urand() * SIDE;
			z[i].y = urand() * SIDE;
			z[i].r = 20 + 60 * urand();
			if (i % 2) {
				z[i].n = 8 + (int)(urand() * 25);
				for (int k = 0; k < z[i].n; k++) {
					double a = 2 * M_PI * k / z[i].n;
					double rr = z[i].r * (0.6 + 0.4 * urand());
					z[i].ring[k] = (struct geo_xy){z[i].x + rr * sin(a),
								       z[i].y + rr * cos(a)};
				}
				trigger_index_add_polygon(ix, z[i].ring, (size_t)z[i].n);
			} else {
				trigger_index_add_circle(ix, (struct geo_xy){z[i].x, z[i].y},
							 z[i].r);
			}
		}
		trigger_index_build(ix);
		/* half the fixes near a zone, half anywhere */
		for (size_t k = 0; k < n_pts; k++) {
			if (k % 2) {
				const struct zdef *d = &z[(size_t)(urand() * nz) % nz];
				pts[k] = (struct geo_xy){d->x + (urand() - 0.5) * 3 * d->r,
							 d->y + (urand() - 0.5) * 3 * d->r};
			} else {
				pts[k] = (struct geo_xy){urand() * SIDE, urand() * SIDE};
			}
		}
		struct trigger_hit hits[64];
		size_t total = 0;
		double t0 = now_s();
		for (size_t k = 0; k < n_pts; k++)
			total += trigger_index_query(ix, pts[k], 0, hits, 64);
		double ours = (now_s() - t0) / (double)n_pts * 1e9;

		struct trigger_hysteresis hy = {2, 1000, 2, 10};
		struct trigger_zones *zs = trigger_zones_create(ix, &hy);
		struct trigger_zone_event ev[16];
		size_t n_ev = 0;
		t0 = now_s();
		for (size_t k = 0; k < n_pts; k++)
			n_ev += trigger_zones_update(zs, pts[k], (int64_t)k * 1000, ev, 16);
		double upd = (now_s() - t0) / (double)n_pts * 1e9;

		double geos_ns = NAN;
		size_t geos_total = 0;
#ifdef HAVE_GEOS
		{
			GEOSContextHandle_t h = GEOS_init_r();
			GEOSSTRtree *tree = GEOSSTRtree_create_r(h, 10);
			GEOSGeometry **geoms = calloc(nz, sizeof(*geoms));
			const GEOSPreparedGeometry **prep = calloc(nz, sizeof(*prep));
			for (unsigned i = 0; i < nz; i++) {
				int n = z[i].n ? z[i].n : 32;
				GEOSCoordSequence *cs =
					GEOSCoordSeq_create_r(h, (unsigned)n + 1, 2);
				for (int k = 0; k <= n; k++) {
					int kk = k % n;
					double x, y;
					if (z[i].n) {
						x = z[i].ring[kk].x;
						y = z[i].ring[kk].y;
					} else {
						double a = 2 * M_PI * kk / n;
						x = z[i].x + z[i].r * sin(a);
						y = z[i].y + z[i].r * cos(a);
					}
					GEOSCoordSeq_setXY_r(h, cs, (unsigned)k, x, y);
				}
				GEOSGeometry *ring = GEOSGeom_createLinearRing_r(h, cs);
				geoms[i] = GEOSGeom_createPolygon_r(h, ring, NULL, 0);
				prep[i] = GEOSPrepare_r(h, geoms[i]);
				GEOSSTRtree_insert_r(h, tree, geoms[i], (void *)prep[i]);
			}
			size_t n_geos = n_pts / 10;
			GEOSGeometry **gp = calloc(n_geos, sizeof(*gp));
			for (size_t k = 0; k < n_geos; k++)
				gp[k] = GEOSGeom_createPointFromXY_r(h, pts[k].x, pts[k].y);
			struct geos_ctx c = {.h = h};
			t0 = now_s();
			for (size_t k = 0; k < n_geos; k++) {
				c.pt = gp[k];
				GEOSSTRtree_query_r(h, tree, gp[k], geos_cb, &c);
			}
			geos_ns = (now_s() - t0) / (double)n_geos * 1e9;
			geos_total = c.hits;
			for (size_t k = 0; k < n_geos; k++)
				GEOSGeom_destroy_r(h, gp[k]);
			free(gp);
			GEOSSTRtree_destroy_r(h, tree);
			for (unsigned i = 0; i < nz; i++) {
				GEOSPreparedGeom_destroy_r(h, prep[i]);
				GEOSGeom_destroy_r(h, geoms[i]);
			}
			free(geoms);
			free(prep);
			GEOS_finish_r(h);
		}
#endif
		printf("match zones %u ours_ns %.1f update_ns %.1f geos_ns %.1f hits %zu geos_hits_per_10 "
		       "%zu events %zu\n",
		       nz, ours, upd, geos_ns, total, geos_total, n_ev);
		trigger_zones_destroy(zs);
		trigger_index_destroy(ix);
		free(z);
	}
	free(pts);
	return 0;
}
