#include "guide/tour.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOUR_END_MARGIN_M 30.0

enum seq_kind {
	SEQ_NONE,
	SEQ_STOP,
	SEQ_WELCOME,
	SEQ_GOODBYE,
};

struct tour {
	const struct route *route;
	struct tour_player player;
	struct events *ev;
	struct tour_config cfg;

	enum tour_state state;
	int tour_index; /* -1 when none */
	const struct route_tour *tour;
	struct trigger *trig;
	int64_t now;

	char *langs[TOUR_MAX_LANGS];
	unsigned n_langs;
	double volume;

	/* per entry and per route stop */
	enum tour_entry_outcome *outcome;
	const char **skip_reason; /* static strings; NULL unless SKIPPED */
	bool *queued;
	bool *played;          /* route stop played this tour */
	int64_t *last_play_ms; /* route stop */

	/* the playing sequence */
	enum seq_kind seq;
	unsigned seq_entry;
	unsigned seq_pos; /* index into langs of the playing clip */
	int seq_priority;
	bool clip_active;
	uint64_t token;
	const struct route_clip *clip;
	const char *clip_lang;
	uint64_t next_token;
	int last_entry; /* for replay; -1 none */
	bool goodbye_done;
	bool restoring; /* tour_restore: tour_resume instead of tour_start */
	int64_t last_fix_log_ms;
	bool fix_logged;
};

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

/* ---- helpers ---------------------------------------------------------- */

static const struct route_clip *
clip_for(const struct route_clip *clips, unsigned n, const char *lang)
{
	for (unsigned i = 0; i < n; i++)
		if (clips[i].lang && strcmp(clips[i].lang, lang) == 0)
			return &clips[i];
	return NULL;
}

static const struct route_stop *
entry_stop(const struct tour *t, unsigned entry)
{
	return &t->route->stops[t->tour->stops[entry]];
}

static const char *
seq_poi(const struct tour *t)
{
	switch (t->seq) {
	case SEQ_STOP: return entry_stop(t, t->seq_entry)->id;
	case SEQ_WELCOME: return t->seq_pos >= t->n_langs ? "safety" : "welcome";
	case SEQ_GOODBYE: return "goodbye";
	default: return NULL;
	}
}

/* Positions of a sequence: one per language; the welcome sequence is the
 * welcome in every language, then the safety announcement in every one. */
static unsigned
seq_len(const struct tour *t)
{
	return t->seq == SEQ_WELCOME ? 2 * t->n_langs : t->n_langs;
}

static const char *
seq_lang(const struct tour *t, unsigned k)
{
	return t->langs[k % t->n_langs];
}

/* the clip of the sequence at position k, or NULL */
static const struct route_clip *
seq_clip(const struct tour *t, unsigned k)
{
	if (k >= seq_len(t))
		return NULL;
	if (t->seq == SEQ_WELCOME && k >= t->n_langs)
		return clip_for(t->tour->announcements[ROUTE_ANNOUNCE_SAFETY],
				t->tour->n_announcements[ROUTE_ANNOUNCE_SAFETY], seq_lang(t, k));
	switch (t->seq) {
	case SEQ_STOP: {
		const struct route_stop *s = entry_stop(t, t->seq_entry);
		return clip_for(s->clips, s->n_clips, t->langs[k]);
	}
	case SEQ_WELCOME:
		return clip_for(t->tour->announcements[ROUTE_ANNOUNCE_WELCOME],
				t->tour->n_announcements[ROUTE_ANNOUNCE_WELCOME], t->langs[k]);
	case SEQ_GOODBYE:
		return clip_for(t->tour->announcements[ROUTE_ANNOUNCE_GOODBYE],
				t->tour->n_announcements[ROUTE_ANNOUNCE_GOODBYE], t->langs[k]);
	default: return NULL;
	}
}

static int64_t
entry_total_ms(const struct tour *t, unsigned entry)
{
	const struct route_stop *s = entry_stop(t, entry);
	int64_t total = 0;
	for (unsigned k = 0; k < t->n_langs; k++) {
		const struct route_clip *c = clip_for(s->clips, s->n_clips, t->langs[k]);
		if (c && c->duration_ms > 0)
			total += c->duration_ms;
	}
	return total;
}

static bool
entry_has_clip(const struct tour *t, unsigned entry)
{
	const struct route_stop *s = entry_stop(t, entry);
	for (unsigned k = 0; k < t->n_langs; k++)
		if (clip_for(s->clips, s->n_clips, t->langs[k]))
			return true;
	return false;
}

