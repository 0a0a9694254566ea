/* The tour's lifecycle and states, the driver's verbs, the inputs and the
 * status (see guide/tour.h); what plays is in tour_play.c. */
#include "guide/tour_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {
	[TOUR_IDLE] = "idle",
	[TOUR_RUNNING] = "running",
	[TOUR_PAUSED] = "paused",
	[TOUR_FINISHED] = "finished",
};

const char *
tour_state_to_str(enum tour_state st)
{
	return (unsigned)st < sizeof(state_names) / sizeof(*state_names) ? state_names[st]
									 : "unknown";
}

const char *
tour_error_to_str(enum tour_error err)
{
	switch (err) {
	case TOUR_OK: return "ok";
	case TOUR_ERR_STATE: return "not possible in this tour state";
	case TOUR_ERR_NO_TOUR: return "no such tour";
	case TOUR_ERR_LANG: return "language not narrated by this tour";
	case TOUR_ERR_ARG: return "bad argument";
	case TOUR_ERR_NOTHING: return "nothing to do";
	case TOUR_ERR_NOMEM: return "out of memory";
	case TOUR_ERR_COMMAND: return "unknown command";
	case TOUR_ERR_SEATS: return "seats choose their language: channels mode";
	}
	return "unknown error";
}

void
tour_config_defaults(struct tour_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	trigger_config_defaults(&cfg->trigger);
	cfg->fix_log_interval_ms = 1000;
	cfg->log_rejected = true;
	cfg->announcements = true;
	cfg->log_gps = true;
}

struct tour *
tour_create(const struct route *r, const struct tour_player *player, struct events *ev,
	    const struct tour_config *cfg)
{
	if (!r || !player || !player->impl)
		return NULL;
	struct tour *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->route = r;
	t->player = *player;
	t->ev = ev;
	if (cfg)
		t->cfg = *cfg;
	else
		tour_config_defaults(&t->cfg);
	t->tour_index = -1;
	t->volume = 1.0;
	t->last_entry = -1;
	size_t ns = r->n_stops ? r->n_stops : 1;
	t->played = calloc(ns, sizeof(*t->played));
	t->last_play_ms = calloc(ns, sizeof(*t->last_play_ms));
	if (!t->played || !t->last_play_ms) {
		tour_destroy(t);
		return NULL;
	}
	return t;
}

static void
free_langs(struct tour *t)
{
	for (unsigned i = 0; i < t->n_langs; i++)
		free(t->langs[i]);
	t->n_langs = 0;
}

void
tour_destroy(struct tour *t)
{
	if (!t)
		return;
	trigger_destroy(t->trig);
	free_langs(t);
	free(t->outcome);
	free(t->skip_reason);
	free(t->queued);
	free(t->played);
	free(t->last_play_ms);
	free(t);
}

/* ---- the trigger's events ----------------------------------------------- */

static void
on_trigger(void *ctx, const struct trigger_event *e)
{
	struct tour *t = ctx;
	const struct route *r = t->route;
	switch (e->kind) {
	case TRIGGER_ZONE_ENTER: events_zone_enter(t->ev, t->now, r->stops[e->stop].id); break;
	case TRIGGER_ZONE_EXIT: events_zone_exit(t->ev, t->now, r->stops[e->stop].id); break;
	case TRIGGER_DUE: tour_on_due(t, e->entry); break;
	case TRIGGER_PASSED:
		if (t->outcome[e->entry] == TOUR_ENTRY_PENDING)
			tour_skip_entry(t, e->entry, "missed");
		break;
	case TRIGGER_FIX_ACCEPTED:
		if (t->cfg.fix_log_interval_ms >= 0 &&
		    (!t->fix_logged || t->now - t->last_fix_log_ms >= t->cfg.fix_log_interval_ms)) {
			events_gps_fix(t->ev, t->now, e->lat, e->lon);
			t->last_fix_log_ms = t->now;
			t->fix_logged = true;
		}
		break;
	case TRIGGER_FIX_REJECTED:
		if (t->cfg.log_rejected)
			events_fix_rejected(t->ev, t->now, e->lat, e->lon,
					    fix_filter_reason_to_str(e->reason));
		break;
	case TRIGGER_GPS_LOST:
		if (t->cfg.log_gps)
			events_gps_lost(t->ev, t->now);
		break;
	case TRIGGER_OFF_PATH: events_off_path(t->ev, t->now, e->value); break;
	case TRIGGER_ON_PATH: events_on_path(t->ev, t->now, e->value); break;
	}
}

