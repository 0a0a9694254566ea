/* NMEA replay over real-world logs: every file in tests/data/gpsd-nmea/
 * replays without a crash, and the moving logs yield fixes whose positions
 * and speeds are those of their RMC sentences (expectations written out by
 * hand from the log lines quoted below). */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hal/gps.h"
#include "hal/nmea.h"
#include "tests/test.h"

#define KN (1852.0 / 3600.0)

static char root[1024];

static void
data_path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/tests/data/gpsd-nmea/%s", root, name);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct run {
	int fixes, lost, total;
	struct hal_gps_stats st;
};

static int
replay(const char *path, struct run *r)
{
	struct hal_gps *gps;
	char spec[1300];
	snprintf(spec, sizeof(spec), "nmea:%s", path);
	memset(r, 0, sizeof(*r));
	int rc = hal_gps_create(spec, NULL, &gps);
	if (rc < 0)
		return rc;
	struct hal_fix f;
	int64_t last_t = -1;
	for (;;) {
		int64_t peek = hal_gps_peek_time_ms(gps);
		int ev = hal_gps_read(gps, &f);
		if (ev == HAL_GPS_END)
			break;
		r->total++;
		CHECK(ev == HAL_GPS_FIX || ev == HAL_GPS_LOST);
		if (ev == HAL_GPS_FIX) {
			r->fixes++;
			CHECK(hal_fix_has_position(&f));
			CHECK(!(f.set & HAL_FIX_SPEED) || (isfinite(f.speed) && f.speed >= 0));
			CHECK(!(f.set & HAL_FIX_TRACK) || (f.track >= 0 && f.track < 360));
		} else {
			r->lost++;
		}
		/* peek announced exactly this event's time */
		CHECK_INT(peek, (f.set & HAL_FIX_TIME) ? f.time_ms : -1);
		if (f.set & HAL_FIX_TIME)
			last_t = f.time_ms;
	}
	(void)last_t;
	CHECK_INT(hal_gps_read(gps, &f), HAL_GPS_END); /* stays at the end */
	CHECK_INT(hal_gps_peek_time_ms(gps), -1);
	hal_gps_get_stats(gps, &r->st);
	CHECK_INT(r->st.fixes, r->fixes);
	CHECK_INT(r->st.lost, r->lost);
	hal_gps_destroy(gps);
	return 0;
}

static void
test_all_logs(void)
{
	char dir[1100];
	snprintf(dir, sizeof(dir), "%s/tests/data/gpsd-nmea", root);
	DIR *d = opendir(dir);
	CHECK(d != NULL);
	if (!d)
		return;
	char *names[256];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < 256) {
		size_t l = strlen(de->d_name);
		if (l > 4 && !strcmp(de->d_name + l - 4, ".log"))
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	CHECK(n >= 88);
	int with_fixes = 0;
	uint64_t bad = 0, trunc = 0, ok = 0, skipped = 0;
	for (size_t i = 0; i < n; i++) {
		char path[1200];
		data_path(path, sizeof(path), names[i]);
		struct run r;
		int rc = replay(path, &r);
		CHECK_INT(rc, 0);
		if (getenv("VERBOSE"))
			fprintf(stderr,
				"%-34s fixes %4d lost %3d ok %5llu ign %5llu bad %3llu nock %3llu "
				"malf %3llu trunc %3llu skip %6llu\n",
				names[i], r.fixes, r.lost, (unsigned long long)r.st.sentences_ok,
				(unsigned long long)r.st.sentences_ignored,
				(unsigned long long)r.st.bad_checksum,
				(unsigned long long)r.st.no_checksum,
				(unsigned long long)r.st.malformed,
				(unsigned long long)r.st.truncated,
				(unsigned long long)r.st.bytes_skipped);
		with_fixes += r.fixes > 0;
		ok += r.st.sentences_ok;
		bad += r.st.bad_checksum;
		trunc += r.st.truncated;
		skipped += r.st.bytes_skipped;
		free(names[i]);
	}
	fprintf(stderr,
		"%zu logs, %d with fixes, %llu sentences ok, %llu bad checksum, "
		"%llu truncated, %llu bytes skipped\n",
		n, with_fixes, (unsigned long long)ok, (unsigned long long)bad,
		(unsigned long long)trunc, (unsigned long long)skipped);
	CHECK(with_fixes >= 60);
}

struct rmc_expect {
	const char *log;
	int64_t time_ms; /* from timegm() on the sentence's date and time */
	double lat, lon, speed, track;
};

