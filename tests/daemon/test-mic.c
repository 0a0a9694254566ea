/* The cabin microphone without a daemon (issue 22): the level of a block,
 * the wav: source on a caller's clock (blocks when due, silence after the
 * end, refusals), the sdl: source on SDL's dummy driver, and the noise
 * estimate and its gain, table-driven. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sndfile.h>

#include "guide/daemon/daemon_mic.h"
#include "hal/mic.h"
#include "tests/test.h"

static void
test_level(void)
{
	static float x[HAL_MIC_BLOCK_FRAMES];
	for (int i = 0; i < HAL_MIC_BLOCK_FRAMES; i++)
		x[i] = sinf(2.0f * (float)M_PI * 1000.0f * (float)i / HAL_MIC_RATE);
	CHECK_NEAR(hal_mic_level_db(x, HAL_MIC_BLOCK_FRAMES), -3.0103, 0.001);
	for (int i = 0; i < HAL_MIC_BLOCK_FRAMES; i++)
		x[i] = i & 1 ? 0.1f : -0.1f;
	CHECK_NEAR(hal_mic_level_db(x, HAL_MIC_BLOCK_FRAMES), -20.0, 0.001);
	memset(x, 0, sizeof(x));
	CHECK_NEAR(hal_mic_level_db(x, HAL_MIC_BLOCK_FRAMES), HAL_MIC_FLOOR_DB, 0);
	CHECK_NEAR(hal_mic_level_db(x, 0), HAL_MIC_FLOOR_DB, 0);
}

/* frames of +-amp (a square wave at amp is amp RMS) */
static void
write_wav(const char *path, int rate, int channels, const float *amps, int n_amps, int frames)
{
	SF_INFO info = {.samplerate = rate,
			.channels = channels,
			.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	CHECK(sf);
	if (!sf)
		return;
	float *buf = calloc((size_t)frames * (size_t)channels, sizeof(float));
	for (int a = 0; a < n_amps; a++) {
		for (int i = 0; i < frames * channels; i++)
			buf[i] = i & 1 ? amps[a] : -amps[a];
		sf_writef_float(sf, buf, frames);
	}
	free(buf);
	sf_close(sf);
}

static void
test_wav(const char *dir)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/test-mic.wav", dir);
	/* 300 ms at -20 dBFS, 200 ms at -40, then 50 ms more of -40 */
	const float amps[] = {0.1f, 0.1f, 0.1f, 0.01f, 0.01f};
	write_wav(path, HAL_MIC_RATE, 1, amps, 5, HAL_MIC_BLOCK_FRAMES);
	SF_INFO info = {.samplerate = HAL_MIC_RATE,
			.channels = 1,
			.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
	SNDFILE *sf = sf_open(path, SFM_RDWR, &info);
	static float tail[HAL_MIC_BLOCK_FRAMES / 2];
	for (int i = 0; i < HAL_MIC_BLOCK_FRAMES / 2; i++)
		tail[i] = i & 1 ? 0.01f : -0.01f;
	sf_seek(sf, 0, SEEK_END);
	sf_writef_float(sf, tail, HAL_MIC_BLOCK_FRAMES / 2);
	sf_close(sf);

	char spec[600];
	snprintf(spec, sizeof(spec), "wav:%s", path);
	struct hal_mic *m = NULL;
	CHECK_INT(hal_mic_create(spec, NULL, &m), 0);
	if (!m)
		return;
	CHECK_STR(hal_mic_name(m), "wav");
	for (int pass = 0; pass < 2; pass++) { /* a second start plays it from its start again */
		CHECK_INT(hal_mic_start(m), 0);
		float db = 0;
		CHECK_INT(hal_mic_read(m, 0, &db), 0);  /* nothing is due at once */
		CHECK_INT(hal_mic_read(m, 99, &db), 0); /* nor before a block's end */
		CHECK_INT(hal_mic_read(m, 100, &db), 1);
		CHECK_NEAR(db, -20.0, 0.01);
		CHECK_INT(hal_mic_read(m, 100, &db), 0);
		/* the clock jumped: every block due comes, in order */
		const double want[] = {-20,
				       -20,
				       -40,
				       -40,
				       -40 - 10 * log10(2.0),
				       HAL_MIC_FLOOR_DB,
				       HAL_MIC_FLOOR_DB};
		for (int i = 0; i < 7; i++) {
			CHECK_INT(hal_mic_read(m, 800, &db), 1);
			CHECK_NEAR(db, want[i], 0.02);
		}
		CHECK_INT(hal_mic_read(m, 800, &db), 0);
		/* silence after its end, as long as the clock runs */
		for (int i = 0; i < 100; i++) {
			CHECK_INT(hal_mic_read(m, 10800, &db), 1);
			CHECK_NEAR(db, HAL_MIC_FLOOR_DB, 0);
		}
		CHECK_INT(hal_mic_read(m, 10800, &db), 0);
	}
	hal_mic_destroy(m);
	hal_mic_destroy(NULL);

	/* refusals: another rate, stereo, a missing file, no file, a bad scheme */
	snprintf(path, sizeof(path), "%s/test-mic-44k.wav", dir);
	write_wav(path, 44100, 1, amps, 1, 4410);
	snprintf(spec, sizeof(spec), "wav:%s", path);
	m = NULL;
	CHECK_INT(hal_mic_create(spec, NULL, &m), -EINVAL);
	CHECK(!m);
	snprintf(path, sizeof(path), "%s/test-mic-stereo.wav", dir);
	write_wav(path, HAL_MIC_RATE, 2, amps, 1, 4800);
	snprintf(spec, sizeof(spec), "wav:%s", path);
	CHECK_INT(hal_mic_create(spec, NULL, &m), -EINVAL);
	snprintf(spec, sizeof(spec), "wav:%s/nosuch.wav", dir);
	CHECK_INT(hal_mic_create(spec, NULL, &m), -ENOENT);
	CHECK_INT(hal_mic_create("wav:", NULL, &m), -EINVAL);
	CHECK_INT(hal_mic_create("alsa:hw:0", NULL, &m), -EINVAL);
	CHECK(!m);
}

/* SDL's dummy driver captures silence in real time: a level of digital
 * silence arrives within a second or so. */
static void
test_sdl(void)
{
	setenv("SDL_AUDIODRIVER", "dummy", 1);
	struct hal_mic *m = NULL;
	CHECK_INT(hal_mic_create("sdl", NULL, &m), 0);
	if (!m)
		return;
	CHECK_STR(hal_mic_name(m), "sdl");
	if (hal_mic_start(m) < 0) {
		fprintf(stderr, "sdl: no capture on the dummy driver: skipped\n");
		hal_mic_destroy(m);
		return;
	}
	float db = 0;
	int got = 0;
	for (int i = 0; i < 500 && got < 3; i++) { /* 5 s at most */
		while (got < 3 && hal_mic_read(m, -1, &db) == 1) {
			got++;
			CHECK_NEAR(db, HAL_MIC_FLOOR_DB, 0);
		}
		usleep(10000);
	}
	CHECK_INT(got, 3);
	hal_mic_destroy(m);
}

static void
feed(struct daemon_mic_est *e, float db, bool narrating, int n)
{
	for (int i = 0; i < n; i++)
		daemon_mic_est_feed(e, db, narrating);
}

static void
test_estimate(void)
{
	struct daemon_mic_config c;
	daemon_mic_config_defaults(&c);
	CHECK_NEAR(c.quiet_db, -50, 0);
	CHECK_NEAR(c.loud_db, -25, 0);
	CHECK_NEAR(c.max_gain_db, 12, 0);
	const struct {
		double noise, gain;
	} map[] = {{-120, 0}, {-50, 0}, {-45, 2.4}, {-37.5, 6}, {-25, 12}, {-10, 12}};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		CHECK_NEAR(daemon_mic_target_gain(&c, map[i].noise), map[i].gain, 1e-9);

	struct daemon_mic_est e;
	/* no estimate before a gap of DAEMON_MIC_GAP_MIN levels */
	daemon_mic_est_init(&e, NULL);
	feed(&e, -20, true, 50);
	CHECK(!e.have);
	feed(&e, -40, false, DAEMON_MIC_GAP_MIN - 1);
	CHECK(!e.have);
	feed(&e, -40, false, 1);
	CHECK(e.have);
	CHECK_NEAR(e.noise_db, -40, 0); /* none of the voice before the gap */

	/* under narration the voice never raises it ... */
	feed(&e, -40, false, 30);
	for (int i = 0; i < 300; i++)
		daemon_mic_est_feed(&e, i % 4 ? -15.0f : -38.0f, true);
	CHECK_NEAR(e.noise_db, -40, 0);
	/* ... but a quieter cabin lowers it (the 10th percentile of 3 s) */
	for (int i = 0; i < 300; i++)
		daemon_mic_est_feed(&e, i % 4 ? -15.0f : -48.0f, true);
	CHECK_NEAR(e.noise_db, -48, 0);
	/* a cough in a gap: the median does not move */
	feed(&e, -44, false, 20);
	CHECK_NEAR(e.noise_db, -44, 0);
	feed(&e, -10, false, 3);
	CHECK_NEAR(e.noise_db, -44, 0);

	/* attack 3 s, release 10 s: one-pole in dB, 10 levels a second */
	daemon_mic_est_init(&e, NULL);
	feed(&e, -20, false, 30); /* 12 dB asked for from the 5th level on: 2.6 s */
	CHECK_NEAR(e.gain_db, 12 * (1 - exp(-2.6 / 3)), 0.001);
	feed(&e, -20, false, 270);
	CHECK_NEAR(e.gain_db, 12, 0.01);
	/* 10 s of a quiet cabin: the median of 20 turns after 11 levels, then
	 * 9 s of release */
	feed(&e, -70, false, 100);
	CHECK_NEAR(e.gain_db, 12 * exp(-0.9), 0.001);
}

int
main(void)
{
	char dir[] = "/tmp/test-mic-XXXXXX";
	if (!mkdtemp(dir))
		return 99;
	test_level();
	test_wav(dir);
	test_sdl();
	test_estimate();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	TEST_EXIT();
}
