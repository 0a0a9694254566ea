/* Generic sink: spec parsing, dispatch through the driver table, and the
 * render loop of the pulled sinks. */
#include "hal/sink_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Every sink driver, by spec scheme.  A new sink is one line here. */
static const struct hal_spec_scheme *const drivers[] = {
	&hal_sink_sdl_impl.scheme,
	&hal_sink_wav_impl.scheme,
	&hal_sink_null_impl.scheme,
};

void
hal_sink_opts_defaults(struct hal_sink_opts *o)
{
	*o = (struct hal_sink_opts){
		.buffer_frames = 1024,
		.wav_format = HAL_SINK_WAV_FLOAT32,
		.wav_sync_frames = HAL_AUDIO_RATE,
	};
}

void
hal_sink_base_init(struct hal_sink *s, const struct hal_sink_impl *impl,
		   const struct hal_sink_opts *opts, hal_sink_render_fn render, void *userdata)
{
	s->impl = impl;
	s->opts = *opts;
	s->render = render;
	s->userdata = userdata;
	s->frames = 0;
	s->buffer_frames = 0;
}

void
hal_sink_log(struct hal_sink *s, enum hal_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hal_vlogf(s->opts.log, s->opts.log_user, level, fmt, ap);
	va_end(ap);
}

int
hal_sink_create(const char *spec, hal_sink_render_fn render, void *userdata,
		const struct hal_sink_opts *opts, struct hal_sink **out, char *err, size_t errlen)
{
	struct hal_sink_opts o;
	const char *arg;
	char forms[128];

	if (opts)
		o = *opts;
	else
		hal_sink_opts_defaults(&o);
	if (o.buffer_frames == 0)
		o.buffer_frames = 1024;
	if (o.wav_sync_frames == 0)
		o.wav_sync_frames = HAL_AUDIO_RATE;
	if (o.channels == 0)
		o.channels = HAL_AUDIO_CHANNELS;
	if (o.channels > HAL_SINK_MAX_CHANNELS) {
		snprintf(err, errlen, "%u output channels: at most %d", o.channels,
			 HAL_SINK_MAX_CHANNELS);
		return -EINVAL;
	}
	if (!spec || !render) {
		snprintf(err, errlen, "no audio sink given");
		return -EINVAL;
	}
	int i = hal_spec_find(spec, drivers, sizeof(drivers) / sizeof(drivers[0]), &arg, forms,
			      sizeof(forms));
	if (i >= 0) /* the scheme is the first member of the impl */
		return ((const struct hal_sink_impl *)drivers[i])
			->open(arg, &o, render, userdata, out, err, errlen);
	snprintf(err, errlen, "unknown audio sink '%s' (%s)", spec, forms);
	return -EINVAL;
}

void
hal_sink_destroy(struct hal_sink *s)
{
	if (s)
		s->impl->close(s);
}

int
hal_sink_set_active(struct hal_sink *s, bool active)
{
	return s->impl->set_active ? s->impl->set_active(s, active) : 0;
}

bool
hal_sink_is_pulled(const struct hal_sink *s)
{
	return s->impl->write != NULL;
}

int
hal_sink_pull(struct hal_sink *s, uint32_t frames)
{
	float block[HAL_SINK_MAX_CHANNELS * HAL_SINK_PULL_BLOCK];
	int rc = 0;

	if (!s->impl->write)
		return -ENOTSUP;
	while (frames > 0) {
		uint32_t k = frames < HAL_SINK_PULL_BLOCK ? frames : HAL_SINK_PULL_BLOCK;
		s->render(s->userdata, block, k);
		s->frames += k;
		frames -= k;
		int r = s->impl->write(s, block, k);
		if (r < 0 && rc == 0)
			rc = r;
	}
	return rc;
}

int
hal_sink_poll(struct hal_sink *s)
{
	return s->impl->poll ? s->impl->poll(s) : 0;
}

int
hal_sink_poll_due_ms(const struct hal_sink *s)
{
	return s->impl->poll_due_ms ? s->impl->poll_due_ms(s) : -1;
}

int
hal_sink_flush(struct hal_sink *s)
{
	return s->impl->flush ? s->impl->flush(s) : 0;
}

uint64_t
hal_sink_frames(const struct hal_sink *s)
{
	return __atomic_load_n(&s->frames, __ATOMIC_RELAXED);
}

uint32_t
hal_sink_buffer_frames(const struct hal_sink *s)
{
	return s->buffer_frames;
}

uint32_t
hal_sink_channels(const struct hal_sink *s)
{
	return s->opts.channels;
}

const char *
hal_sink_name(const struct hal_sink *s)
{
	return s->impl->scheme.name;
}
