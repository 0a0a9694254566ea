/* The output limiter: nothing the mixer sends out reaches full scale,
 * whatever the volume, the number of voices and the music bed.
 *
 * Design: a zero-latency peak limiter with one gain for all channels
 * (linked, so the image does not shift).  At a frame whose peak (the
 * largest |sample| over its channels) times the current gain would exceed
 * the threshold, the gain drops at once to threshold / peak (instant
 * attack: no look-ahead, hence no delay); it is then held for
 * LIMITER_HOLD_MS and recovers towards 1.0 along a one-pole curve of
 * LIMITER_RELEASE_MS time constant, reaching exactly 1.0 (the last step is
 * a snap from within 1e-6 of it).  Why no look-ahead: a delay would move every
 * sample of the mix, and with it the sample positions the mixer reports in
 * its events and the offline render aligns on; a gain computed on whole
 * render blocks would make the output depend on how the sink chops the
 * stream (SDL's 512-frame periods, offline 8192-frame blocks).  This one is
 * a function of the sample stream alone, whatever the block sizes.  The
 * price: the first sample of an overload is scaled without a ramp (a gain
 * step, heard as a faint click, never as the buzz of clipping); after a
 * loudness-normalised clip that is rare (see README "Even loudness").
 *
 * Guarantees: |out| <= threshold for every finite sample; exactly
 * bit-transparent (samples unchanged, no multiply) while the gain is 1.0,
 * i.e. whenever no frame since the last release exceeded the threshold.
 * Any channel count (1..LIMITER_MAX_CHANNELS), any rate.
 *
 * Thread rules: limiter_init on any thread before use; limiter_process is
 * RT-safe (no allocation, no lock, no I/O) and runs on the audio thread.
 */
#pragma once

#include <stdint.h>

#define LIMITER_MAX_CHANNELS 64
#define LIMITER_THRESHOLD_DB -1.0f /* dBFS */
#define LIMITER_HOLD_MS 10         /* a 100 Hz period: no ripple within a cycle */
#define LIMITER_RELEASE_MS 100     /* time constant of the recovery */

/* Caller-owned; fields are the limiter's (audio thread only after init). */
struct limiter {
	unsigned channels;
	float threshold;         /* linear */
	float gain;              /* current gain, 1.0 when idle */
	float reduction;         /* 1 - gain, what the release curve shrinks */
	float release;           /* per-frame coefficient of the recovery */
	uint32_t hold;           /* frames to hold a reduced gain */
	uint32_t held;           /* frames left of the current hold */
	uint64_t limited_frames; /* frames that went out with a gain below 1 */
};

/* Sets up a limiter for interleaved frames of `channels` channels at `rate`
 * frames per second, threshold LIMITER_THRESHOLD_DB.  0, or -EINVAL for a
 * channel count outside 1..LIMITER_MAX_CHANNELS or a rate of 0. */
int limiter_init(struct limiter *l, unsigned channels, unsigned rate);

/* The same with another threshold (dBFS, < 0). */
int limiter_init_threshold(struct limiter *l, unsigned channels, unsigned rate, float threshold_db);

/* Limits frames of interleaved samples in place.  RT-safe. */
void limiter_process(struct limiter *l, float *interleaved, uint32_t frames);

/* Forgets any gain reduction (gain 1.0).  RT-safe. */
void limiter_reset(struct limiter *l);
