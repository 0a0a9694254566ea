/* Audio sinks: where the mixed stereo float32 48 kHz stream goes.
 *
 *   sdl[:DEVICE]  an SDL2 playback device driven by SDL's audio callback
 *                 (push from the device).  No device -> the "dummy" driver,
 *                 with a warning through the log callback.
 *   wav:FILE      the exact mixed output in a WAV file (pulled).
 *   null          counts frames, discards them (pulled).
 *
 * A sink is a struct hal_sink driven through a const struct hal_sink_impl;
 * the concrete sink embeds struct hal_sink as its first member.  No
 * module-level device state (SDL's own audio subsystem is global: the SDL
 * sink initialises it per sink with SDL_InitSubSystem / SDL_QuitSubSystem).
 *
 * Thread rules: every function here is for the main thread.  The render
 * callback runs on SDL's audio thread for sdl (so it must be RT-safe), and on
 * the caller's thread inside hal_sink_pull for wav and null.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "hal/audio.h"
#include "hal/log.h"

/* Fills out with frames of interleaved stereo float32 (2 * frames floats). */
typedef void (*hal_sink_render_fn)(void *userdata, float *out, uint32_t frames);


enum hal_sink_wav_format {
	HAL_SINK_WAV_FLOAT32 = 0, /* default: IEEE float, bit-exact mixer output */
	HAL_SINK_WAV_S16 = 1,     /* 16-bit PCM: clamp, round to nearest, x * 32767 */
};

struct hal_sink_opts {
	uint32_t buffer_frames;           /* sdl device buffer, 512..1024 (1024) */
	enum hal_sink_wav_format wav_format;
	uint32_t wav_sync_frames;         /* rewrite the WAV header this often (48000) */
	hal_log_fn log;              /* may be NULL: messages are dropped */
	void *log_userdata;
};

void hal_sink_opts_defaults(struct hal_sink_opts *o);

struct hal_sink;

struct hal_sink_impl {
	const char *name;
	/* Begin calling the render callback (sdl); no-op for pulled sinks. */
	int (*start)(struct hal_sink *s);
	/* Stop calling it; returns once no callback runs. */
	void (*stop)(struct hal_sink *s);
	/* Render frames now on this thread and consume them (NULL: not pullable). */
	int (*pull)(struct hal_sink *s, uint32_t frames);
	/* Periodic housekeeping from the main loop (device removal). */
	int (*poll)(struct hal_sink *s);
	/* Make what was written so far durable and valid (WAV header). */
	int (*flush)(struct hal_sink *s);
	void (*destroy)(struct hal_sink *s);
};

struct hal_sink {
	const struct hal_sink_impl *impl;
	hal_sink_render_fn render;
	void *userdata;
	struct hal_sink_opts opts;
	uint64_t frames; /* frames consumed; for sdl written by the audio thread */
	uint32_t buffer_frames; /* device buffer actually obtained (sdl), else 0 */
};

/* Parses spec and opens the sink.  opts NULL means defaults.  Returns 0 or
 * a negative errno with the reason in err: -EINVAL bad spec (caller: usage
 * error), -EIO / -errno the device or file cannot be opened. */
int hal_sink_create(const char *spec, hal_sink_render_fn render, void *userdata,
		    const struct hal_sink_opts *opts, struct hal_sink **out, char *err,
		    size_t errlen);

/* Closes the sink; for wav the header is fixed up first.  NULL is a no-op. */
void hal_sink_destroy(struct hal_sink *s);

/* sdl: unpause the device (the callback starts).  Others: 0. */
int hal_sink_start(struct hal_sink *s);
/* sdl: pause the device and wait out a running callback.  Others: no-op. */
void hal_sink_stop(struct hal_sink *s);

/* true for sinks driven by hal_sink_pull (wav, null). */
bool hal_sink_is_pulled(const struct hal_sink *s);

/* Calls the render callback synchronously for frames (in blocks of at most
 * 4096) and writes the result.  wav/null only: -ENOTSUP for sdl.  0 or a
 * negative errno (write error). */
int hal_sink_pull(struct hal_sink *s, uint32_t frames);

/* Call from the main loop now and then (e.g. each second): sdl reopens a
 * removed device (SDL_AUDIODEVICEREMOVED / stopped status), falling back to
 * the default device and then to "dummy".  Returns 1 if it reopened, 0, or
 * a negative errno.  Others: 0. */
int hal_sink_poll(struct hal_sink *s);

/* wav: write buffered samples and fix the header so the file is valid as it
 * stands (call it on SIGINT/SIGTERM from the signalfd handler before exit;
 * hal_sink_destroy does it too).  Others: 0. */
int hal_sink_flush(struct hal_sink *s);

/* Frames consumed so far. */
uint64_t hal_sink_frames(const struct hal_sink *s);

const char *hal_sink_name(const struct hal_sink *s);

/* For the implementations: log through opts.log. */
void hal_sink_log(struct hal_sink *s, enum hal_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Implementation constructors (called by hal_sink_create after parsing). */
int hal_sink_null_create(struct hal_sink **out, char *err, size_t errlen);
int hal_sink_wav_create(const char *path, const struct hal_sink_opts *o, struct hal_sink **out,
			char *err, size_t errlen);
int hal_sink_sdl_create(const char *device, const struct hal_sink_opts *o,
			hal_sink_render_fn render, void *userdata, struct hal_sink **out,
			char *err, size_t errlen);
