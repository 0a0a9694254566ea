/* The mixer's audio thread: mixer_render and what it calls.  Everything in
 * this file is RT-safe: no allocation, no locks, no I/O, no logging; it may
 * wake the decoder thread with sem_post.  Audio thread only (one thread at a
 * time), except mixer_render_offline, which decodes on the caller's thread
 * first and so is not RT-safe.
 */
#include "audio/mixer.h"

#include "audio/mixer_internal.h"

#include <semaphore.h>
#include <stdatomic.h>
#include <string.h>

/* an interrupted narration resumes once this much is decoded again */
#define RESUME_MIN_FRAMES 1024

static void
emit(struct mixer *m, const struct mixer_voice *v, enum mixer_event_type type, uint64_t frame,
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
target_gain(struct mixer *m, const struct mixer_voice *v)
{
	if (v->phase != PH_PLAYING)
		return 0.0f;
	if (v->kind == MIXER_MUSIC)
		return m->ducked ? v->gain * m->duck_lin : v->gain;
	return v->gain * m->auto_lin; /* auto_lin 1: exactly v->gain */
}

static void
retarget(struct mixer *m, struct mixer_voice *v, uint32_t n)
{
	v->g0 = v->g;
	v->g1 = target_gain(m, v);
	v->rk = 0;
	v->rn = n;
}

static void
end_voice(struct mixer *m, struct mixer_voice *v, enum mixer_event_type type, uint64_t frame,
	  const char *reason)
{
	emit(m, v, type, frame, reason);
	v->phase = PH_IDLE;
	atomic_store_explicit(&v->state, SLOT_DEAD, memory_order_release);
	m->wake_req = true; /* the decoder closes the clip and frees the slot */
}

static struct mixer_voice *
voice_of(struct mixer *m, mixer_handle h)
{
	if (h <= 0)
		return NULL;
	uint32_t slot = (uint32_t)h & 63;
	if (slot >= m->cfg.max_voices)
		return NULL;
	struct mixer_voice *v = &m->voices[slot];
	return v->phase != PH_IDLE && v->handle == h ? v : NULL;
}

static void
stop_voice(struct mixer *m, struct mixer_voice *v, uint32_t frames, const char *reason,
	   uint64_t now)
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
	case PH_SUSPENDED: end_voice(m, v, MIXER_EV_CUT, now, reason); break;
	case PH_IDLE: break;
	}
}

static void
ramp_to(struct mixer_ramp *r, float g1, uint32_t n)
{
	r->g0 = r->g;
	r->g1 = g1;
	r->k = 0;
	r->n = n;
}

static void
run_commands(struct mixer *m, uint64_t now)
{
	uint32_t r;
	uint32_t n = spsc_readable(&m->cmdq, &r);

	for (uint32_t i = 0; i < n; i++) {
		const struct mixer_cmd *c = &m->cmds[(r + i) & m->cmdq.mask];
		struct mixer_voice *v;
		switch (c->type) {
		case CMD_PLAY:
			v = &m->voices[c->arg];
			if (v->kind == MIXER_NARRATION)
				for (uint32_t j = 0; j < m->cfg.max_voices; j++)
					if (m->voices[j].phase != PH_IDLE &&
					    m->voices[j].kind == MIXER_NARRATION &&
					    m->voices[j].bus == v->bus)
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
		case CMD_VOLUME: {
			/* the latest level, however many changes came since */
			atomic_store_explicit(&m->volume_queued, false, memory_order_release);
			uint32_t bits = atomic_load_explicit(&m->volume_bits, memory_order_acquire);
			memcpy(&m->volume, &bits, sizeof(m->volume));
			if (!m->paused) {
				m->og0 = m->og, m->og1 = m->volume, m->ok = 0, m->on = m->ramp;
			}
			break;
		}
		case CMD_BUS_VOLUME: {
			struct mixer_bus *b = &m->buses[c->arg];
			uint32_t bits = atomic_load_explicit(&b->volume_bits, memory_order_acquire);
			float vol;
			memcpy(&vol, &bits, sizeof(vol));
			ramp_to(&b->vol, vol, m->ramp);
			break;
		}
		case CMD_AUTO_GAIN: {
			atomic_store_explicit(&m->auto_queued, false, memory_order_release);
			uint32_t bits = atomic_load_explicit(&m->auto_bits, memory_order_acquire);
			float lin;
			memcpy(&lin, &bits, sizeof(lin));
			if (lin == m->auto_lin)
				break;
			m->auto_lin = lin;
			/* the sounding voices glide to it slowly; fades (stopping,
			 * suspending) keep going to 0, a voice that starts later
			 * starts at it */
			for (uint32_t j = 0; j < m->cfg.max_voices; j++) {
				struct mixer_voice *av = &m->voices[j];
				if (av->phase == PH_PLAYING && av->kind != MIXER_MUSIC)
					retarget(m, av, m->auto_ramp);
			}
			break;
		}
		case CMD_PAUSE:
		case CMD_RESUME:
			m->paused = c->type == CMD_PAUSE;
			m->og0 = m->og, m->og1 = m->paused ? 0.0f : m->volume;
			m->ok = 0, m->on = m->ramp;
			break;
		case CMD_TALK: m->talk = c->arg != 0; break;
		}
	}
	spsc_read_commit(&m->cmdq, n);
}

