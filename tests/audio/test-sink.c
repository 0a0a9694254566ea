/* Pulled sinks: null counts, wav writes the exact output with a valid
 * header (checked by hand, by `sox --i` and by Python's wave module), file:
 * writes WAV, FLAC and Ogg Opus (read back through libsndfile), 1 to 8
 * discrete channels. */
#include "audio-test.h"
#include "hal/sink.h"
#include "tests/test.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <unistd.h>

struct gen {
	uint64_t t;
	int calls;
	uint32_t ch; /* 0: stereo */
};

/* a deterministic test signal, channel c of frame t: */
static float
gen_value(uint64_t t, uint32_t c)
{
	float l = (float)(t % 1000) / 1000.0f;
	if (c == 0)
		return l;
	if (c == 1)
		return -l * 1.5f;                              /* clips in s16 */
	return (float)((t * (c + 1)) % 1000) / 1000.0f - 0.5f; /* its own per channel */
}

static void
gen_render(void *ud, float *out, uint32_t frames)
{
	struct gen *g = ud;
	uint32_t ch = g->ch ? g->ch : 2;
	for (uint32_t i = 0; i < frames; i++, g->t++)
		for (uint32_t c = 0; c < ch; c++)
			out[ch * i + c] = gen_value(g->t, c);
	g->calls++;
}

static uint32_t rd32(const uint8_t *p);

/* The payload of a RIFF chunk (walking them from the first after "WAVE"):
 * its offset, or -1; *size its length. */
