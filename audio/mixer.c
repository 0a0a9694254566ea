#define _GNU_SOURCE
#include "audio/mixer.h"

#include "audio/clip.h"
#include "audio/spsc.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Slot ownership (atomic voice.state):
 *   FREE  nobody; the main thread may claim it (mixer_play).
 *   LIVE  published: the decoder (or the offline pump) produces into the
 *         ring and owns the clip; the audio thread consumes.
 *   DEAD  the audio thread is done with it; the decoder closes the clip and
 *         sets FREE.  Only the main thread goes FREE->LIVE, only the audio
 *         thread LIVE->DEAD, only the decoder DEAD->FREE. */
enum { SLOT_FREE, SLOT_LIVE, SLOT_DEAD };

/* What the audio thread does with a voice (audio thread only). */
enum phase {
	PH_IDLE,       /* not the audio thread's */
	PH_WAITING,    /* queued: waits for its turn */
	PH_PLAYING,    /* sounding */
	PH_STOPPING,   /* fading out, then CUT */
	PH_SUSPENDING, /* narration fading out under an announcement */
	PH_SUSPENDED,  /* narration held, waiting to resume */
};

enum { END_NONE, END_EOF, END_ERROR };

enum cmd_type { CMD_PLAY, CMD_STOP, CMD_STOP_KIND, CMD_GAIN, CMD_VOLUME, CMD_PAUSE, CMD_RESUME };

struct cmd {
	enum cmd_type type;
	int32_t arg;  /* handle, slot or kind */
	float value;  /* gain, volume */
	uint32_t frames; /* fade length */
};

#define QUEUE_LEN 256
/* an interrupted narration resumes once this much is decoded again */
#define RESUME_MIN_FRAMES 1024
#define REASON_LEN 112

struct voice {
	/* Set by the main thread before the slot goes LIVE; read-only after. */
	enum mixer_kind kind;
	mixer_handle handle;
	uint64_t user_id;
	int64_t total;

	_Atomic int state;

	/* Producer side (decoder / pump / mixer_play before publishing). */
	struct clip *clip;
	float *buf; /* 2 * ring.cap floats */
	struct spsc ring;
	uint32_t end_w;           /* ring counter where the clip ends */
	_Atomic int end;          /* END_*, release after end_w and err */
	char err[REASON_LEN];
	uint32_t seek_done_local; /* producer's copy of seek_done */

	/* Consumer -> producer: seek request. */
	int64_t seek_pos;
	_Atomic uint32_t seek_req;
	/* Producer -> consumer: the seek is done, new data starts at seek_w. */
	uint32_t seek_w;
	_Atomic uint32_t seek_done;

	/* Audio thread only. */
	enum phase phase;
	uint64_t seq;         /* play order */
	float gain;           /* user gain */
	float g, g0, g1;      /* gain applied last, ramp from, ramp to */
	uint32_t rk, rn;      /* ramp position and length */
	int64_t pos;          /* clip frame of the next frame consumed */
	uint64_t suspended_at;
	uint64_t underruns;
	const char *cut_reason;
	bool skipped;         /* suspended: stale frames dropped after the seek */
};

struct mixer {
	struct mixer_config cfg;
	uint32_t ramp, duck_ramp, rewind, max_age; /* in frames */
	float duck_lin;

	struct voice voices[MIXER_MAX_VOICES];

	/* main -> audio */
	struct spsc cmdq;
	struct cmd cmds[QUEUE_LEN];
	/* audio -> main */
	struct spsc evq;
	struct mixer_event evs[QUEUE_LEN];
	_Atomic uint64_t events_lost;

	/* Main thread only. */
	uint32_t gen;

	/* Audio thread only. */
	uint64_t seq;
	bool paused, ducked;
	bool wake_req; /* the decoder has work: post once this render call */
	float volume;
	float og, og0, og1;
	uint32_t ok, on;

	/* Written by the audio thread, read by anyone (frames: audio thread). */
	_Atomic uint64_t frames;
	_Atomic uint64_t underruns;
	_Atomic uint32_t active;

