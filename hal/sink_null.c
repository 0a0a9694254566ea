/* null sink: renders on demand and counts frames, for tests and benchmarks. */
#include "hal/sink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define BLOCK 4096

struct sink_null {
	struct hal_sink base; /* first */
	float buf[2 * BLOCK];
};

static int
null_pull(struct hal_sink *s, uint32_t frames)
{
	struct sink_null *n = (struct sink_null *)s;

	while (frames > 0) {
		uint32_t k = frames < BLOCK ? frames : BLOCK;
		s->render(s->userdata, n->buf, k);
		s->frames += k;
		frames -= k;
	}
	return 0;
}

static void
null_destroy(struct hal_sink *s)
{
	free(s);
}

static const struct hal_sink_impl null_impl = {
	.name = "null",
	.pull = null_pull,
	.destroy = null_destroy,
};

int
hal_sink_null_create(struct hal_sink **out, char *err, size_t errlen)
{
	struct sink_null *n = calloc(1, sizeof(*n));

	if (!n) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	n->base.impl = &null_impl;
	*out = &n->base;
	return 0;
}