static long
chunk(const uint8_t *b, long len, const char *id, uint32_t *size)
{
	for (long at = 12; at + 8 <= len;) {
		uint32_t n = rd32(b + at + 4);
		if (memcmp(b + at, id, 4) == 0) {
			*size = n;
			return at + 8;
		}
		at += 8 + n + (n & 1);
	}
	return -1;
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

/* The data starts here in a float WAV (stereo or mono) */
#define FLOAT_DATA 58

/* checks the header of a float WAV holding `frames` frames of ch channels;
 * returns the offset of the data */
static long
check_float_header(const char *path, long frames, int ch)
{
	long len, at = -1;
	uint32_t n = 0;
	uint8_t *b = slurp(path, &len);
	CHECK(b != NULL);
	if (!b)
		return -1;
	CHECK(memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WAVEfmt ", 8) == 0);
	CHECK_INT(rd32(b + 4), len - 8);
	long fmt = chunk(b, len, "fmt ", &n);
	CHECK_INT(fmt, 20);
	if (ch <= 2) {
		CHECK_INT(n, 18);
		CHECK_INT(b[20] | b[21] << 8, 3); /* IEEE float */
		CHECK_INT(b[36] | b[37] << 8, 0); /* cbSize */
	} else {
		/* WAVE_FORMAT_EXTENSIBLE, no speaker positions, IEEE float */
		static const uint8_t guid_float[16] = {3,    0, 0, 0,    0, 0,    0x10, 0,
						       0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71};
		CHECK_INT(n, 40);
		CHECK_INT(b[20] | b[21] << 8, 0xfffe);
		CHECK_INT(b[36] | b[37] << 8, 22); /* cbSize */
		CHECK_INT(b[38] | b[39] << 8, 32); /* valid bits */
		CHECK_INT(rd32(b + 40), 0);        /* dwChannelMask */
		CHECK(memcmp(b + 44, guid_float, 16) == 0);
	}
	CHECK_INT(b[22], ch);
	CHECK_INT(rd32(b + 24), 48000);
	CHECK_INT(rd32(b + 28), 48000 * 4 * ch); /* byte rate */
	CHECK_INT(b[32], 4 * ch);                /* block */
	CHECK_INT(b[34], 32);
	long fact = chunk(b, len, "fact", &n);
	CHECK(fact > 0 && n == 4 && rd32(b + fact) == frames);
	at = chunk(b, len, "data", &n);
	CHECK_INT(n, frames * 4 * ch);
	CHECK_INT(len, at + frames * 4 * ch);
	free(b);
	return at;
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
	uint32_t n = 0;
	CHECK(b && chunk(b, len, "data", &n) == FLOAT_DATA && n >= 96000 * 8 && n <= 120000 * 8);
	free(b);
	/* flush (the SIGINT/SIGTERM path): valid as it stands */
	CHECK_INT(hal_sink_flush(s), 0);
	check_float_header(path, 120000, 2);
	CHECK_INT(hal_sink_pull(s, 12345), 0);
	CHECK_INT(hal_sink_frames(s), 132345);
	CHECK_INT(hal_sink_channels(s), 2);
	hal_sink_destroy(s);
	CHECK_INT(check_float_header(path, 132345, 2), FLOAT_DATA);
	/* the samples are exactly what the callback produced */
	b = slurp(path, &len);
	float *x = malloc(132345 * 8); /* copy to align */
	memcpy(x, b + FLOAT_DATA, 132345 * 8);
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
	CHECK_STR(err, "unknown audio sink 'alsa' (sdl[:DEVICE] | wav:FILE | "
		       "file:NAME.wav|.flac|.opus | null)");
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

/* Opens spec with ch channels, pulls frames of the test signal, closes. */
static int
render_to(const char *spec, uint32_t ch, enum hal_sink_wav_format fmt, long frames, char *err,
	  size_t errlen)
{
	struct gen g = {.ch = ch};
	struct hal_sink *s;
	struct hal_sink_opts o;
	hal_sink_opts_defaults(&o);
	o.channels = ch;
	o.wav_format = fmt;
	int r = hal_sink_create(spec, gen_render, &g, &o, &s, err, errlen);
	if (r < 0)
		return r;
	CHECK_INT(hal_sink_channels(s), ch);
	CHECK_INT(hal_sink_pull(s, (uint32_t)frames), 0);
	CHECK_INT(g.t, frames);
	hal_sink_destroy(s);
	return 0;
}

/* 1, 6 and 8 channels of float WAV: exact samples, every channel its own;
 * above 2 WAVE_FORMAT_EXTENSIBLE with channel mask 0 (libsndfile alone
 * writes 0x3f / 0xff: 5.1 / 7.1 speakers) */
static void
test_wav_channels(const char *dir)
{
	char path[1024], spec[1100], err[256], cmd[2100];
	const uint32_t chs[] = {1, 6, 8};
	for (int k = 0; k < 3; k++) {
		uint32_t ch = chs[k];
		long frames = 30001, len;
		snprintf(path, sizeof(path), "%s/sink-ch%u.wav", dir, ch);
		snprintf(spec, sizeof(spec), "wav:%s", path);
		CHECK_INT(render_to(spec, ch, HAL_SINK_WAV_FLOAT32, frames, err, sizeof(err)), 0);
		long at = check_float_header(path, frames, (int)ch);
		uint8_t *b = slurp(path, &len);
		float *x = malloc((size_t)frames * ch * 4);
		long bad = 0;
		if (b && at > 0) {
			memcpy(x, b + at, (size_t)frames * ch * 4);
			for (long t = 0; t < frames; t++)
				for (uint32_t c = 0; c < ch; c++)
					bad += x[t * ch + c] != gen_value((uint64_t)t, c);
		}
		CHECK_INT(bad, 0);
		free(b), free(x);
		/* (sox warns about every extensible float WAV: its quirk) */
		CHECK_INT(at, ch > 2 ? 80 : FLOAT_DATA);
		snprintf(cmd, sizeof(cmd), "sox --i -c '%s' 2>%s", path,
			 ch > 2 ? "/dev/null" : "&1");
		char want[16];
		snprintf(want, sizeof(want), "%u\n", ch);
		CHECK_STR(run(cmd), want);
	}
}

/* FLAC, 8 channels, 16-bit whatever wav_format: each sample is the float
 * quantised by the S16 rule (read back through libsndfile). */
static void
test_flac(const char *dir)
{
	char path[1024], spec[1100], err[256];
	long frames = 48000 * 3 + 17;
	for (int k = 0; k < 2; k++) {
		snprintf(path, sizeof(path), "%s/sink-8ch-%d.flac", dir, k);
		snprintf(spec, sizeof(spec), "file:%s", path);
		CHECK_INT(render_to(spec, 8, k ? HAL_SINK_WAV_S16 : HAL_SINK_WAV_FLOAT32, frames,
				    err, sizeof(err)),
			  0);
		SF_INFO info = {0};
		SNDFILE *f = sf_open(path, SFM_READ, &info);
		CHECK(f != NULL);
		if (!f)
			continue;
		CHECK_INT(info.channels, 8);
		CHECK_INT(info.samplerate, 48000);
		CHECK_INT(info.frames, frames);
		CHECK_INT(info.format, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
		int16_t *x = malloc((size_t)frames * 8 * sizeof(int16_t));
		CHECK_INT(sf_readf_short(f, x, frames), frames);
		sf_close(f);
		long bad = 0;
		for (long t = 0; t < frames; t++)
			for (uint32_t c = 0; c < 8; c++) {
				float v = gen_value((uint64_t)t, c) * 32767.0f;
				v = v > 32767.0f ? 32767.0f : v < -32768.0f ? -32768.0f : v;
				bad += x[t * 8 + c] != (int16_t)lrintf(v);
			}
		CHECK_INT(bad, 0);
		free(x);
	}
}

/* Ogg Opus: stereo renders; more channels refused (libsndfile would code
 * them as surround) */
static void
test_opus(const char *dir)
{
	char path[1024], spec[1100], err[512];
	long frames = 48000 * 2;
	snprintf(path, sizeof(path), "%s/sink-stereo.opus", dir);
	snprintf(spec, sizeof(spec), "file:%s", path);
	CHECK_INT(render_to(spec, 2, HAL_SINK_WAV_FLOAT32, frames, err, sizeof(err)), 0);
	SF_INFO info = {0};
	SNDFILE *f = sf_open(path, SFM_READ, &info);
	CHECK(f != NULL);
	if (f) {
		CHECK_INT(info.channels, 2);
		CHECK_INT(info.format, SF_FORMAT_OGG | SF_FORMAT_OPUS);
		CHECK_INT(info.frames, frames);
		sf_close(f);
	}
	snprintf(path, sizeof(path), "%s/sink-6ch.opus", dir);
	snprintf(spec, sizeof(spec), "file:%s", path);
	CHECK_INT(render_to(spec, 6, HAL_SINK_WAV_FLOAT32, 100, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "Ogg Opus takes 1 or 2 channels, not 6"));
	CHECK(access(path, F_OK) != 0); /* nothing created */
}

static void
test_file_errors(const char *dir)
{
	char err[512];
	struct gen g = {0};
	struct hal_sink *s = NULL;
	struct hal_sink_opts o;

	CHECK_INT(hal_sink_create("file:x.mp3", gen_render, &g, NULL, &s, err, sizeof(err)),
		  -EINVAL);
	CHECK_STR(err, "file:x.mp3: the name must end in .wav, .flac or .opus");
	CHECK_INT(hal_sink_create("file:", gen_render, &g, NULL, &s, err, sizeof(err)), -EINVAL);
	CHECK_INT(hal_sink_create("wav:x.flac", gen_render, &g, NULL, &s, err, sizeof(err)),
		  -EINVAL);
	CHECK_STR(err, "wav:x.flac would write a WAV file under that name: use file:x.flac for "
		       "FLAC");
	hal_sink_opts_defaults(&o);
	o.channels = 9;
	CHECK_INT(hal_sink_create("null", gen_render, &g, &o, &s, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "9 output channels asked for: a sink takes 1 to 8");
	/* null with 8 channels: blocks of 1024 frames (the same floats as
	 * 4096 stereo frames) */
	o.channels = 8;
	g.ch = 8;
	CHECK_INT(hal_sink_create("null", gen_render, &g, &o, &s, err, sizeof(err)), 0);
	CHECK_INT(hal_sink_channels(s), 8);
	CHECK_INT(hal_sink_pull(s, 10000), 0);
	CHECK_INT(g.calls, 10);
	hal_sink_destroy(s);
	/* 0 is stereo */
	o.channels = 0;
	CHECK_INT(hal_sink_create("null", gen_render, &g, &o, &s, err, sizeof(err)), 0);
	CHECK_INT(hal_sink_channels(s), 2);
	hal_sink_destroy(s);
	(void)dir;
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
	CHECK_INT(len, FLOAT_DATA + 80000 * 8);
	CHECK(b && memcmp(b + FLOAT_DATA, ref, 80000 * 8) == 0);
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
	test_wav_channels(dir);
	test_flac(dir);
	test_opus(dir);
	test_file_errors(dir);
	TEST_EXIT();
}