	/* Decoder thread. */
	bool threaded;
	pthread_t thread;
	sem_t wake;
	_Atomic bool quit;
};

const char *
mixer_kind_to_str(enum mixer_kind kind)
{
	switch (kind) {
	case MIXER_NARRATION: return "narration";
	case MIXER_ANNOUNCEMENT: return "announcement";
	case MIXER_MUSIC: return "music";
	}
	return "?";
}

const char *
mixer_event_type_to_str(enum mixer_event_type type)
{
	switch (type) {
	case MIXER_EV_STARTED: return "started";
	case MIXER_EV_FINISHED: return "finished";
	case MIXER_EV_CUT: return "cut";
	case MIXER_EV_FAILED: return "failed";
	case MIXER_EV_SUSPENDED: return "suspended";
	case MIXER_EV_RESUMED: return "resumed";
	case MIXER_EV_UNDERRUN: return "underrun";
	}
	return "?";
}

void
mixer_config_defaults(struct mixer_config *c)
{
	*c = (struct mixer_config){
		.max_voices = 16,
		.ring_frames = 16384,
		.prefill_frames = 2048,
		.ramp_ms = 5,
		.duck_db = -12.0f,
		.duck_ms = 100,
		.resume_rewind_ms = 2000,
		.resume_max_age_ms = 30000,
		.resume_max_played_pct = 90,
		.offline = false,
	};
}

static uint32_t
ms_to_frames(uint32_t ms)
{
	return (uint32_t)((uint64_t)ms * HAL_AUDIO_RATE / 1000);
}

/* ---- producer side (decoder thread, offline pump, mixer_play) ---- */

/* Decodes into the ring until it is full or the clip ends. Returns frames. */
static uint32_t
fill(struct voice *v, uint32_t limit)
{
	uint32_t done = 0;

	if (atomic_load_explicit(&v->end, memory_order_relaxed) != END_NONE)
		return 0;
	while (done < limit) {
		uint32_t w;
		uint32_t space = spsc_writable(&v->ring, &w);
		if (space == 0)
			break;
		uint32_t at = w & v->ring.mask;
		uint32_t n = v->ring.cap - at;
		if (n > space)
			n = space;
		if (n > limit - done)
			n = limit - done;
		int r = clip_read(v->clip, v->buf + 2 * at, (int)n, v->err, sizeof(v->err));
		if (r <= 0) {
			v->end_w = w;
			atomic_store_explicit(&v->end, r == 0 ? END_EOF : END_ERROR,
					      memory_order_release);
			break;
		}
		spsc_write_commit(&v->ring, (uint32_t)r);
		done += (uint32_t)r;
	}
	return done;
}

/* Serves one slot: seeks, refills, or closes a dead one. Returns work done. */
static bool
service(struct voice *v)
{
	int st = atomic_load_explicit(&v->state, memory_order_acquire);

	if (st == SLOT_DEAD) {
		clip_close(v->clip);
		v->clip = NULL;
		atomic_store_explicit(&v->state, SLOT_FREE, memory_order_release);
		return true;
	}
	if (st != SLOT_LIVE)
		return false;
	bool work = false;
	uint32_t req = atomic_load_explicit(&v->seek_req, memory_order_acquire);
	if (req != v->seek_done_local) {
		uint32_t w;
		spsc_writable(&v->ring, &w);
		v->seek_w = w;
		atomic_store_explicit(&v->end, END_NONE, memory_order_relaxed);
		if (clip_seek(v->clip, v->seek_pos, v->err, sizeof(v->err)) < 0) {
			v->end_w = w;
			atomic_store_explicit(&v->end, END_ERROR, memory_order_release);
		}
		v->seek_done_local = req;
		atomic_store_explicit(&v->seek_done, req, memory_order_release);
		work = true;
	}
	if (fill(v, UINT32_MAX) > 0)
		work = true;
	return work;
}

static void
pump(struct mixer *m)
{
	for (uint32_t i = 0; i < m->cfg.max_voices; i++)
		service(&m->voices[i]);
}

