/* null sink: renders on demand and counts frames, for tests and benchmarks. */
#include "hal/sink_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static int
null_write(struct hal_sink *s, const float *buf, uint32_t frames)
{
	return 0;
}

static void
null_close(struct hal_sink *s)
{
	free(s);
}

static int
null_open(const char *arg, const struct hal_sink_opts *opts, hal_sink_render_fn render,
	  void *userdata, struct hal_sink **out, char *err, size_t errlen)
{
	struct hal_sink *s;

	if (arg) {
		snprintf(err, errlen, "audio sink 'null' takes no argument");
		return -EINVAL;
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	hal_sink_base_init(s, &hal_sink_null_impl, opts, render, userdata);
	*out = s;
	return 0;
}

const struct hal_sink_impl hal_sink_null_impl = {
	.scheme = {"null", "null"},
	.open = null_open,
	.close = null_close,
	.write = null_write,
};
