/* Fix filter: between a GPS source and the trigger engine.
 *
 * For each fix, fix_filter_push() returns one decision (enum
 * fix_filter_reason) that the caller can count, show in status and write to
 * the event log.  In order, a fix is rejected when it has
 *   no position                       FIX_FILTER_NO_POSITION
 *   hdop > max_hdop                   FIX_FILTER_HDOP
 *   eph > max_eph_m                   FIX_FILTER_EPH
 *   a reported speed > max_speed_ms   FIX_FILTER_SPEED
 *   a time not after the last accepted one            FIX_FILTER_TIME
 *   moved farther than max_speed_ms * dt + slack      FIX_FILTER_JUMP
 *   landed farther from where the last velocity predicts than
 *   max_accel_ms2 * dt^2 / 2 + slack                  FIX_FILTER_ACCEL
 * (slack = jump_slack_m, the position noise allowance).  The first fix, a
 * fix after a gap longer than reset_gap_ms, and the fix after reset_after
 * consecutive JUMP/ACCEL rejections (the receiver really is elsewhere) are
 * accepted as FIX_FILTER_RESET: the filter restarts there.
 *
 * An accepted fix is smoothed with an alpha-beta filter in a local metric
 * frame: the prediction uses the receiver's Doppler speed and track when
 * given, so at constant velocity the output has no lag; alpha is lower when
 * standing still (jitter) than when moving.  Below track_min_speed_ms the
 * receiver's track is noise, so the filter then estimates velocity itself.
 * Measured (tests/gps/test-fix-filter.c, 1 Hz): straight drive at 8 m/s with
 * 3 m (1 sigma per axis) noise: mean along-track lag 0.07 m, position error
 * rms 4.2 m raw -> 2.5 m filtered, 2 % of fixes rejected as ACCEL outliers;
 * braking at 2 m/s^2 with Doppler speed: 0.00 m error (the prediction uses
 * the mean of the last and current receiver velocities).
 *
 * Track: the receiver's when it gives one and speed >= track_min_speed_ms;
 * otherwise the bearing of the smoothed movement once it spans
 * track_min_dist_m; otherwise the last track (held while standing).
 * Speed: the receiver's, else the filter's.
 *
 * Main thread only.  No allocation after create.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "hal/gps.h"

enum fix_filter_reason {
	FIX_FILTER_ACCEPT = 0, /* accepted and smoothed */
	FIX_FILTER_RESET,      /* accepted; filter restarted at this fix */
	FIX_FILTER_NO_POSITION,
	FIX_FILTER_HDOP,
	FIX_FILTER_EPH,
	FIX_FILTER_SPEED,
	FIX_FILTER_TIME,
	FIX_FILTER_JUMP,
	FIX_FILTER_ACCEL,
	FIX_FILTER_REASON_COUNT
};

/* "accept", "reset", "no_position", "hdop", "eph", "speed", "time", "jump", "accel" */
const char *fix_filter_reason_to_str(enum fix_filter_reason r);
/* true for ACCEPT and RESET: *out holds a fix to use */
bool fix_filter_reason_accepted(enum fix_filter_reason r);

struct fix_filter_config {
	double max_hdop;           /* <= 0: no limit.  default 5 */
	double max_eph_m;          /* <= 0: no limit.  default 30 m */
	double max_speed_ms;       /* default 15 m/s (54 km/h; the cart does ~6) */
	double max_accel_ms2;      /* default 3 m/s^2 */
	double jump_slack_m;       /* default 8 m */
	double track_min_speed_ms; /* default 1.5 m/s */
	double track_min_dist_m;   /* default 4 m */
	double still_speed_ms;     /* below: standing still.  default 0.5 m/s */
	double alpha_still;        /* default 0.3 */
	double alpha_moving;       /* default 0.5 */
	double beta;               /* velocity gain without Doppler.  default 0.3 */
	int64_t reset_gap_ms;      /* default 10000 */
	int reset_after;           /* default 3 */
};

void fix_filter_config_default(struct fix_filter_config *cfg);

struct fix_filter_stats {
	uint64_t count[FIX_FILTER_REASON_COUNT]; /* by enum fix_filter_reason */
	uint64_t track_derived; /* accepted fixes whose track came from movement */
	uint64_t track_held;    /* accepted fixes that kept the previous track */
};

struct fix_filter;

/* cfg NULL: defaults.  -EINVAL for nonsense (max_speed <= 0, alpha outside
 * (0, 1]), -ENOMEM. */
int fix_filter_create(const struct fix_filter_config *cfg, struct fix_filter **out);
void fix_filter_destroy(struct fix_filter *f); /* NULL is a no-op */

/* Decide on one fix.  When accepted, *out is the filtered fix (in and out may
 * be the same object); when rejected, *out is left untouched.  Every call is
 * counted in the stats under the returned reason. */
enum fix_filter_reason fix_filter_push(struct fix_filter *f, const struct hal_fix *in,
				       struct hal_fix *out);
/* Forget the state (e.g. on gps_lost); the next fix is a RESET. */
void fix_filter_reset(struct fix_filter *f);
void fix_filter_get_stats(const struct fix_filter *f, struct fix_filter_stats *out);
