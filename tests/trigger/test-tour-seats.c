/* The tour in channels mode (issue 16, tour_config.seats) on a small route
 * built in C (a straight path east along y = 0, metres in a local frame):
 * a stop's clips start together, a language without a clip gets clip_skip
 * "no_clip" and nothing else, the next stop waits for the longest clip, a
 * cut ends every language, and the early start counts the longest clip, not
 * the sum. */
#include <stdlib.h>

#include "guide/events.h"
#include "guide/seats.h"
#include "guide/tour.h"
#include "tests/test.h"

#define LAT0 39.98
#define LON0 116.49
#define T0 1714528800000LL

static struct geo_proj proj;

static struct route_point
pt(double x)
{
	struct route_point p;
	geo_unproject(&proj, (struct geo_xy){x, 0}, &p.lat, &p.lon);
	return p;
}

/* stop a at x = 100 (zh 15 s, en 15 s, no ko), b at x = 200 (all three) */
static struct route_clip clips_a[2] = {
	{.lang = "zh", .file = "a.zh.opus", .duration_ms = 15000},
	{.lang = "en", .file = "a.en.opus", .duration_ms = 15000},
};
static struct route_clip clips_b[3] = {
	{.lang = "zh", .file = "b.zh.opus", .duration_ms = 3000},
	{.lang = "en", .file = "b.en.opus", .duration_ms = 2000},
	{.lang = "ko", .file = "b.ko.opus", .duration_ms = 4000},
};
static struct route_stop stops[2];
static unsigned tour_stops[2] = {0, 1};
static struct route_point path[2];
static char *langs3[] = {"zh", "en", "ko"};
static struct route_tour tour;
static struct route route;

static void
build(void)
{
	geo_proj_init(&proj, LAT0, LON0);
	const double x[2] = {100, 200};
	for (unsigned i = 0; i < 2; i++) {
		stops[i] = (struct route_stop){.id = i ? "b" : "a",
					       .clips = i ? clips_b : clips_a,
					       .n_clips = i ? 3 : 2,
					       .play_once = true,
					       .lead_m = 10};
		stops[i].fence.kind = ROUTE_FENCE_CIRCLE;
		stops[i].fence.center = pt(x[i]);
		stops[i].fence.radius_m = 20;
	}
	path[0] = pt(0);
	path[1] = pt(400);
	tour = (struct route_tour){.id = "t",
				   .langs = langs3,
				   .n_langs = 3,
				   .stops = tour_stops,
				   .n_stops = 2,
				   .path = path,
				   .n_path = 2};
	route = (struct route){.id = "r",
			       .langs = langs3,
			       .n_langs = 3,
			       .stops = stops,
			       .n_stops = 2,
			       .tours = &tour,
			       .n_tours = 1};
}

/* A player that plays any number of clips at once, each for its duration. */
#define MAXP 32
struct fake {
	struct {
		uint64_t token;
		int64_t start, end;
		const char *lang;
		bool active;
	} p[MAXP];
	unsigned n;
	int64_t now;
	double cart_x;
	double first_x;        /* cart x at the first play */
	const char *fail_file; /* play() of this clip fails */
};

static int
fake_play(void *ctx, const struct route_clip *c, enum tour_clip_kind kind, uint64_t token)
{
	struct fake *f = ctx;
	if (f->n == MAXP || (f->fail_file && strcmp(c->file, f->fail_file) == 0))
		return -2; /* -ENOENT */
	if (f->n == 0)
		f->first_x = f->cart_x;
	f->p[f->n].token = token;
	f->p[f->n].start = f->now;
	f->p[f->n].end = f->now + c->duration_ms;
	f->p[f->n].lang = c->lang;
	f->p[f->n].active = true;
	f->n++;
	return 0;
}

static void
fake_stop(void *ctx, uint64_t token)
{
	struct fake *f = ctx;
	for (unsigned i = 0; i < f->n; i++)
		if (f->p[i].token == token)
			f->p[i].active = false;
}

static const struct tour_player_impl fake_impl = {.play = fake_play, .stop = fake_stop};

/* Reports each clip's end up to `to`, in time order. */
static void
advance(struct tour *t, struct fake *f, int64_t to)
{
	for (;;) {
		int best = -1;
		for (unsigned i = 0; i < f->n; i++)
			if (f->p[i].active && f->p[i].end <= to &&
			    (best < 0 || f->p[i].end < f->p[best].end))
				best = (int)i;
		if (best < 0)
			break;
		f->p[best].active = false;
		f->now = f->p[best].end;
		tour_on_clip_finished(t, f->p[best].token, true, f->now);
	}
	f->now = to;
}

