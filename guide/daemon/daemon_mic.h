/* The cabin microphone (guided --mic SOURCE): the ambient noise, and the
 * gain on the narration that follows it (issue 22).  The gain is handed to
 * the auto volume (daemon_volume.c), which adds it to the speed's gain,
 * caps the sum and sets it on the mixer.
 *
 * The noise estimate.  The source gives one level a 100 ms block (RMS,
 * dBFS; hal/mic.h).  The microphone hears the guide's own voice too: an
 * estimate that followed it would raise the gain, which raises the voice,
 * which raises the estimate.  So:
 *   - in the gaps (nothing narrating, no talk, and DAEMON_MIC_HOLD_MS after
 *     the last of it, for the speaker's tail and the room), the estimate
 *     is the median of the gap's levels, the last DAEMON_MIC_GAP_WINDOW
 *     (2 s: a door slam or a cough does not move it), once it has
 *     DAEMON_MIC_GAP_MIN of them (0.5 s); never a level from before the
 *     gap;
 *   - under narration (or talk) it may only go down, to the 10th
 *     percentile of the last DAEMON_MIC_NARR_WINDOW levels (3 s): speech
 *     plus noise is never quieter than the noise, so a low percentile
 *     only falls below the estimate when the cabin did get quieter; it
 *     never climbs on the guide's voice.
 * A cabin that gets louder while a story is told is heard in the next gap
 * (between sentences is not enough: the window forgets them); stories are
 * minutes long and the gaps between stops many seconds, which is soon
 * enough for traffic, and never wrong.
 *
 * The gain.  Noise at or below quiet_db: 0 dB; at or above loud_db:
 * max_gain_db; linear between.  It moves towards that with a one-pole
 * attack (rising, 3 s) and release (falling, 10 s), so that a passing
 * truck is not a jump in the voice.
 *
 * Events: mic_noise {noise_db, gain_db} when the estimate moved more than
 * 3 dB from the last one logged (and the first estimate).
 *
 * Main thread only. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct daemon;
struct json_object;

#define DAEMON_MIC_HOLD_MS 500
#define DAEMON_MIC_GAP_MIN 5      /* levels: 0.5 s of a gap before it counts */
#define DAEMON_MIC_GAP_WINDOW 20  /* levels: 2 s */
#define DAEMON_MIC_NARR_WINDOW 30 /* levels: 3 s */
#define DAEMON_MIC_EVENT_DB 3.0

/* vehicle.yaml auto_volume: {noise: {...}}; defaults in brackets */
struct daemon_mic_config {
	double quiet_db;    /* -50: no gain at or below */
	double loud_db;     /* -25: max_gain_db at or above */
	double max_gain_db; /* 12 */
	double attack_s;    /* 3: time constant of a rising gain */
	double release_s;   /* 10: ... of a falling gain */
};
void daemon_mic_config_defaults(struct daemon_mic_config *c);

/* The estimate as a pure function of its inputs (testable without a daemon):
 * feed one level per block. */
struct daemon_mic_est {
	struct daemon_mic_config cfg;
	float hist[DAEMON_MIC_NARR_WINDOW]; /* the latest levels, a ring */
	unsigned n, at;
	unsigned gap_n;  /* levels since the guide last spoke */
	bool have;       /* an estimate exists */
	double noise_db; /* the estimate */
	double gain_db;  /* smoothed */
};
void daemon_mic_est_init(struct daemon_mic_est *e, const struct daemon_mic_config *cfg);
/* narrating: the guide's own voice may be in this block */
void daemon_mic_est_feed(struct daemon_mic_est *e, float level_db, bool narrating);
/* The gain that noise_db asks for, before smoothing. */
double daemon_mic_target_gain(const struct daemon_mic_config *c, double noise_db);

/* guided_run: opens d->o->mic: 0, 2 a bad spec, a missing or unfit file, 1 another
 * failure (the reason logged). */
int daemon_mic_open(struct daemon *d);
void daemon_mic_close(struct daemon *d);
/* The loop: starts the source with the tour, reads the levels that are due. */
void daemon_mic_update(struct daemon *d);

/* The noise-driven gain now, in dB; 0 without --mic. */
double daemon_mic_gain_db(struct daemon *d);
/* Adds "noise_db" (null without --mic or before the first estimate) to o. */
void daemon_mic_status(struct daemon *d, struct json_object *o);
/* The status's "mic" object {"source", "noise_db", "gain_db"}, or NULL
 * without --mic. */
struct json_object *daemon_mic_status_json(struct daemon *d);
