/* Program-side logging: the libraries never print, the programs install
 * this as their log function.  Lines go to stderr with sd-daemon(3)
 * priority prefixes ("<3>error") so journald files them at the right level
 * when the daemon runs under systemd (JOURNAL_STREAM set); elsewhere the
 * prefix is dropped. */
#pragma once

#include <stdarg.h>

enum guide_log_level {
	GUIDE_LOG_ERR = 3,
	GUIDE_LOG_WARNING = 4,
	GUIDE_LOG_NOTICE = 5,
	GUIDE_LOG_INFO = 6,
	GUIDE_LOG_DEBUG = 7,
};

void guide_log_set_level(enum guide_log_level max);
void guide_log_set_prefixes(int on); /* -1: auto (on under journald) */
void guide_log(enum guide_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void guide_logv(enum guide_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
