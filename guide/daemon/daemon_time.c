/* The daemon's one time base: a hal_clock (monotonic, or virtual offline)
 * and the guide's UTC laid on it.  Every time the daemon hands to the tour,
 * the trigger engine and the event log comes from daemon_time_now(). */
#include "guide/daemon/daemon_internal.h"

#include <math.h>
#include <time.h>

/* A fix may arrive this late: its UTC is a little behind the guide's clock
 * carried forward since the last one.  Followed (the clock holds still for
 * that long).  A receiver further behind (the board's clock was ahead, or
 * gpsfake replays an old log) is followed at its own pace from the guide's
 * time on, with a constant offset: the log's time never goes back, and fix
 * to fix intervals stay the receiver's. */
#define LATE_FIX_MS 5000

static int64_t
read_clock(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
daemon_time_utc_ms(void)
{
	return read_clock(CLOCK_REALTIME);
}

int64_t
daemon_time_mono_ms(void)
{
	return read_clock(CLOCK_MONOTONIC);
}

void
daemon_time_init(struct daemon_time *t, bool is_virtual, int64_t utc, double speed)
{
	if (is_virtual)
		hal_clock_init_virtual(&t->clock, utc);
	else
		hal_clock_init_real(&t->clock);
	t->speed = speed > 0 ? speed : 1.0;
	t->utc0 = utc;
	t->clock0 = hal_clock_now_ms(&t->clock);
	t->last = utc;
	t->offset = 0;
	t->warned_behind = false;
}

int64_t
daemon_time_now(struct daemon_time *t)
{
	int64_t c = hal_clock_now_ms(&t->clock) - t->clock0;
	int64_t now = t->utc0 + (t->speed == 1.0 ? c : (int64_t)((double)c * t->speed));
	if (now < t->last)
		now = t->last;
	t->last = now;
	return now;
}

int64_t
daemon_time_clock_at(const struct daemon_time *t, int64_t utc)
{
	int64_t d = utc - t->utc0;
	return t->clock0 + (t->speed == 1.0 ? d : (int64_t)ceil((double)d / t->speed));
}

bool
daemon_time_follow(struct daemon_time *t, int64_t utc)
{
	int64_t now = daemon_time_now(t);
	int64_t g = utc + t->offset;
	bool behind = g < now - LATE_FIX_MS;
	if (behind) {
		/* keep time continuous: the receiver's pace from here on */
		t->offset = now - utc;
		g = now;
	}
	t->utc0 = g;
	t->clock0 = hal_clock_now_ms(&t->clock);
	return !behind;
}