static int64_t
utc_ms(int y, int mo, int d, int h, int mi, int s, int ms)
{
	struct tm tm = {.tm_year = y - 1900,
			.tm_mon = mo - 1,
			.tm_mday = d,
			.tm_hour = h,
			.tm_min = mi,
			.tm_sec = s};
	return (int64_t)timegm(&tm) * 1000 + ms;
}

/* Hand-picked RMC sentences, decoded by hand:
 * bundg_zeus_9.log  $GPRMC,094738,A,5251.0084,N,00518.8149,E,5.8,235.1,200818,1.4,E,A*13
 *                   $GPRMC,094739,A,5251.0073,N,00518.8130,E,5.7,229.9,200818,1.4,E,A*1E
 * haicom-305N.log   $GPRMC,095345.793,A,2712.6489,S,15303.1158,E,2.26,190.81,080407,,,A*70
 *                   $GPRMC,095407.788,A,2712.6415,S,15303.1145,E,2.28,40.30,080407,,,A*4A */
static void
test_moving_hand_picked(void)
{
	const struct rmc_expect cases[] = {
		{"bundg_zeus_9.log", utc_ms(2018, 8, 20, 9, 47, 38, 0), 52 + 51.0084 / 60,
		 5 + 18.8149 / 60, 5.8 * KN, 235.1},
		{"bundg_zeus_9.log", utc_ms(2018, 8, 20, 9, 47, 39, 0), 52 + 51.0073 / 60,
		 5 + 18.8130 / 60, 5.7 * KN, 229.9},
		{"haicom-305N.log", utc_ms(2007, 4, 8, 9, 53, 45, 793), -(27 + 12.6489 / 60),
		 153 + 3.1158 / 60, 2.26 * KN, 190.81},
		{"haicom-305N.log", utc_ms(2007, 4, 8, 9, 54, 7, 788), -(27 + 12.6415 / 60),
		 153 + 3.1145 / 60, 2.28 * KN, 40.30},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rmc_expect *c = &cases[i];
		char path[1200], spec[1300];
		data_path(path, sizeof(path), c->log);
		snprintf(spec, sizeof(spec), "nmea:%s", path);
		struct hal_gps *gps = NULL;
		CHECK_INT(hal_gps_create(spec, NULL, &gps), 0);
		if (!gps)
			continue;
		struct hal_fix f;
		int found = 0, ev;
		while ((ev = hal_gps_read(gps, &f)) != HAL_GPS_END) {
			if (ev != HAL_GPS_FIX || f.time_ms != c->time_ms)
				continue;
			found++;
			CHECK_NEAR(f.lat, c->lat, 1e-9);
			CHECK_NEAR(f.lon, c->lon, 1e-9);
			CHECK_NEAR(f.speed, c->speed, 1e-9);
			CHECK_NEAR(f.track, c->track, 1e-9);
			CHECK(f.set & HAL_FIX_SPEED);
			CHECK(f.mode >= HAL_FIX_MODE_2D);
		}
		CHECK_INT(found, 1);
		hal_gps_destroy(gps);
	}
}

/* Every valid RMC of a moving log, decoded here with sscanf (independently of
 * hal/nmea.c), has a FIX with its time, position and speed. */
static void
test_moving_all_rmc(const char *log, int min_rmc, double min_max_speed)
{
	char path[1200], spec[1300];
	data_path(path, sizeof(path), log);
	snprintf(spec, sizeof(spec), "nmea:%s", path);
	struct hal_gps *gps = NULL;
	CHECK_INT(hal_gps_create(spec, NULL, &gps), 0);
	if (!gps)
		return;
	static struct hal_fix fixes[4096];
	int n = 0, ev;
	struct hal_fix f;
	while ((ev = hal_gps_read(gps, &f)) != HAL_GPS_END)
		if (ev == HAL_GPS_FIX && n < 4096)
			fixes[n++] = f;
	hal_gps_destroy(gps);

	FILE *fp = fopen(path, "r");
	CHECK(fp != NULL);
	if (!fp)
		return;
	char line[512];
	int rmc = 0, matched = 0;
	double max_speed = 0;
	while (fgets(line, sizeof(line), fp)) {
		int hh, mm, ss, dd, mo, yy, latd, lond;
		double frac = 0, latm, lonm, kn;
		char status, ns, ew, tbuf[16];
		const char *p = strstr(line, "RMC,");
		if (!p || line[0] != '$')
			continue;
		if (sscanf(p, "RMC,%15[0-9.],%c,%2d%lf,%c,%3d%lf,%c,%lf,%*[0-9.],%2d%2d%2d", tbuf,
			   &status, &latd, &latm, &ns, &lond, &lonm, &ew, &kn, &dd, &mo,
			   &yy) != 12 ||
		    status != 'A')
			continue;
		if (sscanf(tbuf, "%2d%2d%2d%lf", &hh, &mm, &ss, &frac) < 3)
			continue;
		rmc++;
		int64_t t = utc_ms(2000 + yy, mo, dd, hh, mm, ss, (int)lround(frac * 1000));
		double lat = (latd + latm / 60) * (ns == 'S' ? -1 : 1);
		double lon = (lond + lonm / 60) * (ew == 'W' ? -1 : 1);
		for (int i = 0; i < n; i++) {
			if (fixes[i].time_ms != t)
				continue;
			matched++;
			CHECK_NEAR(fixes[i].lat, lat, 1e-9);
			CHECK_NEAR(fixes[i].lon, lon, 1e-9);
			CHECK_NEAR(fixes[i].speed, kn * KN, 1e-9);
			if (fixes[i].speed > max_speed)
				max_speed = fixes[i].speed;
			break;
		}
	}
	fclose(fp);
	CHECK(rmc >= min_rmc);
	CHECK_INT(matched, rmc);
	CHECK(max_speed >= min_max_speed); /* it really moves */
}

