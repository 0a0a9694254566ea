/* Table-driven tests of the trigger and scheduling rules on small routes
 * built in C: a straight path east along y = 0 (metres in a local frame).
 * Each case drives the cart with a script and compares the condensed event
 * sequence ("event:poi:lang:..." words) exactly. */
#include <stdlib.h>

#include "guide/events.h"
#include "guide/tour.h"
#include "guide/trigger.h"
#include "tests/test.h"

#define LAT0 39.98
#define LON0 116.49
#define T0 1714528800000LL

static struct geo_proj proj;

static struct route_point
pt(double x, double y)
{
	struct route_point p;
	geo_unproject(&proj, (struct geo_xy){x, y}, &p.lat, &p.lon);
	return p;
}

struct stopdef {
	const char *id;
	double x, r;
	double lead_s, lead_m;
	int priority;
	double heading, tol;
	int64_t zh_ms;
};

static struct route_clip clips[8][2];
static struct route_stop stops[8];
static unsigned tour_stops[8];
static struct route_point path[2];
static char *langs2[] = {"zh", "en"};
static struct route_tour tour;
static struct route route;

static void
build(const struct stopdef *d, unsigned n, bool with_path)
{
	geo_proj_init(&proj, LAT0, LON0);
	memset(stops, 0, sizeof(stops));
	for (unsigned i = 0; i < n; i++) {
		stops[i].id = (char *)d[i].id;
		stops[i].fence.kind = ROUTE_FENCE_CIRCLE;
		stops[i].fence.center = pt(d[i].x, 0);
		stops[i].fence.radius_m = d[i].r;
		stops[i].lead_s = d[i].lead_s;
		stops[i].lead_m = d[i].lead_m;
		stops[i].priority = d[i].priority;
		stops[i].heading.set = d[i].tol > 0;
		stops[i].heading.deg = d[i].heading;
		stops[i].heading.tolerance_deg = d[i].tol;
		stops[i].play_once = true;
		clips[i][0] = (struct route_clip){.lang = "zh",
						  .file = "zh.opus",
						  .duration_ms = d[i].zh_ms ? d[i].zh_ms : 5000};
		clips[i][1] =
			(struct route_clip){.lang = "en", .file = "en.opus", .duration_ms = 4000};
		stops[i].clips = clips[i];
		stops[i].n_clips = 2;
		tour_stops[i] = i;
	}
	path[0] = pt(0, 0);
	path[1] = pt(1000, 0);
	tour = (struct route_tour){.id = "t",
				   .langs = langs2,
				   .n_langs = 2,
				   .stops = tour_stops,
				   .n_stops = n,
				   .path = with_path ? path : NULL,
				   .n_path = with_path ? 2 : 0};
	route = (struct route){.id = "r",
			       .langs = langs2,
			       .n_langs = 2,
			       .stops = stops,
			       .n_stops = n,
			       .tours = &tour,
			       .n_tours = 1};
}

/* ---- fake player -------------------------------------------------------- */

struct fake {
	struct tour *tour;
	bool active;
	uint64_t token;
	int64_t now, end_ms;
	double x; /* cart x when the last clip started */
	double cart_x;
	bool auto_finish;
};

static int
fake_play(void *ctx, const struct route_clip *c, enum tour_clip_kind kind, uint64_t token)
{
	struct fake *f = ctx;
	f->active = true;
	f->token = token;
	f->end_ms = f->now + c->duration_ms;
	f->x = f->cart_x;
	return 0;
}

static void
fake_stop(void *ctx, uint64_t token)
{
	struct fake *f = ctx;
	if (token == f->token)
		f->active = false;
}

static const struct tour_player_impl fake_impl = {.play = fake_play, .stop = fake_stop};

/* ---- condensed events ------------------------------------------------------- */

static bool
json_get(const char *line, const char *key, char *out, size_t size)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = strstr(line, pat);
	if (!p)
		return false;
	p += strlen(pat);
	size_t n = 0;
	if (*p == '"') {
		p++;
		while (*p && *p != '"' && n + 1 < size)
			out[n++] = *p++;
	} else {
		while (*p && *p != ',' && *p != '}' && n + 1 < size)
			out[n++] = *p++;
	}
	out[n] = '\0';
	return true;
}

/* "event[:poi][:lang][:completed|reason]" words for the events in `keep`
 * (space separated names; NULL keeps all but gps_fix) */