static void
start_voice(struct mixer *m, struct mixer_voice *v, uint64_t now)
{
	v->phase = PH_PLAYING;
	v->g = 0.0f;
	retarget(m, v, m->ramp);
	emit(m, v, MIXER_EV_STARTED, now, NULL);
}

/* Starts the oldest waiting announcement unless one sounds.  Returns
 * whether any announcement plays, fades or waits. */
static bool
schedule_announcements(struct mixer *m, uint32_t bus, uint64_t now)
{
	struct mixer_voice *first_ann = NULL;
	bool ann_sounding = false, ann_present = false;

	for (uint32_t i = 0; i < m->cfg.max_voices; i++) {
		struct mixer_voice *v = &m->voices[i];
		/* phase first: an idle slot's fields belong to the main thread */
		if (v->phase == PH_IDLE || v->kind != MIXER_ANNOUNCEMENT || v->bus != bus)
			continue;
		ann_present = true;
		if (v->phase == PH_PLAYING || v->phase == PH_STOPPING)
			ann_sounding = true;
		else if (v->phase == PH_WAITING && (!first_ann || v->seq < first_ann->seq))
			first_ann = v;
	}
	/* the driver's talk is an announcement of its own: the next waits */
	if (!ann_sounding && first_ann && !m->talk)
		start_voice(m, first_ann, now);
	return ann_present || m->talk;
}

/* The narration rule (mixer.h): start, suspend under an announcement,
 * resume or drop.  v is a narration that is not idle. */
static void
schedule_narration(struct mixer *m, struct mixer_voice *v, bool ann_present, uint64_t now)
{
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
		return;
	}
	if (v->phase == PH_WAITING) {
		start_voice(m, v, now);
	} else if (v->phase == PH_SUSPENDED) {
		if (now - v->suspended_at > m->max_age) {
			end_voice(m, v, MIXER_EV_CUT, now, "interrupted");
			return;
		}
		uint32_t r;
		if (!v->skipped ||
		    (spsc_readable(&v->ring, &r) < RESUME_MIN_FRAMES &&
		     atomic_load_explicit(&v->end, memory_order_acquire) == END_NONE))
			return; /* the decoder is not there yet: next block */
		v->phase = PH_PLAYING;
		retarget(m, v, m->ramp);
		emit(m, v, MIXER_EV_RESUMED, now, NULL);
	}
}

/* Channels mode: ducks the music of each bus on which a narration or
 * announcement sounds, or lifts it. */
