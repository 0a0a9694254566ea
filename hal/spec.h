/* For hal's driver tables only (hal/gps.c, hal/sink.c): a device spec is
 * "SCHEME[:ARG]", the scheme naming the driver ("gpsd:host", "wav:out.wav",
 * "null"). */
#pragma once

#include <stdbool.h>

/* true when spec's scheme is name; *arg is then what follows the ':'
 * (NULL when spec is just the name). */
bool hal_spec_match(const char *spec, const char *name, const char **arg);
