/* For sink implementations only (hal/sink_*.c): the generic object and the
 * table of functions behind it.  Callers use hal/sink.h.
 *
 * Adding a driver: write hal/sink_NAME.c with a const struct hal_sink_impl,
 * declare it below and list it in the table in hal/sink.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/sink.h"
#include "hal/spec.h"

struct hal_sink_impl {
	struct hal_spec_scheme scheme; /* first: "sdl", "wav", "null" and their forms */
	/* arg: what follows "name:" (NULL when the spec is just the name).
	 * opts has its defaults filled in.  Builds the concrete sink with
	 * hal_sink_base_init; the reason for a failure goes to err. */
	int (*open)(const char *arg, const struct hal_sink_opts *opts, hal_sink_render_fn render,
		    void *userdata, struct hal_sink **out, char *err, size_t errlen);
	void (*close)(struct hal_sink *s); /* frees the concrete object */
	/* Pushed sinks: start / stop calling render (see hal_sink_set_active).
	 * NULL: a no-op. */
	int (*set_active)(struct hal_sink *s, bool active);
	/* Pulled sinks: consume frames (at most HAL_SINK_PULL_BLOCK, of
	 * s->channels floats each) that hal_sink_pull rendered.  Returns 0 or a negative errno.
	 * NULL: the sink is pushed (not pullable). */
	int (*write)(struct hal_sink *s, const float *buf, uint32_t frames);
	int (*poll)(struct hal_sink *s); /* NULL: 0 */
	/* ms until the sink wants hal_sink_poll again, -1 no wish (NULL: -1) */
	int (*poll_due_ms)(const struct hal_sink *s);
	int (*flush)(struct hal_sink *s); /* NULL: 0 */
};

/* hal_sink_pull renders and writes in blocks of at most this many frames. */
#define HAL_SINK_PULL_BLOCK 4096

/* First member of every concrete sink. */
struct hal_sink {
	const struct hal_sink_impl *impl;
	hal_sink_render_fn render;
	void *userdata;
	struct hal_sink_opts opts;
	uint64_t frames;        /* consumed; sdl: written by the audio thread (atomic) */
	uint32_t buffer_frames; /* device buffer actually obtained (sdl), else 0 */
	uint32_t channels;      /* floats per frame given to render (1..8) */
};

extern const struct hal_sink_impl hal_sink_sdl_impl;
extern const struct hal_sink_impl hal_sink_wav_impl;
extern const struct hal_sink_impl hal_sink_file_impl;
extern const struct hal_sink_impl hal_sink_null_impl;

/* Fill the generic part (channels from opts).  Call it before the device
 * can call render. */
void hal_sink_base_init(struct hal_sink *s, const struct hal_sink_impl *impl,
			const struct hal_sink_opts *opts, hal_sink_render_fn render,
			void *userdata);

/* Log through opts.log. */
void hal_sink_log(struct hal_sink *s, enum hal_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
