/* Generic input source: spec parsing, dispatch through the driver table,
 * and the rules every source shares: presses and releases only, never an
 * autorepeat, never a press twice, releases when a device goes away. */
#include "hal/input_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libevdev/libevdev.h>

/* Every input source driver, by spec scheme. */
static const struct hal_spec_scheme *const drivers[] = {
	&hal_input_evdev_impl.scheme,
	&hal_input_evemu_impl.scheme,
};

void
hal_input_logf(const struct hal_input_options *opts, enum hal_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!opts)
		return;
	va_start(ap, fmt);
	hal_vlogf(opts->log, opts->log_user, level, fmt, ap);
	va_end(ap);
}

void
hal_input_base_init(struct hal_input *in, const struct hal_input_impl *impl,
		    const struct hal_input_options *opts)
{
	in->impl = impl;
	if (opts)
		in->opts = *opts;
	else
		memset(&in->opts, 0, sizeof(in->opts));
	if (in->opts.reconnect_min_ms <= 0)
		in->opts.reconnect_min_ms = 500;
	if (in->opts.reconnect_max_ms <= 0)
		in->opts.reconnect_max_ms = 5000;
	if (in->opts.reconnect_max_ms < in->opts.reconnect_min_ms)
		in->opts.reconnect_max_ms = in->opts.reconnect_min_ms;
	hal_clock_init_real(&in->own_clock);
	memset(in->down, 0, sizeof(in->down));
	in->releasing = -1;
}

int64_t
hal_input_now_ms(struct hal_input *in)
{
	return hal_clock_now_ms(in->opts.clock ? in->opts.clock : &in->own_clock);
}

static bool
is_down(const struct hal_input *in, int code)
{
	return in->down[code / 8] & (1u << (code % 8));
}

static void
set_down(struct hal_input *in, int code, bool down)
{
	if (down)
		in->down[code / 8] |= (uint8_t)(1u << (code % 8));
	else
		in->down[code / 8] &= (uint8_t) ~(1u << (code % 8));
}

void
hal_input_mark_down(struct hal_input *in, int code)
{
	if (code >= 0 && code <= HAL_INPUT_KEY_MAX)
		set_down(in, code, true);
}

int
hal_input_create(const char *spec, const struct hal_input_options *opts, struct hal_input **out)
{
	const char *arg;
	char forms[128];

	*out = NULL;
	if (!spec || !*spec) {
		hal_input_logf(opts, HAL_LOG_ERR, "empty input source");
		return -EINVAL;
	}
	int i = hal_spec_find(spec, drivers, sizeof(drivers) / sizeof(drivers[0]), &arg, forms,
			      sizeof(forms));
	if (i >= 0) /* the scheme is the first member of the impl */
		return ((const struct hal_input_impl *)drivers[i])->open(arg, opts, out);
	hal_input_logf(opts, HAL_LOG_ERR, "unknown input source '%s' (%s)", spec, forms);
	return -EINVAL;
}

void
hal_input_destroy(struct hal_input *in)
{
	if (in)
		in->impl->close(in);
}

/* After the device went away: one release per key it held. */
static bool
next_release(struct hal_input *in, struct hal_input_key *key)
{
	for (; in->releasing >= 0 && in->releasing <= HAL_INPUT_KEY_MAX; in->releasing++) {
		int code = in->releasing;
		if (is_down(in, code)) {
			set_down(in, code, false);
			in->releasing++;
			*key = (struct hal_input_key){.code = code, .value = 0, .time_ms = -1};
			return true;
		}
	}
	in->releasing = -1;
	return false;
}

int
hal_input_read(struct hal_input *in, struct hal_input_key *key)
{
	if (in->releasing >= 0 && next_release(in, key))
		return HAL_INPUT_KEY;
	for (;;) {
		int r = in->impl->read(in, key);
		if (r == -ENODEV) {
			in->releasing = 0;
			return next_release(in, key) ? HAL_INPUT_KEY : HAL_INPUT_NONE;
		}
		if (r != HAL_INPUT_KEY)
			return r < 0 ? HAL_INPUT_NONE : r;
		/* 2 is autorepeat: a held key does nothing more; a press of a
		 * key down or a release of a key up is not passed on either */
		bool drop = key->code < 0 || key->code > HAL_INPUT_KEY_MAX ||
			    (key->value != 0 && key->value != 1) ||
			    is_down(in, key->code) == (key->value == 1);
		if (!drop) {
			set_down(in, key->code, key->value == 1);
			return HAL_INPUT_KEY;
		}
		/* a replay's next event may not be due yet: the caller asks
		 * peek again; a device's are all there, read on */
		if (in->impl->peek_time_ms)
			return HAL_INPUT_NONE;
	}
}

int
hal_input_get_fd(struct hal_input *in)
{
	return in->impl->get_fd ? in->impl->get_fd(in) : -1;
}

int64_t
hal_input_next_wakeup_ms(struct hal_input *in)
{
	if (in->releasing >= 0)
		return hal_input_now_ms(in);
	return in->impl->next_wakeup_ms ? in->impl->next_wakeup_ms(in) : -1;
}

int64_t
hal_input_peek_time_ms(struct hal_input *in)
{
	return in->impl->peek_time_ms ? in->impl->peek_time_ms(in) : -1;
}

const char *
hal_input_name(const struct hal_input *in)
{
	return in->impl->scheme.name;
}

bool
hal_input_connected(const struct hal_input *in)
{
	return in->impl->connected ? in->impl->connected(in) : true;
}

int
hal_input_key_from_name(const char *name)
{
	if (!name || (strncmp(name, "KEY_", 4) != 0 && strncmp(name, "BTN_", 4) != 0))
		return -1;
	int code = libevdev_event_code_from_name(EV_KEY, name);
	return code >= 0 && code <= HAL_INPUT_KEY_MAX ? code : -1;
}

const char *
hal_input_key_name(int code)
{
	if (code < 0 || code > HAL_INPUT_KEY_MAX)
		return NULL;
	return libevdev_event_code_get_name(EV_KEY, (unsigned)code);
}