static void
schedule_duck_buses(struct mixer *m)
{
	bool duck[MIXER_MAX_BUSES] = {false};

	for (uint32_t i = 0; i < m->cfg.max_voices; i++) {
		struct mixer_voice *v = &m->voices[i];
		if ((v->phase == PH_PLAYING || v->phase == PH_STOPPING ||
		     v->phase == PH_SUSPENDING) &&
		    v->kind != MIXER_MUSIC)
			duck[v->bus] = true;
	}
	for (uint32_t b = 0; b < m->n_buses; b++) {
		struct mixer_bus *bus = &m->buses[b];
		if (duck[b] == bus->ducked)
			continue;
		bus->ducked = duck[b];
		ramp_to(&bus->duck, duck[b] ? m->duck_lin : 1.0f, m->duck_ramp);
	}
}

/* Ducks the music while a narration or announcement sounds, or lifts it. */
static void
schedule_duck(struct mixer *m)
{
	if (m->n_buses) {
		schedule_duck_buses(m);
		return;
	}
	bool duck = false;

	for (uint32_t i = 0; i < m->cfg.max_voices; i++) {
		struct mixer_voice *v = &m->voices[i];
		if ((v->phase == PH_PLAYING || v->phase == PH_STOPPING ||
		     v->phase == PH_SUSPENDING) &&
		    v->kind != MIXER_MUSIC)
			duck = true;
	}
	if (duck == m->ducked)
		return;
	m->ducked = duck;
	for (uint32_t i = 0; i < m->cfg.max_voices; i++) {
		struct mixer_voice *v = &m->voices[i];
		if (v->phase == PH_PLAYING && v->kind == MIXER_MUSIC)
			retarget(m, v, m->duck_ramp);
	}
}

/* Who sounds in the next span: announcements first, then music and
 * narrations in slot order, then the duck. */
static void
schedule(struct mixer *m, uint64_t now)
{
	bool ann_present[MIXER_MAX_BUSES];
	uint32_t nb = m->n_buses ? m->n_buses : 1;

	for (uint32_t b = 0; b < nb; b++)
		ann_present[b] = schedule_announcements(m, b, now);

	for (uint32_t i = 0; i < m->cfg.max_voices; i++) {
		struct mixer_voice *v = &m->voices[i];
		if (v->phase == PH_IDLE)
			continue;
		if (v->kind == MIXER_MUSIC && v->phase == PH_WAITING)
			start_voice(m, v, now);
		else if (v->kind == MIXER_NARRATION)
			schedule_narration(m, v, ann_present[v->bus], now);
	}
	schedule_duck(m);
}

/* out[0..2n) += gain * src[0..2n), with the voice's ramp. */
static void
mix_span(struct mixer_voice *v, float *restrict out, const float *restrict src, uint32_t n)
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
mix_voice(struct mixer *m, struct mixer_voice *v, float *out, uint32_t frames, uint64_t now)
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

/* The output stage, the one place every sample passes last: master volume
 * and pause ramp over ch interleaved channels. */
static void
output_stage(struct mixer *m, float *out, uint32_t frames, uint32_t ch)
{
	uint32_t i = 0;
	for (; i < frames && m->ok < m->on; i++, m->ok++) {
		m->og = mixer_ramp_gain(m->og0, m->og1, m->ok, m->on);
		for (uint32_t c = 0; c < ch; c++)
			out[ch * i + c] *= m->og;
	}
	if (i < frames) {
		m->og = m->og1;
		if (m->og != 1.0f)
			for (uint32_t j = ch * i; j < ch * frames; j++)
				out[j] *= m->og;
	}
}

/* Fills g[0..n) with a ramp's gains and advances it; returns false (and
 * fills nothing) when the ramp is over: the gain is r->g1 throughout. */
static bool
ramp_fill(struct mixer_ramp *r, float *g, uint32_t n)
{
	if (r->k >= r->n) {
		r->g = r->g1;
		return false;
	}
	uint32_t i = 0;
	for (; i < n && r->k < r->n; i++, r->k++)
		g[i] = r->g = mixer_ramp_gain(r->g0, r->g1, r->k, r->n);
	if (i < n)
		r->g = r->g1;
	for (; i < n; i++)
		g[i] = r->g1;
	return true;
}

