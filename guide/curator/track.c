#include "guide/curator/track.h"
#include "hal/nmea.h"

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
		.detour_deg = 90,
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

/* The generator between two samples: the path, where the cart halts, its
 * motion and the receiver's slowly changing errors. */
struct drive {
	struct track_options o;
	struct rng rng;
	struct geo_proj proj;
	struct geo_xy *pts; /* the tour path in driving order, projected */
	double *cum;        /* its length up to each vertex */
	size_t np;
	double *halts; /* metres along where the cart stops; the last is the end */
	size_t n_halts, next_halt;
	double cruise, accel, dt;
	/* motion */
	double along, v, halt_left, park_left;
	bool at_end, end_parked;
	/* receiver errors */
	double bias_x, bias_y, park_x, park_y;
	double jump_left, jump_dx, jump_dy, drop_left;
	/* the excursion: 0 before, 1 out, 2 back, 3 done */
	int det_state;
	double det_pos, det_heading;
	struct geo_xy det_origin;
	int64_t next_fix_ms; /* sparse fixes: the next one reported */
};

static void
drive_finish(struct drive *d)
{
	free(d->pts);
	free(d->cum);
	free(d->halts);
}

/* Halts at each stop's closest approach, in path order, then the path's end. */
static void
drive_plan_halts(struct drive *d, const struct route *r, const struct route_tour *tour)
{
	double len = d->cum[d->np - 1];
	d->n_halts = 0;
	if (d->o.halt_s > 0) {
		for (unsigned i = 0; i < tour->n_stops; i++) {
			const struct route_stop *st = &r->stops[tour->stops[i]];
			struct geo_xy c =
				geo_project(&d->proj, st->fence.center.lat, st->fence.center.lon);
			double a = geo_polyline_locate(d->pts, d->cum, d->np, c, NULL, NULL);
			if (a > 1 && a < len - 1)
				d->halts[d->n_halts++] = a;
		}
		qsort(d->halts, d->n_halts, sizeof(*d->halts), cmp_double);
	}
	d->halts[d->n_halts++] = len;
}

static int
drive_init(struct drive *d, const struct route *r, const struct route_tour *tour,
	   const struct track_options *opt)
{
	*d = (struct drive){.o = *opt};
	if (d->o.hz <= 0)
		d->o.hz = 1;
	double kmh =
		d->o.speed_kmh > 0 ? d->o.speed_kmh : (tour->speed_kmh > 0 ? tour->speed_kmh : 12);
	d->cruise = kmh / 3.6;
	d->accel = d->o.accel > 0 ? d->o.accel : 0.6;
	d->dt = 1.0 / d->o.hz;
	rng_seed(&d->rng, d->o.seed);

	d->np = tour->n_path;
	d->pts = calloc(d->np, sizeof(*d->pts));
	d->cum = calloc(d->np, sizeof(*d->cum));
	d->halts = calloc(tour->n_stops + 1, sizeof(*d->halts));
	if (!d->pts || !d->cum || !d->halts)
		return -ENOMEM;
	for (size_t i = 0; i < d->np; i++) {
		const struct route_point *q = &tour->path[d->o.reverse ? d->np - 1 - i : i];
		if (i == 0)
			geo_proj_init(&d->proj, q->lat, q->lon);
		d->pts[i] = geo_project(&d->proj, q->lat, q->lon);
	}
	geo_polyline_lengths(d->pts, d->np, d->cum);
	drive_plan_halts(d, r, tour);

	d->park_left = d->o.park_start_s;
	d->bias_x = d->o.bias_m * rng_gauss(&d->rng);
	d->bias_y = d->o.bias_m * rng_gauss(&d->rng);
	return 0;
}

/* Room for the whole drive: its length at cruising speed, the halts with
 * their braking and starting, the parked minutes and a margin. */
static size_t
drive_capacity(const struct drive *d)
{
	const struct track_options *o = &d->o;
	double drive_s = d->cum[d->np - 1] / d->cruise +
			 d->n_halts * (o->halt_s + 2 * d->cruise / d->accel) + 60;
	if (o->detour_m > 0)
		drive_s += 2 * o->detour_m / d->cruise + 2 * d->cruise / d->accel;
	return (size_t)((drive_s + o->park_start_s + o->park_end_s) * o->hz) + 16;
}

/* The excursion's step: out at cruising speed, a U-turn, back to where
 * the cart left the path. */
