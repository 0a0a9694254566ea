/* Mixer behaviour, sample-exact, in offline mode (no threads, no clock). */
#include "audio-test.h"
#include "audio/clip.h"
#include "tests/test.h"

#include <errno.h>
#include <math.h>

#define RAMP 240 /* 5 ms */

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

/* Renders n frames in odd-sized chunks (block boundaries must not matter
 * to a single voice). */
static float *
render(struct mixer *m, long n, long chunk)
{
	float *out = calloc((size_t)n * 2 + 2, sizeof(float));
	for (long i = 0; i < n; i += chunk)
		mixer_render_offline(m, out + 2 * i, (uint32_t)(n - i < chunk ? n - i : chunk));
	return out;
}

/* A known clip at a known gain equals the reference times the gain, with
 * the start ramp given by mixer_ramp_gain; then silence; events exact. */
static void
test_gain_exact(const char *name)
{
	struct ref ref = ref_decode(name);
	struct mixer *m = offline_mixer();
	struct evlog log = {0};
	char err[256];
	const float gain = 0.5f;

	mixer_handle h =
		mixer_play(m, MIXER_NARRATION, data_path(name), gain, 42, err, sizeof(err));
	CHECK(h > 0);
	long n = ref.frames + 3000;
	float *out = render(m, n, 1000);
	drain(m, &log);
	long bad = 0;
	for (long k = 0; k < n; k++) {
		float g = mixer_ramp_gain(0.0f, gain, (uint32_t)k, RAMP);
		for (int c = 0; c < 2; c++) {
			float want = k < ref.frames ? g * ref.s[2 * k + c] : 0.0f;
			if (out[2 * k + c] != want && bad++ < 5)
				fprintf(stderr, "%s frame %ld ch %d: %.9g != %.9g\n", name, k, c,
					out[2 * k + c], want);
		}
	}
	CHECK_INT(bad, 0);
	const struct mixer_event *e = find_event(&log, MIXER_EV_STARTED, h);
	CHECK(e && e->frame == 0 && e->user_id == 42 && e->kind == MIXER_NARRATION);
	e = find_event(&log, MIXER_EV_FINISHED, h);
	CHECK(e && (long)e->frame == ref.frames && e->clip_frame == ref.frames);
	CHECK_INT(mixer_underruns(m), 0);
	CHECK_INT(mixer_active_voices(m), 0);
	free(out);
	free(ref.s);
	mixer_destroy(m);
}

/* Master volume ramps with the same formula, multiplying the voice sum. */
static void
test_volume_exact(void)
{
	struct ref ref = ref_decode("chord-stereo.opus");
	struct mixer *m = offline_mixer();
	char err[256];

	/* the volume is a level: a burst of changes before the audio thread
	 * reads any (a closed device, a slider) neither fills the command
	 * queue nor loses the play that follows; the last one counts, exactly
	 * as if it were the only one (regression: 300 changes filled it) */
	for (int i = 0; i < 1000; i++)
		CHECK_INT(mixer_set_volume(m, (float)(i % 100) / 100.0f), 0);
	CHECK_INT(mixer_set_volume(m, 0.25f), 0);
	CHECK(mixer_play(m, MIXER_MUSIC, data_path("chord-stereo.opus"), 0.8f, 1, err,
			 sizeof(err)) > 0);
	long n = 4800;
	float *out = render(m, n, 512);
	long bad = 0;
	for (long k = 0; k < n; k++) {
		float g = mixer_ramp_gain(0.0f, 0.8f, (uint32_t)k, RAMP);
		float v = mixer_ramp_gain(1.0f, 0.25f, (uint32_t)k, RAMP);
		for (int c = 0; c < 2; c++)
			bad += out[2 * k + c] != v * (g * ref.s[2 * k + c]);
	}
	CHECK_INT(bad, 0);
	free(out);
	free(ref.s);
	mixer_destroy(m);
}