static void
condense(const char *log, const char *keep, char *out, size_t size)
{
	out[0] = '\0';
	const char *line = log;
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[1024], ev[64], v[128], word[300];
		snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
		line += len + (nl ? 1 : 0);
		if (!json_get(buf, "event", ev, sizeof(ev)))
			continue;
		char probe[80];
		snprintf(probe, sizeof(probe), " %s ", ev);
		char keep_sp[512];
		snprintf(keep_sp, sizeof(keep_sp), " %s ", keep ? keep : "");
		if (keep ? !strstr(keep_sp, probe) : strcmp(ev, "gps_fix") == 0)
			continue;
		snprintf(word, sizeof(word), "%s", ev);
		const char *keys[] = {"poi", "lang", "completed", "reason"};
		for (int k = 0; k < 4; k++)
			if (json_get(buf, keys[k], v, sizeof(v)) && v[0] != '[') {
				strncat(word, ":", sizeof(word) - strlen(word) - 1);
				strncat(word, v, sizeof(word) - strlen(word) - 1);
			}
		if (out[0])
			strncat(out, " ", size - strlen(out) - 1);
		strncat(out, word, size - strlen(out) - 1);
	}
}

/* ---- driving ---------------------------------------------------------------- */

struct sim {
	struct events *ev;
	struct fake fake;
	struct tour *tour;
	int64_t now;
};

static void
sim_init(struct sim *s, const char *const *langs, unsigned n_langs)
{
	memset(s, 0, sizeof(*s));
	s->ev = events_create_memory();
	struct tour_config cfg;
	tour_config_defaults(&cfg);
	cfg.fix_log_interval_ms = -1;
	struct tour_player p = {&fake_impl, &s->fake};
	s->tour = tour_create(&route, &p, s->ev, &cfg);
	s->fake.tour = s->tour;
	s->fake.auto_finish = true;
	s->now = T0;
	s->fake.now = T0;
	CHECK_INT(tour_start(s->tour, "t", langs, n_langs, T0), TOUR_OK);
}

static void
sim_finish(struct sim *s)
{
	tour_destroy(s->tour);
	events_destroy(s->ev);
}

static void
sim_advance(struct sim *s, int64_t to)
{
	while (s->fake.auto_finish && s->fake.active && s->fake.end_ms <= to) {
		s->fake.active = false;
		s->fake.now = s->fake.end_ms;
		tour_on_clip_finished(s->tour, s->fake.token, true, s->fake.end_ms);
	}
	s->now = to;
	s->fake.now = to;
}

/* a fix at (x, y) moving at v m/s with course trk (NaN: no doppler) */
static struct hal_fix
mkfix(int64_t t, double x, double y, double v, double trk)
{
	struct hal_fix f = {.set = HAL_FIX_TIME | HAL_FIX_POS | HAL_FIX_MODE,
			    .time_ms = t,
			    .mode = HAL_FIX_MODE_3D};
	geo_unproject(&proj, (struct geo_xy){x, y}, &f.lat, &f.lon);
	f.speed = f.track = f.eph = f.alt = f.hdop = NAN;
	if (isfinite(v)) {
		f.set |= HAL_FIX_SPEED | HAL_FIX_TRACK;
		f.speed = v;
		f.track = trk;
	}
	return f;
}

static void
sim_on_fix(struct sim *s, const struct hal_fix *f, double x)
{
	sim_advance(s, f->time_ms);
	s->fake.cart_x = x;
	tour_on_fix(s->tour, f, f->time_ms);
}

static void
sim_fix(struct sim *s, int64_t t, double x, double y, double v, double trk)
{
	struct hal_fix f = mkfix(t, x, y, v, trk);
	sim_on_fix(s, &f, x);
}

/* drive along y = 0 from x0 to x1 at v (m/s) with fixes every second */
static int64_t
sim_drive(struct sim *s, int64_t t, double x0, double x1, double v)
{
	double dir = x1 >= x0 ? 1 : -1;
	double trk = dir > 0 ? 90 : 270;
	for (double x = x0; dir * (x1 - x) >= -1e-9; x += dir * v) {
		sim_fix(s, t, x, 0, v, trk);
		t += 1000;
	}
	return t;
}

static void
check_log(struct sim *s, const char *keep, const char *expect, const char *name)
{
	char got[4096];
	condense(events_buffer(s->ev), keep, got, sizeof(got));
	if (strcmp(got, expect) != 0) {
		fprintf(stderr, "case %s:\n  got:    %s\n  expect: %s\n", name, got, expect);
		test_failures++;
	}
}