static void
update_durations(struct tour *t)
{
	if (!t->trig)
		return;
	for (unsigned i = 0; i < t->tour->n_stops; i++)
		trigger_set_duration(t->trig, i, entry_total_ms(t, i));
}

static void
vehicle_position(const struct tour *t, double *lat, double *lon)
{
	struct trigger_state st;
	*lat = *lon = NAN;
	if (!t->trig)
		return;
	trigger_get_state(t->trig, &st);
	if (st.have_position) {
		*lat = st.lat;
		*lon = st.lon;
	}
}

static void
skip_entry(struct tour *t, unsigned entry, const char *reason)
{
	t->outcome[entry] = TOUR_ENTRY_SKIPPED;
	t->skip_reason[entry] = reason;
	t->queued[entry] = false;
	events_clip_skip(t->ev, t->now, entry_stop(t, entry)->id, reason);
}

/* Start the clip at language index >= k of the current sequence; ends the
 * sequence when there is none left. */
static void
seq_play_from(struct tour *t, unsigned k)
{
	for (; k < seq_len(t); k++) {
		const struct route_clip *c = seq_clip(t, k);
		if (!c)
			continue;
		uint64_t token = ++t->next_token;
		enum tour_clip_kind kind =
			t->seq == SEQ_STOP ? TOUR_CLIP_STOP : TOUR_CLIP_ANNOUNCEMENT;
		int rc = t->player.impl->play(t->player.ctx, c, kind, token);
		if (rc < 0) {
			char msg[512];
			snprintf(msg, sizeof(msg), "cannot play %s (%s): %s", c->file ? c->file : "?",
				 seq_poi(t), strerror(-rc));
			events_error(t->ev, t->now, msg);
			continue;
		}
		double lat, lon;
		vehicle_position(t, &lat, &lon);
		t->seq_pos = k;
		events_clip_start(t->ev, t->now, seq_poi(t), c->file, seq_lang(t, k), lat, lon);
		t->clip_active = true;
		t->token = token;
		t->clip = c;
		t->clip_lang = seq_lang(t, k);
		if (t->state == TOUR_PAUSED && t->player.impl->pause)
			t->player.impl->pause(t->player.ctx);
		return;
	}
	t->clip_active = false;
	t->clip = NULL;
	t->clip_lang = NULL;
	if (t->seq == SEQ_GOODBYE)
		t->goodbye_done = true;
	t->seq = SEQ_NONE;
}

static void
start_entry(struct tour *t, unsigned entry)
{
	const struct route_stop *s = entry_stop(t, entry);
	unsigned si = t->tour->stops[entry];
	t->queued[entry] = false;
	t->seq = SEQ_STOP;
	t->seq_entry = entry;
	t->seq_priority = s->priority;
	seq_play_from(t, 0);
	if (t->seq == SEQ_STOP) {
		t->outcome[entry] = TOUR_ENTRY_PLAYED;
		t->played[si] = true;
		t->last_play_ms[si] = t->now;
		t->last_entry = (int)entry;
	} else {
		skip_entry(t, entry, "play_failed");
	}
}

/* Cut the playing clip (clip_end completed=false) and drop its sequence. */
static void
cut_current(struct tour *t)
{
	if (!t->clip_active)
		return;
	t->player.impl->stop(t->player.ctx, t->token);
	events_clip_end(t->ev, t->now, seq_poi(t), t->clip->file, t->clip_lang, false);
	if (t->seq == SEQ_GOODBYE)
		t->goodbye_done = true;
	t->clip_active = false;
	t->clip = NULL;
	t->clip_lang = NULL;
	t->seq = SEQ_NONE;
}

static void finish(struct tour *t, const char *reason);

