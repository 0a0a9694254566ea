#include "hal/sink.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
hal_sink_log(struct hal_sink *s, enum hal_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hal_vlogf(s->opts.log, s->opts.log_userdata, level, fmt, ap);
	va_end(ap);
}

int
hal_sink_create(const char *spec, hal_sink_render_fn render, void *userdata,
		const struct hal_sink_opts *opts, struct hal_sink **out, char *err, size_t errlen)
{
	struct hal_sink_opts o;
	struct hal_sink *s = NULL;
	int r;

	if (opts)
		o = *opts;
	else
		hal_sink_opts_defaults(&o);
	if (o.buffer_frames == 0)
		o.buffer_frames = 1024;
	if (o.wav_sync_frames == 0)
		o.wav_sync_frames = HAL_AUDIO_RATE;
	if (!spec || !render) {
		snprintf(err, errlen, "no audio sink given");
		return -EINVAL;
	}
	if (strcmp(spec, "null") == 0) {
		r = hal_sink_null_create(&s, err, errlen);
	} else if (strncmp(spec, "wav:", 4) == 0) {
		if (!spec[4]) {
			snprintf(err, errlen, "audio sink 'wav:' needs a file name");
			return -EINVAL;
		}
		r = hal_sink_wav_create(spec + 4, &o, &s, err, errlen);
	} else if (strcmp(spec, "sdl") == 0 || strncmp(spec, "sdl:", 4) == 0) {
		r = hal_sink_sdl_create(spec[3] ? spec + 4 : NULL, &o, render, userdata, &s, err,
					errlen);
	} else {
		snprintf(err, errlen, "unknown audio sink '%s' (sdl[:DEVICE] | wav:FILE | null)",
			 spec);
		return -EINVAL;
	}
	if (r < 0)
		return r;
	s->render = render;
	s->userdata = userdata;
	s->opts = o;
	*out = s;
	return 0;
}

void
hal_sink_destroy(struct hal_sink *s)
{
	if (s)
		s->impl->destroy(s);
}

int
hal_sink_start(struct hal_sink *s)
{
	return s->impl->start ? s->impl->start(s) : 0;
}

void
hal_sink_stop(struct hal_sink *s)
{
	if (s->impl->stop)
		s->impl->stop(s);
}

bool
hal_sink_is_pulled(const struct hal_sink *s)
{
	return s->impl->pull != NULL;
}

int
hal_sink_pull(struct hal_sink *s, uint32_t frames)
{
	return s->impl->pull ? s->impl->pull(s, frames) : -ENOTSUP;
}

int
hal_sink_poll(struct hal_sink *s)
{
	return s->impl->poll ? s->impl->poll(s) : 0;
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

const char *
hal_sink_name(const struct hal_sink *s)
{
	return s->impl->name;
}
