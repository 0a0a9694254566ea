/* The driver's commands as the control socket spells them, table-driven:
 * each line against a tour in a known state gives a known result. */
#include "guide/curator/track.h"
#include "guide/tour.h"
#include "tests/test.h"

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

int
main(void)
{
	static const struct {
		const char *line;
		enum tour_error want;
		enum tour_state after;
		const char *msg;
	} cases[] = {
		/* idle */
		{"pause", TOUR_ERR_STATE, TOUR_IDLE, NULL},
		{"bogus", TOUR_ERR_COMMAND, TOUR_IDLE, NULL},
		{"start --bogus", TOUR_ERR_ARG, TOUR_IDLE, NULL},
		{"start nosuchtour", TOUR_ERR_NO_TOUR, TOUR_IDLE, NULL},
		{"start --lang fr", TOUR_ERR_LANG, TOUR_IDLE, NULL},
		{"start --lang en,zh", TOUR_OK, TOUR_RUNNING, "tour loop started"},
		/* running */
		{"start", TOUR_ERR_STATE, TOUR_RUNNING, NULL},
		{"volume", TOUR_ERR_ARG, TOUR_RUNNING, NULL},
		{"volume 101", TOUR_ERR_ARG, TOUR_RUNNING, NULL},
		{"volume -1", TOUR_ERR_ARG, TOUR_RUNNING, NULL},
		{"volume 4x", TOUR_ERR_ARG, TOUR_RUNNING, NULL},
		{"volume 40", TOUR_OK, TOUR_RUNNING, "volume 40"},
		{"lang fr", TOUR_ERR_LANG, TOUR_RUNNING, NULL},
		{"lang en", TOUR_OK, TOUR_RUNNING, "languages set"},
		{"stop now", TOUR_ERR_ARG, TOUR_RUNNING, NULL},
		{"pause", TOUR_OK, TOUR_PAUSED, "paused"},
		/* paused */
		{"pause", TOUR_ERR_STATE, TOUR_PAUSED, NULL},
		{"resume", TOUR_OK, TOUR_RUNNING, "resumed"},
		{"stop", TOUR_OK, TOUR_FINISHED, "tour stopped"},
		/* finished */
		{"resume", TOUR_ERR_STATE, TOUR_FINISHED, NULL},
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
			fprintf(stderr, "case '%s': %s, state %s\n", cases[i].line,
				tour_error_to_str(err), tour_state_to_str(ts.state));
		CHECK_INT(err, cases[i].want);
		CHECK_INT(ts.state, cases[i].after);
		if (cases[i].msg)
			CHECK_STR(msg, cases[i].msg);
	}
	CHECK_NEAR(volume, 0.4, 1e-12);
	tour_destroy(t);
	route_destroy(r);
	TEST_EXIT();
}
