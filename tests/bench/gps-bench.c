/* GPS benchmark: NMEA parse throughput, reader (byte stream) throughput and
 * fix-filter cost.  Prints key=value lines for scripts. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "guide/fix_filter.h"
#include "hal/nmea.h"

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const char *const lines[] = {
	"$GPRMC,094738,A,5251.0084,N,00518.8149,E,5.8,235.1,200818,1.4,E,A*13",
	"$GPGGA,094736,5251.0094,N,00518.8172,E,1,12,0.60,-4,M,46.8,M,,*4B",
	"$GPGSA,A,3,07,08,10,16,20,21,26,27,29,76,75,70,1.10,0.60,0.90*0B",
	"$GPRMC,095345.793,A,2712.6489,S,15303.1158,E,2.26,190.81,080407,,,A*70",
	"$GPVTG,0.00,T,,,0.00,N,0.00,K,A*70",
	"$GPGGA,095257.809,2712.6404,S,15303.1201,E,0,00,00.0,4.0,M,42.2,M,,*7B",
	"$GPGSV,3,1,12,07,10,333,39,08,12,279,35,10,16,158,33,16,74,249,37*73",
	"$GPGLL,5251.0093,N,00518.8170,E,094736,A,A*43",
};
#define NL (sizeof(lines) / sizeof(lines[0]))

static volatile double sink;

static void
count_cb(void *user, const struct hal_nmea_sentence *s)
{
	(*(uint64_t *)user)++;
}

int
main(void)
{
	size_t len[NL];
	for (size_t i = 0; i < NL; i++)
		len[i] = strlen(lines[i]);
	/* sanity: every sample line is valid */
	for (size_t i = 0; i < NL; i++) {
		struct hal_nmea_sentence s;
		enum hal_nmea_result r = hal_nmea_parse(lines[i], len[i], &s);
		if (r != HAL_NMEA_OK && r != HAL_NMEA_IGNORED) {
			fprintf(stderr, "bad sample %zu: %s\n", i, hal_nmea_result_to_str(r));
			return 1;
		}
	}
	const long iters = 4000000;
	struct hal_nmea_sentence s;
	double t0 = now_s();
	for (long k = 0; k < iters; k++) {
		hal_nmea_parse(lines[k % NL], len[k % NL], &s);
		sink += s.lat;
	}
	double dt = now_s() - t0;
	printf("nmea_sentences_per_s=%.0f\n", iters / dt);
	printf("nmea_ns_per_sentence=%.1f\n", dt * 1e9 / iters);

	/* the whole path from bytes: reader + parse */
	static char stream[1 << 20];
	size_t n = 0, count = 0;
	while (n + 100 < sizeof(stream)) {
		size_t i = count++ % NL;
		memcpy(stream + n, lines[i], len[i]);
		n += len[i];
		stream[n++] = '\r';
		stream[n++] = '\n';
	}
	struct hal_nmea_reader r;
	uint64_t got = 0;
	int reps = 8;
	t0 = now_s();
	for (int k = 0; k < reps; k++) {
		hal_nmea_reader_init(&r);
		hal_nmea_reader_feed(&r, stream, n, count_cb, &got);
	}
	dt = now_s() - t0;
	printf("nmea_stream_sentences_per_s=%.0f\n", (double)count * reps / dt);
	printf("nmea_stream_mb_per_s=%.1f\n", (double)n * reps / dt / 1e6);

	/* fix filter: a noisy drive */
	struct fix_filter *ff;
	if (fix_filter_create(NULL, &ff) < 0)
		return 1;
	const long fixes = 2000000;
	struct hal_fix in = {.set = HAL_FIX_TIME | HAL_FIX_POS | HAL_FIX_SPEED | HAL_FIX_TRACK |
				    HAL_FIX_MODE,
			     .mode = HAL_FIX_MODE_3D,
			     .speed = 6.0,
			     .track = 45.0};
	uint64_t acc = 0;
	t0 = now_s();
	for (long k = 0; k < fixes; k++) {
		in.time_ms = 1714557600000LL + k * 1000;
		double j = (double)((k * 7919) % 13 - 6) * 1e-6;
		long m = k % 100000; /* stay on the map: a restart every 100000 fixes */
		in.lat = 39.98 + m * 3.8e-5 + j;
		in.lon = 116.49 + m * 5.0e-5 - j;
		acc += fix_filter_reason_accepted(fix_filter_push(ff, &in));
	}
	dt = now_s() - t0;
	printf("fix_filter_ns_per_fix=%.1f\n", dt * 1e9 / fixes);
	printf("fix_filter_accepted=%llu/%ld\n", (unsigned long long)acc, fixes);
	fix_filter_destroy(ff);
	return 0;
}