static const char *const ZH[] = {"zh"};
static const char *const ZH_EN[] = {"zh", "en"};

/* ---- the cases ------------------------------------------------------------ */

static void
case_one_bad_fix(void)
{
	/* a 200 m jump into the zone while driving far before it: rejected,
	 * nothing entered, nothing started; the real arrival fires once */
	struct stopdef d[] = {{"a", 300, 30, 0, 0, 0, 0, 0, 0}};
	build(d, 1, true);
	struct sim s;
	sim_init(&s, ZH, 1);
	int64_t t = sim_drive(&s, T0, 0, 100, 5);
	sim_fix(&s, t, 300, 0, 5, 90); /* the bad fix, inside the zone */
	t = sim_drive(&s, t + 1000, 110, 150, 5);
	check_log(&s, NULL, "tour_start fix_rejected:trigger_jump", "one bad fix");
	t = sim_drive(&s, t, 155, 400, 5);
	check_log(&s, "zone_enter zone_exit clip_start", "clip_start:a:zh zone_enter:a zone_exit:a",
		  "one bad fix, arrival");
	sim_finish(&s);
}

static void
case_idle_on_edge(void)
{
	/* zones only (no path): in, then jitter across the edge for a minute:
	 * one enter, no exit, one clip */
	struct stopdef d[] = {{"a", 300, 30, 0, 0, 0, 0, 0, 0}};
	build(d, 1, false);
	struct sim s;
	sim_init(&s, ZH, 1);
	int64_t t = sim_drive(&s, T0, 200, 275, 5);
	for (int i = 0; i < 60; i++, t += 1000)
		sim_fix(&s, t, i % 2 ? 266 : 274, 0, 0.2, 90);
	check_log(&s, NULL,
		  "tour_start zone_enter:a clip_start:a:zh clip_end:a:zh:true tour_end:completed",
		  "idle on edge");
	sim_finish(&s);
}

static void
case_wrong_way(void)
{
	/* heading window 90 +/- 45 (eastbound), zones only */
	struct stopdef d[] = {{"a", 300, 30, 0, 0, 0, 90, 45, 0}};
	build(d, 1, false);
	struct sim s;
	sim_init(&s, ZH, 1);
	int64_t t = sim_drive(&s, T0, 400, 200, 5); /* westbound: no clip */
	t = sim_drive(&s, t, 200, 300, 0.5);        /* crawling: course not trusted */
	t = sim_drive(&s, t, 300, 150, 5);
	t = sim_drive(&s, t, 150, 400, 5); /* eastbound: fires */
	check_log(&s, "zone_enter zone_exit clip_start",
		  "zone_enter:a zone_exit:a zone_enter:a zone_exit:a zone_enter:a clip_start:a:zh",
		  "wrong way");
	sim_finish(&s);
}

static void
case_dropout(void)
{
	/* fixes stop at x = 200 (5 m/s); dead reckoning along the path starts
	 * the clip at x = 270, 14 s later, without a fix */
	struct stopdef d[] = {{"a", 300, 30, 0, 0, 0, 0, 0, 0}};
	build(d, 1, true);
	struct sim s;
	sim_init(&s, ZH, 1);
	int64_t t = sim_drive(&s, T0, 0, 200, 5);
	int64_t last = t - 1000;
	for (; t < last + 30000; t += 1000) {
		sim_advance(&s, t);
		tour_tick(s.tour, t);
	}
	check_log(&s, NULL, "tour_start gps_lost clip_start:a:zh clip_end:a:zh:true", "dropout");
	/* the clip started 14-15 s after the last fix (70 m at 5 m/s, the
	 * smoothing lags a fraction of a metre) */
	const char *cs = strstr(events_buffer(s.ev), "clip_start");
	CHECK(cs != NULL);
	char when[32], when2[32];
	events_format_time(last + 14000, when);
	events_format_time(last + 15000, when2);
	const char *w = strstr(events_buffer(s.ev), when);
	if (!w)
		w = strstr(events_buffer(s.ev), when2);
	if (!(cs && w && cs - w == 35)) {
		fprintf(stderr, "dropout: expected the clip at %s:\n%s", when, events_buffer(s.ev));
		test_failures++;
	}
	sim_finish(&s);
}