/* A stop fades out over the requested time, monotonically, without a
 * click, ends with CUT at the exact frame; pause holds and resumes. */
static void
test_fade_and_pause(void)
{
	struct ref ref = ref_decode("speech-mono.opus");
	struct mixer *m = offline_mixer();
	struct evlog log = {0};
	char err[256];

	mixer_handle h = mixer_play(m, MIXER_NARRATION, data_path("speech-mono.opus"), 1.0f, 7, err,
				    sizeof(err));
	CHECK(h > 0);
	const long T1 = 48000, P = 9600, T2 = 24000, F = 2400;
	float *a = render(m, T1, 4800);
	/* pause: 240-frame ramp to 0 while the voice goes on, then held */
	CHECK_INT(mixer_pause(m), 0);
	float *b = render(m, P, 4800);
	long bad = 0;
	for (long k = 0; k < P; k++) {
		float v = mixer_ramp_gain(1.0f, 0.0f, (uint32_t)k, RAMP);
		float want = k < RAMP ? v * (1.0f * ref.s[2 * (T1 + k)]) : 0.0f;
		bad += b[2 * k] != want;
	}
	CHECK_INT(bad, 0);
	/* resume: from clip frame T1 + RAMP, ramp back in */
	CHECK_INT(mixer_resume(m), 0);
	float *c = render(m, T2, 4800);
	bad = 0;
	for (long k = 0; k < T2; k++) {
		float v = mixer_ramp_gain(0.0f, 1.0f, (uint32_t)k, RAMP);
		bad += c[2 * k] != v * (1.0f * ref.s[2 * (T1 + RAMP + k)]);
	}
	CHECK_INT(bad, 0);
	/* stop with a 50 ms fade */
	CHECK_INT(mixer_stop(m, h, 50), 0);
	float *d = render(m, 9600, 4800);
	long pos = T1 + RAMP + T2;
	bad = 0;
	float maxstep_ref = 0, maxstep = 0, prev_g = 1.0f;
	int monotonic = 1;
	for (long k = 0; k < 9600; k++) {
		float g = mixer_ramp_gain(1.0f, 0.0f, (uint32_t)k, F);
		float want = k < F ? g * ref.s[2 * (pos + k)] : 0.0f;
		bad += d[2 * k] != want;
		if (g > prev_g)
			monotonic = 0;
		prev_g = g;
		if (k > 0 && k < F + 1) {
			float st = fabsf(d[2 * k] - d[2 * (k - 1)]);
			float sr = fabsf(ref.s[2 * (pos + k)] - ref.s[2 * (pos + k - 1)]);
			maxstep = st > maxstep ? st : maxstep;
			maxstep_ref = sr > maxstep_ref ? sr : maxstep_ref;
		}
	}
	CHECK_INT(bad, 0);
	CHECK(monotonic);
	/* |g1 s1 - g0 s0| <= |s1 - s0| + |g1 - g0| |s0|: no step beyond the
	 * signal's own plus one ramp increment */
	CHECK(maxstep <= maxstep_ref + 1.0f / F + 1e-6f);
	/* the pause and resume edges are click-free too */
	float edge = 0;
	for (long k = 1; k < RAMP + 1; k++) {
		float s1 = fabsf(b[2 * k] - b[2 * (k - 1)]), s2 = fabsf(c[2 * k] - c[2 * (k - 1)]);
		edge = s1 > edge ? s1 : edge;
		edge = s2 > edge ? s2 : edge;
	}
	CHECK(edge < 0.05f);
	drain(m, &log);
	const struct mixer_event *e = find_event(&log, MIXER_EV_CUT, h);
	CHECK(e && (long)e->frame == T1 + P + T2 + F && e->clip_frame == pos + F);
	CHECK(e && strcmp(e->reason, "stopped") == 0);
	CHECK(!find_event(&log, MIXER_EV_FINISHED, h));
	free(a), free(b), free(c), free(d), free(ref.s);
	mixer_destroy(m);
}

