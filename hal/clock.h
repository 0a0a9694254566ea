/* Clocks: a monotonic real clock and a virtual clock that a replay drives.
 *
 * Both sit behind one caller-owned struct with a kind, so the daemon's main
 * loop and the tests use the same calls.  Times are milliseconds; the real
 * clock counts CLOCK_MONOTONIC, the virtual clock counts whatever its owner
 * sets (usually the UTC milliseconds of the replayed fixes).
 *
 * Main thread only (nothing here is shared with the audio thread).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

enum hal_clock_kind {
	HAL_CLOCK_REAL = 0,    /* CLOCK_MONOTONIC */
	HAL_CLOCK_VIRTUAL = 1, /* moves only through hal_clock_set_ms/advance_ms */
};

struct hal_clock {
	enum hal_clock_kind kind;
	int64_t virtual_ms; /* HAL_CLOCK_VIRTUAL only */
};

void hal_clock_init_real(struct hal_clock *clock);
void hal_clock_init_virtual(struct hal_clock *clock, int64_t start_ms);
bool hal_clock_is_virtual(const struct hal_clock *clock);

/* Now, in ms.  Real: CLOCK_MONOTONIC (arbitrary origin, never jumps). */
int64_t hal_clock_now_ms(const struct hal_clock *clock);

/* Virtual clocks only: move to t_ms / by delta_ms.  Time never goes back:
 * -EINVAL for t_ms < now or delta_ms < 0; -ENOTSUP on a real clock. */
int hal_clock_set_ms(struct hal_clock *clock, int64_t t_ms);
int hal_clock_advance_ms(struct hal_clock *clock, int64_t delta_ms);

/* How long poll() should wait to reach deadline_ms (on this clock).
 * Real: max(0, deadline - now), clamped to INT32_MAX; -1 when deadline_ms < 0
 * (no deadline: wait forever).  Virtual: the clock jumps to the deadline
 * (if later) and the answer is 0, so an offline replay never sleeps;
 * no deadline gives 0 as well. */
int hal_clock_poll_timeout(struct hal_clock *clock, int64_t deadline_ms);

/* Replay pacing: maps the source's UTC times onto a clock, scaled by speed.
 * The first fix anchors (utc0 -> clock now); a later fix at utc is due at
 * clock0 + (utc - utc0) / speed.  Caller-owned, no allocation. */
struct hal_pace {
	double speed; /* > 0; 1.0 is real time */
	bool anchored;
	int64_t utc0_ms, clock0_ms;
};

/* speed <= 0 or non-finite is taken as 1.0. */
void hal_pace_init(struct hal_pace *pace, double speed);
/* Clock time at which a fix with UTC time utc_ms is due.  utc_ms < 0 (unknown
 * time) is due at once (returns now_ms).  A fix earlier than the anchor is
 * due at once too. */
int64_t hal_pace_due_ms(struct hal_pace *pace, int64_t now_ms, int64_t utc_ms);