static void
case_speed_lead(void)
{
	/* lead_s 6 / lead_m 10, anchor at x = 270: at 5 m/s the lead is 30 m
	 * (start at 240), at 1.4 m/s it is 10 m (start at 260) */
	static const struct {
		double v, start_x;
	} rows[] = {{5.0, 240}, {1.4, 260}, {2.5, 255}};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		struct stopdef d[] = {{"a", 300, 30, 6, 10, 0, 0, 0, 0}};
		build(d, 1, true);
		struct sim s;
		sim_init(&s, ZH, 1);
		sim_drive(&s, T0, 0, 320, rows[i].v);
		CHECK_NEAR(s.fake.x, rows[i].start_x, rows[i].v + 0.01);
		check_log(&s, "clip_start", "clip_start:a:zh", "speed lead");
		sim_finish(&s);
	}
}

static void
case_stale_dropped(void)
{
	/* a's 60 s clip covers b entirely: b is dropped, not played late */
	struct stopdef d[] = {{"a", 300, 20, 0, 0, 0, 0, 0, 60000},
			      {"b", 400, 20, 0, 0, 0, 0, 0, 0}};
	build(d, 2, true);
	struct sim s;
	sim_init(&s, ZH, 1);
	int64_t t = sim_drive(&s, T0, 0, 1000, 5);
	sim_advance(&s, t + 60000);
	tour_tick(s.tour, t + 60000);
	check_log(&s, "clip_start clip_end clip_skip tour_end",
		  "clip_start:a:zh clip_end:a:zh:true clip_skip:b:left_zone tour_end:completed",
		  "stale dropped");
	sim_finish(&s);
}

static void
case_priority(void)
{
	/* b's higher priority cuts a's long clip; equal priority would wait */
	struct stopdef d[] = {{"a", 300, 20, 0, 0, 0, 0, 0, 60000},
			      {"b", 400, 20, 0, 0, 1, 0, 0, 0}};
	build(d, 2, true);
	struct sim s;
	sim_init(&s, ZH, 1);
	sim_drive(&s, T0, 0, 1000, 5);
	check_log(&s, "clip_start clip_end clip_skip",
		  "clip_start:a:zh clip_end:a:zh:false clip_start:b:zh clip_end:b:zh:true",
		  "priority interrupt");
	sim_finish(&s);
}

static void
case_languages(void)
{
	struct stopdef d[] = {{"a", 300, 30, 0, 0, 0, 0, 0, 0}};
	build(d, 1, true);
	struct sim s;
	sim_init(&s, ZH_EN, 2);
	sim_drive(&s, T0, 0, 500, 5);
	check_log(&s, "clip_start clip_end",
		  "clip_start:a:zh clip_end:a:zh:true clip_start:a:en clip_end:a:en:true",
		  "language sequence");
	sim_finish(&s);
}

static void
case_missed_and_skip(void)
{
	/* the driver skips a before it is due; b plays; c is missed during a
	 * long loss (beyond dead reckoning) */
	struct stopdef d[] = {{"a", 200, 20, 0, 0, 0, 0, 0, 0},
			      {"b", 400, 20, 0, 0, 0, 0, 0, 0},
			      {"c", 600, 20, 0, 0, 0, 0, 0, 0}};
	build(d, 3, true);
	struct sim s;
	sim_init(&s, ZH, 1);
	int64_t t = sim_drive(&s, T0, 0, 100, 5);
	CHECK_INT(tour_skip(s.tour, t), TOUR_OK);
	t = sim_drive(&s, t, 105, 450, 5);
	t = sim_drive(&s, t + 60000, 800, 900, 5);
	check_log(&s, "clip_start clip_skip",
		  "clip_skip:a:driver_skip clip_start:b:zh clip_skip:c:missed", "missed and skip");
	sim_finish(&s);
}

/* ---- driver actions in every state ------------------------------------------ */

enum act { A_START, A_STOP, A_PAUSE, A_RESUME, A_SKIP, A_REPLAY, A_LANG, A_VOLUME, A_N };

static enum tour_error
act(struct tour *t, enum act a, int64_t now)
{
	switch (a) {
	case A_START: return tour_start(t, "t", ZH, 1, now);
	case A_STOP: return tour_stop(t, now);
	case A_PAUSE: return tour_pause(t, now);
	case A_RESUME: return tour_resume(t, now);
	case A_SKIP: return tour_skip(t, now);
	case A_REPLAY: return tour_replay(t, now);
	case A_LANG: return tour_set_lang(t, ZH_EN, 2, now);
	case A_VOLUME: return tour_set_volume(t, 0.5, now);
	default: return TOUR_ERR_ARG;
	}
}