/* The languages a route tour narrates: its own list, else the route's. */
static bool
tour_narrates(const struct route *r, const struct route_tour *tour, const char *lang)
{
	char *const *list = tour->n_langs ? tour->langs : r->langs;
	unsigned n = tour->n_langs ? tour->n_langs : r->n_langs;
	if (n == 0)
		return true;
	for (unsigned k = 0; k < n; k++)
		if (strcmp(list[k], lang) == 0)
			return true;
	return false;
}

/* "zh, en": what `tour` narrates (NULL: any tour of the route), each once. */
static void
format_narrated(const struct route *r, const struct route_tour *tour, char *out, size_t len)
{
	const char *seen[64];
	unsigned n_seen = 0;
	size_t off = 0;
	out[0] = '\0';
	for (unsigned i = 0; i < r->n_tours; i++) {
		const struct route_tour *rt = tour ? tour : &r->tours[i];
		char *const *list = rt->n_langs ? rt->langs : r->langs;
		unsigned n = rt->n_langs ? rt->n_langs : r->n_langs;
		for (unsigned k = 0; k < n && n_seen < 64; k++) {
			bool dup = false;
			for (unsigned j = 0; j < n_seen; j++)
				dup = dup || strcmp(seen[j], list[k]) == 0;
			if (dup)
				continue;
			seen[n_seen++] = list[k];
			int w = snprintf(out + off, len - off, "%s%s", off ? ", " : "", list[k]);
			if (w < 0 || (size_t)w >= len - off)
				return;
			off += (size_t)w;
		}
		if (tour)
			break;
	}
}

/* The one check of a language list: tour NULL means any tour of the route. */
static enum tour_error
langs_problem(const struct route *r, const struct route_tour *tour, const char *const *langs,
	      unsigned n, char *why, size_t len)
{
	char dummy[1];
	if (!why) {
		why = dummy;
		len = sizeof(dummy);
	}
	why[0] = '\0';
	if (n == 0) {
		snprintf(why, len, "no language given");
		return TOUR_ERR_LANG;
	}
	if (n > TOUR_MAX_LANGS) {
		snprintf(why, len, "at most %d languages", TOUR_MAX_LANGS);
		return TOUR_ERR_LANG;
	}
	for (unsigned i = 0; i < n; i++) {
		if (!langs[i] || !*langs[i]) {
			snprintf(why, len, "an empty language in the list");
			return TOUR_ERR_LANG;
		}
		for (unsigned k = 0; k < i; k++) {
			if (strcmp(langs[k], langs[i]) == 0) {
				snprintf(why, len, "language '%s' listed twice", langs[i]);
				return TOUR_ERR_LANG;
			}
		}
		bool ok = r->n_tours == 0;
		for (unsigned k = 0; k < r->n_tours && !ok; k++)
			if (!tour || tour == &r->tours[k])
				ok = tour_narrates(r, &r->tours[k], langs[i]);
		if (!ok) {
			char have[256];
			format_narrated(r, tour, have, sizeof(have));
			if (tour)
				snprintf(why, len,
					 "language '%s' is not narrated by tour %s (it has %s)",
					 langs[i], tour->id ? tour->id : "?", have);
			else
				snprintf(why, len,
					 "language '%s' is not narrated on route %s (it has %s)",
					 langs[i], r->id ? r->id : "?", have);
			return TOUR_ERR_LANG;
		}
	}
	return TOUR_OK;
}

static enum tour_error
check_langs(const struct tour *t, const struct route_tour *tour, const char *const *langs,
	    unsigned n)
{
	return langs_problem(t->route, tour, langs, n, NULL, 0);
}

static int
find_tour(const struct route *r, const char *tour_id)
{
	for (unsigned i = 0; i < r->n_tours; i++)
		if (!tour_id || (r->tours[i].id && strcmp(r->tours[i].id, tour_id) == 0))
			return (int)i;
	return -1;
}

