/* The driver's commands as the control socket spells them, table-driven:
 * each line against a tour in a known state gives a known result. */
#include "guide/curator/track.h"
#include "guide/events.h"
#include "guide/tour.h"
#include "tests/test.h"

#include <json-c/json.h>
#include <stdlib.h>

static int
p_play(void *ctx, const struct route_clip *clip, enum tour_clip_kind kind, uint64_t token)
{
	return 0;
}

static void
p_stop(void *ctx, uint64_t token)
{
}

static void
p_nop(void *ctx)
{
}

static void
p_volume(void *ctx, double v)
{
	*(double *)ctx = v;
}

static const struct tour_player_impl impl = {
	.play = p_play,
	.stop = p_stop,
	.pause = p_nop,
	.resume = p_nop,
	.set_volume = p_volume,
};

static enum tour_error
run(struct tour *t, const char *line, char *msg, size_t len)
{
	char buf[256], *argv[16];
	int argc = 0;
	snprintf(buf, sizeof(buf), "%s", line);
	for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok && argc < 15;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	return tour_command(t, NULL, argc, argv, 1000, msg, len);
}

/* ---- the welcome, the safety announcement and the driver's skip -------- */

/* a player that remembers the token of the clip it plays */
static int
rec_play(void *ctx, const struct route_clip *clip, enum tour_clip_kind kind, uint64_t token)
{
	*(uint64_t *)ctx = token;
	return 0;
}

static const struct tour_player_impl rec_impl = {.play = rec_play, .stop = p_stop};

static struct route_clip ann[ROUTE_ANNOUNCE_COUNT][2] = {
	[ROUTE_ANNOUNCE_WELCOME] = {{.lang = "zh", .file = "welcome.zh.opus", .duration_ms = 9000},
				    {.lang = "en", .file = "welcome.en.opus", .duration_ms = 8000}},
	[ROUTE_ANNOUNCE_SAFETY] = {{.lang = "zh", .file = "safety.zh.opus", .duration_ms = 5000},
				   {.lang = "en", .file = "safety.en.opus", .duration_ms = 4000}},
};
static struct route_clip stop_clips[2] = {
	{.lang = "zh", .file = "a.zh.opus", .duration_ms = 5000},
	{.lang = "en", .file = "a.en.opus", .duration_ms = 5000},
};
static char *two_langs[] = {"zh", "en"};
static struct route_stop ann_stop = {
	.id = "a",
	.fence = {.kind = ROUTE_FENCE_CIRCLE, .center = {39.98, 116.49}, .radius_m = 30},
	.play_once = true,
	.clips = stop_clips,
	.n_clips = 2,
};
static unsigned ann_stops[] = {0};
static struct route_tour ann_tour = {
	.id = "t",
	.langs = two_langs,
	.n_langs = 2,
	.stops = ann_stops,
	.n_stops = 1,
	.announcements = {ann[0], ann[1], NULL},
	.n_announcements = {2, 2, 0},
};
static struct route ann_route = {
	.id = "r",
	.langs = two_langs,
	.n_langs = 2,
	.stops = &ann_stop,
	.n_stops = 1,
	.tours = &ann_tour,
	.n_tours = 1,
};

/* the log as "event:poi:lang:completed|reason" words (clips and the tour's
 * ends only) */
static void
condense(const char *log, char *out, size_t size)
{
	out[0] = '\0';
	for (const char *line = log; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
		char *copy = strndup(line, len);
		line += len;
		json_object *o = json_tokener_parse(copy);
		free(copy);
		json_object *v;
		const char *ev =
			json_object_object_get_ex(o, "event", &v) ? json_object_get_string(v) : "";
		if (strncmp(ev, "clip_", 5) == 0 || strcmp(ev, "tour_end") == 0) {
			char word[128];
			snprintf(word, sizeof(word), "%s", ev);
			static const char *const keys[] = {"poi", "lang", "completed", "reason"};
			for (int k = 0; k < 4; k++)
				if (json_object_object_get_ex(o, keys[k], &v))
					snprintf(word + strlen(word), sizeof(word) - strlen(word),
						 ":%s", json_object_get_string(v));
			snprintf(out + strlen(out), size - strlen(out), "%s%s", out[0] ? " " : "",
				 word);
		}
		json_object_put(o);
	}
}

static void
check_events(struct events *ev, const char *want, const char *what)
{
	char got[2048];
	condense(events_buffer(ev), got, sizeof(got));
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "%s:\n  got:    %s\n  expect: %s\n", what, got, want);
		test_failures++;
	}
}

