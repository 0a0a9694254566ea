/* Audio benchmarks; each mode prints key=value lines.
 *   decode   [CLIP...]  our decode+mix CPU time per second of audio vs
 *                       `opusdec --quiet --rate 48000 --float` and vs a bare
 *                       op_read_float loop, on the same clips
 *   mix                 mixer_render ns per output frame, 4 and 16 voices
 *                       with gains and ramps, vs a bare gain-and-sum loop
 *   seats               channels mode (issue 16): 8 clips decoded at once on
 *                       8 buses vs the sum of each alone (CPU time), and
 *                       mixer_render at 16 voices to 8 channels vs stereo
 *   latency             play request -> first non-silent sample out of the
 *                       render call, with a thread pacing render like a
 *                       device (buffers of 512 and 1024 frames)
 *   loudness            issue 17: what the loudness gain and the output
 *                       limiter cost per second of audio, as a ratio of
 *                       the decode cost: the same speech decoded
 *                       (clip_read) with and without R128_TRACK_GAIN, and
 *                       limiter_process on stereo that stays below its
 *                       threshold (idle) and on stereo 12 dB over (active)
 *   autogain            issue 22: what the auto gain (mixer_set_auto_gain)
 *                       costs per second of audio, as a ratio of the decode
 *                       cost: a minute of a narration over music rendered
 *                       offline with no auto gain and with one that glides
 *                       all the time (a new level every second)
 *   mic                 issue 22: what the cabin microphone's level costs
 *                       per second of captured audio (hal_mic_level_db on
 *                       100 ms blocks of 48 kHz mono, as the capture
 *                       callback and the wav: source do), as a ratio of the
 *                       decode cost (the loudness mode's clip)
 *   idle     [SECONDS]  what an sdl sink costs while nothing plays: the
 *                       whole process's CPU and sleeps per second with the
 *                       device active (mixing silence), inactive (paused,
 *                       hal_sink_set_active) and closed, SECONDS each (3);
 *                       SDL_AUDIODRIVER picks the driver (dummy in tests)
 * Work to count under valgrind's callgrind (tests/bench/instructions.py), no
 * timing, each printing the seconds of audio it handled:
 *   count-decode CLIP...   each clip decoded once, start to end, through
 *                          audio/clip.c: count_decode_clip() is the
 *                          decoder thread's work (open, decode, close)
 *   count-mix VOICES SECONDS   SECONDS of output mixed from VOICES voices as
 *                          in `mix` (a gain ramp every block); the decoding
 *                          feeding them is outside mixer_render(), the
 *                          function to count
 */
#define _GNU_SOURCE
#include "audio/clip.h"
#include "audio/limiter.h"
#include "audio/mixer.h"
#include "config.h"
#include "hal/mic.h"
#include "hal/sink.h"
#include "tests/audio/audio-test.h"

#include <dirent.h>
#include <math.h>
#include <opusfile.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now_s(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- decode ---- */

static double
ours_cpu(const char *path, long *frames)
{
	struct mixer_config c;
	struct mixer *m;
	static float out[2 * 4096];
	struct mixer_event ev;
	char err[256];

	mixer_config_defaults(&c);
	c.offline = true;
	mixer_create(&c, &m);
	double t0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	mixer_play(m, MIXER_NARRATION, path, 0.8f, 1, err, sizeof(err));
	bool done = false;
	*frames = 0;
	while (!done) {
		mixer_render_offline(m, out, 4096);
		*frames += 4096;
		while (mixer_next_event(m, &ev))
			if (ev.type != MIXER_EV_STARTED)
				done = true;
	}
	double t = now_s(CLOCK_THREAD_CPUTIME_ID) - t0;
	mixer_destroy(m);
	return t;
}

static double
bare_cpu(const char *path)
{
	static float buf[2 * 5760];
	int e;
	double t0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	OggOpusFile *of = op_open_file(path, &e);
	while (op_read_float(of, buf, 2 * 5760, NULL) > 0)
		;
	op_free(of);
	return now_s(CLOCK_THREAD_CPUTIME_ID) - t0;
}