static void
drive_detour(struct drive *d)
{
	d->v = fmax(0.3, fmin(d->v + d->accel * d->dt, d->cruise));
	if (d->det_state == 1) {
		d->det_pos += d->v * d->dt;
		if (d->det_pos >= d->o.detour_m) {
			d->det_pos = d->o.detour_m;
			d->det_state = 2;
		}
	} else {
		d->det_pos -= d->v * d->dt;
		if (d->det_pos <= 0) {
			d->det_pos = 0;
			d->det_state = 3;
		}
	}
}

/* One time step of the cart: parked, halted, on its excursion or driving
 * towards the next halt within its acceleration.  false once the drive is
 * over. */
static bool
drive_move(struct drive *d, bool *parked)
{
	const struct track_options *o = &d->o;
	*parked = false;
	if (d->park_left > 0) {
		*parked = true;
		d->park_left -= d->dt;
		d->v = 0;
	} else if (d->at_end) {
		if (d->end_parked)
			return false;
		d->end_parked = true;
		d->park_left = o->park_end_s;
		if (d->park_left <= 0)
			return false;
		*parked = true;
		d->park_left -= d->dt;
	} else if (d->halt_left > 0) {
		d->halt_left -= d->dt;
		d->v = 0;
	} else if (d->det_state == 1 || d->det_state == 2) {
		drive_detour(d);
	} else {
		double target = d->halts[d->next_halt];
		double dist = target - d->along;
		double vb = sqrt(fmax(0, 2 * d->accel * dist));
		d->v = fmin(fmin(d->v + d->accel * d->dt, d->cruise), vb);
		if (dist <= 0.05 || (d->v < 0.05 && dist < 0.5)) {
			d->along = target;
			d->v = 0;
			d->next_halt++;
			if (d->next_halt >= d->n_halts)
				d->at_end = true;
			else
				d->halt_left = o->halt_s;
		} else {
			d->v = fmax(d->v, 0.3);
			d->along = fmin(target, d->along + d->v * d->dt);
		}
		if (o->detour_m > 0 && d->det_state == 0 && d->along >= o->detour_at_m) {
			double hd;
			d->det_origin = geo_polyline_point(d->pts, d->cum, d->np, d->along, &hd);
			d->det_heading = hd + o->detour_deg;
			d->det_state = 1;
		}
	}
	return true;
}

/* The receiver's errors for one step: a drifting bias, a parked receiver's
 * wander, multipath jumps, dropouts and white noise.  Returns where the
 * receiver puts the true point p. */
static struct geo_xy
drive_measure(struct drive *d, struct geo_xy p, bool parked, bool *jumping)
{
	const struct track_options *o = &d->o;
	double dt = d->dt;
	double a = dt / (o->bias_tau_s > 0 ? o->bias_tau_s : 120);
	d->bias_x += -a * d->bias_x + o->bias_m * sqrt(2 * a) * rng_gauss(&d->rng);
	d->bias_y += -a * d->bias_y + o->bias_m * sqrt(2 * a) * rng_gauss(&d->rng);
	if (parked) {
		/* a parked receiver wanders: a slow random walk, bounded */
		double step = o->park_drift_m * sqrt(dt / 60.0);
		d->park_x += step * rng_gauss(&d->rng) - 0.01 * dt * d->park_x;
		d->park_y += step * rng_gauss(&d->rng) - 0.01 * dt * d->park_y;
	} else {
		d->park_x *= exp(-dt / 10.0);
		d->park_y *= exp(-dt / 10.0);
	}
	if (d->jump_left > 0) {
		d->jump_left -= dt;
	} else if (!parked && rng_uniform(&d->rng) < o->jump_per_min / 60.0 * dt) {
		double m = rng_range(&d->rng, o->jump_min_m, o->jump_max_m);
		double ang = rng_range(&d->rng, 0, 2 * M_PI);
		d->jump_dx = m * sin(ang);
		d->jump_dy = m * cos(ang);
		d->jump_left = rng_range(&d->rng, o->jump_min_s, o->jump_max_s);
	}
	if (d->drop_left > 0)
		d->drop_left -= dt;
	else if (rng_uniform(&d->rng) < o->dropout_per_min / 60.0 * dt)
		d->drop_left = rng_range(&d->rng, o->dropout_min_s, o->dropout_max_s);
	struct geo_xy m = p;
	m.x += d->bias_x + d->park_x + o->noise_m * rng_gauss(&d->rng);
	m.y += d->bias_y + d->park_y + o->noise_m * rng_gauss(&d->rng);
	*jumping = d->jump_left > 0;
	if (*jumping) {
		m.x += d->jump_dx;
		m.y += d->jump_dy;
	}
	return m;
}