/* Nothing plays: serve the queue, then look for the end of the tour. */
static void
serve(struct tour *t)
{
	if (t->state != TOUR_RUNNING || t->clip_active)
		return;
	for (;;) {
		int best = -1;
		for (unsigned i = 0; i < t->tour->n_stops; i++) {
			if (!t->queued[i])
				continue;
			if (best < 0 || entry_stop(t, i)->priority > entry_stop(t, (unsigned)best)->priority)
				best = (int)i;
		}
		if (best < 0)
			break;
		if (trigger_entry_left(t->trig, (unsigned)best)) {
			skip_entry(t, (unsigned)best, "left_zone");
			continue;
		}
		start_entry(t, (unsigned)best);
		if (t->clip_active)
			return;
	}
	struct trigger_state ts;
	trigger_get_state(t->trig, &ts);
	/* with a path, the tour completes at its end (where goodbye belongs) */
	bool at_end = t->tour->n_path < 2 ||
		      (ts.on_path && ts.progress_m >= ts.path_len_m - TOUR_END_MARGIN_M);
	if (trigger_next_entry(t->trig) >= t->tour->n_stops && at_end) {
		if (!t->goodbye_done && t->cfg.announcements) {
			t->seq = SEQ_GOODBYE;
			t->seq_priority = INT_MAX;
			seq_play_from(t, 0);
			if (t->clip_active)
				return;
		}
		finish(t, "completed");
	}
}

static void
finish(struct tour *t, const char *reason)
{
	cut_current(t);
	events_tour_end(t->ev, t->now, t->tour->id, reason);
	t->state = TOUR_FINISHED;
}

static void
on_due(struct tour *t, unsigned entry)
{
	const struct route_stop *s = entry_stop(t, entry);
	unsigned si = t->tour->stops[entry];
	if (t->played[si]) {
		if (s->play_once) {
			skip_entry(t, entry, "played_once");
			return;
		}
		if (t->now - t->last_play_ms[si] < (int64_t)(s->cooldown_s * 1000.0)) {
			skip_entry(t, entry, "cooldown");
			return;
		}
	}
	if (!entry_has_clip(t, entry)) {
		skip_entry(t, entry, "no_clip");
		return;
	}
	if (t->state == TOUR_RUNNING && !t->clip_active) {
		start_entry(t, entry);
		return;
	}
	if (t->state == TOUR_RUNNING && t->clip_active && s->priority > t->seq_priority) {
		cut_current(t);
		start_entry(t, entry);
		return;
	}
	t->queued[entry] = true;
	t->outcome[entry] = TOUR_ENTRY_QUEUED;
}