void
tour_format_tours(const struct tour *t, char *out, size_t len)
{
	size_t off = 0;
	out[0] = '\0';
	for (unsigned i = 0; i < t->route->n_tours && off < len; i++) {
		int w = snprintf(out + off, len - off, "%s%s", i ? ", " : "",
				 t->route->tours[i].id ? t->route->tours[i].id : "?");
		off += w > 0 ? (size_t)w : 0;
	}
}

enum tour_error
tour_check_langs(const struct tour *t, const char *tour_id, const char *const *langs, unsigned n,
		 char *why, size_t whylen)
{
	const struct route_tour *tour = NULL;
	if (tour_id) {
		int idx = find_tour(t->route, tour_id);
		if (idx < 0) {
			char tours[256];
			tour_format_tours(t, tours, sizeof(tours));
			snprintf(why, whylen, "no tour '%s' in route %s (tours: %s)", tour_id,
				 t->route->id ? t->route->id : "?", tours);
			return TOUR_ERR_NO_TOUR;
		}
		tour = &t->route->tours[idx];
	} else if (t->state == TOUR_RUNNING || t->state == TOUR_PAUSED) {
		tour = t->tour;
	}
	return langs_problem(t->route, tour, langs, n, why, whylen);
}

enum tour_error
tour_check_route_langs(const struct route *r, const char *tour_id, const char *const *langs,
		       unsigned n, char *why, size_t whylen)
{
	const struct route_tour *tour = NULL;
	if (tour_id) {
		int idx = find_tour(r, tour_id);
		if (idx < 0) {
			snprintf(why, whylen, "no tour '%s' in route %s", tour_id,
				 r->id ? r->id : "?");
			return TOUR_ERR_NO_TOUR;
		}
		tour = &r->tours[idx];
	}
	return langs_problem(r, tour, langs, n, why, whylen);
}

static enum tour_error
copy_langs(struct tour *t, const char *const *langs, unsigned n)
{
	char *copy[TOUR_MAX_LANGS];
	for (unsigned i = 0; i < n; i++) {
		copy[i] = strdup(langs[i]);
		if (!copy[i]) {
			while (i--)
				free(copy[i]);
			return TOUR_ERR_NOMEM;
		}
	}
	/* a language keeps its own volume across lists */
	double vol[TOUR_MAX_LANGS];
	for (unsigned i = 0; i < n; i++) {
		vol[i] = 1.0;
		for (unsigned k = 0; k < t->n_langs; k++)
			if (strcmp(t->langs[k], copy[i]) == 0)
				vol[i] = t->lang_volume[k];
	}
	free_langs(t);
	memcpy(t->langs, copy, n * sizeof(*copy));
	memcpy(t->lang_volume, vol, n * sizeof(*vol));
	t->n_langs = n;
	return TOUR_OK;
}

/* ---- driver actions ----------------------------------------------------- */

