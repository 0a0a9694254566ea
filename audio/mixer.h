/* The mixer: Opus voices mixed to interleaved stereo float32 at 48 kHz
 * (hal/audio.h).
 *
 * Three threads meet here (DESIGN.md, real-time rule):
 *   main thread   mixer_play/stop/pause/resume/set_*, mixer_next_event.
 *   audio thread  mixer_render (the sink's callback).  RT-safe.
 *   decoder       a thread of the mixer's own that keeps each voice's SPSC
 *                 ring of decoded frames filled (threaded mode only).
 * The main thread talks to the audio thread through an SPSC command queue;
 * the audio thread answers through an SPSC event queue.  Nothing blocks.
 *
 * Offline mode (config.offline): no decoder thread.  The caller's thread
 * decodes synchronously in mixer_render_offline() before mixing, so a voice
 * never underruns and the output depends only on the calls made and the
 * frame counts rendered: sample-identical from run to run.  Under the
 * virtual clock the mixer is pulled by the clock (hal_sink_pull), not a device.
 *
 * Voices and their order of precedence
 *   MIXER_ANNOUNCEMENT  safety / welcome.  Never waits, never cut by another
 *                       voice.  Several announcements play one after another
 *                       (FIFO): a second one waits for the first to finish.
 *   MIXER_NARRATION     the stop's story.  At most one narration sounds at a
 *                       time: a new narration replaces (cuts, with a fade) the
 *                       one playing, waiting or interrupted.  It waits while an
 *                       announcement plays or waits.  An announcement interrupts it:
 *                       see "Interrupted narration" below.
 *   MIXER_MUSIC         background.  Any number.  Ducked by duck_db (ramped over
 *                       duck_ms) while a narration or announcement sounds.
 *
 * Interrupted narration (the rule)
 *   When an announcement starts, a playing narration fades out (ramp_ms) and
 *   is suspended at clip frame P (event MIXER_EV_SUSPENDED).  When no
 *   announcement is playing or waiting any more, the narration resumes from
 *   max(0, P - resume_rewind_ms) with a fade-in (MIXER_EV_RESUMED), so the
 *   passenger hears the interrupted sentence again from a little before the
 *   cut.  It is dropped instead (MIXER_EV_CUT, reason "interrupted") when
 *   P had reached resume_max_played_pct % of the clip (the story was as good
 *   as told) or when it stayed suspended longer than resume_max_age_ms of
 *   output time (the cart has moved on).
 *
 * Clicks: every start, stop, pause, resume, gain and volume change is a
 * linear ramp over ramp_ms (see mixer_ramp_gain for the exact formula).
 *
 * Channels mode (DESIGN.md, per-seat languages; config.n_buses > 0)
 *   The output has config.channels discrete channels (1..MIXER_MAX_CHANNELS),
 *   interleaved.  Each bus (one a language) owns the output channels of its
 *   bus_channels mask; a narration or announcement plays on one bus
 *   (mixer_play_bus) and the rules above hold per bus: announcements queue
 *   per bus, a narration replaces or waits for / is interrupted by the
 *   voices of its own bus only, and the music is ducked per bus.  Music
 *   plays under every bus, on every output channel.  A bus's stereo sum goes
 *   to its channels in ascending order: one channel gets the mono sum
 *   (L + R) * 0.5, two or more get L, R, L, R...; a channel of no bus gets
 *   the mono music only.  Nothing is mixed from one output channel into
 *   another.  Each bus has its own volume (mixer_set_bus_volume) under the
 *   master volume; it scales the bus's channels, music included.  An output
 *   sample of channel c of bus b is
 *     out = vol(k) * (bvol_b(k) * (N_b(k, c) + duck_b(k) * M(k, c)))
 *   where N_b is the bus's voices mixed as in stereo mode (gain_v(k) * s_v
 *   summed in slot order) and M the music's (unducked: the duck is duck_b,
 *   a ramp of duck_ms between 1 and duck_db).  Without buses (stereo mode)
 *   nothing of this applies and the output is what it always was.
 *
 * Events carry the output frame position (frames rendered since create) at
 * which they happened, so offline rendering converts them to virtual time
 * exactly: t = t0 + frame / HAL_AUDIO_RATE.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/audio.h"

#define MIXER_MAX_VOICES 64
#define MIXER_MAX_CHANNELS 8 /* output channels in channels mode */
#define MIXER_MAX_BUSES 8    /* buses (languages) in channels mode */

