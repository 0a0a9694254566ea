/* sink-tone SPEC CHANNELS [SEGMENT_MS]: a tone on each channel in turn,
 * through a sink opened with CHANNELS discrete channels (issue 16: every
 * output a plain channel).  Channel c plays during frames [c * seg,
 * (c + 1) * seg): a 1 kHz square wave (24 frames +a, 24 frames -a) of
 * amplitude a = (c + 1) / 16, every other channel silent; after the last
 * segment, silence.  A square wave passes a plain channel sample for sample
 * and an LFE low-pass or a remix would show in it.
 *
 * Pulled sinks are pulled through; pushed ones (sdl) are made active until
 * the device has taken the tones and 0.3 s more (bound: 60 s).  Prints
 * "channels N" (hal_sink_channels); exit 0, 3 when the sink is refused
 * (its reason on stderr), 1 on other failures.  tests/daemon/
 * test_audio_seats.py runs it on SDL's disk driver and on PulseAudio. */
#include "hal/sink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tone {
	uint64_t t;
	uint32_t ch, seg;
};

static void
render(void *ud, float *out, uint32_t frames)
{
	struct tone *g = ud;
	for (uint32_t i = 0; i < frames; i++, g->t++) {
		uint64_t c = g->t / g->seg;
		float a = (float)(c + 1) / 16.0f * ((g->t / 24) % 2 ? -1.0f : 1.0f);
		for (uint32_t k = 0; k < g->ch; k++)
			out[i * g->ch + k] = k == c ? a : 0.0f;
	}
}

static void
log_cb(void *ud, enum hal_log_level level, const char *msg)
{
	(void)ud;
	if (level <= HAL_LOG_WARNING)
		fprintf(stderr, "sink-tone: %s\n", msg);
}

int
main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: sink-tone SPEC CHANNELS [SEGMENT_MS]\n");
		return 2;
	}
	struct tone g = {.ch = (uint32_t)atoi(argv[2])};
	g.seg = (uint32_t)(argc > 3 ? atoi(argv[3]) : 250) * (HAL_AUDIO_RATE / 1000);
	struct hal_sink_opts o;
	struct hal_sink *s;
	char err[1024];
	hal_sink_opts_defaults(&o);
	o.channels = g.ch;
	o.log = log_cb;
	int r = hal_sink_create(argv[1], render, &g, &o, &s, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "sink-tone: %s\n", err);
		return r == -EINVAL ? 2 : 3;
	}
	printf("channels %u\n", hal_sink_channels(s));
	fflush(stdout);
	uint64_t total = (uint64_t)g.seg * g.ch + HAL_AUDIO_RATE * 3 / 10;
	if (hal_sink_is_pulled(s)) {
		r = hal_sink_pull(s, (uint32_t)total);
	} else {
		r = hal_sink_set_active(s, true);
		for (int i = 0; r == 0 && i < 6000 && hal_sink_frames(s) < total; i++) {
			usleep(10000);
			hal_sink_poll(s);
		}
		if (r == 0 && hal_sink_frames(s) < total)
			r = -ETIMEDOUT;
		hal_sink_set_active(s, false);
	}
	hal_sink_destroy(s);
	if (r < 0)
		fprintf(stderr, "sink-tone: %s\n", strerror(-r));
	return r < 0;
}
