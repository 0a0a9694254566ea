/* Private to the tour (guide/tour.h): its state, shared by
 *
 *   tour.c        lifecycle, states, the driver's verbs, the inputs, status
 *   tour_play.c   what plays: the sequences (a stop's languages one after
 *                 another, welcome and safety, goodbye), cuts, the queue
 *   tour_command.c  the driver's commands as the control socket spells them
 *
 * Main thread only.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "guide/seats.h"
#include "guide/tour.h"

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
	unsigned seq_pos; /* position of the playing clip: index into langs
			   * (welcome: n_langs + index for safety); UINT_MAX
			   * when the next is position 0 */
	bool seq_safety;  /* the welcome sequence is in its safety part */
	int seq_priority;
	bool clip_active;
	uint64_t token;
	const struct route_clip *clip;
	const char *clip_lang;
	uint64_t next_token;
	int last_entry; /* for replay; -1 none */
	bool goodbye_done;
	/* the entry that became due while the opening announcements played
	 * (the stop the tour starts in); -1 none */
	int start_entry;
	bool restoring; /* tour_restore: tour_resume instead of tour_start */
	int64_t last_fix_log_ms;
	bool fix_logged;
	/* channels mode (tour_config.seats): what plays on each language's
	 * channels, by index into langs (token 0: silence); clip_active, token,
	 * clip and clip_lang above stand for the first of them that plays */
	struct {
		uint64_t token;
		const struct route_clip *clip;
	} par[TOUR_MAX_LANGS];
	double lang_volume[TOUR_MAX_LANGS]; /* by index into langs */
};

/* Whether the tour runs in channels mode (every language at once). */
static inline bool
tour_channels_mode(const struct tour *t)
{
	return t->cfg.seats && t->cfg.seats->n > 0;
}

/* "loop, short": the route's tour ids, for the driver (tour.c). */
void tour_format_tours(const struct tour *t, char *out, size_t len);

/* ---- what plays (tour_play.c) ------------------------------------------ */

/* The poi of the playing sequence ("welcome", "safety", "goodbye" or the
 * stop's id), NULL when none. */
const char *tour_seq_poi(const struct tour *t);
/* Feeds each entry's total clip length in the current languages to the
 * trigger's early-start rule. */
void tour_update_durations(struct tour *t);
/* Logs clip_skip for an entry and drops it from the queue. */
void tour_skip_entry(struct tour *t, unsigned entry, const char *reason);
/* Plays an announcement sequence (SEQ_WELCOME or SEQ_GOODBYE), never cut by
 * a stop. */
void tour_announce(struct tour *t, enum seq_kind kind);
/* Plays an entry's sequence from its first language (clip_skip
 * "play_failed" when none starts). */
void tour_play_entry(struct tour *t, unsigned entry);
/* Cuts the playing clip (clip_end completed=false) and drops its sequence:
 * each clip of it still to come gets clip_skip with `reason`. */
void tour_cut(struct tour *t, const char *reason);
/* The driver's skip of what plays: a story (all its languages) or the
 * welcome, after which the safety announcement plays; the safety
 * announcement itself.  What is dropped gets clip_skip "driver_skip". */
void tour_skip_playing(struct tour *t);
/* The queued entry of highest priority (the first in tour order among
 * equals), or -1. */
int tour_queue_best(const struct tour *t);
/* When nothing plays: serves the queue, then looks for the end of the tour. */
void tour_serve(struct tour *t);
/* Cuts what plays, logs tour_end and finishes the tour. */
void tour_finish(struct tour *t, const char *reason);
/* A stop became due (trigger): play it, cut for it, queue it or skip it. */
void tour_on_due(struct tour *t, unsigned entry);
