/* The accuracy harness shared by test-trigger-accuracy (small set, asserts
 * the targets) and bench/trigger-accuracy (full set): synthetic drives on
 * the synthetic route, fed as the daemon feeds them (the fix filter, then
 * the tour; a tick every second between fixes) into a tour with a fake
 * player whose clips last their duration_ms on the drive's clock.
 *
 * The shapes (enum acc_shape) beside the plain drive: a quick departure (the
 * tour starts inside its first stop, 47 s of welcome and safety, the cart
 * leaves at once), a parked cart (10 minutes before leaving, 5 after) and a
 * closed loop with an excursion near its start (100 m off the path and back
 * where the loop's end runs 20-30 m beside it, sparse fixes every 1-5 s,
 * urban noise).  A stop the tour starts in is scored from where the cart is
 * when the opening announcements end (it cannot be told earlier). */
#pragma once

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guide/curator/track.h"
#include "guide/events.h"
#include "guide/fix_filter.h"
#include "guide/tour.h"
#include "guide/trigger.h"

#define ACC_FALSE_MARGIN_M 50.0

struct acc_side {
	unsigned entries, recalled, false_triggers;
	double *errs;
	size_t n_errs, cap_errs;
};

struct acc_totals {
	unsigned drives;
	struct acc_side ours, naive;
	unsigned worst_false_drive_ours; /* drives with any false trigger */
	unsigned drives_with_miss_ours;
};

struct acc_player {
	const struct route *r;
	struct tour *tour;
	uint64_t token;
	int64_t end_ms;
	bool active;
	int64_t now;
	double true_along;
	int64_t announce_end_ms; /* when the last announcement started ends */
	int64_t opening_end_ms;  /* ... as the first stop's clip started */
	/* per entry (the synthetic route's entries are its stops) */
	int *starts;
	double *start_along;
};

static int
acc_play(void *ctx, const struct route_clip *clip, enum tour_clip_kind kind, uint64_t token)
{
	struct acc_player *p = ctx;
	p->token = token;
	p->active = true;
	p->end_ms = p->now + (clip->duration_ms > 0 ? clip->duration_ms : 1000);
	if (kind != TOUR_CLIP_STOP) {
		p->announce_end_ms = p->end_ms;
		return 0;
	}
	if (!p->opening_end_ms)
		p->opening_end_ms = p->announce_end_ms ? p->announce_end_ms : -1;
	for (unsigned i = 0; i < p->r->n_stops; i++) {
		const struct route_stop *s = &p->r->stops[i];
		if (clip == &s->clips[0]) {
			if (p->starts[i]++ == 0)
				p->start_along[i] = p->true_along;
			else
				p->start_along[i] = p->start_along[i]; /* counted as repeat */
		}
	}
	return 0;
}

static void
acc_stop(void *ctx, uint64_t token)
{
	struct acc_player *p = ctx;
	if (p->token == token)
		p->active = false;
}

static const struct tour_player_impl acc_player_impl = {
	.play = acc_play,
	.stop = acc_stop,
};

static void
acc_push(struct acc_side *s, double e)
{
	if (s->n_errs == s->cap_errs) {
		s->cap_errs = s->cap_errs ? 2 * s->cap_errs : 256;
		s->errs = realloc(s->errs, s->cap_errs * sizeof(double));
	}
	s->errs[s->n_errs++] = e;
}

static int
acc_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double
acc_pct(struct acc_side *s, double q)
{
	if (!s->n_errs)
		return NAN;
	qsort(s->errs, s->n_errs, sizeof(double), acc_cmp);
	size_t i = (size_t)ceil(q * (double)s->n_errs) - 1;
	if (i >= s->n_errs)
		i = s->n_errs - 1;
	return s->errs[i];
}

/* Score one entry's starts: count, first along; ideal and exit along. */
static void
acc_score(struct acc_side *side, int starts, double first_along, double ideal, double exit_along,
	  unsigned *falses)
{
	side->entries++;
	if (starts == 0)
		return;
	bool bad = first_along < ideal - ACC_FALSE_MARGIN_M ||
		   first_along > fmax(exit_along, ideal) + ACC_FALSE_MARGIN_M;
	if (bad) {
		(*falses)++;
	} else {
		side->recalled++;
		acc_push(side, fabs(first_along - ideal));
	}
	*falses += (unsigned)(starts - 1);
}