/* Music is ducked by duck_db under a narration, exactly, and comes back. */
static void
test_ducking(void)
{
	struct ref mu = ref_decode("music-stereo.opus");
	struct ref na = ref_decode("sine440-mono.opus");
	struct mixer *m = offline_mixer();
	char err[256];
	const float duck = powf(10.0f, -12.0f / 20.0f);
	const long DUCK = 4800; /* 100 ms */

	mixer_play(m, MIXER_MUSIC, data_path("music-stereo.opus"), 1.0f, 1, err, sizeof(err));
	float *a = render(m, 24000, 24000);
	mixer_play(m, MIXER_NARRATION, data_path("sine440-mono.opus"), 1.0f, 2, err, sizeof(err));
	long n = na.frames + DUCK + 4800;
	float *b = render(m, n, 512);
	long bad = 0;
	for (long k = 0; k < n; k++) {
		long t = 24000 + k;
		if (k >= DUCK && k < na.frames) {
			float gn = 1.0f;
			for (int c = 0; c < 2; c++)
				bad += b[2 * k + c] !=
				       duck * mu.s[2 * t + c] + gn * na.s[2 * k + c];
		}
	}
	CHECK_INT(bad, 0);
	/* after the narration ends (next block boundary) the music returns to
	 * full gain over DUCK frames */
	long end_block = ((na.frames + 511) / 512) * 512; /* first block after */
	bad = 0;
	for (long k = end_block; k < n; k++) {
		float gm = mixer_ramp_gain(duck, 1.0f, (uint32_t)(k - end_block), DUCK);
		bad += b[2 * k] != gm * mu.s[2 * (24000 + k)];
	}
	CHECK_INT(bad, 0);
	free(a), free(b), free(mu.s), free(na.s);
	mixer_destroy(m);
}

/* An announcement interrupts a narration; the narration resumes from
 * resume_rewind_ms before the cut point once the announcement is over. */
static void
test_preempt_resume(void)
{
	struct ref sp = ref_decode("speech-mono.opus");
	struct ref an = ref_decode("sine440-mono.opus");
	struct mixer *m = offline_mixer();
	struct evlog log = {0};
	char err[256];
	const long B = 512, T = 96000 + 2 * B; /* announcement at 2.02 s */

	mixer_handle hn = mixer_play(m, MIXER_NARRATION, data_path("speech-mono.opus"), 1.0f, 1,
				     err, sizeof(err));
	float *a = render(m, T, B);
	mixer_handle ha = mixer_play(m, MIXER_ANNOUNCEMENT, data_path("sine440-mono.opus"), 1.0f, 2,
				     err, sizeof(err));
	long n = an.frames + 60000;
	float *b = render(m, n, B);
	drain(m, &log);
	const struct mixer_event *sa = find_event(&log, MIXER_EV_STARTED, ha);
	const struct mixer_event *su = find_event(&log, MIXER_EV_SUSPENDED, hn);
	const struct mixer_event *fa = find_event(&log, MIXER_EV_FINISHED, ha);
	const struct mixer_event *re = find_event(&log, MIXER_EV_RESUMED, hn);
	CHECK(sa && (long)sa->frame == T);
	CHECK(su && (long)su->frame == T + RAMP && su->clip_frame == T + RAMP);
	CHECK(fa && (long)fa->frame == T + an.frames);
	long resume_at = T + ((an.frames + B - 1) / B) * B; /* next block */
	long from = T + RAMP - 96000;                       /* 2 s rewind */
	CHECK(re && (long)re->frame == resume_at && re->clip_frame == from);
	if (!sa || !su || !fa || !re || (long)re->frame != resume_at)
		dump_events(&log);
	/* while suspended and during the announcement: exactly the announcement */
	long bad = 0;
	for (long k = RAMP; k < an.frames; k++)
		bad += b[2 * k] != mixer_ramp_gain(0.0f, 1.0f, (uint32_t)k, RAMP) * an.s[2 * k];
	CHECK_INT(bad, 0);
	/* after the resume: the narration from `from`, fading in */
	bad = 0;
	for (long k = resume_at - T; k < n; k++) {
		long j = k - (resume_at - T);
		bad += b[2 * k] !=
		       mixer_ramp_gain(0.0f, 1.0f, (uint32_t)j, RAMP) * sp.s[2 * (from + j)];
	}
	CHECK_INT(bad, 0);
	free(a), free(b), free(sp.s), free(an.s);
	mixer_destroy(m);
}

