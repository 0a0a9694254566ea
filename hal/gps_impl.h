/* For GPS source implementations only (hal/gps_*.c): the generic object and
 * the table of functions behind it.  Callers use hal/gps.h. */
#pragma once

#include <stddef.h>

#include "hal/clock.h"
#include "hal/gps.h"

struct hal_gps_impl {
	const char *name; /* spec prefix: "gpsd", "nmea", "gpx" */
	/* arg: what follows "name:" (NULL when the spec is just the name) */
	int (*open)(const char *arg, const struct hal_gps_options *opts, struct hal_gps **out);
	int (*read)(struct hal_gps *gps, struct hal_fix *fix);
	void (*close)(struct hal_gps *gps); /* frees the concrete object */
	int (*get_fd)(struct hal_gps *gps);                 /* NULL: -1 */
	int64_t (*next_wakeup_ms)(struct hal_gps *gps);     /* NULL: -1 */
	int64_t (*peek_time_ms)(struct hal_gps *gps);       /* NULL: -1 */
};

/* First member of every concrete source. */
struct hal_gps {
	const struct hal_gps_impl *impl;
	struct hal_gps_options opts;
	struct hal_clock own_clock; /* used when opts.clock is NULL */
	struct hal_gps_stats stats;
};

extern const struct hal_gps_impl hal_gps_gpsd_impl;
extern const struct hal_gps_impl hal_gps_nmea_impl;
extern const struct hal_gps_impl hal_gps_gpx_impl;

/* Fill the generic part (copies opts, sets up the clock). */
void hal_gps_base_init(struct hal_gps *gps, const struct hal_gps_impl *impl,
		       const struct hal_gps_options *opts);
void hal_gps_logf(const struct hal_gps_options *opts, enum hal_log_level level,
		  const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int64_t hal_gps_now_ms(struct hal_gps *gps);

/* Replays: a growable array of events built at open, handed out by read. */
struct hal_gps_replay_event {
	enum hal_gps_event ev;
	struct hal_fix fix;
};

struct hal_gps_replay {
	struct hal_gps_replay_event *ev;
	size_t n, cap, next;
	bool had_fix; /* for LOST on a fix -> no fix transition */
};

/* Append an epoch's fix: FIX when it has a position, LOST when it has none
 * and the last event was a FIX, nothing otherwise.  -ENOMEM on failure. */
int hal_gps_replay_push(struct hal_gps_replay *r, struct hal_gps_stats *st,
			const struct hal_fix *fix);
int hal_gps_replay_read(struct hal_gps_replay *r, struct hal_gps_stats *st,
			struct hal_fix *fix);
int64_t hal_gps_replay_peek(const struct hal_gps_replay *r);
void hal_gps_replay_free(struct hal_gps_replay *r);
/* Read a whole file; *data is NUL-terminated, free() it.  Negative errno. */
int hal_gps_read_file(const char *path, char **data, size_t *len);
