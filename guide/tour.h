/* The tour: state machine, scheduler and driver actions.
 *
 *   idle --start--> running --pause--> paused --resume--> running
 *   running|paused --stop--> finished ("stopped"); all stops handled, the
 *   cart within 30 m of the path's end (any time, for a tour without a
 *   path) and the goodbye played --> finished ("completed");
 *   finished --start--> running.
 *
 * The tour owns a trigger engine for the running tour, decides which clip
 * plays, and drives audio through a struct tour_player (a table of
 * callbacks the caller implements: the real mixer, or a fake in tests).
 * The caller reports back with tour_on_clip_finished()/_failed().  Every
 * decision is written to the event log (guide/events.h).
 *
 * Scheduling rules:
 * - entries (tour->stops) become due in tour order (guide/trigger.h); a
 *   passed-over entry is logged clip_skip "missed"; the driver's skip
 *   consumes the next entry ("driver_skip") or cuts the playing clip;
 * - play_once stops play once per tour ("played_once"); others wait
 *   cooldown_s between plays ("cooldown");
 * - a stop's clips play one language after another in the tour's language
 *   order (e.g. zh then en); languages without a clip are left out; the
 *   total of their duration_ms feeds the trigger's early-start rule;
 * - while a sequence plays, a due stop of higher priority cuts it (clip_end
 *   completed=false); otherwise it waits in a queue served by priority,
 *   then tour order; a waiting stop the cart has already left is dropped
 *   with clip_skip "left_zone", never played late;
 * - welcome announcements play at start, goodbye ones at the end; their
 *   clip_start/clip_end carry poi "welcome" / "goodbye".
 *
 * Time: every call takes now_ms (GPS or virtual clock); nothing reads a
 * clock.  Main thread only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guide/events.h"
#include "guide/trigger.h"
#include "hal/gps.h"
#include "routes/route.h"

/* Languages a tour tells at most (in a list given by the driver too). */
#define TOUR_MAX_LANGS 16

enum tour_state {
	TOUR_IDLE,
	TOUR_RUNNING,
	TOUR_PAUSED,
	TOUR_FINISHED,
};

enum tour_error {
	TOUR_OK = 0,
	TOUR_ERR_STATE,   /* the action is not valid in this state */
	TOUR_ERR_NO_TOUR, /* no such tour in the route */
	TOUR_ERR_LANG,    /* empty list or a language the tour does not narrate */
	TOUR_ERR_ARG,     /* a bad argument (volume out of range, ...) */
	TOUR_ERR_NOTHING, /* nothing to replay / skip */
	TOUR_ERR_NOMEM,
	TOUR_ERR_COMMAND, /* not a driver command (tour_command) */
	TOUR_ERR_SEATS,   /* channels mode: the seats' languages are fixed */
};

const char *tour_error_to_str(enum tour_error err);
const char *tour_state_to_str(enum tour_state st);

enum tour_clip_kind {
	TOUR_CLIP_STOP,
	TOUR_CLIP_ANNOUNCEMENT,
};

/* What the tour needs from audio.  play() starts a clip now and returns 0,
 * or a negative errno (the tour logs an error and moves on).  The player
 * later reports the clip's end with tour_on_clip_finished(token, ...) or
 * tour_on_clip_failed(token, ...).  After stop(token) the tour has already
 * logged the clip's end; a later report of that token is ignored. */
struct tour_player_impl {
	int (*play)(void *ctx, const struct route_clip *clip, enum tour_clip_kind kind,
		    uint64_t token);
	void (*stop)(void *ctx, uint64_t token);
	void (*pause)(void *ctx);
	void (*resume)(void *ctx);
	void (*set_volume)(void *ctx, double volume); /* 0.0 .. 1.0 */
	/* one language's volume (0.0 .. 1.0) under the master; NULL: none */
	void (*set_lang_volume)(void *ctx, const char *lang, double volume);
};

struct tour_player {
	const struct tour_player_impl *impl;
	void *ctx;
};

struct tour_config {
	struct trigger_config trigger;
	/* gps_fix events at most this often (ms); 0 every fix; < 0 never */
	int64_t fix_log_interval_ms;
	bool log_rejected;  /* fix_rejected events */
	bool announcements; /* play welcome / goodbye */
	bool log_gps;       /* gps_lost when the trigger sees no fix (default true;
			     * a daemon that logs its source's gps_fix/gps_lost
			     * itself turns it off) */
	/* Channels mode (DESIGN.md, per-seat languages) when not NULL and not
	 * empty; borrowed, must outlive the tour.  The tour's languages are
	 * the seats', in their order, and cannot be changed (TOUR_ERR_SEATS);
	 * a stop's clips all start together, one per language, and the stop
	 * lasts as long as its longest clip (the trigger's early start uses
	 * that); a language without a clip gets clip_skip "no_clip" with its
	 * lang and silence on its channels; clip_start carries "channels". */
	const struct seats *seats;
};

void tour_config_defaults(struct tour_config *cfg);

struct tour;

/* The route, player and event log are borrowed and must outlive the tour;
 * events may be NULL. cfg NULL: defaults. */
struct tour *tour_create(const struct route *r, const struct tour_player *player, struct events *ev,
			 const struct tour_config *cfg);
void tour_destroy(struct tour *t);

/* Driver actions. tour_id NULL: the route's first tour; langs NULL or
 * n_langs 0: the tour's own languages (or those set with set_lang). */
enum tour_error tour_start(struct tour *t, const char *tour_id, const char *const *langs,
			   unsigned n_langs, int64_t now_ms);
/* Comes back into a tour after a crash or a route reload: like start, but
 * logged as tour_resume {tour, lang, played} instead of tour_start,
 * without the welcome, with the given stops already heard (they are not
 * played again: clip_skip "played_once", or their cooldown runs from now)
 * and paused when `paused`. Unknown stop ids are ignored. */
