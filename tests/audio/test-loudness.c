/* Even loudness and no clipping (issue 17), measured on the mixer's output
 * with libebur128: clips recorded 12 dB apart play within 1 LU of each other
 * and of CLIP_TARGET_LUFS; the shipped clips over a loud music bed at full
 * volume never reach full scale. */
#include "audio-test.h"
#include "audio/clip.h"
#include "audio/limiter.h"
#include "tests/test.h"

#include <dirent.h>
#include <ebur128.h>
#include <errno.h>

static struct mixer *
offline_mixer(void)
{
	struct mixer_config c;
	struct mixer *m;
	mixer_config_defaults(&c);
	c.offline = true;
	if (mixer_create(&c, &m) < 0)
		exit(99);
	return m;
}

/* Integrated loudness of the mixer's output while one clip plays alone. */
static double
played_lufs(const char *name)
{
	struct mixer *m = offline_mixer();
	char err[256];
	struct ref ref = ref_decode(name);
	mixer_handle h = mixer_play(m, MIXER_NARRATION, data_path(name), 1.0f, 1, err, sizeof(err));
	CHECK(h > 0);
	long n = ref.frames;
	float *out = malloc(sizeof(float) * 2 * (size_t)n);
	mixer_render_offline(m, out, (uint32_t)n);
	ebur128_state *st = ebur128_init(2, HAL_AUDIO_RATE, EBUR128_MODE_I);
	ebur128_add_frames_float(st, out, (size_t)n);
	double lufs;
	ebur128_loudness_global(st, &lufs);
	ebur128_destroy(&st);
	free(out);
	free(ref.s);
	mixer_destroy(m);
	fprintf(stderr, "%s plays at %.2f LUFS\n", name, lufs);
	return lufs;
}

/* The same speech 12 dB apart, each with its R128_TRACK_GAIN
 * (data/make-clips.sh): the same loudness out, at the target. */
static void
test_even_loudness(void)
{
	double loud = played_lufs("speech-loud.opus");
	double quiet = played_lufs("speech-quiet.opus");
	double untagged = played_lufs("speech-quiet-untagged.opus");
	CHECK_NEAR(loud - quiet, 0.0, 1.0);
	CHECK_NEAR(loud, CLIP_TARGET_LUFS, 1.0);
	CHECK_NEAR(quiet, CLIP_TARGET_LUFS, 1.0);
	/* without the comment a clip plays at its recorded level */
	CHECK(quiet - untagged > 10.0);

	struct clip *c;
	char err[256];
	CHECK_INT(clip_open(data_path("speech-quiet.opus"), &c, err, sizeof(err)), 0);
	CHECK(clip_has_track_gain(c));
	CHECK(clip_gain_db(c) > 12.0 && clip_gain_db(c) < 14.0);
	clip_close(c);
	CHECK_INT(clip_open(data_path("speech-quiet-untagged.opus"), &c, err, sizeof(err)), 0);
	CHECK(!clip_has_track_gain(c));
	CHECK(clip_gain_db(c) == 0.0);
	clip_close(c);
	/* the boost is capped: a whisper is not raised into noise */
	CHECK_NEAR(clip_play_gain_db(40 * 256), CLIP_MAX_BOOST_DB, 1e-9);
	CHECK_NEAR(clip_play_gain_db(-5 * 256), -5.0 + CLIP_TARGET_LUFS - CLIP_R128_REFERENCE_LUFS,
		   1e-9);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every shipped clip, one after another as narrations, over a music bed
 * of four loud voices (pink noise at +12 dB each, ducked as usual) at full
 * volume: not one sample at or above full scale, and none above the
 * limiter's threshold. */
static void
test_no_clipping(void)
{
	const char *root = getenv("GUIDE_SOURCE_ROOT");
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/routes/798-751/clips", root ? root : GUIDE_SOURCE_ROOT);
	DIR *d = opendir(dir);
	CHECK(d != NULL);
	if (!d)
		return;
	char *names[256];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 256)
		if (strstr(e->d_name, ".opus"))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof(*names), by_name);
	CHECK(n >= 30);

	struct mixer *m = offline_mixer();
	mixer_set_volume(m, 1.0f);
	struct limiter probe;
	limiter_init(&probe, 2, HAL_AUDIO_RATE);
	enum { BLOCK = 4800 };
	static float out[2 * BLOCK];
	char err[256], path[1400];
	mixer_handle music[4] = {0};
	double frames = 0, over = 0, above = 0;
	float peak = 0.0f;
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		mixer_handle h = mixer_play(m, MIXER_NARRATION, path, 1.0f, 1, err, sizeof(err));
		CHECK(h > 0);
		bool done = h <= 0;
		while (!done) {
			for (int k = 0; k < 4; k++)
				if (music[k] == 0)
					music[k] = mixer_play(m, MIXER_MUSIC,
							      data_path("music-stereo.opus"), 4.0f,
							      2 + k, err, sizeof(err));
			mixer_render_offline(m, out, BLOCK);
			frames += BLOCK;
			for (int k = 0; k < 2 * BLOCK; k++) {
				float a = fabsf(out[k]);
				peak = a > peak ? a : peak;
				over += a >= 1.0f;
				above += a > probe.threshold;
			}
			struct mixer_event ev;
			while (mixer_next_event(m, &ev)) {
				if (ev.handle == h && ev.type != MIXER_EV_STARTED)
					done = true;
				for (int k = 0; k < 4; k++)
					if (ev.handle == music[k] && ev.type != MIXER_EV_STARTED)
						music[k] = 0;
			}
		}
		free(names[i]);
	}
	fprintf(stderr, "%d shipped clips over the music bed: %.1f s, peak %.4f\n", n,
		frames / HAL_AUDIO_RATE, peak);
	CHECK(over == 0);
	CHECK(above == 0);
	CHECK(peak > 0.5f); /* limited, not silent */
	mixer_destroy(m);
}

int
main(void)
{
	test_even_loudness();
	test_no_clipping();
	TEST_EXIT();
}
