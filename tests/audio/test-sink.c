/* Pulled sinks: null counts, wav writes the exact output with a valid
 * header (checked by hand, by `sox --i` and by Python's wave module). */
#include "audio-test.h"
#include "hal/sink.h"
#include "tests/test.h"

#include <errno.h>
#include <stdint.h>

struct gen {
	uint64_t t;
	int calls;
};

/* a deterministic test signal: frame t -> (t % 1000) / 1000, negated on R */
static void
gen_render(void *ud, float *out, uint32_t frames)
{
	struct gen *g = ud;
	for (uint32_t i = 0; i < frames; i++, g->t++) {
		out[2 * i] = (float)(g->t % 1000) / 1000.0f;
		out[2 * i + 1] = -out[2 * i] * 1.5f; /* clips in s16 */
	}
	g->calls++;
}

static uint32_t
rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint8_t *
slurp(const char *path, long *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc((size_t)*len + 1);
	if (fread(b, 1, (size_t)*len, f) != (size_t)*len)
		*len = -1;
	fclose(f);
	return b;
}

static char *
run(const char *cmd)
{
	static char buf[4096];
	FILE *p = popen(cmd, "r");
	size_t n = p ? fread(buf, 1, sizeof(buf) - 1, p) : 0;
	buf[n] = '\0';
	if (p)
		pclose(p);
	return buf;
}

/* checks the header of a float WAV holding `frames` frames */
static void
check_float_header(const char *path, long frames)
{
	long len;
	uint8_t *b = slurp(path, &len);
	CHECK(b != NULL);
	if (!b)
		return;
	CHECK_INT(len, 58 + frames * 8);
	CHECK(memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WAVEfmt ", 8) == 0);
	CHECK_INT(rd32(b + 4), len - 8);
	CHECK_INT(rd32(b + 16), 18);
	CHECK_INT(b[20] | b[21] << 8, 3); /* IEEE float */
	CHECK_INT(b[22], 2);
	CHECK_INT(rd32(b + 24), 48000);
	CHECK_INT(b[34], 32);
	CHECK(memcmp(b + 38, "fact", 4) == 0);
	CHECK_INT(rd32(b + 46), frames);
	CHECK(memcmp(b + 50, "data", 4) == 0);
	CHECK_INT(rd32(b + 54), frames * 8);
	free(b);
}

static void
test_wav_float(const char *dir)
{
	char path[1024], cmd[2048], err[256];
	struct gen g = {0};
	struct hal_sink *s;
	snprintf(path, sizeof(path), "%s/sink-float.wav", dir);

	struct hal_sink_opts o;
	hal_sink_opts_defaults(&o);
	char spec[1100];
	snprintf(spec, sizeof(spec), "wav:%s", path);
	CHECK_INT(hal_sink_create(spec, gen_render, &g, &o, &s, err, sizeof(err)), 0);
	CHECK(hal_sink_is_pulled(s));
	CHECK_STR(hal_sink_name(s), "wav");
	/* periodic header: after 2.5 s the header holds at least 2 s */
	CHECK_INT(hal_sink_pull(s, 120000), 0);
	long len;
	uint8_t *b = slurp(path, &len);
	CHECK(b && rd32(b + 54) >= 96000 * 8 && rd32(b + 54) <= 120000 * 8);
	free(b);
	/* flush (the SIGINT/SIGTERM path): valid as it stands */
	CHECK_INT(hal_sink_flush(s), 0);
	check_float_header(path, 120000);
	CHECK_INT(hal_sink_pull(s, 12345), 0);
	CHECK_INT(hal_sink_frames(s), 132345);
	hal_sink_destroy(s);
	check_float_header(path, 132345);
	/* the samples are exactly what the callback produced */
	b = slurp(path, &len);
	float *x = malloc(132345 * 8); /* the data starts at byte 58: copy to align */
	memcpy(x, b + 58, 132345 * 8);
	long bad = 0;
	for (long t = 0; t < 132345; t++) {
		float l = (float)(t % 1000) / 1000.0f;
		bad += x[2 * t] != l || x[2 * t + 1] != -l * 1.5f;
	}
	CHECK_INT(bad, 0);
	free(b), free(x);
	snprintf(cmd, sizeof(cmd), "sox --i '%s' 2>&1", path);
	char *info = run(cmd);
	CHECK(strstr(info, "Channels       : 2"));
	CHECK(strstr(info, "Sample Rate    : 48000"));
	CHECK(strstr(info, "= 132345 samples"));
	CHECK(strstr(info, "32-bit Floating Point PCM"));
	if (!strstr(info, "132345 samples"))
		fprintf(stderr, "%s\n", info);
}

static void
test_wav_s16(const char *dir)
{
	char path[1024], cmd[2048], err[256], spec[1100];
	struct gen g = {0};
	struct hal_sink *s;
	struct hal_sink_opts o;
	hal_sink_opts_defaults(&o);
	o.wav_format = HAL_SINK_WAV_S16;
	snprintf(path, sizeof(path), "%s/sink-s16.wav", dir);
	snprintf(spec, sizeof(spec), "wav:%s", path);
	CHECK_INT(hal_sink_create(spec, gen_render, &g, &o, &s, err, sizeof(err)), 0);
	CHECK_INT(hal_sink_pull(s, 50001), 0);
	hal_sink_destroy(s);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c \"import wave; w = wave.open('%s'); "
		 "print(w.getnchannels(), w.getframerate(), w.getsampwidth(), w.getnframes()); "
		 "d = w.readframes(3); print(int.from_bytes(d[8:10], 'little', signed=True), "
		 "int.from_bytes(d[10:12], 'little', signed=True))\" 2>&1",
		 path);
	char *out = run(cmd);
	/* frame 2: L = 0.002 * 32767 = 65.5 -> 66; R = -0.003 * 32767 -> -98 */
	CHECK_STR(out, "2 48000 2 50001\n66 -98\n");
	snprintf(cmd, sizeof(cmd), "sox --i -s '%s' 2>&1", path);
	CHECK_STR(run(cmd), "50001\n");
}

