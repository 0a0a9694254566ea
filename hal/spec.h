/* For hal's driver tables only (hal/gps.c, hal/sink.c): a device spec is
 * "SCHEME[:ARG]", the scheme naming the driver ("gpsd:host", "wav:out.wav",
 * "null"). */
#pragma once

#include <stddef.h>

/* The first member of every driver's table of functions (struct
 * hal_gps_impl, struct hal_sink_impl), so that one lookup serves them all. */
struct hal_spec_scheme {
	const char *name;  /* the scheme: "gpsd", "wav", ... */
	const char *usage; /* the spec's form, for messages: "wav:FILE" */
};

/* Finds spec's scheme among schemes[0..n): returns its index, with *arg set
 * to what follows "name:" (NULL when spec is just the name).  When none
 * matches: -1, and forms gets the accepted forms ("a | b | c") for the
 * caller's message. */
int hal_spec_find(const char *spec, const struct hal_spec_scheme *const *schemes, size_t n,
		  const char **arg, char *forms, size_t formslen);
