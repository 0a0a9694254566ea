/* Per-seat languages (DESIGN.md): the --lang-channels SPEC, which language
 * plays on which output channels in channels mode.
 *
 *   SPEC = LANG=CH[,LANG=CH...]   CH = N | N-M | CH+CH    (zh=1+2,en=3,ko=4-5)
 *
 * Channels are 1-based outputs, at most SEATS_MAX_CHANNELS, each owned by at
 * most one language; the output has as many channels as the highest one
 * named.  A struct seats is plain data (no allocation). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SEATS_MAX 8          /* languages */
#define SEATS_MAX_CHANNELS 8 /* outputs */
#define SEATS_LANG_LEN 16

struct seats {
	unsigned n;        /* 0: no channels mode */
	uint32_t channels; /* outputs: the highest channel named */
	struct {
		char lang[SEATS_LANG_LEN];
		uint32_t mask; /* bit c: output channel c + 1 */
	} seat[SEATS_MAX];
};

/* Parses spec into out.  0, or -1 with a line for the user in why ("channel
 * 3 is given to both zh and en", "'9': channels are 1-8"); out is then left
 * untouched. */
int seats_parse(const char *spec, struct seats *out, char *why, size_t whylen);

/* The seat of lang, or -1. */
int seats_find(const struct seats *s, const char *lang);

/* "1+2", "3", "4+5": a mask as the 1-based channel list. */
void seats_format_mask(uint32_t mask, char *out, size_t len);
