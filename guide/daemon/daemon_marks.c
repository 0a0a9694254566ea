/* Field marks: `guidectl mark [NAME]` and the mark key keep the current
 * fix as a draft stop, appended to --marks FILE as one item of a YAML list
 * in the route format, indented as a route's stops are (routes/README.md
 * "From a ride along to a checked route"): a curator pastes the items under
 * a route's `stops:`, names them and gives them clips.  Each mark is one write() then fdatasync():
 * a power cut loses at most the mark being written, never an earlier one. */
#define _GNU_SOURCE
#include "guide/daemon/daemon_internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "guide/events.h"
#include "guide/log.h"

/* Faster than this (m/s, about 5 km/h) the course is the cart's heading. */
#define MARK_MOVING_MS 1.5
#define MARK_RADIUS_M 30
#define MARK_TOLERANCE_DEG 45

/* The number of marks the file holds ("  - id: " lines); *taken when one
 * of them has the id id. */
static unsigned
count_marks(const char *path, const char *id, bool *taken)
{
	FILE *f = fopen(path, "re");
	unsigned n = 0;
	char line[512];
	size_t len = strlen(id);
	*taken = false;
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "  - id: ", 8) != 0)
			continue;
		n++;
		*taken |= strncmp(line + 8, id, len) == 0 &&
			  (line[8 + len] == '\n' || !line[8 + len]);
	}
	if (f)
		fclose(f);
	return n;
}

/* A stop id from a name: lower-case letters, digits, '-' and '_'; other
 * characters (blanks, Chinese) become '-'.  "" when nothing is left. */
static void
id_from_name(const char *name, char *id, size_t len)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)name; *p && o + 1 < len; p++) {
		char ch = isalnum(*p) && *p < 0x80 ? (char)tolower(*p) : *p == '_' ? '_' : '-';
		if (ch == '-' && (o == 0 || id[o - 1] == '-'))
			continue;
		id[o++] = ch;
	}
	while (o && id[o - 1] == '-')
		o--;
	id[o] = '\0';
}

/* name as a YAML double-quoted scalar's inside */
static void
yaml_quote(const char *s, char *out, size_t len)
{
	size_t o = 0;
	for (; *s && o + 3 < len; s++) {
		if (*s == '"' || *s == '\\')
			out[o++] = '\\';
		out[o++] = (unsigned char)*s < 0x20 ? ' ' : *s;
	}
	out[o] = '\0';
}

bool
daemon_mark(struct daemon *d, const char *name, char *msg, size_t len)
{
	if (!d->have_fix || !hal_fix_has_position(&d->last_fix)) {
		snprintf(msg, len, "no GPS fix yet");
		return false;
	}
	const struct hal_fix *f = &d->last_fix;
	int64_t now = daemon_now(d);
	char id[65] = "", quoted[512], when[32];
	if (name && *name)
		id_from_name(name, id, sizeof(id));
	if (d->o->marks) {
		/* ids are unique in a route: a name marked twice gets -2, -3, ... */
		bool taken;
		unsigned n = count_marks(d->o->marks, id, &taken);
		if (!id[0]) {
			snprintf(id, sizeof(id), "mark-%u", n + 1);
			count_marks(d->o->marks, id, &taken);
		}
		char base[48];
		snprintf(base, sizeof(base), "%.47s", id); /* room for "-N" */
		for (unsigned k = 2; taken && k < 1000; k++) {
			snprintf(id, sizeof(id), "%s-%u", base, k);
			count_marks(d->o->marks, id, &taken);
		}
	} else if (!id[0]) {
		snprintf(id, sizeof(id), "mark");
	}
	bool moving = (f->set & HAL_FIX_SPEED) && (f->set & HAL_FIX_TRACK) &&
		      f->speed > MARK_MOVING_MS && isfinite(f->track);
	/* the event as before marks were kept; with --marks the stop's id too */
	if (!d->o->marks) {
		events_emit(d->ev, now, "mark", "lat", 'c', f->lat, "lon", 'c', f->lon, NULL);
		snprintf(msg, len, "marked %s (%.7f, %.7f; not kept: guided has no --marks)", id,
			 f->lat, f->lon);
		return true;
	}

	char text[2048];
	events_format_time(now, when);
	int n = snprintf(text, sizeof(text), "  # %s, guided mark%s\n  - id: %s\n", when,
			 moving ? "" : " (standing: no heading)", id);
	if (name && *name) {
		yaml_quote(name, quoted, sizeof(quoted));
		n += snprintf(text + n, sizeof(text) - (size_t)n,
			      "    name: {zh: \"%s\", en: \"%s\"}\n", quoted, quoted);
	}
	n += snprintf(text + n, sizeof(text) - (size_t)n,
		      "    circle: {lat: %.7f, lon: %.7f, radius_m: %d}\n", f->lat, f->lon,
		      MARK_RADIUS_M);
	if (moving)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
			      "    heading: {deg: %.0f, tolerance_deg: %d}\n",
			      fmod(round(f->track), 360), MARK_TOLERANCE_DEG);
	if (moving)
		events_emit(d->ev, now, "mark", "lat", 'c', f->lat, "lon", 'c', f->lon, "id", 's',
			    id, "heading", 'd', fmod(round(f->track), 360), NULL);
	else
		events_emit(d->ev, now, "mark", "lat", 'c', f->lat, "lon", 'c', f->lon, "id", 's',
			    id, NULL);
	int fd = open(d->o->marks, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	int r = 0;
	if (fd < 0 || write(fd, text, (size_t)n) != n || fdatasync(fd) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	if (r < 0) {
		guide_log(HAL_LOG_ERR, "marks %s: %s", d->o->marks, strerror(-r));
		snprintf(msg, len, "marks %s: %s", d->o->marks, strerror(-r));
		return false;
	}
	guide_log(HAL_LOG_INFO, "mark %s at %.7f, %.7f kept in %s", id, f->lat, f->lon,
		  d->o->marks);
	snprintf(msg, len, "marked %s at %.7f, %.7f", id, f->lat, f->lon);
	return true;
}