static void
case_actions(void)
{
	static const enum tour_error expect[4][A_N] = {
		/* start stop pause resume skip replay lang volume */
		[TOUR_IDLE] = {TOUR_OK, TOUR_ERR_STATE, TOUR_ERR_STATE, TOUR_ERR_STATE,
			       TOUR_ERR_STATE, TOUR_ERR_STATE, TOUR_OK, TOUR_OK},
		[TOUR_RUNNING] = {TOUR_ERR_STATE, TOUR_OK, TOUR_OK, TOUR_ERR_STATE, TOUR_OK,
				  TOUR_ERR_NOTHING, TOUR_OK, TOUR_OK},
		[TOUR_PAUSED] = {TOUR_ERR_STATE, TOUR_OK, TOUR_ERR_STATE, TOUR_OK, TOUR_OK,
				 TOUR_ERR_STATE, TOUR_OK, TOUR_OK},
		[TOUR_FINISHED] = {TOUR_OK, TOUR_ERR_STATE, TOUR_ERR_STATE, TOUR_ERR_STATE,
				   TOUR_ERR_STATE, TOUR_ERR_STATE, TOUR_OK, TOUR_OK},
	};
	static const enum tour_state after_ok[4][A_N] = {
		[TOUR_IDLE] =
			{[A_START] = TOUR_RUNNING, [A_LANG] = TOUR_IDLE, [A_VOLUME] = TOUR_IDLE},
		[TOUR_RUNNING] = {[A_STOP] = TOUR_FINISHED,
				  [A_PAUSE] = TOUR_PAUSED,
				  [A_SKIP] = TOUR_RUNNING,
				  [A_LANG] = TOUR_RUNNING,
				  [A_VOLUME] = TOUR_RUNNING},
		[TOUR_PAUSED] = {[A_STOP] = TOUR_FINISHED,
				 [A_RESUME] = TOUR_RUNNING,
				 [A_SKIP] = TOUR_PAUSED,
				 [A_LANG] = TOUR_PAUSED,
				 [A_VOLUME] = TOUR_PAUSED},
		[TOUR_FINISHED] = {[A_START] = TOUR_RUNNING,
				   [A_LANG] = TOUR_FINISHED,
				   [A_VOLUME] = TOUR_FINISHED},
	};
	struct stopdef d[] = {{"a", 300, 30, 0, 0, 0, 0, 0, 0}, {"b", 600, 30, 0, 0, 0, 0, 0, 0}};
	build(d, 2, true);
	for (int st = TOUR_IDLE; st <= TOUR_FINISHED; st++) {
		for (int a = 0; a < A_N; a++) {
			struct fake f = {0};
			struct tour_player p = {&fake_impl, &f};
			struct tour *t = tour_create(&route, &p, NULL, NULL);
			if (st != TOUR_IDLE)
				tour_start(t, "t", ZH, 1, T0);
			if (st == TOUR_PAUSED)
				tour_pause(t, T0);
			if (st == TOUR_FINISHED)
				tour_stop(t, T0);
			struct tour_status ss;
			tour_get_status(t, &ss);
			CHECK_INT(ss.state, st);
			enum tour_error err = act(t, (enum act)a, T0 + 1000);
			if (err != expect[st][a])
				fprintf(stderr, "state %s action %d: %s\n", tour_state_to_str(st),
					a, tour_error_to_str(err));
			CHECK_INT(err, expect[st][a]);
			tour_get_status(t, &ss);
			CHECK_INT(ss.state, err == TOUR_OK ? after_ok[st][a] : (enum tour_state)st);
			tour_destroy(t);
		}
	}
	/* bad arguments */
	struct fake f = {0};
	struct tour_player p = {&fake_impl, &f};
	struct tour *t = tour_create(&route, &p, NULL, NULL);
	CHECK_INT(tour_start(t, "nope", NULL, 0, T0), TOUR_ERR_NO_TOUR);
	CHECK_INT(tour_start(t, "t", (const char *const[]){"fr"}, 1, T0), TOUR_ERR_LANG);
	CHECK_INT(tour_set_volume(t, 1.5, T0), TOUR_ERR_ARG);
	CHECK_INT(tour_set_volume(t, NAN, T0), TOUR_ERR_ARG);
	CHECK_INT(tour_start(t, NULL, NULL, 0, T0), TOUR_OK);
	unsigned n;
	const char *const *l = tour_langs(t, &n);
	CHECK_INT(n, 2);
	CHECK_STR(l[0], "zh");
	CHECK_STR(tour_error_to_str(TOUR_ERR_STATE), "not possible in this tour state");
	CHECK_STR(tour_state_to_str(TOUR_PAUSED), "paused");
	tour_destroy(t);
	tour_destroy(NULL);
}

