/* systemd readiness and watchdog (sd_notify), when built with libsystemd
 * and run under a unit with NOTIFY_SOCKET; silent no-ops otherwise. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

void daemon_notify_ready(const char *status);
void daemon_notify_stopping(void);
/* Interval at which to ping the watchdog, in ms (half of WatchdogSec), or 0. */
uint64_t daemon_notify_watchdog_interval_ms(void);
void daemon_notify_watchdog(void);