/* drives east from x0 to x1 at v m/s, a fix a second; returns the time */
static int64_t
drive(struct tour *t, struct fake *f, int64_t now, double x0, double x1, double v)
{
	for (double x = x0; x <= x1 + 1e-9; x += v, now += 1000) {
		struct hal_fix fix = {.set = HAL_FIX_TIME | HAL_FIX_POS | HAL_FIX_MODE |
					     HAL_FIX_SPEED | HAL_FIX_TRACK,
				      .time_ms = now,
				      .mode = HAL_FIX_MODE_3D,
				      .speed = v,
				      .track = 90};
		geo_unproject(&proj, (struct geo_xy){x, 0}, &fix.lat, &fix.lon);
		fix.eph = fix.alt = fix.hdop = NAN;
		advance(t, f, now);
		f->cart_x = x;
		tour_on_fix(t, &fix, now);
	}
	return now;
}

static struct tour *
make(struct fake *f, struct events *ev, const struct seats *seats, const char *const *langs,
     unsigned nl)
{
	struct tour_config cfg;
	tour_config_defaults(&cfg);
	cfg.fix_log_interval_ms = -1;
	cfg.announcements = false;
	cfg.seats = seats;
	struct tour_player p = {&fake_impl, f};
	struct tour *t = tour_create(&route, &p, ev, &cfg);
	f->now = T0;
	CHECK_INT(tour_start(t, "t", langs, nl, T0), TOUR_OK);
	return t;
}

