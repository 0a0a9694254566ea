/* Helper of test-nmea-gpsd.py: replays NMEA logs through the nmea: source
 * and the fix filter the way the daemon does (guide/daemon/daemon_gps.c: a
 * LOST event resets the filter) and prints one JSON line per event:
 *   {"log":NAME,"ev":"fix"|"lost","t":MS|null,"lat":..,"lon":..,"mode":N,
 *    "why":FILTER_REASON}
 * Usage: nmea-gpsd-dump LOG... */
#include <stdio.h>
#include <string.h>

#include "guide/fix_filter.h"
#include "hal/gps.h"

static int
dump(const char *path)
{
	const char *name = strrchr(path, '/');
	name = name ? name + 1 : path;
	char spec[4200];
	snprintf(spec, sizeof(spec), "nmea:%s", path);
	struct hal_gps *gps = NULL;
	struct fix_filter *filter = NULL;
	int rc = hal_gps_create(spec, NULL, &gps);
	if (rc == 0)
		rc = fix_filter_create(NULL, &filter);
	if (rc < 0)
		goto out;
	struct hal_fix f;
	int ev;
	while ((ev = hal_gps_read(gps, &f)) != HAL_GPS_END) {
		if (ev < 0) {
			rc = ev;
			break;
		}
		printf("{\"log\":\"%s\",\"ev\":\"%s\",\"t\":", name,
		       ev == HAL_GPS_FIX ? "fix" : "lost");
		if (f.set & HAL_FIX_TIME)
			printf("%lld", (long long)f.time_ms);
		else
			printf("null");
		if (ev == HAL_GPS_LOST) {
			fix_filter_reset(filter);
			printf("}\n");
			continue;
		}
		enum fix_filter_reason why = fix_filter_push(filter, &f);
		printf(",\"lat\":%.9f,\"lon\":%.9f,\"mode\":%d,\"why\":\"%s\"}\n", f.lat, f.lon,
		       f.mode, fix_filter_reason_to_str(why));
	}
out:
	fix_filter_destroy(filter);
	hal_gps_destroy(gps);
	if (rc < 0)
		fprintf(stderr, "%s: error %d\n", path, rc);
	return rc;
}

int
main(int argc, char **argv)
{
	int failed = 0;
	for (int i = 1; i < argc; i++)
		failed |= dump(argv[i]) < 0;
	return failed;
}