enum tour_error
tour_start(struct tour *t, const char *tour_id, const char *const *langs, unsigned n_langs,
	   int64_t now_ms)
{
	t->now = now_ms;
	if (t->state == TOUR_RUNNING || t->state == TOUR_PAUSED)
		return TOUR_ERR_STATE;
	int idx = find_tour(t->route, tour_id);
	if (idx < 0)
		return TOUR_ERR_NO_TOUR;
	const struct route_tour *tour = &t->route->tours[idx];
	const char *seat_langs[SEATS_MAX];
	if (tour_channels_mode(t)) {
		/* the seats' languages, always (a restart's saved list too) */
		const struct seats *s = t->cfg.seats;
		for (unsigned i = 0; i < s->n; i++)
			seat_langs[i] = s->seat[i].lang;
		if (langs && n_langs && !t->restoring) {
			bool same = n_langs == s->n;
			for (unsigned i = 0; same && i < n_langs; i++)
				same = strcmp(langs[i], seat_langs[i]) == 0;
			if (!same)
				return TOUR_ERR_SEATS;
		}
		langs = seat_langs;
		n_langs = s->n;
	}
	if (!langs || n_langs == 0) {
		if (t->n_langs &&
		    check_langs(t, tour, (const char *const *)t->langs, t->n_langs) == TOUR_OK) {
			langs = NULL; /* keep the driver's choice */
		} else if (tour->n_langs) {
			langs = (const char *const *)tour->langs;
			n_langs = tour->n_langs;
		} else {
			langs = (const char *const *)t->route->langs;
			n_langs = t->route->n_langs;
		}
	}
	if (langs) {
		enum tour_error err = check_langs(t, tour, langs, n_langs);
		if (err)
			return err;
	}
	struct trigger *trig =
		trigger_create(t->route, (unsigned)idx, &t->cfg.trigger, on_trigger, t);
	enum tour_entry_outcome *outcome = calloc(tour->n_stops + 1, sizeof(*outcome));
	const char **skip_reason = calloc(tour->n_stops + 1, sizeof(*skip_reason));
	bool *queued = calloc(tour->n_stops + 1, sizeof(*queued));
	if (!trig || !outcome || !skip_reason || !queued ||
	    (langs && copy_langs(t, langs, n_langs) != TOUR_OK)) {
		trigger_destroy(trig);
		free(outcome);
		free(skip_reason);
		free(queued);
		return TOUR_ERR_NOMEM;
	}
	trigger_destroy(t->trig);
	free(t->outcome);
	free(t->skip_reason);
	free(t->queued);
	t->trig = trig;
	t->outcome = outcome;
	t->skip_reason = skip_reason;
	t->queued = queued;
	t->tour_index = idx;
	t->tour = tour;
	memset(t->played, 0, (t->route->n_stops ? t->route->n_stops : 1) * sizeof(*t->played));
	t->seq = SEQ_NONE;
	t->clip_active = false;
	t->last_entry = -1;
	t->goodbye_done = false;
	t->start_entry = -1;
	t->fix_logged = false;
	tour_update_durations(t);
	t->state = TOUR_RUNNING;
	if (!t->restoring)
		events_tour_start(t->ev, now_ms, tour->id, (const char *const *)t->langs,
				  t->n_langs);
	if (t->cfg.announcements)
		tour_announce(t, SEQ_WELCOME);
	if (!t->clip_active && tour->n_stops == 0)
		tour_serve(t);
	return TOUR_OK;
}

enum tour_error
tour_restore(struct tour *t, const char *tour_id, const char *const *langs, unsigned n_langs,
	     const char *const *played, unsigned n_played, bool paused, int64_t now_ms)
{
	bool announce = t->cfg.announcements;
	t->cfg.announcements = false;
	t->restoring = true;
	enum tour_error err = tour_start(t, tour_id, langs, n_langs, now_ms);
	t->cfg.announcements = announce;
	t->restoring = false;
	if (err)
		return err;
	/* the same tour goes on (after a restart or a reload): not a new one */
	events_emit(t->ev, now_ms, "tour_resume", "tour", 's', t->tour->id, "lang", 'S',
		    (const char *const *)t->langs, t->n_langs, "played", 'S', played, n_played,
		    NULL);
	for (unsigned i = 0; i < n_played; i++) {
		for (unsigned s = 0; s < t->route->n_stops; s++) {
			if (played[i] && strcmp(t->route->stops[s].id, played[i]) == 0) {
				t->played[s] = true;
				t->last_play_ms[s] = now_ms;
			}
		}
	}
	/* The entries up to the last one heard are behind the cart: consumed, so
	 * that the first fix does not report stops already told as "missed". */
	unsigned last = 0;
	for (unsigned i = 0; i < t->tour->n_stops; i++) {
		if (t->played[t->tour->stops[i]]) {
			t->outcome[i] = TOUR_ENTRY_PLAYED;
			last = i;
		}
	}
	trigger_advance_to(t->trig, last);
	if (paused)
		return tour_pause(t, now_ms);
	return TOUR_OK;
}

enum tour_error
tour_stop(struct tour *t, int64_t now_ms)
{
	t->now = now_ms;
	if (t->state != TOUR_RUNNING && t->state != TOUR_PAUSED)
		return TOUR_ERR_STATE;
	if (t->state == TOUR_PAUSED && t->player.impl->resume)
		t->player.impl->resume(t->player.ctx);
	tour_finish(t, "stopped");
	return TOUR_OK;
}

