/* The loader on the shipped route and on small fixtures: counts, defaults,
 * derived fence centres, datum conversion, and that a failed load reports
 * where and leaves the output untouched. */
#include "routes/geo.h"
#include "routes/route.h"
#include "tests/test.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

static char shipped[4096], fixtures[4096];

struct probe_count {
	unsigned calls;
};

static int
fake_probe(void *ctx, const char *path, int64_t *ms, char *err, size_t errlen)
{
	struct probe_count *p = ctx;
	p->calls++;
	if (strstr(path, "bad.opus")) {
		snprintf(err, errlen, "not an Ogg Opus file");
		return -EINVAL;
	}
	*ms = 1000;
	return 0;
}

static struct route *
load_ok(const char *path, const struct route_load_options *opts)
{
	struct route *r = NULL;
	struct route_diag_list d;
	route_diag_list_init(&d);
	int rc = route_load(path, opts, &r, &d);
	CHECK_INT(rc, 0);
	CHECK_INT(d.n_errors, 0);
	CHECK_INT(d.n_warnings, 0);
	for (unsigned i = 0; i < d.n; i++) {
		char line[1024];
		route_diag_format(&d.items[i], line, sizeof(line));
		fprintf(stderr, "unexpected: %s\n", line);
	}
	route_diag_list_finish(&d);
	return r;
}

static void
test_shipped(void)
{
	struct probe_count pc = {0};
	struct route_load_options opts = {.probe = fake_probe, .probe_ctx = &pc};
	struct route *r = load_ok(shipped, &opts);
	if (!r)
		return;
	CHECK_STR(r->id, "798-751");
	CHECK_INT(r->datum, ROUTE_DATUM_WGS84);
	CHECK_INT(r->n_stops, 12);
	CHECK_INT(r->n_tours, 2);
	CHECK_INT(r->n_langs, 6);
	CHECK_STR(r->langs[0], "zh");
	CHECK_STR(r->langs[1], "en");
	CHECK_STR(r->langs[5], "ru");
	CHECK_STR(route_text_get(r->titles, r->n_titles, "en"),
		  "798 and 751 Art Zone shuttle tour");
	/* 12 stops x 6 languages + 3 announcements x 2 languages (tour loop)
	 * + 3 announcements x 6 languages (tour all) */
	CHECK_INT(pc.calls, 96);

	const struct route_stop *gate = route_find_stop(r, "gate");
	CHECK(gate != NULL);
	if (gate) {
		CHECK_INT(gate->fence.kind, ROUTE_FENCE_CIRCLE);
		CHECK_NEAR(gate->fence.center.lat, 39.983540, 1e-9);
		CHECK_NEAR(gate->fence.center.lon, 116.483825, 1e-9);
		CHECK_NEAR(gate->fence.radius_m, 90, 0);
		CHECK_INT(gate->priority, 1);
		CHECK(gate->play_once); /* the default */
		CHECK_STR(route_text_get(gate->names, gate->n_names, "zh"), "798艺术区大门");
		const struct route_clip *c = route_stop_clip(gate, "en");
		CHECK(c != NULL);
		if (c) {
			CHECK_STR(c->file, "gate.en.opus");
			CHECK(strstr(c->path, "routes/798-751/clips/gate.en.opus") != NULL);
			CHECK_INT(c->duration_ms, 1000);
			CHECK(c->transcript && strstr(c->transcript, "1950s"));
			CHECK(c->loc.line > 0);
			struct stat st;
			CHECK(stat(c->path, &st) == 0);
		}
		CHECK(route_stop_clip(gate, "fr") != NULL);
		CHECK(route_stop_clip(gate, "ja") == NULL);
	}
	const struct route_stop *ps = route_find_stop(r, "power_square");
	CHECK(ps != NULL);
	if (ps) {
		CHECK_INT(ps->fence.kind, ROUTE_FENCE_POLYGON);
		CHECK_INT(ps->fence.n_vertices, 4);
		/* a 100 m x 80 m rectangle: centre in the middle, radius half the diagonal */
		CHECK_NEAR(ps->fence.center.lat, 39.988133, 2e-6);
		CHECK_NEAR(ps->fence.center.lon, 116.4948455, 2e-6);
		CHECK_NEAR(ps->fence.radius_m, 64.0, 0.5);
		CHECK(route_fence_contains(&ps->fence, 39.988133, 116.4948455));
		CHECK(!route_fence_contains(&ps->fence, 39.9890, 116.4948));
	}
	const struct route_stop *ch = route_find_stop(r, "chimney");
	CHECK(ch && ch->heading.set);
	if (ch) {
		CHECK_NEAR(ch->heading.deg, 0, 0);
		CHECK_NEAR(ch->heading.tolerance_deg, 60, 0);
		CHECK_NEAR(ch->lead_m, 25, 0);
	}
	const struct route_tour *t = route_find_tour(r, "loop");
	CHECK(t != NULL);
	CHECK(route_find_tour(r, "nope") == NULL);
	if (!t)
		goto out;
	CHECK_INT(t->n_stops, 12);
	CHECK_INT(t->n_langs, 2);
	CHECK_NEAR(t->speed_kmh, 12, 0);
	CHECK_INT(t->n_path, 15);
	CHECK_STR(r->stops[t->stops[0]].id, "gate");
	CHECK_STR(r->stops[t->stops[7]].id, "tank79");
	CHECK(t->path[0].lat == t->path[t->n_path - 1].lat &&
	      t->path[0].lon == t->path[t->n_path - 1].lon);
	for (int k = 0; k < ROUTE_ANNOUNCE_COUNT; k++)
		CHECK_INT(t->n_announcements[k], 2);
	CHECK_STR(t->announcements[ROUTE_ANNOUNCE_WELCOME][0].lang, "zh");
	CHECK(strstr(t->announcements[ROUTE_ANNOUNCE_WELCOME][1].transcript, "12.57 million"));
	CHECK(t->music == NULL);

	/* every stop is reached in order, with time to tell its story */
	struct route_transit tr[12];
	CHECK_INT(route_tour_transits(r, t, tr), 0);
	double last = -1;
	for (unsigned k = 0; k < 12; k++) {
		CHECK(tr[k].found);
		CHECK(tr[k].enter_m > last || k == 0);
		CHECK(tr[k].exit_m >= tr[k].enter_m);
		CHECK_INT(tr[k].narration_ms, 2000);
		CHECK(tr[k].seconds > 10);
		last = tr[k].enter_m;
	}
	CHECK_NEAR(tr[0].enter_m, 0, 0);
	/* the same ride told in every language, one after another */
	const struct route_tour *all = route_find_tour(r, "all");
	CHECK(all != NULL);
	if (all) {
		CHECK_INT(all->n_stops, 12);
		CHECK_INT(all->n_langs, 6);
		CHECK_INT(all->n_path, 15);
		for (int k = 0; k < ROUTE_ANNOUNCE_COUNT; k++)
			CHECK_INT(all->n_announcements[k], 6);
	}
out:
	route_destroy(r);
}

