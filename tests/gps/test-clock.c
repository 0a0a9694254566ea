/* Clocks and replay pacing; the virtual clock never sleeps. */
#include <errno.h>
#include <stdint.h>

#include "hal/clock.h"
#include "tests/test.h"

int
main(void)
{
	struct hal_clock v;
	hal_clock_init_virtual(&v, 1000);
	CHECK(hal_clock_is_virtual(&v));
	CHECK_INT(hal_clock_now_ms(&v), 1000);
	CHECK_INT(hal_clock_advance_ms(&v, 250), 0);
	CHECK_INT(hal_clock_now_ms(&v), 1250);
	CHECK_INT(hal_clock_set_ms(&v, 5000), 0);
	CHECK_INT(hal_clock_now_ms(&v), 5000);
	CHECK_INT(hal_clock_set_ms(&v, 4999), -EINVAL); /* never backwards */
	CHECK_INT(hal_clock_advance_ms(&v, -1), -EINVAL);
	CHECK_INT(hal_clock_now_ms(&v), 5000);
	/* poll timeout: the virtual clock jumps to the deadline, waits 0 */
	CHECK_INT(hal_clock_poll_timeout(&v, 3600000), 0);
	CHECK_INT(hal_clock_now_ms(&v), 3600000);
	CHECK_INT(hal_clock_poll_timeout(&v, 10), 0); /* past deadline: no jump back */
	CHECK_INT(hal_clock_now_ms(&v), 3600000);
	CHECK_INT(hal_clock_poll_timeout(&v, -1), 0);

	struct hal_clock r;
	hal_clock_init_real(&r);
	CHECK(!hal_clock_is_virtual(&r));
	CHECK_INT(hal_clock_set_ms(&r, 0), -ENOTSUP);
	CHECK_INT(hal_clock_advance_ms(&r, 1), -ENOTSUP);
	int64_t a = hal_clock_now_ms(&r), b = hal_clock_now_ms(&r);
	CHECK(a > 0 && b >= a); /* monotonic */
	CHECK_INT(hal_clock_poll_timeout(&r, -1), -1);
	CHECK_INT(hal_clock_poll_timeout(&r, a - 10), 0);
	int t = hal_clock_poll_timeout(&r, b + 100000);
	CHECK(t > 99000 && t <= 100000);

	/* pacing: table of (speed, fix utc) -> due time on a virtual clock */
	const struct {
		double speed;
		int64_t utc[4];
		int64_t due[4];
	} cases[] = {
		{1.0,
		 {1000000, 1001000, 1002500, 999500},
		 {0, 1000, 2500, 0}}, /* before anchor: now */
		{10.0, {1000000, 1001000, 1002500, 1060000}, {0, 100, 250, 6000}},
		{0.5, {1000000, 1001000, -1, 1003000}, {0, 2000, 0, 6000}},
		{0.0, {1000000, 1001000, 1002000, 1003000}, {0, 1000, 2000, 3000}}, /* -> 1.0 */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hal_pace p;
		hal_pace_init(&p, cases[i].speed);
		for (int k = 0; k < 4; k++)
			CHECK_INT(hal_pace_due_ms(&p, 0, cases[i].utc[k]), cases[i].due[k]);
	}
	/* anchor on a later clock time */
	struct hal_pace p;
	hal_pace_init(&p, 2.0);
	CHECK_INT(hal_pace_due_ms(&p, 500, 10000), 500);
	CHECK_INT(hal_pace_due_ms(&p, 777, 14000), 2500);
	TEST_EXIT();
}
