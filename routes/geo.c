#include "routes/geo.h"

#include <math.h>

#define DEG (M_PI / 180.0)

void
geo_proj_init(struct geo_proj *p, double lat0, double lon0)
{
	double phi = lat0 * DEG;

	p->lat0 = lat0;
	p->lon0 = lon0;
	/* WGS-84 ellipsoid radii of curvature at lat0 */
	const double a = 6378137.0, e2 = 6.69437999014e-3;
	double s = sin(phi);
	double w = sqrt(1.0 - e2 * s * s);
	double n = a / w;                        /* prime vertical */
	double m = a * (1.0 - e2) / (w * w * w); /* meridional */
	p->m_per_deg_lat = m * DEG;
	p->m_per_deg_lon = n * cos(phi) * DEG;
}

struct geo_xy
geo_project(const struct geo_proj *p, double lat, double lon)
{
	struct geo_xy xy = {
		.x = (lon - p->lon0) * p->m_per_deg_lon,
		.y = (lat - p->lat0) * p->m_per_deg_lat,
	};
	return xy;
}

void
geo_unproject(const struct geo_proj *p, struct geo_xy xy, double *lat, double *lon)
{
	*lat = p->lat0 + xy.y / p->m_per_deg_lat;
	*lon = p->lon0 + xy.x / p->m_per_deg_lon;
}

double
geo_distance_m(double lat1, double lon1, double lat2, double lon2)
{
	double p1 = lat1 * DEG, p2 = lat2 * DEG;
	double dp = p2 - p1, dl = (lon2 - lon1) * DEG;
	double h = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);
	return 2.0 * GEO_EARTH_RADIUS_M * asin(fmin(1.0, sqrt(h)));
}

double
geo_bearing_deg(double lat1, double lon1, double lat2, double lon2)
{
	double p1 = lat1 * DEG, p2 = lat2 * DEG, dl = (lon2 - lon1) * DEG;
	double y = sin(dl) * cos(p2);
	double x = cos(p1) * sin(p2) - sin(p1) * cos(p2) * cos(dl);
	double b = atan2(y, x) / DEG;
	b = fmod(b + 360.0, 360.0);
	return b >= 360.0 ? 0.0 : b;
}

double
geo_heading_diff(double a, double b)
{
	double d = fmod(fabs(a - b), 360.0);
	return d > 180.0 ? 360.0 - d : d;
}

bool
geo_polygon_contains(const struct geo_xy *ring, size_t n, struct geo_xy p)
{
	bool inside = false;

	for (size_t i = 0, j = n - 1; i < n; j = i++) {
		const struct geo_xy *a = &ring[i], *b = &ring[j];
		if ((a->y > p.y) != (b->y > p.y)) {
			double x = a->x + (p.y - a->y) * (b->x - a->x) / (b->y - a->y);
			if (p.x < x)
				inside = !inside;
		}
	}
	return inside;
}

static double
segment_distance(struct geo_xy a, struct geo_xy b, struct geo_xy p, double *t_out)
{
	double dx = b.x - a.x, dy = b.y - a.y;
	double len2 = dx * dx + dy * dy;
	double t = len2 > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2 : 0.0;

	if (t < 0)
		t = 0;
	else if (t > 1)
		t = 1;
	if (t_out)
		*t_out = t;
	double cx = a.x + t * dx - p.x, cy = a.y + t * dy - p.y;
	return sqrt(cx * cx + cy * cy);
}

double
geo_polygon_edge_distance(const struct geo_xy *ring, size_t n, struct geo_xy p)
{
	double best = INFINITY;

	for (size_t i = 0, j = n - 1; i < n; j = i++)
		best = fmin(best, segment_distance(ring[j], ring[i], p, NULL));
	return best;
}

static double
cross3(struct geo_xy o, struct geo_xy a, struct geo_xy b)
{
	return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

static bool
on_segment(struct geo_xy a, struct geo_xy b, struct geo_xy p)
{
	return fmin(a.x, b.x) <= p.x && p.x <= fmax(a.x, b.x) && fmin(a.y, b.y) <= p.y &&
	       p.y <= fmax(a.y, b.y);
}

bool
geo_segments_intersect(struct geo_xy a, struct geo_xy b, struct geo_xy c, struct geo_xy d)
{
	double d1 = cross3(c, d, a), d2 = cross3(c, d, b);
	double d3 = cross3(a, b, c), d4 = cross3(a, b, d);

	if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) &&
	    ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)))
		return true;
	if (d1 == 0 && on_segment(c, d, a))
		return true;
	if (d2 == 0 && on_segment(c, d, b))
		return true;
	if (d3 == 0 && on_segment(a, b, c))
		return true;
	if (d4 == 0 && on_segment(a, b, d))
		return true;
	return false;
}

bool
geo_polygon_self_intersects(const struct geo_xy *ring, size_t n, size_t *edge_a, size_t *edge_b)
{
	/* edge i runs from ring[i] to ring[(i + 1) % n] */
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			if (j == i + 1 || (i == 0 && j == n - 1))
				continue; /* adjacent edges share a vertex */
			if (geo_segments_intersect(ring[i], ring[(i + 1) % n], ring[j],
						   ring[(j + 1) % n])) {
				if (edge_a)
					*edge_a = i;
				if (edge_b)
					*edge_b = j;
				return true;
			}
		}
	}
	return false;
}

void
geo_polyline_lengths(const struct geo_xy *pts, size_t n, double *cum)
{
	if (n == 0)
		return;
	cum[0] = 0;
	for (size_t i = 1; i < n; i++)
		cum[i] = cum[i - 1] + hypot(pts[i].x - pts[i - 1].x, pts[i].y - pts[i - 1].y);
}

