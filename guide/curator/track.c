#include "guide/curator/track.h"
#include "guide/route_tool.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "routes/geo.h"

#define DEG (M_PI / 180.0)

/* ---- PRNG: xoshiro256** seeded by splitmix64 ---------------------------- */

struct rng {
	uint64_t s[4];
	bool have_spare;
	double spare;
};

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void
rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
	r->have_spare = false;
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

static double
rng_uniform(struct rng *r) /* [0, 1) */
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static double
rng_range(struct rng *r, double a, double b)
{
	return a + (b - a) * rng_uniform(r);
}

static double
rng_gauss(struct rng *r)
{
	if (r->have_spare) {
		r->have_spare = false;
		return r->spare;
	}
	double u, v, s;
	do {
		u = 2 * rng_uniform(r) - 1;
		v = 2 * rng_uniform(r) - 1;
		s = u * u + v * v;
	} while (s >= 1 || s == 0);
	double m = sqrt(-2 * log(s) / s);
	r->spare = v * m;
	r->have_spare = true;
	return u * m;
}

/* ---- generator ---------------------------------------------------------- */

void
track_options_defaults(struct track_options *o)
{
	*o = (struct track_options){
		.speed_kmh = 0,
		.hz = 1,
		.noise_m = 3,
		.bias_m = 2,
		.bias_tau_s = 120,
		.jump_per_min = 0.5,
		.jump_min_m = 20,
		.jump_max_m = 60,
		.jump_min_s = 2,
		.jump_max_s = 5,
		.dropout_per_min = 0.2,
		.dropout_min_s = 3,
		.dropout_max_s = 8,
		.halt_s = 0,
		.accel = 0.6,
		.park_start_s = 0,
		.park_end_s = 0,
		.park_drift_m = 8,
		.seed = 1,
		.start_ms = 1714528800000LL, /* 2024-05-01T02:00:00Z */
	};
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int
track_generate(const struct route *r, unsigned tour_index, const struct track_options *opt,
	       struct track_sample **out, size_t *n_out)
{
	*out = NULL;
	*n_out = 0;
	if (!r || tour_index >= r->n_tours || r->tours[tour_index].n_path < 2)
		return -EINVAL;
	const struct route_tour *tour = &r->tours[tour_index];
	struct track_options o = *opt;
	if (o.hz <= 0)
		o.hz = 1;
	double cruise = (o.speed_kmh > 0 ? o.speed_kmh
					 : (tour->speed_kmh > 0 ? tour->speed_kmh : 12)) / 3.6;
	double accel = o.accel > 0 ? o.accel : 0.6;
	struct rng rng;
	rng_seed(&rng, o.seed);

	struct geo_proj proj;
	geo_proj_init(&proj, tour->path[0].lat, tour->path[0].lon);
	size_t np = tour->n_path;
	struct geo_xy *pts = calloc(np, sizeof(*pts));
	double *cum = calloc(np, sizeof(*cum));
	double *halts = calloc(tour->n_stops + 1, sizeof(*halts));
	struct track_sample *s = NULL;
	int rc = -ENOMEM;
	if (!pts || !cum || !halts)
		goto out;
	for (size_t i = 0; i < np; i++)
		pts[i] = geo_project(&proj, tour->path[i].lat, tour->path[i].lon);
	geo_polyline_lengths(pts, np, cum);
	double len = cum[np - 1];

	/* halts at each stop's closest approach, in path order */
	size_t n_halts = 0;
	if (o.halt_s > 0) {
		for (unsigned i = 0; i < tour->n_stops; i++) {
			const struct route_stop *st = &r->stops[tour->stops[i]];
			struct geo_xy c = geo_project(&proj, st->fence.center.lat,
						      st->fence.center.lon);
			double a = geo_polyline_locate(pts, cum, np, c, NULL, NULL);
			if (a > 1 && a < len - 1)
				halts[n_halts++] = a;
		}
		qsort(halts, n_halts, sizeof(*halts), cmp_double);
	}
	halts[n_halts++] = len; /* the end of the path */

	double dt = 1.0 / o.hz;
	double drive_s_est = len / cruise + n_halts * (o.halt_s + 2 * cruise / accel) + 60;
	size_t cap = (size_t)((drive_s_est + o.park_start_s + o.park_end_s) * o.hz) + 16;
	s = calloc(cap, sizeof(*s));
	if (!s)
		goto out;

	double along = 0, v = 0;
	size_t next_halt = 0;
	double halt_left = 0;
	double park_left = o.park_start_s;
	bool at_end = false, end_parked = false;
	double bias_x = o.bias_m * rng_gauss(&rng), bias_y = o.bias_m * rng_gauss(&rng);
	double park_x = 0, park_y = 0;
	double jump_left = 0, jump_dx = 0, jump_dy = 0, drop_left = 0;
	size_t n = 0;
	for (int64_t k = 0; n < cap; k++) {
		struct track_sample *sm = &s[n];
		bool parked = false;
		/* --- kinematics --- */
		if (park_left > 0) {
			parked = true;
			park_left -= dt;
			v = 0;
		} else if (at_end) {
			if (!end_parked) {
				end_parked = true;
				park_left = o.park_end_s;
				if (park_left <= 0)
					break;
				parked = true;
				park_left -= dt;
			} else {
				break;
			}
		} else if (halt_left > 0) {
			halt_left -= dt;
			v = 0;
		} else {
			double target = halts[next_halt];
			double dist = target - along;
			double vb = sqrt(fmax(0, 2 * accel * dist));
			v = fmin(fmin(v + accel * dt, cruise), vb);
			if (dist <= 0.05 || (v < 0.05 && dist < 0.5)) {
				along = target;
				v = 0;
				next_halt++;
				if (next_halt >= n_halts) {
					at_end = true;
				} else {
					halt_left = o.halt_s;
				}
			} else {
				v = fmax(v, 0.3);
				along = fmin(target, along + v * dt);
			}
		}
		double heading;
		struct geo_xy p = geo_polyline_point(pts, cum, np, along, &heading);

		/* --- errors --- */
		double a = dt / (o.bias_tau_s > 0 ? o.bias_tau_s : 120);
		bias_x += -a * bias_x + o.bias_m * sqrt(2 * a) * rng_gauss(&rng);
		bias_y += -a * bias_y + o.bias_m * sqrt(2 * a) * rng_gauss(&rng);
		if (parked) {
			/* a parked receiver wanders: a slow random walk, bounded */
			double step = o.park_drift_m * sqrt(dt / 60.0);
			park_x += step * rng_gauss(&rng) - 0.01 * dt * park_x;
			park_y += step * rng_gauss(&rng) - 0.01 * dt * park_y;
		} else {
			park_x *= exp(-dt / 10.0);
			park_y *= exp(-dt / 10.0);
		}
		if (jump_left > 0) {
			jump_left -= dt;
		} else if (!parked && rng_uniform(&rng) < o.jump_per_min / 60.0 * dt) {
			double m = rng_range(&rng, o.jump_min_m, o.jump_max_m);
			double ang = rng_range(&rng, 0, 2 * M_PI);
			jump_dx = m * sin(ang);
			jump_dy = m * cos(ang);
			jump_left = rng_range(&rng, o.jump_min_s, o.jump_max_s);
		}
		if (drop_left > 0) {
			drop_left -= dt;
		} else if (rng_uniform(&rng) < o.dropout_per_min / 60.0 * dt) {
			drop_left = rng_range(&rng, o.dropout_min_s, o.dropout_max_s);
		}
		struct geo_xy m = p;
		m.x += bias_x + park_x + o.noise_m * rng_gauss(&rng);
		m.y += bias_y + park_y + o.noise_m * rng_gauss(&rng);
		bool jumping = jump_left > 0;
		if (jumping) {
			m.x += jump_dx;
			m.y += jump_dy;
		}

		sm->t_ms = o.start_ms + (int64_t)llround((double)k * 1000.0 / o.hz);
		sm->true_along = along;
		sm->true_speed = v;
		sm->parked = parked;
		sm->jumping = jumping;
		geo_unproject(&proj, p, &sm->true_lat, &sm->true_lon);
		struct hal_fix *f = &sm->fix;
		f->time_ms = sm->t_ms;
		f->alt = f->hdop = f->eph = f->lat = f->lon = f->speed = f->track = NAN;
		if (drop_left > 0) {
			sm->dropped = true;
			f->set = HAL_FIX_TIME | HAL_FIX_MODE;
			f->mode = HAL_FIX_MODE_NONE;
		} else {
			geo_unproject(&proj, m, &f->lat, &f->lon);
			double sp = v + (o.noise_m > 0 ? 0.1 * rng_gauss(&rng) : 0);
			if (v < 0.01)
				sp = fabs(0.05 * rng_gauss(&rng));
			f->speed = fmax(0, sp);
			f->track = v > 0.5 ? fmod(heading + 2.0 * rng_gauss(&rng) + 360.0, 360.0)
					   : rng_range(&rng, 0, 360);
			f->alt = 45;
			f->hdop = 0.9;
			f->sats_used = 9;
			f->mode = HAL_FIX_MODE_3D;
			f->set = HAL_FIX_TIME | HAL_FIX_POS | HAL_FIX_ALT | HAL_FIX_SPEED |
				 HAL_FIX_TRACK | HAL_FIX_HDOP | HAL_FIX_SATS | HAL_FIX_MODE;
		}
		n++;
	}
	*out = s;
	*n_out = n;
	s = NULL;
	rc = 0;
out:
	free(s);
	free(pts);
	free(cum);
	free(halts);
	return rc;
}

/* ---- NMEA --------------------------------------------------------------- */

static size_t
nmea_finish(char *line, size_t len, char *buf, size_t size)
{
	unsigned cs = 0;
	for (size_t i = 1; i < len; i++)
		cs ^= (unsigned char)line[i];
	return (size_t)snprintf(buf, size, "%s*%02X\r\n", line, cs);
}

static void
nmea_coord(double v, bool is_lat, char *out, size_t size)
{
	char hemi = is_lat ? (v < 0 ? 'S' : 'N') : (v < 0 ? 'W' : 'E');
	v = fabs(v);
	int deg = (int)v;
	double min = (v - deg) * 60.0;
	if (min >= 59.9999995) {
		deg++;
		min = 0;
	}
	snprintf(out, size, is_lat ? "%02d%09.6f,%c" : "%03d%09.6f,%c", deg, min, hemi);
}

size_t
track_format_nmea(const struct hal_fix *fix, char *buf, size_t size)
{
	time_t secs = (time_t)(fix->time_ms / 1000);
	int ms = (int)(fix->time_ms % 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	char hms[64], date[64], lat[24] = ",", lon[24] = ",";
	snprintf(hms, sizeof(hms), "%02d%02d%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	snprintf(date, sizeof(date), "%02d%02d%02d", tm.tm_mday, tm.tm_mon + 1,
		 tm.tm_year % 100);
	bool pos = hal_fix_has_position(fix);
	if (pos) {
		nmea_coord(fix->lat, true, lat, sizeof(lat));
		nmea_coord(fix->lon, false, lon, sizeof(lon));
	}
	char line[400], spd[16] = "", trk[16] = "";
	if (pos && isfinite(fix->speed))
		snprintf(spd, sizeof(spd), "%.2f", fix->speed * 3600.0 / 1852.0);
	if (pos && isfinite(fix->track))
		snprintf(trk, sizeof(trk), "%.1f", fix->track);
	snprintf(line, sizeof(line), "$GPRMC,%s,%c,%s,%s,%s,%s,%s,,,%c", hms, pos ? 'A' : 'V', lat,
		 lon, spd, trk, date, pos ? 'A' : 'N');
	size_t used = nmea_finish(line, strlen(line), buf, size);
	if (used >= size)
		return size ? size - 1 : 0;
	snprintf(line, sizeof(line), "$GPGGA,%s,%s,%s,%d,%02d,%.1f,%.1f,M,-8.0,M,,", hms, lat, lon,
		 pos ? 1 : 0, pos ? fix->sats_used : 0, pos && isfinite(fix->hdop) ? fix->hdop : 99.9,
		 pos && isfinite(fix->alt) ? fix->alt : 0.0);
	used += nmea_finish(line, strlen(line), buf + used, size - used);
	return used < size ? used : size - 1;
}

int
track_write_nmea(const struct track_sample *s, size_t n, FILE *f)
{
	char buf[400];
	for (size_t i = 0; i < n; i++) {
		size_t len = track_format_nmea(&s[i].fix, buf, sizeof(buf));
		if (fwrite(buf, 1, len, f) != len)
			return -EIO;
	}
	return 0;
}

int
track_write_gpx(const struct track_sample *s, size_t n, const char *name, FILE *f)
{
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<gpx version=\"1.1\" creator=\"guide-route track\" "
		   "xmlns=\"http://www.topografix.com/GPX/1/1\">\n"
		   "<trk><name>%s</name><trkseg>\n",
		name);
	for (size_t i = 0; i < n; i++) {
		const struct hal_fix *fx = &s[i].fix;
		if (!hal_fix_has_position(fx))
			continue; /* a dropout is a gap in the track */
		time_t secs = (time_t)(fx->time_ms / 1000);
		struct tm tm;
		gmtime_r(&secs, &tm);
		fprintf(f, "<trkpt lat=\"%.7f\" lon=\"%.7f\">", fx->lat, fx->lon);
		if (fx->set & HAL_FIX_ALT)
			fprintf(f, "<ele>%.1f</ele>", fx->alt);
		fprintf(f, "<time>%04d-%02d-%02dT%02d:%02d:%02d.%03dZ</time>", tm.tm_year + 1900,
			tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			(int)(fx->time_ms % 1000));
		if (fx->set & HAL_FIX_HDOP)
			fprintf(f, "<hdop>%.1f</hdop>", fx->hdop);
		if (fx->set & (HAL_FIX_SPEED | HAL_FIX_TRACK)) {
			fprintf(f, "<extensions>");
			if (fx->set & HAL_FIX_SPEED)
				fprintf(f, "<speed>%.2f</speed>", fx->speed);
			if (fx->set & HAL_FIX_TRACK)
				fprintf(f, "<course>%.1f</course>", fx->track);
			fprintf(f, "</extensions>");
		}
		fprintf(f, "</trkpt>\n");
	}
	fprintf(f, "</trkseg></trk>\n</gpx>\n");
	return ferror(f) ? -EIO : 0;
}

/* ---- the synthetic route ------------------------------------------------ */

#define SYN_LAT0 39.9839
#define SYN_LON0 116.4883

static struct route_point
syn_point(const struct geo_proj *p, double x, double y)
{
	struct route_point rp;
	geo_unproject(p, (struct geo_xy){x, y}, &rp.lat, &rp.lon);
	return rp;
}

static char *
dupstr(const char *s)
{
	return strdup(s);
}

struct syn_stop {
	const char *id;
	double x, y, r;   /* circle; r < 0: polygon of |r| "radius" */
	int poly_n;       /* polygon vertices */
	double heading, tol;
	int priority;
};

static const struct syn_stop syn_stops[] = {
	{"gate_a", 300, 12, 30, 0, 0, 0, 0},
	{"kiln", 615, 200, -35, 6, 0, 0, 0},
	{"north_wall", 400, 410, 30, 0, 0, 0, 0},
	{"tower", 207, 650, 30, 0, 0, 60, 0},
	{"south_yard", 215, 500, 25, 0, 180, 60, 0},
	{"factory", 750, 420, -35, 8, 0, 0, 0},
	{"chimney", 900, 100, 30, 0, 0, 0, 1},
	{"gallery", 450, -300, 30, 0, 0, 0, 0},
	{"gate_b", 0, -150, 30, 0, 0, 0, 0},
};

static const double syn_path[][2] = {
	{0, 0}, {600, 0}, {600, 400}, {200, 400}, {200, 800}, {215, 800},
	{215, 420}, {900, 420}, {900, -300}, {0, -300}, {0, -20},
};

struct route *
track_synthetic_route(void)
{
	struct geo_proj p;
	geo_proj_init(&p, SYN_LAT0, SYN_LON0);
	const unsigned ns = sizeof(syn_stops) / sizeof(*syn_stops);
	const unsigned np = sizeof(syn_path) / sizeof(*syn_path);
	struct route *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->id = dupstr("synthetic");
	r->file = dupstr("(synthetic)");
	r->n_langs = 2;
	r->langs = calloc(2, sizeof(char *));
	r->stops = calloc(ns, sizeof(*r->stops));
	r->tours = calloc(1, sizeof(*r->tours));
	if (!r->id || !r->file || !r->langs || !r->stops || !r->tours)
		goto fail;
	r->langs[0] = dupstr("zh");
	r->langs[1] = dupstr("en");
	r->n_stops = ns;
	for (unsigned i = 0; i < ns; i++) {
		const struct syn_stop *d = &syn_stops[i];
		struct route_stop *s = &r->stops[i];
		s->id = dupstr(d->id);
		s->fence.center = syn_point(&p, d->x, d->y);
		if (d->r > 0) {
			s->fence.kind = ROUTE_FENCE_CIRCLE;
			s->fence.radius_m = d->r;
		} else {
			s->fence.kind = ROUTE_FENCE_POLYGON;
			s->fence.radius_m = -d->r;
			s->fence.n_vertices = (unsigned)d->poly_n;
			s->fence.vertices = calloc((size_t)d->poly_n, sizeof(struct route_point));
			if (!s->fence.vertices)
				goto fail;
			for (int k = 0; k < d->poly_n; k++) {
				double ang = 2 * M_PI * k / d->poly_n;
				double rr = -d->r * (k % 2 ? 0.8 : 1.0);
				s->fence.vertices[k] =
					syn_point(&p, d->x + rr * sin(ang), d->y + rr * cos(ang));
			}
		}
		s->heading.set = d->tol > 0;
		s->heading.deg = d->heading;
		s->heading.tolerance_deg = d->tol;
		s->priority = d->priority;
		s->lead_s = 6;
		s->lead_m = 15;
		s->play_once = true;
		s->n_clips = 2;
		s->clips = calloc(2, sizeof(*s->clips));
		if (!s->id || !s->clips)
			goto fail;
		for (unsigned k = 0; k < 2; k++) {
			char name[64];
			snprintf(name, sizeof(name), "%s.%s.opus", d->id, k ? "en" : "zh");
			s->clips[k].lang = dupstr(k ? "en" : "zh");
			s->clips[k].file = dupstr(name);
			s->clips[k].path = dupstr(name);
			s->clips[k].duration_ms = k ? 10000 : 12000;
			if (!s->clips[k].lang || !s->clips[k].file || !s->clips[k].path)
				goto fail;
		}
	}
	struct route_tour *t = &r->tours[0];
	r->n_tours = 1;
	t->id = dupstr("loop");
	t->n_langs = 2;
	t->langs = calloc(2, sizeof(char *));
	t->stops = calloc(ns, sizeof(unsigned));
	t->path = calloc(np, sizeof(*t->path));
	if (!t->id || !t->langs || !t->stops || !t->path)
		goto fail;
	t->langs[0] = dupstr("zh");
	t->langs[1] = dupstr("en");
	t->n_stops = ns;
	for (unsigned i = 0; i < ns; i++)
		t->stops[i] = i;
	t->n_path = np;
	for (unsigned i = 0; i < np; i++)
		t->path[i] = syn_point(&p, syn_path[i][0], syn_path[i][1]);
	t->speed_kmh = 12;
	return r;
fail:
	track_synthetic_route_free(r);
	return NULL;
}

static void
free_clips(struct route_clip *c, unsigned n)
{
	for (unsigned i = 0; c && i < n; i++) {
		free(c[i].lang);
		free(c[i].file);
		free(c[i].path);
		free(c[i].transcript);
	}
	free(c);
}

void
track_synthetic_route_free(struct route *r)
{
	if (!r)
		return;
	for (unsigned i = 0; r->stops && i < r->n_stops; i++) {
		struct route_stop *s = &r->stops[i];
		free(s->id);
		free(s->fence.vertices);
		free_clips(s->clips, s->n_clips);
	}
	free(r->stops);
	for (unsigned i = 0; r->tours && i < r->n_tours; i++) {
		struct route_tour *t = &r->tours[i];
		free(t->id);
		for (unsigned k = 0; t->langs && k < t->n_langs; k++)
			free(t->langs[k]);
		free(t->langs);
		free(t->stops);
		free(t->path);
		for (int k = 0; k < ROUTE_ANNOUNCE_COUNT; k++)
			free_clips(t->announcements[k], t->n_announcements[k]);
	}
	free(r->tours);
	for (unsigned k = 0; r->langs && k < r->n_langs; k++)
		free(r->langs[k]);
	free(r->langs);
	free(r->id);
	free(r->file);
	free(r);
}

/* ---- command line ------------------------------------------------------- */

static const char usage[] =
	"usage: guide-route track FILE [--tour ID] [--speed KMH] [--noise M] [--hz N] [--seed N]\n"
	"                         [--jumps PER_MIN] [--dropouts PER_MIN] [--halt S] [--park S]\n"
	"                         [--wait S] [--reverse] [--gpx]\n"
	"  --reverse  drive the tour's path the wrong way round\n"
	"  --gpx      write GPX 1.1 instead of NMEA\n"
	"  --wait S  boarding: parked at the start this long before leaving (default 60,\n"
	"            time for the welcome and safety announcements)\n"
	"  --park S  parked at the end this long, the receiver drifting\n"
	"  a synthetic NMEA drive (RMC+GGA) along the tour path on stdout;\n"
	"  FILE may be --synthetic for the built-in test route\n";

static bool
parse_double(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (!*s || *end || !isfinite(v))
		return false;
	*out = v;
	return true;
}

int
guide_track_run(const struct route *r, int argc, char **argv, FILE *out, FILE *err)
{
	struct track_options o;
	track_options_defaults(&o);
	o.park_start_s = 60; /* boarding: the welcome plays before the cart leaves */
	const char *tour_id = NULL;
	bool reverse = false, gpx = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		double d;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, out);
			return 0;
		}
		if (a[0] != '-' || strcmp(a, "--synthetic") == 0)
			continue; /* the FILE */
		if (strcmp(a, "--reverse") == 0) {
			reverse = true;
			continue;
		}
		if (strcmp(a, "--gpx") == 0) {
			gpx = true;
			continue;
		}
		if (!v) {
			fprintf(err, "track: %s needs a value\n%s", a, usage);
			return 2;
		}
		i++;
		if (strcmp(a, "--tour") == 0) {
			tour_id = v;
			continue;
		}
		if (!parse_double(v, &d)) {
			fprintf(err, "track: %s: not a number: %s\n", a, v);
			return 2;
		}
		if (strcmp(a, "--speed") == 0 && d > 0)
			o.speed_kmh = d;
		else if (strcmp(a, "--noise") == 0 && d >= 0)
			o.noise_m = d;
		else if (strcmp(a, "--hz") == 0 && d > 0 && d <= 50)
			o.hz = d;
		else if (strcmp(a, "--seed") == 0 && d >= 0)
			o.seed = (uint64_t)d;
		else if (strcmp(a, "--jumps") == 0 && d >= 0)
			o.jump_per_min = d;
		else if (strcmp(a, "--dropouts") == 0 && d >= 0)
			o.dropout_per_min = d;
		else if (strcmp(a, "--halt") == 0 && d >= 0)
			o.halt_s = d;
		else if (strcmp(a, "--park") == 0 && d >= 0)
			o.park_end_s = d;
		else if (strcmp(a, "--wait") == 0 && d >= 0)
			o.park_start_s = d;
		else {
			fprintf(err, "track: bad option or value: %s %s\n%s", a, v, usage);
			return 2;
		}
	}
	unsigned idx = 0;
	bool found = !tour_id;
	for (unsigned i = 0; tour_id && i < r->n_tours; i++)
		if (r->tours[i].id && strcmp(r->tours[i].id, tour_id) == 0) {
			idx = i;
			found = true;
		}
	if (!found || r->n_tours == 0) {
		fprintf(err, "track: no tour %s\n", tour_id ? tour_id : "(none in the route)");
		return 2;
	}
	struct track_sample *s;
	size_t n;
	int rc;
	if (reverse) {
		/* the same route with this tour's path turned round */
		const struct route_tour *t = &r->tours[idx];
		struct route rr = *r;
		struct route_tour *tours = malloc(r->n_tours * sizeof(*tours));
		struct route_point *path = malloc((t->n_path ? t->n_path : 1) * sizeof(*path));
		if (!tours || !path) {
			free(tours);
			free(path);
			fprintf(err, "track: out of memory\n");
			return 1;
		}
		memcpy(tours, r->tours, r->n_tours * sizeof(*tours));
		for (unsigned i = 0; i < t->n_path; i++)
			path[i] = t->path[t->n_path - 1 - i];
		tours[idx].path = path;
		rr.tours = tours;
		rc = track_generate(&rr, idx, &o, &s, &n);
		free(path);
		free(tours);
	} else {
		rc = track_generate(r, idx, &o, &s, &n);
	}
	if (rc == -EINVAL) {
		fprintf(err, "track: tour %s has no path\n", r->tours[idx].id);
		return 2;
	}
	if (rc < 0) {
		fprintf(err, "track: %s\n", strerror(-rc));
		return 1;
	}
	rc = gpx ? track_write_gpx(s, n, r->tours[idx].id, out) : track_write_nmea(s, n, out);
	free(s);
	return rc < 0 ? 1 : 0;
}

int
guide_track_main(int argc, char **argv)
{
	const char *file = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		if (strcmp(argv[i], "--synthetic") == 0) {
			file = argv[i];
		} else if (argv[i][0] == '-') {
			i++;
		} else if (!file) {
			file = argv[i];
		}
	}
	if (!file) {
		fputs(usage, stderr);
		return 2;
	}
	if (strcmp(file, "--synthetic") != 0) {
		struct route *route = NULL;
		int lrc = guide_route_load(file, false, stderr, &route, NULL);
		if (lrc != 0)
			return lrc;
		int rc = guide_track_run(route, argc, argv, stdout, stderr);
		route_destroy(route);
		return rc;
	}
	struct route *r = track_synthetic_route();
	if (!r) {
		fprintf(stderr, "track: out of memory\n");
		return 1;
	}
	int rc = guide_track_run(r, argc, argv, stdout, stderr);
	track_synthetic_route_free(r);
	return rc;
}
