/* Audio sinks: where the mixed audio (hal/audio.h: stereo float32, 48 kHz)
 * goes.  A sink spec names the driver by its scheme:
 *
 *   sdl[:DEVICE]  an SDL2 playback device driven by SDL's audio callback
 *                 (pushed by the device).  No device -> the "dummy" driver,
 *                 with a warning through the log callback.
 *   wav:FILE      the exact mixed output in a WAV file (pulled).
 *   null          counts frames, discards them (pulled).
 *
 * A sink is an opaque struct hal_sink; the drivers sit behind a table
 * (hal/sink_impl.h), like the GPS sources.  No module-level device state
 * (SDL's own audio subsystem is global: the SDL sink initialises it per sink
 * with SDL_InitSubSystem / SDL_QuitSubSystem).
 *
 * Two ways the render callback is called:
 *   pushed  (sdl)       on SDL's audio thread, once the sink is active
 *                       (hal_sink_set_active); the callback must be RT-safe.
 *   pulled  (wav, null) on the caller's thread, inside hal_sink_pull, as
 *                       many frames as the caller asks for (the caller's
 *                       clock decides the pace).
 *
 * Thread rules: every function here is for the main thread, and none may be
 * called from the render callback.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "hal/audio.h"
#include "hal/log.h"

/* Fills out with frames of interleaved stereo float32
 * (HAL_AUDIO_CHANNELS * frames floats). */
typedef void (*hal_sink_render_fn)(void *userdata, float *out, uint32_t frames);

enum hal_sink_wav_format {
	HAL_SINK_WAV_FLOAT32 = 0, /* default: IEEE float, bit-exact mixer output */
	HAL_SINK_WAV_S16 = 1,     /* 16-bit PCM: clamp, round to nearest, x * 32767 */
};

struct hal_sink_opts {
	uint32_t buffer_frames; /* sdl device buffer, 512..1024 (1024) */
	enum hal_sink_wav_format wav_format;
	uint32_t wav_sync_frames; /* rewrite the WAV header this often (HAL_AUDIO_RATE) */
	hal_log_fn log;           /* may be NULL: messages are dropped */
	void *log_user;
	uint32_t channels; /* output channels, 1..8; 0 or 2: stereo as today */
};

/* Output channels at most (hal_sink_opts.channels). */
#define HAL_SINK_MAX_CHANNELS 8

void hal_sink_opts_defaults(struct hal_sink_opts *o);

struct hal_sink; /* opaque; drivers are built in hal/sink_*.c */

/* Parses spec and opens the sink, inactive.  opts NULL means defaults.
 * Returns 0 or a negative errno with the reason in err: -EINVAL bad spec
 * (caller: usage error), -EIO / -errno the device or file cannot be opened. */
int hal_sink_create(const char *spec, hal_sink_render_fn render, void *userdata,
		    const struct hal_sink_opts *opts, struct hal_sink **out, char *err,
		    size_t errlen);

/* Closes the sink; for wav the header is fixed up first.  NULL is a no-op. */
void hal_sink_destroy(struct hal_sink *s);

/* Whether a pushed sink calls the render callback.  A new sink is inactive.
 *   active   sdl: the device is unpaused; the callback runs on SDL's thread.
 *   inactive sdl: the device is closed (a paused SDL device would still
 *            wake every period).  When hal_sink_set_active(s, false) returns, no
 *            callback is running and none starts until it is made active
 *            again: the caller may then touch (or destroy) what the callback
 *            uses.  Frames do not count while inactive.
 * Make it inactive while nothing plays (a device left idle costs a wake-up
 * every period), and before destroying what the callback uses.  Making it
 * active opens the device again: within a period of the call the callback
 * runs.  Pulled sinks: a no-op (the
 * caller keeps pulling, silence included, so a WAV stays exact to the
 * clock).  Returns 0 or a negative errno. */
int hal_sink_set_active(struct hal_sink *s, bool active);

/* true for sinks driven by hal_sink_pull (wav, null). */
bool hal_sink_is_pulled(const struct hal_sink *s);

/* Calls the render callback synchronously for frames (in blocks of at most
 * 4096) and writes the result.  Pulled sinks only: -ENOTSUP for sdl.  0 or
 * a negative errno (the first write error; frames still count after one). */
int hal_sink_pull(struct hal_sink *s, uint32_t frames);

/* Call from the main loop now and then (e.g. each second), and when
 * hal_sink_poll_due_ms says: sdl reopens a removed device
 * (SDL_AUDIODEVICEREMOVED / stopped status), falling back to the default
 * device and then to "dummy", and on "dummy" looks for a real device again,
 * soon after the removal and less often as it lasts (an eighth of the time
 * since the removal, between 0.25 and 5 s: hal/sink_sdl.c).  Returns 1 if
 * it reopened, 0, or a negative errno.  Others: 0. */
int hal_sink_poll(struct hal_sink *s);

/* In how many ms the sink wants hal_sink_poll called (0: now), or -1 when it
 * has no wish of its own (poll at the caller's pace).  sdl: while active on
 * the "dummy" fallback, its next look for a real device. */
int hal_sink_poll_due_ms(const struct hal_sink *s);

/* wav: write buffered samples and fix the header so the file is valid as it
 * stands (call it on SIGINT/SIGTERM from the signalfd handler before exit;
 * hal_sink_destroy does it too).  Others: 0. */
int hal_sink_flush(struct hal_sink *s);

/* Frames consumed so far (for sdl, counted by the audio thread). */
uint64_t hal_sink_frames(const struct hal_sink *s);

/* The device buffer actually obtained, in frames (sdl); 0 for pulled sinks. */
uint32_t hal_sink_buffer_frames(const struct hal_sink *s);

/* The channels actually obtained: what the render callback fills per
 * frame (channels * frames interleaved floats). */
uint32_t hal_sink_channels(const struct hal_sink *s);

/* The driver: "sdl", "wav", "null". */
const char *hal_sink_name(const struct hal_sink *s);
