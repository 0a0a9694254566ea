/* What the mixer's files share; not part of the API (see audio/mixer.h).
 *
 *   mixer.c          main thread: create/destroy, play/stop/..., events.
 *   mixer_decoder.c  producer side: the decoder thread, the offline pump,
 *                    and the prefill of mixer_play.
 *   mixer_render.c   audio thread: commands, scheduling, the mix.  RT-safe.
 *
 * Every field below says which thread owns it.  Included by those three
 * files only.
 */
#pragma once

#include "audio/mixer.h"

#include "audio/limiter.h"
#include "audio/spsc.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct clip;

/* Slot ownership (atomic voice.state):
 *   FREE  nobody; the main thread may claim it (mixer_play).
 *   LIVE  published: the decoder (or the offline pump) produces into the
 *         ring and owns the clip; the audio thread consumes.
 *   DEAD  the audio thread is done with it; the decoder closes the clip and
 *         sets FREE.  Only the main thread goes FREE->LIVE, only the audio
 *         thread LIVE->DEAD, only the decoder DEAD->FREE. */
enum { SLOT_FREE, SLOT_LIVE, SLOT_DEAD };

/* What the audio thread does with a voice (audio thread only). */
enum mixer_phase {
	PH_IDLE,       /* not the audio thread's */
	PH_WAITING,    /* queued: waits for its turn */
	PH_PLAYING,    /* sounding */
	PH_STOPPING,   /* fading out, then CUT */
	PH_SUSPENDING, /* narration fading out under an announcement */
	PH_SUSPENDED,  /* narration held, waiting to resume */
};

enum { END_NONE, END_EOF, END_ERROR };

/* Main thread -> audio thread, through mixer.cmdq. */
enum mixer_cmd_type {
	CMD_PLAY,
	CMD_STOP,
	CMD_STOP_KIND,
	CMD_GAIN,
	CMD_VOLUME,
	CMD_PAUSE,
	CMD_RESUME,
	CMD_TALK,
	CMD_BUS_VOLUME,
	CMD_AUTO_GAIN,
};

struct mixer_cmd {
	enum mixer_cmd_type type;
	int32_t arg;     /* handle, slot or kind */
	float value;     /* gain, volume */
	uint32_t frames; /* fade length */
};

#define QUEUE_LEN 256
#define REASON_LEN 112

struct mixer_voice {
	/* Set by the main thread before the slot goes LIVE; read-only after. */
	enum mixer_kind kind;
	uint32_t bus; /* channels mode: the bus of a narration/announcement; else 0 */
	mixer_handle handle;
	uint64_t user_id;
	int64_t total;

	_Atomic int state;

	/* Producer side (decoder / pump / mixer_play before publishing). */
	struct clip *clip;
	float *buf; /* 2 * ring.cap floats */
	struct spsc ring;
	uint32_t end_w;  /* ring counter where the clip ends */
	_Atomic int end; /* END_*, release after end_w and err */
	char err[REASON_LEN];
	uint32_t seek_done_local; /* producer's copy of seek_done */

	/* Consumer -> producer: seek request. */
	int64_t seek_pos;
	_Atomic uint32_t seek_req;
	/* Producer -> consumer: the seek is done, new data starts at seek_w. */
	uint32_t seek_w;
	_Atomic uint32_t seek_done;

	/* Audio thread only. */
	enum mixer_phase phase;
	uint64_t seq;    /* play order */
	float gain;      /* user gain */
	float g, g0, g1; /* gain applied last, ramp from, ramp to */
	uint32_t rk, rn; /* ramp position and length */
	int64_t pos;     /* clip frame of the next frame consumed */
	uint64_t suspended_at;
	uint64_t underruns;
	const char *cut_reason;
	bool skipped; /* suspended: stale frames dropped after the seek */
};

/* A gain ramped with mixer_ramp_gain (audio thread only). */
struct mixer_ramp {
	float g, g0, g1;
	uint32_t k, n;
};

/* Frames the channels-mode render mixes at a time (scratch sizes). */
#define MIXER_CHUNK 512
/* a stereo sum of a chunk (bus or music), padded so that the sums do not
 * fall on the same place of a 4 KiB page as each other or as the voices'
 * rings (4K aliasing: every load would wait for an unrelated store) */
#define MIXER_SUM (2 * MIXER_CHUNK + 48)
/* a plane of a chunk, padded so that planes do not alias in the cache */
#define MIXER_PLANE (MIXER_CHUNK + 16)

