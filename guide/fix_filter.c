#include "guide/fix_filter.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEG (M_PI / 180.0)
#define EARTH_R 6371008.8

struct fix_filter {
	struct fix_filter_config cfg;
	struct fix_filter_stats stats;
	bool have_state;
	/* the tracker's frame: equirectangular around the reset point */
	double lat0, lon0, m_lat, m_lon;
	double px, py;    /* tracked position, m */
	double vx, vy;    /* velocity, m/s */
	double rx, ry;    /* last accepted raw position */
	double sigma_raw; /* its error, m (1 sigma per axis) */
	bool have_time;
	int64_t last_t;
	int rejects; /* consecutive JUMP/ACCEL */
	bool reject_timed;
	int64_t first_reject_t; /* time of the first of them */
};

static const char *const reason_str[FIX_FILTER_REASON_COUNT] = {
	[FIX_FILTER_ACCEPT] = "accept",
	[FIX_FILTER_RESET] = "reset",
	[FIX_FILTER_NO_POSITION] = "no_position",
	[FIX_FILTER_HDOP] = "hdop",
	[FIX_FILTER_EPH] = "eph",
	[FIX_FILTER_SPEED] = "speed",
	[FIX_FILTER_TIME] = "time",
	[FIX_FILTER_JUMP] = "jump",
	[FIX_FILTER_ACCEL] = "accel",
	[FIX_FILTER_TRIGGER_ACCURACY] = "trigger_accuracy",
	[FIX_FILTER_TRIGGER_JUMP] = "trigger_jump",
};

const char *
fix_filter_reason_to_str(enum fix_filter_reason r)
{
	if ((unsigned)r >= FIX_FILTER_REASON_COUNT || !reason_str[r])
		return "unknown";
	return reason_str[r];
}

bool
fix_filter_reason_accepted(enum fix_filter_reason r)
{
	return r == FIX_FILTER_ACCEPT || r == FIX_FILTER_RESET;
}

/* ---- stage 1: the filter ------------------------------------------------ */

void
fix_filter_config_default(struct fix_filter_config *c)
{
	*c = (struct fix_filter_config){
		.max_hdop = 5.0,
		.max_eph_m = 30.0,
		.max_speed_ms = 15.0,
		.max_accel_ms2 = 3.0,
		.uere_m = 4.0,
		.default_sigma_m = 5.0,
		.min_sigma_m = 2.0,
		.gate_sigmas = 4.0,
		.doppler_error_ms = 0.5,
		.velocity_error_ms = 2.0,
		.reset_gap_ms = 10000,
		.reset_after = 3,
		.reset_after_ms = 6000,
		.track_min_speed_ms = 1.5,
		.still_speed_ms = 0.5,
		.alpha_still = 0.3,
		.alpha_moving = 0.3,
		.beta = 0.3,
	};
}

int
fix_filter_create(const struct fix_filter_config *cfg, struct fix_filter **out)
{
	*out = NULL;
	struct fix_filter_config c;
	if (cfg)
		c = *cfg;
	else
		fix_filter_config_default(&c);
	if (!(c.max_speed_ms > 0) || !(c.alpha_still > 0 && c.alpha_still <= 1) ||
	    !(c.alpha_moving > 0 && c.alpha_moving <= 1) || !(c.beta >= 0 && c.beta <= 1) ||
	    !(c.max_accel_ms2 > 0) || !(c.uere_m > 0) || !(c.default_sigma_m > 0) ||
	    !(c.min_sigma_m >= 0) || !(c.gate_sigmas > 0) || !(c.doppler_error_ms >= 0) ||
	    !(c.velocity_error_ms >= 0) || c.reset_after < 0 || c.reset_after_ms < 0)
		return -EINVAL;
	struct fix_filter *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->cfg = c;
	*out = f;
	return 0;
}

void
fix_filter_destroy(struct fix_filter *f)
{
	free(f);
}