enum tour_error tour_restore(struct tour *t, const char *tour_id, const char *const *langs,
			     unsigned n_langs, const char *const *played, unsigned n_played,
			     bool paused, int64_t now_ms);
enum tour_error tour_stop(struct tour *t, int64_t now_ms);
enum tour_error tour_pause(struct tour *t, int64_t now_ms);
enum tour_error tour_resume(struct tour *t, int64_t now_ms);
enum tour_error tour_skip(struct tour *t, int64_t now_ms);
enum tour_error tour_replay(struct tour *t, int64_t now_ms);
enum tour_error tour_set_lang(struct tour *t, const char *const *langs, unsigned n_langs,
			      int64_t now_ms);
enum tour_error tour_set_volume(struct tour *t, double volume, int64_t now_ms);
/* One language's volume (0.0 .. 1.0) under the master volume: logged as
 * volume {volume, lang}.  TOUR_ERR_LANG for a language not in use. */
enum tour_error tour_set_lang_volume(struct tour *t, const char *lang, double volume,
				     int64_t now_ms);

/* The driver's commands as the control socket spells them (argv split on
 * blanks): start [TOUR] [--lang L,L], stop, pause, resume, skip, replay,
 * volume N (0-100), lang L,L.  default_tour is used by a bare start (NULL:
 * the route's first).  msg holds a line for the driver: what was done, or
 * on a refusal what stands in the way and what there is ("already paused",
 * "volume is 0-100, not '150'", "no tour 'x' in route r (tours: loop)").
 * TOUR_ERR_COMMAND when argv[0] is none of these. */
enum tour_error tour_command(struct tour *t, const char *default_tour, int argc, char **argv,
			     int64_t now_ms, char *msg, size_t msglen);

/* Splits "zh,en" in place into at most max codes; returns how many. */
unsigned tour_split_langs(char *s, const char **out, unsigned max);

/* A driver's language list ("zh,en"), split in place into out (room for
 * TOUR_MAX_LANGS).  Returns how many, or -1 with the reason in why for an
 * empty list, an empty item ("zh,,en"), a language named twice ("zh,zh")
 * or more than TOUR_MAX_LANGS.  guidectl, guided --lang and the control
 * socket all read lists with it. */
int tour_parse_langs(char *s, const char **out, char *why, size_t whylen);

/* A volume as the driver types it: "0" to "100"; -1 otherwise. */
int tour_parse_volume(const char *s);

/* Whether the tour tour_id (NULL: the running tour, else every tour of the
 * route) narrates these languages: TOUR_OK, TOUR_ERR_NO_TOUR, or
 * TOUR_ERR_LANG with a line for the driver in why that names what there is
 * ("language 'fr' is not narrated by tour loop (it has zh, en)"). */
enum tour_error tour_check_langs(const struct tour *t, const char *tour_id,
				 const char *const *langs, unsigned n, char *why, size_t whylen);

/* The same check before any tour exists (guided's --tour and --lang):
 * tour_id NULL means any tour of the route. */
enum tour_error tour_check_route_langs(const struct route *r, const char *tour_id,
				       const char *const *langs, unsigned n, char *why,
				       size_t whylen);

/* Inputs. */
void tour_on_fix(struct tour *t, const struct hal_fix *fix, int64_t now_ms);
void tour_tick(struct tour *t, int64_t now_ms); /* at least once a second */
void tour_on_clip_finished(struct tour *t, uint64_t token, bool completed, int64_t now_ms);
void tour_on_clip_failed(struct tour *t, uint64_t token, const char *reason, int64_t now_ms);

enum tour_entry_outcome {
	TOUR_ENTRY_PENDING,
	TOUR_ENTRY_QUEUED,
	TOUR_ENTRY_PLAYED,  /* its first clip started */
	TOUR_ENTRY_SKIPPED, /* clip_skip logged */
};

struct tour_status {
	enum tour_state state;
	const char *tour;              /* NULL when idle */
	const char *playing;           /* poi id of the playing clip, or NULL */
	const char *lang;              /* language of the playing clip */
	const struct route_clip *clip; /* the playing clip, or NULL */
	int last_entry;                /* the entry told last or now (what replay plays); -1 */
	unsigned next_entry;           /* first entry not yet due */
	unsigned n_entries;
	double volume;
	struct trigger_state pos;
};

void tour_get_status(const struct tour *t, struct tour_status *out);

/* What one language plays (channels mode: on its own channels). */
struct tour_lang_playing {
	const char *lang;
	const char *poi;               /* NULL: silence */
	const struct route_clip *clip; /* NULL: silence */
	double volume;                 /* the language's own, 0.0 .. 1.0 */
};
/* Per language of the tour (tour_langs order), at most max: what plays on
 * its channels.  In sequential mode only the language that speaks has a
 * clip.  Returns how many were filled. */
unsigned tour_get_playing(const struct tour *t, struct tour_lang_playing *out, unsigned max);
enum tour_entry_outcome tour_entry_outcome(const struct tour *t, unsigned entry);
/* Why a SKIPPED entry was skipped (the clip_skip reason: "missed",
 * "driver_skip", ...); NULL for other outcomes. */
const char *tour_entry_skip_reason(const struct tour *t, unsigned entry);
/* Whether the cart is inside route->stops[stop]'s geofence now (between
 * its zone_enter and zone_exit); false when no tour runs. */
bool tour_stop_inside(const struct tour *t, unsigned stop);
/* Whether route->stops[stop] has started playing in this tour. */
bool tour_stop_played(const struct tour *t, unsigned stop);
/* Languages in use (valid until the next set_lang/start). */
const char *const *tour_langs(const struct tour *t, unsigned *n);
