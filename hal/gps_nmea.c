/* nmea:FILE -- replay of an NMEA 0183 log.
 *
 * The whole file is parsed at open into a list of events (a one-hour tour at
 * 1 Hz is a few thousand), so hal_gps_peek_time_ms() can tell the loop when
 * the next one is due.  Epochs before the first RMC date take that date. */
#include "hal/gps_impl.h"
#include "hal/nmea.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct gps_nmea {
	struct hal_gps base; /* first */
	struct hal_gps_replay replay;
};

struct first_date {
	int32_t days;
};

static void
find_date_cb(void *user, const struct hal_nmea_sentence *s)
{
	struct first_date *fd = user;
	if (fd->days < 0 && s->type == HAL_NMEA_RMC && (s->set & HAL_NMEA_F_DATE))
		fd->days = s->days;
}

struct build {
	struct gps_nmea *g;
	struct hal_nmea_epoch epoch;
	int rc;
};

static void
build_cb(void *user, const struct hal_nmea_sentence *s)
{
	struct build *b = user;
	struct hal_fix fix;
	if (b->rc == 0 && hal_nmea_epoch_add(&b->epoch, s, &fix, NULL))
		b->rc = hal_gps_replay_push(&b->g->replay, &b->g->base.stats, &fix);
}

static void
nmea_close(struct hal_gps *gps)
{
	struct gps_nmea *g = (struct gps_nmea *)gps;
	hal_gps_replay_free(&g->replay);
	free(g);
}

static int
nmea_open(const char *arg, const struct hal_gps_options *opts, struct hal_gps **out)
{
	if (!arg || !*arg) {
		hal_gps_logf(opts, HAL_LOG_ERR, "nmea: needs a file (nmea:FILE)");
		return -EINVAL;
	}
	char *data = NULL;
	size_t len = 0;
	int rc = hal_gps_read_file(arg, &data, &len);
	if (rc < 0) {
		hal_gps_logf(opts, HAL_LOG_ERR, "nmea: %s: %s", arg, strerror(-rc));
		return rc;
	}
	struct gps_nmea *g = calloc(1, sizeof(*g));
	if (!g) {
		rc = -ENOMEM;
		goto fail;
	}
	hal_gps_base_init(&g->base, &hal_gps_nmea_impl, opts);

	struct hal_nmea_reader reader;
	struct first_date fd = {.days = -1};
	hal_nmea_reader_init(&reader);
	hal_nmea_reader_feed(&reader, data, len, find_date_cb, &fd);

	struct build b = {.g = g, .rc = 0};
	hal_nmea_epoch_init(&b.epoch);
	b.epoch.days = fd.days;
	hal_nmea_reader_init(&reader);
	hal_nmea_reader_feed(&reader, data, len, build_cb, &b);
	hal_nmea_reader_finish(&reader);
	struct hal_fix fix;
	if (b.rc == 0 && hal_nmea_epoch_flush(&b.epoch, &fix, NULL))
		b.rc = hal_gps_replay_push(&g->replay, &g->base.stats, &fix);
	if (b.rc < 0) {
		rc = b.rc;
		goto fail;
	}
	struct hal_gps_stats *st = &g->base.stats;
	st->sentences_ok = reader.count[HAL_NMEA_OK];
	st->sentences_ignored = reader.count[HAL_NMEA_IGNORED];
	st->bad_checksum = reader.count[HAL_NMEA_BAD_CHECKSUM];
	st->no_checksum = reader.count[HAL_NMEA_NO_CHECKSUM];
	st->malformed = reader.count[HAL_NMEA_MALFORMED];
	st->truncated = reader.count[HAL_NMEA_TRUNCATED];
	st->bytes_skipped = reader.bytes_skipped;
	hal_gps_logf(opts, HAL_LOG_INFO,
		     "nmea: %s: %zu events from %llu sentences (%llu ignored, %llu bad checksum, "
		     "%llu without checksum, %llu malformed, %llu truncated)",
		     arg, g->replay.n, (unsigned long long)st->sentences_ok,
		     (unsigned long long)st->sentences_ignored,
		     (unsigned long long)st->bad_checksum, (unsigned long long)st->no_checksum,
		     (unsigned long long)st->malformed, (unsigned long long)st->truncated);
	free(data);
	*out = &g->base;
	return 0;
fail:
	hal_gps_logf(opts, HAL_LOG_ERR, "nmea: %s: %s", arg, strerror(-rc));
	if (g)
		nmea_close(&g->base);
	free(data);
	return rc;
}

static int
nmea_read(struct hal_gps *gps, struct hal_fix *fix)
{
	struct gps_nmea *g = (struct gps_nmea *)gps;
	return hal_gps_replay_read(&g->replay, &gps->stats, fix);
}

static int64_t
nmea_peek(struct hal_gps *gps)
{
	return hal_gps_replay_peek(&((struct gps_nmea *)gps)->replay);
}

const struct hal_gps_impl hal_gps_nmea_impl = {
	.name = "nmea",
	.open = nmea_open,
	.read = nmea_read,
	.close = nmea_close,
	.peek_time_ms = nmea_peek,
};