static void
test_null_and_errors(void)
{
	char err[256];
	struct gen g = {0};
	struct hal_sink *s = NULL;

	CHECK_INT(hal_sink_create("null", gen_render, &g, NULL, &s, err, sizeof(err)), 0);
	CHECK_INT(hal_sink_pull(s, 10000), 0);
	CHECK_INT(hal_sink_frames(s), 10000);
	CHECK_INT(g.t, 10000);
	CHECK_INT(g.calls, 3);                      /* blocks of 4096 */
	CHECK_INT(hal_sink_set_active(s, true), 0); /* pulled: a no-op */
	CHECK_INT(hal_sink_pull(s, 100), 0);
	CHECK_INT(hal_sink_set_active(s, false), 0);
	CHECK_INT(hal_sink_frames(s), 10100);
	CHECK_INT(hal_sink_buffer_frames(s), 0);
	CHECK_INT(hal_sink_poll(s), 0);
	CHECK_INT(hal_sink_flush(s), 0);
	hal_sink_destroy(s);
	hal_sink_destroy(NULL);

	CHECK_INT(hal_sink_create("alsa", gen_render, &g, NULL, &s, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "unknown audio sink 'alsa' (sdl[:DEVICE] | wav:FILE | null)");
	/* the scheme is the whole name before ':' */
	CHECK_INT(hal_sink_create("nullx", gen_render, &g, NULL, &s, err, sizeof(err)), -EINVAL);
	CHECK_INT(hal_sink_create("null:x", gen_render, &g, NULL, &s, err, sizeof(err)), -EINVAL);
	CHECK_INT(hal_sink_create("wav", gen_render, &g, NULL, &s, err, sizeof(err)), -EINVAL);
	CHECK_INT(hal_sink_create("wav:", gen_render, &g, NULL, &s, err, sizeof(err)), -EINVAL);
	CHECK_INT(hal_sink_create("wav:/nonexistent/dir/x.wav", gen_render, &g, NULL, &s, err,
				  sizeof(err)),
		  -ENOENT);
	CHECK(strstr(err, "/nonexistent/dir/x.wav"));
}

/* The mixer rendered offline through a wav sink equals the same render
 * straight into memory. */
static void
test_mixer_to_wav(const char *dir)
{
	char path[1024], spec[1100], err[256];
	struct mixer_config c;
	struct mixer *m1, *m2;
	struct hal_sink *s;
	mixer_config_defaults(&c);
	c.offline = true;
	mixer_create(&c, &m1);
	mixer_create(&c, &m2);
	snprintf(path, sizeof(path), "%s/sink-mix.wav", dir);
	snprintf(spec, sizeof(spec), "wav:%s", path);
	CHECK_INT(hal_sink_create(spec, mixer_sink_render, m1, NULL, &s, err, sizeof(err)), 0);
	mixer_play(m1, MIXER_NARRATION, data_path("chord-stereo.opus"), 0.9f, 1, err, sizeof(err));
	mixer_play(m2, MIXER_NARRATION, data_path("chord-stereo.opus"), 0.9f, 1, err, sizeof(err));
	hal_sink_pull(s, 80000);
	hal_sink_destroy(s);
	float *ref = calloc(2 * 80000, sizeof(float));
	for (int i = 0; i < 80000; i += 4096)
		mixer_render_offline(m2, ref + 2 * i, 80000 - i < 4096 ? 80000 - i : 4096);
	long len;
	uint8_t *b = slurp(path, &len);
	CHECK_INT(len, 58 + 80000 * 8);
	CHECK(b && memcmp(b + 58, ref, 80000 * 8) == 0);
	free(b), free(ref);
	mixer_destroy(m1);
	mixer_destroy(m2);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	test_wav_float(dir);
	test_wav_s16(dir);
	test_null_and_errors();
	test_mixer_to_wav(dir);
	TEST_EXIT();
}
