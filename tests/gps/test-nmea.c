/* NMEA parser, reader and epoch combiner: table-driven exact cases. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers" /* short error rows */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hal/nmea.h"
#include "tests/test.h"

#define KN (1852.0 / 3600.0)

/* "$BODY" -> "$BODY*hh" with the right checksum (computed here). */
static const char *
with_cs(const char *body)
{
	static char buf[512];
	unsigned cs = 0;
	for (const char *p = body + 1; *p; p++)
		cs ^= (unsigned char)*p;
	snprintf(buf, sizeof(buf), "%s*%02X", body, cs);
	return buf;
}

struct pcase {
	const char *line; /* with "*hh" already, or NULL and body */
	const char *body; /* checksum added by with_cs() */
	enum hal_nmea_result res;
	enum hal_nmea_type type;
	const char *talker;
	uint32_t set;
	int32_t tod_ms, days;
	double lat, lon, speed, track, hdop, alt;
	int quality, sats, gsa_mode;
	char status;
};

#define NA NAN

static void
test_parse_table(void)
{
	const struct pcase cases[] = {
		/* RMC, GP talker; date 2018-08-20 = day 17763 */
		{NULL, "$GPRMC,094738,A,5251.0084,N,00518.8149,E,5.8,235.1,200818,1.4,E,A",
		 HAL_NMEA_OK, HAL_NMEA_RMC, "GP",
		 HAL_NMEA_F_TIME | HAL_NMEA_F_DATE | HAL_NMEA_F_POS | HAL_NMEA_F_SPEED |
			 HAL_NMEA_F_TRACK | HAL_NMEA_F_STATUS,
		 (9 * 3600 + 47 * 60 + 38) * 1000, 17763, 52 + 51.0084 / 60, 5 + 18.8149 / 60,
		 5.8 * KN, 235.1, NA, NA, 0, 0, 0, 'A'},
		/* RMC, GN talker, south/west, ms, void */
		{NULL, "$GNRMC,235959.250,V,2712.6404,S,15303.1201,W,0.00,,080407,,,N", HAL_NMEA_OK,
		 HAL_NMEA_RMC, "GN",
		 HAL_NMEA_F_TIME | HAL_NMEA_F_DATE | HAL_NMEA_F_POS | HAL_NMEA_F_SPEED |
			 HAL_NMEA_F_STATUS,
		 86399250, 13611, -(27 + 12.6404 / 60), -(153 + 3.1201 / 60), 0, NA, NA, NA, 0, 0,
		 0, 'V'},
		/* GGA, BeiDou talker */
		{NULL, "$BDGGA,094736,5251.0094,N,00518.8172,E,1,12,0.60,-4,M,46.8,M,,",
		 HAL_NMEA_OK, HAL_NMEA_GGA, "BD",
		 HAL_NMEA_F_TIME | HAL_NMEA_F_POS | HAL_NMEA_F_QUALITY | HAL_NMEA_F_SATS |
			 HAL_NMEA_F_HDOP | HAL_NMEA_F_ALT,
		 (9 * 3600 + 47 * 60 + 36) * 1000, -1, 52 + 51.0094 / 60, 5 + 18.8172 / 60, NA, NA,
		 0.60, -4, 1, 12, 0, 0},
		/* GGA without a fix, empty position */
		{NULL, "$GPGGA,001902.00,,,,,0,00,99.99,,,,,,", HAL_NMEA_OK, HAL_NMEA_GGA, "GP",
		 HAL_NMEA_F_TIME | HAL_NMEA_F_QUALITY | HAL_NMEA_F_SATS | HAL_NMEA_F_HDOP,
		 (19 * 60 + 2) * 1000, -1, NA, NA, NA, NA, 99.99, NA, 0, 0, 0, 0},
		/* GSA, GLONASS and Galileo talkers */
		{NULL, "$GLGSA,A,3,07,08,10,16,20,21,26,27,29,76,75,70,1.10,0.60,0.90", HAL_NMEA_OK,
		 HAL_NMEA_GSA, "GL", HAL_NMEA_F_MODE | HAL_NMEA_F_HDOP, -1, -1, NA, NA, NA, NA,
		 0.60, NA, 0, 0, 3, 0},
		{NULL, "$GAGSA,A,1,,,,,,,,,,,,,,,", HAL_NMEA_OK, HAL_NMEA_GSA, "GA",
		 HAL_NMEA_F_MODE, -1, -1, NA, NA, NA, NA, NA, NA, 0, 0, 1, 0},
		/* VTG, NMEA 2+ (knots win over km/h) and 1.5 forms */
		{NULL, "$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K,A", HAL_NMEA_OK, HAL_NMEA_VTG, "GP",
		 HAL_NMEA_F_SPEED | HAL_NMEA_F_TRACK, -1, -1, NA, NA, 5.5 * KN, 54.7, NA, NA, 0, 0,
		 0, 0},
		{NULL, "$GPVTG,054.7,034.4,005.5,010.2", HAL_NMEA_OK, HAL_NMEA_VTG, "GP",
		 HAL_NMEA_F_SPEED | HAL_NMEA_F_TRACK, -1, -1, NA, NA, 5.5 * KN, 54.7, NA, NA, 0, 0,
		 0, 0},
		{NULL, "$GPVTG,,T,,M,,N,36.0,K,A", HAL_NMEA_OK, HAL_NMEA_VTG, "GP",
		 HAL_NMEA_F_SPEED, -1, -1, NA, NA, 10.0, NA, NA, NA, 0, 0, 0, 0},
		/* GLL */
		{NULL, "$GPGLL,5251.0093,N,00518.8170,E,094736,A,A", HAL_NMEA_OK, HAL_NMEA_GLL,
		 "GP", HAL_NMEA_F_POS | HAL_NMEA_F_TIME | HAL_NMEA_F_STATUS,
		 (9 * 3600 + 47 * 60 + 36) * 1000, -1, 52 + 51.0093 / 60, 5 + 18.8170 / 60, NA, NA,
		 NA, NA, 0, 0, 0, 'A'},
		/* RMC with a broken date (day 32, the week-rollover bug's "2208-1" of
		 * april6_2019.log): time and position stay, the date is unknown */
		{NULL, "$GPRMC,094738,A,5251.0084,N,00518.8149,E,5.8,235.1,321318,,", HAL_NMEA_OK,
		 HAL_NMEA_RMC, "GP",
		 HAL_NMEA_F_TIME | HAL_NMEA_F_POS | HAL_NMEA_F_SPEED | HAL_NMEA_F_TRACK |
			 HAL_NMEA_F_STATUS,
		 (9 * 3600 + 47 * 60 + 38) * 1000, -1, 52 + 51.0084 / 60, 5 + 18.8149 / 60,
		 5.8 * KN, 235.1, NA, NA, 0, 0, 0, 'A'},
		{NULL, "$GPRMC,000231.099,A,4829.0005,N,00022.0015,E,0.15,212.28,2208-1,,,A",
		 HAL_NMEA_OK, HAL_NMEA_RMC, "GP",
		 HAL_NMEA_F_TIME | HAL_NMEA_F_POS | HAL_NMEA_F_SPEED | HAL_NMEA_F_TRACK |
			 HAL_NMEA_F_STATUS,
		 (2 * 60 + 31) * 1000 + 99, -1, 48 + 29.0005 / 60, 22.0015 / 60, 0.15 * KN, 212.28,
		 NA, NA, 0, 0, 0, 'A'},
		/* RMC before the receiver has a time: the empty time field is noted */
		{NULL, "$GPRMC,,V,,,,,,,,,,N", HAL_NMEA_OK, HAL_NMEA_RMC, "GP",
		 HAL_NMEA_F_STATUS | HAL_NMEA_F_TIME_EMPTY, -1, -1, NA, NA, NA, NA, NA, NA, 0, 0, 0,
		 'V'},
		/* ZDA: time and date (2018-09-07 = day 17781); empty; bad month */
		{NULL, "$GPZDA,194050.00,07,09,2018,00,00", HAL_NMEA_OK, HAL_NMEA_ZDA, "GP",
		 HAL_NMEA_F_TIME | HAL_NMEA_F_DATE, (19 * 3600 + 40 * 60 + 50) * 1000, 17781, NA,
		 NA, NA, NA, NA, NA, 0, 0, 0, 0},
		{NULL, "$GPZDA,051134.000,04,07,2012,,", HAL_NMEA_OK, HAL_NMEA_ZDA, "GP",
		 HAL_NMEA_F_TIME | HAL_NMEA_F_DATE, (5 * 3600 + 11 * 60 + 34) * 1000, 15525, NA, NA,
		 NA, NA, NA, NA, 0, 0, 0, 0},
		{NULL, "$GPZDA,,,,,00,00", HAL_NMEA_OK, HAL_NMEA_ZDA, "GP", 0, -1, -1, NA, NA, NA,
		 NA, NA, NA, 0, 0, 0, 0},
		/* checksum: wrong, lowercase hex accepted, missing */
		{"$GPGGA,005947.00,3715.6616,N,12157.6709,W,,11,0.8,86.0,M,-30.1,M,,*54", NULL,
		 HAL_NMEA_BAD_CHECKSUM},
		{"$GPVTG,318.0,T,341.9,M,000.0,N,0000.1,K,A", NULL, HAL_NMEA_NO_CHECKSUM},
		{"$GPRMC,0947", NULL, HAL_NMEA_NO_CHECKSUM},
		{"$GPRMC,094738,A*", NULL, HAL_NMEA_NO_CHECKSUM},
		{"$GPRMC,094738,A*4G", NULL, HAL_NMEA_MALFORMED},
		/* other sentences: ignored, not errors */
		{NULL, "$GPGSV,3,1,12,07,10,333,39,08,12,279,35,10,16,158,33,16,74,249,37",
		 HAL_NMEA_IGNORED},
		{NULL, "$PUBX,00,000000.00,0000.00000,N", HAL_NMEA_IGNORED},
		{NULL, "$SDHDG,229.8,,,1.3,E", HAL_NMEA_IGNORED},
		/* malformed with a good checksum */
		{NULL, "$GPRMC,094738,A,5251.0084,N,00518.8149,E", HAL_NMEA_MALFORMED,
		 HAL_NMEA_RMC},
		{NULL, "$GPRMC,000417.984,V,36000.0000,N,72000.0000,E,0.0,,260120,,",
		 HAL_NMEA_MALFORMED, HAL_NMEA_RMC},
		{NULL, "$GPRMC,246000,A,5251.0084,N,00518.8149,E,5.8,235.1,200818,,",
		 HAL_NMEA_MALFORMED, HAL_NMEA_RMC},
		{NULL, "$GPRMC,094738,A,5251.0084,X,00518.8149,E,5.8,235.1,200818,,",
		 HAL_NMEA_MALFORMED, HAL_NMEA_RMC},
		{NULL, "$GPRMC,094738,A,5251.0084,N,00518.8149,E,5.x,235.1,200818,,",
		 HAL_NMEA_MALFORMED, HAL_NMEA_RMC},
		{NULL, "$GPGSA,A,7,,,,,,,,,,,,,,,", HAL_NMEA_MALFORMED, HAL_NMEA_GSA},
		{NULL, "$GPZDA,194050.00,07,13,2018,00,00", HAL_NMEA_MALFORMED, HAL_NMEA_ZDA},
		{NULL, "$GPGGA,094736,5251.0094,N", HAL_NMEA_MALFORMED, HAL_NMEA_GGA},
		{"GPGGA,1*00", NULL, HAL_NMEA_MALFORMED},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pcase *c = &cases[i];
		const char *line = c->line ? c->line : with_cs(c->body);
		struct hal_nmea_sentence s;
		enum hal_nmea_result r = hal_nmea_parse(line, strlen(line), &s);
		if (r != c->res)
			fprintf(stderr, "case %zu: %s\n", i, line);
		CHECK_STR(hal_nmea_result_to_str(r), hal_nmea_result_to_str(c->res));
		if (c->type != HAL_NMEA_OTHER)
			CHECK_INT(s.type, c->type);
		if (r != HAL_NMEA_OK)
			continue;
		CHECK_STR(s.talker, c->talker);
		CHECK_INT(s.set, c->set);
		CHECK_INT(s.tod_ms, c->tod_ms);
		CHECK_INT(s.days, c->days);
#define CHECK_OPT(field)                                                                           \
	do {                                                                                       \
		if (isnan(c->field))                                                               \
			CHECK(isnan(s.field));                                                     \
		else                                                                               \
			CHECK_NEAR(s.field, c->field, 1e-9);                                       \
	} while (0)
		CHECK_OPT(lat);
		CHECK_OPT(lon);
		CHECK_OPT(speed);
		CHECK_OPT(track);
		CHECK_OPT(hdop);
		CHECK_OPT(alt);
		CHECK_INT(s.quality, c->quality);
		CHECK_INT(s.sats, c->sats);
		CHECK_INT(s.gsa_mode, c->gsa_mode);
		CHECK_INT(s.status, c->status);
	}
	CHECK_INT(hal_nmea_days_from_civil(1970, 1, 1), 0);
	CHECK_INT(hal_nmea_days_from_civil(2000, 3, 1), 11017);
}