/* Runs one drive; returns the number of false triggers + misses of ours. */
static unsigned
acc_run_drive(const struct route *r, const struct track_options *o, struct acc_totals *tot,
	      bool verbose)
{
	struct track_sample *s;
	size_t n;
	if (track_generate(r, 0, o, &s, &n) < 0)
		return 1000;
	const struct route_tour *tour = &r->tours[0];
	unsigned ne = tour->n_stops;
	struct trigger_config tc;
	trigger_config_defaults(&tc);
	struct trigger *geo = trigger_create(r, 0, &tc, NULL, NULL);
	double *ideal = calloc(ne, sizeof(double)), *exit_a = calloc(ne, sizeof(double));
	for (unsigned i = 0; i < ne; i++) {
		double sa, ea;
		trigger_entry_span(geo, i, &sa, &ea);
		const struct route_stop *st = &r->stops[tour->stops[i]];
		ideal[i] = NAN;
		exit_a[i] = ea;
		for (size_t k = 0; k < n; k++) {
			double lead = fmax(st->lead_m, st->lead_s * s[k].true_speed);
			if (s[k].true_along >= sa - lead) {
				ideal[i] = s[k].true_along;
				break;
			}
		}
	}

	struct acc_player p = {.r = r};
	p.starts = calloc(r->n_stops, sizeof(int));
	p.start_along = calloc(r->n_stops, sizeof(double));
	struct tour_player tp = {&acc_player_impl, &p};
	struct tour_config cfg;
	tour_config_defaults(&cfg);
	struct events *ev = verbose ? events_create_file(stderr) : NULL;
	struct tour *t = tour_create(r, &tp, ev, &cfg);
	p.tour = t;
	p.now = s[0].t_ms;
	p.true_along = s[0].true_along;
	tour_start(t, NULL, NULL, 0, s[0].t_ms);
	/* stage 1, as in the daemon (guide/daemon/daemon_gps.c) */
	struct fix_filter *ff = NULL;
	fix_filter_create(NULL, &ff);
	int64_t last_tick = s[0].t_ms;

	/* the naive baseline: any raw fix inside a fence starts its clip on
	 * each outside -> inside transition */
	int *nstarts = calloc(ne, sizeof(int));
	double *nfirst = calloc(ne, sizeof(double));
	bool *ninside = calloc(ne, sizeof(bool));
	struct geo_proj proj;
	geo_proj_init(&proj, tour->path[0].lat, tour->path[0].lon);
	struct trigger_index *ix = trigger_index_create(0);
	for (unsigned i = 0; i < ne; i++)
		trigger_index_add_fence(ix, &proj, &r->stops[tour->stops[i]].fence);
	trigger_index_build(ix);

	for (size_t k = 0; k < n; k++) {
		int64_t now = s[k].t_ms;
		p.true_along = s[k].true_along;
		while (p.active && p.end_ms <= now) {
			p.active = false;
			p.now = p.end_ms;
			tour_on_clip_finished(t, p.token, true, p.end_ms);
		}
		/* the daemon's loop ticks at least once a second between fixes */
		while (last_tick + 1000 < now) {
			last_tick += 1000;
			while (p.active && p.end_ms <= last_tick) {
				p.active = false;
				p.now = p.end_ms;
				tour_on_clip_finished(t, p.token, true, p.end_ms);
			}
			p.now = last_tick;
			tour_tick(t, last_tick);
		}
		last_tick = now;
		p.now = now;
		if (s[k].dropped) {
			fix_filter_reset(ff);
			tour_tick(t, now);
		} else if (fix_filter_reason_accepted(fix_filter_push(ff, &s[k].fix))) {
			tour_on_fix(t, &s[k].fix, now);
		} else {
			tour_tick(t, now);
		}
		if (!s[k].dropped) {
			struct geo_xy q = geo_project(&proj, s[k].fix.lat, s[k].fix.lon);
			for (unsigned i = 0; i < ne; i++) {
				bool in = trigger_index_zone_contains(ix, i, q, 0, NULL);
				if (in && !ninside[i]) {
					if (nstarts[i]++ == 0)
						nfirst[i] = s[k].true_along;
				}
				ninside[i] = in;
			}
		}
	}

	/* a stop the tour starts in can be told once the opening announcements
	 * end: score it from where the cart is then */
	if (ne && p.opening_end_ms > 0 &&
	    trigger_index_zone_contains(
		    ix, 0, geo_project(&proj, tour->path[0].lat, tour->path[0].lon), 0, NULL)) {
		for (size_t k = 0; k < n; k++)
			if (s[k].t_ms >= p.opening_end_ms) {
				ideal[0] = fmax(ideal[0], s[k].true_along);
				break;
			}
	}
	unsigned ours_false = 0, naive_false = 0, missed = 0;
	for (unsigned i = 0; i < ne; i++) {
		unsigned before = tot->ours.recalled;
		acc_score(&tot->ours, p.starts[tour->stops[i]], p.start_along[tour->stops[i]],
			  ideal[i], exit_a[i], &ours_false);
		if (tot->ours.recalled == before)
			missed++;
		acc_score(&tot->naive, nstarts[i], nfirst[i], ideal[i], exit_a[i], &naive_false);
		if (verbose)
			fprintf(stderr, "entry %u: ideal %.1f ours %d@%.1f naive %d@%.1f\n", i,
				ideal[i], p.starts[tour->stops[i]], p.start_along[tour->stops[i]],
				nstarts[i], nfirst[i]);
	}
	tot->ours.false_triggers += ours_false;
	tot->naive.false_triggers += naive_false;
	tot->drives++;
	if (ours_false)
		tot->worst_false_drive_ours++;
	if (missed)
		tot->drives_with_miss_ours++;

	tour_destroy(t);
	fix_filter_destroy(ff);
	events_destroy(ev);
	trigger_destroy(geo);
	trigger_index_destroy(ix);
	free(ideal);
	free(exit_a);
	free(p.starts);
	free(p.start_along);
	free(nstarts);
	free(nfirst);
	free(ninside);
	free(s);
	return ours_false + missed;
}