double
geo_polyline_locate(const struct geo_xy *pts, const double *cum, size_t n, struct geo_xy p,
		    double *cross, size_t *segment)
{
	double best = INFINITY, along = 0, side = 0;
	size_t best_seg = 0;

	if (n == 1) {
		if (cross)
			*cross = hypot(p.x - pts[0].x, p.y - pts[0].y);
		if (segment)
			*segment = 0;
		return 0;
	}
	for (size_t i = 0; i + 1 < n; i++) {
		double t;
		double d = segment_distance(pts[i], pts[i + 1], p, &t);
		if (d < best) {
			best = d;
			best_seg = i;
			along = cum[i] + t * (cum[i + 1] - cum[i]);
			side = cross3(pts[i], pts[i + 1], p) >= 0 ? 1.0 : -1.0;
		}
	}
	if (cross)
		*cross = side * best;
	if (segment)
		*segment = best_seg;
	return along;
}

struct geo_xy
geo_polyline_point(const struct geo_xy *pts, const double *cum, size_t n, double along,
		   double *heading_deg)
{
	size_t i = 0;

	if (n == 1 || along <= 0) {
		i = 0;
		along = 0;
	} else if (along >= cum[n - 1]) {
		i = n - 2;
		along = cum[n - 1];
	} else {
		while (i + 2 < n && cum[i + 1] < along)
			i++;
	}
	if (n == 1) {
		if (heading_deg)
			*heading_deg = 0;
		return pts[0];
	}
	double seg = cum[i + 1] - cum[i];
	double t = seg > 0 ? (along - cum[i]) / seg : 0;
	struct geo_xy out = {
		pts[i].x + t * (pts[i + 1].x - pts[i].x),
		pts[i].y + t * (pts[i + 1].y - pts[i].y),
	};
	if (heading_deg) {
		double h = atan2(pts[i + 1].x - pts[i].x, pts[i + 1].y - pts[i].y) / DEG;
		*heading_deg = fmod(h + 360.0, 360.0);
	}
	return out;
}

/* --- GCJ-02 / BD-09 ----------------------------------------------------
 * The published forward transform (Krasovsky ellipsoid, a = 6378245 m). */

bool
geo_in_china(double lat, double lon)
{
	return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
}

static double
gcj_lat(double x, double y)
{
	double r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(fabs(x));
	r += (20.0 * sin(6.0 * x * M_PI) + 20.0 * sin(2.0 * x * M_PI)) * 2.0 / 3.0;
	r += (20.0 * sin(y * M_PI) + 40.0 * sin(y / 3.0 * M_PI)) * 2.0 / 3.0;
	r += (160.0 * sin(y / 12.0 * M_PI) + 320.0 * sin(y * M_PI / 30.0)) * 2.0 / 3.0;
	return r;
}

static double
gcj_lon(double x, double y)
{
	double r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(fabs(x));
	r += (20.0 * sin(6.0 * x * M_PI) + 20.0 * sin(2.0 * x * M_PI)) * 2.0 / 3.0;
	r += (20.0 * sin(x * M_PI) + 40.0 * sin(x / 3.0 * M_PI)) * 2.0 / 3.0;
	r += (150.0 * sin(x / 12.0 * M_PI) + 300.0 * sin(x / 30.0 * M_PI)) * 2.0 / 3.0;
	return r;
}

void
geo_wgs84_to_gcj02(double lat, double lon, double *out_lat, double *out_lon)
{
	const double a = 6378245.0, ee = 0.00669342162296594323;

	if (!geo_in_china(lat, lon)) {
		*out_lat = lat;
		*out_lon = lon;
		return;
	}
	double dlat = gcj_lat(lon - 105.0, lat - 35.0);
	double dlon = gcj_lon(lon - 105.0, lat - 35.0);
	double rad = lat * DEG;
	double magic = sin(rad);
	magic = 1 - ee * magic * magic;
	double sq = sqrt(magic);
	dlat = (dlat * 180.0) / ((a * (1 - ee)) / (magic * sq) * M_PI);
	dlon = (dlon * 180.0) / (a / sq * cos(rad) * M_PI);
	*out_lat = lat + dlat;
	*out_lon = lon + dlon;
}

void
geo_gcj02_to_wgs84(double lat, double lon, double *out_lat, double *out_lon)
{
	/* fixed-point iteration: w <- w - (f(w) - g) converges in a few steps
	 * because the offset field is smooth */
	double wlat = lat, wlon = lon;

	for (int i = 0; i < 30; i++) {
		double glat, glon;
		geo_wgs84_to_gcj02(wlat, wlon, &glat, &glon);
		double elat = glat - lat, elon = glon - lon;
		wlat -= elat;
		wlon -= elon;
		if (fabs(elat) < 1e-10 && fabs(elon) < 1e-10)
			break;
	}
	*out_lat = wlat;
	*out_lon = wlon;
}

#define BD_X_PI (M_PI * 3000.0 / 180.0)

void
geo_gcj02_to_bd09(double lat, double lon, double *out_lat, double *out_lon)
{
	double z = sqrt(lon * lon + lat * lat) + 0.00002 * sin(lat * BD_X_PI);
	double t = atan2(lat, lon) + 0.000003 * cos(lon * BD_X_PI);
	*out_lon = z * cos(t) + 0.0065;
	*out_lat = z * sin(t) + 0.006;
}

void
geo_bd09_to_gcj02(double lat, double lon, double *out_lat, double *out_lon)
{
	double x = lon - 0.0065, y = lat - 0.006;
	double z = sqrt(x * x + y * y) - 0.00002 * sin(y * BD_X_PI);
	double t = atan2(y, x) - 0.000003 * cos(x * BD_X_PI);
	*out_lon = z * cos(t);
	*out_lat = z * sin(t);
}