void
fix_filter_reset(struct fix_filter *f)
{
	f->have_state = false;
	f->rejects = 0;
}

void
fix_filter_get_stats(const struct fix_filter *f, struct fix_filter_stats *out)
{
	*out = f->stats;
}

/* The tracker's own spherical frame (not geo_proj, whose ellipsoid would
 * move the jump and accel limits by a few per mille). */
static void
project(const struct fix_filter *f, double lat, double lon, double *x, double *y)
{
	double dlon = lon - f->lon0;
	if (dlon > 180)
		dlon -= 360;
	else if (dlon < -180)
		dlon += 360;
	*x = dlon * f->m_lon;
	*y = (lat - f->lat0) * f->m_lat;
}

/* The receiver's velocity vector, when it can be trusted: a track below
 * track_min_speed_ms is noise, so then the tracker estimates velocity itself. */
static bool
doppler(const struct fix_filter *f, const struct hal_fix *in, double *vx, double *vy)
{
	if (!(in->set & HAL_FIX_SPEED) || !isfinite(in->speed))
		return false;
	if (in->speed < f->cfg.still_speed_ms) {
		/* the receiver's Doppler speed is good to a few cm/s: standing */
		*vx = *vy = 0;
		return true;
	}
	if (!(in->set & HAL_FIX_TRACK) || !isfinite(in->track) ||
	    in->speed < f->cfg.track_min_speed_ms)
		return false;
	*vx = in->speed * sin(in->track * DEG);
	*vy = in->speed * cos(in->track * DEG);
	return true;
}

/* The fix's own error, m (1 sigma per axis): gpsd's eph is a 95 % radius,
 * about 2.45 sigma of each axis, so eph / 2 errs on the wide side; hdop
 * times a user range error of uere_m; default_sigma_m when the receiver
 * says neither; never below min_sigma_m. */
static double
fix_sigma(const struct fix_filter_config *c, const struct hal_fix *in)
{
	double s = c->default_sigma_m;
	if ((in->set & HAL_FIX_EPH) && isfinite(in->eph) && in->eph > 0)
		s = in->eph / 2.0;
	else if ((in->set & HAL_FIX_HDOP) && isfinite(in->hdop) && in->hdop > 0)
		s = in->hdop * c->uere_m;
	return fmax(s, c->min_sigma_m);
}

static void
start(struct fix_filter *f, const struct hal_fix *in)
{
	f->lat0 = in->lat;
	f->lon0 = in->lon;
	f->m_lat = EARTH_R * DEG;
	f->m_lon = EARTH_R * DEG * cos(in->lat * DEG);
	if (f->m_lon < 1.0)
		f->m_lon = 1.0; /* at the poles; not where the cart goes */
	f->px = f->py = f->rx = f->ry = 0;
	f->sigma_raw = fix_sigma(&f->cfg, in);
	if (!doppler(f, in, &f->vx, &f->vy))
		f->vx = f->vy = 0;
	f->have_time = (in->set & HAL_FIX_TIME) != 0;
	f->last_t = in->time_ms;
	f->rejects = 0;
	f->reject_timed = false;
	f->have_state = true;
}

/* Where the tracker expects a fix dt seconds on, and how far off its
 * velocity may be (m/s). */
static void
predict(const struct fix_filter *f, const struct hal_fix *in, double dt, double *x, double *y,
	double *v_err)
{
	double vdx, vdy;
	if (doppler(f, in, &vdx, &vdy)) {
		/* with Doppler velocity at both ends, predict with their mean:
		 * exact under constant acceleration, so braking adds no error */
		*x = f->px + (f->vx + vdx) / 2 * dt;
		*y = f->py + (f->vy + vdy) / 2 * dt;
		*v_err = f->cfg.doppler_error_ms;
		return;
	}
	*x = f->px + f->vx * dt;
	*y = f->py + f->vy * dt;
	*v_err = f->cfg.velocity_error_ms;
	if ((in->set & HAL_FIX_SPEED) && isfinite(in->speed))
		*v_err = fmax(*v_err, in->speed); /* a slow speed with no course */
}