static double
opusdec_cpu(const char *path)
{
	pid_t pid = fork();
	if (pid == 0) {
		execlp("opusdec", "opusdec", "--quiet", "--rate", "48000", "--float", path,
		       "/dev/null", (char *)NULL);
		_exit(127);
	}
	int st;
	struct rusage ru;
	if (wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static int
bench_decode(int argc, char **argv)
{
	const char *defaults[] = {data_path("speech-mono.opus"), data_path("music-stereo.opus"),
				  data_path("chord-stereo.opus"), data_path("sine440-mono.opus")};
	const char **clips = argc > 0 ? (const char **)argv : defaults;
	int n = argc > 0 ? argc : 4;
	double ours = 0, dec = 0, bare = 0, secs = 0;
	const int R = 7;
	bool have_opusdec = true;

	for (int i = 0; i < n; i++) {
		int64_t total = 0;
		int e;
		OggOpusFile *of = op_open_file(clips[i], &e);
		if (!of) {
			fprintf(stderr, "skip %s\n", clips[i]);
			continue;
		}
		total = op_pcm_total(of, -1);
		op_free(of);
		double o = 1e9, d = 1e9, b = 1e9;
		long fr;
		for (int r = 0; r < R; r++) { /* best of R: the machine's noise, not ours */
			double x = ours_cpu(clips[i], &fr);
			o = x < o ? x : o;
			x = bare_cpu(clips[i]);
			b = x < b ? x : b;
			x = opusdec_cpu(clips[i]);
			if (x < 0)
				have_opusdec = false;
			d = x < d ? x : d;
		}
		double s = (double)total / HAL_AUDIO_RATE;
		const char *base = strrchr(clips[i], '/') ? strrchr(clips[i], '/') + 1 : clips[i];
		printf("clip=%s seconds=%.3f ours_ms_per_s=%.3f opusdec_ms_per_s=%.3f "
		       "bare_ms_per_s=%.3f\n",
		       base, s, 1e3 * o / s, have_opusdec ? 1e3 * d / s : -1, 1e3 * b / s);
		ours += o, dec += d, bare += b, secs += s;
	}
	printf("decode_audio_seconds=%.3f\n", secs);
	printf("decode_ours_ms_per_s=%.3f\n", 1e3 * ours / secs);
	printf("decode_bare_ms_per_s=%.3f\n", 1e3 * bare / secs);
	if (have_opusdec) {
		printf("decode_opusdec_ms_per_s=%.3f\n", 1e3 * dec / secs);
		printf("decode_ratio_vs_opusdec=%.3f (target <= 1.3)\n", ours / dec);
	}
	printf("decode_ratio_vs_bare_opusfile=%.3f\n", ours / bare);
	return 0;
}

/* ---- mix ---- */

static double
bench_mix_voices(int voices, long frames)
{
	struct mixer_config c;
	struct mixer *m;
	static float out[2 * 512];
	char err[256];
	mixer_handle h[MIXER_MAX_VOICES];
	struct mixer_event ev;
	const char *clips[] = {data_path("speech-mono.opus"), data_path("music-stereo.opus")};

	mixer_config_defaults(&c);
	c.offline = true;
	c.max_voices = (uint32_t)voices + 1;
	mixer_create(&c, &m);
	for (int v = 0; v < voices; v++)
		h[v] = mixer_play(m, v == 0 ? MIXER_NARRATION : MIXER_MUSIC, clips[v & 1],
				  0.05f + 0.01f * (float)v, (uint64_t)v, err, sizeof(err));
	double t = 0;
	uint32_t lcg = 1;
	for (long done = 0, blk = 0; done < frames; done += 512, blk++) {
		/* a gain change (5 ms ramp) on one voice every block */
		lcg = lcg * 1664525u + 1013904223u;
		int v = (int)(lcg >> 24) % voices;
		mixer_set_gain(m, h[v], 0.02f + (float)(lcg & 0xff) / 2000.0f);
		/* decoding and restarting finished voices is not the mix: untimed */
		mixer_render_offline(m, out, 0);
		double t0 = now_s(CLOCK_THREAD_CPUTIME_ID);
		mixer_render(m, out, 512);
		t += now_s(CLOCK_THREAD_CPUTIME_ID) - t0;
		while (mixer_next_event(m, &ev))
			if (ev.type == MIXER_EV_FINISHED)
				h[ev.user_id] = mixer_play(m, ev.kind, clips[ev.user_id & 1], 0.1f,
							   ev.user_id, err, sizeof(err));
	}
	mixer_destroy(m);
	return t * 1e9 / (double)frames;
}

static double
bench_bare(int voices, long frames)
{
	const uint32_t B = 512, RING = 16384;
	float *src = aligned_alloc(64, sizeof(float) * 2 * RING * (size_t)voices);
	static float out[2 * 512];
	for (size_t i = 0; i < 2 * RING * (size_t)voices; i++)
		src[i] = (float)(i % 97) / 97.0f;
	double t0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	uint32_t pos = 0;
	for (long done = 0; done < frames; done += B, pos = (pos + B) & (RING - 1)) {
		memset(out, 0, sizeof(out));
		for (int v = 0; v < voices; v++) {
			const float *s = src + (size_t)v * 2 * RING + 2 * pos;
			const float g = 0.1f + 0.01f * (float)v;
			for (uint32_t j = 0; j < 2 * B; j++)
				out[j] += g * s[j];
		}
		__asm__ volatile("" : : "r"(out) : "memory");
	}
	double t = now_s(CLOCK_THREAD_CPUTIME_ID) - t0;
	free(src);
	return t * 1e9 / (double)frames;
}

static int
bench_mix(void)
{
	long frames = HAL_AUDIO_RATE * 60L; /* a minute of output */
	double m4 = 1e9, m16 = 1e9, b16 = 1e9;
	for (int r = 0; r < 3; r++) {
		double x = bench_mix_voices(4, frames);
		m4 = x < m4 ? x : m4;
		x = bench_mix_voices(16, frames);
		m16 = x < m16 ? x : m16;
		x = bench_bare(16, frames);
		b16 = x < b16 ? x : b16;
	}
	printf("mix4_ns_per_frame=%.2f\n", m4);
	printf("mix16_ns_per_frame=%.2f (target < 30)\n", m16);
	printf("bare16_gain_sum_ns_per_frame=%.2f\n", b16);
	return 0;
}

/* ---- seats (channels mode, issue 16) ---- */

/* A channels-mode mixer: 8 buses of one output channel each. */
static struct mixer *
seats_mixer(uint32_t max_voices)
{
	struct mixer_config c;
	struct mixer *m;
	mixer_config_defaults(&c);
	c.offline = true;
	c.max_voices = max_voices;
	c.channels = 8;
	c.n_buses = 8;
	for (uint32_t b = 0; b < 8; b++)
		c.bus_channels[b] = 1u << b;
	if (mixer_create(&c, &m) < 0)
		exit(99);
	return m;
}

/* CPU seconds to decode and mix n clips to their ends: all at once on a
 * channels-mode mixer (each on its own bus), or, together=false, the first
 * one alone on a stereo mixer. */
static double
seats_decode_cpu(const char *const *clips, int n, bool together)
{
	static float out[8 * 4096];
	struct mixer_config c;
	struct mixer *m;
	struct mixer_event ev;
	char err[256];

	mixer_config_defaults(&c);
	c.offline = true;
	if (together)
		m = seats_mixer(16);
	else if (mixer_create(&c, &m) < 0)
		exit(99);
	double t0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	for (int i = 0; i < n; i++)
		mixer_play_bus(m, MIXER_NARRATION, clips[i], 0.8f, together ? (uint32_t)i : 0,
			       (uint64_t)i, err, sizeof(err));
	int done = 0;
	while (done < n) {
		mixer_render_offline(m, out, 4096);
		while (mixer_next_event(m, &ev))
			done += ev.type != MIXER_EV_STARTED;
	}
	double t = now_s(CLOCK_THREAD_CPUTIME_ID) - t0;
	mixer_destroy(m);
	return t;
}

/* ns per output frame of mixer_render at 16 sounding voices with a gain
 * ramp every block, the same clips in both (8 of speech, 8 of music):
 * stereo (one narration, 15 music: one narration sounds at a time) or 8
 * channels (a narration on each of 8 buses, 8 music under all of them). */
static double
seats_mix_ns(bool eight, long frames)
{
	static float out[8 * 512];
	char err[256];
	mixer_handle h[16];
	struct mixer_event ev;
	const char *clips[] = {data_path("speech-mono.opus"), data_path("music-stereo.opus")};
	struct mixer *m;
	struct mixer_config c;

	if (eight) {
		m = seats_mixer(17);
	} else {
		mixer_config_defaults(&c);
		c.offline = true;
		c.max_voices = 17;
		mixer_create(&c, &m);
	}
	/* the same clips in both: 8 voices of speech, 8 of music */
	enum mixer_kind kind[16];
	uint32_t bus[16];
	const char *clip[16];
	for (int v = 0; v < 16; v++) {
		kind[v] = (eight ? v < 8 : v == 0) ? MIXER_NARRATION : MIXER_MUSIC;
		bus[v] = eight && v < 8 ? (uint32_t)v : 0;
		clip[v] = clips[v >= 8];
		h[v] = mixer_play_bus(m, kind[v], clip[v], 0.05f + 0.01f * v, bus[v], (uint64_t)v,
				      err, sizeof(err));
	}
	double t = 0;
	uint32_t lcg = 1;
	for (long done = 0; done < frames; done += 512) {
		lcg = lcg * 1664525u + 1013904223u;
		int v = (int)(lcg >> 24) % 16;
		mixer_set_gain(m, h[v], 0.02f + (float)(lcg & 0xff) / 2000.0f);
		mixer_render_offline(m, out, 0); /* decoding is not the mix: untimed */
		double t0 = now_s(CLOCK_THREAD_CPUTIME_ID);
		mixer_render(m, out, 512);
		t += now_s(CLOCK_THREAD_CPUTIME_ID) - t0;
		while (mixer_next_event(m, &ev))
			if (ev.type == MIXER_EV_FINISHED || ev.type == MIXER_EV_CUT) {
				int u = (int)ev.user_id;
				h[u] = mixer_play_bus(m, kind[u], clip[u], 0.1f, bus[u], ev.user_id,
						      err, sizeof(err));
			}
	}
	if (mixer_underruns(m))
		fprintf(stderr, "seats mix: %llu underrun frames\n",
			(unsigned long long)mixer_underruns(m));
	mixer_destroy(m);
	return t * 1e9 / (double)frames;
}

static int
bench_seats(void)
{
	static const char *const names[8] = {"gate.zh", "gate.en", "space798.zh", "space798.en",
					     "ucca.zh", "ucca.en", "chimney.zh",  "chimney.en"};
	char paths[8][1024];
	const char *clips[8];
	const char *root = getenv("GUIDE_SOURCE_ROOT");
	for (int i = 0; i < 8; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/routes/798-751/clips/%s.opus",
			 root ? root : GUIDE_SOURCE_ROOT, names[i]);
		clips[i] = paths[i];
	}
	/* best of R, alternating, so that both see the same machine */
	const int R = 5;
	double together = 1e9, alone_sum = 1e9;
	for (int r = 0; r < R; r++) {
		double x = seats_decode_cpu(clips, 8, true);
		together = x < together ? x : together;
		double sum = 0;
		for (int i = 0; i < 8; i++)
			sum += seats_decode_cpu(&clips[i], 1, false);
		alone_sum = sum < alone_sum ? sum : alone_sum;
	}
	printf("seats_decode8_together_ms=%.2f\n", 1e3 * together);
	printf("seats_decode8_alone_sum_ms=%.2f\n", 1e3 * alone_sum);
	printf("seats_decode8_ratio=%.3f (target <= 1.1)\n", together / alone_sum);
	long frames = HAL_AUDIO_RATE * 60L;
	double st = 1e9, ei = 1e9;
	for (int r = 0; r < 3; r++) {
		double x = seats_mix_ns(false, frames);
		st = x < st ? x : st;
		x = seats_mix_ns(true, frames);
		ei = x < ei ? x : ei;
	}
	printf("seats_mix16_stereo_ns_per_frame=%.2f\n", st);
	printf("seats_mix16_8ch_ns_per_frame=%.2f\n", ei);
	printf("seats_mix_ratio=%.3f (target <= 2)\n", ei / st);
	return 0;
}

/* ---- loudness: gain and limiter ---- */

/* CPU seconds to decode the whole clip through audio/clip.c. */
static double
clip_decode_cpu(const char *path, long *frames)
{
	static float buf[2 * 5760];
	struct clip *c;
	char err[256];
	double t0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	if (clip_open(path, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	int n;
	*frames = 0;
	while ((n = clip_read(c, buf, 5760, err, sizeof(err))) > 0)
		*frames += n;
	clip_close(c);
	return now_s(CLOCK_THREAD_CPUTIME_ID) - t0;
}

/* CPU seconds for the limiter over `frames` stereo frames of x, in 512-frame
 * blocks as a device pulls them. */
static double
limiter_cpu(float *x, long frames)
{
	struct limiter l;
	limiter_init(&l, 2, HAL_AUDIO_RATE);
	double t0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	for (long i = 0; i < frames; i += 512)
		limiter_process(&l, x + 2 * i, (uint32_t)(frames - i < 512 ? frames - i : 512));
	__asm__ volatile("" : : "r"(x) : "memory");
	return now_s(CLOCK_THREAD_CPUTIME_ID) - t0;
}

static int
bench_loudness(void)
{
	const int R = 7;
	double plain = 1e9, gained = 1e9, idle = 1e9, active = 1e9;
	long frames = 0;
	for (int r = 0; r < R; r++) { /* best of R */
		double x = clip_decode_cpu(data_path("speech-quiet-untagged.opus"), &frames);
		plain = x < plain ? x : plain;
		x = clip_decode_cpu(data_path("speech-quiet.opus"), &frames);
		gained = x < gained ? x : gained;
	}
	double secs = (double)frames / HAL_AUDIO_RATE;
	/* a minute of stereo: a 440 Hz tone over noise, below and 12 dB over -1 dBFS */
	long n = 60L * HAL_AUDIO_RATE;
	float *quiet = malloc(sizeof(float) * 2 * (size_t)n);
	float *loud = malloc(sizeof(float) * 2 * (size_t)n);
	uint32_t lcg = 1;
	for (long i = 0; i < 2 * n; i++) {
		lcg = lcg * 1664525u + 1013904223u;
		float v =
			0.6f * sinf(2.0f * (float)M_PI * 440.0f * (float)(i / 2) / HAL_AUDIO_RATE) +
			0.2f * ((float)(lcg >> 8) / (float)(1u << 24) - 0.5f);
		quiet[i] = v;
		loud[i] = 4.0f * v;
	}
	float *tmp = malloc(sizeof(float) * 2 * (size_t)n);
	for (int r = 0; r < R; r++) {
		double x = limiter_cpu(quiet, n); /* leaves it as it was */
		idle = x < idle ? x : idle;
		memcpy(tmp, loud, sizeof(float) * 2 * (size_t)n); /* a fresh loud input */
		x = limiter_cpu(tmp, n);
		active = x < active ? x : active;
	}
	free(tmp);
	double dec = 1e3 * plain / secs;
	double gain = 1e3 * (gained - plain) / secs;
	double li = 1e3 * idle / 60.0, la = 1e3 * active / 60.0;
	printf("loudness_decode_ms_per_s=%.4f\n", dec);
	printf("loudness_decode_gain_ms_per_s=%.4f\n", 1e3 * gained / secs);
	printf("loudness_gain_ms_per_s=%.4f\n", gain);
	printf("loudness_gain_ratio_vs_decode=%.4f\n", gain / dec);
	printf("limiter_idle_ms_per_s=%.4f\n", li);
	printf("limiter_idle_ratio_vs_decode=%.4f\n", li / dec);
	printf("limiter_active_ms_per_s=%.4f\n", la);
	printf("limiter_active_ratio_vs_decode=%.4f\n", la / dec);
	free(quiet);
	free(loud);
	return 0;
}

/* ---- autogain (issue 22) ---- */

/* CPU seconds to render `seconds` of a narration (replayed as it ends) over
 * music through an offline mixer, in 512-frame blocks; glide: a new auto
 * gain every second (0 and +4 dB in turn), so that a glide always runs. */
static double
autogain_cpu(int seconds, bool glide)
{
	struct mixer_config c;
	struct mixer *m;
	char err[256];
	static float out[2 * 512];
	mixer_config_defaults(&c);
	c.offline = true;
	if (mixer_create(&c, &m) < 0)
		exit(1);
	mixer_play(m, MIXER_MUSIC, data_path("music-stereo.opus"), 0.5f, 1, err, sizeof(err));
	mixer_play(m, MIXER_NARRATION, data_path("speech-mono.opus"), 0.8f, 2, err, sizeof(err));
	long frames = (long)seconds * HAL_AUDIO_RATE;
	double t0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	for (long i = 0; i < frames; i += 512) {
		if (i % HAL_AUDIO_RATE < 512 && glide)
			mixer_set_auto_gain(m, (i / HAL_AUDIO_RATE) % 2 ? 4.0f : 0.0f);
		mixer_render_offline(m, out, 512);
		struct mixer_event ev;
		while (mixer_next_event(m, &ev)) /* each voice again as it ends */
			if (ev.type == MIXER_EV_FINISHED)
				mixer_play(m, ev.kind,
					   data_path(ev.kind == MIXER_MUSIC ? "music-stereo.opus"
									    : "speech-mono.opus"),
					   ev.kind == MIXER_MUSIC ? 0.5f : 0.8f, ev.user_id, err,
					   sizeof(err));
	}
	double t = now_s(CLOCK_THREAD_CPUTIME_ID) - t0;
	mixer_destroy(m);
	return t;
}

static int
bench_autogain(void)
{
	const int R = 5, S = 60;
	double none = 1e9, glide = 1e9, dec = 1e9;
	long frames = 0;
	for (int r = 0; r < R; r++) { /* best of R */
		double x = autogain_cpu(S, false);
		none = x < none ? x : none;
		x = autogain_cpu(S, true);
		glide = x < glide ? x : glide;
		x = clip_decode_cpu(data_path("speech-mono.opus"), &frames);
		dec = x < dec ? x : dec;
	}
	double dec_ms = 1e3 * dec / ((double)frames / HAL_AUDIO_RATE);
	double none_ms = 1e3 * none / S, glide_ms = 1e3 * glide / S;
	printf("autogain_decode_ms_per_s=%.4f\n", dec_ms);
	printf("autogain_render_none_ms_per_s=%.4f\n", none_ms);
	printf("autogain_render_glide_ms_per_s=%.4f\n", glide_ms);
	printf("autogain_cost_ms_per_s=%.4f\n", glide_ms - none_ms);
	printf("autogain_cost_ratio_vs_decode=%.4f\n", (glide_ms - none_ms) / dec_ms);
	return 0;
}

/* ---- mic: the cabin microphone's levels ---- */

static int
bench_mic(void)
{
	const int R = 7;
	double plain = 1e9, level = 1e9;
	long frames = 0;
	long n = 60L * HAL_MIC_RATE; /* a minute of mono noise */
	float *x = malloc(sizeof(float) * (size_t)n);
	uint32_t lcg = 1;
	for (long i = 0; i < n; i++) {
		lcg = lcg * 1664525u + 1013904223u;
		x[i] = 0.05f * ((float)(lcg >> 8) / (float)(1u << 24) - 0.5f);
	}
	volatile float sink = 0;
	for (int r = 0; r < R; r++) { /* best of R */
		double t = clip_decode_cpu(data_path("speech-quiet-untagged.opus"), &frames);
		plain = t < plain ? t : plain;
		double t0 = now_s(CLOCK_THREAD_CPUTIME_ID);
		for (long i = 0; i + HAL_MIC_BLOCK_FRAMES <= n; i += HAL_MIC_BLOCK_FRAMES)
			sink += hal_mic_level_db(x + i, HAL_MIC_BLOCK_FRAMES);
		t = now_s(CLOCK_THREAD_CPUTIME_ID) - t0;
		level = t < level ? t : level;
	}
	(void)sink;
	double dec = 1e3 * plain / ((double)frames / HAL_AUDIO_RATE);
	double lv = 1e3 * level / 60.0;
	printf("mic_decode_ms_per_s=%.4f\n", dec);
	printf("mic_level_ms_per_s=%.4f\n", lv);
	printf("mic_level_ratio_vs_decode=%.4f\n", lv / dec);
	free(x);
	return 0;
}

/* ---- counts (callgrind) ---- */

/* One clip start to end: what the decoder thread does for it.  Not inlined:
 * callgrind counts it by name (--toggle-collect=count_decode_clip). */
__attribute__((noinline)) static long
count_decode_clip(const char *path)
{
	static float out[2 * 4096];
	struct clip *c;
	char err[256];
	long frames = 0;
	int n;

	if (clip_open(path, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", path, err);
		return -1;
	}
	while ((n = clip_read(c, out, 4096, err, sizeof(err))) > 0)
		frames += n;
	clip_close(c);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", path, err);
		return -1;
	}
	return frames;
}

static int
count_decode(int argc, char **argv)
{
	long frames = 0;

	if (argc < 1) {
		fprintf(stderr, "count-decode: no clip\n");
		return 2;
	}
	for (int i = 0; i < argc; i++) {
		long f = count_decode_clip(argv[i]);
		if (f < 0)
			return 1;
		frames += f;
	}
	printf("count_decode_clips=%d\n", argc);
	printf("count_decode_audio_seconds=%.3f\n", (double)frames / HAL_AUDIO_RATE);
	return 0;
}

static int
count_mix(int argc, char **argv)
{
	int voices = argc > 0 ? atoi(argv[0]) : 1;
	double seconds = argc > 1 ? atof(argv[1]) : 10;
	struct mixer_config c;
	struct mixer *m;
	static float out[2 * 512];
	char err[256];
	mixer_handle h[MIXER_MAX_VOICES];
	struct mixer_event ev;
	const char *clips[] = {data_path("speech-mono.opus"), data_path("music-stereo.opus")};
	long frames = (long)(seconds * HAL_AUDIO_RATE), done;

	if (voices < 1 || voices >= MIXER_MAX_VOICES || frames <= 0) {
		fprintf(stderr, "count-mix: VOICES 1-%d, SECONDS > 0\n", MIXER_MAX_VOICES - 1);
		return 2;
	}
	mixer_config_defaults(&c);
	c.offline = true;
	c.max_voices = (uint32_t)voices + 1;
	mixer_create(&c, &m);
	for (int v = 0; v < voices; v++)
		h[v] = mixer_play(m, v == 0 ? MIXER_NARRATION : MIXER_MUSIC, clips[v & 1],
				  0.05f + 0.01f * (float)v, (uint64_t)v, err, sizeof(err));
	uint32_t lcg = 1;
	for (done = 0; done < frames; done += 512) {
		lcg = lcg * 1664525u + 1013904223u;
		int v = (int)(lcg >> 24) % voices;
		mixer_set_gain(m, h[v], 0.02f + (float)(lcg & 0xff) / 2000.0f);
		mixer_render_offline(m, out, 0); /* decoding: not mixer_render's */
		mixer_render(m, out, 512);
		while (mixer_next_event(m, &ev))
			if (ev.type == MIXER_EV_FINISHED)
				h[ev.user_id] = mixer_play(m, ev.kind, clips[ev.user_id & 1], 0.1f,
							   ev.user_id, err, sizeof(err));
	}
	mixer_destroy(m);
	printf("count_mix_voices=%d\n", voices);
	printf("count_mix_audio_seconds=%.3f\n", (double)done / HAL_AUDIO_RATE);
	return 0;
}

/* ---- latency ---- */

struct device {
	struct mixer *m;
	uint32_t buffer;
	_Atomic bool quit;
	_Atomic double t_play;  /* set by main: the play request time, 0 = none */
	_Atomic double latency; /* set by device: -1 = pending */
	_Atomic double t_ret;   /* when mixer_play returned, 0 = not yet */
	_Atomic int missed;     /* silent render calls begun after mixer_play returned */
	float *out;
};

static void *
device_main(void *arg)
{
	struct device *d = arg;
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	long period_ns = (long)d->buffer * 1000000000L / HAL_AUDIO_RATE;
	/* like a real audio thread: real-time priority if allowed */
	struct sched_param sp = {.sched_priority = 10};
	pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	while (!atomic_load(&d->quit)) {
		double tb = now_s(CLOCK_MONOTONIC);
		mixer_render(d->m, d->out, d->buffer);
		double t = now_s(CLOCK_MONOTONIC);
		double tp = atomic_load(&d->t_play);
		if (tp > 0 && atomic_load(&d->latency) < 0) {
			bool sound = false;
			for (uint32_t i = 0; i < 2 * d->buffer && !sound; i++)
				sound = d->out[i] != 0.0f;
			double tr = atomic_load(&d->t_ret);
			if (sound)
				atomic_store(&d->latency, t - tp);
			else if (tr > 0 && tb > tr)
				atomic_fetch_add(&d->missed, 1);
		}
		next.tv_nsec += period_ns;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	return NULL;
}

static void
bench_latency_buffer(uint32_t buffer)
{
	struct mixer *m;
	struct device d = {.buffer = buffer};
	char err[256];
	struct mixer_event ev;
	const int N = 40;
	double sum = 0, max = 0, all[40], play_max = 0;

	mixer_create(NULL, &m);
	d.m = m;
	d.out = calloc(2 * buffer, sizeof(float));
	atomic_store(&d.latency, 0.0);
	atomic_store(&d.missed, 0);
	pthread_t th;
	pthread_create(&th, NULL, device_main, &d);
	uint32_t lcg = 7;
	for (int i = 0; i < N; i++) {
		lcg = lcg * 1664525u + 1013904223u;
		usleep(10000 + (lcg >> 16) % 20000); /* land anywhere in the device period */
		atomic_store(&d.latency, -1.0);
		atomic_store(&d.t_ret, 0.0);
		atomic_store(&d.t_play, now_s(CLOCK_MONOTONIC));
		mixer_handle h = mixer_play(m, MIXER_ANNOUNCEMENT, data_path("sine440-mono.opus"),
					    1.0f, 1, err, sizeof(err));
		atomic_store(&d.t_ret, now_s(CLOCK_MONOTONIC));
		double pc = atomic_load(&d.t_ret) - atomic_load(&d.t_play);
		play_max = pc > play_max ? pc : play_max;
		while (atomic_load(&d.latency) < 0)
			usleep(1000);
		double l = atomic_load(&d.latency);
		all[i] = l;
		sum += l;
		max = l > max ? l : max;
		mixer_stop(m, h, 0);
		atomic_store(&d.t_play, 0.0);
		bool cut = false;
		while (!cut) {
			usleep(2000);
			while (mixer_next_event(m, &ev))
				cut |= ev.type == MIXER_EV_CUT || ev.type == MIXER_EV_FINISHED;
		}
	}
	atomic_store(&d.quit, true);
	pthread_join(th, NULL);
	for (int i = 1; i < N; i++) /* insertion sort for the 95th percentile */
		for (int j = i; j > 0 && all[j] < all[j - 1]; j--) {
			double x = all[j];
			all[j] = all[j - 1];
			all[j - 1] = x;
		}
	printf("latency_buffer%u_mean_ms=%.2f\n", buffer, 1e3 * sum / N);
	printf("latency_buffer%u_p95_ms=%.2f\n", buffer, 1e3 * all[N * 95 / 100]);
	printf("latency_buffer%u_max_ms=%.2f (target <= %.2f)\n", buffer, 1e3 * max,
	       1e3 * buffer / HAL_AUDIO_RATE + 5.0);
	/* 0 = every play sounded in the first render call that began after
	 * mixer_play returned: the rest of the latency is the device period and
	 * the scheduling of the thread that stands in for the device */
	printf("latency_buffer%u_play_call_max_ms=%.2f\n", buffer, 1e3 * play_max);
	printf("latency_buffer%u_silent_calls_after_play=%d\n", buffer, atomic_load(&d.missed));
	free(d.out);
	mixer_destroy(m);
}

static int
bench_latency(void)
{
	bench_latency_buffer(512);
	bench_latency_buffer(1024);
	return 0;
}

/* ---- idle ---- */

static void
idle_phase(const char *name, double seconds)
{
	struct rusage r0, r1;
	struct timespec ts = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};

	getrusage(RUSAGE_SELF, &r0);
	double t0 = now_s(CLOCK_MONOTONIC);
	while (nanosleep(&ts, &ts) < 0)
		;
	double wall = now_s(CLOCK_MONOTONIC) - t0;
	getrusage(RUSAGE_SELF, &r1);
	double cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) +
		     (double)(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
		     1e-6 * (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec +
				     r1.ru_stime.tv_usec - r0.ru_stime.tv_usec);
	/* every sleep of every thread is a voluntary context switch */
	printf("idle_%s_cpu_pct=%.3f\n", name, 100.0 * cpu / wall);
	printf("idle_%s_sleeps_per_s=%.1f\n", name, (double)(r1.ru_nvcsw - r0.ru_nvcsw) / wall);
}

static int
bench_idle(int argc, char **argv)
{
	double seconds = argc > 0 ? atof(argv[0]) : 3.0;
	struct mixer *m;
	struct hal_sink *s;
	char err[256];

	if (!(seconds > 0))
		seconds = 3.0;
	if (mixer_create(NULL, &m) < 0)
		return 1;
	if (hal_sink_create("sdl", mixer_sink_render, m, NULL, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		mixer_destroy(m);
		return 1;
	}
	const char *driver = getenv("SDL_AUDIODRIVER");
	printf("idle_driver=%s\nidle_buffer_frames=%u\n", driver ? driver : "(SDL's choice)",
	       hal_sink_buffer_frames(s));
	hal_sink_set_active(s, true);
	idle_phase("active", seconds);
	hal_sink_set_active(s, false);
	idle_phase("inactive", seconds);
	hal_sink_destroy(s);
	idle_phase("closed", seconds);
	mixer_destroy(m);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	if (strcmp(mode, "decode") == 0)
		return bench_decode(argc - 2, argv + 2);
	if (strcmp(mode, "mix") == 0)
		return bench_mix();
	if (strcmp(mode, "latency") == 0)
		return bench_latency();
	if (strcmp(mode, "seats") == 0)
		return bench_seats();
	if (strcmp(mode, "idle") == 0)
		return bench_idle(argc - 2, argv + 2);
	if (strcmp(mode, "loudness") == 0)
		return bench_loudness();
	if (strcmp(mode, "autogain") == 0)
		return bench_autogain();
	if (strcmp(mode, "mic") == 0)
		return bench_mic();
	if (strcmp(mode, "count-decode") == 0)
		return count_decode(argc - 2, argv + 2);
	if (strcmp(mode, "count-mix") == 0)
		return count_mix(argc - 2, argv + 2);
	fprintf(stderr,
		"usage: %s decode [CLIP...] | mix | seats | latency | idle [SECONDS] | loudness | autogain | "
		"mic | "
		"count-decode CLIP... | count-mix VOICES SECONDS\n",
		argv[0]);
	return 2;
}
