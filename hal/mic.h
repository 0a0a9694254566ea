/* The cabin microphone: levels, never audio (DESIGN.md, "Cabin microphone").
 *
 * hal_mic_create() parses a source spec:
 *   sdl[:DEVICE]   a capture device through SDL (SDL_OpenAudioDevice with
 *                  iscapture 1, 48 kHz mono float); the capture callback
 *                  turns each HAL_MIC_BLOCK_MS of sound into one level and
 *                  drops the sound: only levels leave the audio thread.
 *   wav:FILE       the file-backed fake: a 48 kHz mono WAV played as the
 *                  cabin's microphone from hal_mic_start() on, paced by the
 *                  caller's clock (virtual offline too); silence after its
 *                  end.
 *
 * Nothing is stored or sent: a microphone is personal data (PIPL).  The
 * sound is reduced to a level per block where it arrives and forgotten.
 *
 *   hal_mic_start(m)                     the tour starts: the WAV from its
 *                                        first frame, a device opened
 *   hal_mic_read(m, elapsed_ms, &db)     one block's level (RMS, dBFS, at
 *                                        least HAL_MIC_FLOOR_DB) per call
 *                                        while it returns 1; elapsed_ms is
 *                                        the time since start on the
 *                                        caller's clock (the WAV is pulled
 *                                        up to it; a device ignores it)
 *
 * Main thread only (the SDL source's callback runs on SDL's thread and
 * touches only its ring).  No module-level state.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "hal/log.h"

struct hal_mic; /* opaque; sources are built in hal/mic_*.c */

#define HAL_MIC_RATE 48000
#define HAL_MIC_BLOCK_MS 100 /* one level per 100 ms */
#define HAL_MIC_BLOCK_FRAMES (HAL_MIC_RATE / 1000 * HAL_MIC_BLOCK_MS)
#define HAL_MIC_FLOOR_DB (-120.0f) /* the level of digital silence */

struct hal_mic_options {
	hal_log_fn log; /* NULL: messages are dropped */
	void *log_user;
};

/* 0 and *out set, or a negative errno (-EINVAL bad spec or format,
 * -ENOENT missing file, -ENODEV no capture device) with the reason
 * handed to opts->log. */
int hal_mic_create(const char *spec, const struct hal_mic_options *opts, struct hal_mic **out);
void hal_mic_destroy(struct hal_mic *m); /* NULL is a no-op */

/* Starts (again) from the beginning: a WAV from its first frame, a
 * device's levels from now on.  0 or a negative errno. */
int hal_mic_start(struct hal_mic *m);
/* 1 and *level_db set for the next block, 0 none (yet). */
int hal_mic_read(struct hal_mic *m, int64_t elapsed_ms, float *level_db);
const char *hal_mic_name(const struct hal_mic *m); /* "sdl", "wav" */

/* The level of n samples: RMS in dBFS (a full-scale sine is -3 dBFS),
 * at least HAL_MIC_FLOOR_DB.  RT-safe. */
float hal_mic_level_db(const float *x, uint32_t n);
/* The same from a sum of squares over n samples.  RT-safe. */
float hal_mic_level_from_power(double sum_sq, uint32_t n);