static unsigned
count(const char *log, const char *needle)
{
	unsigned n = 0;
	for (const char *p = log; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void
test_together_and_no_clip(void)
{
	struct seats seats;
	char why[128];
	CHECK_INT(seats_parse("zh=1+2,en=3,ko=4-5", &seats, why, sizeof(why)), 0);
	struct fake f = {0};
	struct events *ev = events_create_memory();
	struct tour *t = make(&f, ev, &seats, NULL, 0);
	unsigned nl;
	const char *const *l = tour_langs(t, &nl);
	CHECK(nl == 3 && strcmp(l[0], "zh") == 0 && strcmp(l[2], "ko") == 0);
	/* the seats' languages are fixed */
	const char *zh[] = {"zh"};
	CHECK_INT(tour_set_lang(t, zh, 1, T0), TOUR_ERR_SEATS);
	CHECK_STR(tour_error_to_str(TOUR_ERR_SEATS), "seats choose their language: channels mode");
	drive(t, &f, T0, 0, 400, 5);
	advance(t, &f, T0 + 400000);
	const char *log = events_buffer(ev);
	/* a: zh and en at once, ko told nothing (and never another's clip) */
	CHECK(f.n == 5);
	CHECK(f.p[0].start == f.p[1].start && strcmp(f.p[0].lang, "zh") == 0 &&
	      strcmp(f.p[1].lang, "en") == 0);
	CHECK_INT(count(log, "\"event\":\"clip_skip\",\"seq\":"), 1);
	CHECK(strstr(log, "\"poi\":\"a\",\"reason\":\"no_clip\",\"lang\":\"ko\""));
	CHECK(strstr(log, "\"clip\":\"a.zh.opus\",\"lang\":\"zh\""));
	CHECK(strstr(log, "\"channels\":[1,2]") && strstr(log, "\"channels\":[3]") &&
	      strstr(log, "\"channels\":[4,5]"));
	/* b: its three clips together, after the longest of a ended */
	CHECK(f.p[2].start == f.p[3].start && f.p[3].start == f.p[4].start);
	CHECK(f.p[2].start >= f.p[0].end);
	struct tour_lang_playing lp[3];
	CHECK_INT(tour_get_playing(t, lp, 3), 3);
	CHECK(!lp[0].clip && !lp[1].clip && !lp[2].clip);
	CHECK_INT(count(log, "\"event\":\"clip_end\""), 5);
	tour_destroy(t);
	events_destroy(ev);
}

/* A cut (stop) ends every language's clip; status shows each one. */
static void
test_cut_all(void)
{
	struct seats seats;
	char why[128];
	CHECK_INT(seats_parse("zh=1,en=2,ko=3", &seats, why, sizeof(why)), 0);
	struct fake f = {0};
	struct events *ev = events_create_memory();
	struct tour *t = make(&f, ev, &seats, NULL, 0);
	int64_t now = drive(t, &f, T0, 0, 100, 5);
	struct tour_lang_playing lp[3];
	CHECK_INT(tour_get_playing(t, lp, 3), 3);
	CHECK(lp[0].clip && strcmp(lp[0].clip->file, "a.zh.opus") == 0 && lp[1].clip &&
	      !lp[2].clip && strcmp(lp[0].poi, "a") == 0);
	CHECK_INT(tour_stop(t, now), TOUR_OK);
	CHECK(!f.p[0].active && !f.p[1].active);
	CHECK_INT(count(events_buffer(ev), "\"completed\":false"), 2);
	tour_destroy(t);
	events_destroy(ev);
}

/* A clip that cannot be played: an error, clip_skip "play_failed" for its
 * language, the other languages play. */
static void
test_play_failed(void)
{
	struct seats seats;
	char why[128];
	CHECK_INT(seats_parse("zh=1,en=2,ko=3", &seats, why, sizeof(why)), 0);
	struct fake f = {.fail_file = "b.en.opus"};
	struct events *ev = events_create_memory();
	struct tour *t = make(&f, ev, &seats, NULL, 0);
	drive(t, &f, T0, 0, 400, 5);
	const char *log = events_buffer(ev);
	CHECK(strstr(log, "\"poi\":\"b\",\"reason\":\"play_failed\",\"lang\":\"en\","
			  "\"clip\":\"b.en.opus\""));
	CHECK(strstr(log, "\"event\":\"error\""));
	CHECK(strstr(log, "\"clip\":\"b.zh.opus\"") && strstr(log, "\"clip\":\"b.ko.opus\""));
	CHECK_INT(f.n, 4); /* a: zh, en; b: zh, ko */
	tour_destroy(t);
	events_destroy(ev);
}

/* Stop a's airtime: the sum of its clips in sequential mode, the longest in
 * channels mode.  Channels mode with zh and en (15 s each) starts a where
 * sequential mode with zh alone (15 s) does, and later than sequential
 * mode with both (30 s, a longer early start). */
static double
first_x(const struct seats *seats, const char *const *langs, unsigned nl)
{
	struct fake f = {0};
	struct tour *t = make(&f, NULL, seats, langs, nl);
	drive(t, &f, T0, 0, 120, 10);
	double x = f.n ? f.first_x : -1;
	tour_destroy(t);
	return x;
}

static void
test_airtime_longest(void)
{
	struct seats seats;
	char why[128];
	CHECK_INT(seats_parse("zh=1,en=2", &seats, why, sizeof(why)), 0);
	const char *zh[] = {"zh"}, *zh_en[] = {"zh", "en"};
	double ch = first_x(&seats, NULL, 0);
	double seq1 = first_x(NULL, zh, 1);
	double seq2 = first_x(NULL, zh_en, 2);
	CHECK(ch == seq1);
	CHECK(seq2 < ch);
	if (!(ch == seq1 && seq2 < ch))
		fprintf(stderr, "first clip at x: channels %g, sequential zh %g, zh+en %g\n", ch,
			seq1, seq2);
}

static void
test_seats_parse(void)
{
	struct seats s;
	char why[128];
	CHECK_INT(seats_parse("zh=1+2,en=3,ko=4-5", &s, why, sizeof(why)), 0);
	CHECK(s.n == 3 && s.channels == 5 && s.seat[0].mask == 0x3 && s.seat[1].mask == 0x4 &&
	      s.seat[2].mask == 0x18);
	CHECK_INT(seats_parse("en=8,zh=1", &s, why, sizeof(why)), 0);
	CHECK(s.channels == 8);
	char buf[32];
	seats_format_mask(0x1b, buf, sizeof(buf));
	CHECK_STR(buf, "1+2+4+5");
	static const struct {
		const char *spec, *why;
	} bad[] = {
		{"", "no seats given (LANG=CH[,LANG=CH...], e.g. zh=1+2,en=3)"},
		{"zh", "'zh': LANG=CH expected (e.g. zh=1+2,en=3)"},
		{"zh=0", "'0': channels are 1-8"},
		{"zh=9", "'9': channels are 1-8"},
		{"zh=3-2", "'3-2': a range N-M with 1 <= N <= M <= 8"},
		{"zh=1+1", "channel 1 named twice"},
		{"zh=1-3,en=3", "channel 3 is given to both zh and en"},
		{"zh=1,zh=2", "language 'zh' given twice"},
		{"zh=1;en=2", "';en=2': ',' or '+' expected after a channel"},
		{"zh=1,", "'': LANG=CH expected (e.g. zh=1+2,en=3)"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s.n = 77;
		why[0] = '\0';
		CHECK_INT(seats_parse(bad[i].spec, &s, why, sizeof(why)), -1);
		CHECK_STR(why, bad[i].why);
		CHECK_INT(s.n, 77); /* untouched */
	}
}

int
main(void)
{
	build();
	test_seats_parse();
	test_together_and_no_clip();
	test_cut_all();
	test_play_failed();
	test_airtime_longest();
	return test_failures ? 1 : 0;
}
