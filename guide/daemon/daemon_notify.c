#include "guide/daemon/daemon_notify.h"
#include "config.h"

#if HAVE_SYSTEMD
#include <systemd/sd-daemon.h>

void
daemon_notify_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void
daemon_notify_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

uint64_t
daemon_notify_watchdog_interval_ms(void)
{
	uint64_t usec = 0;
	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec / 2000;
}

void
daemon_notify_watchdog(void)
{
	sd_notify(0, "WATCHDOG=1");
}
#else
void
daemon_notify_ready(const char *status)
{
	(void)status;
}

void
daemon_notify_stopping(void)
{
}

uint64_t
daemon_notify_watchdog_interval_ms(void)
{
	return 0;
}

void
daemon_notify_watchdog(void)
{
}
#endif
