/* The file sinks alone (issue 16): how fast a pulled sink takes N channels,
 * without the mixer (the engine's cost is the other half of an offline
 * multichannel render).  sink-bench SPEC_EXT CHANNELS [SECONDS]: SECONDS
 * (default 120) of audio into file:TMP.EXT through hal_sink_pull; the
 * signal is speech-like (a tone per channel with noise, 3 s of it then 1 s
 * of silence, a different tone and level per channel), made before the
 * clock starts and copied in by the render callback.  Prints key=value:
 * frames_per_s (CPU time of this process, one thread), x_realtime, bytes
 * (the file's size), bytes_per_s (of audio). */
#define _GNU_SOURCE
#include "hal/sink.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CYCLE (4 * HAL_AUDIO_RATE) /* 3 s of sound, 1 s of silence */

struct src {
	float *buf; /* CYCLE frames of ch channels */
	uint32_t ch;
	uint64_t t;
};

static void
render(void *ud, float *out, uint32_t frames)
{
	struct src *s = ud;
	while (frames > 0) {
		uint32_t at = (uint32_t)(s->t % CYCLE);
		uint32_t k = CYCLE - at < frames ? CYCLE - at : frames;
		memcpy(out, s->buf + (size_t)at * s->ch, (size_t)k * s->ch * sizeof(float));
		out += (size_t)k * s->ch;
		frames -= k;
		s->t += k;
	}
}

static double
cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int
main(int argc, char **argv)
{
	const char *ext = argc > 1 ? argv[1] : "flac";
	struct src s = {.ch = argc > 2 ? (uint32_t)atoi(argv[2]) : 8};
	double seconds = argc > 3 ? atof(argv[3]) : 120;
	char path[512], spec[600], err[512];
	const char *tmp = getenv("TMPDIR");

	snprintf(path, sizeof(path), "%s/sink-bench-%d.%s", tmp ? tmp : "/tmp", (int)getpid(), ext);
	snprintf(spec, sizeof(spec), "file:%s", path);
	s.buf = malloc((size_t)CYCLE * s.ch * sizeof(float));
	uint32_t lcg = 12345;
	for (uint32_t t = 0; t < CYCLE; t++)
		for (uint32_t c = 0; c < s.ch; c++) {
			lcg = lcg * 1664525u + 1013904223u;
			float noise = (float)(lcg >> 8) / (float)(1u << 24) - 0.5f;
			float tone = sinf(2.0f * 3.14159265f * (150.0f + 37.0f * (float)c) *
					  (float)t / HAL_AUDIO_RATE);
			float level =
				t < 3 * HAL_AUDIO_RATE ? 0.3f / (1.0f + 0.1f * (float)c) : 0.0f;
			s.buf[(size_t)t * s.ch + c] = level * (0.8f * tone + 0.2f * noise);
		}
	struct hal_sink_opts o;
	struct hal_sink *sink;
	hal_sink_opts_defaults(&o);
	o.channels = s.ch;
	if (argc > 4 && strcmp(argv[4], "s16") == 0)
		o.wav_format = HAL_SINK_WAV_S16;
	if (hal_sink_create(spec, render, &s, &o, &sink, err, sizeof(err)) < 0) {
		fprintf(stderr, "sink-bench: %s\n", err);
		return 1;
	}
	uint64_t total = (uint64_t)(seconds * HAL_AUDIO_RATE);
	double t0 = cpu_s();
	for (uint64_t done = 0; done < total;) {
		uint32_t k =
			total - done < HAL_AUDIO_RATE ? (uint32_t)(total - done) : HAL_AUDIO_RATE;
		if (hal_sink_pull(sink, k) < 0) {
			fprintf(stderr, "sink-bench: write failed\n");
			return 1;
		}
		done += k;
	}
	hal_sink_destroy(sink); /* the encoder's last block and the header count */
	double cpu = cpu_s() - t0;
	struct stat st;
	long long bytes = stat(path, &st) == 0 ? (long long)st.st_size : -1;
	unlink(path);
	printf("sink=%s channels=%u seconds=%.0f cpu_s=%.3f frames_per_s=%.0f x_realtime=%.1f "
	       "bytes=%lld bytes_per_s=%.0f\n",
	       ext, s.ch, seconds, cpu, (double)total / cpu, seconds / cpu, bytes,
	       (double)bytes / seconds);
	free(s.buf);
	return 0;
}
