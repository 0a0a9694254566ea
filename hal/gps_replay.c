/* What every replay source (nmea:FILE, gpx:FILE) shares: reading the file,
 * the event array built at open, and read / peek / close. */
#include "hal/gps_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a whole file; *data is NUL-terminated, free() it.  Negative errno. */
static int
read_file(const char *path, char **data, size_t *len)
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

int
hal_gps_replay_open(const struct hal_gps_impl *impl, hal_gps_replay_parse_fn parse, const char *arg,
		    const struct hal_gps_options *opts, struct hal_gps **out)
{
	struct hal_gps_replay *r = NULL;
	char *data = NULL;
	size_t len = 0;
	int rc;

	if (!arg || !*arg) {
		hal_gps_logf(opts, HAL_LOG_ERR, "%s: needs a file (%s)", impl->scheme.name,
			     impl->scheme.usage);
		return -EINVAL;
	}
	if ((rc = read_file(arg, &data, &len)) < 0)
		goto fail;
	if (!(r = calloc(1, sizeof(*r)))) {
		rc = -ENOMEM;
		goto fail;
	}
	hal_gps_base_init(&r->base, impl, opts);
	if ((rc = parse(r, arg, data, len)) < 0)
		goto fail;
	free(data);
	*out = &r->base;
	return 0;
fail:
	if (rc != -EBADMSG)
		hal_gps_logf(opts, HAL_LOG_ERR, "%s: %s: %s", impl->scheme.name, arg,
			     strerror(-rc));
	if (r)
		hal_gps_replay_close(&r->base);
	free(data);
	return rc;
}

int
hal_gps_replay_push(struct hal_gps_replay *r, const struct hal_fix *fix)
{
	enum hal_gps_event ev;
	if (hal_fix_has_position(fix)) {
		ev = HAL_GPS_FIX;
		r->had_fix = true;
	} else {
		r->base.stats.no_fix_epochs++;
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
hal_gps_replay_read(struct hal_gps *gps, struct hal_fix *fix)
{
	struct hal_gps_replay *r = (struct hal_gps_replay *)gps;

	if (r->next >= r->n)
		return HAL_GPS_END;
	const struct hal_gps_replay_event *e = &r->ev[r->next++];
	*fix = e->fix;
	if (e->ev == HAL_GPS_FIX)
		gps->stats.fixes++;
	else
		gps->stats.lost++;
	return e->ev;
}

int64_t
hal_gps_replay_peek(struct hal_gps *gps)
{
	struct hal_gps_replay *r = (struct hal_gps_replay *)gps;

	if (r->next >= r->n)
		return -1;
	const struct hal_fix *f = &r->ev[r->next].fix;
	return (f->set & HAL_FIX_TIME) ? f->time_ms : -1;
}

void
hal_gps_replay_close(struct hal_gps *gps)
{
	struct hal_gps_replay *r = (struct hal_gps_replay *)gps;

	free(r->ev);
	free(r);
}
