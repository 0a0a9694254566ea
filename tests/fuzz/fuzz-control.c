/* Control-socket protocol: bytes through a detached client (the server's
 * own line splitter and limits), each line through a handler that runs the
 * daemon's command parser (tour_command: start [TOUR] [--lang L,L], stop,
 * pause, resume, skip, replay, volume N, lang L,L) against a real tour on the
 * shipped route, plus two lines only the fuzzer speaks to move the tour:
 * "fix LAT LON" (a GPS fix) and "end" (the playing clip finished).  Replies
 * must be JSON lines; no crash, no leak. */
#include "tests/fuzz/fuzz.h"

#include "guide/control.h"
#include "guide/tour.h"
#include "hal/gps.h"
#include "routes/route.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fuzz_daemon {
	struct tour *tour;
	int64_t now;
	uint64_t playing; /* token of the playing clip, 0 none */
};

static int
p_play(void *ctx, const struct route_clip *clip, enum tour_clip_kind kind, uint64_t token)
{
	struct fuzz_daemon *d = ctx;
	d->playing = token;
	return 0;
}

static void
p_stop(void *ctx, uint64_t token)
{
	struct fuzz_daemon *d = ctx;
	if (d->playing == token)
		d->playing = 0;
}

static void
p_nop(void *ctx)
{
}

static void
p_volume(void *ctx, double v)
{
	if (!(v >= 0 && v <= 1))
		abort();
}

static const struct tour_player_impl player_impl = {
	.play = p_play,
	.stop = p_stop,
	.pause = p_nop,
	.resume = p_nop,
	.set_volume = p_volume,
};

static void
reply(struct control_client *client, bool ok, const char *key, const char *val)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	if (key)
		json_object_object_add(o, key, json_object_new_string(val));
	control_reply(client, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void
handler(void *data, struct control_client *client, int argc, char **argv)
{
	struct fuzz_daemon *d = data;
	const char *cmd = argv[0];
	enum tour_error err = TOUR_OK;
	char msg[256];

	d->now += 1000;
	if (!strcmp(cmd, "status")) {
		struct tour_status ts;
		tour_get_status(d->tour, &ts);
		reply(client, true, "state", tour_state_to_str(ts.state));
		return;
	} else if (!strcmp(cmd, "fix") && argc == 3) {
		struct hal_fix fix = {
			.set = HAL_FIX_TIME | HAL_FIX_POS | HAL_FIX_MODE,
			.time_ms = d->now,
			.mode = HAL_FIX_MODE_2D,
			.lat = strtod(argv[1], NULL),
			.lon = strtod(argv[2], NULL),
			.alt = NAN,
			.speed = NAN,
			.track = NAN,
			.hdop = NAN,
			.eph = NAN,
		};
		if (fabs(fix.lat) <= 90 && fabs(fix.lon) <= 180)
			tour_on_fix(d->tour, &fix, d->now);
	} else if (!strcmp(cmd, "end")) {
		uint64_t tok = d->playing;
		d->playing = 0;
		if (tok)
			tour_on_clip_finished(d->tour, tok, true, d->now);
	} else {
		/* the daemon's own command parser */
		err = tour_command(d->tour, NULL, argc, argv, d->now, msg, sizeof(msg));
	}
	tour_tick(d->tour, d->now);
	reply(client, err == TOUR_OK, err == TOUR_OK ? NULL : "error", tour_error_to_str(err));
}

static struct route *
shipped_route(void)
{
	static struct route *r;
	if (!r) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/routes/798-751/route.yaml", fuzz_source_root());
		struct route_load_options o = {.no_clip_check = true};
		if (route_load(path, &o, &r, NULL) < 0)
			abort();
	}
	return r;
}

static void
check_replies(const char *p, size_t len)
{
	/* every reply is one line of JSON */
	while (len > 0) {
		const char *nl = memchr(p, '\n', len);
		if (!nl)
			abort();
		json_tokener *tok = json_tokener_new();
		json_object *o = json_tokener_parse_ex(tok, p, (int)(nl - p));
		if (!o || json_tokener_get_error(tok) != json_tokener_success)
			abort();
		json_object_put(o);
		json_tokener_free(tok);
		len -= (size_t)(nl + 1 - p);
		p = nl + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_daemon d = {.now = 1700000000000};
	struct tour_player player = {.impl = &player_impl, .ctx = &d};
	d.tour = tour_create(shipped_route(), &player, NULL, NULL);
	if (!d.tour)
		abort();
	struct control_server_options o = {.handler = handler, .data = &d};
	struct control_client *c = control_client_create_detached(&o);
	if (!c)
		abort();
	/* fed in pieces the input chooses, as a socket would deliver them */
	size_t off = 0, step = size ? 1 + data[0] % 64 : 0;
	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		bool alive = control_client_feed(c, (const char *)data + off, n);
		size_t rl;
		const char *rp = control_client_take_replies(c, &rl);
		check_replies(rp, rl);
		if (!alive)
			break;
		off += n;
	}
	control_client_destroy_detached(c);
	tour_destroy(d.tour);
	return 0;
}
