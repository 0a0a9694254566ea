/* GPS intake: the source's events through the fix filter to the tour, with
 * gps_fix / gps_lost / fix_rejected in the event log and the counters that
 * status and the summary show. */
#include "guide/daemon/daemon_internal.h"

#include <math.h>
#include <string.h>

#include "guide/events.h"
#include "guide/log.h"
#include "hal/gps.h"
#include "routes/geo.h"
#include "routes/route.h"

#define FIX_LOG_MS 1000   /* gps_fix at most this often (of the fixes' time) */
#define DRIVE_STEP_M 10.0 /* the summary's distance adds steps this long, not jitter */

/* why: the log line, or NULL when the source has said it already (gpsd's
 * "connection lost ..., reconnecting"): one line for one loss. */
static void
set_lost(struct daemon *d, int64_t now, const char *why)
{
	if (d->gps_ok) {
		events_gps_lost(d->ev, now);
		if (why)
			guide_log(HAL_LOG_NOTICE, "gps: %s", why);
	}
	d->gps_ok = false;
}

void
daemon_gps_check_silence(struct daemon *d, int64_t now)
{
	if (d->gps_ok && !d->gps_ended && now - d->last_fix_ms > DAEMON_GPS_SILENCE_MS)
		set_lost(d, now, "no fix for 5 s");
}

static void
count_drive(struct daemon *d, const struct hal_fix *fix)
{
	if (fix->set & HAL_FIX_TIME) {
		if (!d->sum.first_fix_ms)
			d->sum.first_fix_ms = fix->time_ms;
		d->sum.last_fix_ms = fix->time_ms;
	}
	double step = d->sum.have_prev
			      ? geo_distance_m(d->sum.prev_lat, d->sum.prev_lon, fix->lat, fix->lon)
			      : 0;
	if (!d->sum.have_prev || step >= DRIVE_STEP_M) {
		d->sum.drive_m += step;
		d->sum.prev_lat = fix->lat;
		d->sum.prev_lon = fix->lon;
		d->sum.have_prev = true;
	}
}

static void
follow_receiver_clock(struct daemon *d, const struct hal_fix *fix)
{
	if (d->replay || !(fix->set & HAL_FIX_TIME) || fix->time_ms <= 0)
		return;
	if (!daemon_time_follow(&d->time, fix->time_ms) && !d->time.warned_behind) {
		guide_log(HAL_LOG_WARNING,
			  "gps: the receiver's clock is %lld s behind the guide's; event times "
			  "go on from the guide's at the receiver's pace",
			  (long long)((daemon_now(d) - fix->time_ms) / 1000));
		d->time.warned_behind = true;
	}
}

/* The one rule for gps_fix, whatever the source: the first accepted fix
 * after a loss, then at most one a second of the fixes' own time (the
 * receiver's UTC).  A replay's fixes are due when the guide's clock reaches
 * their time, so there the two clocks agree; under gpsd the guide's clock
 * holds still for a late fix and follows a receiver that runs ahead, and
 * pacing by it dropped fixes.  A fix without a time (gpsd's first report
 * before it knows the date) is paced by the guide's clock; the first one
 * with a time after it is logged. */
static bool
fix_log_due(struct daemon *d, const struct hal_fix *fix, int64_t now)
{
	if (!d->gps_ok)
		return true;
	if (!(fix->set & HAL_FIX_TIME))
		return now - d->last_fix_log_ms >= FIX_LOG_MS;
	if (d->last_fix_log_time < 0)
		return true;
	int64_t dt = fix->time_ms - d->last_fix_log_time;
	return dt >= FIX_LOG_MS || dt < 0; /* < 0: the receiver's clock stepped back */
}

/* The limit in force where the cart is: the tour's max_speed_kmh and the
 * lowest of those of the tour's stops whose geofence holds it; 0 none. */
static double
speed_limit(struct daemon *d, const struct hal_fix *fix)
{
	struct tour_status ts;
	tour_get_status(d->tour, &ts);
	if (!ts.tour || !(ts.state == TOUR_RUNNING || ts.state == TOUR_PAUSED))
		return 0;
	const struct route_tour *t = route_find_tour(d->route, ts.tour);
	if (!t)
		return 0;
	double limit = t->max_speed_kmh;
	const char *poi = NULL;
	for (unsigned i = 0; i < t->n_stops; i++) {
		const struct route_stop *s = &d->route->stops[t->stops[i]];
		if (s->max_speed_kmh > 0 && (limit <= 0 || s->max_speed_kmh < limit) &&
		    route_fence_contains(&s->fence, fix->lat, fix->lon)) {
			limit = s->max_speed_kmh;
			poi = s->id;
		}
	}
	d->speed_limit_poi = poi;
	return limit;
}

