/* The on-vehicle daemon as a library: guided.c parses options, prints, and
 * calls guided_run().
 *
 *   GPS source -> fix filter -> tour (trigger engine, scheduler) -> mixer -> sink
 *
 * One main loop (daemon_loop.c) polls the GPS source, the control socket and
 * a signalfd, and sleeps until the next thing is due on the guide's one
 * clock (daemon_time.c): a real monotonic clock, or a virtual one under
 * --offline that jumps from one due time to the next, so that a replay is
 * consumed as fast as the CPU allows and the mixer is pulled in 10 ms
 * blocks (the WAV is sample-identical from run to run).  The audio thread
 * (SDL) stays apart (DESIGN.md, "Real-time rule").
 *
 * Time in events: the guide's clock, UTC, never decreasing.  Offline it is
 * the replay's own time; in real time a replay's UTC paced by the
 * monotonic clock (times --speed); under gpsd the receiver's UTC carried
 * forward by the monotonic clock (the system's clock until the first fix;
 * a receiver behind the guide's clock is followed at its own pace from the
 * guide's time on, never backwards).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct daemon_mic_config;

/* What the live status line shows; handed to guided_options.on_status. */
struct guided_live {
	int64_t now_ms; /* guide time, UTC */
	const char *state;
	double progress_m, path_m;
	const char *playing; /* stop id, or NULL */
	const char *lang;
	bool gps_ok;
};

/* Which options were given on the command line: a vehicle configuration
 * (vehicle.h) fills only the others, at start and on reload. */
enum guided_set {
	GUIDED_SET_ROUTE = 1u << 0,
	GUIDED_SET_GPS = 1u << 1,
	GUIDED_SET_AUDIO = 1u << 2,
	GUIDED_SET_LANGS = 1u << 3,
	GUIDED_SET_TOUR = 1u << 4,
	GUIDED_SET_EVENTS = 1u << 5,
	GUIDED_SET_CONTROL = 1u << 6,
	GUIDED_SET_STATE = 1u << 7,
	GUIDED_SET_SPEED = 1u << 8,
	GUIDED_SET_SAME_USER = 1u << 9,
	GUIDED_SET_INPUTS = 1u << 10,
	GUIDED_SET_KEYS = 1u << 11,
	GUIDED_SET_LANG_CHANNELS = 1u << 12,
	GUIDED_SET_MARKS = 1u << 13,
	GUIDED_SET_RECORD = 1u << 14,
	GUIDED_SET_MIC = 1u << 15,
};

/* Volume that follows the road (vehicle.yaml auto_volume and timezone;
 * daemon_volume.c): a gain by speed and caps by the hour. */
#define GUIDED_AUTO_SPEED_POINTS 16
#define GUIDED_QUIET_HOURS 8
struct guided_auto_volume {
	unsigned n_speed; /* 0: no gain by speed */
	double speed_kmh[GUIDED_AUTO_SPEED_POINTS], speed_db[GUIDED_AUTO_SPEED_POINTS];
	unsigned n_quiet;
	struct {
		int from_min, to_min; /* local minutes of the day; to < from: over midnight */
		double max;           /* 0-100 */
	} quiet[GUIDED_QUIET_HOURS];
	int tz_min; /* local time = UTC + tz_min (default +08:00, Beijing) */
};

struct guided_options {
	const char *route;
	const char *gps;     /* default gpsd:localhost:2947 */
	const char *audio;   /* default sdl */
	const char *langs;   /* "zh,en" or NULL */
	const char *tour;    /* NULL: the route's first */
	const char *events;  /* NULL, "-" or a path */
	const char *control; /* NULL: default (none under --offline) */
	const char *state;   /* NULL: no persistence */
	const char *marks;   /* field marks are appended here (guidectl mark); NULL: none */
	const char *record;  /* the drive is kept here as NMEA; NULL: not kept */
	bool start;
	bool offline;
	bool control_same_user;    /* refuse control peers of other users (root excepted) */
	double speed;              /* replay speed-up */
	const char *control_group; /* the control socket's group (mode 0660), or NULL */
	const char *config;        /* the vehicle configuration, re-read on reload; NULL: none */
	unsigned cli_set;          /* enum guided_set: given on the command line */
	const char *const *inputs; /* --input SOURCE, repeatable; NULL-terminated or with count: */
	unsigned n_inputs;
	const char *const *keys; /* "KEY_NAME=command" overrides of the default key map */
	unsigned n_keys;
	/* --lang-channels SPEC (guide/seats.h) or NULL: stereo, languages one
	 * after another */
	const char *lang_channels;
	/* --mic SOURCE (hal/mic.h): the cabin's noise raises the narration; NULL none */
	const char *mic;
	const struct daemon_mic_config *mic_noise; /* NULL: the defaults */
	/* vehicle.yaml auto_volume / timezone; NULL: none (+08:00, no curve) */
	const struct guided_auto_volume *auto_volume;
	/* Called about twice a second in real time (NULL: never). */
	void (*on_status)(void *user, const struct guided_live *live);
	void *status_user;
};

void guided_options_defaults(struct guided_options *o);

/* One tour of a replay, as the event log tells it: from its tour_start (or
 * tour_resume after a restart) to its tour_end. */
#define GUIDED_SUMMARY_TOUR_SKIPS 24
#define GUIDED_SUMMARY_LANGS 8
struct guided_summary_tour {
	char tour[64];
	char langs[64];    /* "zh,en" */
	char end[32];      /* its tour_end's reason ("completed", "stopped"); "" when the
			    * replay ended while it ran */
	const char *state; /* tour_state_to_str() at its end */
	bool resumed;      /* began with tour_resume (a restart with --state) */
	unsigned stops_told, stops, missed;
	unsigned clips_started, clips_completed, clips_cut;
	unsigned n_skips; /* clip_skip of its stops, "missed" among them */
	struct {
		char poi[48];
		char reason[24];
	} skips[GUIDED_SUMMARY_TOUR_SKIPS];
	/* channels mode (its clip_start lines carry "channels"): per language,
	 * in the order first heard */
	bool channels;
	unsigned n_by_lang;
	struct {
		char lang[16];
		unsigned n[4]; /* clips started, completed, cut; clip_skip no_clip */
	} by_lang[GUIDED_SUMMARY_LANGS];
};

/* The end of a replay, counted while it ran. */
#define GUIDED_SUMMARY_MAX_SKIPS 64
#define GUIDED_SUMMARY_MAX_TOURS 16
struct guided_summary {
	bool valid;        /* the replay ended (not a signal, not an error) */
	char tour[64];     /* "" when none */
	const char *state; /* tour_state_to_str() */
	double drive_m, drive_s, wall_s;
	unsigned stops_told, stops;
	unsigned clips_started, clips_completed, clips_cut;
	double audio_s, speech_s;
	unsigned n_skips;
	struct {
		char poi[64];
		char reason[32];
	} skips[GUIDED_SUMMARY_MAX_SKIPS];
	/* per tour, in order; the latest GUIDED_SUMMARY_MAX_TOURS of n_tours */
	unsigned n_tours, tours_dropped;
	struct guided_summary_tour tours[GUIDED_SUMMARY_MAX_TOURS];
	/* what probably went wrong, when the drive never came near the tour's
	 * path (a GCJ-02 route that says wgs84, a drive of another place); "" */
	char hint[512];
};

/* Runs until the replay ends (and its last clip is told) or a SIGINT /
 * SIGTERM; returns the exit status: 0 done, 1 runtime failure, 2 bad usage
 * or invalid route.  summary (may be NULL) is filled at the end. */
int guided_run(const struct guided_options *o, struct guided_summary *summary);
