/* The mixer's main-thread side: create/destroy, the play/stop/... commands
 * sent to the audio thread, and the events it sends back.  Every function
 * here is main thread only unless it says otherwise.  The audio thread's
 * render path is in mixer_render.c, the decoder thread in mixer_decoder.c,
 * what they share in mixer_internal.h.
 */
#include "audio/mixer.h"

#include "audio/clip.h"
#include "audio/mixer_internal.h"

#include <errno.h>
#include <math.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- create / destroy ---- */

static uint32_t
pow2_at_least(uint32_t n)
{
	uint32_t p = 1024;
	while (p < n && p < (1u << 24))
		p <<= 1;
	return p;
}

/* Channels mode: checks the buses, lays out the output channels and
 * allocates the scratch sums.  0 or -EINVAL / -ENOMEM. */
static int
setup_channels(struct mixer *m)
{
	const struct mixer_config *c = &m->cfg;

	m->out_ch = HAL_AUDIO_CHANNELS;
	if (c->n_buses == 0)
		return 0;
	if (c->n_buses > MIXER_MAX_BUSES || c->channels < 1 || c->channels > MIXER_MAX_CHANNELS)
		return -EINVAL;
	uint32_t seen = 0;
	for (uint32_t b = 0; b < c->n_buses; b++) {
		uint32_t mask = c->bus_channels[b];
		if (mask == 0 || (mask & seen) || (mask >> c->channels))
			return -EINVAL;
		seen |= mask;
	}
	m->out_ch = c->channels;
	m->n_buses = c->n_buses;
	for (uint32_t ch = 0; ch < c->channels; ch++) {
		m->ch_bus[ch] = -1;
		m->ch_src[ch] = 2;
		for (uint32_t b = 0; b < c->n_buses; b++) {
			uint32_t mask = c->bus_channels[b];
			if (!(mask & (1u << ch)))
				continue;
			m->ch_bus[ch] = (int8_t)b;
			/* its place among the bus's channels */
			uint32_t below = (uint32_t)__builtin_popcount(mask & ((1u << ch) - 1));
			m->ch_src[ch] = __builtin_popcount(mask) == 1 ? 2 : (uint8_t)(below % 2);
		}
	}
	for (uint32_t b = 0; b < c->n_buses; b++) {
		struct mixer_bus *bus = &m->buses[b];
		float one = 1.0f;
		uint32_t bits;
		memcpy(&bits, &one, sizeof(bits));
		atomic_store_explicit(&bus->volume_bits, bits, memory_order_relaxed);
		bus->duck = (struct mixer_ramp){.g = 1.0f, .g0 = 1.0f, .g1 = 1.0f};
		bus->vol = bus->duck;
	}
	size_t sn = sizeof(float) * MIXER_SUM * (c->n_buses + 1);
	size_t gn = sizeof(float) * 2 * MIXER_CHUNK * c->n_buses;
	m->scratch = aligned_alloc(64, (sn + 63) & ~(size_t)63);
	m->gains = aligned_alloc(64, (gn + 63) & ~(size_t)63);
	size_t pn = sizeof(float) * MIXER_PLANE * (c->channels + 1);
	m->planes = aligned_alloc(64, (pn + 63) & ~(size_t)63);
	if (!m->scratch || !m->gains || !m->planes)
		return -ENOMEM;
	/* touch the pages now, not in the audio callback */
	memset(m->scratch, 0, sn);
	memset(m->gains, 0, gn);
	memset(m->planes, 0, pn);
	return 0;
}

uint32_t
mixer_channels(const struct mixer *m)
{
	return m->out_ch;
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
	limiter_init(&m->limiter, HAL_AUDIO_CHANNELS, HAL_AUDIO_RATE);
	m->volume = m->og = m->og0 = m->og1 = 1.0f;
	m->auto_lin = 1.0f;
	m->auto_ramp = ms_to_frames(MIXER_AUTO_GAIN_MS);
	r = setup_channels(m);
	if (r < 0)
		goto fail;
	r = -ENOMEM;
	spsc_init(&m->cmdq, QUEUE_LEN);
	spsc_init(&m->evq, QUEUE_LEN);
	for (uint32_t i = 0; i < m->cfg.max_voices; i++) {
		struct mixer_voice *v = &m->voices[i];
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
		r = mixer_decoder_start(m);
		if (r < 0) {
			sem_destroy(&m->wake);
			goto fail;
		}
	}
	*out = m;
	return 0;
fail:
	for (uint32_t i = 0; i < m->cfg.max_voices; i++)
		free(m->voices[i].buf);
	free(m->scratch);
	free(m->gains);
	free(m->planes);
	free(m);
	return r;
}

