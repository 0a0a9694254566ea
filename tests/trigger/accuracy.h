/* The accuracy harness shared by test-trigger-accuracy (small set, asserts
 * the targets) and bench/trigger-accuracy (full set): synthetic drives on
 * the synthetic route, fed straight into a tour with a fake player whose
 * clips last their duration_ms on the drive's clock. */
#pragma once

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guide/curator/track.h"
#include "guide/events.h"
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
	if (kind != TOUR_CLIP_STOP)
		return 0;
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
		   first_along > exit_along + ACC_FALSE_MARGIN_M;
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
		p.now = now;
		if (s[k].dropped)
			tour_tick(t, now);
		else
			tour_on_fix(t, &s[k].fix, now);
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
 * dropouts, halts at the stops and a parked cart at both ends. */
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