struct collect {
	int n;
	enum hal_nmea_type types[16];
};

static void
collect_cb(void *user, const struct hal_nmea_sentence *s)
{
	struct collect *c = user;
	if (c->n < 16)
		c->types[c->n] = s->type;
	c->n++;
}

/* Byte streams: garbage, UBX binary frames, truncation, CRLF, split feeds. */
static void
test_reader(void)
{
	char rmc[128], gga[128];
	snprintf(rmc, sizeof(rmc), "%s",
		 with_cs("$GPRMC,094738,A,5251.0084,N,00518.8149,E,5.8,235.1,200818,1.4,E,A"));
	snprintf(gga, sizeof(gga), "%s",
		 with_cs("$GPGGA,094738,5251.0094,N,00518.8172,E,1,12,0.60,-4,M,46.8,M,,"));
	/* a UBX NAV-PVT-like frame: sync chars, class/id, length, payload with a '$' */
	static const unsigned char ubx[] = {0xb5, 0x62, 0x01, 0x07, 0x08, 0x00, 0x24, 0x47,
					    0x50, 0x00, 0xff, 0x0d, 0x0a, 0x80, 0x11, 0x22};
	char stream[1024];
	size_t n = 0;
#define ADD(str)                                                                                   \
	do {                                                                                       \
		memcpy(stream + n, str, strlen(str));                                              \
		n += strlen(str);                                                                  \
	} while (0)
	ADD("# a comment line\n");
	ADD(rmc);
	ADD("\r\n");
	memcpy(stream + n, ubx, sizeof(ubx));
	n += sizeof(ubx);
	ADD(gga);
	ADD("\r\n");
	ADD("$GPGGA,094739,5251.0094,N,005"); /* truncated by a new sentence */
	ADD(rmc);
	ADD("\n");
	ADD("$GPRMC,094740,A,5251.0084,N,00518.8149,E,5.8"); /* truncated by binary */
	stream[n++] = (char)0xb5;
	stream[n++] = 0x62;
	ADD("\n$GPRMC,0947*00\n"); /* no good checksum */
	ADD(gga);                  /* cut by the end of input */

	/* feed in every split position: the result does not depend on it */
	for (size_t split = 0; split <= n; split += 7) {
		struct hal_nmea_reader r;
		struct collect c = {0};
		hal_nmea_reader_init(&r);
		hal_nmea_reader_feed(&r, stream, split, collect_cb, &c);
		hal_nmea_reader_feed(&r, stream + split, n - split, collect_cb, &c);
		hal_nmea_reader_finish(&r);
		CHECK_INT(c.n, 3);
		CHECK_INT(c.types[0], HAL_NMEA_RMC);
		CHECK_INT(c.types[1], HAL_NMEA_GGA);
		CHECK_INT(c.types[2], HAL_NMEA_RMC);
		CHECK_INT(r.count[HAL_NMEA_OK], 3);
		CHECK_INT(r.count[HAL_NMEA_TRUNCATED], 3);
		CHECK_INT(r.count[HAL_NMEA_BAD_CHECKSUM], 1);
		CHECK_INT(r.count[HAL_NMEA_MALFORMED], 0);
		CHECK(r.bytes_skipped >= sizeof(ubx) + 16);
	}
}

