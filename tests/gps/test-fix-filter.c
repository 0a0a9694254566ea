/* Fix filter: one table-driven case per rule, track derivation, smoothing
 * lag measured on synthetic drives (no wall clock). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guide/fix_filter.h"
#include "tests/test.h"

#define LAT0 39.98
#define LON0 116.49
#define M_LAT (6371008.8 * M_PI / 180.0)
#define M_LON (M_LAT * cos(LAT0 * M_PI / 180.0))
#define T0 1714557600000LL
#define X NAN /* unknown */

/* One input fix, relative: ms after T0, metres north/east of the origin. */
struct in {
	int64_t t_ms;
	double n, e, speed, track, hdop, eph;
	bool nopos;
};

static struct hal_fix
mk(const struct in *i)
{
	struct hal_fix f = {.set = HAL_FIX_TIME | HAL_FIX_MODE, .time_ms = T0 + i->t_ms,
			    .lat = NAN, .lon = NAN, .alt = NAN, .speed = NAN, .track = NAN,
			    .hdop = NAN, .eph = NAN, .mode = HAL_FIX_MODE_3D};
	if (i->nopos) {
		f.mode = HAL_FIX_MODE_NONE;
	} else {
		f.lat = LAT0 + i->n / M_LAT;
		f.lon = LON0 + i->e / M_LON;
		f.set |= HAL_FIX_POS;
	}
#define OPT(field, bit)                                                                   \
	if (!isnan(i->field)) {                                                           \
		f.field = i->field;                                                       \
		f.set |= bit;                                                             \
	}
	OPT(speed, HAL_FIX_SPEED);
	OPT(track, HAL_FIX_TRACK);
	OPT(hdop, HAL_FIX_HDOP);
	OPT(eph, HAL_FIX_EPH);
	return f;
}

#define MAXSEQ 6
struct rcase {
	const char *name;
	int n;
	struct in seq[MAXSEQ];
	enum fix_filter_reason want[MAXSEQ];
};