static void
case_replay_pause(void)
{
	/* replay restarts the last stop's sequence; pause holds a due clip and
	 * resume drops it when the cart has left meanwhile */
	struct stopdef d[] = {{"a", 300, 30, 0, 0, 0, 0, 0, 0}, {"b", 500, 20, 0, 0, 0, 0, 0, 0}};
	build(d, 2, true);
	struct sim s;
	sim_init(&s, ZH, 1);
	int64_t t = sim_drive(&s, T0, 0, 350, 5);
	CHECK_INT(tour_replay(s.tour, t), TOUR_OK);
	CHECK_INT(tour_pause(s.tour, t), TOUR_OK);
	s.fake.auto_finish = false;
	t = sim_drive(&s, t, 355, 600, 5);
	s.fake.auto_finish = true;
	CHECK_INT(tour_resume(s.tour, t), TOUR_OK);
	sim_advance(&s, t + 10000);
	tour_tick(s.tour, t + 10000);
	check_log(&s, "clip_start clip_end clip_skip tour_state",
		  "clip_start:a:zh clip_end:a:zh:true clip_start:a:zh tour_state tour_state "
		  "clip_end:a:zh:true clip_skip:b:left_zone",
		  "replay and pause");
	sim_finish(&s);
}

struct rejects {
	int n;
	enum fix_filter_reason why[8];
};

static void
collect_rejects(void *ctx, const struct trigger_event *ev)
{
	struct rejects *r = ctx;
	if (ev->kind == TRIGGER_FIX_REJECTED && r->n < 8)
		r->why[r->n++] = ev->reason;
}

static void
case_trigger_stage(void)
{
	/* the trigger engine's own rejections carry the stage 2 reasons of
	 * guide/fix_filter.h, and the event log names them with its strings */
	struct stopdef d[] = {{"a", 300, 30, 0, 0, 0, 0, 0, 0}};
	build(d, 1, true);
	struct rejects r = {0};
	struct trigger *tr = trigger_create(&route, 0, NULL, collect_rejects, &r);
	int64_t t = T0;
	struct hal_fix f;
	for (double x = 0; x <= 50; x += 5, t += 1000) {
		f = mkfix(t, x, 0, 5, 90);
		trigger_on_fix(tr, &f, t);
	}
	f = mkfix(t, 55, 0, 5, 90);
	f.eph = 61; /* the gate's 60 m */
	f.set |= HAL_FIX_EPH;
	trigger_on_fix(tr, &f, t);
	t += 1000;
	f = mkfix(t, 60 + 26, 0, 5, 90); /* 26 m ahead of the prediction: 25 m gate */
	trigger_on_fix(tr, &f, t);
	CHECK_INT(r.n, 2);
	CHECK_INT(r.why[0], FIX_FILTER_TRIGGER_ACCURACY);
	CHECK_INT(r.why[1], FIX_FILTER_TRIGGER_JUMP);
	trigger_destroy(tr);

	struct sim s;
	sim_init(&s, ZH, 1);
	t = sim_drive(&s, T0, 0, 50, 5);
	f = mkfix(t, 55, 0, 5, 90);
	f.eph = 61;
	f.set |= HAL_FIX_EPH;
	sim_on_fix(&s, &f, 55);
	f = mkfix(t + 1000, 60 + 26, 0, 5, 90);
	sim_on_fix(&s, &f, 86);
	char want[128];
	snprintf(want, sizeof(want), "fix_rejected:%s fix_rejected:%s",
		 fix_filter_reason_to_str(FIX_FILTER_TRIGGER_ACCURACY),
		 fix_filter_reason_to_str(FIX_FILTER_TRIGGER_JUMP));
	check_log(&s, "fix_rejected", want, "trigger stage reasons");
	check_log(&s, "fix_rejected", "fix_rejected:trigger_accuracy fix_rejected:trigger_jump",
		  "trigger stage reasons, as documented");
	sim_finish(&s);
}