static void
add_line(struct hal_nmea_epoch *e, const char *body, struct hal_fix *out, int *emitted)
{
	const char *l = with_cs(body);
	struct hal_nmea_sentence s;
	CHECK_INT(hal_nmea_parse(l, strlen(l), &s), HAL_NMEA_OK);
	*emitted = hal_nmea_epoch_add(e, &s, out, NULL);
}

/* Combining an epoch: RMC + VTG + GGA + GSA of one time -> one fix. */
static void
test_epoch(void)
{
	struct hal_nmea_epoch e;
	struct hal_fix f;
	int em;
	hal_nmea_epoch_init(&e);
	add_line(&e, "$GPGGA,235959,3000.0000,N,11600.0000,E,1,08,1.2,50.5,M,,M,,", &f, &em);
	CHECK_INT(em, 0);
	add_line(&e, "$GPGSA,A,2,01,02,03,,,,,,,,,,2.0,1.5,1.0", &f, &em);
	CHECK_INT(em, 0);
	add_line(&e, "$GPRMC,235959,A,3000.0000,N,11600.0000,E,10.0,90.0,311224,,", &f, &em);
	CHECK_INT(em, 0);
	add_line(&e, "$GPVTG,45.0,T,,M,2.0,N,3.7,K,A", &f, &em);
	CHECK_INT(em, 0);
	/* next epoch after midnight, no RMC: the date rolls over */
	add_line(&e, "$GPGGA,000000,3000.0010,N,11600.0000,E,1,08,1.2,50.5,M,,M,,", &f, &em);
	CHECK_INT(em, 1);
	int64_t day = hal_nmea_days_from_civil(2024, 12, 31);
	CHECK_INT(f.time_ms, day * 86400000 + 86399000);
	CHECK_INT(f.set, HAL_FIX_TIME | HAL_FIX_POS | HAL_FIX_ALT | HAL_FIX_SPEED | HAL_FIX_TRACK |
				 HAL_FIX_HDOP | HAL_FIX_SATS | HAL_FIX_MODE);
	CHECK_INT(f.mode, HAL_FIX_MODE_2D); /* GSA said 2D */
	CHECK_NEAR(f.lat, 30.0, 1e-12);
	CHECK_NEAR(f.lon, 116.0, 1e-12);
	CHECK_NEAR(f.speed, 10.0 * KN, 1e-12); /* RMC wins over VTG */
	CHECK_NEAR(f.track, 90.0, 1e-12);
	CHECK_NEAR(f.hdop, 1.2, 1e-12); /* GGA wins over GSA */
	CHECK_NEAR(f.alt, 50.5, 1e-12);
	CHECK_INT(f.sats_used, 8);
	add_line(&e, "$GPRMC,000001,V,,,,,,,010125,,", &f, &em);
	CHECK_INT(em, 1);
	CHECK_INT(f.time_ms, (day + 1) * 86400000);
	CHECK_INT(f.mode, HAL_FIX_MODE_3D); /* no GSA: GGA altitude -> 3D */
	CHECK_NEAR(f.lat, 30.0 + 0.001 / 60, 1e-12);
	CHECK(!(f.set & HAL_FIX_SPEED));
	/* the void RMC epoch: no position */
	CHECK_INT(hal_nmea_epoch_flush(&e, &f, NULL), 1);
	CHECK(!hal_fix_has_position(&f));
	CHECK(!(f.set & HAL_FIX_POS));
	CHECK(isnan(f.lat));
	CHECK_INT(f.mode, HAL_FIX_MODE_NONE);
	CHECK_INT(f.time_ms, (day + 1) * 86400000 + 1000);
	CHECK_INT(hal_nmea_epoch_flush(&e, &f, NULL), 0);
}