static void
acc_print(struct acc_totals *t, FILE *f)
{
	fprintf(f,
		"accuracy: drives %u  ours: recall %.1f%% (%u/%u) false %u median %.1f m p95 %.1f m"
		"  |  naive: recall %.1f%% (%u/%u) false %u median %.1f m p95 %.1f m\n",
		t->drives, 100.0 * t->ours.recalled / (t->ours.entries ? t->ours.entries : 1),
		t->ours.recalled, t->ours.entries, t->ours.false_triggers, acc_pct(&t->ours, 0.5),
		acc_pct(&t->ours, 0.95),
		100.0 * t->naive.recalled / (t->naive.entries ? t->naive.entries : 1),
		t->naive.recalled, t->naive.entries, t->naive.false_triggers,
		acc_pct(&t->naive, 0.5), acc_pct(&t->naive, 0.95));
}

static void
acc_free(struct acc_totals *t)
{
	free(t->ours.errs);
	free(t->naive.errs);
}

/* The drive set: speeds x noise x rate x seeds, with jumps up to 60 m,
 * dropouts, halts at the stops and a parked cart at both ends (the plain
 * shape; acc_shape_options() for the others). */
static void
acc_options(struct track_options *o, double kmh, double noise, double hz, uint64_t seed)
{
	track_options_defaults(o);
	o->speed_kmh = kmh;
	o->noise_m = noise;
	o->bias_m = noise * 0.5;
	o->hz = hz;
	o->seed = seed;
	o->jump_per_min = 1.0;
	o->jump_min_m = 20;
	o->jump_max_m = 60;
	o->dropout_per_min = 0.3;
	o->halt_s = 10;
	o->park_start_s = 30;
	o->park_end_s = 180;
}

/* The shapes of drive beside the plain one (see the top of this file). */
enum acc_shape {
	ACC_PLAIN,
	ACC_QUICK_DEPARTURE, /* starts in the first stop, leaves at once */
	ACC_PARKED,          /* 10 minutes parked before leaving, 5 after */
	ACC_LOOP_EXCURSION,  /* 100 m off the path and back near the loop's start */
	ACC_SHAPE_COUNT
};

static const char *const acc_shape_names[ACC_SHAPE_COUNT] = {"plain", "quick departure", "parked",
							     "loop excursion"};