enum tour_error
tour_pause(struct tour *t, int64_t now_ms)
{
	t->now = now_ms;
	if (t->state != TOUR_RUNNING)
		return TOUR_ERR_STATE;
	if (t->player.impl->pause)
		t->player.impl->pause(t->player.ctx);
	t->state = TOUR_PAUSED;
	events_tour_state(t->ev, now_ms, t->tour->id, "paused");
	return TOUR_OK;
}

enum tour_error
tour_resume(struct tour *t, int64_t now_ms)
{
	t->now = now_ms;
	if (t->state != TOUR_PAUSED)
		return TOUR_ERR_STATE;
	if (t->player.impl->resume)
		t->player.impl->resume(t->player.ctx);
	t->state = TOUR_RUNNING;
	events_tour_state(t->ev, now_ms, t->tour->id, "running");
	tour_serve(t);
	return TOUR_OK;
}

enum tour_error
tour_skip(struct tour *t, int64_t now_ms)
{
	t->now = now_ms;
	if (t->state != TOUR_RUNNING && t->state != TOUR_PAUSED)
		return TOUR_ERR_STATE;
	if (t->clip_active) {
		tour_skip_playing(t);
	} else {
		/* the next stop in line: a queued one, else the next pending entry */
		int q = tour_queue_best(t);
		if (q >= 0) {
			tour_skip_entry(t, (unsigned)q, "driver_skip");
		} else {
			unsigned next = trigger_next_entry(t->trig);
			if (next >= t->tour->n_stops)
				return TOUR_ERR_NOTHING;
			tour_skip_entry(t, next, "driver_skip");
			trigger_advance_to(t->trig, next + 1);
		}
	}
	tour_serve(t);
	return TOUR_OK;
}

enum tour_error
tour_replay(struct tour *t, int64_t now_ms)
{
	t->now = now_ms;
	if (t->state != TOUR_RUNNING)
		return TOUR_ERR_STATE;
	if (t->last_entry < 0)
		return TOUR_ERR_NOTHING;
	tour_cut(t, "replay");
	tour_play_entry(t, (unsigned)t->last_entry);
	if (!t->clip_active)
		tour_serve(t);
	return TOUR_OK;
}

enum tour_error
tour_set_lang(struct tour *t, const char *const *langs, unsigned n_langs, int64_t now_ms)
{
	t->now = now_ms;
	if (tour_channels_mode(t))
		return TOUR_ERR_SEATS;
	const struct route_tour *tour =
		(t->state == TOUR_RUNNING || t->state == TOUR_PAUSED) ? t->tour : NULL;
	enum tour_error err = check_langs(t, tour, langs, n_langs);
	if (err)
		return err;
	/* keep the playing clip's language valid: remember where we are */
	const char *playing = t->clip_active ? t->clip_lang : NULL;
	char *keep = playing ? strdup(playing) : NULL;
	if (playing && !keep)
		return TOUR_ERR_NOMEM;
	err = copy_langs(t, langs, n_langs);
	if (err) {
		free(keep);
		return err;
	}
	if (keep) {
		/* continue after the playing language's place in the new list, or
		 * from the start of the new list when it has no such language */
		unsigned pos = UINT_MAX;
		for (unsigned k = 0; k < t->n_langs; k++)
			if (strcmp(t->langs[k], keep) == 0)
				pos = k;
		t->seq_pos = pos == UINT_MAX ? 0 : pos;
		t->clip_lang = pos == UINT_MAX ? NULL : t->langs[pos];
		if (!t->clip_lang) {
			/* the playing language was dropped: the sequence restarts
			 * after this clip with the new first language */
			t->seq_pos = UINT_MAX;
		}
		if (t->seq == SEQ_WELCOME && t->seq_safety) {
			/* in the safety part: it goes on (or restarts) there, the
			 * welcome is not told again */
			t->seq_pos = pos == UINT_MAX ? t->n_langs - 1 : t->n_langs + pos;
		}
	}
	events_lang(t->ev, now_ms, (const char *const *)t->langs, t->n_langs);
	tour_update_durations(t);
	if (keep && !t->clip_lang) {
		/* name the clip by its own language in its clip_end */
		t->clip_lang = t->clip ? t->clip->lang : NULL;
	}
	free(keep);
	return TOUR_OK;
}

