/* gpsd[:HOST[:PORT]] -- live fixes from gpsd through libgps (API 11).
 *
 * One TCP connection with WATCH_ENABLE|WATCH_JSON; the loop polls its fd.
 * A position needs fix.mode >= MODE_2D and finite lat/lon (gpsd 3.22 leaves
 * status out of plain fixes, so it is not used); every double is NaN when
 * unknown.  When gpsd goes away the source reports LOST (if it had a fix),
 * closes the socket and retries with exponential backoff from
 * reconnect_min_ms to reconnect_max_ms; it never gives up. */
#include "hal/gps_impl.h"

#include <errno.h>
#include <gps.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MSGS_PER_READ 64

struct gps_gpsd {
	struct hal_gps base; /* first */
	struct gps_data_t data;
	bool connected;
	bool have_fix;       /* last event was FIX */
	int64_t next_try_ms; /* when disconnected: next connection attempt */
	int backoff_ms;
	char host[256];
	char port[16];
	char msg[4096];
};

static void
gpsd_disconnect(struct gps_gpsd *g)
{
	if (!g->connected)
		return;
	gps_stream(&g->data, WATCH_DISABLE, NULL);
	gps_close(&g->data);
	g->connected = false;
	g->base.stats.disconnects++;
}

static void
schedule_retry(struct gps_gpsd *g, int64_t now)
{
	g->next_try_ms = now + g->backoff_ms;
	g->backoff_ms *= 2;
	if (g->backoff_ms > g->base.opts.reconnect_max_ms)
		g->backoff_ms = g->base.opts.reconnect_max_ms;
}

static bool
gpsd_connect(struct gps_gpsd *g)
{
	memset(&g->data, 0, sizeof(g->data));
	if (gps_open(g->host, g->port, &g->data) != 0) {
		hal_gps_logf(&g->base.opts, HAL_LOG_DEBUG, "gpsd: %s:%s: cannot connect: %s",
			     g->host, g->port, gps_errstr(errno));
		return false;
	}
	if (gps_stream(&g->data, WATCH_ENABLE | WATCH_JSON, NULL) < 0) {
		hal_gps_logf(&g->base.opts, HAL_LOG_WARNING, "gpsd: %s:%s: WATCH failed", g->host,
			     g->port);
		gps_close(&g->data);
		return false;
	}
	g->connected = true;
	g->base.stats.connects++;
	hal_gps_logf(&g->base.opts, HAL_LOG_INFO, "gpsd: connected to %s:%s", g->host, g->port);
	return true;
}

/* Split "HOST[:PORT]" (HOST may be "[v6]") into g->host / g->port. */
static int
parse_hostport(struct gps_gpsd *g, const char *arg, const struct hal_gps_options *opts)
{
	snprintf(g->host, sizeof(g->host), "localhost");
	snprintf(g->port, sizeof(g->port), "2947");
	if (!arg || !*arg)
		return 0;
	const char *port = NULL;
	size_t hlen;
	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');
		if (!close || (close[1] != '\0' && close[1] != ':'))
			goto bad;
		hlen = (size_t)(close - arg - 1);
		arg++;
		port = close[1] == ':' ? close + 2 : NULL;
	} else {
		const char *colon = strchr(arg, ':');
		hlen = colon ? (size_t)(colon - arg) : strlen(arg);
		port = colon ? colon + 1 : NULL;
	}
	if (hlen >= sizeof(g->host))
		goto bad;
	if (hlen > 0) {
		memcpy(g->host, arg, hlen);
		g->host[hlen] = '\0';
	}
	if (port) {
		char *end;
		long p = strtol(port, &end, 10);
		if (*port == '\0' || *end != '\0' || p < 1 || p > 65535)
			goto bad;
		snprintf(g->port, sizeof(g->port), "%ld", p);
	}
	return 0;
bad:
	hal_gps_logf(opts, HAL_LOG_ERR, "gpsd: bad address '%s' (expected %s)", arg,
		     hal_gps_gpsd_impl.scheme.usage);
	return -EINVAL;
}

static void
gpsd_close(struct hal_gps *gps)
{
	struct gps_gpsd *g = (struct gps_gpsd *)gps;
	gpsd_disconnect(g);
	free(g);
}

static int
gpsd_open(const char *arg, const struct hal_gps_options *opts, struct hal_gps **out)
{
	struct gps_gpsd *g = calloc(1, sizeof(*g));
	if (!g) {
		hal_gps_logf(opts, HAL_LOG_ERR, "gpsd: out of memory");
		return -ENOMEM;
	}
	hal_gps_base_init(&g->base, &hal_gps_gpsd_impl, opts);
	int rc = parse_hostport(g, arg, opts);
	if (rc < 0) {
		free(g);
		return rc;
	}
	g->backoff_ms = g->base.opts.reconnect_min_ms;
	if (!gpsd_connect(g)) {
		hal_gps_logf(&g->base.opts, HAL_LOG_WARNING,
			     "gpsd: %s:%s not reachable yet, will retry", g->host, g->port);
		schedule_retry(g, hal_gps_now_ms(&g->base));
	}
	*out = &g->base;
	return 0;
}

