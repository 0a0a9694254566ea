/* Fix filter: every rule that rejects a GPS fix, and the one list of reasons.
 *
 * Two stages apply the rules; both log a rejection as the event `fix_rejected`
 * with `reason` = fix_filter_reason_to_str(), so the name says the stage.
 *
 * Stage 1, the filter (struct fix_filter), sits between the GPS source and
 * the trigger engine and judges a fix by its own error estimate, by the
 * fixes it accepted before and by the time since the last of them (dt).
 * In order, fix_filter_push() rejects a fix that has
 *   no position                                        "no_position"
 *   hdop > max_hdop (5)                                "hdop"
 *   eph > max_eph_m (30 m)                             "eph"
 *   a reported speed > max_speed_ms (15 m/s)           "speed"
 *   a time not after the last accepted one             "time"
 *   moved farther from the last accepted fix than
 *   max_speed_ms * dt + N                              "jump"
 *   landed farther from where the filter's tracker predicts it than
 *   max_accel_ms2 * dt^2 / 2 + v_err * dt + N          "accel"
 * where N = gate_sigmas * hypot(sigma(fix), sigma(last accepted fix)) is
 * the noise allowance and sigma(fix), a fix's error (1 sigma per axis), is
 * eph / 2 when the receiver reports eph, else hdop * uere_m, else
 * default_sigma_m, and at least min_sigma_m.  The first fix, a fix after a
 * gap longer than reset_gap_ms (10 s), and the fix after reset_after (3)
 * consecutive jump/accel rejections spanning reset_after_ms (6 s) (the
 * receiver really is elsewhere) are accepted as "reset": the filter
 * restarts there.  Other accepted fixes are "accept".
 *
 * Why each threshold is what it is:
 * - max_hdop 5, max_eph_m 30: beyond, a fix cannot place the cart within a
 *   stop's geofence (25-90 m on the shipped route) at all.
 * - max_speed_ms 15 (54 km/h): the cart does ~6 m/s (20 km/h); a reported
 *   speed or a displacement beyond 15 m/s is the receiver's, not the cart's.
 * - max_accel_ms2 3: a loaded electric cart brakes at ~2 m/s^2 at most.
 * - sigma: gpsd's eph is a 95 % radius, about 2.45 sigma of each axis, so
 *   eph / 2 errs on the wide side; uere_m 4 is a consumer receiver's range
 *   error in a street of low buildings (hdop 0.9: 3.6 m, the synthetic
 *   drives' 3 m of noise); default_sigma_m 5 m for a receiver that says
 *   nothing (urban noise); min_sigma_m 2 m: no receiver here is better, even
 *   when it says so.  The tracked position is taken to be no better than the
 *   last fix it took: the receiver's errors are correlated over seconds.
 * - gate_sigmas 4: the distance between two fixes with per-axis sigma s1,
 *   s2 exceeds 4 * hypot(s1, s2) with probability exp(-8) = 3e-4, about
XX
 *   3.6 m fixes is at that edge, and stage 2 and the trigger's smoothing
 *   take care of those that pass.  (The old fixed 8 m slack was 1.6 sigma
 *   for such fixes: a parked cart with 3 m of noise lost a tenth to a third
 *   of its fixes as "accel".)
 * - v_err, the prediction's velocity error: doppler_error_ms 0.5 m/s when
 *   the receiver gives a Doppler velocity (good to ~0.1-0.2 m/s, plus the
 *   course's 2-3 degrees), velocity_error_ms 2 m/s for the tracker's own
 *   estimate, or the reported speed when it has no trusted course.
 * - reset_after_ms 6 s: longer than a multipath excursion lasts (2-5 s in
 *   the synthetic drives' model of them), so
 *   a jump is rejected to its end instead of being taken for the truth
 *   after 3 fixes (0.3 s at 10 Hz); reset_gap_ms 10 s: after that long
 *   without a fix, the cart may be anywhere a cart gets in 10 s.
 *
 * The tracker behind "accel" is an alpha-beta filter in a local metric frame
 * around the last reset point.  Its prediction uses the receiver's Doppler
 * velocity when given (the mean of the last and current ones, so braking
 * adds no error; a reported speed below still_speed_ms is standing still),
 * and its own velocity estimate otherwise (a course below
 * track_min_speed_ms is noise); alpha is alpha_still below still_speed_ms
 * and alpha_moving above, per second (a 10 Hz receiver's ten fixes weigh as
 * one at 1 Hz, so that neither its noise nor the first fixes of a jump drag
 * the tracker).  The tracker only serves that rule: the filter does not
 * change the fixes it passes (the trigger engine keeps its own estimate).
 *
 * Stage 2, the gate (struct fix_filter_gate), is applied by the trigger
 * engine (guide/trigger.c), which alone knows where it expects the cart.  It
 * rejects a fix that the filter passed when it has
 *   eph > max_eph_m (60 m)                             "trigger_accuracy"
 *   landed farther than gate_m (25 m) from the trigger's prediction, plus,
 *   after the trigger declared the GPS lost, half the distance at the last
 *   speed since its last fix                           "trigger_jump"
 * Once fixes have been trigger_jumps for reset_ms (8 s) they agree with each
 * other and not with the prediction: the next one is accepted as "reset" and
 * the trigger restarts its estimate there.  Behind stage 1 the eph rule
 * never fires (stage 1 is stricter); it guards the trigger engine when it is
 * fed directly (tests, the accuracy benchmark).
 *
 * No clock is read; main thread only; no allocation after create.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "hal/gps.h"

/* The one list of decisions (strings in quotes above and in
 * fix_filter_reason_to_str()). */