/* Advance the tracker to an accepted fix at (zx, zy), dt seconds on. */
static void
track(struct fix_filter *f, const struct hal_fix *in, double zx, double zy, double dt)
{
	const struct fix_filter_config *c = &f->cfg;
	double vdx, vdy, ppx, ppy, v_err;
	bool have_dop = doppler(f, in, &vdx, &vdy);
	predict(f, in, dt, &ppx, &ppy, &v_err);
	double rx = zx - ppx, ry = zy - ppy;
	double speed = (in->set & HAL_FIX_SPEED) ? in->speed : hypot(f->vx, f->vy);
	/* the gains are per second: ten fixes in a second weigh as one does
	 * at 1 Hz, so that a 10 Hz receiver's noise (or the first fixes of a
	 * jump) does not drag the tracker */
	double t1 = fmin(dt, 1.0);
	double a = 1.0 -
		   pow(1.0 - (speed >= c->still_speed_ms ? c->alpha_moving : c->alpha_still), t1);
	f->px = ppx + a * rx;
	f->py = ppy + a * ry;
	f->sigma_raw = fix_sigma(c, in);
	if (have_dop) {
		f->vx = vdx;
		f->vy = vdy;
	} else {
		f->vx += c->beta * t1 * t1 * rx / dt;
		f->vy += c->beta * t1 * t1 * ry / dt;
	}
	f->rx = zx;
	f->ry = zy;
	if (in->set & HAL_FIX_TIME) {
		f->have_time = true;
		f->last_t = in->time_ms;
	}
	f->rejects = 0;
	f->reject_timed = false;
}

static enum fix_filter_reason
count(struct fix_filter *f, enum fix_filter_reason r)
{
	f->stats.count[r]++;
	return r;
}

/* The rules that need no history, in their documented order. */
static enum fix_filter_reason
check_fix(const struct fix_filter_config *c, const struct hal_fix *in)
{
	if (!hal_fix_has_position(in))
		return FIX_FILTER_NO_POSITION;
	if (c->max_hdop > 0 && (in->set & HAL_FIX_HDOP) && !(in->hdop <= c->max_hdop))
		return FIX_FILTER_HDOP;
	if (c->max_eph_m > 0 && (in->set & HAL_FIX_EPH) && !(in->eph <= c->max_eph_m))
		return FIX_FILTER_EPH;
	if ((in->set & HAL_FIX_SPEED) && in->speed > c->max_speed_ms)
		return FIX_FILTER_SPEED;
	return FIX_FILTER_ACCEPT;
}

/* jump against the last accepted raw position, accel against the
 * tracker's prediction; each allows what the cart can do in dt (the time
 * since the last accepted fix) plus gate_sigmas times the errors of the
 * two positions compared (see fix_filter.h) */
static enum fix_filter_reason
check_motion(const struct fix_filter *f, const struct hal_fix *in, double zx, double zy, double dt)
{
	const struct fix_filter_config *c = &f->cfg;
	/* the receiver's errors are correlated over seconds: the tracked
	 * position is no better than the last fix it took */
	double noise = c->gate_sigmas * hypot(fix_sigma(c, in), f->sigma_raw);
	double d = hypot(zx - f->rx, zy - f->ry);
	if (d > c->max_speed_ms * dt + noise)
		return FIX_FILTER_JUMP;
	double ppx, ppy, v_err;
	predict(f, in, dt, &ppx, &ppy, &v_err);
	double dp = hypot(zx - ppx, zy - ppy);
	if (dp > 0.5 * c->max_accel_ms2 * dt * dt + v_err * dt + noise)
		return FIX_FILTER_ACCEL;
	return FIX_FILTER_ACCEPT;
}

