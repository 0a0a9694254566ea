/* Ogg Opus narration clips, decoded with libopusfile at 48 kHz float. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define CLIP_RATE 48000

/* Opens the file far enough to know whether it decodes and how long it is.
 * Returns 0 and the length in 48 kHz frames, or a negative errno-style code
 * with a human-readable reason in err. */
int clip_probe(const char *path, int64_t *frames, char *err, size_t errlen);