static void
write_rmc(FILE *fp, const char *hhmmss)
{
	char body[128];
	snprintf(body, sizeof(body), "GPRMC,%s,A,5547.82113,N,02334.14130,E,0.253,,091209,,,A",
		 hhmmss);
	unsigned cs = 0;
	for (const char *p = body; *p; p++)
		cs ^= (unsigned char)*p;
	fprintf(fp, "$%s*%02X\r\n", body, cs);
}

/* A receiver clock that steps back (bt451.log: 52 minutes) breaks the track:
 * LOST, then the fix (so the daemon resets its fix filter instead of
 * rejecting every fix as "time" until the clock catches up); a step of
 * HAL_GPS_STEP_BACK_MS or less is not one (telit-he910.log: 0.3 s). */
static void
test_clock_step_back(void)
{
	char path[] = "/tmp/test-nmea-step-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	FILE *fp = fdopen(fd, "w");
	const char *times[] = {"152508.00", "152508.50", "143306.00",
			       "143306.50", "143306.20", "143307.00"};
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		write_rmc(fp, times[i]);
	fclose(fp);
	char spec[64];
	snprintf(spec, sizeof(spec), "nmea:%s", path);
	struct hal_gps *gps = NULL;
	CHECK_INT(hal_gps_create(spec, NULL, &gps), 0);
	unlink(path);
	if (!gps)
		return;
	int64_t day = utc_ms(2009, 12, 9, 0, 0, 0, 0);
	const struct {
		int ev;
		int64_t t;
	} want[] = {
		{HAL_GPS_FIX, day + (15 * 3600 + 25 * 60 + 8) * 1000LL},
		{HAL_GPS_FIX, day + (15 * 3600 + 25 * 60 + 8) * 1000LL + 500},
		{HAL_GPS_LOST, day + (14 * 3600 + 33 * 60 + 6) * 1000LL},
		{HAL_GPS_FIX, day + (14 * 3600 + 33 * 60 + 6) * 1000LL},
		{HAL_GPS_FIX, day + (14 * 3600 + 33 * 60 + 6) * 1000LL + 500},
		{HAL_GPS_FIX, day + (14 * 3600 + 33 * 60 + 6) * 1000LL + 200}, /* 0.3 s back */
		{HAL_GPS_FIX, day + (14 * 3600 + 33 * 60 + 7) * 1000LL},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		CHECK_INT(hal_gps_peek_time_ms(gps), want[i].t);
		struct hal_fix f;
		CHECK_INT(hal_gps_read(gps, &f), want[i].ev);
		CHECK_INT(f.time_ms, want[i].t);
		CHECK(f.set & HAL_FIX_TIME);
		CHECK(hal_fix_has_position(&f) == (want[i].ev == HAL_GPS_FIX));
	}
	struct hal_fix f;
	CHECK_INT(hal_gps_read(gps, &f), HAL_GPS_END);
	struct hal_gps_stats st;
	hal_gps_get_stats(gps, &st);
	CHECK_INT(st.fixes, 6);
	CHECK_INT(st.lost, 1);
	hal_gps_destroy(gps);
}

int
main(void)
{
	const char *r = getenv("GUIDE_SOURCE_ROOT");
	snprintf(root, sizeof(root), "%s", r ? r : ".");
	test_all_logs();
	test_moving_hand_picked();
	test_moving_all_rmc("bundg_zeus_9.log", 140, 2.5);
	test_moving_all_rmc("haicom-305N.log", 60, 1.0);
	test_clock_step_back();
	TEST_EXIT();
}