enum fix_filter_reason {
	FIX_FILTER_ACCEPT = 0, /* accepted */
	FIX_FILTER_RESET,      /* accepted; the stage restarted at this fix */
	/* stage 1: the filter */
	FIX_FILTER_NO_POSITION,
	FIX_FILTER_HDOP,
	FIX_FILTER_EPH,
	FIX_FILTER_SPEED,
	FIX_FILTER_TIME,
	FIX_FILTER_JUMP,
	FIX_FILTER_ACCEL,
	/* stage 2: the trigger engine's gate */
	FIX_FILTER_TRIGGER_ACCURACY,
	FIX_FILTER_TRIGGER_JUMP,
	FIX_FILTER_REASON_COUNT
};

/* "accept", "reset", "no_position", "hdop", "eph", "speed", "time", "jump",
 * "accel", "trigger_accuracy", "trigger_jump"; "unknown" out of range. */
const char *fix_filter_reason_to_str(enum fix_filter_reason r);
/* true for ACCEPT and RESET: the fix is to be used */
bool fix_filter_reason_accepted(enum fix_filter_reason r);

/* ---- stage 1: the filter ------------------------------------------------ */

struct fix_filter_config {
	double max_hdop;      /* <= 0: no limit.  default 5 */
	double max_eph_m;     /* <= 0: no limit.  default 30 m */
	double max_speed_ms;  /* default 15 m/s (54 km/h; the cart does ~6) */
	double max_accel_ms2; /* default 3 m/s^2 */
	/* a fix's error, 1 sigma per axis: eph / 2, else hdop * uere_m, else
	 * default_sigma_m; at least min_sigma_m */
	double uere_m;            /* default 4 m */
	double default_sigma_m;   /* default 5 m */
	double min_sigma_m;       /* default 2 m */
	double gate_sigmas;       /* how many sigmas a fix may be off.  default 4 */
	double doppler_error_ms;  /* the Doppler prediction's velocity error.  default 0.5 */
	double velocity_error_ms; /* the tracker's own velocity's error.  default 2 */
	int64_t reset_gap_ms;     /* default 10000 */
	int reset_after;          /* default 3 fixes ... */
	int64_t reset_after_ms;   /* ... and 3000 ms of rejections */
	/* the tracker behind "accel" */
	double track_min_speed_ms; /* below, the receiver's track is noise.  default 1.5 m/s */
	double still_speed_ms;     /* below: standing still.  default 0.5 m/s */
	double alpha_still;        /* position gain per second.  default 0.3 */
	double alpha_moving;       /* default 0.3 */
	double beta;               /* velocity gain without Doppler.  default 0.3 */
};

void fix_filter_config_default(struct fix_filter_config *cfg);

struct fix_filter_stats {
	uint64_t count[FIX_FILTER_REASON_COUNT]; /* by enum fix_filter_reason */
};

struct fix_filter;

/* cfg NULL: defaults.  -EINVAL for nonsense (max_speed <= 0, alpha outside
 * (0, 1]), -ENOMEM. */
int fix_filter_create(const struct fix_filter_config *cfg, struct fix_filter **out);
void fix_filter_destroy(struct fix_filter *f); /* NULL is a no-op */

/* Decide on one fix (stage 1).  Every call is counted in the stats under the
 * returned reason. */
enum fix_filter_reason fix_filter_push(struct fix_filter *f, const struct hal_fix *in);
/* Forget the state (e.g. on gps_lost); the next fix is a RESET. */
void fix_filter_reset(struct fix_filter *f);
void fix_filter_get_stats(const struct fix_filter *f, struct fix_filter_stats *out);

/* ---- stage 2: the trigger engine's gate ---------------------------------- */

struct fix_filter_gate_config {
	double max_eph_m; /* <= 0: no limit.  default 60 m */
	double gate_m;    /* default 25 m */
	int64_t reset_ms; /* default 8000 */
};

void fix_filter_gate_config_default(struct fix_filter_gate_config *cfg);

/* Caller-owned; fix_filter_gate_init() sets it up, nothing to free. */
struct fix_filter_gate {
	struct fix_filter_gate_config cfg;
	bool rejecting; /* every fix since since_ms was a trigger_jump */
	int64_t since_ms;
};

/* cfg NULL: defaults. */
void fix_filter_gate_init(struct fix_filter_gate *g, const struct fix_filter_gate_config *cfg);
/* Before the trigger uses a fix with a position: TRIGGER_ACCURACY or ACCEPT. */
enum fix_filter_reason fix_filter_gate_accuracy(const struct fix_filter_gate *g,
						const struct hal_fix *fix);
/* A fix lies off_m from the trigger's prediction.  speed_ms is the trigger's
 * speed; lost_ms, when the trigger had declared the GPS lost, how long since
 * its last accepted fix (else 0).  Returns ACCEPT, TRIGGER_JUMP (carry on
 * with the prediction) or RESET (restart the estimate at the fix). */
enum fix_filter_reason fix_filter_gate_push(struct fix_filter_gate *g, double off_m,
					    double speed_ms, int64_t lost_ms, int64_t now_ms);
