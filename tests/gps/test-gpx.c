/* GPX replay and source specs. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hal/clock.h"
#include "hal/gps.h"
#include "tests/test.h"

static char msgs[4096];

static void
on_log(void *user, enum hal_log_level level, const char *msg)
{
	strncat(msgs, msg, sizeof(msgs) - strlen(msgs) - 2);
	strcat(msgs, "\n");
}

static void
test_gpx(const char *root)
{
	char spec[1200];
	snprintf(spec, sizeof(spec), "gpx:%s/tests/gps/data/drive.gpx", root);
	struct hal_gps_options o = {.log = on_log};
	struct hal_gps *g = NULL;
	CHECK_INT(hal_gps_create(spec, &o, &g), 0);
	if (!g)
		return;
	CHECK_STR(hal_gps_name(g), "gpx");
	CHECK_INT(hal_gps_get_fd(g), -1);
	CHECK_INT(hal_gps_next_wakeup_ms(g), -1);
	const int64_t t0 = 1714557600000LL; /* 2024-05-01T10:00:00Z */
	const struct {
		int ev;
		int64_t t;
		double lat, lon, alt, speed, track, hdop;
		int mode, sats;
		uint32_t set;
	} want[] = {
		{HAL_GPS_FIX, t0, 39.9840, 116.4950, 40.5, NAN, NAN, NAN, 3, 0,
		 HAL_FIX_TIME | HAL_FIX_POS | HAL_FIX_ALT | HAL_FIX_MODE},
		{HAL_GPS_FIX, t0 + 1500, 39.9841, 116.4951, 41, 3.5, 45, NAN, 3, 0,
		 HAL_FIX_TIME | HAL_FIX_POS | HAL_FIX_ALT | HAL_FIX_SPEED | HAL_FIX_TRACK |
			 HAL_FIX_MODE},
		{HAL_GPS_FIX, t0 + 3000, 39.9842, 116.4952, NAN, 4, 350, 1.5, 2, 9,
		 HAL_FIX_TIME | HAL_FIX_POS | HAL_FIX_SPEED | HAL_FIX_TRACK | HAL_FIX_HDOP |
			 HAL_FIX_SATS | HAL_FIX_MODE},
		/* lat="north" is dropped and counted; <fix>none</fix> is a loss */
		{HAL_GPS_LOST, t0 + 5000, NAN, NAN, NAN, NAN, NAN, NAN, 1, 0,
		 HAL_FIX_TIME | HAL_FIX_MODE},
		{HAL_GPS_FIX, t0 + 6000, 39.9844, 116.4954, NAN, NAN, NAN, NAN, 2, 0,
		 HAL_FIX_TIME | HAL_FIX_POS | HAL_FIX_MODE},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		CHECK_INT(hal_gps_peek_time_ms(g), want[i].t);
		struct hal_fix f;
		CHECK_INT(hal_gps_read(g, &f), want[i].ev);
		CHECK_INT(f.time_ms, want[i].t);
		CHECK_INT(f.set, want[i].set);
		CHECK_INT(f.mode, want[i].mode);
		CHECK_INT(f.sats_used, want[i].sats);
#define OPT(x)                                                                                     \
	do {                                                                                       \
		if (isnan(want[i].x))                                                              \
			CHECK(isnan(f.x));                                                         \
		else                                                                               \
			CHECK_NEAR(f.x, want[i].x, 1e-12);                                         \
	} while (0)
		OPT(lat);
		OPT(lon);
		OPT(alt);
		OPT(speed);
		OPT(track);
		OPT(hdop);
	}
	struct hal_fix f;
	CHECK_INT(hal_gps_read(g, &f), HAL_GPS_END);
	struct hal_gps_stats st;
	hal_gps_get_stats(g, &st);
	CHECK_INT(st.gpx_points, 6);
	CHECK_INT(st.gpx_bad_points, 1);
	CHECK_INT(st.fixes, 4);
	CHECK_INT(st.lost, 1);
	CHECK(strstr(msgs, "drive.gpx:11: trkpt without a usable lat/lon") != NULL);
	hal_gps_destroy(g);
}

static void
test_specs(const char *root)
{
	const struct {
		const char *spec;
		int rc;
		const char *msg;
	} cases[] = {
		{"", -EINVAL, "empty GPS source"},
		{"serial:/dev/ttyUSB0", -EINVAL,
		 "unknown GPS source 'serial:/dev/ttyUSB0' (gpsd[:HOST[:PORT]] | nmea:FILE | gpx:FILE)"},
		{"gpxx:/tmp/x.gpx", -EINVAL, "unknown GPS source 'gpxx:/tmp/x.gpx'"},
		{"nmea", -EINVAL, "nmea: needs a file"},
		{"nmea:", -EINVAL, "nmea: needs a file"},
		{"gpx:/nonexistent/x.gpx", -ENOENT, "gpx: /nonexistent/x.gpx: No such file"},
		{"nmea:/nonexistent/x.log", -ENOENT, "nmea: /nonexistent/x.log: No such file"},
		{"gpsd:localhost:0", -EINVAL, "gpsd: bad address"},
		{"gpsd:localhost:70000", -EINVAL, "gpsd: bad address"},
		{"gpsd:localhost:12x", -EINVAL, "gpsd: bad address"},
		{"gpsd:[::1", -EINVAL, "gpsd: bad address"},
		{"gpx:@BROKEN@", -EBADMSG, "broken.gpx:1:"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char spec[1200];
		if (!strcmp(cases[i].spec, "gpx:@BROKEN@"))
			snprintf(spec, sizeof(spec), "gpx:%s/tests/gps/data/broken.gpx", root);
		else
			snprintf(spec, sizeof(spec), "%s", cases[i].spec);
		msgs[0] = '\0';
		struct hal_gps_options o = {.log = on_log};
		struct hal_gps *g = (struct hal_gps *)&o; /* must be reset to NULL */
		CHECK_INT(hal_gps_create(spec, &o, &g), cases[i].rc);
		CHECK(g == NULL);
		if (!strstr(msgs, cases[i].msg))
			fprintf(stderr, "spec %s: log was: %s\n", spec, msgs);
		CHECK(strstr(msgs, cases[i].msg) != NULL);
	}
	/* gpsd with nobody listening is still created: it retries, never fails */
	struct hal_clock clk;
	hal_clock_init_virtual(&clk, 1000);
	struct hal_gps_options o = {
		.clock = &clk, .reconnect_min_ms = 100, .reconnect_max_ms = 400};
	struct hal_gps *g = NULL;
	CHECK_INT(hal_gps_create("gpsd:127.0.0.1:1", &o, &g), 0);
	if (g) {
		const int64_t wake[] = {1100, 1300, 1700, 2100, 2500};
		CHECK_INT(hal_gps_get_fd(g), -1);
		for (int k = 0; k < 5; k++) {
			CHECK_INT(hal_gps_next_wakeup_ms(g), wake[k]); /* backoff, capped */
			struct hal_fix f;
			CHECK_INT(hal_gps_read(g, &f), HAL_GPS_NONE); /* too early: no try */
			hal_clock_set_ms(&clk, wake[k]);
			CHECK_INT(hal_gps_read(g, &f), HAL_GPS_NONE);
		}
		hal_gps_destroy(g);
	}
	hal_gps_destroy(NULL);
}

int
main(void)
{
	const char *r = getenv("GUIDE_SOURCE_ROOT");
	test_gpx(r ? r : ".");
	test_specs(r ? r : ".");
	TEST_EXIT();
}