static void
test_skip_announcements(void)
{
	uint64_t token = 0;
	struct tour_player player = {.impl = &rec_impl, .ctx = &token};
	char msg[256];
	int64_t now = 1000;

	/* one skip during the welcome skips the welcome; the safety
	 * announcement follows, and a second skip skips it; whatever was still
	 * to come gets clip_skip "driver_skip" */
	struct events *ev = events_create_memory();
	struct tour *t = tour_create(&ann_route, &player, ev, NULL);
	CHECK_INT(run(t, "start", msg, sizeof(msg)), TOUR_OK);
	CHECK_INT(run(t, "skip", msg, sizeof(msg)), TOUR_OK);
	check_events(ev,
		     "clip_start:welcome:zh clip_end:welcome:zh:false "
		     "clip_skip:welcome:en:driver_skip clip_start:safety:zh",
		     "skip during the welcome");
	tour_on_clip_finished(t, token, true, now += 5000);
	CHECK_INT(run(t, "skip", msg, sizeof(msg)), TOUR_OK);
	check_events(ev,
		     "clip_start:welcome:zh clip_end:welcome:zh:false "
		     "clip_skip:welcome:en:driver_skip clip_start:safety:zh "
		     "clip_end:safety:zh:true clip_start:safety:en clip_end:safety:en:false",
		     "skip during the safety announcement");
	tour_destroy(t);
	events_destroy(ev);

	/* a skip during the first language of the safety announcement skips
	 * the rest of it too, with a clip_skip */
	ev = events_create_memory();
	t = tour_create(&ann_route, &player, ev, NULL);
	run(t, "start", msg, sizeof(msg));
	run(t, "skip", msg, sizeof(msg));
	run(t, "skip", msg, sizeof(msg));
	check_events(ev,
		     "clip_start:welcome:zh clip_end:welcome:zh:false "
		     "clip_skip:welcome:en:driver_skip clip_start:safety:zh "
		     "clip_end:safety:zh:false clip_skip:safety:en:driver_skip",
		     "two skips");
	tour_destroy(t);
	events_destroy(ev);

	/* stop during the welcome: the safety announcement is logged as not
	 * told, not lost silently */
	ev = events_create_memory();
	t = tour_create(&ann_route, &player, ev, NULL);
	run(t, "start", msg, sizeof(msg));
	CHECK_INT(run(t, "stop", msg, sizeof(msg)), TOUR_OK);
	check_events(ev,
		     "clip_start:welcome:zh clip_end:welcome:zh:false "
		     "clip_skip:welcome:en:stopped clip_skip:safety:zh:stopped "
		     "clip_skip:safety:en:stopped tour_end:stopped",
		     "stop during the welcome");
	tour_destroy(t);
	events_destroy(ev);

	/* a language dropped while the safety announcement plays: the safety
	 * announcement goes on in the new list; the welcome is not told again */
	ev = events_create_memory();
	t = tour_create(&ann_route, &player, ev, NULL);
	run(t, "start", msg, sizeof(msg));
	tour_on_clip_finished(t, token, true, now += 9000);
	tour_on_clip_finished(t, token, true, now += 8000);
	CHECK_INT(run(t, "lang en", msg, sizeof(msg)), TOUR_OK);
	tour_on_clip_finished(t, token, true, now += 5000);
	tour_on_clip_finished(t, token, true, now += 4000);
	check_events(ev,
		     "clip_start:welcome:zh clip_end:welcome:zh:true clip_start:welcome:en "
		     "clip_end:welcome:en:true clip_start:safety:zh clip_end:safety:zh:true "
		     "clip_start:safety:en clip_end:safety:en:true",
		     "lang during the safety announcement");
	tour_destroy(t);
	events_destroy(ev);
}

static void
test_parse(void)
{
	static const struct {
		const char *in;
		int n;
		const char *why;
	} langs[] = {
		{"zh,en", 2, NULL},
		{"en", 1, NULL},
		{"zh,zh", -1, "language 'zh' listed twice"},
		{"zh,en,zh", -1, "language 'zh' listed twice"},
		{"zh,,en", -1, "an empty language in the list (a list such as zh,en)"},
		{",zh", -1, "an empty language in the list (a list such as zh,en)"},
		{"zh,", -1, "an empty language in the list (a list such as zh,en)"},
		{"", -1, "no language given (a list such as zh,en)"},
		{"a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", -1, "at most 16 languages"},
	};
	for (size_t i = 0; i < sizeof(langs) / sizeof(*langs); i++) {
		char buf[64], why[128] = "";
		const char *out[TOUR_MAX_LANGS];
		snprintf(buf, sizeof(buf), "%s", langs[i].in);
		int n = tour_parse_langs(buf, out, why, sizeof(why));
		CHECK_INT(n, langs[i].n);
		if (langs[i].why)
			CHECK_STR(why, langs[i].why);
	}
	static const struct {
		const char *in;
		int v;
	} vols[] = {{"0", 0},    {"100", 100}, {"55", 55}, {"101", -1}, {"150", -1}, {"-5", -1},
		    {"abc", -1}, {"", -1},     {"4x", -1}, {"+5", -1},  {" 5", -1}};
	for (size_t i = 0; i < sizeof(vols) / sizeof(*vols); i++)
		CHECK_INT(tour_parse_volume(vols[i].in), vols[i].v);
}

