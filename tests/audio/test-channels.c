/* The mixer's channels mode (audio/mixer.h, DESIGN.md per-seat languages),
 * sample-exact in offline mode: each bus on its own output channels and no
 * other, music under all of them ducked per bus, per-bus rules and volume. */
#include "audio-test.h"
#include "tests/test.h"

#include <errno.h>

#define RAMP 240  /* 5 ms */
#define DUCK 4800 /* 100 ms */

/* zh=1+2, en=3, ko=5-6: six channels, channel 4 of no language */
static struct mixer *
seats_mixer(void)
{
	struct mixer_config c;
	struct mixer *m;
	mixer_config_defaults(&c);
	c.offline = true;
	c.channels = 6;
	c.n_buses = 3;
	c.bus_channels[0] = 0x3;
	c.bus_channels[1] = 0x4;
	c.bus_channels[2] = 0x30;
	if (mixer_create(&c, &m) < 0)
		exit(99);
	return m;
}

static float *
render(struct mixer *m, long n, long chunk)
{
	uint32_t ch = mixer_channels(m);
	float *out = calloc((size_t)(n * ch + ch), sizeof(float));
	for (long i = 0; i < n; i += chunk)
		mixer_render_offline(m, out + ch * i, (uint32_t)(n - i < chunk ? n - i : chunk));
	return out;
}

/* a bus's stereo sum (g * s) as the channel at place `src` takes it */
static float
routed(float l, float r, int src)
{
	return src == 2 ? (l + r) * 0.5f : src == 0 ? l : r;
}

/* Three languages at once: each channel carries exactly its language's
 * clip (mono for a one-channel language, L/R for two), the channel of no
 * language is silent, and the ends are exact. */
static void
test_three_buses_exact(void)
{
	static const char *clip[3] = {"speech-mono.opus", "chord-stereo.opus", "sine440-mono.opus"};
	/* per output channel: bus (-1 none) and source (0 L, 1 R, 2 mono) */
	static const int bus_of[6] = {0, 0, 1, -1, 2, 2}, src_of[6] = {0, 1, 2, 2, 0, 1};
	struct ref ref[3];
	mixer_handle h[3];
	struct mixer *m = seats_mixer();
	struct evlog log = {0};
	char err[256];
	long longest = 0;

	CHECK_INT(mixer_channels(m), 6);
	for (int b = 0; b < 3; b++) {
		ref[b] = ref_decode(clip[b]);
		longest = ref[b].frames > longest ? ref[b].frames : longest;
		h[b] = mixer_play_bus(m, MIXER_NARRATION, data_path(clip[b]), 1.0f, (uint32_t)b,
				      (uint64_t)b + 1, err, sizeof(err));
		CHECK(h[b] > 0);
	}
	long n = longest + 3000;
	float *out = render(m, n, 777);
	drain(m, &log);
	long bad = 0;
	for (long k = 0; k < n; k++) {
		float g = mixer_ramp_gain(0.0f, 1.0f, (uint32_t)k, RAMP);
		for (int c = 0; c < 6; c++) {
			float want = 0.0f;
			int b = bus_of[c];
			if (b >= 0 && k < ref[b].frames)
				want = routed(g * ref[b].s[2 * k], g * ref[b].s[2 * k + 1],
					      src_of[c]);
			if (out[6 * k + c] != want && bad++ < 5)
				fprintf(stderr, "frame %ld ch %d: %.9g != %.9g\n", k, c,
					out[6 * k + c], want);
		}
	}
	CHECK_INT(bad, 0);
	for (int b = 0; b < 3; b++) {
		const struct mixer_event *e = find_event(&log, MIXER_EV_STARTED, h[b]);
		CHECK(e && e->frame == 0);
		e = find_event(&log, MIXER_EV_FINISHED, h[b]);
		CHECK(e && (long)e->frame == ref[b].frames);
		free(ref[b].s);
	}
	CHECK_INT(mixer_underruns(m), 0);
	free(out);
	mixer_destroy(m);
}

