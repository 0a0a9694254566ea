#include "hal/log.h"

#include <stdio.h>

void
hal_vlogf(hal_log_fn fn, void *user, enum hal_log_level level, const char *fmt, va_list ap)
{
	char msg[512];

	if (!fn)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	fn(user, level, msg);
}

void
hal_logf(hal_log_fn fn, void *user, enum hal_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hal_vlogf(fn, user, level, fmt, ap);
	va_end(ap);
}