/* A narration waits for an announcement; announcements queue in order;
 * a new narration replaces the old one. */
static void
test_waiting_and_order(void)
{
	struct ref an = ref_decode("sine440-mono.opus");
	struct mixer *m = offline_mixer();
	struct evlog log = {0};
	char err[256];

	mixer_handle a1 = mixer_play(m, MIXER_ANNOUNCEMENT, data_path("sine440-mono.opus"), 1.0f, 1,
				     err, sizeof(err));
	mixer_handle a2 = mixer_play(m, MIXER_ANNOUNCEMENT, data_path("sine440-mono.opus"), 1.0f, 2,
				     err, sizeof(err));
	mixer_handle n1 = mixer_play(m, MIXER_NARRATION, data_path("speech-mono.opus"), 1.0f, 3,
				     err, sizeof(err));
	float *a = render(m, 3 * 48000, 480);
	mixer_handle n2 = mixer_play(m, MIXER_NARRATION, data_path("chord-stereo.opus"), 1.0f, 4,
				     err, sizeof(err));
	float *b = render(m, 48000, 480);
	drain(m, &log);
	const struct mixer_event *e1 = find_event(&log, MIXER_EV_FINISHED, a1);
	const struct mixer_event *s2 = find_event(&log, MIXER_EV_STARTED, a2);
	const struct mixer_event *e2 = find_event(&log, MIXER_EV_FINISHED, a2);
	const struct mixer_event *sn = find_event(&log, MIXER_EV_STARTED, n1);
	const struct mixer_event *cn = find_event(&log, MIXER_EV_CUT, n1);
	const struct mixer_event *sn2 = find_event(&log, MIXER_EV_STARTED, n2);
	CHECK(e1 && (long)e1->frame == an.frames);
	long blk1 = ((an.frames + 479) / 480) * 480;
	CHECK(s2 && (long)s2->frame == blk1);
	CHECK(e2 && (long)e2->frame == blk1 + an.frames);
	CHECK(sn && (long)sn->frame == ((blk1 + an.frames + 479) / 480) * 480);
	CHECK(!find_event(&log, MIXER_EV_SUSPENDED, n1)); /* it never played before */
	CHECK(cn && strcmp(cn->reason, "replaced") == 0 && (long)cn->frame == 3 * 48000 + RAMP);
	CHECK(sn2 && (long)sn2->frame == 3 * 48000);
	if (!e1 || !s2 || !e2 || !sn || !cn || !sn2)
		dump_events(&log);
	free(a), free(b), free(an.s);
	mixer_destroy(m);
}

