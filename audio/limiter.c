#include "audio/limiter.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>

int
limiter_init_threshold(struct limiter *l, unsigned channels, unsigned rate, float threshold_db)
{
	if (channels < 1 || channels > LIMITER_MAX_CHANNELS || rate == 0 || !(threshold_db < 0.0f))
		return -EINVAL;
	l->channels = channels;
	l->threshold = powf(10.0f, threshold_db / 20.0f);
	l->release = (float)exp(-1.0 / ((double)rate * LIMITER_RELEASE_MS / 1000.0));
	l->hold = (uint32_t)((uint64_t)rate * LIMITER_HOLD_MS / 1000);
	l->limited_frames = 0;
	limiter_reset(l);
	return 0;
}

int
limiter_init(struct limiter *l, unsigned channels, unsigned rate)
{
	return limiter_init_threshold(l, channels, rate, LIMITER_THRESHOLD_DB);
}

void
limiter_reset(struct limiter *l)
{
	l->gain = 1.0f;
	l->reduction = 0.0f;
	l->held = 0;
}

void
limiter_process(struct limiter *l, float *x, uint32_t frames)
{
	const unsigned ch = l->channels;
	const float t = l->threshold;
	float g = l->gain;

	if (g == 1.0f) {
		/* idle: one pass the compiler vectorises; nothing to do when no
		 * sample is over the threshold (the usual case) */
		int over = 0;
		for (size_t i = 0; i < (size_t)frames * ch; i++)
			over |= fabsf(x[i]) > t;
		if (!over)
			return;
	}
	float r = l->reduction; /* 1 - g: the curve is computed on it, so that
				 * it reaches 1e-6 (1 - g in float stalls near 1) */

	for (uint32_t i = 0; i < frames; i++, x += ch) {
		float peak = 0.0f;
		for (unsigned c = 0; c < ch; c++) {
			float a = fabsf(x[c]);
			peak = a > peak ? a : peak;
		}
		if (g == 1.0f && peak <= t)
			continue; /* idle: the samples go out untouched */
		/* recovery first: hold, then the one-pole curve up to 1.0 */
		if (l->held > 0) {
			l->held--;
		} else if (r > 0.0f) {
			r *= l->release;
			if (r < 1e-6f)
				r = 0.0f;
			g = 1.0f - r;
		}
		if (peak * g > t) {
			g = t / peak; /* attack: at once, no look-ahead */
			r = 1.0f - g;
			l->held = l->hold;
		}
		if (g == 1.0f)
			continue;
		l->limited_frames++;
		for (unsigned c = 0; c < ch; c++) {
			float y = x[c] * g;
			/* t / peak * peak may round one ulp above t */
			x[c] = y > t ? t : y < -t ? -t : y;
		}
	}
	l->gain = g;
	l->reduction = r;
}