static void
fix_from_gpsd(const struct gps_data_t *d, struct hal_fix *f)
{
	const struct gps_fix_t *x = &d->fix;
	hal_fix_clear(f, HAL_FIX_MODE_UNKNOWN);
	if (x->time.tv_sec > 0) {
		f->time_ms = (int64_t)x->time.tv_sec * 1000 + x->time.tv_nsec / 1000000;
		f->set |= HAL_FIX_TIME;
	}
	if (x->mode >= MODE_NOT_SEEN && x->mode <= MODE_3D) {
		f->mode = x->mode;
		f->set |= HAL_FIX_MODE;
	}
	if (x->mode >= MODE_2D && isfinite(x->latitude) && isfinite(x->longitude)) {
		f->lat = x->latitude;
		f->lon = x->longitude;
		f->set |= HAL_FIX_POS;
	}
	if (x->mode >= MODE_3D && isfinite(x->altMSL)) {
		f->alt = x->altMSL;
		f->set |= HAL_FIX_ALT;
	}
	if (isfinite(x->speed)) {
		f->speed = x->speed;
		f->set |= HAL_FIX_SPEED;
	}
	if (isfinite(x->track)) {
		f->track = x->track;
		f->set |= HAL_FIX_TRACK;
	}
	if (isfinite(x->eph)) {
		f->eph = x->eph;
		f->set |= HAL_FIX_EPH;
	}
	/* hdop and satellites_used come with SKY; keep the latest known */
	if (isfinite(d->dop.hdop) && d->dop.hdop > 0) {
		f->hdop = d->dop.hdop;
		f->set |= HAL_FIX_HDOP;
	}
	if (d->satellites_used > 0) {
		f->sats_used = d->satellites_used;
		f->set |= HAL_FIX_SATS;
	}
}

static int
lost_event(struct gps_gpsd *g, struct hal_fix *fix, const struct hal_fix *from)
{
	g->have_fix = false;
	g->base.stats.lost++;
	if (from) {
		*fix = *from;
	} else {
		hal_fix_clear(fix, HAL_FIX_MODE_UNKNOWN);
	}
	return HAL_GPS_LOST;
}

static int
gpsd_read(struct hal_gps *gps, struct hal_fix *fix)
{
	struct gps_gpsd *g = (struct gps_gpsd *)gps;
	if (!g->connected) {
		int64_t now = hal_gps_now_ms(gps);
		if (now < g->next_try_ms)
			return HAL_GPS_NONE;
		if (!gpsd_connect(g)) {
			schedule_retry(g, now);
			return HAL_GPS_NONE;
		}
	}
	for (int i = 0; i < MAX_MSGS_PER_READ; i++) {
		if (!gps_waiting(&g->data, 0))
			return HAL_GPS_NONE;
		errno = 0;
		g->msg[0] = '\0';
		int n = gps_read(&g->data, g->msg, (int)sizeof(g->msg));
		if (n < 0) {
			hal_gps_logf(&gps->opts, HAL_LOG_WARNING,
				     "gpsd: %s:%s: connection lost (%s), reconnecting", g->host,
				     g->port, errno ? strerror(errno) : "closed");
			gpsd_disconnect(g);
			schedule_retry(g, hal_gps_now_ms(gps));
			if (g->have_fix)
				return lost_event(g, fix, NULL);
			return HAL_GPS_NONE;
		}
		if (n == 0)
			return HAL_GPS_NONE; /* partial line buffered */
		if (!strstr(g->msg, "\"class\":\"TPV\""))
			continue;
		gps->stats.json_reports++;
		struct hal_fix f;
		fix_from_gpsd(&g->data, &f);
		if (hal_fix_has_position(&f)) {
			g->have_fix = true;
			g->backoff_ms = gps->opts.reconnect_min_ms;
			gps->stats.fixes++;
			*fix = f;
			return HAL_GPS_FIX;
		}
		gps->stats.no_fix_epochs++;
		if (g->have_fix)
			return lost_event(g, fix, &f);
	}
	return HAL_GPS_NONE;
}

static int
gpsd_get_fd(struct hal_gps *gps)
{
	struct gps_gpsd *g = (struct gps_gpsd *)gps;
	return g->connected ? (int)g->data.gps_fd : -1;
}

static int64_t
gpsd_next_wakeup(struct hal_gps *gps)
{
	struct gps_gpsd *g = (struct gps_gpsd *)gps;
	if (!g->connected)
		return g->next_try_ms;
	/* lines libgps already buffered do not make the fd readable again */
	if (gps_waiting(&g->data, 0))
		return hal_gps_now_ms(gps);
	return -1;
}

const struct hal_gps_impl hal_gps_gpsd_impl = {
	.scheme = {"gpsd", "gpsd[:HOST[:PORT]]"},
	.open = gpsd_open,
	.read = gpsd_read,
	.close = gpsd_close,
	.get_fd = gpsd_get_fd,
	.next_wakeup_ms = gpsd_next_wakeup,
};