static void
test_rules(void)
{
	const struct rcase cases[] = {
		{"no position", 2, {{0, 0, 0, X, X, X, X, true}, {1000, 0, 0, 0, X, X, X, false}},
		 {FIX_FILTER_NO_POSITION, FIX_FILTER_RESET}},
		{"hdop", 3,
		 {{0, 0, 0, 0, X, 6.0, X, false}, {1000, 0, 0, 0, X, 5.0, X, false},
		  {2000, 0, 0, 0, X, 5.01, X, false}},
		 {FIX_FILTER_HDOP, FIX_FILTER_RESET, FIX_FILTER_HDOP}},
		{"eph", 2, {{0, 0, 0, 0, X, X, 40, false}, {1000, 0, 0, 0, X, X, 30, false}},
		 {FIX_FILTER_EPH, FIX_FILTER_RESET}},
		{"speed", 3,
		 {{0, 0, 0, 3, 0, X, X, false}, {1000, 3, 0, 25, 0, X, X, false},
		  {2000, 6, 0, 15, 0, X, X, false}},
		 {FIX_FILTER_RESET, FIX_FILTER_SPEED, FIX_FILTER_ACCEPT}},
		{"time", 4,
		 {{1000, 0, 0, 0, X, X, X, false}, {1000, 0, 0, 0, X, X, X, false},
		  {500, 0, 0, 0, X, X, X, false}, {2000, 0, 0, 0, X, X, X, false}},
		 {FIX_FILTER_RESET, FIX_FILTER_TIME, FIX_FILTER_TIME, FIX_FILTER_ACCEPT}},
		/* 10 m/s north, then 40 m in 1 s: more than 15 m/s + 8 m slack */
		{"jump", 3,
		 {{0, 0, 0, 10, 0, X, X, false}, {1000, 10, 0, 10, 0, X, X, false},
		  {2000, 50, 0, 10, 0, X, X, false}},
		 {FIX_FILTER_RESET, FIX_FILTER_ACCEPT, FIX_FILTER_JUMP}},
		/* standing, then 15 m in 1 s: possible at 15 m/s but not from rest */
		{"accel from rest", 3,
		 {{0, 0, 0, 0, X, X, X, false}, {1000, 0, 0, 0, X, X, X, false},
		  {2000, 0, 15, X, X, X, X, false}},
		 {FIX_FILTER_RESET, FIX_FILTER_ACCEPT, FIX_FILTER_ACCEL}},
		/* 10 m/s north, then 12 m sideways: the classic 20 m position jump */
		{"accel sideways", 3,
		 {{0, 0, 0, 10, 0, X, X, false}, {1000, 10, 0, 10, 0, X, X, false},
		  {2000, 20, 12, 10, 0, X, X, false}},
		 {FIX_FILTER_RESET, FIX_FILTER_ACCEPT, FIX_FILTER_ACCEL}},
		/* the receiver is really elsewhere: after 3 rejections, restart there */
		{"reset after rejections", 5,
		 {{0, 0, 0, 0, X, X, X, false}, {1000, 0, 100, 0, X, X, X, false},
		  {2000, 0, 100, 0, X, X, X, false}, {3000, 0, 100, 0, X, X, X, false},
		  {4000, 0, 100, 0, X, X, X, false}},
		 {FIX_FILTER_RESET, FIX_FILTER_JUMP, FIX_FILTER_JUMP, FIX_FILTER_JUMP,
		  FIX_FILTER_RESET}},
		/* a gap longer than 10 s restarts; a shorter one allows more distance */
		{"gap", 3,
		 {{0, 0, 0, 0, X, X, X, false}, {9000, 0, 100, X, X, X, X, false},
		  {20000, 0, 1000, 0, X, X, X, false}},
		 {FIX_FILTER_RESET, FIX_FILTER_ACCEPT, FIX_FILTER_RESET}},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rcase *c = &cases[i];
		struct fix_filter *ff;
		CHECK_INT(fix_filter_create(NULL, &ff), 0);
		uint64_t expect_count[FIX_FILTER_REASON_COUNT] = {0};
		for (int k = 0; k < c->n; k++) {
			struct hal_fix in = mk(&c->seq[k]);
			struct hal_fix out;
			memset(&out, 0xa5, sizeof(out));
			struct hal_fix untouched = out;
			enum fix_filter_reason r = fix_filter_push(ff, &in, &out);
			if (r != c->want[k])
				fprintf(stderr, "case '%s' fix %d: %s, expected %s\n", c->name, k,
					fix_filter_reason_to_str(r),
					fix_filter_reason_to_str(c->want[k]));
			CHECK_INT(r, c->want[k]);
			CHECK_INT(fix_filter_reason_accepted(r),
				  r == FIX_FILTER_ACCEPT || r == FIX_FILTER_RESET);
			if (!fix_filter_reason_accepted(r))
				CHECK(memcmp(&out, &untouched, sizeof(out)) == 0);
			else
				CHECK(hal_fix_has_position(&out));
			expect_count[c->want[k]]++;
		}
		struct fix_filter_stats st;
		fix_filter_get_stats(ff, &st);
		for (int k = 0; k < FIX_FILTER_REASON_COUNT; k++)
			CHECK_INT(st.count[k], expect_count[k]);
		fix_filter_destroy(ff);
	}
	const char *names[] = {"accept", "reset", "no_position", "hdop", "eph",
			       "speed",  "time",  "jump",        "accel"};
	for (int k = 0; k < FIX_FILTER_REASON_COUNT; k++)
		CHECK_STR(fix_filter_reason_to_str(k), names[k]);
	CHECK_STR(fix_filter_reason_to_str(FIX_FILTER_REASON_COUNT), "unknown");

	struct fix_filter_config cfg;
	fix_filter_config_default(&cfg);
	cfg.max_speed_ms = 0;
	struct fix_filter *ff = (struct fix_filter *)&cfg;
	CHECK_INT(fix_filter_create(&cfg, &ff), -EINVAL);
	CHECK(ff == NULL);
	fix_filter_destroy(NULL);
}

/* Slow crawl east at 1 m/s with a garbage receiver track: the track comes
 * from movement once it spans 4 m, and is held while standing. */