/* speeding once the cart has gone faster than the limit for
 * DAEMON_SPEEDING_MS, once an episode; speeding_end when it is back under
 * it (or the limit goes). */
static void
check_speed(struct daemon *d, const struct hal_fix *fix, int64_t now)
{
	d->speed_limit_kmh = speed_limit(d, fix);
	double kmh = fix->set & HAL_FIX_SPEED ? fix->speed * 3.6 : NAN;
	bool over = d->speed_limit_kmh > 0 && isfinite(kmh) && kmh > d->speed_limit_kmh;
	if (!over) {
		d->over_since = -1;
		if (d->speeding) {
			d->speeding = false;
			events_emit(d->ev, now, "speeding_end", "speed_kmh", 'd',
				    isfinite(kmh) ? round(kmh * 10) / 10 : NAN, "limit_kmh", 'd',
				    d->speed_limit_kmh > 0 ? d->speed_limit_kmh : NAN, NULL);
		}
		return;
	}
	if (d->over_since < 0)
		d->over_since = now;
	if (!d->speeding && now - d->over_since >= DAEMON_SPEEDING_MS) {
		d->speeding = true;
		if (d->speed_limit_poi)
			events_emit(d->ev, now, "speeding", "speed_kmh", 'd', round(kmh * 10) / 10,
				    "limit_kmh", 'd', d->speed_limit_kmh, "poi", 's',
				    d->speed_limit_poi, NULL);
		else
			events_emit(d->ev, now, "speeding", "speed_kmh", 'd', round(kmh * 10) / 10,
				    "limit_kmh", 'd', d->speed_limit_kmh, NULL);
	}
}

static void
on_fix(struct daemon *d, struct hal_fix *fix)
{
	follow_receiver_clock(d, fix);
	int64_t now = daemon_now(d);

	daemon_record_fix(d, fix);
	d->fixes++;
	enum fix_filter_reason why = fix_filter_push(d->filter, fix);
	d->rejected[why]++;
	if (!fix_filter_reason_accepted(why)) {
		if (why != FIX_FILTER_NO_POSITION && hal_fix_has_position(fix))
			events_fix_rejected(d->ev, now, fix->lat, fix->lon,
					    fix_filter_reason_to_str(why));
		return;
	}
	count_drive(d, fix);
	d->last_fix = *fix;
	d->have_fix = true;
	d->last_fix_ms = now;
	if (fix_log_due(d, fix, now)) {
		if (!d->gps_ok)
			guide_log(HAL_LOG_NOTICE, "gps: position %.6f, %.6f", fix->lat, fix->lon);
		events_gps_fix(d->ev, now, fix->lat, fix->lon);
		d->last_fix_log_ms = now;
		d->last_fix_log_time = fix->set & HAL_FIX_TIME ? fix->time_ms : -1;
		d->gps_ok = true;
	}
	/* The trigger engine keeps its own estimate and applies the second
	 * stage of the fix rules (guide/fix_filter.h) against it. */
	tour_on_fix(d->tour, fix, now);
	check_speed(d, fix, now);
}

/* Reads what the source has: in real time every event that is due, under
 * the virtual clock one event (the loop steps the clock between them). */
void
daemon_gps_read(struct daemon *d)
{
	bool virt = hal_clock_is_virtual(&d->time.clock);
	for (;;) {
		struct hal_fix fix;
		if (d->replay) {
			int64_t t = hal_gps_peek_time_ms(d->gps);
			if (t >= 0 && t > daemon_now(d))
				return; /* not due yet */
		}
		struct hal_gps_stats before, after;
		hal_gps_get_stats(d->gps, &before);
		int kind = hal_gps_read(d->gps, &fix);
		if (kind < 0) {
			guide_log(HAL_LOG_WARNING, "gps: %s", strerror(-kind));
			return;
		}
		if (kind == HAL_GPS_NONE)
			return;
		if (kind == HAL_GPS_END) {
			d->gps_ended = true;
			d->end_ms = daemon_now(d);
			guide_log(HAL_LOG_INFO, "gps: end of the replay");
			return;
		}
		if (kind == HAL_GPS_LOST) {
			hal_gps_get_stats(d->gps, &after);
			fix_filter_reset(d->filter);
			set_lost(d, daemon_now(d),
				 after.disconnects > before.disconnects ? NULL : "position lost");
		} else if (kind == HAL_GPS_FIX) {
			on_fix(d, &fix);
		}
		if (virt)
			return;
	}
}