static void
test_datums(void)
{
	char ok[4200], gcj[4200], bd[4200];
	snprintf(ok, sizeof(ok), "%s/ok.yaml", fixtures);
	snprintf(gcj, sizeof(gcj), "%s/datum-gcj02.yaml", fixtures);
	snprintf(bd, sizeof(bd), "%s/datum-bd09.yaml", fixtures);
	struct route *w = load_ok(ok, NULL);
	struct route *g = load_ok(gcj, NULL);
	struct route *b = load_ok(bd, NULL);
	if (w && g && b) {
		CHECK_INT(g->datum, ROUTE_DATUM_GCJ02);
		CHECK_INT(b->datum, ROUTE_DATUM_BD09);
		for (unsigned i = 0; i < w->n_stops; i++) {
			const struct route_point *a = &w->stops[i].fence.center;
			const struct route_point *c = &g->stops[i].fence.center;
			const struct route_point *d = &b->stops[i].fence.center;
			CHECK(geo_distance_m(a->lat, a->lon, c->lat, c->lon) < 1.0);
			CHECK(geo_distance_m(a->lat, a->lon, d->lat, d->lon) < 1.0);
		}
		for (unsigned i = 0; i < w->tours[0].n_path; i++) {
			const struct route_point *a = &w->tours[0].path[i];
			const struct route_point *c = &g->tours[0].path[i];
			CHECK(geo_distance_m(a->lat, a->lon, c->lat, c->lon) < 1.0);
		}
		/* the known point: 798's centre written in GCJ-02 */
		const char *y = "id: x\ndatum: gcj02\nstops:\n  - id: c\n"
				"    circle: {lat: 39.9851593, lon: 116.4943406, radius_m: 50}\n"
				"tours:\n  - id: t\n    langs: [en]\n    stops: []\n    path:\n"
				"      - {lat: 39.9851593, lon: 116.4943406}\n"
				"      - {lat: 39.9861593, lon: 116.4943406}\n";
		struct route *r = NULL;
		struct route_load_options o = {.no_clip_check = true};
		/* stops: [] is below the schema minimum of 1: refused */
		CHECK_INT(route_load_buffer("mem.yaml", y, strlen(y), &o, &r, NULL), -EINVAL);
		CHECK(r == NULL);
	}
	route_destroy(w);
	route_destroy(g);
	route_destroy(b);

	const char *y = "id: x\ndatum: gcj02\nstops:\n  - id: c\n"
			"    circle: {lat: 39.9851593, lon: 116.4943406, radius_m: 50}\n"
			"    clips: {en: {file: c.opus}}\n"
			"tours:\n  - id: t\n    langs: [en]\n    stops: [c]\n    path:\n"
			"      - {lat: 39.9841593, lon: 116.4943406}\n"
			"      - {lat: 39.9861593, lon: 116.4943406}\n";
	struct route *r = NULL;
	struct route_load_options o = {.no_clip_check = true};
	CHECK_INT(route_load_buffer("mem.yaml", y, strlen(y), &o, &r, NULL), 0);
	if (r) {
		CHECK(geo_distance_m(r->stops[0].fence.center.lat, r->stops[0].fence.center.lon,
				     39.98390, 116.48828) < 1.0);
		route_destroy(r);
	}
}