/* What the receiver reports at measured point m: nothing in a dropout, else
 * a 3D fix with a noisy speed and course. */
static void
drive_report(struct drive *d, struct track_sample *sm, struct geo_xy m, double heading)
{
	struct hal_fix *f = &sm->fix;
	double v = d->v;
	f->time_ms = sm->t_ms;
	f->alt = f->hdop = f->eph = f->lat = f->lon = f->speed = f->track = NAN;
	if (d->drop_left > 0) {
		sm->dropped = true;
		f->set = HAL_FIX_TIME | HAL_FIX_MODE;
		f->mode = HAL_FIX_MODE_NONE;
		return;
	}
	geo_unproject(&d->proj, m, &f->lat, &f->lon);
	double sp = v + (d->o.noise_m > 0 ? 0.1 * rng_gauss(&d->rng) : 0);
	if (v < 0.01)
		sp = fabs(0.05 * rng_gauss(&d->rng));
	f->speed = fmax(0, sp);
	f->track = v > 0.5 ? fmod(heading + 2.0 * rng_gauss(&d->rng) + 360.0, 360.0)
			   : rng_range(&d->rng, 0, 360);
	f->alt = 45;
	f->hdop = 0.9;
	f->sats_used = 9;
	f->mode = HAL_FIX_MODE_3D;
	f->set = HAL_FIX_TIME | HAL_FIX_POS | HAL_FIX_ALT | HAL_FIX_SPEED | HAL_FIX_TRACK |
		 HAL_FIX_HDOP | HAL_FIX_SATS | HAL_FIX_MODE;
}

/* Steps the drive to its end into s[cap]; returns the samples written. */
static size_t
drive_run(struct drive *d, struct track_sample *s, size_t cap)
{
	size_t n = 0;
	bool parked;
	bool sparse = d->o.fix_gap_max_s > d->dt;
	d->next_fix_ms = d->o.start_ms;
	for (int64_t step = 0; n < cap && drive_move(d, &parked); step++) {
		struct track_sample *sm = &s[n];
		double heading;
		struct geo_xy p = geo_polyline_point(d->pts, d->cum, d->np, d->along, &heading);
		sm->detour = d->det_state == 1 || d->det_state == 2;
		if (sm->detour) {
			double hd = d->det_heading * DEG;
			p.x = d->det_origin.x + d->det_pos * sin(hd);
			p.y = d->det_origin.y + d->det_pos * cos(hd);
			heading = fmod(d->det_heading + (d->det_state == 2 ? 180.0 : 0.0) + 720.0,
				       360.0);
		}
		struct geo_xy m = drive_measure(d, p, parked, &sm->jumping);
		sm->t_ms = d->o.start_ms + (int64_t)llround((double)step * 1000.0 / d->o.hz);
		if (sparse) {
			if (sm->t_ms < d->next_fix_ms) {
				memset(sm, 0, sizeof(*sm));
				continue;
			}
			double gap = rng_range(&d->rng, d->dt, d->o.fix_gap_max_s);
			d->next_fix_ms = sm->t_ms + (int64_t)llround(gap * d->o.hz) * 1000 /
							    (int64_t)llround(d->o.hz);
		}
		sm->true_along = d->along;
		sm->true_speed = d->v;
		sm->parked = parked;
		geo_unproject(&d->proj, p, &sm->true_lat, &sm->true_lon);
		drive_report(d, sm, m, heading);
		n++;
	}
	return n;
}

int
track_generate(const struct route *r, unsigned tour_index, const struct track_options *opt,
	       struct track_sample **out, size_t *n_out)
{
	*out = NULL;
	*n_out = 0;
	if (!r || tour_index >= r->n_tours || r->tours[tour_index].n_path < 2)
		return -EINVAL;
	struct drive d;
	int rc = drive_init(&d, r, &r->tours[tour_index], opt);
	if (rc == 0) {
		size_t cap = drive_capacity(&d);
		struct track_sample *s = calloc(cap, sizeof(*s));
		if (s) {
			*n_out = drive_run(&d, s, cap);
			*out = s;
		} else {
			rc = -ENOMEM;
		}
	}
	drive_finish(&d);
	return rc;
}

/* ---- NMEA --------------------------------------------------------------- */

