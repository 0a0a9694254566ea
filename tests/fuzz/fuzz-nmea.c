/* NMEA: one sentence through hal_nmea_parse(), the bytes as a stream through
 * the reader (split in two feeds at a point the input chooses), the
 * sentences through the epoch combiner and the fix filter; then the same
 * bytes as a file through the nmea: replay source. */
#include "tests/fuzz/fuzz.h"

#include "guide/fix_filter.h"
#include "hal/gps.h"
#include "hal/nmea.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ctx {
	struct hal_nmea_epoch epoch;
	struct fix_filter *filter;
};

static void
push_fix(struct ctx *c, struct hal_fix *fix)
{
	if (hal_fix_has_position(fix))
		fix_filter_push(c->filter, fix);
	else
		fix_filter_reset(c->filter);
}

static void
on_sentence(void *user, const struct hal_nmea_sentence *s)
{
	struct ctx *c = user;
	struct hal_fix fix;
	int32_t tod;
	if (hal_nmea_epoch_add(&c->epoch, s, &fix, &tod))
		push_fix(c, &fix);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;

	if (size > 0 && size <= HAL_NMEA_MAX_LEN) {
		struct hal_nmea_sentence s;
		hal_nmea_parse(text, size, &s);
	}

	struct ctx c;
	hal_nmea_epoch_init(&c.epoch);
	if (fix_filter_create(NULL, &c.filter) < 0)
		abort();
	struct hal_nmea_reader r;
	hal_nmea_reader_init(&r);
	size_t cut = size ? data[0] % (size + 1) : 0;
	hal_nmea_reader_feed(&r, text, cut, on_sentence, &c);
	hal_nmea_reader_feed(&r, text + cut, size - cut, on_sentence, &c);
	hal_nmea_reader_finish(&r);
	struct hal_fix fix;
	int32_t tod;
	if (hal_nmea_epoch_flush(&c.epoch, &fix, &tod))
		push_fix(&c, &fix);
	fix_filter_destroy(c.filter);

	const char *path = fuzz_bytes_as_file(data, size);
	if (path) {
		char spec[128];
		snprintf(spec, sizeof(spec), "nmea:%s", path);
		struct hal_gps *gps = NULL;
		if (hal_gps_create(spec, NULL, &gps) == 0) {
			/* a replay always ends; bound it anyway */
			for (size_t i = 0; i < 4 * size + 16; i++) {
				hal_gps_peek_time_ms(gps);
				int ev = hal_gps_read(gps, &fix);
				if (ev == HAL_GPS_END || ev < 0)
					break;
			}
			struct hal_gps_stats st;
			hal_gps_get_stats(gps, &st);
			hal_gps_destroy(gps);
		}
	}
	return 0;
}