/* Whether a slot is LIVE or DEAD: a voice the decoder looks after. */
static bool
any_voice(struct mixer *m)
{
	for (uint32_t i = 0; i < m->cfg.max_voices; i++)
		if (atomic_load_explicit(&m->voices[i].state, memory_order_acquire) != SLOT_FREE)
			return true;
	return false;
}

/* The decoder thread sleeps until it is posted: by mixer_play (a new voice),
 * by the render call whenever a ring is below half full (again on every call
 * while it stays low), a voice ended or a seek is due, and by
 * mixer_destroy.  With voices about it also wakes every DECODER_CHECK_MS, a
 * safety net only; with none it sleeps until posted, so an idle mixer costs
 * no CPU. */
#define DECODER_CHECK_MS 100

static void *
decoder_main(void *arg)
{
	struct mixer *m = arg;

	while (!atomic_load_explicit(&m->quit, memory_order_acquire)) {
		bool work = false;
		for (uint32_t i = 0; i < m->cfg.max_voices; i++)
			work |= service(&m->voices[i]);
		if (work)
			continue;
		if (!any_voice(m)) {
			sem_wait(&m->wake);
			continue;
		}
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += DECODER_CHECK_MS * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		sem_clockwait(&m->wake, CLOCK_MONOTONIC, &ts);
	}
	return NULL;
}

/* ---- create / destroy ---- */

static uint32_t
pow2_at_least(uint32_t n)
{
	uint32_t p = 1024;
	while (p < n && p < (1u << 24))
		p <<= 1;
	return p;
}

int
mixer_create(const struct mixer_config *cfg, struct mixer **out)
{
	struct mixer *m = aligned_alloc(64, (sizeof(*m) + 63) & ~(size_t)63);
	int r = -ENOMEM;

	if (!m)
		return -ENOMEM;
	memset(m, 0, sizeof(*m));
	if (cfg)
		m->cfg = *cfg;
	else
		mixer_config_defaults(&m->cfg);
	if (m->cfg.max_voices == 0 || m->cfg.max_voices > MIXER_MAX_VOICES)
		m->cfg.max_voices = m->cfg.max_voices ? MIXER_MAX_VOICES : 16;
	m->cfg.ring_frames = pow2_at_least(m->cfg.ring_frames);
	if (m->cfg.prefill_frames > m->cfg.ring_frames)
		m->cfg.prefill_frames = m->cfg.ring_frames;
	m->ramp = ms_to_frames(m->cfg.ramp_ms);
	if (m->ramp < 1)
		m->ramp = 1;
	m->duck_ramp = ms_to_frames(m->cfg.duck_ms);
	if (m->duck_ramp < m->ramp)
		m->duck_ramp = m->ramp;
	m->rewind = ms_to_frames(m->cfg.resume_rewind_ms);
	m->max_age = ms_to_frames(m->cfg.resume_max_age_ms);
	m->duck_lin = powf(10.0f, m->cfg.duck_db / 20.0f);
	m->volume = m->og = m->og0 = m->og1 = 1.0f;
	spsc_init(&m->cmdq, QUEUE_LEN);
	spsc_init(&m->evq, QUEUE_LEN);
	for (uint32_t i = 0; i < m->cfg.max_voices; i++) {
		struct voice *v = &m->voices[i];
		v->buf = aligned_alloc(64, sizeof(float) * 2 * m->cfg.ring_frames);
		if (!v->buf)
			goto fail;
		/* touch the pages now, not in the audio callback */
		memset(v->buf, 0, sizeof(float) * 2 * m->cfg.ring_frames);
		spsc_init(&v->ring, m->cfg.ring_frames);
	}
	if (sem_init(&m->wake, 0, 0) < 0) {
		r = -errno;
		goto fail;
	}
	if (!m->cfg.offline) {
		int e = pthread_create(&m->thread, NULL, decoder_main, m);
		if (e) {
			sem_destroy(&m->wake);
			r = -e;
			goto fail;
		}
		pthread_setname_np(m->thread, "guide-decoder"); /* for top -H, perf */
		m->threaded = true;
	}
	*out = m;
	return 0;
fail:
	for (uint32_t i = 0; i < m->cfg.max_voices; i++)
		free(m->voices[i].buf);
	free(m);
	return r;
}

