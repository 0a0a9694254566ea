/* gpx:FILE -- replay of a GPX 1.0 / 1.1 track, read with expat.
 *
 * Each <trkpt> (or <rtept>) becomes one event.  Per point: lat/lon
 * attributes, <ele>, <time>, <speed> (m/s), <course> (deg), <hdop>, <sat>,
 * <fix> -- also when they sit inside <extensions> under any namespace prefix
 * (e.g. Garmin's gpxtpx:speed / gpxtpx:course). */
#include "hal/gps_impl.h"
#include "hal/nmea.h"

#include <errno.h>
#include <expat.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum leaf {
	LEAF_NONE,
	LEAF_ELE,
	LEAF_TIME,
	LEAF_SPEED,
	LEAF_COURSE,
	LEAF_HDOP,
	LEAF_SAT,
	LEAF_FIX
};

struct parse {
	struct hal_gps_replay *r;
	XML_Parser xp;
	const char *path;
	const struct hal_gps_options *opts;
	int rc;
	bool in_pt;
	bool pt_ok;
	bool fix_none;
	struct hal_fix fix;
	enum leaf leaf;
	size_t tlen;
	char text[128];
};

static const char *
local_name(const char *name)
{
	const char *c = strrchr(name, ':');
	return c ? c + 1 : name;
}

static bool
parse_double(const char *s, double *v)
{
	char *end;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (!*s)
		return false;
	*v = strtod(s, &end);
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
		end++;
	return *end == '\0' && isfinite(*v);
}

/* YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|-HH:MM] -> UTC ms.  false if not. */
static bool
parse_iso8601(const char *s, int64_t *ms)
{
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	int y, mo, d, h, mi, sec, n = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return false;
	s += n;
	int frac = 0;
	if (*s == '.') {
		int scale = 100;
		s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9') {
			frac += (*s - '0') * scale;
			scale /= 10;
			s++;
		}
	}
	int64_t off_min = 0;
	if (*s == 'Z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		int oh, om;
		if (sscanf(s + 1, "%2d:%2d", &oh, &om) != 2)
			return false;
		off_min = (oh * 60 + om) * (*s == '-' ? -1 : 1);
		s += 6;
	}
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	if (*s)
		return false;
	int64_t days = hal_nmea_days_from_civil(y, mo, d);
	*ms = ((days * 24 + h) * 60 + mi) * 60000 + (int64_t)sec * 1000 + frac - off_min * 60000;
	return true;
}

static void XMLCALL
on_start(void *user, const XML_Char *name, const XML_Char **attrs)
{
	struct parse *p = user;
	const char *ln = local_name(name);
	if (!strcmp(ln, "trkpt") || !strcmp(ln, "rtept")) {
		p->in_pt = true;
		p->fix_none = false;
		hal_fix_clear(&p->fix, HAL_FIX_MODE_NONE);
		p->fix.set = HAL_FIX_MODE;
		bool have_lat = false, have_lon = false;
		for (size_t i = 0; attrs[i]; i += 2) {
			if (!strcmp(attrs[i], "lat"))
				have_lat = parse_double(attrs[i + 1], &p->fix.lat);
			else if (!strcmp(attrs[i], "lon"))
				have_lon = parse_double(attrs[i + 1], &p->fix.lon);
		}
		p->pt_ok =
			have_lat && have_lon && fabs(p->fix.lat) <= 90 && fabs(p->fix.lon) <= 180;
		return;
	}
	if (!p->in_pt)
		return;
	p->leaf = LEAF_NONE;
	if (!strcmp(ln, "ele"))
		p->leaf = LEAF_ELE;
	else if (!strcmp(ln, "time"))
		p->leaf = LEAF_TIME;
	else if (!strcmp(ln, "speed"))
		p->leaf = LEAF_SPEED;
	else if (!strcmp(ln, "course"))
		p->leaf = LEAF_COURSE;
	else if (!strcmp(ln, "hdop"))
		p->leaf = LEAF_HDOP;
	else if (!strcmp(ln, "sat"))
		p->leaf = LEAF_SAT;
	else if (!strcmp(ln, "fix"))
		p->leaf = LEAF_FIX;
	p->tlen = 0;
}

static void XMLCALL
on_text(void *user, const XML_Char *s, int len)
{
	struct parse *p = user;
	if (!p->in_pt || p->leaf == LEAF_NONE)
		return;
	size_t n = (size_t)len;
	if (n > sizeof(p->text) - 1 - p->tlen)
		n = sizeof(p->text) - 1 - p->tlen;
	memcpy(p->text + p->tlen, s, n);
	p->tlen += n;
}