/* One output channel's plane p[0..n) of a bus channel taking `src` (0 left,
 * 1 right, 2 mono) of the bus's stereo sum bs and of the music (mu: its
 * stereo sum, mm: its mono plane): p = vg * (N + dg * M).  dg / vg NULL:
 * the constants dgc / vgc.  Loops kept simple for the vectoriser. */
static void
route_plane(float *restrict p, const float *restrict bs, const float *restrict mu,
	    const float *restrict mm, uint32_t src, const float *dg, float dgc, const float *vg,
	    float vgc, uint32_t n)
{
	if (!dg && !vg) {
		if (src == 2)
			for (uint32_t i = 0; i < n; i++)
				p[i] = vgc * ((bs[2 * i] + bs[2 * i + 1]) * 0.5f + dgc * mm[i]);
		else
			for (uint32_t i = 0; i < n; i++)
				p[i] = vgc * (bs[2 * i + src] + dgc * mu[2 * i + src]);
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		float d = dg ? dg[i] : dgc, v = vg ? vg[i] : vgc;
		float nb = src == 2 ? (bs[2 * i] + bs[2 * i + 1]) * 0.5f : bs[2 * i + src];
		float mv = src == 2 ? mm[i] : mu[2 * i + src];
		p[i] = v * (nb + d * mv);
	}
}

typedef float mixer_v4 __attribute__((vector_size(16)));

