#include "hal/spec.h"

#include <stdio.h>
#include <string.h>

int
hal_spec_find(const char *spec, const struct hal_spec_scheme *const *schemes, size_t n,
	      const char **arg, char *forms, size_t formslen)
{
	size_t used = 0;

	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(schemes[i]->name);
		if (strncmp(spec, schemes[i]->name, len) == 0 &&
		    (spec[len] == '\0' || spec[len] == ':')) {
			*arg = spec[len] ? spec + len + 1 : NULL;
			return (int)i;
		}
	}
	if (formslen > 0)
		forms[0] = '\0';
	for (size_t i = 0; i < n && used < formslen; i++)
		used += (size_t)snprintf(forms + used, formslen - used, "%s%s", i ? " | " : "",
					 schemes[i]->usage);
	return -1;
}