/* Music on every channel; a narration on bus 1 (en, channel 3) ducks the
 * music on channel 3 only; a bus volume scales its channels only. */
static void
test_music_duck_volume(void)
{
	struct ref mu = ref_decode("music-stereo.opus");
	struct ref na = ref_decode("sine440-mono.opus");
	struct mixer *m = seats_mixer();
	char err[256];
	const float duck = powf(10.0f, -12.0f / 20.0f);

	mixer_play(m, MIXER_MUSIC, data_path("music-stereo.opus"), 1.0f, 1, err, sizeof(err));
	float *a = render(m, 24000, 24000);
	long bad = 0;
	for (long k = RAMP; k < 24000; k++) {
		float l = mu.s[2 * k], r = mu.s[2 * k + 1], mono = (l + r) * 0.5f;
		float want[6] = {1.0f * (0.0f + 1.0f * l),    1.0f * (0.0f + 1.0f * r),
				 1.0f * (0.0f + 1.0f * mono), mono,
				 1.0f * (0.0f + 1.0f * l),    1.0f * (0.0f + 1.0f * r)};
		for (int c = 0; c < 6; c++)
			bad += a[6 * k + c] != want[c];
	}
	CHECK_INT(bad, 0);
	mixer_play_bus(m, MIXER_NARRATION, data_path("sine440-mono.opus"), 1.0f, 1, 2, err,
		       sizeof(err));
	CHECK_INT(mixer_set_bus_volume(m, 2, 0.5f), 0);
	long n = na.frames + DUCK + 4800;
	float *b = render(m, n, 512);
	bad = 0;
	for (long k = 0; k < n; k++) {
		long t = 24000 + k;
		float l = mu.s[2 * t], r = mu.s[2 * t + 1], mono = (l + r) * 0.5f;
		float gn = mixer_ramp_gain(0.0f, 1.0f, (uint32_t)k, RAMP);
		float dg = mixer_ramp_gain(1.0f, duck, (uint32_t)k, DUCK);
		float vk = mixer_ramp_gain(1.0f, 0.5f, (uint32_t)k, RAMP);
		if (k >= na.frames)
			continue; /* the lift: below */
		float nl = gn * na.s[2 * k], nr = gn * na.s[2 * k + 1];
		float want[6] = {1.0f * (0.0f + 1.0f * l),
				 1.0f * (0.0f + 1.0f * r),
				 1.0f * ((nl + nr) * 0.5f + dg * mono),
				 mono,
				 vk * (0.0f + 1.0f * l),
				 vk * (0.0f + 1.0f * r)};
		for (int c = 0; c < 6; c++)
			if (b[6 * k + c] != want[c] && bad++ < 5)
				fprintf(stderr, "frame %ld ch %d: %.9g != %.9g\n", k, c,
					b[6 * k + c], want[c]);
	}
	CHECK_INT(bad, 0);
	/* after the narration, the music on channel 3 comes back over DUCK
	 * frames from the next block */
	long end_block = ((na.frames + 511) / 512) * 512;
	bad = 0;
	for (long k = end_block; k < n; k++) {
		long t = 24000 + k;
		float mono = (mu.s[2 * t] + mu.s[2 * t + 1]) * 0.5f;
		float dg = mixer_ramp_gain(duck, 1.0f, (uint32_t)(k - end_block), DUCK);
		bad += b[6 * k + 2] != 1.0f * (0.0f + dg * mono);
	}
	CHECK_INT(bad, 0);
	free(a), free(b), free(mu.s), free(na.s);
	mixer_destroy(m);
}

/* The narration rules hold per bus: a narration on another bus replaces
 * nothing, an announcement interrupts its own bus's narration only. */