enum mixer_kind {
	MIXER_NARRATION = 0,
	MIXER_ANNOUNCEMENT = 1,
	MIXER_MUSIC = 2,
};
#define MIXER_KINDS 3

const char *mixer_kind_to_str(enum mixer_kind kind);

struct mixer_config {
	uint32_t max_voices;            /* voices alive at once, <= MIXER_MAX_VOICES (16) */
	uint32_t ring_frames;           /* per-voice ring, rounded up to a power of 2 (16384) */
	uint32_t prefill_frames;        /* decoded in mixer_play before it returns (2048) */
	uint32_t ramp_ms;               /* every fade (5) */
	float duck_db;                  /* music gain under narration/announcement (-12) */
	uint32_t duck_ms;               /* duck ramp (100) */
	uint32_t resume_rewind_ms;      /* interrupted narration rewinds this much (2000) */
	uint32_t resume_max_age_ms;     /* ...or is dropped after this long suspended (30000) */
	uint32_t resume_max_played_pct; /* ...or if cut at/after this % of the clip (90) */
	bool offline;                   /* no decoder thread: see mixer_render_offline */
	/* Channels mode (above); n_buses 0: stereo mode. */
	uint32_t channels;                      /* output channels, 1..MIXER_MAX_CHANNELS */
	uint32_t n_buses;                       /* 0..MIXER_MAX_BUSES */
	uint32_t bus_channels[MIXER_MAX_BUSES]; /* bit c: output channel c (0-based); disjoint */
};

/* Fills c with the defaults given in brackets above. */
void mixer_config_defaults(struct mixer_config *c);

struct mixer;

/* Creates the mixer and (unless offline) starts its decoder thread.  cfg NULL
 * means defaults.  Returns 0 or a negative errno. Main thread. */
int mixer_create(const struct mixer_config *cfg, struct mixer **out);

/* Stops the decoder thread, closes every clip.  The sink must be stopped
 * first (no mixer_render running).  destroy(NULL) is a no-op. */
void mixer_destroy(struct mixer *m);

/* A voice handle: > 0.  Handles are not reused for 2^24 plays. */
typedef int32_t mixer_handle;

/* Opens the clip, decodes its first prefill_frames, and queues it to start
 * at the next render call (or, for a narration, once no announcement plays).
 * gain is linear (1.0 = clip level).  user_id comes back in every event of
 * the voice.  Returns a handle, or a negative errno with the reason in err:
 * -ENOENT / -EINVAL / -EISDIR as clip_open (emit clip_skip with err),
 * -EBUSY when all voices are in use, -EAGAIN when the command queue is full
 * (the audio side is not running).  No event is sent for a failed play.
 * Main thread. */
mixer_handle mixer_play(struct mixer *m, enum mixer_kind kind, const char *path, float gain,
			uint64_t user_id, char *err, size_t errlen);

/* mixer_play on a bus (channels mode): a narration or announcement plays on
 * the channels of bus `bus` (< config.n_buses, else -EINVAL); music ignores
 * the bus (it plays on every channel).  In stereo mode bus must be 0.
 * Main thread. */
mixer_handle mixer_play_bus(struct mixer *m, enum mixer_kind kind, const char *path, float gain,
			    uint32_t bus, uint64_t user_id, char *err, size_t errlen);

/* Output channels per frame: 2 in stereo mode, config.channels in channels
 * mode.  Any thread. */
uint32_t mixer_channels(const struct mixer *m);

/* Fades the voice out over fade_ms (at least ramp_ms) and ends it with
 * MIXER_EV_CUT; a voice not yet started or suspended is cut at once.
 * Unknown or finished handles are ignored.  0 or -EAGAIN.  Main thread. */
int mixer_stop(struct mixer *m, mixer_handle h, uint32_t fade_ms);

/* The same for every voice of a kind. Main thread. */
int mixer_stop_kind(struct mixer *m, enum mixer_kind kind, uint32_t fade_ms);

/* Changes a voice's gain (ramped). Main thread. */
int mixer_set_gain(struct mixer *m, mixer_handle h, float gain);

/* Master volume, linear, ramped. Main thread. */
int mixer_set_volume(struct mixer *m, float volume);

/* The automatic gain (volume that follows the road, guide/daemon/
 * daemon_volume.c), in dB (-60..+24, else -EINVAL): it scales narrations and
 * announcements, not music, under the master volume.  A change is ramped
 * over MIXER_AUTO_GAIN_MS on the voices that sound (a slow glide, not a
 * fade); a voice that starts later starts at it.  0 dB is exactly a gain of
 * 1 (the output is bit-identical to never calling this).  Like the volume
 * it is a level: a burst of calls queues one command.  0 or -EAGAIN.
 * Main thread. */
