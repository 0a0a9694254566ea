/* audio/limiter: never at or above its threshold, bit-transparent below it,
 * independent of how the stream is cut into blocks, any channel count. */
#include "audio/limiter.h"
#include "tests/test.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#define RATE 48000

static uint32_t rng = 12345;

static float
noise(void)
{
	rng = rng * 1664525u + 1013904223u;
	return (float)((double)(rng >> 8) / (double)(1u << 24) * 2.0 - 1.0);
}

/* A signal of `frames` x ch: a mixture of sines and noise scaled to peak
 * about `amp`, with channel c slightly different from the others. */
static float *
signal(unsigned ch, long frames, float amp)
{
	float *x = malloc(sizeof(float) * (size_t)frames * ch);
	for (long i = 0; i < frames; i++)
		for (unsigned c = 0; c < ch; c++)
			x[i * ch + c] =
				amp * (0.5f * sinf(2.0f * 3.14159265f * 220.0f *
						   (float)(i + 7 * c) / RATE) +
				       0.3f * sinf(2.0f * 3.14159265f * 1375.0f * (float)i / RATE) +
				       0.2f * noise());
	return x;
}

static float
peak(const float *x, long n)
{
	float p = 0.0f;
	for (long i = 0; i < n; i++)
		p = fabsf(x[i]) > p ? fabsf(x[i]) : p;
	return p;
}

/* Below the threshold: not one bit changes, for 1, 2 and 6 channels. */
static void
test_transparent(void)
{
	for (unsigned ch = 1; ch <= 6; ch += ch == 2 ? 4 : 1) {
		struct limiter l;
		CHECK_INT(limiter_init(&l, ch, RATE), 0);
		long n = RATE;
		float *x = signal(ch, n, 0.88f);
		float *y = malloc(sizeof(float) * (size_t)n * ch);
		CHECK(peak(x, n * ch) <= l.threshold);
		memcpy(y, x, sizeof(float) * (size_t)n * ch);
		limiter_process(&l, y, (uint32_t)n);
		CHECK(memcmp(x, y, sizeof(float) * (size_t)n * ch) == 0);
		CHECK(l.gain == 1.0f);
		CHECK_INT(l.limited_frames, 0);
		free(x);
		free(y);
	}
}

/* Whatever the level (up to 40 dB over), nothing reaches the threshold,
 * for every channel count; the loud part is limited, not muted. */
static void
test_ceiling(void)
{
	const float amps[] = {0.95f, 1.0f, 2.0f, 8.0f, 100.0f};
	for (unsigned ch = 1; ch <= 8; ch++)
		for (size_t a = 0; a < sizeof(amps) / sizeof(amps[0]); a++) {
			struct limiter l;
			CHECK_INT(limiter_init(&l, ch, RATE), 0);
			long n = RATE / 2;
			float *x = signal(ch, n, amps[a]);
			limiter_process(&l, x, (uint32_t)n);
			float p = peak(x, n * ch);
			if (!(p <= l.threshold))
				fprintf(stderr, "%u ch, amp %g: peak %.9g\n", ch, amps[a], p);
			CHECK(p <= l.threshold);
			CHECK(p > 0.5f * l.threshold);
			CHECK(l.limited_frames > 0);
			free(x);
		}
	/* a lone full-scale impulse, both signs, and a square wave */
	struct limiter l;
	limiter_init(&l, 2, RATE);
	float imp[8] = {0, 0, 1.0f, -4.0f, 0, 0, -1.0f, 1.0f};
	limiter_process(&l, imp, 4);
	CHECK(peak(imp, 8) <= l.threshold);
	CHECK(imp[3] == -l.threshold);
}

/* The output depends on the samples, not on the block sizes. */
static void
test_blocks(void)
{
	const unsigned ch = 2;
	long n = RATE;
	float *x = signal(ch, n, 3.0f);
	float *y = malloc(sizeof(float) * (size_t)n * ch);
	memcpy(y, x, sizeof(float) * (size_t)n * ch);
	struct limiter a, b;
	limiter_init(&a, ch, RATE);
	limiter_init(&b, ch, RATE);
	limiter_process(&a, x, (uint32_t)n);
	for (long i = 0, k = 1; i < n; i += k, k = k * 7 % 1031 + 1) {
		long m = n - i < k ? n - i : k;
		limiter_process(&b, y + i * ch, (uint32_t)m);
	}
	CHECK(memcmp(x, y, sizeof(float) * (size_t)n * ch) == 0);
	free(x);
	free(y);
}

/* After an overload the gain recovers smoothly (never up by more than the
 * release allows, held first) and ends exactly at 1.0: then bit-transparent
 * again. */
static void
test_release(void)
{
	struct limiter l;
	limiter_init(&l, 2, RATE);
	long n = 2 * RATE;
	float *loud = signal(2, RATE / 10, 4.0f);
	loud[2 * (RATE / 10) - 1] = 4.0f; /* the hold starts at the last frame */
	limiter_process(&l, loud, RATE / 10);
	CHECK(l.gain < 0.3f);
	float *quiet = signal(2, n, 0.25f);
	float *ref = malloc(sizeof(float) * (size_t)n * 2);
	memcpy(ref, quiet, sizeof(float) * (size_t)n * 2);
	float last = l.gain;
	long hold = 0, one_at = -1;
	int jumps = 0;
	for (long i = 0; i < n; i++) {
		limiter_process(&l, quiet + 2 * i, 1);
		if (l.gain == last && hold == i)
			hold++;
		if (l.gain < last ||
		    l.gain - last > (1.0f - last) * (1.0f - l.release) * 1.01f + 2e-6f)
			jumps++;
		if (l.gain == 1.0f && one_at < 0)
			one_at = i;
		last = l.gain;
	}
	CHECK_INT(jumps, 0);
	CHECK_INT(hold, RATE * LIMITER_HOLD_MS / 1000);
	/* one-pole from < 0.3 to within 1e-6: ln(1e6) ~ 14 time constants */
	CHECK(one_at > 0 && one_at < RATE * LIMITER_RELEASE_MS * 15 / 1000);
	CHECK(memcmp(quiet + 2 * (one_at + 1), ref + 2 * (one_at + 1),
		     sizeof(float) * (size_t)(n - one_at - 1) * 2) == 0);
	free(loud);
	free(quiet);
	free(ref);
}

static void
test_init(void)
{
	struct limiter l;
	CHECK_INT(limiter_init(&l, 0, RATE), -EINVAL);
	CHECK_INT(limiter_init(&l, LIMITER_MAX_CHANNELS + 1, RATE), -EINVAL);
	CHECK_INT(limiter_init(&l, 2, 0), -EINVAL);
	CHECK_INT(limiter_init_threshold(&l, 2, RATE, 0.0f), -EINVAL);
	CHECK_INT(limiter_init(&l, LIMITER_MAX_CHANNELS, RATE), 0);
	CHECK_NEAR(l.threshold, 0.891251, 1e-6);
}

int
main(void)
{
	test_init();
	test_transparent();
	test_ceiling();
	test_blocks();
	test_release();
	TEST_EXIT();
}
