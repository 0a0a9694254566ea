/* sdl[:DEVICE], a capture device through SDL2 (SDL_OpenAudioDevice with
 * iscapture 1): 48 kHz mono float.  The capture callback (SDL's audio
 * thread) sums squares over HAL_MIC_BLOCK_FRAMES samples and pushes one
 * level per block into a single-producer single-consumer ring (acquire /
 * release atomics); the sound itself is never copied out of the callback's
 * buffer.  When the ring is full (the main loop is late) levels are
 * dropped, never waited for.
 *
 * One SDL audio subsystem serves this and the sdl sink.  Known limit: when
 * the sink falls back to SDL's dummy driver or back to a real one
 * (SDL_AudioInit in sink_sdl.c), SDL closes every open device, this one
 * too: the microphone then gives no more levels (the noise estimate and
 * its gain hold where they were) until the next hal_mic_start, and its
 * device id may have gone to the sink's new device; so the daemon closes
 * the microphone after the sink. */
#include "hal/mic_impl.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <SDL2/SDL.h>

#define RING 64 /* 6.4 s of levels */

struct mic_sdl {
	struct hal_mic base;
	char *device; /* NULL: the default */
	SDL_AudioDeviceID dev;
	bool sdl_init;
	/* audio thread only */
	double sum_sq;
	uint32_t n;
	/* the ring: head written by the audio thread, tail by the main thread */
	float levels[RING];
	atomic_uint head, tail;
};

/* RT-safe: no allocation, no lock, no call out. */
static void
capture(void *user, Uint8 *stream, int len)
{
	struct mic_sdl *s = user;
	const float *x = (const float *)stream;
	uint32_t frames = (uint32_t)len / sizeof(float);
	for (uint32_t i = 0; i < frames; i++) {
		s->sum_sq += (double)x[i] * x[i];
		if (++s->n < HAL_MIC_BLOCK_FRAMES)
			continue;
		unsigned head = atomic_load_explicit(&s->head, memory_order_relaxed);
		unsigned tail = atomic_load_explicit(&s->tail, memory_order_acquire);
		if (head - tail < RING) {
			s->levels[head % RING] = hal_mic_level_from_power(s->sum_sq, s->n);
			atomic_store_explicit(&s->head, head + 1, memory_order_release);
		}
		s->sum_sq = 0;
		s->n = 0;
	}
}

static void
sdl_stop(struct mic_sdl *s)
{
	if (s->dev)
		SDL_CloseAudioDevice(s->dev);
	s->dev = 0;
}

static int
sdl_start(struct hal_mic *m)
{
	struct mic_sdl *s = (struct mic_sdl *)m;
	sdl_stop(s);
	s->sum_sq = 0;
	s->n = 0;
	atomic_store(&s->head, 0);
	atomic_store(&s->tail, 0);
	SDL_AudioSpec want = {.freq = HAL_MIC_RATE,
			      .format = AUDIO_F32SYS,
			      .channels = 1,
			      .samples = 1024,
			      .callback = capture,
			      .userdata = s};
	SDL_AudioSpec have;
	s->dev = SDL_OpenAudioDevice(s->device, 1, &want, &have, 0);
	if (!s->dev) {
		hal_mic_logf(m, HAL_LOG_ERR, "microphone: %s: %s",
			     s->device ? s->device : "default capture device", SDL_GetError());
		return -ENODEV;
	}
	SDL_PauseAudioDevice(s->dev, 0);
	return 0;
}

static int
sdl_open(const char *arg, const struct hal_mic_options *opts, struct hal_mic **out)
{
	struct mic_sdl *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	hal_mic_base_init(&s->base, &hal_mic_sdl_impl, opts);
	if (arg && *arg && !(s->device = strdup(arg))) {
		free(s);
		return -ENOMEM;
	}
	if (SDL_InitSubSystem(SDL_INIT_AUDIO) < 0) {
		hal_mic_logf(&s->base, HAL_LOG_ERR, "microphone: SDL: %s", SDL_GetError());
		free(s->device);
		free(s);
		return -ENODEV;
	}
	s->sdl_init = true;
	*out = &s->base;
	return 0;
}

static void
sdl_close(struct hal_mic *m)
{
	struct mic_sdl *s = (struct mic_sdl *)m;
	sdl_stop(s);
	if (s->sdl_init)
		SDL_QuitSubSystem(SDL_INIT_AUDIO);
	free(s->device);
	free(s);
}

static int
sdl_read(struct hal_mic *m, int64_t elapsed_ms, float *level_db)
{
	(void)elapsed_ms;
	struct mic_sdl *s = (struct mic_sdl *)m;
	unsigned tail = atomic_load_explicit(&s->tail, memory_order_relaxed);
	unsigned head = atomic_load_explicit(&s->head, memory_order_acquire);
	if (head == tail)
		return 0;
	*level_db = s->levels[tail % RING];
	atomic_store_explicit(&s->tail, tail + 1, memory_order_release);
	return 1;
}

const struct hal_mic_impl hal_mic_sdl_impl = {
	.scheme = {"sdl", "sdl[:DEVICE]"},
	.open = sdl_open,
	.close = sdl_close,
	.start = sdl_start,
	.read = sdl_read,
};
