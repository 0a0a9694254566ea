/* GPS sources: gpsd (libgps), NMEA replay, GPX replay.
 *
 * A source is a struct hal_gps driven through a const struct hal_gps_impl
 * table; the concrete source embeds struct hal_gps as its first member.
 * No module-level device state.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Which fields of a struct hal_fix hold a value. A field whose bit is clear
 * is unknown and holds NaN (doubles) or 0 (integers). */
enum hal_fix_field {
	HAL_FIX_TIME = 1u << 0,   /* time_ms */
	HAL_FIX_POS = 1u << 1,    /* lat, lon (needs mode >= HAL_FIX_MODE_2D) */
	HAL_FIX_ALT = 1u << 2,    /* alt */
	HAL_FIX_SPEED = 1u << 3,  /* speed */
	HAL_FIX_TRACK = 1u << 4,  /* track */
	HAL_FIX_HDOP = 1u << 5,   /* hdop */
	HAL_FIX_EPH = 1u << 6,    /* eph */
	HAL_FIX_SATS = 1u << 7,   /* sats_used */
	HAL_FIX_MODE = 1u << 8,   /* mode */
};

enum hal_fix_mode {
	HAL_FIX_MODE_UNKNOWN = 0,
	HAL_FIX_MODE_NONE = 1,
	HAL_FIX_MODE_2D = 2,
	HAL_FIX_MODE_3D = 3,
};

/* One position report, in WGS-84, whatever the source. */
struct hal_fix {
	uint32_t set;      /* enum hal_fix_field bits */
	int64_t time_ms;   /* UTC, milliseconds since the Unix epoch */
	double lat, lon;   /* degrees, WGS-84 */
	double alt;        /* metres above MSL */
	double speed;      /* metres per second over ground */
	double track;      /* degrees true, [0, 360) */
	double hdop;       /* dimensionless */
	double eph;        /* metres, estimated horizontal error (95%) */
	int mode;          /* enum hal_fix_mode */
	int sats_used;
};

/* true when the fix holds a usable position: mode >= 2D and finite lat/lon. */
bool hal_fix_has_position(const struct hal_fix *fix);