void
mixer_destroy(struct mixer *m)
{
	if (!m)
		return;
	if (m->threaded) {
		atomic_store_explicit(&m->quit, true, memory_order_release);
		sem_post(&m->wake);
		pthread_join(m->thread, NULL);
	}
	sem_destroy(&m->wake);
	for (uint32_t i = 0; i < m->cfg.max_voices; i++) {
		clip_close(m->voices[i].clip);
		free(m->voices[i].buf);
	}
	free(m);
}

/* ---- main thread ---- */

static int
push_cmd(struct mixer *m, struct cmd c)
{
	uint32_t w;

	if (spsc_writable(&m->cmdq, &w) == 0)
		return -EAGAIN;
	m->cmds[w & m->cmdq.mask] = c;
	spsc_write_commit(&m->cmdq, 1);
	return 0;
}

mixer_handle
mixer_play(struct mixer *m, enum mixer_kind kind, const char *path, float gain, uint64_t user_id,
	   char *err, size_t errlen)
{
	uint32_t w;
	struct voice *v = NULL;
	uint32_t slot;

	if ((unsigned)kind >= MIXER_KINDS || !path || !(gain >= 0.0f) || !isfinite(gain)) {
		snprintf(err, errlen, "invalid play request");
		return -EINVAL;
	}
	if (spsc_writable(&m->cmdq, &w) == 0) {
		snprintf(err, errlen, "mixer command queue full (audio not running?)");
		return -EAGAIN;
	}
	for (slot = 0; slot < m->cfg.max_voices; slot++) {
		if (atomic_load_explicit(&m->voices[slot].state, memory_order_acquire) ==
		    SLOT_FREE) {
			v = &m->voices[slot];
			break;
		}
	}
	if (!v) {
		snprintf(err, errlen, "all %u voices busy", m->cfg.max_voices);
		return -EBUSY;
	}
	struct clip *c;
	int r = clip_open(path, &c, err, errlen);
	if (r < 0)
		return r;
	if (++m->gen >= (1u << 24))
		m->gen = 1;
	v->kind = kind;
	v->handle = (mixer_handle)((m->gen << 6) | slot);
	v->user_id = user_id;
	v->total = clip_frames(c);
	v->clip = c;
	v->gain = gain;
	v->err[0] = '\0';
	spsc_init(&v->ring, m->cfg.ring_frames);
	atomic_store_explicit(&v->end, END_NONE, memory_order_relaxed);
	atomic_store_explicit(&v->seek_req, 0, memory_order_relaxed);
	atomic_store_explicit(&v->seek_done, 0, memory_order_relaxed);
	v->seek_done_local = 0;
	fill(v, m->cfg.prefill_frames);
	atomic_store_explicit(&v->state, SLOT_LIVE, memory_order_release);
	push_cmd(m, (struct cmd){ .type = CMD_PLAY, .arg = (int32_t)slot, .value = gain });
	if (m->threaded)
		sem_post(&m->wake);
	return v->handle;
}

static uint32_t
fade_frames(struct mixer *m, uint32_t fade_ms)
{
	uint32_t n = ms_to_frames(fade_ms);
	return n < m->ramp ? m->ramp : n;
}

int
mixer_stop(struct mixer *m, mixer_handle h, uint32_t fade_ms)
{
	return push_cmd(m, (struct cmd){ .type = CMD_STOP, .arg = h,
					 .frames = fade_frames(m, fade_ms) });
}

int
mixer_stop_kind(struct mixer *m, enum mixer_kind kind, uint32_t fade_ms)
{
	return push_cmd(m, (struct cmd){ .type = CMD_STOP_KIND, .arg = (int32_t)kind,
					 .frames = fade_frames(m, fade_ms) });
}

int
mixer_set_gain(struct mixer *m, mixer_handle h, float gain)
{
	if (!(gain >= 0.0f) || !isfinite(gain))
		return -EINVAL;
	return push_cmd(m, (struct cmd){ .type = CMD_GAIN, .arg = h, .value = gain });
}

