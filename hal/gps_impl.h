/* For GPS source implementations only (hal/gps_*.c): the generic object and
 * the table of functions behind it.  Callers use hal/gps.h.
 *
 * Adding a source: write hal/gps_NAME.c with a const struct hal_gps_impl,
 * declare it below and list it in the table in hal/gps.c.  A replay of a
 * file format needs only a parse function (see hal_gps_replay_open). */
#pragma once

#include <stddef.h>

#include "hal/clock.h"
#include "hal/gps.h"
#include "hal/spec.h"

struct hal_gps_impl {
	struct hal_spec_scheme scheme; /* first: "gpsd", "nmea", "gpx" and their forms */
	/* arg: what follows "name:" (NULL when the spec is just the name) */
	int (*open)(const char *arg, const struct hal_gps_options *opts, struct hal_gps **out);
	int (*read)(struct hal_gps *gps, struct hal_fix *fix);
	void (*close)(struct hal_gps *gps);             /* frees the concrete object */
	int (*get_fd)(struct hal_gps *gps);             /* NULL: -1 */
	int64_t (*next_wakeup_ms)(struct hal_gps *gps); /* NULL: -1 */
	int64_t (*peek_time_ms)(struct hal_gps *gps);   /* NULL: -1 */
};

/* First member of every concrete source. */
struct hal_gps {
	const struct hal_gps_impl *impl;
	struct hal_gps_options opts;
	struct hal_clock own_clock; /* used when opts.clock is NULL */
	struct hal_gps_stats stats;
	/* hal_gps_read()'s clock-step rule (hal/gps.h), for every source */
	bool have_last_time;
	int64_t last_time_ms; /* time of the last FIX returned */
	bool pending;         /* pending_fix is the next FIX, after a LOST */
	struct hal_fix pending_fix;
};

extern const struct hal_gps_impl hal_gps_gpsd_impl;
extern const struct hal_gps_impl hal_gps_nmea_impl;
extern const struct hal_gps_impl hal_gps_gpx_impl;

/* Fill the generic part (copies opts, sets up the clock). */
void hal_gps_base_init(struct hal_gps *gps, const struct hal_gps_impl *impl,
		       const struct hal_gps_options *opts);
void hal_gps_logf(const struct hal_gps_options *opts, enum hal_log_level level, const char *fmt,
		  ...) __attribute__((format(printf, 3, 4)));
int64_t hal_gps_now_ms(struct hal_gps *gps);

/* Replays (nmea:FILE, gpx:FILE): the whole file is parsed at open into an
 * array of events, handed out one by one by read; peek tells the loop when
 * the next one is due (the events' own times). */
struct hal_gps_replay_event {
	enum hal_gps_event ev;
	struct hal_fix fix;
};

/* The concrete source of every replay. */
struct hal_gps_replay {
	struct hal_gps base; /* first */
	struct hal_gps_replay_event *ev;
	size_t n, cap, next;
	bool had_fix; /* for LOST on a fix -> no fix transition */
};

/* Turns a replay file's bytes into events (hal_gps_replay_push).  path is
 * for messages.  Returns 0 or a negative errno; -EBADMSG when the content is
 * unreadable, after logging where (FILE:LINE:COL). */
typedef int (*hal_gps_replay_parse_fn)(struct hal_gps_replay *r, const char *path, const char *data,
				       size_t len);

/* The open of a replay source: reads the file named by arg and parses it.
 * Logs every failure but parse's own -EBADMSG. */
int hal_gps_replay_open(const struct hal_gps_impl *impl, hal_gps_replay_parse_fn parse,
			const char *arg, const struct hal_gps_options *opts, struct hal_gps **out);

/* Append an epoch's fix: FIX when it has a position, LOST when it has none
 * and the last event was a FIX, nothing otherwise.  -ENOMEM on failure. */
int hal_gps_replay_push(struct hal_gps_replay *r, const struct hal_fix *fix);

/* read, peek_time_ms and close of every replay's struct hal_gps_impl. */
int hal_gps_replay_read(struct hal_gps *gps, struct hal_fix *fix);
int64_t hal_gps_replay_peek(struct hal_gps *gps);
void hal_gps_replay_close(struct hal_gps *gps);
