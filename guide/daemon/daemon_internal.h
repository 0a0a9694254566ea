/* The daemon's parts, shared by the files of guide/daemon/ only.
 *
 *   daemon.c          set-up and tear-down: guided_run()
 *   daemon_time.c     the one time base: a hal_clock and the guide's UTC on it
 *   daemon_loop.c     the main loop: what is due next, poll, signals, the end
 *   daemon_gps.c      GPS intake: source -> fix filter -> tour
 *   daemon_player.c   tour -> mixer (the tour_player) and mixer events -> tour
 *   daemon_reload.c   loading a route, reload between stories
 *   daemon_state.c    the state file: saving on change, resuming after a crash
 *   daemon_control.c  the control protocol's commands and the status object
 *   daemon_notify.c   systemd readiness and watchdog
 *   daemon_input.c    the driver's buttons (--input, --key) and talk
 *
 * Everything here runs on the main thread.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "audio/mixer.h"
#include "guide/daemon/daemon.h"
#include "guide/daemon/daemon_volume.h"
#include "guide/events.h"
#include "guide/fix_filter.h"
#include "guide/seats.h"
#include "guide/state.h"
#include "guide/tour.h"
#include "hal/clock.h"
#include "hal/gps.h"
#include "routes/geo.h"

struct control_server;
struct control_client;
struct daemon_input;
struct daemon_mic;
struct pollfd;
struct events;
struct hal_gps;
struct hal_sink;
struct json_object;
struct route;

#define DAEMON_OFFLINE_STEP_MS 10 /* offline audio block: 480 frames */
/* In real time while a clip plays the loop sleeps until the clip's expected
 * end (its probed length), at most DAEMON_BUSY_MAX_MS, so that a clip that
 * fails midway is seen soon; around the end it looks every
 * DAEMON_END_STEP_MS (the next language starts within about a device
 * period of the end, as with the old 20 ms tick), and every
 * DAEMON_BUSY_STEP_MS when the end is late (paused) or unknown. */
#define DAEMON_BUSY_MAX_MS 1000
#define DAEMON_END_STEP_MS 20
#define DAEMON_END_WINDOW_MS 500
#define DAEMON_BUSY_STEP_MS 100
#define DAEMON_MAX_PLAYING 16        /* channels mode: a clip a language, cut ones fading */
#define DAEMON_GPS_SILENCE_MS 5000   /* no fix this long: gps_lost */
#define DAEMON_CUT_FADE_MS 250       /* a cut story fades out, it does not click */
#define DAEMON_AUDIO_LINGER_MS 5000  /* the sound device stays open this long after a clip */
#define DAEMON_TALK_TIMEOUT_MS 60000 /* guidectl talk on turns itself off after this */
#define DAEMON_TALK_MAX_MS 600000    /* ... or after up to this, when the client says */

/* ---- time (daemon_time.c) ---------------------------------------------- */

/* The guide's clock: guide time (UTC ms) = utc0 + (clock - clock0) * speed,
 * never decreasing. */
struct daemon_time {
	struct hal_clock clock; /* real (monotonic) or virtual (offline) */
	double speed;           /* guide ms per clock ms (replay --speed) */
	int64_t utc0, clock0;   /* the anchor */
	int64_t last;           /* the latest time handed out */
	int64_t offset;         /* added to a receiver's UTC (daemon_time_follow) */
	bool warned_behind;
};

/* virtual: the clock starts at utc (offline: the replay's first fix). */
void daemon_time_init(struct daemon_time *t, bool is_virtual, int64_t utc, double speed);
int64_t daemon_time_now(struct daemon_time *t);
/* The clock time at which guide time reaches utc (for poll deadlines). */
int64_t daemon_time_clock_at(const struct daemon_time *t, int64_t utc);
/* The receiver's UTC right now: followed forwards, and backwards by at most
 * a late fix's few seconds; a receiver further behind is followed at its
 * pace from the guide's time on (a constant offset), so that the event
 * log's time never decreases.  Returns false when an offset was set. */
bool daemon_time_follow(struct daemon_time *t, int64_t utc);
/* Wall-clock helpers for what is not guide time (the summary's wall time). */
int64_t daemon_time_utc_ms(void);
int64_t daemon_time_mono_ms(void);

/* ---- the daemon --------------------------------------------------------- */

/* A clip the mixer plays for the tour.  The mixer's user_id is the tour's
 * token tagged with the tour's generation, so that a late event of a clip
 * of a tour replaced by a reload never ends a clip of the new one. */
struct daemon_playing {
	uint64_t token; /* the tour's, 0 = free slot */
	uint64_t user_id;
	mixer_handle handle;
	int64_t end_clk;    /* clock time its end is expected (real time); -1 unknown */
	const char *lang;   /* the clip's language (the route's string) */
	int64_t start_clk;  /* clock time it was handed to the mixer */
	int64_t paused_clk; /* clock time of the pause it is in, -1 playing */
	int64_t paused_ms;  /* pauses before that, summed */
};

