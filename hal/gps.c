/* Generic GPS source: spec parsing and dispatch through the driver table. */
#include "hal/gps_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every GPS source driver, by spec scheme.  A new source is one line here. */
static const struct hal_spec_scheme *const drivers[] = {
	&hal_gps_gpsd_impl.scheme,
	&hal_gps_nmea_impl.scheme,
	&hal_gps_gpx_impl.scheme,
};

void
hal_gps_logf(const struct hal_gps_options *opts, enum hal_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!opts)
		return;
	va_start(ap, fmt);
	hal_vlogf(opts->log, opts->log_user, level, fmt, ap);
	va_end(ap);
}

void
hal_gps_base_init(struct hal_gps *gps, const struct hal_gps_impl *impl,
		  const struct hal_gps_options *opts)
{
	gps->impl = impl;
	if (opts)
		gps->opts = *opts;
	else
		memset(&gps->opts, 0, sizeof(gps->opts));
	if (gps->opts.reconnect_min_ms <= 0)
		gps->opts.reconnect_min_ms = 250;
	if (gps->opts.reconnect_max_ms <= 0)
		gps->opts.reconnect_max_ms = 4000;
	if (gps->opts.reconnect_max_ms < gps->opts.reconnect_min_ms)
		gps->opts.reconnect_max_ms = gps->opts.reconnect_min_ms;
	hal_clock_init_real(&gps->own_clock);
	memset(&gps->stats, 0, sizeof(gps->stats));
	gps->have_last_time = false;
	gps->last_time_ms = 0;
	gps->pending = false;
}

int64_t
hal_gps_now_ms(struct hal_gps *gps)
{
	return hal_clock_now_ms(gps->opts.clock ? gps->opts.clock : &gps->own_clock);
}

int
hal_gps_create(const char *spec, const struct hal_gps_options *opts, struct hal_gps **out)
{
	const char *arg;
	char forms[128];

	*out = NULL;
	if (!spec || !*spec) {
		hal_gps_logf(opts, HAL_LOG_ERR, "empty GPS source");
		return -EINVAL;
	}
	int i = hal_spec_find(spec, drivers, sizeof(drivers) / sizeof(drivers[0]), &arg, forms,
			      sizeof(forms));
	if (i >= 0) /* the scheme is the first member of the impl */
		return ((const struct hal_gps_impl *)drivers[i])->open(arg, opts, out);
	hal_gps_logf(opts, HAL_LOG_ERR, "unknown GPS source '%s' (%s)", spec, forms);
	return -EINVAL;
}

void
hal_gps_destroy(struct hal_gps *gps)
{
	if (!gps)
		return;
	gps->impl->close(gps);
}

int
hal_gps_read(struct hal_gps *gps, struct hal_fix *fix)
{
	if (gps->pending) {
		gps->pending = false;
		*fix = gps->pending_fix;
		return HAL_GPS_FIX;
	}
	int ev = gps->impl->read(gps, fix);
	if (ev == HAL_GPS_LOST) {
		/* the source said so itself (gpsd gone, end of a segment): what
		 * comes after, e.g. a restarted replay, is a new track already */
		gps->have_last_time = false;
		return ev;
	}
	if (ev != HAL_GPS_FIX || !(fix->set & HAL_FIX_TIME))
		return ev;
	int64_t back = gps->have_last_time ? gps->last_time_ms - fix->time_ms : 0;
	gps->have_last_time = true;
	gps->last_time_ms = fix->time_ms;
	if (back <= HAL_GPS_STEP_BACK_MS)
		return ev;
	hal_gps_logf(&gps->opts, HAL_LOG_WARNING,
		     "%s: the receiver's clock stepped back %.1f s: the track starts anew",
		     gps->impl->scheme.name, (double)back / 1000.0);
	gps->pending = true;
	gps->pending_fix = *fix;
	int64_t t = fix->time_ms;
	hal_fix_clear(fix, HAL_FIX_MODE_NONE);
	fix->set = HAL_FIX_MODE | HAL_FIX_TIME;
	fix->time_ms = t;
	gps->stats.lost++;
	return HAL_GPS_LOST;
}

int
hal_gps_get_fd(struct hal_gps *gps)
{
	return gps->impl->get_fd ? gps->impl->get_fd(gps) : -1;
}

int64_t
hal_gps_next_wakeup_ms(struct hal_gps *gps)
{
	if (gps->pending)
		return hal_gps_now_ms(gps);
	return gps->impl->next_wakeup_ms ? gps->impl->next_wakeup_ms(gps) : -1;
}

int64_t
hal_gps_peek_time_ms(struct hal_gps *gps)
{
	if (gps->pending)
		return gps->pending_fix.time_ms;
	return gps->impl->peek_time_ms ? gps->impl->peek_time_ms(gps) : -1;
}

const char *
hal_gps_name(const struct hal_gps *gps)
{
	return gps->impl->scheme.name;
}

void
hal_gps_get_stats(const struct hal_gps *gps, struct hal_gps_stats *out)
{
	*out = gps->stats;
}
