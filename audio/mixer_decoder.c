/* The mixer's producer side: each voice's ring of decoded frames is kept
 * filled by the decoder thread (threaded mode) or, in offline mode, by the
 * caller's thread in mixer_render_offline.  The decoder also carries out
 * the audio thread's seek requests and closes the clips of dead voices.
 * Nothing here is RT-safe; nothing here runs on the audio thread.
 */
#define _GNU_SOURCE
#include "audio/mixer_internal.h"

#include "audio/clip.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <time.h>

uint32_t
mixer_decoder_fill(struct mixer_voice *v, uint32_t limit)
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

/* Serves one slot: seeks, refills, or closes a dead one. Returns work done.
 * Decoder thread only (or the offline pump in its place). */
static bool
service(struct mixer_voice *v)
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
	if (mixer_decoder_fill(v, UINT32_MAX) > 0)
		work = true;
	return work;
}

void
mixer_decoder_pump(struct mixer *m)
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
#define DECODER_CHECK_MS 1000

/* The decoder thread's body.  Decoder thread only. */
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

int
mixer_decoder_start(struct mixer *m)
{
	int e = pthread_create(&m->thread, NULL, decoder_main, m);

	if (e)
		return -e;
	pthread_setname_np(m->thread, "guide-decoder"); /* for top -H, perf */
	m->threaded = true;
	return 0;
}

void
mixer_decoder_stop(struct mixer *m)
{
	if (!m->threaded)
		return;
	atomic_store_explicit(&m->quit, true, memory_order_release);
	sem_post(&m->wake);
	pthread_join(m->thread, NULL);
	m->threaded = false;
}
