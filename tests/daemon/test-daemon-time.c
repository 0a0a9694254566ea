/* The daemon's one time base (guide/daemon/daemon_time.c), on a virtual
 * clock: replay pacing with --speed, deadlines back on the clock, and the
 * receiver's UTC under gpsd followed forwards, held for a late fix, and
 * never followed backwards (the event log's time never decreases). */
#include "guide/daemon/daemon_internal.h"
#include "tests/test.h"

#define T0 1714528800000LL /* 2024-05-01T02:00:00Z */

static void
test_replay_pace(void)
{
	struct daemon_time t;
	daemon_time_init(&t, true, T0, 4.0); /* --speed 4 on a virtual clock */
	CHECK_INT(daemon_time_now(&t), T0);
	hal_clock_advance_ms(&t.clock, 250);
	CHECK_INT(daemon_time_now(&t), T0 + 1000);
	/* the fix of T0 + 3 s is due 750 ms of clock after the start */
	CHECK_INT(daemon_time_clock_at(&t, T0 + 3000), T0 + 750);
	/* a deadline between clock ms rounds up: never wake before it */
	CHECK_INT(daemon_time_clock_at(&t, T0 + 1001), T0 + 251);
}

static void
test_follow_receiver(void)
{
	struct daemon_time t;
	/* under gpsd: the board's clock first */
	daemon_time_init(&t, true, T0, 1.0);
	hal_clock_advance_ms(&t.clock, 1000);
	CHECK_INT(daemon_time_now(&t), T0 + 1000);

	/* the receiver is ahead (a board without a real-time clock): jump */
	CHECK(daemon_time_follow(&t, T0 + 3600000));
	CHECK_INT(daemon_time_now(&t), T0 + 3600000);
	hal_clock_advance_ms(&t.clock, 1000);
	CHECK_INT(daemon_time_now(&t), T0 + 3601000);

	/* a late fix (its time 300 ms behind): followed, the time holds still */
	CHECK(daemon_time_follow(&t, T0 + 3600700));
	CHECK_INT(daemon_time_now(&t), T0 + 3601000);
	hal_clock_advance_ms(&t.clock, 500);
	CHECK_INT(daemon_time_now(&t), T0 + 3601200);

	/* a receiver years behind (gpsfake replaying an old log): not
	 * followed backwards; from here on at the receiver's pace */
	int64_t before = daemon_time_now(&t);
	CHECK(!daemon_time_follow(&t, T0 - 86400000LL * 365));
	CHECK_INT(daemon_time_now(&t), before);
	hal_clock_advance_ms(&t.clock, 200);
	CHECK(daemon_time_follow(&t, T0 - 86400000LL * 365 + 1000)); /* its next fix, 1 s on */
	CHECK_INT(daemon_time_now(&t), before + 1000);
	hal_clock_advance_ms(&t.clock, 100);
	CHECK_INT(daemon_time_now(&t), before + 1100);
}

int
main(void)
{
	test_replay_pace();
	test_follow_receiver();
	TEST_EXIT();
}
