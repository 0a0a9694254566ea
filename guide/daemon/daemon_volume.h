/* Volume that follows the road (README, "Volume that follows the road"):
 * once a second (guide time) the daemon combines
 *   speed_gain_db  a gain by the cart's speed: vehicle.yaml auto_volume.speed,
 *                  [km/h, dB] pairs, linear between, flat beyond the ends,
 *                  0 dB without a position; from the trigger's smoothed
 *                  speed, then smoothed again by a first-order follower
 *                  (DAEMON_VOLUME_ATTACK_S rising, DAEMON_VOLUME_RELEASE_S
 *                  falling) so that it never pumps with stops and starts
 *   noise_gain_db  the cabin microphone's (daemon_mic_gain_db, daemon_mic.c)
 * into gain_db, then caps the result:
 *   effective = min(driver x 10^(gain_db / 20), zone cap, time cap)
 * where the zone cap is the lowest max_volume of the route stops whose
 * geofence the cart is inside (tour_stop_inside: zone_enter .. zone_exit) and
 * the time cap the lowest max of auto_volume.quiet_hours that hold at the
 * cart's local time (the guide's UTC + vehicle.yaml timezone, +08:00 by
 * default).  The mixer gets effective / driver as its auto gain
 * (mixer_set_auto_gain: narration and announcements, not music, glided over
 * MIXER_AUTO_GAIN_MS).  The driver's volume ("volume" in status) is left as
 * it is; status has "auto_volume" {driver, effective, gain_db, why}; the
 * event volume_auto {gain_db, effective, why} is logged when gain_db or the
 * mixer's auto gain (effective over driver, in dB: not the driver's own
 * changes, which are the event volume) moved by more than
 * DAEMON_VOLUME_LOG_DB since the last one, or the cap in force changed.  Main thread only. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct daemon;
struct json_object;

#define DAEMON_VOLUME_STEP_MS 1000  /* combined this often (guide time) */
#define DAEMON_VOLUME_ATTACK_S 4.0  /* the speed gain rises with this time constant */
#define DAEMON_VOLUME_RELEASE_S 8.0 /* ... and falls with this one */
#define DAEMON_VOLUME_LOG_DB 1.0    /* volume_auto when a level moved more than this */
#define DAEMON_VOLUME_MIN_DB -60.0  /* a cap of 0: as low as the mixer goes */
#define DAEMON_VOLUME_WHY 4         /* speed, noise, the cap in force */

struct daemon_volume {
	int64_t last_ms;   /* guide time of the last update; -1 none */
	double speed_db;   /* the follower's output */
	double noise_db;   /* as daemon_mic_gain_db said */
	double gain_db;    /* speed_db + noise_db */
	double driver;     /* 0..1: the driver's volume */
	double effective;  /* 0..1: after gain and caps */
	double applied_db; /* what the mixer was given */
	char cap[80];      /* the cap in force: "zone:ID", "time:19:00-22:00"; "" none */
	const char *why[DAEMON_VOLUME_WHY];
	unsigned n_why;
	/* what the last volume_auto said */
	double logged_gain_db, logged_auto_db;
	char logged_cap[80];
};

void daemon_volume_init(struct daemon_volume *v);
/* Combines when DAEMON_VOLUME_STEP_MS passed since the last time, or at once
 * when force (the driver's volume changed). */
void daemon_volume_update(struct daemon *d, int64_t now, bool force);
/* Adds "auto_volume" to a status object. */
void daemon_volume_status(struct daemon *d, struct json_object *status);
/* The gain of the speed curve at kmh (no smoothing); 0 without a curve. */
double daemon_volume_speed_db(const struct daemon *d, double kmh);

/* The cabin microphone's gain in dB: daemon_mic_gain_db (daemon_mic.h). */