int
mixer_set_volume(struct mixer *m, float volume)
{
	if (!(volume >= 0.0f) || !isfinite(volume))
		return -EINVAL;
	return push_cmd(m, (struct cmd){ .type = CMD_VOLUME, .value = volume });
}

int
mixer_pause(struct mixer *m)
{
	return push_cmd(m, (struct cmd){ .type = CMD_PAUSE });
}

int
mixer_resume(struct mixer *m)
{
	return push_cmd(m, (struct cmd){ .type = CMD_RESUME });
}

bool
mixer_next_event(struct mixer *m, struct mixer_event *ev)
{
	uint32_t r;

	if (spsc_readable(&m->evq, &r) == 0)
		return false;
	*ev = m->evs[r & m->evq.mask];
	spsc_read_commit(&m->evq, 1);
	return true;
}

uint64_t
mixer_events_lost(struct mixer *m)
{
	return atomic_load_explicit(&m->events_lost, memory_order_relaxed);
}

uint64_t
mixer_underruns(struct mixer *m)
{
	return atomic_load_explicit(&m->underruns, memory_order_relaxed);
}

uint32_t
mixer_active_voices(struct mixer *m)
{
	return atomic_load_explicit(&m->active, memory_order_relaxed);
}

/* ---- audio thread (everything below is RT-safe) ---- */

static void
emit(struct mixer *m, const struct voice *v, enum mixer_event_type type, uint64_t frame,
     const char *reason)
{
	uint32_t w;

	if (spsc_writable(&m->evq, &w) == 0) {
		atomic_fetch_add_explicit(&m->events_lost, 1, memory_order_relaxed);
		return;
	}
	struct mixer_event *e = &m->evs[w & m->evq.mask];
	e->type = type;
	e->kind = v->kind;
	e->handle = v->handle;
	e->user_id = v->user_id;
	e->frame = frame;
	e->clip_frame = v->pos;
	e->count = v->underruns;
	size_t i = 0;
	if (reason)
		for (; reason[i] && i < sizeof(e->reason) - 1; i++)
			e->reason[i] = reason[i];
	e->reason[i] = '\0';
	spsc_write_commit(&m->evq, 1);
}

static float
target_gain(struct mixer *m, const struct voice *v)
{
	if (v->phase != PH_PLAYING)
		return 0.0f;
	return v->kind == MIXER_MUSIC && m->ducked ? v->gain * m->duck_lin : v->gain;
}

static void
retarget(struct mixer *m, struct voice *v, uint32_t n)
{
	v->g0 = v->g;
	v->g1 = target_gain(m, v);
	v->rk = 0;
	v->rn = n;
}

static void
end_voice(struct mixer *m, struct voice *v, enum mixer_event_type type, uint64_t frame,
	  const char *reason)
{
	emit(m, v, type, frame, reason);
	v->phase = PH_IDLE;
	atomic_store_explicit(&v->state, SLOT_DEAD, memory_order_release);
	m->wake_req = true; /* the decoder closes the clip and frees the slot */
}

static struct voice *
voice_of(struct mixer *m, mixer_handle h)
{
	if (h <= 0)
		return NULL;
	uint32_t slot = (uint32_t)h & 63;
	if (slot >= m->cfg.max_voices)
		return NULL;
	struct voice *v = &m->voices[slot];
	return v->phase != PH_IDLE && v->handle == h ? v : NULL;
}

static void
stop_voice(struct mixer *m, struct voice *v, uint32_t frames, const char *reason, uint64_t now)
{
	switch (v->phase) {
	case PH_PLAYING:
	case PH_SUSPENDING:
	case PH_STOPPING:
		if (m->paused && m->og == 0.0f) {
			end_voice(m, v, MIXER_EV_CUT, now, reason);
			return;
		}
		v->phase = PH_STOPPING;
		v->cut_reason = reason;
		retarget(m, v, frames);
		break;
	case PH_WAITING:
	case PH_SUSPENDED:
		end_voice(m, v, MIXER_EV_CUT, now, reason);
		break;
	case PH_IDLE:
		break;
	}
}