static void
end_leaf(struct parse *p)
{
	p->text[p->tlen] = '\0';
	double v;
	struct hal_fix *f = &p->fix;
	switch (p->leaf) {
	case LEAF_ELE:
		if (parse_double(p->text, &v)) {
			f->alt = v;
			f->set |= HAL_FIX_ALT;
		}
		break;
	case LEAF_TIME:
		if (parse_iso8601(p->text, &f->time_ms))
			f->set |= HAL_FIX_TIME;
		else
			hal_gps_logf(p->opts, HAL_LOG_WARNING, "%s:%lu: bad <time> '%s'", p->path,
				     (unsigned long)XML_GetCurrentLineNumber(p->xp), p->text);
		break;
	case LEAF_SPEED:
		if (parse_double(p->text, &v) && v >= 0) {
			f->speed = v;
			f->set |= HAL_FIX_SPEED;
		}
		break;
	case LEAF_COURSE:
		if (parse_double(p->text, &v)) {
			v = fmod(v, 360.0);
			f->track = v < 0 ? v + 360.0 : v;
			f->set |= HAL_FIX_TRACK;
		}
		break;
	case LEAF_HDOP:
		if (parse_double(p->text, &v) && v >= 0) {
			f->hdop = v;
			f->set |= HAL_FIX_HDOP;
		}
		break;
	case LEAF_SAT:
		if (parse_double(p->text, &v) && v >= 0 && v < 1000) {
			f->sats_used = (int)v;
			f->set |= HAL_FIX_SATS;
		}
		break;
	case LEAF_FIX: {
		const char *t = p->text;
		while (*t == ' ' || *t == '\n')
			t++;
		if (!strncmp(t, "none", 4))
			p->fix_none = true;
		else if (!strncmp(t, "2d", 2))
			f->mode = HAL_FIX_MODE_2D;
		else if (!strncmp(t, "3d", 2))
			f->mode = HAL_FIX_MODE_3D;
		break;
	}
	case LEAF_NONE: break;
	}
	p->leaf = LEAF_NONE;
}

static void XMLCALL
on_end(void *user, const XML_Char *name)
{
	struct parse *p = user;
	if (!p->in_pt)
		return;
	const char *ln = local_name(name);
	if (strcmp(ln, "trkpt") && strcmp(ln, "rtept")) {
		if (p->leaf != LEAF_NONE)
			end_leaf(p);
		return;
	}
	p->in_pt = false;
	p->r->base.stats.gpx_points++;
	if (!p->pt_ok) {
		p->r->base.stats.gpx_bad_points++;
		hal_gps_logf(p->opts, HAL_LOG_WARNING, "%s:%lu: trkpt without a usable lat/lon",
			     p->path, (unsigned long)XML_GetCurrentLineNumber(p->xp));
		return;
	}
	struct hal_fix *f = &p->fix;
	if (p->fix_none) {
		f->lat = f->lon = NAN;
		f->mode = HAL_FIX_MODE_NONE;
	} else {
		f->set |= HAL_FIX_POS;
		if (f->mode < HAL_FIX_MODE_2D)
			f->mode = (f->set & HAL_FIX_ALT) ? HAL_FIX_MODE_3D : HAL_FIX_MODE_2D;
	}
	if (p->rc == 0)
		p->rc = hal_gps_replay_push(p->r, f);
	if (p->rc < 0)
		XML_StopParser(p->xp, XML_FALSE);
}

static int
gpx_parse(struct hal_gps_replay *r, const char *path, const char *data, size_t len)
{
	XML_Parser xp = XML_ParserCreate(NULL);
	int rc = 0;

	if (!xp)
		return -ENOMEM;
	struct parse p = {.r = r, .xp = xp, .path = path, .opts = &r->base.opts};
	XML_SetUserData(xp, &p);
	XML_SetElementHandler(xp, on_start, on_end);
	XML_SetCharacterDataHandler(xp, on_text);
	if (XML_Parse(xp, data, (int)len, XML_TRUE) == XML_STATUS_ERROR && p.rc == 0) {
		hal_gps_logf(p.opts, HAL_LOG_ERR, "%s:%lu:%lu: %s", path,
			     (unsigned long)XML_GetCurrentLineNumber(xp),
			     (unsigned long)XML_GetCurrentColumnNumber(xp) + 1,
			     XML_ErrorString(XML_GetErrorCode(xp)));
		rc = -EBADMSG;
	}
	XML_ParserFree(xp);
	return p.rc < 0 ? p.rc : rc;
}

static int
gpx_open(const char *arg, const struct hal_gps_options *opts, struct hal_gps **out)
{
	return hal_gps_replay_open(&hal_gps_gpx_impl, gpx_parse, arg, opts, out);
}

const struct hal_gps_impl hal_gps_gpx_impl = {
	.scheme = {"gpx", "gpx:FILE"},
	.open = gpx_open,
	.read = hal_gps_replay_read,
	.close = hal_gps_replay_close,
	.peek_time_ms = hal_gps_replay_peek,
};
