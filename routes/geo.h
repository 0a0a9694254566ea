/* Geometry on the scale of a city: great-circle distances, a local metric
 * projection for geofence tests, polygons, polylines, and the Chinese map
 * datums (GCJ-02, BD-09) that curators copy coordinates from.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define GEO_EARTH_RADIUS_M 6371008.8

struct geo_xy {
	double x; /* metres east of the projection origin */
	double y; /* metres north */
};

/* A local equirectangular projection, exact enough (< 0.1 %) within tens of
 * kilometres of its origin. */
struct geo_proj {
	double lat0, lon0;
	double m_per_deg_lat;
	double m_per_deg_lon;
};

void geo_proj_init(struct geo_proj *p, double lat0, double lon0);
struct geo_xy geo_project(const struct geo_proj *p, double lat, double lon);
void geo_unproject(const struct geo_proj *p, struct geo_xy xy, double *lat, double *lon);

/* Great-circle distance in metres and initial bearing in degrees [0, 360). */
double geo_distance_m(double lat1, double lon1, double lat2, double lon2);
double geo_bearing_deg(double lat1, double lon1, double lat2, double lon2);

/* Smallest absolute difference between two headings, in [0, 180]. */
double geo_heading_diff(double a, double b);

/* Point in an open ring (first vertex not repeated), even-odd rule. */
bool geo_polygon_contains(const struct geo_xy *ring, size_t n, struct geo_xy p);
/* Distance from p to the ring's boundary, metres. */
double geo_polygon_edge_distance(const struct geo_xy *ring, size_t n, struct geo_xy p);
/* true when two non-adjacent edges of the ring cross or touch.  When
 * it returns true and edge_a/edge_b are not NULL they receive the edge indices. */
bool geo_polygon_self_intersects(const struct geo_xy *ring, size_t n, size_t *edge_a,
				 size_t *edge_b);
/* Proper or touching intersection of segments ab and cd. */
bool geo_segments_intersect(struct geo_xy a, struct geo_xy b, struct geo_xy c, struct geo_xy d);

/* Projection of p onto a polyline: distance along it from its start, signed
 * cross-track distance (positive = left of the direction of travel) and the
 * index of the segment.  cum[i] is the length of the polyline up to vertex i
 * (cum[0] = 0); fill it with geo_polyline_lengths(). Returns the along distance. */
void geo_polyline_lengths(const struct geo_xy *pts, size_t n, double *cum);
double geo_polyline_locate(const struct geo_xy *pts, const double *cum, size_t n, struct geo_xy p,
			   double *cross, size_t *segment);
/* The point at distance `along` on the polyline (clamped to its ends). */
struct geo_xy geo_polyline_point(const struct geo_xy *pts, const double *cum, size_t n,
				 double along, double *heading_deg);

/* Datum conversions.  GCJ-02 is the obfuscated datum of AMap / Tencent maps
 * in mainland China; BD-09 is Baidu's, a further shift of GCJ-02. Outside
 * mainland China GCJ-02 equals WGS-84.  gcj02_to_wgs84 inverts by iteration
 * to better than 1 cm. */
bool geo_in_china(double lat, double lon);
void geo_wgs84_to_gcj02(double lat, double lon, double *out_lat, double *out_lon);
void geo_gcj02_to_wgs84(double lat, double lon, double *out_lat, double *out_lon);
void geo_gcj02_to_bd09(double lat, double lon, double *out_lat, double *out_lon);
void geo_bd09_to_gcj02(double lat, double lon, double *out_lat, double *out_lon);