#define MIXER_AUTO_GAIN_MS 1000
int mixer_set_auto_gain(struct mixer *m, float gain_db);

/* A bus's volume (channels mode), linear, ramped over ramp_ms, under the
 * master volume.  -EINVAL for a bus that is not there. Main thread. */
int mixer_set_bus_volume(struct mixer *m, uint32_t bus, float volume);

/* Pause fades everything out and then holds every voice where it is (the
 * output is silence; output frames still count); resume fades back in.
 * Main thread. */
int mixer_pause(struct mixer *m);
int mixer_resume(struct mixer *m);

/* The driver talks through the amplifier's own microphone input: while on,
 * a narration is held as under an announcement ("Interrupted narration":
 * faded out, resumed resume_rewind_ms before the cut once talk is off, or
 * dropped after resume_max_age_ms), and a waiting announcement waits; an
 * announcement already sounding plays on.  0 or -EAGAIN.  Main thread. */
int mixer_set_talk(struct mixer *m, bool on);

enum mixer_event_type {
	MIXER_EV_STARTED = 1, /* first frame of the voice went out */
	MIXER_EV_FINISHED,    /* played to the end (completed) */
	MIXER_EV_CUT,         /* stopped early: mixer_stop, replaced, or dropped */
	MIXER_EV_FAILED,      /* decode error: reason says why */
	MIXER_EV_SUSPENDED,   /* narration interrupted by an announcement */
	MIXER_EV_RESUMED,     /* interrupted narration goes on from clip_frame */
	MIXER_EV_UNDERRUN,    /* the voice's ring ran dry; count = frames missed so far */
};

const char *mixer_event_type_to_str(enum mixer_event_type type);

struct mixer_event {
	enum mixer_event_type type;
	enum mixer_kind kind;
	mixer_handle handle;
	uint64_t user_id;
	uint64_t frame;     /* output frame position of the event */
	int64_t clip_frame; /* position in the clip (frames) at the event */
	uint64_t count;     /* MIXER_EV_UNDERRUN: underrun frames of the voice so far */
	char reason[112];   /* CUT: "stopped", "replaced", "interrupted"; FAILED: why */
};

/* Takes the next event from the audio side; false when there is none.
 * Lock-free, never blocks.  Main thread only.  In offline mode events
 * become visible after the render call that produced them. */
bool mixer_next_event(struct mixer *m, struct mixer_event *ev);

/* Events the audio side had to drop because the queue was full. */
uint64_t mixer_events_lost(struct mixer *m);

/* Underrun frames over all voices so far (any thread). */
uint64_t mixer_underruns(struct mixer *m);

/* Voices playing, waiting or suspended, as last seen by the audio side. */
uint32_t mixer_active_voices(struct mixer *m);

/* Renders frames of interleaved float32 into out (mixer_channels() * frames
 * floats: stereo, or config.channels in channels mode),
 * overwriting it.  RT-safe: no allocation, no locks, no I/O, no logging;
 * may wake the decoder thread with sem_post.  Audio thread only (exactly one
 * thread at a time).  In offline mode call mixer_render_offline instead. */
void mixer_render(struct mixer *m, float *out, uint32_t frames);

/* Offline mode: decodes what the voices need (on the caller's thread), then
 * renders, in blocks of at most ring_frames / 2.  Not RT-safe.  The caller's
 * thread is both the main and the audio thread. */
void mixer_render_offline(struct mixer *m, float *out, uint32_t frames);

/* A render callback with the hal_sink_render_fn signature: userdata is the
 * mixer; calls mixer_render, or mixer_render_offline in offline mode. */
void mixer_sink_render(void *mixer, float *out, uint32_t frames);

/* The ramp formula: gain at frame k (0-based) of an n-frame ramp from g0 to
 * g1.  After the ramp (k >= n) the gain is exactly g1.  Exposed so tests
 * can compute exact expectations.  An output sample is
 *   out = vol(k) * (sum over voices of gain_v(k) * sample_v)
 * summed in voice-slot order, in float, without fused multiply-add. */
static inline float
mixer_ramp_gain(float g0, float g1, uint32_t k, uint32_t n)
{
	if (k + 1 >= n)
		return g1;
	return g0 + (g1 - g0) * ((float)(k + 1) * (1.0f / (float)n));
}