static inline mixer_v4
load4(const float *p)
{
	mixer_v4 v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void
store4(float *p, mixer_v4 v)
{
	memcpy(p, &v, sizeof(v));
}

/* out[ch * i + c] = planes[MIXER_PLANE * c + i]: four channels and four
 * frames at a time (a 4x4 transpose), the rest one by one.  Copies only. */
static void
interleave(float *restrict out, const float *restrict pl, uint32_t ch, uint32_t n)
{
	uint32_t c = 0;
	for (; c + 4 <= ch; c += 4) {
		const float *p0 = pl + MIXER_PLANE * c, *p1 = p0 + MIXER_PLANE,
			    *p2 = p1 + MIXER_PLANE, *p3 = p2 + MIXER_PLANE;
		uint32_t i = 0;
		for (; i + 4 <= n; i += 4) {
			mixer_v4 a = load4(p0 + i), b = load4(p1 + i), d = load4(p2 + i),
				 e = load4(p3 + i);
			mixer_v4 t0 = __builtin_shufflevector(a, b, 0, 4, 1, 5);
			mixer_v4 t1 = __builtin_shufflevector(a, b, 2, 6, 3, 7);
			mixer_v4 t2 = __builtin_shufflevector(d, e, 0, 4, 1, 5);
			mixer_v4 t3 = __builtin_shufflevector(d, e, 2, 6, 3, 7);
			store4(out + ch * i + c, __builtin_shufflevector(t0, t2, 0, 1, 4, 5));
			store4(out + ch * (i + 1) + c, __builtin_shufflevector(t0, t2, 2, 3, 6, 7));
			store4(out + ch * (i + 2) + c, __builtin_shufflevector(t1, t3, 0, 1, 4, 5));
			store4(out + ch * (i + 3) + c, __builtin_shufflevector(t1, t3, 2, 3, 6, 7));
		}
		for (; i < n; i++) {
			out[ch * i + c] = p0[i];
			out[ch * i + c + 1] = p1[i];
			out[ch * i + c + 2] = p2[i];
			out[ch * i + c + 3] = p3[i];
		}
	}
	for (; c < ch; c++) {
		const float *p = pl + MIXER_PLANE * c;
		for (uint32_t i = 0; i < n; i++)
			out[ch * i + c] = p[i];
	}
}

/* Channels mode: one chunk (n <= MIXER_CHUNK) of the buses' and the
 * music's stereo sums routed to the output channels (mixer.h): a plane per
 * channel, then interleaved. */
static void
route_chunk(struct mixer *m, float *restrict out, uint32_t n)
{
	const uint32_t ch = m->out_ch;
	const float *music = m->scratch + MIXER_SUM * m->n_buses;
	float *mm = m->planes, *pl = m->planes + MIXER_PLANE;
	bool duck_ramp[MIXER_MAX_BUSES], vol_ramp[MIXER_MAX_BUSES];

	for (uint32_t i = 0; i < n; i++)
		mm[i] = (music[2 * i] + music[2 * i + 1]) * 0.5f;
	for (uint32_t b = 0; b < m->n_buses; b++) {
		duck_ramp[b] = ramp_fill(&m->buses[b].duck, m->gains + 2 * MIXER_CHUNK * b, n);
		vol_ramp[b] = ramp_fill(&m->buses[b].vol,
					m->gains + 2 * MIXER_CHUNK * b + MIXER_CHUNK, n);
	}
	for (uint32_t c = 0; c < ch; c++) {
		const int b = m->ch_bus[c];
		float *p = pl + MIXER_PLANE * c;
		if (b < 0) {
			memcpy(p, mm, sizeof(float) * n);
			continue;
		}
		const struct mixer_bus *bus = &m->buses[b];
		const float *g = m->gains + 2 * MIXER_CHUNK * (uint32_t)b;
		route_plane(p, m->scratch + MIXER_SUM * (uint32_t)b, music, mm, m->ch_src[c],
			    duck_ramp[b] ? g : NULL, bus->duck.g1,
			    vol_ramp[b] ? g + MIXER_CHUNK : NULL, bus->vol.g1, n);
	}
	interleave(out, pl, ch, n);
}

/* Channels mode: render_span with each voice mixed into its bus's (or the
 * music's) stereo sum, a chunk at a time, then routed to the channels. */
static bool
render_span_buses(struct mixer *m, float *out, uint32_t frames, uint64_t now)
{
	bool wake = false;
	const uint32_t ch = m->out_ch;

	if (m->paused && m->ok >= m->on) {
		memset(out, 0, sizeof(float) * ch * frames);
		return false; /* held: voices keep their place */
	}
	schedule(m, now);
	for (uint32_t done = 0; done < frames;) {
		uint32_t n = frames - done < MIXER_CHUNK ? frames - done : MIXER_CHUNK;
		memset(m->scratch, 0, sizeof(float) * MIXER_SUM * (m->n_buses + 1));
		for (uint32_t i = 0; i < m->cfg.max_voices; i++) {
			struct mixer_voice *v = &m->voices[i];
			if (v->phase != PH_PLAYING && v->phase != PH_STOPPING &&
			    v->phase != PH_SUSPENDING)
				continue;
			uint32_t b = v->kind == MIXER_MUSIC ? m->n_buses : v->bus;
			wake |= mix_voice(m, v, m->scratch + MIXER_SUM * b, n, now + done);
		}
		route_chunk(m, out + ch * done, n);
		done += n;
	}
	output_stage(m, out, frames, ch);
	return wake;
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
		struct mixer_voice *v = &m->voices[i];
		if (v->phase == PH_PLAYING || v->phase == PH_STOPPING || v->phase == PH_SUSPENDING)
			wake |= mix_voice(m, v, out, frames, now);
	}
	output_stage(m, out, frames, 2);
	return wake;
}

void
mixer_render(struct mixer *m, float *out, uint32_t frames)
{
	uint64_t now = atomic_load_explicit(&m->frames, memory_order_relaxed);
	uint64_t end = now + frames;
	bool wake = false;
	uint32_t active = 0;
	float *const first = out;

	run_commands(m, now);
	while (now < end) {
		uint32_t n = (uint32_t)(end - now);
		/* a pause fade ends the span: the voices stop where it ends */
		if (m->paused && m->ok < m->on && m->on - m->ok < n)
			n = m->on - m->ok;
		if (m->n_buses)
			wake |= render_span_buses(m, out, n, now);
		else
			wake |= render_span(m, out, n, now);
		out += m->out_ch * n;
		now += n;
	}
	/* where the mix leaves the mixer: nothing reaches full scale */
	limiter_process(&m->limiter, first, frames);
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
		mixer_decoder_pump(m);
		mixer_render(m, out, n);
		out += m->out_ch * n;
		frames -= n;
	}
	mixer_decoder_pump(m);
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