/* One bus of channels mode. */
struct mixer_bus {
	/* main -> audio: the latest volume (a float's bits), as volume_bits */
	_Atomic uint32_t volume_bits;
	/* Audio thread only. */
	bool ducked;
	struct mixer_ramp duck, vol;
};

struct mixer {
	/* Set by mixer_create; read-only after. */
	struct mixer_config cfg;
	uint32_t ramp, duck_ramp, rewind, max_age; /* in frames */
	float duck_lin;
	/* channels mode (n_buses > 0): out_ch channels; per output channel the
	 * bus that owns it (-1 none) and where it takes its sample from the
	 * bus's stereo sum (0 left, 1 right, 2 mono) */
	uint32_t out_ch, n_buses;
	int8_t ch_bus[MIXER_MAX_CHANNELS];
	uint8_t ch_src[MIXER_MAX_CHANNELS];
	/* Audio thread only: per bus and for the music (last), a stereo sum of
	 * MIXER_CHUNK frames; per bus, its duck and volume gains of a chunk. */
	float *scratch;
	float *gains;
	float *planes; /* the music's mono, then one a channel: (1 + channels) * MIXER_PLANE */
	struct mixer_bus buses[MIXER_MAX_BUSES];

	struct mixer_voice voices[MIXER_MAX_VOICES];

	/* main -> audio: the main thread produces, the audio thread consumes */
	struct spsc cmdq;
	struct mixer_cmd cmds[QUEUE_LEN];
	/* audio -> main: the audio thread produces, the main thread consumes */
	struct spsc evq;
	struct mixer_event evs[QUEUE_LEN];
	_Atomic uint64_t events_lost;
	/* The master volume is a level, not an event: the main thread stores the
	 * latest value here and queues one CMD_VOLUME only when none is queued,
	 * so that a burst of changes (a slider, a driver's presses while the
	 * device is closed) never fills the command queue.  The audio thread
	 * clears volume_queued, then reads volume_bits (a float's bits). */
	_Atomic uint32_t volume_bits;
	_Atomic bool volume_queued;
	/* The same for the auto gain (mixer_set_auto_gain): linear, a float's
	 * bits, one CMD_AUTO_GAIN queued at most. */
	_Atomic uint32_t auto_bits;
	_Atomic bool auto_queued;

	/* Main thread only. */
	uint32_t gen;

	/* Audio thread only. */
	uint64_t seq;
	bool paused, ducked;
	bool talk;     /* the driver talks: narration held (mixer_set_talk) */
	bool wake_req; /* the decoder has work: post once this render call */
	float volume;
	float auto_lin;     /* auto gain, linear: narration and announcements (1: none) */
	uint32_t auto_ramp; /* frames a change of it is ramped over (MIXER_AUTO_GAIN_MS) */
	float og, og0, og1;
	uint32_t ok, on;
	struct limiter limiter; /* the last stage of every render (audio/limiter.h) */

	/* Written by the audio thread, read by anyone (frames: audio thread). */
	_Atomic uint64_t frames;
	_Atomic uint64_t underruns;
	_Atomic uint32_t active;

	/* The decoder thread: started and joined by the main thread (threaded,
	 * thread, quit: main thread only); wake is posted by the main and the
	 * audio thread (sem_post is RT-safe), waited on by the decoder. */
	bool threaded;
	pthread_t thread;
	sem_t wake;
	_Atomic bool quit;
};

/* ---- mixer_decoder.c: the producer side ---- */

/* Decodes into the voice's ring until it is full, the clip ends or limit
 * frames are in.  Returns frames decoded.  The ring's producer only: the
 * decoder thread, the offline pump, or mixer_play before the slot is LIVE.
 * Not RT-safe. */
uint32_t mixer_decoder_fill(struct mixer_voice *v, uint32_t limit);

/* Serves every slot once on the caller's thread: what the decoder thread
 * does, for offline mode (mixer_render_offline).  Not RT-safe. */
void mixer_decoder_pump(struct mixer *m);

/* Starts the decoder thread; m->wake must be initialised.  0 or a negative
 * errno.  Main thread, from mixer_create. */
int mixer_decoder_start(struct mixer *m);

/* Stops and joins the decoder thread, if one runs.  Main thread, from
 * mixer_destroy (the sink stopped first). */
void mixer_decoder_stop(struct mixer *m);