static void
run_commands(struct mixer *m, uint64_t now)
{
	uint32_t r;
	uint32_t n = spsc_readable(&m->cmdq, &r);

	for (uint32_t i = 0; i < n; i++) {
		const struct cmd *c = &m->cmds[(r + i) & m->cmdq.mask];
		struct voice *v;
		switch (c->type) {
		case CMD_PLAY:
			v = &m->voices[c->arg];
			if (v->kind == MIXER_NARRATION)
				for (uint32_t j = 0; j < m->cfg.max_voices; j++)
					if (m->voices[j].phase != PH_IDLE &&
					    m->voices[j].kind == MIXER_NARRATION)
						stop_voice(m, &m->voices[j], m->ramp, "replaced",
							   now);
			v->phase = PH_WAITING;
			v->seq = ++m->seq;
			v->gain = c->value;
			v->g = v->g0 = v->g1 = 0.0f;
			v->rk = v->rn = 0;
			v->pos = 0;
			v->underruns = 0;
			v->cut_reason = NULL;
			break;
		case CMD_STOP:
			if ((v = voice_of(m, c->arg)))
				stop_voice(m, v, c->frames, "stopped", now);
			break;
		case CMD_STOP_KIND:
			for (uint32_t j = 0; j < m->cfg.max_voices; j++)
				if (m->voices[j].phase != PH_IDLE &&
				    (int32_t)m->voices[j].kind == c->arg)
					stop_voice(m, &m->voices[j], c->frames, "stopped", now);
			break;
		case CMD_GAIN:
			if ((v = voice_of(m, c->arg))) {
				v->gain = c->value;
				if (v->phase == PH_PLAYING)
					retarget(m, v, m->ramp);
			}
			break;
		case CMD_VOLUME:
			m->volume = c->value;
			if (!m->paused) {
				m->og0 = m->og, m->og1 = m->volume, m->ok = 0, m->on = m->ramp;
			}
			break;
		case CMD_PAUSE:
		case CMD_RESUME:
			m->paused = c->type == CMD_PAUSE;
			m->og0 = m->og, m->og1 = m->paused ? 0.0f : m->volume;
			m->ok = 0, m->on = m->ramp;
			break;
		}
	}
	spsc_read_commit(&m->cmdq, n);
}

static void
start_voice(struct mixer *m, struct voice *v, uint64_t now)
{
	v->phase = PH_PLAYING;
	v->g = 0.0f;
	retarget(m, v, m->ramp);
	emit(m, v, MIXER_EV_STARTED, now, NULL);
}

