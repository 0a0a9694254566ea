#include "hal/spec.h"

#include <string.h>

bool
hal_spec_match(const char *spec, const char *name, const char **arg)
{
	size_t n = strlen(name);

	if (strncmp(spec, name, n) != 0 || (spec[n] != '\0' && spec[n] != ':'))
		return false;
	*arg = spec[n] ? spec + n + 1 : NULL;
	return true;
}
