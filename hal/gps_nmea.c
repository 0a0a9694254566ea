/* nmea:FILE -- replay of an NMEA 0183 log.
 *
 * The whole file is parsed at open into a list of events (a one-hour tour at
 * 1 Hz is a few thousand), so hal_gps_peek_time_ms() can tell the loop when
 * the next one is due.  Epochs before the first date (RMC or ZDA) take that
 * date. */
#include "hal/gps_impl.h"
#include "hal/nmea.h"

struct first_date {
	int32_t days;
};

static void
find_date_cb(void *user, const struct hal_nmea_sentence *s)
{
	struct first_date *fd = user;
	if (fd->days < 0 && (s->type == HAL_NMEA_RMC || s->type == HAL_NMEA_ZDA) &&
	    (s->set & HAL_NMEA_F_DATE))
		fd->days = s->days;
}

struct build {
	struct hal_gps_replay *r;
	struct hal_nmea_epoch epoch;
	int rc;
};

static void
build_cb(void *user, const struct hal_nmea_sentence *s)
{
	struct build *b = user;
	struct hal_fix fix;
	if (b->rc == 0 && hal_nmea_epoch_add(&b->epoch, s, &fix, NULL))
		b->rc = hal_gps_replay_push(b->r, &fix);
}

static int
nmea_parse(struct hal_gps_replay *r, const char *path, const char *data, size_t len)
{
	struct hal_nmea_reader reader;
	struct first_date fd = {.days = -1};
	hal_nmea_reader_init(&reader);
	hal_nmea_reader_feed(&reader, data, len, find_date_cb, &fd);

	struct build b = {.r = r, .rc = 0};
	hal_nmea_epoch_init(&b.epoch);
	b.epoch.days = fd.days;
	hal_nmea_reader_init(&reader);
	hal_nmea_reader_feed(&reader, data, len, build_cb, &b);
	hal_nmea_reader_finish(&reader);
	struct hal_fix fix;
	if (b.rc == 0 && hal_nmea_epoch_flush(&b.epoch, &fix, NULL))
		b.rc = hal_gps_replay_push(r, &fix);
	if (b.rc < 0)
		return b.rc;
	struct hal_gps_stats *st = &r->base.stats;
	st->sentences_ok = reader.count[HAL_NMEA_OK];
	st->sentences_ignored = reader.count[HAL_NMEA_IGNORED];
	st->bad_checksum = reader.count[HAL_NMEA_BAD_CHECKSUM];
	st->no_checksum = reader.count[HAL_NMEA_NO_CHECKSUM];
	st->malformed = reader.count[HAL_NMEA_MALFORMED];
	st->truncated = reader.count[HAL_NMEA_TRUNCATED];
	st->bytes_skipped = reader.bytes_skipped;
	hal_gps_logf(&r->base.opts, HAL_LOG_INFO,
		     "nmea: %s: %zu events from %llu sentences (%llu ignored, %llu bad checksum, "
		     "%llu without checksum, %llu malformed, %llu truncated)",
		     path, r->n, (unsigned long long)st->sentences_ok,
		     (unsigned long long)st->sentences_ignored,
		     (unsigned long long)st->bad_checksum, (unsigned long long)st->no_checksum,
		     (unsigned long long)st->malformed, (unsigned long long)st->truncated);
	return 0;
}

static int
nmea_open(const char *arg, const struct hal_gps_options *opts, struct hal_gps **out)
{
	return hal_gps_replay_open(&hal_gps_nmea_impl, nmea_parse, arg, opts, out);
}

const struct hal_gps_impl hal_gps_nmea_impl = {
	.scheme = {"nmea", "nmea:FILE"},
	.open = nmea_open,
	.read = hal_gps_replay_read,
	.close = hal_gps_replay_close,
	.peek_time_ms = hal_gps_replay_peek,
};
