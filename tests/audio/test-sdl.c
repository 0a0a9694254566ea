/* The real SDL2 path: SDL's audio thread calls mixer_render through the sdl
 * sink.  argv[1] says which driver the environment selected:
 *   dummy     the clip plays to its end through the callback;
 *   disk      SDL writes what the callback produced to SDL_DISKAUDIOFILE:
 *             read it back and compare it with the offline mix, sample for
 *             sample;
 *   fallback  a device that cannot open: the sink falls back (default
 *             device, then the dummy driver) with a warning, and plays.
 * Waiting uses a bound of 20 s on polling, never a timing assertion. */
#include "audio-test.h"
#include "hal/sink.h"
#include "tests/test.h"

#include <errno.h>
#include <unistd.h>

static char warnings[2048];

static void
log_cb(void *ud, enum hal_log_level level, const char *msg)
{
	(void)ud;
	if (level <= HAL_LOG_WARNING) {
		strncat(warnings, msg, sizeof(warnings) - strlen(warnings) - 2);
		strcat(warnings, "\n");
	}
}

/* plays the clip through spec; returns the mixer's events */
/* Plays clip through the sdl sink to its end.  reopen: then makes the sink
 * inactive (the device closes) and active again (it reopens; on the disk
 * driver that starts a new file, so the disk test leaves it out). */
static int
play_through(const char *spec, const char *clip, struct evlog *log, bool reopen)
{
	struct mixer_config c;
	struct mixer *m;
	struct hal_sink *s;
	struct hal_sink_opts o;
	char err[256];

	mixer_config_defaults(&c);
	c.ring_frames = 1 << 17;    /* the whole clip fits ... */
	c.prefill_frames = 1 << 17; /* ... and is decoded before play returns: no underrun */
	CHECK_INT(mixer_create(&c, &m), 0);
	hal_sink_opts_defaults(&o);
	o.buffer_frames = 512;
	o.log = log_cb;
	int r = hal_sink_create(spec, mixer_sink_render, m, &o, &s, err, sizeof(err));
	CHECK_INT(r, 0);
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		mixer_destroy(m);
		return -1;
	}
	CHECK_STR(hal_sink_name(s), "sdl");
	CHECK(!hal_sink_is_pulled(s));
	CHECK_INT(hal_sink_pull(s, 100), -ENOTSUP);
	CHECK_INT(hal_sink_buffer_frames(s), 512);
	CHECK_INT(hal_sink_set_active(s, true), 0);
	mixer_handle h =
		mixer_play(m, MIXER_NARRATION, data_path(clip), 0.75f, 9, err, sizeof(err));
	CHECK(h > 0);
	bool done = false;
	for (int i = 0; i < 4000 && !done; i++) { /* 20 s bound */
		usleep(5000);
		CHECK_INT(hal_sink_poll(s), 0);
		drain(m, log);
		done = find_event(log, MIXER_EV_FINISHED, h) != NULL;
	}
	CHECK(done);
	/* inactive: no callback runs from the moment set_active returns */
	CHECK_INT(hal_sink_set_active(s, false), 0);
	uint64_t paused_at = hal_sink_frames(s);
	usleep(100 * 1000);
	CHECK(hal_sink_frames(s) == paused_at);
	if (reopen) {
		/* active again: the device reopens and the callback comes back */
		CHECK_INT(hal_sink_set_active(s, true), 0);
		for (int i = 0; i < 4000 && hal_sink_frames(s) == paused_at; i++)
			usleep(5000);
		CHECK(hal_sink_frames(s) > paused_at);
		CHECK_INT(hal_sink_set_active(s, false), 0);
		CHECK_INT(hal_sink_set_active(s, false), 0); /* twice: a no-op */
	}
	CHECK(hal_sink_frames(s) >= 48000);
	CHECK_INT(mixer_underruns(m), 0);
	hal_sink_destroy(s);
	mixer_destroy(m);
	return 0;
}

static void
test_disk(void)
{
	const char *file = getenv("SDL_DISKAUDIOFILE");
	struct evlog log = {0};
	CHECK(file != NULL);
	if (!file)
		return;
	if (play_through("sdl", "chord-stereo.opus", &log, false) < 0)
		return;
	/* the expected mix: the same play rendered offline */
	struct mixer_config c;
	struct mixer *m;
	char err[256];
	mixer_config_defaults(&c);
	c.offline = true;
	mixer_create(&c, &m);
	mixer_play(m, MIXER_NARRATION, data_path("chord-stereo.opus"), 0.75f, 9, err, sizeof(err));
	long n = 80000;
	float *ref = calloc(2 * (size_t)n, sizeof(float));
	mixer_render_offline(m, ref, (uint32_t)n);
	mixer_destroy(m);

	FILE *f = fopen(file, "rb");
	CHECK(f != NULL);
	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	long bytes = ftell(f);
	fseek(f, 0, SEEK_SET);
	float *disk = malloc((size_t)bytes + 8);
	CHECK_INT(fread(disk, 1, (size_t)bytes, f), bytes);
	fclose(f);
	long frames = bytes / 8;
	long d0 = 0, r0 = 0;
	while (d0 < 2 * frames && disk[d0] == 0.0f)
		d0++;
	while (r0 < 2 * n && ref[r0] == 0.0f)
		r0++;
	long off = d0 - r0; /* where the play landed in the device stream */
	CHECK(off >= 0 && off % 2 == 0 && (off / 2) % 512 == 0); /* at a callback boundary */
	long bad = 0, cmp = 0;
	for (long i = 0; i < 2 * n && off + i < 2 * frames; i++, cmp++)
		bad += disk[off + i] != ref[i];
	CHECK_INT(bad, 0);
	CHECK(cmp >= 2 * 72000); /* the whole 1.5 s clip came out of the device */
	fprintf(stderr, "disk: %ld frames written, clip at frame %ld, %ld samples equal\n", frames,
		off / 2, cmp - bad);
	const struct mixer_event *st = log.n ? &log.ev[0] : NULL;
	/* SDL may write silence of its own before the first callback, so the
	 * mixer's frame count is at most the position in the file */
	CHECK(st && st->type == MIXER_EV_STARTED && (long)st->frame <= off / 2 &&
	      st->frame % 512 == 0);
	free(disk), free(ref);
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "dummy";
	struct evlog log = {0};

	if (strcmp(mode, "disk") == 0) {
		test_disk();
	} else if (strcmp(mode, "fallback") == 0) {
		play_through("sdl:no-such-device-here", "sine440-mono.opus", &log, true);
		fprintf(stderr, "warnings:\n%s", warnings);
		CHECK(strstr(warnings, "cannot open device 'no-such-device-here'"));
		CHECK(strstr(warnings, "falling back to 'dummy'"));
	} else {
		play_through("sdl", "sine440-mono.opus", &log, true);
		CHECK_STR(warnings, "");
	}
	TEST_EXIT();
}
