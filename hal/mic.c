/* Generic microphone source: spec parsing, dispatch through the driver
 * table, and the level of a block. */
#include "hal/mic_impl.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

/* Every microphone driver, by spec scheme. */
static const struct hal_spec_scheme *const drivers[] = {
	&hal_mic_sdl_impl.scheme,
	&hal_mic_wav_impl.scheme,
};

void
hal_mic_logf(const struct hal_mic *m, enum hal_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	hal_vlogf(m->opts.log, m->opts.log_user, level, fmt, ap);
	va_end(ap);
}

void
hal_mic_base_init(struct hal_mic *m, const struct hal_mic_impl *impl,
		  const struct hal_mic_options *opts)
{
	m->impl = impl;
	m->opts = opts ? *opts : (struct hal_mic_options){0};
}

int
hal_mic_create(const char *spec, const struct hal_mic_options *opts, struct hal_mic **out)
{
	const char *arg = NULL;
	char forms[128];
	int i = hal_spec_find(spec, drivers, sizeof(drivers) / sizeof(drivers[0]), &arg, forms,
			      sizeof(forms));
	if (i >= 0) /* the scheme is the first member of the impl */
		return ((const struct hal_mic_impl *)drivers[i])->open(arg, opts, out);
	if (opts)
		hal_logf(opts->log, opts->log_user, HAL_LOG_ERR,
			 "unknown microphone source '%s' (%s)", spec, forms);
	return -EINVAL;
}

void
hal_mic_destroy(struct hal_mic *m)
{
	if (m)
		m->impl->close(m);
}

int
hal_mic_start(struct hal_mic *m)
{
	return m->impl->start(m);
}

int
hal_mic_read(struct hal_mic *m, int64_t elapsed_ms, float *level_db)
{
	return m->impl->read(m, elapsed_ms, level_db);
}

const char *
hal_mic_name(const struct hal_mic *m)
{
	return m->impl->scheme.name;
}

float
hal_mic_level_from_power(double sum_sq, uint32_t n)
{
	if (n == 0 || !(sum_sq > 0))
		return HAL_MIC_FLOOR_DB;
	float db = (float)(10.0 * log10(sum_sq / n));
	return db > HAL_MIC_FLOOR_DB ? db : HAL_MIC_FLOOR_DB;
}

float
hal_mic_level_db(const float *x, uint32_t n)
{
	double s = 0;
	for (uint32_t i = 0; i < n; i++)
		s += (double)x[i] * x[i];
	return hal_mic_level_from_power(s, n);
}