#define DAEMON_USER_ID(gen, token) (((uint64_t)(gen) << 40) | (token))

/* How near the drive came to the tour's path (daemon_summary.c). */
enum {
	DAEMON_DRIVE_AS_IS,
	DAEMON_DRIVE_TO_GCJ02,   /* the fixes moved by the GCJ-02 shift */
	DAEMON_DRIVE_FROM_GCJ02, /* ... and back */
	DAEMON_DRIVE_VARIANTS,
};
struct daemon_drive_check {
	const struct route *route; /* the path below is of this route's tour */
	const struct route_tour *tour;
	char tour_id[64];
	struct geo_proj proj;
	struct geo_xy *path; /* projected */
	size_t n_path;
	unsigned fixes;
	double min_m[DAEMON_DRIVE_VARIANTS];
	unsigned near[DAEMON_DRIVE_VARIANTS]; /* fixes near the path */
	double sum_m;                         /* of the fixes as they are */
	double shift_m;                       /* the GCJ-02 shift at the fixes */
};

struct daemon {
	const struct guided_options *o; /* &opts */
	struct guided_options opts;     /* as given; a reload may change route, tour, langs */
	struct vehicle_config *config;  /* re-read by a reload, owned (NULL: the caller's) */
	struct route *route;
	struct route *pending; /* a reloaded route waiting for a quiet moment */
	struct events *ev;
	FILE *ev_file;
	struct events_file_end ev_end;   /* where an existing event log ended */
	char log_id[EVENTS_LOG_ID_SIZE]; /* the event log's id (log_open) */
	struct mixer *mixer;
	struct hal_sink *sink;
	bool pulled;
	bool audio_active;        /* the (pushed) sink's device is open */
	int64_t audio_idle_since; /* clock; -1 while something plays */
	struct hal_gps *gps;
	bool replay;
	struct fix_filter *filter;
	struct tour *tour;
	struct tour_player player;
	struct seats seats; /* --lang-channels; n 0: stereo, sequential */
	/* sequential mode: a language's own volume, as a gain on its clips */
	struct {
		char lang[SEATS_LANG_LEN];
		float gain;
	} lang_gain[TOUR_MAX_LANGS];
	unsigned n_lang_gain;
	struct control_server *ctl;
	int sigfd;

	struct daemon_time time;
	int64_t t0_ms;        /* guide time of audio frame 0 (offline) */
	int64_t audio_clock0; /* clock time of audio frame 0 (real time, pulled sinks) */
	int64_t last_tick_ms;
	int64_t last_status_ms;    /* clock */
	int64_t last_sink_poll_ms; /* clock */
	int64_t last_watchdog_ms;  /* clock */
	uint64_t watchdog_ms;

	bool quit;
	int exit_code;
	bool gps_ended;
	int64_t end_ms;

	struct daemon_playing playing[DAEMON_MAX_PLAYING];
	uint32_t generation; /* of d->tour; bumped when a reload swaps it */

	/* what the GPS says */
	struct hal_fix last_fix; /* last accepted fix */
	bool have_fix;
	bool gps_ok; /* a gps_fix was logged since the last gps_lost */
	int64_t last_fix_ms, last_fix_log_ms;
	int64_t last_fix_log_time; /* the logged fix's own time; -1 none */
	uint64_t fixes, rejected[FIX_FILTER_REASON_COUNT];
	uint64_t clips_failed;

	/* counted for the summary at the end of a replay */
	struct {
		int64_t start_mono, first_fix_ms, last_fix_ms;
		double drive_m;
		double prev_lat, prev_lon;
		bool have_prev;
		unsigned clips_started, clips_completed, clips_cut;
		uint64_t narration_frames;
	} sum;

	/* the summary per tour, from the event lines (daemon_summary.c) */
	struct guided_summary runs;
	struct daemon_drive_check drive_check;

	/* the driver's buttons and talk (daemon_input.c) */
	struct daemon_input *input;
	bool talk_key, talk_ctl, talk_on; /* held by a key, on by guidectl, in effect */
	int64_t talk_until;               /* guide time guidectl's talk turns off */

	/* live events (daemon_control.c): a status is due after an event, and
	 * at most every DAEMON_WATCH_STATUS_MS while a clip plays or the cart
	 * moves */
	bool watch_dirty;
	int64_t watch_last_ms; /* clock time of the last status pushed */
	double watch_lat, watch_lon;

	/* the speed limit (daemon_gps.c): the one in force (km/h, <= 0 none),
	 * since when the cart goes faster (guide time, -1 not), an episode
	 * logged */
	double speed_limit_kmh;
	const char *speed_limit_poi; /* the stop whose limit it is, or NULL (the tour's) */
	int64_t over_since;
	bool speeding;