/* The drop rules: cut past resume_max_played_pct, or suspended too long. */
static void
test_drop_rules(void)
{
	struct mixer_config c;
	struct mixer *m;
	struct evlog log = {0};
	char err[256];

	/* past 90 % of the 1 s sine: dropped at the end of the fade */
	mixer_config_defaults(&c);
	c.offline = true;
	mixer_create(&c, &m);
	mixer_handle hn = mixer_play(m, MIXER_NARRATION, data_path("sine440-mono.opus"), 1.0f, 1,
				     err, sizeof(err));
	free(render(m, 45600, 480)); /* 95 % */
	mixer_play(m, MIXER_ANNOUNCEMENT, data_path("chord-stereo.opus"), 1.0f, 2, err,
		   sizeof(err));
	free(render(m, 96000, 480));
	drain(m, &log);
	const struct mixer_event *e = find_event(&log, MIXER_EV_CUT, hn);
	CHECK(e && strcmp(e->reason, "interrupted") == 0 && e->frame == 45600 + RAMP);
	CHECK(!find_event(&log, MIXER_EV_SUSPENDED, hn));
	CHECK(!find_event(&log, MIXER_EV_RESUMED, hn));
	mixer_destroy(m);

	/* suspended longer than resume_max_age_ms: dropped when it would resume */
	log.n = 0;
	c.resume_max_age_ms = 1000;
	mixer_create(&c, &m);
	hn = mixer_play(m, MIXER_NARRATION, data_path("speech-mono.opus"), 1.0f, 1, err,
			sizeof(err));
	free(render(m, 4800, 480));
	mixer_play(m, MIXER_ANNOUNCEMENT, data_path("chord-stereo.opus"), 1.0f, 2, err,
		   sizeof(err)); /* 1.5 s > 1 s */
	free(render(m, 96000, 480));
	drain(m, &log);
	CHECK(find_event(&log, MIXER_EV_SUSPENDED, hn));
	e = find_event(&log, MIXER_EV_CUT, hn);
	CHECK(e && strcmp(e->reason, "interrupted") == 0);
	CHECK(e && e->frame == ((4800 + 72000 + 479) / 480) * 480);
	if (!e || e->frame != ((4800 + 72000 + 479) / 480) * 480)
		dump_events(&log);
	CHECK(!find_event(&log, MIXER_EV_RESUMED, hn));
	mixer_destroy(m);
}

/* Bad clips: a clear reason, and the mixer goes on. */
static void
test_bad_clips(void)
{
	struct mixer *m = offline_mixer();
	struct evlog log = {0};
	char err[256];

	CHECK_INT(mixer_play(m, MIXER_NARRATION, data_path("missing.opus"), 1, 1, err, sizeof(err)),
		  -ENOENT);
	CHECK(strstr(err, "missing.opus") && strstr(err, "No such file"));
	CHECK_INT(
		mixer_play(m, MIXER_NARRATION, data_path("not-opus.opus"), 1, 1, err, sizeof(err)),
		-EINVAL);
	CHECK(strstr(err, "not an Ogg Opus file"));
	CHECK_INT(
		mixer_play(m, MIXER_NARRATION, data_path("truncated.opus"), 1, 1, err, sizeof(err)),
		-EINVAL);
	fprintf(stderr, "truncated: %s\n", err);
	CHECK_INT(mixer_play(m, MIXER_NARRATION, data_path(""), 1, 1, err, sizeof(err)), -EISDIR);

	/* corrupted in the middle: starts, then fails with a reason */
	mixer_handle hm = mixer_play(m, MIXER_MUSIC, data_path("music-stereo.opus"), 0.5f, 1, err,
				     sizeof(err));
	mixer_handle hc = mixer_play(m, MIXER_ANNOUNCEMENT, data_path("corrupt.opus"), 1.0f, 2, err,
				     sizeof(err));
	CHECK(hc > 0);
	float *out = render(m, 5 * 48000, 1024);
	CHECK_INT(mixer_active_voices(m), 0);
	drain(m, &log);
	const struct mixer_event *e = find_event(&log, MIXER_EV_FAILED, hc);
	CHECK(e && strstr(e->reason, "hole"));
	if (!e)
		dump_events(&log);
	if (e)
		fprintf(stderr, "corrupt: %s (frame %llu)\n", e->reason,
			(unsigned long long)e->frame);
	CHECK(e && e->frame == 143688);
	CHECK(find_event(&log, MIXER_EV_FINISHED, hm));
	free(out);
	mixer_destroy(m);
}