static void
test_load_failures(void)
{
	char path[4200], line[1024];
	struct route *sentinel = (struct route *)&path, *r = sentinel;
	struct route_diag_list d;

	snprintf(path, sizeof(path), "%s/lat-range.yaml", fixtures);
	route_diag_list_init(&d);
	CHECK_INT(route_load(path, NULL, &r, &d), -EINVAL);
	CHECK(r == sentinel); /* untouched */
	CHECK_INT(d.n_errors, 1);
	CHECK_INT(d.n, 1);
	if (d.n) {
		CHECK_INT(d.items[0].severity, ROUTE_DIAG_ERROR);
		CHECK_INT(d.items[0].loc.line, 15);
		CHECK_INT(d.items[0].loc.col, 19);
		route_diag_format(&d.items[0], line, sizeof(line));
		char want[4400];
		snprintf(want, sizeof(want),
			 "%s:15:19: error: latitude 95.5 is out of range (-90 to 90)", path);
		CHECK_STR(line, want);
	}
	route_diag_list_finish(&d);

	/* the probe's verdict becomes an error at the clip's file: line */
	struct probe_count pc = {0};
	struct route_load_options opts = {.probe = fake_probe, .probe_ctx = &pc};
	snprintf(path, sizeof(path), "%s/clip-undecodable.yaml", fixtures);
	route_diag_list_init(&d);
	CHECK_INT(route_load(path, &opts, &r, &d), -EINVAL);
	CHECK_INT(pc.calls, 4);
	CHECK_INT(d.n_errors, 1);
	if (d.n) {
		CHECK_INT(d.items[0].loc.line, 17);
		CHECK(strstr(d.items[0].message, "not an Ogg Opus file") != NULL);
	}
	route_diag_list_finish(&d);

	/* numbers with junk, from memory; diags may be NULL */
	const char *y =
		"id: x\nstops:\n  - id: c\n    circle: {lat: 52.8abc, lon: 13, radius_m: 5}\n";
	CHECK_INT(route_load_buffer("mem.yaml", y, strlen(y), NULL, &r, NULL), -EINVAL);
	route_diag_list_init(&d);
	CHECK_INT(route_load_buffer("mem.yaml", y, strlen(y), NULL, &r, &d), -EINVAL);
	CHECK_INT(d.n, 2); /* every error at once, in the order of the text */
	if (d.n == 2) {
		route_diag_format(&d.items[0], line, sizeof(line));
		CHECK_STR(line, "mem.yaml:1:1: error: the route has no 'tours' (required)");
		route_diag_format(&d.items[1], line, sizeof(line));
		CHECK_STR(line, "mem.yaml:4:19: error: lat: '52.8abc' is not a number");
	}
	route_diag_list_finish(&d);
	CHECK(r == sentinel);

	/* a size cap of our own */
	struct route_load_options small = {.max_bytes = 10};
	route_diag_list_init(&d);
	CHECK_INT(route_load_buffer("mem.yaml", y, strlen(y), &small, &r, &d), -EFBIG);
	route_diag_list_finish(&d);

	CHECK(route_lang_supported("zh"));
	CHECK(!route_lang_supported("xx"));
	enum route_datum dt;
	CHECK_INT(route_datum_from_str("bd09", &dt), 0);
	CHECK_INT(dt, ROUTE_DATUM_BD09);
	CHECK_INT(route_datum_from_str("WGS84", &dt), -EINVAL);
	CHECK_STR(route_datum_to_str(ROUTE_DATUM_GCJ02), "gcj02");
	route_destroy(NULL);
	route_diag_list_finish(NULL);
}

int
main(void)
{
	const char *root = getenv("GUIDE_SOURCE_ROOT");
	if (!root)
		root = ".";
	snprintf(shipped, sizeof(shipped), "%s/routes/798-751/route.yaml", root);
	snprintf(fixtures, sizeof(fixtures), "%s/tests/routes/fixtures", root);
	test_shipped();
	test_datums();
	test_load_failures();
	TEST_EXIT();
}
