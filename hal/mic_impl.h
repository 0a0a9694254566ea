/* For microphone implementations only (hal/mic_*.c): the generic object and
 * the table of functions behind it.  Callers use hal/mic.h. */
#pragma once

#include <stdint.h>

#include "hal/mic.h"
#include "hal/spec.h"

struct hal_mic_impl {
	struct hal_spec_scheme scheme; /* first: "sdl", "wav" */
	/* arg: what follows "name:" (NULL when the spec is just the name) */
	int (*open)(const char *arg, const struct hal_mic_options *opts, struct hal_mic **out);
	void (*close)(struct hal_mic *m); /* frees the concrete object */
	int (*start)(struct hal_mic *m);
	int (*read)(struct hal_mic *m, int64_t elapsed_ms, float *level_db);
};

/* First member of every concrete source. */
struct hal_mic {
	const struct hal_mic_impl *impl;
	struct hal_mic_options opts;
};

extern const struct hal_mic_impl hal_mic_sdl_impl;
extern const struct hal_mic_impl hal_mic_wav_impl;

void hal_mic_base_init(struct hal_mic *m, const struct hal_mic_impl *impl,
		       const struct hal_mic_options *opts);
void hal_mic_logf(const struct hal_mic *m, enum hal_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