/* Two offline renders of the same scenario are bit-identical. */
static float *
scenario(long *frames)
{
	struct mixer *m = offline_mixer();
	char err[256];
	long n = 6 * 48000, at = 0;
	float *out = calloc((size_t)n * 2, sizeof(float));

	mixer_play(m, MIXER_MUSIC, data_path("music-stereo.opus"), 0.7f, 1, err, sizeof(err));
	mixer_handle h = mixer_play(m, MIXER_NARRATION, data_path("speech-mono.opus"), 1.0f, 2, err,
				    sizeof(err));
	for (int step = 0; at < n; step++) {
		uint32_t chunk = 700 + (uint32_t)(step * 37 % 900);
		if (at + chunk > n)
			chunk = (uint32_t)(n - at);
		if (step == 40)
			mixer_play(m, MIXER_ANNOUNCEMENT, data_path("chord-stereo.opus"), 0.9f, 3,
				   err, sizeof(err));
		if (step == 120)
			mixer_set_gain(m, h, 0.6f);
		if (step == 150)
			mixer_set_volume(m, 0.8f);
		mixer_render_offline(m, out + 2 * at, chunk);
		at += chunk;
	}
	*frames = n;
	mixer_destroy(m);
	return out;
}

static void
test_offline_identical(void)
{
	long n1, n2;
	float *a = scenario(&n1), *b = scenario(&n2);
	CHECK_INT(n1, n2);
	CHECK(memcmp(a, b, sizeof(float) * 2 * (size_t)n1) == 0);
	double energy = 0;
	for (long i = 0; i < 2 * n1; i++)
		energy += a[i] * a[i];
	CHECK(energy > 100.0); /* not silence */
	free(a), free(b);
}

/* clip.c on its own: length up front, streamed reads equal the reference,
 * seeking, errors with reasons. */
static void
test_clip(void)
{
	struct ref ref = ref_decode("speech-mono.opus");
	struct clip *c;
	char err[256];
	int64_t frames = 0;
	static float buf[2 * 5760];

	CHECK_INT(clip_probe(data_path("speech-mono.opus"), &frames, err, sizeof(err)), 0);
	CHECK_INT(frames, ref.frames);
	CHECK_INT(clip_open(data_path("speech-mono.opus"), &c, err, sizeof(err)), 0);
	CHECK_INT(clip_frames(c), ref.frames);
	CHECK_INT(clip_channels(c), 1);
	long at = 0, bad = 0;
	int n;
	while ((n = clip_read(c, buf, 1000, err, sizeof(err))) > 0) {
		CHECK(n <= 1000);
		for (int i = 0; i < 2 * n; i++)
			bad += buf[i] != ref.s[2 * at + i];
		at += n;
	}
	CHECK_INT(n, 0);
	CHECK_INT(at, ref.frames);
	CHECK_INT(bad, 0);
	CHECK_INT(clip_seek(c, 100000, err, sizeof(err)), 0);
	n = clip_read(c, buf, 960, err, sizeof(err));
	CHECK(n > 0);
	float maxd = 0;
	for (int i = 0; i < 2 * n; i++)
		maxd = fmaxf(maxd, fabsf(buf[i] - ref.s[2 * 100000 + i]));
	fprintf(stderr, "seek: max difference %g\n", maxd);
	CHECK(maxd < 0.02f);
	clip_close(c);
	clip_close(NULL);
	CHECK_INT(clip_probe(data_path("nope.opus"), &frames, err, sizeof(err)), -ENOENT);
	CHECK_INT(clip_probe(data_path("not-opus.opus"), &frames, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "not-opus.opus': not an Ogg Opus file"));
	/* a hole in the middle: the read that meets it fails with a reason */
	CHECK_INT(clip_open(data_path("corrupt.opus"), &c, err, sizeof(err)), 0);
	while ((n = clip_read(c, buf, 5760, err, sizeof(err))) > 0)
		;
	CHECK_INT(n, -EBADMSG);
	CHECK(strstr(err, "hole in the Ogg stream"));
	clip_close(c);
	free(ref.s);
}