static void
on_trigger(void *ctx, const struct trigger_event *e)
{
	struct tour *t = ctx;
	const struct route *r = t->route;
	switch (e->kind) {
	case TRIGGER_ZONE_ENTER: events_zone_enter(t->ev, t->now, r->stops[e->stop].id); break;
	case TRIGGER_ZONE_EXIT: events_zone_exit(t->ev, t->now, r->stops[e->stop].id); break;
	case TRIGGER_DUE: on_due(t, e->entry); break;
	case TRIGGER_PASSED:
		if (t->outcome[e->entry] == TOUR_ENTRY_PENDING)
			skip_entry(t, e->entry, "missed");
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

static enum tour_error
check_langs(const struct route_tour *tour, const char *const *langs, unsigned n)
{
	if (n == 0 || n > TOUR_MAX_LANGS)
		return TOUR_ERR_LANG;
	for (unsigned i = 0; i < n; i++) {
		if (!langs[i] || !*langs[i])
			return TOUR_ERR_LANG;
		if (!tour)
			continue;
		bool ok = tour->n_langs == 0;
		for (unsigned k = 0; k < tour->n_langs; k++)
			if (strcmp(tour->langs[k], langs[i]) == 0)
				ok = true;
		if (!ok)
			return TOUR_ERR_LANG;
	}
	return TOUR_OK;
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
	free_langs(t);
	memcpy(t->langs, copy, n * sizeof(*copy));
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
	int idx = -1;
	for (unsigned i = 0; i < t->route->n_tours; i++)
		if (!tour_id || (t->route->tours[i].id && strcmp(t->route->tours[i].id, tour_id) == 0)) {
			idx = (int)i;
			break;
		}
	if (idx < 0)
		return TOUR_ERR_NO_TOUR;
	const struct route_tour *tour = &t->route->tours[idx];
	if (!langs || n_langs == 0) {
		if (t->n_langs && check_langs(tour, (const char *const *)t->langs, t->n_langs) == TOUR_OK) {
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
		enum tour_error err = check_langs(tour, langs, n_langs);
		if (err)
			return err;
	}
	struct trigger *trig = trigger_create(t->route, (unsigned)idx, &t->cfg.trigger, on_trigger, t);
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
	t->fix_logged = false;
	update_durations(t);
	t->state = TOUR_RUNNING;
	if (!t->restoring)
		events_tour_start(t->ev, now_ms, tour->id, (const char *const *)t->langs, t->n_langs);
	if (t->cfg.announcements) {
		t->seq = SEQ_WELCOME;
		t->seq_priority = INT_MAX; /* welcome and safety are never cut by a stop */
		seq_play_from(t, 0);
	}
	if (!t->clip_active && tour->n_stops == 0)
		serve(t);
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
	finish(t, "stopped");
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
	serve(t);
	return TOUR_OK;
}

enum tour_error
tour_skip(struct tour *t, int64_t now_ms)
{
	t->now = now_ms;
	if (t->state != TOUR_RUNNING && t->state != TOUR_PAUSED)
		return TOUR_ERR_STATE;
	if (t->clip_active) {
		cut_current(t);
	} else {
		/* the next stop in line: a queued one, else the next pending entry */
		int q = -1;
		for (unsigned i = 0; i < t->tour->n_stops; i++)
			if (t->queued[i] && (q < 0 || entry_stop(t, i)->priority >
							      entry_stop(t, (unsigned)q)->priority))
				q = (int)i;
		if (q >= 0) {
			skip_entry(t, (unsigned)q, "driver_skip");
		} else {
			unsigned next = trigger_next_entry(t->trig);
			if (next >= t->tour->n_stops)
				return TOUR_ERR_NOTHING;
			skip_entry(t, next, "driver_skip");
			trigger_advance_to(t->trig, next + 1);
		}
	}
	serve(t);
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
	cut_current(t);
	start_entry(t, (unsigned)t->last_entry);
	if (!t->clip_active)
		serve(t);
	return TOUR_OK;
}

enum tour_error
tour_set_lang(struct tour *t, const char *const *langs, unsigned n_langs, int64_t now_ms)
{
	t->now = now_ms;
	const struct route_tour *tour =
		(t->state == TOUR_RUNNING || t->state == TOUR_PAUSED) ? t->tour : NULL;
	enum tour_error err = check_langs(tour, langs, n_langs);
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
	}
	events_lang(t->ev, now_ms, (const char *const *)t->langs, t->n_langs);
	update_durations(t);
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

/* ---- inputs ------------------------------------------------------------- */

void
tour_on_fix(struct tour *t, const struct hal_fix *fix, int64_t now_ms)
{
	t->now = now_ms;
	if (t->state != TOUR_RUNNING && t->state != TOUR_PAUSED)
		return;
	trigger_on_fix(t->trig, fix, now_ms);
	serve(t);
}

void
tour_tick(struct tour *t, int64_t now_ms)
{
	t->now = now_ms;
	if (t->state != TOUR_RUNNING && t->state != TOUR_PAUSED)
		return;
	trigger_tick(t->trig, now_ms);
	serve(t);
}

void
tour_on_clip_finished(struct tour *t, uint64_t token, bool completed, int64_t now_ms)
{
	t->now = now_ms;
	if (!t->clip_active || token != t->token)
		return;
	events_clip_end(t->ev, now_ms, seq_poi(t), t->clip->file, t->clip_lang, completed);
	t->clip_active = false;
	unsigned next = t->seq_pos == UINT_MAX ? 0 : t->seq_pos + 1;
	if (t->state == TOUR_RUNNING || t->state == TOUR_PAUSED)
		seq_play_from(t, next);
	serve(t);
}

void
tour_on_clip_failed(struct tour *t, uint64_t token, const char *reason, int64_t now_ms)
{
	t->now = now_ms;
	if (!t->clip_active || token != t->token)
		return;
	char msg[512];
	snprintf(msg, sizeof(msg), "clip %s (%s) failed: %s", t->clip->file ? t->clip->file : "?",
		 seq_poi(t), reason ? reason : "unknown");
	events_error(t->ev, now_ms, msg);
	tour_on_clip_finished(t, token, false, now_ms);
}

void
tour_get_status(const struct tour *t, struct tour_status *out)
{
	memset(out, 0, sizeof(*out));
	out->state = t->state;
	out->tour = t->tour ? t->tour->id : NULL;
	out->playing = t->clip_active ? seq_poi(t) : NULL;
	out->lang = t->clip_active ? t->clip_lang : NULL;
	out->next_entry = t->trig ? trigger_next_entry(t->trig) : 0;
	out->n_entries = t->tour ? t->tour->n_stops : 0;
	out->volume = t->volume;
	if (t->trig)
		trigger_get_state(t->trig, &out->pos);
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

const char *const *
tour_langs(const struct tour *t, unsigned *n)
{
	*n = t->n_langs;
	return (const char *const *)t->langs;
}