size_t
track_format_nmea(const struct hal_fix *fix, char *buf, size_t size)
{
	return hal_nmea_format_fix(fix, buf, size);
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
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
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

struct syn_stop {
	const char *id;
	double x, y, r; /* circle; r < 0: polygon of |r| "radius" */
	int poly_n;     /* polygon vertices */
	double heading, tol;
	int priority;
};

static const struct syn_stop syn_stops[] = {
	{"gate_a", 300, 12, 30, 0, 0, 0, 0},         {"kiln", 615, 200, -35, 6, 0, 0, 0},
	{"north_wall", 400, 410, 30, 0, 0, 0, 0},    {"tower", 207, 650, 30, 0, 0, 60, 0},
	{"south_yard", 215, 500, 25, 0, 180, 60, 0}, {"factory", 750, 420, -35, 8, 0, 0, 0},
	{"chimney", 900, 100, 30, 0, 0, 0, 1},       {"gallery", 450, -300, 30, 0, 0, 0, 0},
	{"gate_b", 0, -150, 30, 0, 0, 0, 0},
};

static const double syn_path[][2] = {
	{0, 0},     {600, 0},   {600, 400},  {200, 400}, {200, 800}, {215, 800},
	{215, 420}, {900, 420}, {900, -300}, {0, -300},  {0, -20},
};

/* One stop of the synthetic route: its fence, heading window and a zh and
 * an en clip; -ENOMEM leaves what it allocated for route_destroy(). */
static int
syn_stop_init(struct route_stop *s, const struct syn_stop *d, const struct geo_proj *p)
{
	s->id = strdup(d->id);
	s->fence.center = syn_point(p, d->x, d->y);
	if (d->r > 0) {
		s->fence.kind = ROUTE_FENCE_CIRCLE;
		s->fence.radius_m = d->r;
	} else {
		s->fence.kind = ROUTE_FENCE_POLYGON;
		s->fence.radius_m = -d->r;
		s->fence.n_vertices = (unsigned)d->poly_n;
		s->fence.vertices = calloc((size_t)d->poly_n, sizeof(struct route_point));
		if (!s->fence.vertices)
			return -ENOMEM;
		for (int k = 0; k < d->poly_n; k++) {
			double ang = 2 * M_PI * k / d->poly_n;
			double rr = -d->r * (k % 2 ? 0.8 : 1.0);
			s->fence.vertices[k] =
				syn_point(p, d->x + rr * sin(ang), d->y + rr * cos(ang));
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
		return -ENOMEM;
	for (unsigned k = 0; k < 2; k++) {
		char name[64];
		snprintf(name, sizeof(name), "%s.%s.opus", d->id, k ? "en" : "zh");
		s->clips[k].lang = strdup(k ? "en" : "zh");
		s->clips[k].file = strdup(name);
		s->clips[k].path = strdup(name);
		s->clips[k].duration_ms = k ? 10000 : 12000;
		if (!s->clips[k].lang || !s->clips[k].file || !s->clips[k].path)
			return -ENOMEM;
	}
	return 0;
}

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
	r->id = strdup("synthetic");
	r->file = strdup("(synthetic)");
	r->n_langs = 2;
	r->langs = calloc(2, sizeof(char *));
	r->stops = calloc(ns, sizeof(*r->stops));
	r->tours = calloc(1, sizeof(*r->tours));
	if (!r->id || !r->file || !r->langs || !r->stops || !r->tours)
		goto fail;
	r->langs[0] = strdup("zh");
	r->langs[1] = strdup("en");
	r->n_stops = ns;
	for (unsigned i = 0; i < ns; i++)
		if (syn_stop_init(&r->stops[i], &syn_stops[i], &p) < 0)
			goto fail;
	struct route_tour *t = &r->tours[0];
	r->n_tours = 1;
	t->id = strdup("loop");
	t->n_langs = 2;
	t->langs = calloc(2, sizeof(char *));
	t->stops = calloc(ns, sizeof(unsigned));
	t->path = calloc(np, sizeof(*t->path));
	if (!t->id || !t->langs || !t->stops || !t->path)
		goto fail;
	t->langs[0] = strdup("zh");
	t->langs[1] = strdup("en");
	t->n_stops = ns;
	for (unsigned i = 0; i < ns; i++)
		t->stops[i] = i;
	t->n_path = np;
	for (unsigned i = 0; i < np; i++)
		t->path[i] = syn_point(&p, syn_path[i][0], syn_path[i][1]);
	t->speed_kmh = 12;
	return r;
fail:
	route_destroy(r);
	return NULL;
}