int
main(void)
{
	static const struct {
		const char *line;
		enum tour_error want;
		enum tour_state after;
		const char *msg;
	} cases[] = {
		/* idle: each refusal says what stands in the way and what there is */
		{"pause", TOUR_ERR_STATE, TOUR_IDLE,
		 "no tour is running (guidectl start begins one)"},
		{"stop", TOUR_ERR_STATE, TOUR_IDLE,
		 "no tour is running (guidectl start begins one)"},
		{"bogus", TOUR_ERR_COMMAND, TOUR_IDLE,
		 "unknown command 'bogus' (commands: start, stop, pause, resume, skip, replay, "
		 "volume, lang, status, reload)"},
		{"start --bogus", TOUR_ERR_ARG, TOUR_IDLE,
		 "start [TOUR] [--lang L[,L]]: unexpected '--bogus'"},
		{"start nosuchtour", TOUR_ERR_NO_TOUR, TOUR_IDLE,
		 "no tour 'nosuchtour' in route synthetic (tours: loop)"},
		{"start --lang fr", TOUR_ERR_LANG, TOUR_IDLE,
		 "language 'fr' is not narrated by tour loop (it has zh, en)"},
		/* a language named twice would tell each story twice */
		{"start --lang zh,zh", TOUR_ERR_LANG, TOUR_IDLE, "language 'zh' listed twice"},
		{"start --lang zh,,en", TOUR_ERR_LANG, TOUR_IDLE,
		 "an empty language in the list (a list such as zh,en)"},
		{"lang zh,en,zh", TOUR_ERR_LANG, TOUR_IDLE, "language 'zh' listed twice"},
		{"lang fr", TOUR_ERR_LANG, TOUR_IDLE,
		 "language 'fr' is not narrated on route synthetic (it has zh, en)"},
		{"start --lang en,zh", TOUR_OK, TOUR_RUNNING, "tour loop started"},
		/* running */
		{"start", TOUR_ERR_STATE, TOUR_RUNNING,
		 "tour loop is already running; stop it first"},
		{"resume", TOUR_ERR_STATE, TOUR_RUNNING, "not paused: tour loop is running"},
		{"volume", TOUR_ERR_ARG, TOUR_RUNNING, "volume N: N is 0-100"},
		{"volume 101", TOUR_ERR_ARG, TOUR_RUNNING, "volume is 0-100, not '101'"},
		{"volume 150", TOUR_ERR_ARG, TOUR_RUNNING, "volume is 0-100, not '150'"},
		{"volume -1", TOUR_ERR_ARG, TOUR_RUNNING, "volume is 0-100, not '-1'"},
		{"volume -5", TOUR_ERR_ARG, TOUR_RUNNING, "volume is 0-100, not '-5'"},
		{"volume abc", TOUR_ERR_ARG, TOUR_RUNNING, "volume is 0-100, not 'abc'"},
		{"volume 4x", TOUR_ERR_ARG, TOUR_RUNNING, "volume is 0-100, not '4x'"},
		{"volume 40", TOUR_OK, TOUR_RUNNING, "volume 40"},
		{"lang fr", TOUR_ERR_LANG, TOUR_RUNNING,
		 "language 'fr' is not narrated by tour loop (it has zh, en)"},
		{"lang zh,zh", TOUR_ERR_LANG, TOUR_RUNNING, "language 'zh' listed twice"},
		{"lang en", TOUR_OK, TOUR_RUNNING, "languages set"},
		{"stop now", TOUR_ERR_ARG, TOUR_RUNNING, "'stop' takes no argument"},
		{"pause", TOUR_OK, TOUR_PAUSED, "paused"},
		/* paused */
		{"pause", TOUR_ERR_STATE, TOUR_PAUSED, "already paused"},
		{"replay", TOUR_ERR_STATE, TOUR_PAUSED, "paused: resume first"},
		{"start", TOUR_ERR_STATE, TOUR_PAUSED,
		 "tour loop is already running (paused); stop it first"},
		{"resume", TOUR_OK, TOUR_RUNNING, "resumed"},
		{"stop", TOUR_OK, TOUR_FINISHED, "tour stopped"},
		/* finished */
		{"resume", TOUR_ERR_STATE, TOUR_FINISHED,
		 "no tour is running (guidectl start begins one)"},
		{"start", TOUR_OK, TOUR_RUNNING, "tour loop started"},
	};
	struct route *r = track_synthetic_route();
	double volume = -1;
	struct tour_player player = {.impl = &impl, .ctx = &volume};
	struct tour *t = tour_create(r, &player, NULL, NULL);
	CHECK(t != NULL);
	for (size_t i = 0; t && i < sizeof(cases) / sizeof(cases[0]); i++) {
		char msg[128];
		enum tour_error err = run(t, cases[i].line, msg, sizeof(msg));
		struct tour_status ts;
		tour_get_status(t, &ts);
		if (err != cases[i].want || ts.state != cases[i].after)
			fprintf(stderr, "case '%s': %s, state %s (%s)\n", cases[i].line,
				tour_error_to_str(err), tour_state_to_str(ts.state), msg);
		CHECK_INT(err, cases[i].want);
		CHECK_INT(ts.state, cases[i].after);
		if (cases[i].msg)
			CHECK_STR(msg, cases[i].msg);
	}
	CHECK_NEAR(volume, 0.4, 1e-12);
	tour_destroy(t);
	route_destroy(r);
	test_skip_announcements();
	test_parse();
	TEST_EXIT();
}