void
mixer_destroy(struct mixer *m)
{
	if (!m)
		return;
	mixer_decoder_stop(m);
	sem_destroy(&m->wake);
	for (uint32_t i = 0; i < m->cfg.max_voices; i++) {
		clip_close(m->voices[i].clip);
		free(m->voices[i].buf);
	}
	free(m->scratch);
	free(m->gains);
	free(m->planes);
	free(m);
}

/* ---- commands to the audio thread ---- */

/* The command queue's one producer. */
static int
push_cmd(struct mixer *m, struct mixer_cmd c)
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
	return mixer_play_bus(m, kind, path, gain, 0, user_id, err, errlen);
}

mixer_handle
mixer_play_bus(struct mixer *m, enum mixer_kind kind, const char *path, float gain, uint32_t bus,
	       uint64_t user_id, char *err, size_t errlen)
{
	uint32_t w;
	struct mixer_voice *v = NULL;
	uint32_t slot;

	if (kind == MIXER_MUSIC)
		bus = 0;
	if ((unsigned)kind >= MIXER_KINDS || !path || !(gain >= 0.0f) || !isfinite(gain) ||
	    (bus > 0 && bus >= m->n_buses)) {
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
	v->bus = bus;
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
	mixer_decoder_fill(v, m->cfg.prefill_frames);
	atomic_store_explicit(&v->state, SLOT_LIVE, memory_order_release);
	push_cmd(m, (struct mixer_cmd){.type = CMD_PLAY, .arg = (int32_t)slot, .value = gain});
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
	return push_cmd(m, (struct mixer_cmd){
				   .type = CMD_STOP, .arg = h, .frames = fade_frames(m, fade_ms)});
}

int
mixer_stop_kind(struct mixer *m, enum mixer_kind kind, uint32_t fade_ms)
{
	return push_cmd(m, (struct mixer_cmd){.type = CMD_STOP_KIND,
					      .arg = (int32_t)kind,
					      .frames = fade_frames(m, fade_ms)});
}

int
mixer_set_gain(struct mixer *m, mixer_handle h, float gain)
{
	if (!(gain >= 0.0f) || !isfinite(gain))
		return -EINVAL;
	return push_cmd(m, (struct mixer_cmd){.type = CMD_GAIN, .arg = h, .value = gain});
}

int
mixer_set_volume(struct mixer *m, float volume)
{
	if (!(volume >= 0.0f) || !isfinite(volume))
		return -EINVAL;
	uint32_t bits;
	memcpy(&bits, &volume, sizeof(bits));
	atomic_store_explicit(&m->volume_bits, bits, memory_order_release);
	if (atomic_exchange_explicit(&m->volume_queued, true, memory_order_acq_rel))
		return 0; /* the queued command will read the new level */
	int r = push_cmd(m, (struct mixer_cmd){.type = CMD_VOLUME, .value = volume});
	if (r < 0)
		atomic_store_explicit(&m->volume_queued, false, memory_order_release);
	return r;
}

int
mixer_set_auto_gain(struct mixer *m, float gain_db)
{
	if (!isfinite(gain_db) || gain_db < -60.0f || gain_db > 24.0f)
		return -EINVAL;
	/* 0 dB is exactly 1: the voices' gains are then bit-identical to none */
	float lin = gain_db == 0.0f ? 1.0f : powf(10.0f, gain_db / 20.0f);
	uint32_t bits;
	memcpy(&bits, &lin, sizeof(bits));
	atomic_store_explicit(&m->auto_bits, bits, memory_order_release);
	if (atomic_exchange_explicit(&m->auto_queued, true, memory_order_acq_rel))
		return 0; /* the queued command will read the new level */
	int r = push_cmd(m, (struct mixer_cmd){.type = CMD_AUTO_GAIN});
	if (r < 0)
		atomic_store_explicit(&m->auto_queued, false, memory_order_release);
	return r;
}

int
mixer_set_bus_volume(struct mixer *m, uint32_t bus, float volume)
{
	if (bus >= m->n_buses || !(volume >= 0.0f) || !isfinite(volume))
		return -EINVAL;
	uint32_t bits;
	memcpy(&bits, &volume, sizeof(bits));
	atomic_store_explicit(&m->buses[bus].volume_bits, bits, memory_order_release);
	return push_cmd(m, (struct mixer_cmd){.type = CMD_BUS_VOLUME, .arg = (int32_t)bus});
}

int
mixer_pause(struct mixer *m)
{
	return push_cmd(m, (struct mixer_cmd){.type = CMD_PAUSE});
}

int
mixer_resume(struct mixer *m)
{
	return push_cmd(m, (struct mixer_cmd){.type = CMD_RESUME});
}

int
mixer_set_talk(struct mixer *m, bool on)
{
	return push_cmd(m, (struct mixer_cmd){.type = CMD_TALK, .arg = on});
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
