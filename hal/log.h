/* One log-level type for every library of the guide.
 *
 * The libraries never print: they hand each message, with one of these
 * levels, to a hal_log_fn that the program installs.  The values are
 * syslog's (sd-daemon(3) prefixes), so a program can pass them straight to
 * the journal.  hal/ includes nothing of ours, so the type lives here and the
 * other libraries (audio/, guide/) use it too.
 */
#pragma once

#include <stdarg.h>

enum hal_log_level {
	HAL_LOG_ERR = 3,
	HAL_LOG_WARNING = 4,
	HAL_LOG_NOTICE = 5,
	HAL_LOG_INFO = 6,
	HAL_LOG_DEBUG = 7,
};

/* A library's log sink: msg is one line without the newline. */
typedef void (*hal_log_fn)(void *user, enum hal_log_level level, const char *msg);

/* Formats a message and hands it to fn (one line, at most 511 bytes; longer
 * messages are cut).  fn NULL drops the message: a library whose caller
 * installed no log function stays silent.  Not RT-safe: never call it
 * from the audio thread. */
void hal_logf(hal_log_fn fn, void *user, enum hal_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void hal_vlogf(hal_log_fn fn, void *user, enum hal_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