	/* --record (daemon_record.c) */
	int record_fd;
	int64_t record_sync_ms; /* clock */
	bool record_failed;
	/* the cabin microphone (daemon_mic.c); NULL without --mic */
	struct daemon_mic *mic;

	/* volume that follows the road (daemon_volume.c) */
	struct daemon_volume volume;

	/* persistence: what was saved last */
	unsigned st_sig_played;
	int st_sig_state;
	const void *st_sig_tour;
	char st_sig_langs[GUIDE_STATE_MAX_ID];
};

static inline int64_t
daemon_now(struct daemon *d)
{
	return daemon_time_now(&d->time);
}

/* daemon_loop.c */
void daemon_loop_run(struct daemon *d);
int daemon_signals_open(struct daemon *d);

/* daemon_gps.c */
void daemon_gps_read(struct daemon *d);
void daemon_gps_check_silence(struct daemon *d, int64_t now);

/* daemon_player.c */
extern const struct tour_player_impl daemon_player_impl;
void daemon_player_pump(struct daemon *d);
/* The clock time the loop should next look at the mixer while something
 * plays (real time), or -1 when nothing plays. */
int64_t daemon_player_next_due(struct daemon *d, int64_t clk);
/* How far the clip of language lang has played (ms, pauses left out), or
 * -1 when none of the tour's clips plays in that language. */
int64_t daemon_player_elapsed_ms(struct daemon *d, const char *lang);
/* Pulled sinks: renders the audio up to the clock's now (daemon_loop.c). */
void daemon_audio_render(struct daemon *d);
/* Closes it once nothing has played for DAEMON_AUDIO_LINGER_MS; returns the
 * clock time it will close at, or -1 (open and busy, or closed). */
int64_t daemon_audio_idle(struct daemon *d, int64_t clk);

/* daemon_reload.c */
int daemon_route_load(const char *path, struct route **out, struct json_object *errors);
struct tour *daemon_tour_create(struct daemon *d, const struct route *r);
/* 1 swapped in, 0 waiting for the story to end (or none), -1 refused */
int daemon_route_swap_pending(struct daemon *d);
int daemon_reload(struct daemon *d, struct json_object *reply);

/* daemon_state.c */
void daemon_state_sync(struct daemon *d, bool force);
void daemon_tour_begin(struct daemon *d);

/* daemon_summary.c */
/* The event log's sink: the line to the --events file (if any) and to the
 * summary. */
void daemon_event_line(void *ctx, const char *line, size_t len);
/* The per-tour part of the summary and the hint. */
void daemon_summary_fill(struct daemon *d, struct guided_summary *s);
void daemon_summary_finish(struct daemon *d);

/* daemon_control.c */
int daemon_control_open(struct daemon *d);
/* A driver's command as guidectl sends it (but status): the tour's verbs,
 * reload, talk.  true when done; msg says what happened or why not. */
bool daemon_command(struct daemon *d, int argc, char **argv, char *msg, size_t len);

/* Live events: every event line to the watchers (daemon_event_line), and
 * the status after a change (the loop, each round). */
#define DAEMON_WATCH_STATUS_MS 1000
void daemon_watch_event(struct daemon *d, const char *line, size_t len);
void daemon_watch_pump(struct daemon *d);
/* The clock time a periodic status is due for the watchers; -1 none. */
int64_t daemon_watch_next_due(struct daemon *d);

/* daemon_marks.c: the current fix as a draft stop to --marks (name may be
 * NULL); logs the event mark.  false (msg says why) without a fix or when
 * the file cannot be written. */
bool daemon_mark(struct daemon *d, const char *name, char *msg, size_t len);

/* daemon_record.c */
#define DAEMON_RECORD_SYNC_MS 3000
int daemon_record_open(struct daemon *d);
void daemon_record_fix(struct daemon *d, const struct hal_fix *fix);
void daemon_record_close(struct daemon *d);

/* daemon_gps.c: the speed limit in force, and speeding / speeding_end */
#define DAEMON_SPEEDING_MS 3000

/* daemon_input.c */
int daemon_input_open(struct daemon *d); /* 0, 1 failure, 2 bad usage */
void daemon_input_close(struct daemon *d);
int64_t daemon_input_next_due(struct daemon *d); /* clock time; -1 none */
int daemon_input_poll_fds(struct daemon *d, struct pollfd *p, int max);
void daemon_input_read(struct daemon *d);
/* talk on [SECONDS] | talk off (guidectl) */
bool daemon_talk_command(struct daemon *d, int argc, char **argv, char *msg, size_t len);

/* daemon_player.c: opens the (pushed) sink's device before a mixer command */
int daemon_audio_wake(struct daemon *d);