enum tour_error
tour_set_volume(struct tour *t, double volume, int64_t now_ms)
{
	t->now = now_ms;
	if (!(volume >= 0.0 && volume <= 1.0))
		return TOUR_ERR_ARG;
	t->volume = volume;
	if (t->player.impl->set_volume)
		t->player.impl->set_volume(t->player.ctx, volume);
	events_volume(t->ev, now_ms, volume);
	return TOUR_OK;
}

enum tour_error
tour_set_lang_volume(struct tour *t, const char *lang, double volume, int64_t now_ms)
{
	t->now = now_ms;
	if (!(volume >= 0.0 && volume <= 1.0))
		return TOUR_ERR_ARG;
	unsigned k = 0;
	while (k < t->n_langs && strcmp(t->langs[k], lang) != 0)
		k++;
	if (k == t->n_langs)
		return TOUR_ERR_LANG;
	t->lang_volume[k] = volume;
	if (t->player.impl->set_lang_volume)
		t->player.impl->set_lang_volume(t->player.ctx, t->langs[k], volume);
	events_emit(t->ev, now_ms, "volume", "volume", 'd', volume, "lang", 's', t->langs[k], NULL);
	return TOUR_OK;
}

/* ---- inputs (a clip's end: tour_play.c) --------------------------------- */

void
tour_on_fix(struct tour *t, const struct hal_fix *fix, int64_t now_ms)
{
	t->now = now_ms;
	if (t->state != TOUR_RUNNING && t->state != TOUR_PAUSED)
		return;
	trigger_on_fix(t->trig, fix, now_ms);
	tour_serve(t);
}

void
tour_tick(struct tour *t, int64_t now_ms)
{
	t->now = now_ms;
	if (t->state != TOUR_RUNNING && t->state != TOUR_PAUSED)
		return;
	trigger_tick(t->trig, now_ms);
	tour_serve(t);
}

void
tour_get_status(const struct tour *t, struct tour_status *out)
{
	memset(out, 0, sizeof(*out));
	out->state = t->state;
	out->tour = t->tour ? t->tour->id : NULL;
	out->playing = t->clip_active ? tour_seq_poi(t) : NULL;
	out->lang = t->clip_active ? t->clip_lang : NULL;
	out->clip = t->clip_active ? t->clip : NULL;
	out->last_entry = t->tour ? t->last_entry : -1;
	out->next_entry = t->trig ? trigger_next_entry(t->trig) : 0;
	out->n_entries = t->tour ? t->tour->n_stops : 0;
	out->volume = t->volume;
	if (t->trig)
		trigger_get_state(t->trig, &out->pos);
}

unsigned
tour_get_playing(const struct tour *t, struct tour_lang_playing *out, unsigned max)
{
	unsigned n = 0;
	for (; n < t->n_langs && n < max; n++) {
		struct tour_lang_playing *p = &out[n];
		p->lang = t->langs[n];
		p->volume = t->lang_volume[n];
		p->clip = NULL;
		if (tour_channels_mode(t))
			p->clip = t->par[n].token ? t->par[n].clip : NULL;
		else if (t->clip_active && t->clip_lang && strcmp(t->clip_lang, p->lang) == 0)
			p->clip = t->clip;
		p->poi = p->clip ? tour_seq_poi(t) : NULL;
	}
	return n;
}

const char *
tour_entry_skip_reason(const struct tour *t, unsigned entry)
{
	if (!t->tour || entry >= t->tour->n_stops || t->outcome[entry] != TOUR_ENTRY_SKIPPED)
		return NULL;
	return t->skip_reason[entry];
}

enum tour_entry_outcome
tour_entry_outcome(const struct tour *t, unsigned entry)
{
	if (!t->tour || entry >= t->tour->n_stops)
		return TOUR_ENTRY_PENDING;
	return t->outcome[entry];
}

bool
tour_stop_played(const struct tour *t, unsigned stop)
{
	return t->tour && stop < t->route->n_stops && t->played[stop];
}

bool
tour_stop_inside(const struct tour *t, unsigned stop)
{
	return t->tour && t->trig && stop < t->route->n_stops && trigger_stop_inside(t->trig, stop);
}

const char *const *
tour_langs(const struct tour *t, unsigned *n)
{
	*n = t->n_langs;
	return (const char *const *)t->langs;
}