static void
test_track(void)
{
	struct fix_filter *ff;
	CHECK_INT(fix_filter_create(NULL, &ff), 0);
	struct hal_fix out;
	for (int k = 0; k <= 10; k++) {
		struct in i = {k * 1000, 0, k * 1.0, 1.0, 200.0, X, X, false};
		struct hal_fix in = mk(&i);
		CHECK(fix_filter_reason_accepted(fix_filter_push(ff, &in, &out)));
		if (k == 0)
			CHECK(!(out.set & HAL_FIX_TRACK)); /* nothing known yet */
	}
	CHECK(out.set & HAL_FIX_TRACK);
	CHECK_NEAR(out.track, 90.0, 3.0);
	/* standing still: track held */
	for (int k = 11; k <= 15; k++) {
		struct in i = {k * 1000, 0, 10.0, 0.0, X, X, X, false};
		struct hal_fix in = mk(&i);
		CHECK(fix_filter_reason_accepted(fix_filter_push(ff, &in, &out)));
	}
	CHECK(out.set & HAL_FIX_TRACK);
	CHECK_NEAR(out.track, 90.0, 3.0);
	/* fast with a receiver track: the receiver's */
	struct in i = {16000, 2, 12, 5.0, 10.0, X, X, false};
	struct hal_fix in = mk(&i);
	CHECK(fix_filter_reason_accepted(fix_filter_push(ff, &in, &out)));
	CHECK_NEAR(out.track, 10.0, 1e-12);
	struct fix_filter_stats st;
	fix_filter_get_stats(ff, &st);
	CHECK(st.track_derived >= 1);
	CHECK(st.track_held >= 5);
	fix_filter_destroy(ff);
}

static uint64_t rng = 88172645463325252ULL;
static double
noise(void) /* deterministic, roughly gaussian, sigma ~ 1 */
{
	double s = 0;
	for (int k = 0; k < 12; k++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		s += (double)(rng >> 11) / 9007199254740992.0;
	}
	return s - 6.0;
}

/* Smoothing: 8 m/s north with 3 m noise (sigma) at 1 Hz, Doppler speed and
 * track exact; then braking at 2 m/s^2 without noise. */
static void
test_lag(void)
{
	struct fix_filter *ff;
	CHECK_INT(fix_filter_create(NULL, &ff), 0);
	double sum_along = 0, se_raw = 0, se_out = 0;
	int n = 0, accepted = 0;
	for (int k = 0; k < 300; k++) {
		double truth = 8.0 * k;
		double nn = 3 * noise(), ne = 3 * noise();
		struct in i = {k * 1000, truth + nn, ne, 8.0, 0.0, X, X, false};
		struct hal_fix in = mk(&i), out;
		if (!fix_filter_reason_accepted(fix_filter_push(ff, &in, &out)))
			continue;
		accepted++;
		if (k < 10)
			continue;
		double on = (out.lat - LAT0) * M_LAT, oe = (out.lon - LON0) * M_LON;
		sum_along += truth - on;
		se_out += (on - truth) * (on - truth) + oe * oe;
		se_raw += nn * nn + ne * ne;
		n++;
	}
	double lag = sum_along / n, rms_out = sqrt(se_out / n), rms_raw = sqrt(se_raw / n);
	fprintf(stderr, "constant 8 m/s, 3 m noise: lag %.3f m, rms raw %.2f m -> filtered %.2f m "
			"(%d/300 accepted)\n", lag, rms_raw, rms_out, accepted);
	CHECK(fabs(lag) < 0.3);
	CHECK(rms_out < rms_raw * 0.85);
	CHECK(accepted >= 290); /* noise is not mistaken for jumps */
	fix_filter_destroy(ff);

	/* braking: 8 m/s to 0 at 2 m/s^2, receiver speed exact */
	CHECK_INT(fix_filter_create(NULL, &ff), 0);
	double max_err = 0, pos = 0, v = 8.0;
	for (int k = 0; k < 12; k++) {
		struct in i = {k * 1000, pos, 0, v, 0.0, X, X, false};
		struct hal_fix in = mk(&i), out;
		CHECK(fix_filter_reason_accepted(fix_filter_push(ff, &in, &out)));
		double err = fabs((out.lat - LAT0) * M_LAT - pos);
		if (err > max_err)
			max_err = err;
		double v1 = v - 2.0 > 0 ? v - 2.0 : 0;
		pos += (v + v1) / 2;
		v = v1;
	}
	fprintf(stderr, "braking 2 m/s^2: max position error %.3f m\n", max_err);
	CHECK(max_err < 1.0);
	fix_filter_destroy(ff);
}

int
main(void)
{
	test_rules();
	test_track();
	test_lag();
	TEST_EXIT();
}
