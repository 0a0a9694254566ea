/* What plays (see guide/tour.h): the playing sequences (a stop's languages
 * one after another, welcome and safety, goodbye), cuts for a stop of higher
 * priority, the queue and the end of the tour. */
#include "guide/tour_internal.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define TOUR_END_MARGIN_M 30.0

/* ---- sequences ---------------------------------------------------------- */

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

/* the poi of the sequence's position k */
static const char *
seq_poi_at(const struct tour *t, unsigned k)
{
	switch (t->seq) {
	case SEQ_STOP: return entry_stop(t, t->seq_entry)->id;
	case SEQ_WELCOME: return k >= t->n_langs ? "safety" : "welcome";
	case SEQ_GOODBYE: return "goodbye";
	default: return NULL;
	}
}

const char *
tour_seq_poi(const struct tour *t)
{
	if (t->seq == SEQ_WELCOME)
		return t->seq_safety ? "safety" : "welcome";
	return seq_poi_at(t, 0);
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

/* A stop's airtime: its languages' clips one after another (the sum), or
 * in channels mode all at once (the longest). */
static int64_t
entry_total_ms(const struct tour *t, unsigned entry)
{
	const struct route_stop *s = entry_stop(t, entry);
	int64_t total = 0, longest = 0;
	for (unsigned k = 0; k < t->n_langs; k++) {
		const struct route_clip *c = clip_for(s->clips, s->n_clips, t->langs[k]);
		if (c && c->duration_ms > 0) {
			total += c->duration_ms;
			longest = c->duration_ms > longest ? c->duration_ms : longest;
		}
	}
	return tour_channels_mode(t) ? longest : total;
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

void
tour_update_durations(struct tour *t)
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

void
tour_skip_entry(struct tour *t, unsigned entry, const char *reason)
{
	t->outcome[entry] = TOUR_ENTRY_SKIPPED;
	t->skip_reason[entry] = reason;
	t->queued[entry] = false;
	events_clip_skip(t->ev, t->now, entry_stop(t, entry)->id, reason);
}

static void
seq_end(struct tour *t)
{
	t->clip_active = false;
	t->clip = NULL;
	t->clip_lang = NULL;
	if (t->seq == SEQ_GOODBYE)
		t->goodbye_done = true;
	t->seq = SEQ_NONE;
}

/* Channels mode: clip_active, token, clip and clip_lang from the first
 * language that plays. */
static void
par_refresh(struct tour *t)
{
	t->clip_active = false;
	for (unsigned i = 0; i < t->n_langs; i++) {
		if (!t->par[i].token)
			continue;
		t->clip_active = true;
		t->token = t->par[i].token;
		t->clip = t->par[i].clip;
		t->clip_lang = t->langs[i];
		return;
	}
	t->clip = NULL;
	t->clip_lang = NULL;
}

/* Channels mode: positions come in steps of n_langs (a stop and the goodbye
 * one step; the welcome two: welcome, safety); every clip of the step at or
 * after position k starts now, each on its language's channels.  A
 * language without a clip gets clip_skip "no_clip" and silence.  Ends the
 * sequence when no step is left. */
static void
par_play_from(struct tour *t, unsigned k)
{
	const unsigned n = t->n_langs;
	for (unsigned step = (k + n - 1) / n; step * n < seq_len(t); step++) {
		double lat, lon;
		vehicle_position(t, &lat, &lon);
		t->seq_pos = step * n + n - 1;
		t->seq_safety = t->seq == SEQ_WELCOME && step >= 1;
		/* a step no language has (a tour without a welcome) is no news */
		bool any = false;
		for (unsigned i = 0; i < n; i++)
			any = any || seq_clip(t, step * n + i);
		for (unsigned i = 0; any && i < n; i++) {
			unsigned pos = step * n + i;
			const struct route_clip *c = seq_clip(t, pos);
			if (!c) {
				events_emit(t->ev, t->now, "clip_skip", "poi", 's',
					    seq_poi_at(t, pos), "reason", 's', "no_clip", "lang",
					    's', t->langs[i], NULL);
				continue;
			}
			uint64_t token = ++t->next_token;
			enum tour_clip_kind kind =
				t->seq == SEQ_STOP ? TOUR_CLIP_STOP : TOUR_CLIP_ANNOUNCEMENT;
			int rc = t->player.impl->play(t->player.ctx, c, kind, token);
			if (rc < 0) {
				char msg[512];
				snprintf(msg, sizeof(msg), "cannot play %s (%s): %s",
					 c->file ? c->file : "?", tour_seq_poi(t), strerror(-rc));
				events_error(t->ev, t->now, msg);
				/* silence on its channels, said so */
				events_emit(t->ev, t->now, "clip_skip", "poi", 's',
					    seq_poi_at(t, pos), "reason", 's', "play_failed",
					    "lang", 's', t->langs[i], "clip", 's', c->file, NULL);
				continue;
			}
			int seat = seats_find(t->cfg.seats, t->langs[i]);
			events_clip_start_channels(t->ev, t->now, tour_seq_poi(t), c->file,
						   t->langs[i], lat, lon,
						   seat >= 0 ? t->cfg.seats->seat[seat].mask : 0);
			t->par[i].token = token;
			t->par[i].clip = c;
		}
		par_refresh(t);
		if (t->clip_active) {
			if (t->state == TOUR_PAUSED && t->player.impl->pause)
				t->player.impl->pause(t->player.ctx);
			return;
		}
	}
	seq_end(t);
}

/* Start the clip at language index >= k of the current sequence; ends the
 * sequence when there is none left. */
static void
seq_play_from(struct tour *t, unsigned k)
{
	if (tour_channels_mode(t)) {
		par_play_from(t, k);
		return;
	}
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
			snprintf(msg, sizeof(msg), "cannot play %s (%s): %s",
				 c->file ? c->file : "?", tour_seq_poi(t), strerror(-rc));
			events_error(t->ev, t->now, msg);
			continue;
		}
		double lat, lon;
		vehicle_position(t, &lat, &lon);
		t->seq_pos = k;
		t->seq_safety = t->seq == SEQ_WELCOME && k >= t->n_langs;
		events_clip_start(t->ev, t->now, tour_seq_poi(t), c->file, seq_lang(t, k), lat,
				  lon);
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

void
tour_play_entry(struct tour *t, unsigned entry)
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
		tour_skip_entry(t, entry, "play_failed");
	}
}

