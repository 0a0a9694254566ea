/* A single-producer single-consumer ring of indices (STYLE.md #8).
 *
 * The ring holds only the two counters; the caller owns the storage
 * (capacity a power of two, slot = counter & mask).  Counters run freely
 * and wrap at 2^32.  The producer publishes with a release store of w after
 * writing the slots; the consumer reads w with acquire before reading them,
 * and hands slots back with a release store of r.  Every function here is
 * RT-safe: no allocation, no locks, no system calls.
 */
#pragma once

#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>

struct spsc {
	alignas(64) _Atomic uint32_t w; /* written by the producer only */
	alignas(64) _Atomic uint32_t r; /* written by the consumer only */
	alignas(64) uint32_t cap, mask;
};

/* Not thread-safe: call before either side runs. cap must be a power of two. */
static inline void
spsc_init(struct spsc *q, uint32_t cap)
{
	atomic_store_explicit(&q->w, 0, memory_order_relaxed);
	atomic_store_explicit(&q->r, 0, memory_order_relaxed);
	q->cap = cap;
	q->mask = cap - 1;
}

/* Producer side: free slots, and the index of the first one. RT-safe. */
static inline uint32_t
spsc_writable(struct spsc *q, uint32_t *index)
{
	uint32_t w = atomic_load_explicit(&q->w, memory_order_relaxed);
	uint32_t r = atomic_load_explicit(&q->r, memory_order_acquire);
	*index = w;
	return q->cap - (w - r);
}

/* Producer side: publish n slots written after the index spsc_writable gave. */
static inline void
spsc_write_commit(struct spsc *q, uint32_t n)
{
	uint32_t w = atomic_load_explicit(&q->w, memory_order_relaxed);
	atomic_store_explicit(&q->w, w + n, memory_order_release);
}

/* Consumer side: filled slots, and the index of the first one. RT-safe. */
static inline uint32_t
spsc_readable(struct spsc *q, uint32_t *index)
{
	uint32_t r = atomic_load_explicit(&q->r, memory_order_relaxed);
	uint32_t w = atomic_load_explicit(&q->w, memory_order_acquire);
	*index = r;
	return w - r;
}

/* Consumer side: hand n slots back to the producer. */
static inline void
spsc_read_commit(struct spsc *q, uint32_t n)
{
	uint32_t r = atomic_load_explicit(&q->r, memory_order_relaxed);
	atomic_store_explicit(&q->r, r + n, memory_order_release);
}

/* Consumer side: drop everything before index (a counter value between r
 * and the producer's w), e.g. stale audio before a seek point. */
static inline void
spsc_read_skip_to(struct spsc *q, uint32_t index)
{
	atomic_store_explicit(&q->r, index, memory_order_release);
}
