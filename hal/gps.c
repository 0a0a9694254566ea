/* Generic GPS source: spec parsing, dispatch through the impl table, and the
 * event array shared by the replay sources. */
#include "hal/gps_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct hal_gps_impl *const impls[] = {
	&hal_gps_gpsd_impl,
	&hal_gps_nmea_impl,
	&hal_gps_gpx_impl,
};

const char *
hal_gps_event_to_str(enum hal_gps_event ev)
{
	switch (ev) {
	case HAL_GPS_NONE: return "none";
	case HAL_GPS_FIX: return "fix";
	case HAL_GPS_LOST: return "lost";
	case HAL_GPS_END: return "end";
	}
	return "unknown";
}

void
hal_gps_logf(const struct hal_gps_options *opts, enum hal_log_level level, const char *fmt,
	     ...)
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
}

int64_t
hal_gps_now_ms(struct hal_gps *gps)
{
	return hal_clock_now_ms(gps->opts.clock ? gps->opts.clock : &gps->own_clock);
}

int
hal_gps_create(const char *spec, const struct hal_gps_options *opts, struct hal_gps **out)
{
	*out = NULL;
	if (!spec || !*spec) {
		hal_gps_logf(opts, HAL_LOG_ERR, "empty GPS source");
		return -EINVAL;
	}
	const char *colon = strchr(spec, ':');
	size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);
	for (size_t i = 0; i < sizeof(impls) / sizeof(impls[0]); i++) {
		const struct hal_gps_impl *impl = impls[i];
		if (strlen(impl->name) != nlen || strncmp(spec, impl->name, nlen) != 0)
			continue;
		return impl->open(colon ? colon + 1 : NULL, opts, out);
	}
	hal_gps_logf(opts, HAL_LOG_ERR,
		     "unknown GPS source '%s' (expected gpsd[:HOST[:PORT]], nmea:FILE or gpx:FILE)",
		     spec);
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
	return gps->impl->read(gps, fix);
}

int
hal_gps_get_fd(struct hal_gps *gps)
{
	return gps->impl->get_fd ? gps->impl->get_fd(gps) : -1;
}

int64_t
hal_gps_next_wakeup_ms(struct hal_gps *gps)
{
	return gps->impl->next_wakeup_ms ? gps->impl->next_wakeup_ms(gps) : -1;
}

int64_t
hal_gps_peek_time_ms(struct hal_gps *gps)
{
	return gps->impl->peek_time_ms ? gps->impl->peek_time_ms(gps) : -1;
}

const char *
hal_gps_name(const struct hal_gps *gps)
{
	return gps->impl->name;
}

void
hal_gps_get_stats(const struct hal_gps *gps, struct hal_gps_stats *out)
{
	*out = gps->stats;
}

/* ---- replay helpers ---- */

int
hal_gps_replay_push(struct hal_gps_replay *r, struct hal_gps_stats *st, const struct hal_fix *fix)
{
	enum hal_gps_event ev;
	if (hal_fix_has_position(fix)) {
		ev = HAL_GPS_FIX;
		r->had_fix = true;
	} else {
		st->no_fix_epochs++;
		if (!r->had_fix)
			return 0;
		ev = HAL_GPS_LOST;
		r->had_fix = false;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		void *p = realloc(r->ev, cap * sizeof(*r->ev));
		if (!p)
			return -ENOMEM;
		r->ev = p;
		r->cap = cap;
	}
	r->ev[r->n].ev = ev;
	r->ev[r->n].fix = *fix;
	r->n++;
	return 0;
}

int
hal_gps_replay_read(struct hal_gps_replay *r, struct hal_gps_stats *st, struct hal_fix *fix)
{
	if (r->next >= r->n)
		return HAL_GPS_END;
	const struct hal_gps_replay_event *e = &r->ev[r->next++];
	*fix = e->fix;
	if (e->ev == HAL_GPS_FIX)
		st->fixes++;
	else
		st->lost++;
	return e->ev;
}

int64_t
hal_gps_replay_peek(const struct hal_gps_replay *r)
{
	if (r->next >= r->n)
		return -1;
	const struct hal_fix *f = &r->ev[r->next].fix;
	return (f->set & HAL_FIX_TIME) ? f->time_ms : -1;
}

void
hal_gps_replay_free(struct hal_gps_replay *r)
{
	free(r->ev);
	memset(r, 0, sizeof(*r));
}

int
hal_gps_read_file(const char *path, char **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	int rc = 0;
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		if (n == cap) {
			char *p = realloc(buf, cap * 2 + 1);
			if (!p) {
				rc = -ENOMEM;
				goto out;
			}
			buf = p;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				rc = -EIO;
			break;
		}
	}
	if (rc == 0) {
		buf[n] = '\0';
		*data = buf;
		*len = n;
		buf = NULL;
	}
out:
	free(buf);
	fclose(f);
	return rc;
}