static struct route_point path_many[31];

/* The path as 31 points 50 m apart (0 to 1500 m): the engine searches the
 * path by its vertices near the progress. */
static void
many_points(void)
{
	for (unsigned k = 0; k < 31; k++)
		path_many[k] = pt(50.0 * k, 0);
	tour.path = path_many;
	tour.n_path = 31;
}

static void
case_reanchor(void)
{
	/* issue 13.9: the receiver stops reporting at x = 400 while the cart
	 * waits there; the engine dead-reckons on at 10 m/s, then carries its
	 * prediction on through 8 s of fixes back at x = 400 (trigger_jump),
	 * and finally accepts them: it must re-anchor there, on the path,
	 * and tell b (x = 1200) where the cart reaches it */
	struct stopdef d[] = {{"a", 300, 30, 0, 0, 0, 0, 0, 0}, {"b", 1200, 30, 0, 0, 0, 0, 0, 0}};
	build(d, 2, true);
	many_points();
	struct sim s;
	sim_init(&s, ZH, 1);
	int64_t t = sim_drive(&s, T0, 0, 400, 10);
	for (int64_t end = t + 15000; t < end; t += 1000) {
		sim_advance(&s, t);
		tour_tick(s.tour, t);
	}
	for (int64_t end = t + 12000; t < end; t += 1000)
		sim_fix(&s, t, 400, 0, 0, 90);
	struct tour_status st;
	tour_get_status(s.tour, &st);
	if (!st.pos.on_path || fabs(st.pos.progress_m - 400) > 15) {
		fprintf(stderr,
			"re-anchor: on_path %d progress %.1f, expected on the path at 400\n",
			st.pos.on_path, st.pos.progress_m);
		test_failures++;
	}
	sim_drive(&s, t, 400, 1500, 10);
	check_log(&s, "clip_start clip_skip", "clip_start:a:zh clip_start:b:zh", "re-anchor");
	CHECK_NEAR(s.fake.x, 1170, 10);
	sim_finish(&s);
}

static void
case_start_zone(void)
{
	/* issue 14.2: the tour starts in stop a (r 30 m around x = 0); 20 s of
	 * welcome; the cart leaves at once at 5 m/s and is out of a's zone
	 * after ~8 s.  a is told right after the welcome (b, at x = 400, comes
	 * up only at x ~ 370, 74 s on); with b at x = 110 it is b's turn when
	 * the welcome ends and a is dropped (route_check warns of that) */
	static const struct {
		double b_x;
		const char *expect;
	} rows[] = {
		{400, "clip_start:welcome:zh clip_end:welcome:zh:true clip_start:a:zh "
		      "clip_end:a:zh:true clip_start:b:zh clip_end:b:zh:true"},
		{110, "clip_start:welcome:zh clip_end:welcome:zh:true clip_skip:a:left_zone "
		      "clip_start:b:zh clip_end:b:zh:true"},
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		struct stopdef d[] = {{"a", 0, 30, 0, 0, 0, 0, 0, 0},
				      {"b", rows[i].b_x, 20, 0, 0, 0, 0, 0, 0}};
		build(d, 2, true);
		struct route_clip welcome = {.lang = "zh", .file = "w.opus", .duration_ms = 20000};
		tour.announcements[ROUTE_ANNOUNCE_WELCOME] = &welcome;
		tour.n_announcements[ROUTE_ANNOUNCE_WELCOME] = 1;
		struct sim s;
		sim_init(&s, ZH, 1);
		sim_drive(&s, T0, 0, 700, 5);
		check_log(&s, "clip_start clip_end clip_skip", rows[i].expect, "start zone");
		sim_finish(&s);
		tour.announcements[ROUTE_ANNOUNCE_WELCOME] = NULL;
		tour.n_announcements[ROUTE_ANNOUNCE_WELCOME] = 0;
	}
}

int
main(void)
{
	case_one_bad_fix();
	case_idle_on_edge();
	case_wrong_way();
	case_dropout();
	case_speed_lead();
	case_stale_dropped();
	case_priority();
	case_languages();
	case_missed_and_skip();
	case_actions();
	case_replay_pause();
	case_trigger_stage();
	case_start_zone();
	case_reanchor();
	TEST_EXIT();
}