/* The auto gain (mixer_set_auto_gain): 0 dB is bit-identical to never
 * setting it; a change glides the narration over MIXER_AUTO_GAIN_MS with
 * the ramp formula from the gain it had; music is not touched; a burst of
 * changes is one level. */
static void
test_auto_gain(void)
{
	struct ref ref = ref_decode("speech-mono.opus");
	const long T1 = 4800, N = 72000, A = 48000; /* A: MIXER_AUTO_GAIN_MS */
	const float gain = 0.25f;
	float *out[2];
	char err[256];

	CHECK_INT(MIXER_AUTO_GAIN_MS, 1000);
	for (int with = 0; with < 2; with++) {
		struct mixer *m = offline_mixer();
		if (with)
			CHECK_INT(mixer_set_auto_gain(m, 0.0f), 0);
		CHECK(mixer_play(m, MIXER_NARRATION, data_path("speech-mono.opus"), gain, 1, err,
				 sizeof(err)) > 0);
		out[with] = render(m, T1 + N, 1000);
		mixer_destroy(m);
	}
	CHECK(memcmp(out[0], out[1], sizeof(float) * 2 * (size_t)(T1 + N)) == 0);
	free(out[1]);

	struct mixer *m = offline_mixer();
	CHECK_INT(mixer_set_auto_gain(m, NAN), -EINVAL);
	CHECK_INT(mixer_set_auto_gain(m, 30.0f), -EINVAL);
	CHECK(mixer_play(m, MIXER_NARRATION, data_path("speech-mono.opus"), gain, 1, err,
			 sizeof(err)) > 0);
	float *a = render(m, T1, 1000);
	CHECK(memcmp(a, out[0], sizeof(float) * 2 * (size_t)T1) == 0);
	for (int i = 0; i < 1000; i++)
		CHECK_INT(mixer_set_auto_gain(m, (float)(i % 12) - 6.0f), 0);
	CHECK_INT(mixer_set_auto_gain(m, 6.0f), 0);
	float *b = render(m, N, 700);
	const float g1 = gain * powf(10.0f, 6.0f / 20.0f);
	long bad = 0;
	for (long k = 0; k < N; k++) {
		float g = mixer_ramp_gain(gain, g1, (uint32_t)k, (uint32_t)A);
		float want = g * ref.s[2 * (T1 + k)];
		if (b[2 * k] != want && bad++ < 5)
			fprintf(stderr, "auto gain frame %ld: %.9g != %.9g\n", k, b[2 * k], want);
	}
	CHECK_INT(bad, 0);
	mixer_destroy(m);
	free(a);
	free(b);
	free(out[0]);

	/* music is not the auto gain's */
	struct ref mref = ref_decode("chord-stereo.opus");
	m = offline_mixer();
	CHECK_INT(mixer_set_auto_gain(m, -12.0f), 0);
	CHECK(mixer_play(m, MIXER_MUSIC, data_path("chord-stereo.opus"), 0.5f, 2, err,
			 sizeof(err)) > 0);
	b = render(m, 9600, 512);
	bad = 0;
	for (long k = 0; k < 9600; k++)
		for (int c = 0; c < 2; c++)
			bad += b[2 * k + c] !=
			       mixer_ramp_gain(0.0f, 0.5f, (uint32_t)k, RAMP) * mref.s[2 * k + c];
	CHECK_INT(bad, 0);
	mixer_destroy(m);
	free(b);
	free(mref.s);
	free(ref.s);
}

int
main(void)
{
	test_clip();
	test_gain_exact("sine440-mono.opus");
	test_gain_exact("chord-stereo.opus");
	test_volume_exact();
	test_fade_and_pause();
	test_ducking();
	test_preempt_resume();
	test_waiting_and_order();
	test_drop_rules();
	test_bad_clips();
	test_offline_identical();
	test_auto_gain();
	TEST_EXIT();
}
