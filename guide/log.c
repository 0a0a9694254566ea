#include "guide/log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Process-wide logging settings, set once by main() before any thread. */
static enum hal_log_level log_max = HAL_LOG_INFO;
static int log_prefixes = -1;
static guide_log_around_fn log_around;
static void *log_around_user;

void
guide_log_set_level(enum hal_log_level max)
{
	log_max = max;
}

void
guide_log_set_around(guide_log_around_fn fn, void *user)
{
	log_around = fn;
	log_around_user = user;
}

static void __attribute__((format(printf, 3, 0)))
guide_logv(enum hal_log_level level, bool named, const char *fmt, va_list ap)
{
	static const char *names[] = {
		[HAL_LOG_ERR] = "error: ", [HAL_LOG_WARNING] = "warning: ", [HAL_LOG_NOTICE] = "",
		[HAL_LOG_INFO] = "",       [HAL_LOG_DEBUG] = "debug: ",
	};
	if (level > log_max)
		return;
	/* systemd sets JOURNAL_STREAM when stderr goes to the journal */
	if (log_prefixes < 0)
		log_prefixes = getenv("JOURNAL_STREAM") != NULL;
	char buf[2048];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (log_around)
		log_around(log_around_user, true);
	if (log_prefixes)
		fprintf(stderr, "<%d>%s%s\n", (int)level, named ? names[level] : "", buf);
	else
		fprintf(stderr, "%s%s\n", named ? names[level] : "", buf);
	if (log_around)
		log_around(log_around_user, false);
}

void
guide_log(enum hal_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	guide_logv(level, true, fmt, ap);
	va_end(ap);
}

void
guide_log_bare(enum hal_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	guide_logv(level, false, fmt, ap);
	va_end(ap);
}
