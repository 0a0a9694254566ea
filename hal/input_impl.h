/* For input source implementations only (hal/input_*.c): the generic object
 * and the table of functions behind it.  Callers use hal/input.h.
 *
 * Adding a source: write hal/input_NAME.c with a const struct
 * hal_input_impl, declare it below and list it in the table in
 * hal/input.c. */
#pragma once

#include <stdint.h>

#include "hal/clock.h"
#include "hal/input.h"
#include "hal/spec.h"

struct hal_input_impl {
	struct hal_spec_scheme scheme; /* first: "evdev", "evemu" */
	/* arg: what follows "name:" (NULL when the spec is just the name) */
	int (*open)(const char *arg, const struct hal_input_options *opts, struct hal_input **out);
	/* One raw EV_KEY event (autorepeats too): HAL_INPUT_KEY, NONE or END,
	 * or -ENODEV when the device went away (hal_input_read then releases
	 * what it held). */
	int (*read)(struct hal_input *in, struct hal_input_key *key);
	void (*close)(struct hal_input *in);             /* frees the concrete object */
	int (*get_fd)(struct hal_input *in);             /* NULL: -1 */
	int64_t (*next_wakeup_ms)(struct hal_input *in); /* NULL: -1 */
	int64_t (*peek_time_ms)(struct hal_input *in);   /* NULL: -1 */
	bool (*connected)(const struct hal_input *in);   /* NULL: true */
};

/* First member of every concrete source. */
struct hal_input {
	const struct hal_input_impl *impl;
	struct hal_input_options opts;
	struct hal_clock own_clock; /* used when opts.clock is NULL */
	/* keys down, as the consumer has been told (hal_input_read) */
	uint8_t down[(HAL_INPUT_KEY_MAX + 8) / 8];
	int releasing; /* after -ENODEV: next code to look at for a release; -1 none */
};

extern const struct hal_input_impl hal_input_evdev_impl;
extern const struct hal_input_impl hal_input_evemu_impl;

/* Fill the generic part (copies opts, sets up the clock). */
void hal_input_base_init(struct hal_input *in, const struct hal_input_impl *impl,
			 const struct hal_input_options *opts);
void hal_input_logf(const struct hal_input_options *opts, enum hal_log_level level, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));
int64_t hal_input_now_ms(struct hal_input *in);
/* Marks a key as down without telling the consumer (held when the device
 * was opened: its release is not passed on, nor is it pressed twice). */
void hal_input_mark_down(struct hal_input *in, int code);
