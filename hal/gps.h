/* GPS sources: gpsd (libgps), NMEA replay, GPX replay.
 *
 * A source is a struct hal_gps driven through a const struct hal_gps_impl
 * table; the concrete source embeds struct hal_gps as its first member.
 * No module-level device state.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "hal/log.h"

/* Which fields of a struct hal_fix hold a value. A field whose bit is clear
 * is unknown and holds NaN (doubles) or 0 (integers). */
enum hal_fix_field {
	HAL_FIX_TIME = 1u << 0,  /* time_ms */
	HAL_FIX_POS = 1u << 1,   /* lat, lon (needs mode >= HAL_FIX_MODE_2D) */
	HAL_FIX_ALT = 1u << 2,   /* alt */
	HAL_FIX_SPEED = 1u << 3, /* speed */
	HAL_FIX_TRACK = 1u << 4, /* track */
	HAL_FIX_HDOP = 1u << 5,  /* hdop */
	HAL_FIX_EPH = 1u << 6,   /* eph */
	HAL_FIX_SATS = 1u << 7,  /* sats_used */
	HAL_FIX_MODE = 1u << 8,  /* mode */
};

enum hal_fix_mode {
	HAL_FIX_MODE_UNKNOWN = 0,
	HAL_FIX_MODE_NONE = 1,
	HAL_FIX_MODE_2D = 2,
	HAL_FIX_MODE_3D = 3,
};

/* One position report, in WGS-84, whatever the source. */
struct hal_fix {
	uint32_t set;    /* enum hal_fix_field bits */
	int64_t time_ms; /* UTC, milliseconds since the Unix epoch */
	double lat, lon; /* degrees, WGS-84 */
	double alt;      /* metres above MSL */
	double speed;    /* metres per second over ground */
	double track;    /* degrees true, [0, 360) */
	double hdop;     /* dimensionless */
	double eph;      /* metres, estimated horizontal error (95%) */
	int mode;        /* enum hal_fix_mode */
	int sats_used;
};

/* true when the fix holds a usable position: mode >= 2D and finite lat/lon. */
bool hal_fix_has_position(const struct hal_fix *fix);
/* A fix that knows nothing yet: no field set, every number NaN (unknown),
 * time 0, no satellites, the given mode. */
void hal_fix_clear(struct hal_fix *fix, enum hal_fix_mode mode);

/* ------------------------------------------------------------------------
 * Sources
 *
 * hal_gps_create() parses a source spec (DESIGN.md):
 *   gpsd[:HOST[:PORT]]   live, through libgps (default localhost:2947;
 *                        HOST may be [v6-address])
 *   nmea:FILE            replay of an NMEA 0183 log
 *   gpx:FILE             replay of a GPX 1.0/1.1 track
 *
 * Driving a source from one poll() loop:
 *   fd = hal_gps_get_fd(gps)          poll it for POLLIN when >= 0 (gpsd only;
 *                                     changes on reconnect: ask every iteration)
 *   w  = hal_gps_next_wakeup_ms(gps)  when >= 0, call hal_gps_read() once the
 *                                     options' clock reaches w (gpsd reconnect)
 *   t  = hal_gps_peek_time_ms(gps)    replays: UTC ms of the next event (from the
 *                                     sentences' own times), -1 when unknown;
 *                                     the loop waits until the event is due
 *                                     (see hal_pace in hal/clock.h) or, offline,
 *                                     jumps its virtual clock there
 *   ev = hal_gps_read(gps, &fix)      one event at a time, never blocks; call it
 *                                     again while it returns events (gpsd may have
 *                                     more lines buffered: next_wakeup_ms then
 *                                     answers "now")
 *
 * Main thread only.  Sources hold no module-level state.
 * ------------------------------------------------------------------------ */

struct hal_clock;
struct hal_gps; /* opaque; sources are built in hal/gps_*.c */

enum hal_gps_event {
	HAL_GPS_NONE = 0, /* nothing (yet): wait for the fd or the wakeup */
	HAL_GPS_FIX = 1,  /* *fix holds a position (hal_fix_has_position() is true) */
	HAL_GPS_LOST = 2, /* the position went away: no fix from the receiver, or
			   * gpsd disconnected; *fix has the time when known.
			   * Also when the receiver's clock steps back by more
			   * than HAL_GPS_STEP_BACK_MS: what came before no
			   * longer orders with what follows (a consumer that
			   * rejects fixes older than its last would block
			   * until the clock caught up: 52 minutes in
			   * bt451.log), so the source says the track broke;
			   * the next read returns that fix (its time is the
			   * LOST's and the next peek's). */
	HAL_GPS_END = 3,  /* replay finished; every later read returns END too */
};

/* A FIX this much older than the last FIX is a clock step (see HAL_GPS_LOST);
 * smaller steps back (telit-he910.log: 0.3 s) are left to the consumer. */
#define HAL_GPS_STEP_BACK_MS 1000

struct hal_gps_options {
	hal_log_fn log; /* NULL: messages are dropped */
	void *log_user;
	/* Clock for reconnect timing and hal_gps_next_wakeup_ms(); NULL: an
	 * internal real (monotonic) clock.  Must outlive the source. */
	struct hal_clock *clock;
	int reconnect_min_ms; /* first retry delay; 0: 250 */
	int reconnect_max_ms; /* backoff cap;      0: 4000 */
};

/* Counters for status; all sources fill what applies to them. */
struct hal_gps_stats {
	/* NMEA (nmea: replay) -- by enum hal_nmea_result */
	uint64_t sentences_ok;      /* RMC/GGA/GSA/VTG/GLL parsed */
	uint64_t sentences_ignored; /* good checksum, other types */
	uint64_t bad_checksum;
	uint64_t no_checksum;
	uint64_t malformed;
	uint64_t truncated;
	uint64_t bytes_skipped; /* comments, binary (UBX) frames, noise */
	/* GPX */
	uint64_t gpx_points;     /* trkpt/rtept elements read */
	uint64_t gpx_bad_points; /* without a usable lat/lon */
	/* gpsd */
	uint64_t connects; /* successful connections */
	uint64_t disconnects;
	uint64_t json_reports; /* TPV reports received */
	/* all sources */
	uint64_t fixes;         /* FIX events returned */
	uint64_t lost;          /* LOST events returned */
	uint64_t no_fix_epochs; /* epochs / reports without a position */
};

/* Create a source.  opts may be NULL.  0 and *out set, or a negative errno
 * (-EINVAL bad spec, -ENOENT missing file, -EBADMSG unreadable GPX, -ENOMEM)
 * with the reason handed to opts->log.  A gpsd source that cannot connect
 * yet is still created: it retries with backoff (never fails later either). */
int hal_gps_create(const char *spec, const struct hal_gps_options *opts, struct hal_gps **out);
void hal_gps_destroy(struct hal_gps *gps); /* NULL is a no-op */

/* One event, never blocking.  Returns an enum hal_gps_event (>= 0) or a
 * negative errno.  *fix is written for FIX and LOST. */
int hal_gps_read(struct hal_gps *gps, struct hal_fix *fix);

int hal_gps_get_fd(struct hal_gps *gps);             /* -1: none (replay, disconnected) */
int64_t hal_gps_next_wakeup_ms(struct hal_gps *gps); /* -1: none needed */
int64_t hal_gps_peek_time_ms(struct hal_gps *gps);   /* -1: unknown / not a replay */
const char *hal_gps_name(const struct hal_gps *gps); /* "gpsd", "nmea", "gpx" */
void hal_gps_get_stats(const struct hal_gps *gps, struct hal_gps_stats *out);
