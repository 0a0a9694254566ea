#include "hal/clock.h"

#include <errno.h>
#include <math.h>
#include <time.h>

void
hal_clock_init_real(struct hal_clock *clock)
{
	clock->kind = HAL_CLOCK_REAL;
	clock->virtual_ms = 0;
}

void
hal_clock_init_virtual(struct hal_clock *clock, int64_t start_ms)
{
	clock->kind = HAL_CLOCK_VIRTUAL;
	clock->virtual_ms = start_ms;
}

bool
hal_clock_is_virtual(const struct hal_clock *clock)
{
	return clock->kind == HAL_CLOCK_VIRTUAL;
}

int64_t
hal_clock_now_ms(const struct hal_clock *clock)
{
	if (clock->kind == HAL_CLOCK_VIRTUAL)
		return clock->virtual_ms;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
hal_clock_set_ms(struct hal_clock *clock, int64_t t_ms)
{
	if (clock->kind != HAL_CLOCK_VIRTUAL)
		return -ENOTSUP;
	if (t_ms < clock->virtual_ms)
		return -EINVAL;
	clock->virtual_ms = t_ms;
	return 0;
}

int
hal_clock_advance_ms(struct hal_clock *clock, int64_t delta_ms)
{
	if (clock->kind != HAL_CLOCK_VIRTUAL)
		return -ENOTSUP;
	if (delta_ms < 0)
		return -EINVAL;
	clock->virtual_ms += delta_ms;
	return 0;
}

int
hal_clock_poll_timeout(struct hal_clock *clock, int64_t deadline_ms)
{
	if (clock->kind == HAL_CLOCK_VIRTUAL) {
		if (deadline_ms > clock->virtual_ms)
			clock->virtual_ms = deadline_ms;
		return 0;
	}
	if (deadline_ms < 0)
		return -1;
	int64_t left = deadline_ms - hal_clock_now_ms(clock);
	if (left <= 0)
		return 0;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

void
hal_pace_init(struct hal_pace *pace, double speed)
{
	pace->speed = (isfinite(speed) && speed > 0) ? speed : 1.0;
	pace->anchored = false;
	pace->utc0_ms = 0;
	pace->clock0_ms = 0;
}

int64_t
hal_pace_due_ms(struct hal_pace *pace, int64_t now_ms, int64_t utc_ms)
{
	if (utc_ms < 0)
		return now_ms;
	if (!pace->anchored) {
		pace->anchored = true;
		pace->utc0_ms = utc_ms;
		pace->clock0_ms = now_ms;
		return now_ms;
	}
	if (utc_ms <= pace->utc0_ms)
		return now_ms;
	double d = (double)(utc_ms - pace->utc0_ms) / pace->speed;
	return pace->clock0_ms + (int64_t)llround(d);
}