/* A fix failed jump or accel: rejected, unless the fixes have disagreed
 * with the filter for reset_after fixes and reset_after_ms (the receiver
 * really is elsewhere): then true, restart there. */
static bool
give_up(struct fix_filter *f, const struct hal_fix *in)
{
	bool timed = (in->set & HAL_FIX_TIME) != 0;
	if (f->rejects == 0) {
		f->reject_timed = timed;
		f->first_reject_t = in->time_ms;
	}
	bool long_enough = !f->reject_timed || !timed ||
			   in->time_ms - f->first_reject_t >= f->cfg.reset_after_ms;
	if (f->rejects >= f->cfg.reset_after && long_enough)
		return true;
	f->rejects++;
	return false;
}

enum fix_filter_reason
fix_filter_push(struct fix_filter *f, const struct hal_fix *in)
{
	const struct fix_filter_config *c = &f->cfg;
	enum fix_filter_reason r = check_fix(c, in);
	if (r != FIX_FILTER_ACCEPT)
		return count(f, r);

	double dt = 1.0;
	double zx = 0, zy = 0;
	if (!f->have_state) {
		r = FIX_FILTER_RESET;
	} else {
		if (f->have_time && (in->set & HAL_FIX_TIME)) {
			int64_t dms = in->time_ms - f->last_t;
			if (dms <= 0)
				return count(f, FIX_FILTER_TIME);
			if (dms > c->reset_gap_ms)
				r = FIX_FILTER_RESET;
			dt = (double)dms / 1000.0;
		}
		if (r == FIX_FILTER_ACCEPT) {
			project(f, in->lat, in->lon, &zx, &zy);
			enum fix_filter_reason bad = check_motion(f, in, zx, zy, dt);
			if (bad != FIX_FILTER_ACCEPT) {
				if (!give_up(f, in))
					return count(f, bad);
				r = FIX_FILTER_RESET;
			}
		}
	}
	if (r == FIX_FILTER_RESET)
		start(f, in);
	else
		track(f, in, zx, zy, dt);
	return count(f, r);
}

/* ---- stage 2: the trigger engine's gate ---------------------------------- */

void
fix_filter_gate_config_default(struct fix_filter_gate_config *c)
{
	*c = (struct fix_filter_gate_config){.max_eph_m = 60.0, .gate_m = 25.0, .reset_ms = 8000};
}

void
fix_filter_gate_init(struct fix_filter_gate *g, const struct fix_filter_gate_config *cfg)
{
	memset(g, 0, sizeof(*g));
	if (cfg)
		g->cfg = *cfg;
	else
		fix_filter_gate_config_default(&g->cfg);
}

enum fix_filter_reason
fix_filter_gate_accuracy(const struct fix_filter_gate *g, const struct hal_fix *fix)
{
	if (g->cfg.max_eph_m > 0 && (fix->set & HAL_FIX_EPH) && isfinite(fix->eph) &&
	    fix->eph > g->cfg.max_eph_m)
		return FIX_FILTER_TRIGGER_ACCURACY;
	return FIX_FILTER_ACCEPT;
}

enum fix_filter_reason
fix_filter_gate_push(struct fix_filter_gate *g, double off_m, double speed_ms, int64_t lost_ms,
		     int64_t now_ms)
{
	double gate = g->cfg.gate_m;
	if (lost_ms != 0)
		gate += 0.5 * speed_ms * (double)lost_ms / 1000.0;
	if (!(off_m > gate)) {
		g->rejecting = false;
		return FIX_FILTER_ACCEPT;
	}
	if (!g->rejecting) {
		g->rejecting = true;
		g->since_ms = now_ms;
	}
	if (now_ms - g->since_ms < g->cfg.reset_ms)
		return FIX_FILTER_TRIGGER_JUMP;
	g->rejecting = false; /* the fixes agree with each other, not with the prediction */
	return FIX_FILTER_RESET;
}