/* clip_skip for each clip of the playing sequence that was still to come,
 * up to position `end` (exclusive): nothing is dropped silently. */
static void
seq_skip_rest(struct tour *t, unsigned end, const char *reason)
{
	unsigned from = t->seq_pos == UINT_MAX ? 0 : t->seq_pos + 1;
	for (unsigned k = from; k < end && k < seq_len(t); k++) {
		const struct route_clip *c = seq_clip(t, k);
		if (c)
			events_emit(t->ev, t->now, "clip_skip", "poi", 's', seq_poi_at(t, k),
				    "reason", 's', reason, "lang", 's', seq_lang(t, k), "clip", 's',
				    c->file, NULL);
	}
}

/* Stops the playing clip (clip_end completed=false); the sequence stays. */
static void
clip_cut(struct tour *t)
{
	if (tour_channels_mode(t)) {
		for (unsigned i = 0; i < t->n_langs; i++) {
			if (!t->par[i].token)
				continue;
			t->player.impl->stop(t->player.ctx, t->par[i].token);
			events_clip_end(t->ev, t->now, tour_seq_poi(t), t->par[i].clip->file,
					t->langs[i], false);
			t->par[i].token = 0;
		}
		par_refresh(t);
		return;
	}
	t->player.impl->stop(t->player.ctx, t->token);
	events_clip_end(t->ev, t->now, tour_seq_poi(t), t->clip->file, t->clip_lang, false);
	t->clip_active = false;
	t->clip = NULL;
	t->clip_lang = NULL;
}

void
tour_cut(struct tour *t, const char *reason)
{
	if (!t->clip_active)
		return;
	clip_cut(t);
	seq_skip_rest(t, seq_len(t), reason);
	if (t->seq == SEQ_GOODBYE)
		t->goodbye_done = true;
	t->seq = SEQ_NONE;
}

void
tour_skip_playing(struct tour *t)
{
	if (!t->clip_active)
		return;
	if (t->seq != SEQ_WELCOME || t->seq_safety) {
		tour_cut(t, "driver_skip");
		return;
	}
	/* the welcome is skipped; the safety announcement follows */
	clip_cut(t);
	seq_skip_rest(t, t->n_langs, "driver_skip");
	seq_play_from(t, t->n_langs);
}

void
tour_announce(struct tour *t, enum seq_kind kind)
{
	t->seq = kind;
	t->seq_priority = INT_MAX; /* welcome, safety and goodbye are never cut by a stop */
	seq_play_from(t, 0);
}

/* ---- the queue and the end of the tour ---------------------------------- */

int
tour_queue_best(const struct tour *t)
{
	int best = -1;
	for (unsigned i = 0; i < t->tour->n_stops; i++) {
		if (!t->queued[i])
			continue;
		if (best < 0 ||
		    entry_stop(t, i)->priority > entry_stop(t, (unsigned)best)->priority)
			best = (int)i;
	}
	return best;
}

/* The stop the tour starts in is told once the opening announcements end,
 * even when the cart has left it meanwhile (a driver who presses start at
 * the gate and drives off at once), unless a later stop has come up since:
 * that one is told in its place, and `guide-route check` warns of it. */