static void
test_rules_per_bus(void)
{
	struct mixer *m = seats_mixer();
	struct evlog log = {0};
	char err[256];

	mixer_handle n0 = mixer_play_bus(m, MIXER_NARRATION, data_path("speech-mono.opus"), 1.0f, 0,
					 1, err, sizeof(err));
	mixer_handle n1 = mixer_play_bus(m, MIXER_NARRATION, data_path("speech-mono.opus"), 1.0f, 1,
					 2, err, sizeof(err));
	free(render(m, 4800, 4800));
	mixer_handle a1 = mixer_play_bus(m, MIXER_ANNOUNCEMENT, data_path("sine440-mono.opus"),
					 1.0f, 1, 3, err, sizeof(err));
	free(render(m, 9600, 4800));
	drain(m, &log);
	CHECK(find_event(&log, MIXER_EV_STARTED, n0) && find_event(&log, MIXER_EV_STARTED, n1));
	CHECK(find_event(&log, MIXER_EV_STARTED, a1));
	CHECK(find_event(&log, MIXER_EV_SUSPENDED, n1));
	CHECK(!find_event(&log, MIXER_EV_SUSPENDED, n0));
	CHECK(!find_event(&log, MIXER_EV_CUT, n0) && !find_event(&log, MIXER_EV_CUT, n1));
	/* a new narration on bus 0 replaces bus 0's only */
	mixer_handle n2 = mixer_play_bus(m, MIXER_NARRATION, data_path("sine440-mono.opus"), 1.0f,
					 0, 4, err, sizeof(err));
	free(render(m, 4800, 4800));
	drain(m, &log);
	const struct mixer_event *e = find_event(&log, MIXER_EV_CUT, n0);
	CHECK(e && strcmp(e->reason, "replaced") == 0);
	CHECK(!find_event(&log, MIXER_EV_CUT, n1));
	CHECK(find_event(&log, MIXER_EV_STARTED, n2));
	mixer_destroy(m);
}

/* Bad layouts and buses are refused. */
static void
test_refusals(void)
{
	struct mixer_config c;
	struct mixer *m;
	char err[256];
	mixer_config_defaults(&c);
	c.offline = true;
	c.channels = 4;
	c.n_buses = 2;
	c.bus_channels[0] = 0x3;
	c.bus_channels[1] = 0x6; /* channel 2 twice */
	CHECK_INT(mixer_create(&c, &m), -EINVAL);
	c.bus_channels[1] = 0x10; /* channel 5 of 4 */
	CHECK_INT(mixer_create(&c, &m), -EINVAL);
	c.bus_channels[1] = 0;
	CHECK_INT(mixer_create(&c, &m), -EINVAL);
	c.channels = 9;
	c.bus_channels[1] = 0x4;
	CHECK_INT(mixer_create(&c, &m), -EINVAL);
	c.channels = 4;
	CHECK_INT(mixer_create(&c, &m), 0);
	CHECK_INT(mixer_play_bus(m, MIXER_NARRATION, data_path("speech-mono.opus"), 1.0f, 2, 1, err,
				 sizeof(err)),
		  -EINVAL);
	CHECK_INT(mixer_set_bus_volume(m, 2, 1.0f), -EINVAL);
	mixer_destroy(m);
	/* stereo mode: bus 0 only */
	c.n_buses = 0;
	CHECK_INT(mixer_create(&c, &m), 0);
	CHECK_INT(mixer_channels(m), 2);
	CHECK_INT(mixer_play_bus(m, MIXER_NARRATION, data_path("speech-mono.opus"), 1.0f, 1, 1, err,
				 sizeof(err)),
		  -EINVAL);
	CHECK_INT(mixer_set_bus_volume(m, 0, 1.0f), -EINVAL);
	mixer_destroy(m);
}

int
main(void)
{
	test_three_buses_exact();
	test_music_duck_volume();
	test_rules_per_bus();
	test_refusals();
	return test_failures ? 1 : 0;
}