static void
schedule(struct mixer *m, uint64_t now)
{
	struct voice *first_ann = NULL;
	bool ann_sounding = false, ann_present = false;
	uint32_t nv = m->cfg.max_voices;

	for (uint32_t i = 0; i < nv; i++) {
		struct voice *v = &m->voices[i];
		/* phase first: an idle slot's fields belong to the main thread */
		if (v->phase == PH_IDLE || v->kind != MIXER_ANNOUNCEMENT)
			continue;
		ann_present = true;
		if (v->phase == PH_PLAYING || v->phase == PH_STOPPING)
			ann_sounding = true;
		else if (v->phase == PH_WAITING && (!first_ann || v->seq < first_ann->seq))
			first_ann = v;
	}
	if (!ann_sounding && first_ann)
		start_voice(m, first_ann, now);

	for (uint32_t i = 0; i < nv; i++) {
		struct voice *v = &m->voices[i];
		if (v->phase == PH_IDLE)
			continue;
		if (v->kind == MIXER_MUSIC) {
			if (v->phase == PH_WAITING)
				start_voice(m, v, now);
			continue;
		}
		if (v->kind != MIXER_NARRATION)
			continue;
		if (v->phase == PH_SUSPENDED && !v->skipped) {
			/* once the decoder has sought, drop the stale frames so it
			 * can refill from the resume point while we wait */
			uint32_t req = atomic_load_explicit(&v->seek_req, memory_order_relaxed);
			if (atomic_load_explicit(&v->seek_done, memory_order_acquire) == req) {
				spsc_read_skip_to(&v->ring, v->seek_w);
				v->pos = v->seek_pos;
				v->skipped = true;
				m->wake_req = true;
			}
		}
		if (ann_present) {
			if (v->phase == PH_PLAYING) {
				v->phase = PH_SUSPENDING;
				retarget(m, v, m->ramp);
			}
			continue;
		}
		if (v->phase == PH_WAITING) {
			start_voice(m, v, now);
		} else if (v->phase == PH_SUSPENDED) {
			if (now - v->suspended_at > m->max_age) {
				end_voice(m, v, MIXER_EV_CUT, now, "interrupted");
				continue;
			}
			uint32_t r;
			if (!v->skipped ||
			    (spsc_readable(&v->ring, &r) < RESUME_MIN_FRAMES &&
			     atomic_load_explicit(&v->end, memory_order_acquire) == END_NONE))
				continue; /* the decoder is not there yet: next block */
			v->phase = PH_PLAYING;
			retarget(m, v, m->ramp);
			emit(m, v, MIXER_EV_RESUMED, now, NULL);
		}
	}

	bool duck = false;
	for (uint32_t i = 0; i < nv; i++) {
		struct voice *v = &m->voices[i];
		if ((v->phase == PH_PLAYING || v->phase == PH_STOPPING ||
		     v->phase == PH_SUSPENDING) && v->kind != MIXER_MUSIC)
			duck = true;
	}
	if (duck != m->ducked) {
		m->ducked = duck;
		for (uint32_t i = 0; i < nv; i++) {
			struct voice *v = &m->voices[i];
			if (v->phase == PH_PLAYING && v->kind == MIXER_MUSIC)
				retarget(m, v, m->duck_ramp);
		}
	}
}

/* out[0..2n) += gain * src[0..2n), with the voice's ramp. */
static void
mix_span(struct voice *v, float *restrict out, const float *restrict src, uint32_t n)
{
	uint32_t i = 0;

	if (v->rk < v->rn) {
		/* mixer_ramp_gain unrolled: the formula below the last frame */
		const uint32_t k0 = v->rk, rn = v->rn;
		const float g0 = v->g0, d = v->g1 - v->g0, inv = 1.0f / (float)rn;
		uint32_t m = rn - 1 - k0 < n ? rn - 1 - k0 : n;
		float g = v->g;
		for (; i < m; i++) {
			g = g0 + d * ((float)(k0 + i + 1) * inv);
			out[2 * i] += g * src[2 * i];
			out[2 * i + 1] += g * src[2 * i + 1];
		}
		v->rk = k0 + i;
		v->g = g;
		if (i == n)
			return;
		v->rk = rn; /* the last frame of the ramp is exactly g1: below */
	}
	const float g = v->g1;
	v->g = g;
	out += 2 * i;
	src += 2 * i;
	n -= i;
	if (g == 0.0f)
		return;
	for (uint32_t j = 0; j < 2 * n; j++)
		out[j] += g * src[j];
}