/* Feeds lines (checksums added) to a fresh combiner and flushes: the fixes
 * it made, in order. */
static int
epochs_of(const char *const *lines, struct hal_fix *out, int max)
{
	struct hal_nmea_epoch e;
	hal_nmea_epoch_init(&e);
	int n = 0;
	for (; *lines; lines++) {
		struct hal_fix f;
		int em;
		add_line(&e, *lines, &f, &em);
		if (em && n < max)
			out[n++] = f;
	}
	struct hal_fix f;
	if (hal_nmea_epoch_flush(&e, &f, NULL) && n < max)
		out[n++] = f;
	return n;
}

#define TOD(h, m, s, ms) ((int64_t)((((h)*60 + (m)) * 60 + (s)) * 1000 + (ms)))

/* The epochs of issue 14 where we differed from gpsd, from the logs. */
static void
test_epoch_real_receivers(void)
{
	struct hal_fix f[8];
	int n;
	/* bt451.log: the first fix after acquisition, a GLL, follows void
	 * sentences without a time: it is an epoch of its own, with a position */
	const char *bt451[] = {"$GPZDA,,,,,00,00",
			       "$GPRMC,,V,,,,,,,,,,N",
			       "$GPVTG,,,,,,,,,N",
			       "$GPGGA,,,,,,0,00,99.99,,,,,,",
			       "$GPGSA,A,1,,,,,,,,,,,,,99.99,99.99,99.99",
			       "$GPGLL,,,,,,V,N",
			       "$GPZDA,,,,,00,00",
			       "$GPGLL,5547.82107,N,02334.14132,E,152504.50,A,A",
			       "$GPZDA,152504.50,09,12,2009,00,00",
			       "$GPRMC,152505.00,A,5547.82113,N,02334.14130,E,0.253,,091209,,,A",
			       NULL};
	n = epochs_of(bt451, f, 8);
	CHECK_INT(n, 3);
	CHECK(!hal_fix_has_position(&f[0]));
	CHECK(hal_fix_has_position(&f[1]));
	CHECK_NEAR(f[1].lat, 55 + 47.82107 / 60, 1e-9);
	CHECK_INT(f[1].time_ms, hal_nmea_days_from_civil(2009, 12, 9) * 86400000LL +
					TOD(15, 25, 4, 500)); /* ZDA's date */
	CHECK(hal_fix_has_position(&f[2]));

	/* april6_2019.log: the week-rollover bug breaks RMC's date; the position
	 * stays (the date comes from the next RMC) */
	const char *april6[] = {
		"$GPRMC,000231.099,A,4829.0005,N,00022.0015,E,0.15,212.28,2208-1,,,A",
		"$GPRMC,000231.42,A,4829.0005,N,00022.0016,E,0.16,212.28,220899,,,A", NULL};
	n = epochs_of(april6, f, 8);
	CHECK_INT(n, 2);
	CHECK(hal_fix_has_position(&f[0]));
	CHECK(!(f[0].set & HAL_FIX_TIME));
	CHECK_NEAR(f[0].lat, 48 + 29.0005 / 60, 1e-9);

	/* hemi.log 19:40:50: GGA quality 1 with 0 satellites alone: no fix;
	 * its ZDA gives the date to the GGA+ZDA receivers (mr-350p.log) */
	const char *hemi[] = {
		"$GPGGA,194050.00,4221.8237733,N,07101.9411707,W,1,00,3.3,10.835,M,-33.320,M,,",
		"$GPZDA,194050.00,07,09,2018,00,00",
		"$GPGGA,051134.000,4744.6980,N,12206.7275,W,1,05,1.9,135.4,M,-17.1,M,18.8,0000",
		"$GPZDA,051134.000,04,07,2012,,", NULL};
	n = epochs_of(hemi, f, 8);
	CHECK_INT(n, 2);
	CHECK(!hal_fix_has_position(&f[0]));
	CHECK_INT(f[0].time_ms,
		  hal_nmea_days_from_civil(2018, 9, 7) * 86400000LL + TOD(19, 40, 50, 0));
	CHECK(hal_fix_has_position(&f[1]));
	CHECK_INT(f[1].time_ms,
		  hal_nmea_days_from_civil(2012, 7, 4) * 86400000LL + TOD(5, 11, 34, 0));
	/* foretrex-201.log: such a GGA (DGPS, 0 satellites) beside a valid GLL:
	 * the GLL's fix */
	const char *foretrex[] = {"$GPGGA,200010,5504.4344,N,01025.5385,E,2,00,2.5,-9.1,M,43.9,M,,",
				  "$GPGSA,A,2,,,,,,,,,,,,,2.7,2.5,1.0",
				  "$GPGLL,5504.4344,N,01025.5385,E,200010,A,D", NULL};
	n = epochs_of(foretrex, f, 8);
	CHECK_INT(n, 1);
	CHECK(hal_fix_has_position(&f[0]));
	CHECK_INT(f[0].mode, HAL_FIX_MODE_2D);

	/* sirfstarv-nmea.log: $GPGGA and $GLGGA of one second, then RMC: one
	 * epoch with RMC's speed */
	const char *sirf[] = {
		"$GPGGA,020935.000,4404.1351,N,12118.8556,W,1,08,0.9,1123.9,M,-19.6,M,,0000",
		"$GLGGA,020935.000,4404.1351,N,12118.8556,W,1,02,0.9,1123.9,M,-19.6,M,,0000",
		"$GNGSA,A,3,15,17,30,28,01,19,24,11,,,,,1.8,0.9,1.5",
		"$GNGSA,A,3,73,82,,,,,,,,,,,1.8,0.9,1.5",
		"$GNRMC,020935.000,A,4404.1351,N,12118.8556,W,0.04,359.11,050219,,,A",
		"$GPGGA,020936.000,4404.1351,N,12118.8557,W,1,08,0.9,1123.9,M,-19.6,M,,0000",
		NULL};
	n = epochs_of(sirf, f, 8);
	CHECK_INT(n, 2);
	CHECK(f[0].set & HAL_FIX_SPEED);
	CHECK(f[0].set & HAL_FIX_TRACK);
	CHECK_INT(f[0].sats_used, 8); /* the first GGA */

	/* Magellan (eXplorist210.log): GLL in ms, GGA and RMC in cs of one fix:
	 * one epoch, at the cs time */
	const char *magellan[] = {
		"$GPGLL,5313.2228,N,00634.4228,E,200619.295,A",
		"$GPGGA,200619.30,5313.2228,N,00634.4228,E,1,05,2.6,00000,M,,,,",
		"$GPRMC,200619.30,A,5313.2228,N,00634.4228,E,00.0,000.0,200506,00,W",
		"$GPGLL,5313.2228,N,00634.4228,E,200620.303,A",
		"$GPGGA,200620.30,5313.2228,N,00634.4228,E,1,05,2.5,00000,M,,,,",
		NULL};
	n = epochs_of(magellan, f, 8);
	CHECK_INT(n, 2);
	CHECK(f[0].set & HAL_FIX_SPEED);
	CHECK_INT(f[0].time_ms,
		  hal_nmea_days_from_civil(2006, 5, 20) * 86400000LL + TOD(20, 6, 19, 300));
	/* ms and ms do not merge: 10 Hz epochs stay apart */
	const char *tenhz[] = {"$GPGLL,5313.2228,N,00634.4228,E,200619.295,A",
			       "$GPGLL,5313.2228,N,00634.4228,E,200619.300,A", NULL};
	CHECK_INT(epochs_of(tenhz, f, 8), 2);
}

int
main(void)
{
	test_parse_table();
	test_reader();
	test_epoch();
	test_epoch_real_receivers();
	TEST_EXIT();
}
