/* Program-side logging: the libraries never print, the programs install
 * this as their log function.  Lines go to stderr with sd-daemon(3)
 * priority prefixes ("<3>error") so journald files them at the right level
 * when the daemon runs under systemd (JOURNAL_STREAM set); elsewhere the
 * prefix is dropped. */
#pragma once

#include "hal/log.h"

#include <stdbool.h>

void guide_log_set_level(enum hal_log_level max);
/* A program that keeps a line rewritten in place on stderr (guided
 * --status) is called before each log line (before = true: clear it) and
 * after it (before = false: draw it again).  NULL: none. */
typedef void (*guide_log_around_fn)(void *user, bool before);
void guide_log_set_around(guide_log_around_fn fn, void *user);
void guide_log(enum hal_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same, for a line that names its severity itself (a route diagnostic,
 * "FILE:LINE:COL: error: ..."): no "error: " in front of it. */
void guide_log_bare(enum hal_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
