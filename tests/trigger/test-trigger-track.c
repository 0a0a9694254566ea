/* Synthetic drives: reproducible by seed, NMEA checksums valid, the drive
 * covers the path, noise and dropouts are present when asked for. */
#include <stdlib.h>

#include "guide/curator/track.h"
#include "tests/test.h"

static bool
checksum_ok(const char *line)
{
	const char *star = strchr(line, '*');
	if (line[0] != '$' || !star)
		return false;
	unsigned cs = 0;
	for (const char *p = line + 1; p < star; p++)
		cs ^= (unsigned char)*p;
	return strtoul(star + 1, NULL, 16) == cs;
}

int
main(void)
{
	struct route *r = track_synthetic_route();
	CHECK(r != NULL);
	struct track_options o;
	track_options_defaults(&o);
	o.noise_m = 5;
	o.hz = 10;
	o.seed = 7;
	o.dropout_per_min = 1;
	o.park_end_s = 60;
	struct track_sample *a, *b;
	size_t na, nb;
	CHECK_INT(track_generate(r, 0, &o, &a, &na), 0);
	CHECK_INT(track_generate(r, 0, &o, &b, &nb), 0);
	CHECK_INT(na, nb);
	CHECK(na > 10000);
	CHECK(memcmp(a, b, na * sizeof(*a)) == 0);
	size_t dropped = 0;
	double max_along = 0;
	for (size_t i = 0; i < na; i++) {
		dropped += a[i].dropped;
		max_along = a[i].true_along > max_along ? a[i].true_along : max_along;
		CHECK_INT(a[i].t_ms, o.start_ms + (int64_t)i * 100);
	}
	CHECK(dropped > 0);
	CHECK_NEAR(max_along, 4780, 1);
	CHECK(a[na - 1].parked);
	o.seed = 8;
	free(b);
	CHECK_INT(track_generate(r, 0, &o, &b, &nb), 0);
	CHECK(na != nb || memcmp(a, b, na * sizeof(*a)) != 0);

	char buf[400];
	size_t len = track_format_nmea(&a[100].fix, buf, sizeof(buf));
	CHECK(len > 60);
	char *gga = strstr(buf, "$GPGGA");
	CHECK(strncmp(buf, "$GPRMC,020010.000,A,", 20) == 0);
	CHECK(gga != NULL);
	CHECK(checksum_ok(buf));
	CHECK(gga && checksum_ok(gga));
	struct hal_fix none = {.set = HAL_FIX_TIME, .time_ms = o.start_ms};
	track_format_nmea(&none, buf, sizeof(buf));
	CHECK(strncmp(buf, "$GPRMC,020000.000,V,,,,,,,010524,,,N*", 37) == 0);
	CHECK(checksum_ok(buf));
	free(a);
	free(b);
	route_destroy(r);
	TEST_EXIT();
}
