/* The grid index (zones added by hand and from route fences) and the
 * hysteresis layer. */
#include "guide/trigger.h"
#include "tests/test.h"

int
main(void)
{
	struct trigger_index *ix = trigger_index_create(10);
	CHECK_INT(trigger_index_add_circle(ix, (struct geo_xy){0, 0}, 20), 0);
	struct geo_xy sq[] = {{100, 100}, {140, 100}, {140, 140}, {100, 140}};
	CHECK_INT(trigger_index_add_polygon(ix, sq, 4), 1);
	CHECK_INT(trigger_index_add_polygon(ix, sq, 2), -22);
	CHECK_INT(trigger_index_count(ix), 2);
	CHECK_INT(trigger_index_build(ix), 0);
	struct trigger_hit h[4];
	CHECK_INT(trigger_index_query(ix, (struct geo_xy){5, 5}, 0, h, 4), 1);
	CHECK_INT(h[0].zone, 0);
	CHECK(h[0].dist_m < 0);
	CHECK_INT(trigger_index_query(ix, (struct geo_xy){25, 0}, 0, h, 4), 0);
	CHECK_INT(trigger_index_query(ix, (struct geo_xy){25, 0}, 10, h, 4), 1);
	CHECK_NEAR(h[0].dist_m, 5, 1e-9);
	CHECK_INT(trigger_index_query(ix, (struct geo_xy){120, 120}, 0, h, 4), 1);
	CHECK_INT(h[0].zone, 1);
	CHECK_INT(trigger_index_query(ix, (struct geo_xy){145, 120}, 10, h, 4), 1);
	CHECK_NEAR(h[0].dist_m, 5, 1e-9);
	CHECK_INT(trigger_index_query(ix, (struct geo_xy){1e6, 0}, 10, h, 4), 0);

	/* hysteresis: 2 fixes and 1 s to enter, 2 fixes beyond 10 m to leave */
	struct trigger_hysteresis hy = {2, 1000, 2, 10};
	struct trigger_zones *z = trigger_zones_create(ix, &hy);
	struct trigger_zone_event ev[4];
	static const struct {
		double x;
		int64_t t;
		int n_ev;
		bool inside;
	} rows[] = {
		{50, 0, 0, false},    {10, 1000, 0, false}, /* one fix inside: not yet */
		{50, 2000, 0, false}, {10, 3000, 0, false}, {10, 4000, 1, true},
		{25, 5000, 0, true}, /* between edge and margin: stays */
		{35, 6000, 0, true}, /* beyond the margin once: stays */
		{10, 7000, 0, true},  {35, 8000, 0, true},  {35, 9000, 1, false},
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		size_t n = trigger_zones_update(z, (struct geo_xy){rows[i].x, 0}, rows[i].t, ev, 4);
		CHECK_INT(n, rows[i].n_ev);
		CHECK_INT(trigger_zones_inside(z, 0), rows[i].inside);
	}
	trigger_zones_destroy(z);
	trigger_index_destroy(ix);
	trigger_index_destroy(NULL);

	/* route fences: a polygon, a circle, and a "polygon" of two vertices,
	 * which is its circle */
	struct geo_proj proj;
	geo_proj_init(&proj, 39.98, 116.49);
	struct route_point v[4];
	for (int i = 0; i < 4; i++)
		geo_unproject(&proj, sq[i], &v[i].lat, &v[i].lon);
	struct route_fence fences[] = {
		{.kind = ROUTE_FENCE_POLYGON, .vertices = v, .n_vertices = 4},
		{.kind = ROUTE_FENCE_CIRCLE, .center = {39.98, 116.49}, .radius_m = 20},
		{.kind = ROUTE_FENCE_POLYGON,
		 .center = {39.98, 116.49},
		 .radius_m = 5,
		 .vertices = v,
		 .n_vertices = 2},
	};
	ix = trigger_index_create(0);
	for (int i = 0; i < 3; i++)
		CHECK_INT(trigger_index_add_fence(ix, &proj, &fences[i]), i);
	CHECK_INT(trigger_index_count(ix), 3);
	CHECK_INT(trigger_index_build(ix), 0);
	double dist;
	CHECK(trigger_index_zone_contains(ix, 0, (struct geo_xy){120, 120}, 0, &dist));
	CHECK(!trigger_index_zone_contains(ix, 0, (struct geo_xy){90, 120}, 0, &dist));
	CHECK(trigger_index_zone_contains(ix, 1, (struct geo_xy){0, 15}, 0, &dist));
	CHECK_NEAR(dist, -5, 1e-6);
	CHECK(!trigger_index_zone_contains(ix, 2, (struct geo_xy){0, 15}, 0, &dist));
	CHECK(trigger_index_zone_contains(ix, 2, (struct geo_xy){0, 4}, 0, &dist));
	trigger_index_destroy(ix);
	TEST_EXIT();
}
