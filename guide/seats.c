/* The --lang-channels SPEC (guide/seats.h). */
#include "guide/seats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "N" or "N-M" at *p: adds it to *mask; advances *p.  0 or -1 (why). */
static int
parse_range(const char **p, uint32_t *mask, char *why, size_t whylen)
{
	char *end;
	const char *at = *p;
	long a = strtol(at, &end, 10), b;
	if (end == at || a < 1 || a > SEATS_MAX_CHANNELS) {
		snprintf(why, whylen, "'%.16s': channels are 1-%d", at, SEATS_MAX_CHANNELS);
		return -1;
	}
	b = a;
	if (*end == '-') {
		const char *at2 = end + 1;
		b = strtol(at2, &end, 10);
		if (end == at2 || b < a || b > SEATS_MAX_CHANNELS) {
			snprintf(why, whylen, "'%.16s': a range N-M with 1 <= N <= M <= %d", at,
				 SEATS_MAX_CHANNELS);
			return -1;
		}
	}
	for (long c = a; c <= b; c++) {
		if (*mask & (1u << (c - 1))) {
			snprintf(why, whylen, "channel %ld named twice", c);
			return -1;
		}
		*mask |= 1u << (c - 1);
	}
	*p = end;
	return 0;
}

int
seats_parse(const char *spec, struct seats *out, char *why, size_t whylen)
{
	struct seats s = {0};
	const char *p = spec ? spec : "";

	if (!*p) {
		snprintf(why, whylen, "no seats given (LANG=CH[,LANG=CH...], e.g. zh=1+2,en=3)");
		return -1;
	}
	for (;;) {
		const char *eq = strchr(p, '=');
		size_t len = eq ? (size_t)(eq - p) : 0;
		if (!eq || len == 0 || len >= SEATS_LANG_LEN || memchr(p, ',', len)) {
			snprintf(why, whylen, "'%.32s': LANG=CH expected (e.g. zh=1+2,en=3)", p);
			return -1;
		}
		if (s.n == SEATS_MAX) {
			snprintf(why, whylen, "at most %d languages", SEATS_MAX);
			return -1;
		}
		memcpy(s.seat[s.n].lang, p, len);
		s.seat[s.n].lang[len] = '\0';
		if (seats_find(&s, s.seat[s.n].lang) >= 0) {
			snprintf(why, whylen, "language '%s' given twice", s.seat[s.n].lang);
			return -1;
		}
		p = eq + 1;
		uint32_t mask = 0;
		for (;;) {
			if (parse_range(&p, &mask, why, whylen) < 0)
				return -1;
			if (*p != '+')
				break;
			p++;
		}
		for (unsigned i = 0; i < s.n; i++)
			if (s.seat[i].mask & mask) {
				unsigned c = (unsigned)__builtin_ctz(s.seat[i].mask & mask) + 1;
				snprintf(why, whylen, "channel %u is given to both %s and %s", c,
					 s.seat[i].lang, s.seat[s.n].lang);
				return -1;
			}
		s.seat[s.n++].mask = mask;
		uint32_t hi = 32 - (uint32_t)__builtin_clz(mask);
		if (hi > s.channels)
			s.channels = hi;
		if (*p == '\0')
			break;
		if (*p != ',') {
			snprintf(why, whylen, "'%.16s': ',' or '+' expected after a channel", p);
			return -1;
		}
		p++;
	}
	*out = s;
	return 0;
}

int
seats_find(const struct seats *s, const char *lang)
{
	for (unsigned i = 0; s && lang && i < s->n; i++)
		if (strcmp(s->seat[i].lang, lang) == 0)
			return (int)i;
	return -1;
}

void
seats_format_mask(uint32_t mask, char *out, size_t len)
{
	size_t at = 0;
	out[0] = '\0';
	for (unsigned c = 0; c < 32 && at < len; c++)
		if (mask & (1u << c))
			at += (size_t)snprintf(out + at, len - at, "%s%u", at ? "+" : "", c + 1);
}