/* The routes the shapes drive: the synthetic loop as it is (it starts and
 * ends 20 m apart at its south-west corner), and the same loop started
 * inside its first stop with welcome and safety announcements (zh+en,
 * 47 s, as the shipped tour's). */
struct acc_routes {
	struct route *plain, *start;
};

static int
acc_clip(struct route_clip *c, const char *lang, const char *name, int64_t ms)
{
	char file[64];
	snprintf(file, sizeof(file), "%s.%s.opus", name, lang);
	c->lang = strdup(lang);
	c->file = strdup(file);
	c->path = strdup(file);
	c->duration_ms = ms;
	return c->lang && c->file && c->path ? 0 : -1;
}

static struct route *
acc_start_route(void)
{
	struct route *r = track_synthetic_route();
	if (!r)
		return NULL;
	struct route_tour *t = &r->tours[0];
	/* gate_a is the circle of 30 m around (300, 12): start inside it at
	 * (280, 0), go round and end at (250, 0), 30 m behind the start */
	static const double xy[][2] = {
		{280, 0},   {600, 0},   {600, 400},  {200, 400}, {200, 800}, {215, 800},
		{215, 420}, {900, 420}, {900, -300}, {0, -300},  {0, 0},     {250, 0},
	};
	const unsigned np = sizeof(xy) / sizeof(*xy);
	struct geo_proj proj;
	geo_proj_init(&proj, 39.9839, 116.4883); /* the synthetic route's origin */
	struct route_point *path = calloc(np, sizeof(*path));
	struct route_clip *w = calloc(2, sizeof(*w)), *sf = calloc(2, sizeof(*sf));
	if (!path || !w || !sf)
		goto fail;
	for (unsigned i = 0; i < np; i++)
		geo_unproject(&proj, (struct geo_xy){xy[i][0], xy[i][1]}, &path[i].lat,
			      &path[i].lon);
	free(t->path);
	t->path = path;
	t->n_path = np;
	path = NULL;
	t->announcements[ROUTE_ANNOUNCE_WELCOME] = w;
	t->n_announcements[ROUTE_ANNOUNCE_WELCOME] = 2;
	t->announcements[ROUTE_ANNOUNCE_SAFETY] = sf;
	t->n_announcements[ROUTE_ANNOUNCE_SAFETY] = 2;
	if (acc_clip(&w[0], "zh", "welcome", 12000) < 0 ||
	    acc_clip(&w[1], "en", "welcome", 10000) < 0 ||
	    acc_clip(&sf[0], "zh", "safety", 13000) < 0 ||
	    acc_clip(&sf[1], "en", "safety", 12000) < 0) {
		w = sf = NULL;
		goto fail;
	}
	return r;
fail:
	free(path);
	free(w);
	free(sf);
	route_destroy(r);
	return NULL;
}

static int
acc_routes_init(struct acc_routes *rs)
{
	rs->plain = track_synthetic_route();
	rs->start = acc_start_route();
	return rs->plain && rs->start ? 0 : -1;
}

static void
acc_routes_finish(struct acc_routes *rs)
{
	route_destroy(rs->plain);
	route_destroy(rs->start);
}

/* One drive of a shape; returns its route (NULL: none for the shape). */
static const struct route *
acc_shape_options(const struct acc_routes *rs, enum acc_shape shape, struct track_options *o,
		  double kmh, double noise, double hz, uint64_t seed)
{
	acc_options(o, kmh, noise, hz, seed);
	switch (shape) {
	case ACC_PLAIN: return rs->plain;
	case ACC_QUICK_DEPARTURE: o->park_start_s = 0; return rs->start;
	case ACC_PARKED:
		o->park_start_s = 600;
		o->park_end_s = 300;
		return rs->start;
	case ACC_LOOP_EXCURSION:
		/* 30 m after the start, 100 m to the right (south): on the way
		 * back the cart heads north 30 m beside the loop's last leg,
		 * which runs north too; urban noise, a fix every 1-5 s */
		o->park_start_s = 0;
		o->noise_m = fmax(noise, 5.0);
		o->bias_m = o->noise_m * 0.5;
		o->detour_at_m = 30;
		o->detour_m = 100;
		o->detour_deg = 90;
		o->fix_gap_max_s = 5;
		return rs->plain;
	default: return NULL;
	}
}
