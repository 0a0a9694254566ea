#include "routes/geo.h"
#include "tests/test.h"

static void
test_datums(void)
{
	/* Beijing Railway Station, a published reference pair */
	double lat, lon;
	geo_wgs84_to_gcj02(39.90105, 116.42079, &lat, &lon);
	CHECK_NEAR(lat, 39.90245, 0.0001);
	CHECK_NEAR(lon, 116.42703, 0.0001);
	geo_gcj02_to_wgs84(39.90245, 116.42703, &lat, &lon);
	CHECK_NEAR(lat, 39.90105, 0.0001);
	CHECK_NEAR(lon, 116.42079, 0.0001);
	/* round trip is exact to a centimetre */
	double glat, glon, wlat, wlon;
	geo_wgs84_to_gcj02(39.98390, 116.48828, &glat, &glon);
	geo_gcj02_to_wgs84(glat, glon, &wlat, &wlon);
	CHECK(geo_distance_m(wlat, wlon, 39.98390, 116.48828) < 0.01);
	/* the offset in Beijing is hundreds of metres */
	double off = geo_distance_m(glat, glon, 39.98390, 116.48828);
	CHECK(off > 300 && off < 800);
	/* BD-09 round trip */
	double blat, blon, g2lat, g2lon;
	geo_gcj02_to_bd09(glat, glon, &blat, &blon);
	geo_bd09_to_gcj02(blat, blon, &g2lat, &g2lon);
	CHECK(geo_distance_m(g2lat, g2lon, glat, glon) < 0.5);
	/* outside China nothing moves */
	geo_wgs84_to_gcj02(52.52, 13.40, &lat, &lon);
	CHECK_NEAR(lat, 52.52, 0);
	CHECK_NEAR(lon, 13.40, 0);
}

static void
test_distances(void)
{
	/* one degree of latitude is ~111.2 km on the mean sphere */
	CHECK_NEAR(geo_distance_m(39.0, 116.0, 40.0, 116.0), 111195, 5);
	CHECK_NEAR(geo_bearing_deg(39.98, 116.48, 39.99, 116.48), 0.0, 1e-9);
	CHECK_NEAR(geo_bearing_deg(39.98, 116.48, 39.98, 116.49), 90.0, 0.01);
	CHECK_NEAR(geo_heading_diff(350, 10), 20, 1e-12);
	CHECK_NEAR(geo_heading_diff(10, 350), 20, 1e-12);
	CHECK_NEAR(geo_heading_diff(0, 180), 180, 1e-12);

	/* projection agrees with the great circle at city scale */
	struct geo_proj p;
	geo_proj_init(&p, 39.9839, 116.48828);
	struct geo_xy a = geo_project(&p, 39.9839, 116.48828);
	struct geo_xy b = geo_project(&p, 39.9889, 116.4952);
	double d = hypot(b.x - a.x, b.y - a.y);
	CHECK_NEAR(d, geo_distance_m(39.9839, 116.48828, 39.9889, 116.4952), d * 0.003);
	double lat, lon;
	geo_unproject(&p, b, &lat, &lon);
	CHECK_NEAR(lat, 39.9889, 1e-12);
	CHECK_NEAR(lon, 116.4952, 1e-12);
}

static void
test_polygons(void)
{
	struct geo_xy sq[] = {{0, 0}, {10, 0}, {10, 10}, {0, 10}};
	CHECK(geo_polygon_contains(sq, 4, (struct geo_xy){5, 5}));
	CHECK(!geo_polygon_contains(sq, 4, (struct geo_xy){15, 5}));
	CHECK(!geo_polygon_contains(sq, 4, (struct geo_xy){-0.1, 5}));
	CHECK_NEAR(geo_polygon_edge_distance(sq, 4, (struct geo_xy){5, 7}), 3, 1e-12);
	CHECK(!geo_polygon_self_intersects(sq, 4, NULL, NULL));
	struct geo_xy bow[] = {{0, 0}, {10, 10}, {10, 0}, {0, 10}};
	size_t ea = 99, eb = 99;
	CHECK(geo_polygon_self_intersects(bow, 4, &ea, &eb));
	CHECK_INT(ea, 0);
	CHECK_INT(eb, 2);
	struct geo_xy tri[] = {{0, 0}, {10, 0}, {5, 8}};
	CHECK(!geo_polygon_self_intersects(tri, 3, NULL, NULL));
}

static void
test_polyline(void)
{
	struct geo_xy l[] = {{0, 0}, {100, 0}, {100, 50}};
	double cum[3];
	geo_polyline_lengths(l, 3, cum);
	CHECK_NEAR(cum[2], 150, 1e-12);
	double cross;
	size_t seg;
	double along = geo_polyline_locate(l, cum, 3, (struct geo_xy){40, 5}, &cross, &seg);
	CHECK_NEAR(along, 40, 1e-12);
	CHECK_NEAR(cross, 5, 1e-12); /* left of eastward travel */
	CHECK_INT(seg, 0);
	along = geo_polyline_locate(l, cum, 3, (struct geo_xy){103, 20}, &cross, &seg);
	CHECK_NEAR(along, 120, 1e-12);
	CHECK_NEAR(cross, -3, 1e-12); /* right of northward travel */
	CHECK_INT(seg, 1);
	double hd;
	struct geo_xy p = geo_polyline_point(l, cum, 3, 125, &hd);
	CHECK_NEAR(p.x, 100, 1e-12);
	CHECK_NEAR(p.y, 25, 1e-12);
	CHECK_NEAR(hd, 0, 1e-12);
	p = geo_polyline_point(l, cum, 3, 50, &hd);
	CHECK_NEAR(p.x, 50, 1e-12);
	CHECK_NEAR(hd, 90, 1e-12);
	p = geo_polyline_point(l, cum, 3, 500, NULL);
	CHECK_NEAR(p.y, 50, 1e-12);
}

int
main(void)
{
	test_datums();
	test_distances();
	test_polygons();
	test_polyline();
	TEST_EXIT();
}