static bool
start_story(const struct tour *t, unsigned entry)
{
	if ((int)entry != t->start_entry)
		return false;
	for (unsigned i = entry + 1; i < t->tour->n_stops; i++)
		if (t->outcome[i] != TOUR_ENTRY_PENDING)
			return false;
	return true;
}

/* Nothing plays: serve the queue, then look for the end of the tour. */
void
tour_serve(struct tour *t)
{
	if (t->state != TOUR_RUNNING || t->clip_active)
		return;
	for (;;) {
		int best = tour_queue_best(t);
		if (best < 0)
			break;
		if (trigger_entry_left(t->trig, (unsigned)best) &&
		    !start_story(t, (unsigned)best)) {
			tour_skip_entry(t, (unsigned)best, "left_zone");
			continue;
		}
		tour_play_entry(t, (unsigned)best);
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
			tour_announce(t, SEQ_GOODBYE);
			if (t->clip_active)
				return;
		}
		tour_finish(t, "completed");
	}
}

void
tour_finish(struct tour *t, const char *reason)
{
	tour_cut(t, reason);
	events_tour_end(t->ev, t->now, t->tour->id, reason);
	t->state = TOUR_FINISHED;
}

void
tour_on_due(struct tour *t, unsigned entry)
{
	const struct route_stop *s = entry_stop(t, entry);
	unsigned si = t->tour->stops[entry];
	if (t->played[si]) {
		if (s->play_once) {
			tour_skip_entry(t, entry, "played_once");
			return;
		}
		if (t->now - t->last_play_ms[si] < (int64_t)(s->cooldown_s * 1000.0)) {
			tour_skip_entry(t, entry, "cooldown");
			return;
		}
	}
	if (!entry_has_clip(t, entry)) {
		tour_skip_entry(t, entry, "no_clip");
		return;
	}
	if (t->seq == SEQ_WELCOME && t->start_entry < 0)
		t->start_entry = (int)entry;
	if (t->state == TOUR_RUNNING && !t->clip_active) {
		tour_play_entry(t, entry);
		return;
	}
	if (t->state == TOUR_RUNNING && t->clip_active && s->priority > t->seq_priority) {
		tour_cut(t, "preempted");
		tour_play_entry(t, entry);
		return;
	}
	t->queued[entry] = true;
	t->outcome[entry] = TOUR_ENTRY_QUEUED;
}

/* ---- a clip's end: the next language ------------------------------------ */

/* Channels mode: one language's clip ended; the next step starts when the
 * last of them has. */
static void
par_clip_finished(struct tour *t, uint64_t token, bool completed)
{
	unsigned i = 0;
	while (i < t->n_langs && (!t->par[i].token || t->par[i].token != token))
		i++;
	if (i == t->n_langs)
		return;
	events_clip_end(t->ev, t->now, tour_seq_poi(t), t->par[i].clip->file, t->langs[i],
			completed);
	t->par[i].token = 0;
	par_refresh(t);
	if (t->clip_active)
		return;
	if (t->state == TOUR_RUNNING || t->state == TOUR_PAUSED)
		seq_play_from(t, t->seq_pos + 1);
	tour_serve(t);
}

/* The clip of a token that plays, or NULL. */
static const struct route_clip *
playing_clip(const struct tour *t, uint64_t token)
{
	if (!t->clip_active || !token)
		return NULL;
	if (!tour_channels_mode(t))
		return token == t->token ? t->clip : NULL;
	for (unsigned i = 0; i < t->n_langs; i++)
		if (t->par[i].token == token)
			return t->par[i].clip;
	return NULL;
}

void
tour_on_clip_finished(struct tour *t, uint64_t token, bool completed, int64_t now_ms)
{
	t->now = now_ms;
	if (tour_channels_mode(t)) {
		if (t->clip_active)
			par_clip_finished(t, token, completed);
		return;
	}
	if (!t->clip_active || token != t->token)
		return;
	events_clip_end(t->ev, now_ms, tour_seq_poi(t), t->clip->file, t->clip_lang, completed);
	t->clip_active = false;
	unsigned next = t->seq_pos == UINT_MAX ? 0 : t->seq_pos + 1;
	if (t->state == TOUR_RUNNING || t->state == TOUR_PAUSED)
		seq_play_from(t, next);
	tour_serve(t);
}

void
tour_on_clip_failed(struct tour *t, uint64_t token, const char *reason, int64_t now_ms)
{
	t->now = now_ms;
	const struct route_clip *clip = playing_clip(t, token);
	if (!clip)
		return;
	char msg[512];
	snprintf(msg, sizeof(msg), "clip %s (%s) failed: %s", clip->file ? clip->file : "?",
		 tour_seq_poi(t), reason ? reason : "unknown");
	events_error(t->ev, now_ms, msg);
	tour_on_clip_finished(t, token, false, now_ms);
}