/* Mixes one sounding voice into out[0..frames). */
static bool
mix_voice(struct mixer *m, struct voice *v, float *out, uint32_t frames, uint64_t now)
{
	uint32_t want = frames;
	bool fading_out = v->phase == PH_STOPPING || v->phase == PH_SUSPENDING;
	bool low = false;

	if (fading_out && v->rn - v->rk < want)
		want = v->rn - v->rk;

	int end = atomic_load_explicit(&v->end, memory_order_acquire);
	uint32_t r;
	uint32_t avail = spsc_readable(&v->ring, &r);
	uint32_t n = avail < want ? avail : want;
	uint32_t done = 0;
	while (done < n) {
		uint32_t at = (r + done) & v->ring.mask;
		uint32_t len = v->ring.cap - at;
		if (len > n - done)
			len = n - done;
		mix_span(v, out + 2 * done, v->buf + 2 * at, len);
		done += len;
	}
	spsc_read_commit(&v->ring, n);
	v->pos += n;
	if (avail - n < v->ring.cap / 2)
		low = true;

	if (end != END_NONE && r + n == v->end_w) {
		if (end == END_EOF)
			end_voice(m, v, MIXER_EV_FINISHED, now + n, NULL);
		else
			end_voice(m, v, MIXER_EV_FAILED, now + n, v->err);
		return true;
	}
	if (n < want) {
		v->underruns += want - n;
		atomic_fetch_add_explicit(&m->underruns, want - n, memory_order_relaxed);
		emit(m, v, MIXER_EV_UNDERRUN, now + n, NULL);
		return true;
	}
	if (fading_out && v->rk >= v->rn) {
		if (v->phase == PH_STOPPING) {
			end_voice(m, v, MIXER_EV_CUT, now + n, v->cut_reason);
		} else if (v->pos * 100 >= v->total * (int64_t)m->cfg.resume_max_played_pct) {
			end_voice(m, v, MIXER_EV_CUT, now + n, "interrupted");
		} else {
			v->phase = PH_SUSPENDED;
			v->skipped = false;
			v->suspended_at = now + n;
			emit(m, v, MIXER_EV_SUSPENDED, now + n, NULL);
			v->seek_pos = v->pos > m->rewind ? v->pos - m->rewind : 0;
			uint32_t req = atomic_load_explicit(&v->seek_req, memory_order_relaxed);
			atomic_store_explicit(&v->seek_req, req + 1, memory_order_release);
			low = true;
		}
		return true;
	}
	return low;
}

/* Renders a span with no pause edge inside it. */
static bool
render_span(struct mixer *m, float *out, uint32_t frames, uint64_t now)
{
	bool wake = false;

	memset(out, 0, sizeof(float) * 2 * frames);
	if (m->paused && m->ok >= m->on)
		return false; /* held: voices keep their place */
	schedule(m, now);
	for (uint32_t i = 0; i < m->cfg.max_voices; i++) {
		struct voice *v = &m->voices[i];
		if (v->phase == PH_PLAYING || v->phase == PH_STOPPING || v->phase == PH_SUSPENDING)
			wake |= mix_voice(m, v, out, frames, now);
	}
	/* master volume and pause ramp */
	uint32_t i = 0;
	for (; i < frames && m->ok < m->on; i++, m->ok++) {
		m->og = mixer_ramp_gain(m->og0, m->og1, m->ok, m->on);
		out[2 * i] *= m->og;
		out[2 * i + 1] *= m->og;
	}
	if (i < frames) {
		m->og = m->og1;
		if (m->og != 1.0f)
			for (uint32_t j = 2 * i; j < 2 * frames; j++)
				out[j] *= m->og;
	}
	return wake;
}

void
mixer_render(struct mixer *m, float *out, uint32_t frames)
{
	uint64_t now = atomic_load_explicit(&m->frames, memory_order_relaxed);
	uint64_t end = now + frames;
	bool wake = false;
	uint32_t active = 0;

	run_commands(m, now);
	while (now < end) {
		uint32_t n = (uint32_t)(end - now);
		/* a pause fade ends the span: the voices stop where it ends */
		if (m->paused && m->ok < m->on && m->on - m->ok < n)
			n = m->on - m->ok;
		wake |= render_span(m, out, n, now);
		out += 2 * n;
		now += n;
	}
	for (uint32_t i = 0; i < m->cfg.max_voices; i++)
		active += m->voices[i].phase != PH_IDLE;
	atomic_store_explicit(&m->active, active, memory_order_relaxed);
	atomic_store_explicit(&m->frames, end, memory_order_relaxed);
	if ((wake || m->wake_req) && m->threaded)
		sem_post(&m->wake);
	m->wake_req = false;
}

void
mixer_render_offline(struct mixer *m, float *out, uint32_t frames)
{
	uint32_t block = m->cfg.ring_frames / 2;

	while (frames > 0) {
		uint32_t n = frames < block ? frames : block;
		pump(m);
		mixer_render(m, out, n);
		out += 2 * n;
		frames -= n;
	}
	pump(m);
}

void
mixer_sink_render(void *mixer, float *out, uint32_t frames)
{
	struct mixer *m = mixer;

	if (m->cfg.offline)
		mixer_render_offline(m, out, frames);
	else
		mixer_render(m, out, frames);
}
