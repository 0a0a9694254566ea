#include "guide/curator/render.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "guide/curator/array.h"
#include "guide/curator/event_log.h"
#include "routes/geo.h"

/* ---- event log -------------------------------------------------------- */

struct clip_reader {
	struct render_clip *clips;
	size_t n, cap;
};

static void
copy_field(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

static int
clip_started(struct clip_reader *rd, json_object *o, const char *time)
{
	struct render_clip *p = array_grow(rd->clips, rd->n, &rd->cap, sizeof(*p), 64);
	if (!p)
		return -ENOMEM;
	rd->clips = p;
	struct render_clip *c = &rd->clips[rd->n++];
	memset(c, 0, sizeof(*c));
	copy_field(c->poi, sizeof(c->poi), event_log_str(o, "poi"));
	copy_field(c->clip, sizeof(c->clip), event_log_str(o, "clip"));
	copy_field(c->lang, sizeof(c->lang), event_log_str(o, "lang"));
	c->start_ms = event_log_time_ms(time);
	c->start_lat = c->start_lon = NAN;
	event_log_num(o, "lat", &c->start_lat);
	event_log_num(o, "lon", &c->start_lon);
	c->completed = -1;
	return 0;
}

/* ends the newest open clip of that stop and language */
static void
clip_ended(struct clip_reader *rd, json_object *o, const char *time)
{
	const char *poi = event_log_str(o, "poi"), *lang = event_log_str(o, "lang");
	for (size_t i = rd->n; poi && lang && i-- > 0;) {
		struct render_clip *c = &rd->clips[i];
		if (c->end_ms == 0 && strcmp(c->poi, poi) == 0 && strcmp(c->lang, lang) == 0) {
			c->end_ms = event_log_time_ms(time);
			int completed = event_log_bool(o, "completed");
			if (completed >= 0)
				c->completed = completed;
			return;
		}
	}
}

static int
clip_event(void *ctx, json_object *o)
{
	const char *ev = event_log_str(o, "event"), *t = event_log_str(o, "time");
	if (!ev || !t)
		return 0;
	if (strcmp(ev, "clip_start") == 0)
		return clip_started(ctx, o, t);
	if (strcmp(ev, "clip_end") == 0)
		clip_ended(ctx, o, t);
	return 0;
}

int
render_read_events(FILE *f, struct render_clip **out, size_t *n, size_t *bad_lines)
{
	struct clip_reader rd = {0};
	struct event_log_counts counts;
	int r = event_log_read(f, clip_event, &rd, &counts);
	if (r < 0) {
		free(rd.clips);
		return r;
	}
	*out = rd.clips;
	*n = rd.n;
	if (bad_lines)
		*bad_lines = counts.bad_lines;
	return 0;
}

/* ---- SVG -------------------------------------------------------------- */

struct view {
	struct geo_proj proj;
	double minx, miny, maxx, maxy; /* metres */
	double scale;                  /* px per metre */
	double margin;
	int width, height;
};

static void
view_px(const struct view *v, double lat, double lon, double *px, double *py)
{
	struct geo_xy xy = geo_project(&v->proj, lat, lon);
	*px = v->margin + (xy.x - v->minx) * v->scale;
	*py = v->margin + (v->maxy - xy.y) * v->scale;
}

static void
xml_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				fputc(*s, f);
		}
	}
}

static const char *
lang_colour(const char *lang)
{
	static const struct {
		const char *lang, *colour;
	} table[] = {
		{"zh", "#d7301f"}, {"en", "#2b6cb0"}, {"ja", "#2f855a"},
		{"ko", "#805ad5"}, {"fr", "#dd6b20"}, {"de", "#4a5568"},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(lang, table[i].lang) == 0)
			return table[i].colour;
	return "#b7791f";
}

static void
extend(struct view *v, const struct geo_proj *p, double lat, double lon, double pad)
{
	struct geo_xy xy = geo_project(p, lat, lon);
	v->minx = fmin(v->minx, xy.x - pad);
	v->maxx = fmax(v->maxx, xy.x + pad);
	v->miny = fmin(v->miny, xy.y - pad);
	v->maxy = fmax(v->maxy, xy.y + pad);
}

static bool
tour_selected(const struct render_input *in, const struct route_tour *t)
{
	return !in->tour_id || strcmp(in->tour_id, t->id) == 0;
}

static bool
stop_selected(const struct render_input *in, unsigned idx)
{
	if (!in->tour_id)
		return true;
	for (unsigned t = 0; t < in->route->n_tours; t++) {
		const struct route_tour *tour = &in->route->tours[t];
		if (!tour_selected(in, tour))
			continue;
		for (unsigned i = 0; i < tour->n_stops; i++)
			if (tour->stops[i] == idx)
				return true;
	}
	return false;
}

/* position on the drive at time t, by linear interpolation */
static bool
track_at(const struct render_input *in, int64_t t, double *lat, double *lon)
{
	const struct render_point *tr = in->track;
	size_t n = in->n_track;
	if (n == 0 || tr[0].time_ms == 0)
		return false;
	if (t <= tr[0].time_ms) {
		*lat = tr[0].lat;
		*lon = tr[0].lon;
		return t == tr[0].time_ms;
	}
	size_t lo = 0, hi = n - 1;
	if (t >= tr[hi].time_ms) {
		*lat = tr[hi].lat;
		*lon = tr[hi].lon;
		return true;
	}
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (tr[mid].time_ms <= t)
			lo = mid;
		else
			hi = mid;
	}
	double span = (double)(tr[hi].time_ms - tr[lo].time_ms);
	double a = span > 0 ? (double)(t - tr[lo].time_ms) / span : 0;
	*lat = tr[lo].lat + a * (tr[hi].lat - tr[lo].lat);
	*lon = tr[lo].lon + a * (tr[hi].lon - tr[lo].lon);
	return true;
}

static void
draw_arrow(FILE *f, double x, double y, double heading_deg, const char *colour)
{
	/* a small chevron pointing along the heading (SVG y grows downwards) */
	fprintf(f,
		"<path d=\"M -6 5 L 0 -6 L 6 5 Z\" fill=\"%s\" "
		"transform=\"translate(%.1f %.1f) rotate(%.1f)\"/>\n",
		colour, x, y, heading_deg);
}

static double
nice_scale_length(double metres)
{
	static const double steps[] = {10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000};
	double best = steps[0];
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (steps[i] <= metres)
			best = steps[i];
	return best;
}

/* x,y of a point on the map, after sep: one vertex of a points="..." list */
static void
svg_point(FILE *f, const struct view *v, double lat, double lon, const char *sep)
{
	double px, py;
	view_px(v, lat, lon, &px, &py);
	fprintf(f, "%s%.1f,%.1f", sep, px, py);
}

/* The projection centred on the stops (or the drive when there are none),
 * and a frame around what is drawn; -EINVAL when there is nothing. */
static int
view_fit(struct view *v, const struct render_input *in)
{
	const struct route *r = in->route;
	double lat0 = 0, lon0 = 0;
	unsigned n0 = 0;

	*v = (struct view){
		.minx = INFINITY,
		.miny = INFINITY,
		.maxx = -INFINITY,
		.maxy = -INFINITY,
	};
	for (unsigned i = 0; i < r->n_stops; i++) {
		lat0 += r->stops[i].fence.center.lat;
		lon0 += r->stops[i].fence.center.lon;
		n0++;
	}
	for (size_t i = 0; n0 == 0 && i < in->n_track; i++) {
		lat0 += in->track[i].lat;
		lon0 += in->track[i].lon;
	}
	if (n0)
		geo_proj_init(&v->proj, lat0 / n0, lon0 / n0);
	else if (in->n_track)
		geo_proj_init(&v->proj, lat0 / in->n_track, lon0 / in->n_track);
	else
		return -EINVAL;

	for (unsigned i = 0; i < r->n_stops; i++) {
		if (!stop_selected(in, i))
			continue;
		const struct route_stop *s = &r->stops[i];
		extend(v, &v->proj, s->fence.center.lat, s->fence.center.lon,
		       s->fence.radius_m + 20);
	}
	for (unsigned t = 0; t < r->n_tours; t++) {
		if (!tour_selected(in, &r->tours[t]))
			continue;
		for (unsigned i = 0; i < r->tours[t].n_path; i++)
			extend(v, &v->proj, r->tours[t].path[i].lat, r->tours[t].path[i].lon, 20);
	}
	for (size_t i = 0; i < in->n_track; i++)
		extend(v, &v->proj, in->track[i].lat, in->track[i].lon, 10);
	if (!isfinite(v->minx))
		return -EINVAL;

	v->width = in->width_px > 0 ? in->width_px : 1200;
	v->margin = 40;
	double wm = fmax(v->maxx - v->minx, 50), hm = fmax(v->maxy - v->miny, 50);
	v->scale = (v->width - 2 * v->margin) / wm;
	v->height = (int)ceil(hm * v->scale + 2 * v->margin + 60); /* + legend band */
	return 0;
}

/* A geofence with its heading arrow and a haloed label above it. */
static void
draw_stop(FILE *f, const struct view *v, const struct route_stop *s)
{
	const struct route_fence *fence = &s->fence;
	double cx, cy;
	view_px(v, fence->center.lat, fence->center.lon, &cx, &cy);
	fprintf(f, "<g class=\"stop\" id=\"stop-");
	xml_text(f, s->id);
	fprintf(f, "\">");
	if (fence->kind == ROUTE_FENCE_CIRCLE) {
		fprintf(f,
			"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"#f6ad55\" "
			"fill-opacity=\"0.25\" stroke=\"#c05621\" stroke-width=\"1.5\"/>",
			cx, cy, fence->radius_m * v->scale);
	} else {
		fprintf(f, "<polygon points=\"");
		for (unsigned k = 0; k < fence->n_vertices; k++)
			svg_point(f, v, fence->vertices[k].lat, fence->vertices[k].lon,
				  k ? " " : "");
		fprintf(f, "\" fill=\"#f6ad55\" fill-opacity=\"0.25\" stroke=\"#c05621\" "
			   "stroke-width=\"1.5\"/>");
	}
	if (s->heading.set) {
		/* the direction of travel that fires this stop */
		double hx = cx + 18 * sin(s->heading.deg * M_PI / 180);
		double hy = cy - 18 * cos(s->heading.deg * M_PI / 180);
		draw_arrow(f, hx, hy, s->heading.deg, "#c05621");
	}
	/* the label sits above the fence, haloed, so the clip marks stay visible */
	double top = cy - fence->radius_m * v->scale;
	for (unsigned k = 0; fence->kind == ROUTE_FENCE_POLYGON && k < fence->n_vertices; k++) {
		double px, py;
		view_px(v, fence->vertices[k].lat, fence->vertices[k].lon, &px, &py);
		top = fmin(top, py);
	}
	const char *name = route_text_get(s->names, s->n_names, "en");
	fprintf(f, "<title>");
	xml_text(f, s->id);
	if (name) {
		fprintf(f, ": ");
		xml_text(f, name);
	}
	fprintf(f, "</title>");
	fprintf(f,
		"<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" font-weight=\"bold\" "
		"text-anchor=\"middle\" fill=\"#7b341e\" stroke=\"#f7f5ef\" "
		"stroke-width=\"3\" paint-order=\"stroke\">",
		cx, top - 5);
	xml_text(f, s->id);
	fprintf(f, "</text></g>\n");
}

/* A tour path, dashed, with direction arrows every ~90 px of map. */
static void
draw_path(FILE *f, const struct view *v, const struct route_tour *tour)
{
	fprintf(f, "<g class=\"path\" id=\"path-");
	xml_text(f, tour->id);
	fprintf(f, "\"><polyline fill=\"none\" stroke=\"#2d3748\" stroke-width=\"2\" "
		   "stroke-dasharray=\"6 4\" points=\"");
	for (unsigned i = 0; i < tour->n_path; i++)
		svg_point(f, v, tour->path[i].lat, tour->path[i].lon, i ? " " : "");
	fprintf(f, "\"/>\n");
	double carry = 40;
	for (unsigned i = 0; i + 1 < tour->n_path; i++) {
		double ax, ay, bx, by;
		view_px(v, tour->path[i].lat, tour->path[i].lon, &ax, &ay);
		view_px(v, tour->path[i + 1].lat, tour->path[i + 1].lon, &bx, &by);
		double len = hypot(bx - ax, by - ay);
		double hd = atan2(bx - ax, -(by - ay)) * 180 / M_PI;
		double pos = carry;
		while (pos < len) {
			double a = pos / len;
			draw_arrow(f, ax + a * (bx - ax), ay + a * (by - ay), hd, "#2d3748");
			pos += 90;
		}
		carry = pos - len;
	}
	fprintf(f, "</g>\n");
}

/* Where a clip played: the drive between its start and end, offset sideways
 * by language so consecutive clips stay visible. */
static void
draw_clip(FILE *f, const struct view *v, const struct render_input *in,
	  const struct render_clip *clip)
{
	const char *col = lang_colour(clip->lang);
	double slat = clip->start_lat, slon = clip->start_lon, elat, elon;
	if (!isfinite(slat) && !track_at(in, clip->start_ms, &slat, &slon))
		return;
	int64_t end = clip->end_ms ? clip->end_ms : clip->start_ms;
	bool have_end = track_at(in, end, &elat, &elon);
	double off = (strcmp(clip->lang, "en") == 0) ? 3.5 : -3.5;
	fprintf(f, "<g class=\"clip\" data-poi=\"");
	xml_text(f, clip->poi);
	fprintf(f, "\" data-lang=\"");
	xml_text(f, clip->lang);
	fprintf(f, "\" data-clip=\"");
	xml_text(f, clip->clip);
	fprintf(f, "\">");
	if (have_end && in->n_track > 1) {
		fprintf(f,
			"<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"5\" "
			"stroke-opacity=\"0.75\" stroke-linecap=\"round\" "
			"transform=\"translate(0 %.1f)\" points=\"",
			col, off);
		svg_point(f, v, slat, slon, "");
		for (size_t i = 0; i < in->n_track; i++) {
			if (in->track[i].time_ms <= clip->start_ms)
				continue;
			if (in->track[i].time_ms >= end)
				break;
			svg_point(f, v, in->track[i].lat, in->track[i].lon, " ");
		}
		svg_point(f, v, elat, elon, " ");
		double px, py;
		view_px(v, elat, elon, &px, &py);
		fprintf(f,
			"\"/><rect class=\"clip-end\" x=\"%.1f\" y=\"%.1f\" width=\"7\" "
			"height=\"7\" fill=\"%s\" stroke=\"#fff\"/>",
			px - 3.5, py - 3.5 + off, col);
	}
	double sx, sy;
	view_px(v, slat, slon, &sx, &sy);
	fprintf(f,
		"<circle class=\"clip-start\" cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"%s\" "
		"stroke=\"#fff\"/>",
		sx, sy + off, col);
	fprintf(f, "</g>\n");
}

/* Scale bar, north arrow and legend in the band below the map. */
static void
draw_legend(FILE *f, const struct view *v)
{
	double bar_m = nice_scale_length((v->width - 2 * v->margin) / v->scale / 4);
	double bar_px = bar_m * v->scale;
	double by = v->height - 30;
	fprintf(f,
		"<g id=\"scale\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"6\" "
		"fill=\"#2d3748\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">%.0f m</text></g>\n",
		v->margin, by, bar_px, v->margin + bar_px + 8, by + 7, bar_m);
	fprintf(f,
		"<g id=\"north\" transform=\"translate(%d 50)\"><path d=\"M 0 -22 L 9 8 L 0 2 "
		"L -9 8 Z\" fill=\"#2d3748\"/><text y=\"24\" font-size=\"14\" "
		"text-anchor=\"middle\">N</text></g>\n",
		v->width - 40);
	fprintf(f, "<g id=\"legend\" font-size=\"12\" transform=\"translate(%.1f %.1f)\">",
		v->margin + bar_px + 90, by - 4);
	fprintf(f, "<circle cx=\"0\" cy=\"6\" r=\"6\" fill=\"#f6ad55\" fill-opacity=\"0.4\" "
		   "stroke=\"#c05621\"/><text x=\"10\" y=\"10\">geofence</text>");
	fprintf(f,
		"<line x1=\"80\" y1=\"6\" x2=\"110\" y2=\"6\" stroke=\"#2d3748\" "
		"stroke-dasharray=\"6 4\" stroke-width=\"2\"/><text x=\"115\" y=\"10\">tour path</text>");
	fprintf(f, "<line x1=\"190\" y1=\"6\" x2=\"220\" y2=\"6\" stroke=\"#718096\"/>"
		   "<text x=\"225\" y=\"10\">drive</text>");
	fprintf(f,
		"<line x1=\"275\" y1=\"6\" x2=\"305\" y2=\"6\" stroke=\"%s\" stroke-width=\"5\"/>"
		"<text x=\"310\" y=\"10\">clip in zh</text>",
		lang_colour("zh"));
	fprintf(f,
		"<line x1=\"415\" y1=\"6\" x2=\"445\" y2=\"6\" stroke=\"%s\" stroke-width=\"5\"/>"
		"<text x=\"450\" y=\"10\">clip in en</text>",
		lang_colour("en"));
	fprintf(f, "<text x=\"570\" y=\"10\">● start  ■ end</text></g>\n");
}

int
render_svg(const struct render_input *in, FILE *f)
{
	const struct route *r = in->route;
	struct view v;
	if (view_fit(&v, in) < 0)
		return -EINVAL;

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n",
		v.width, v.height, v.width, v.height);
	fprintf(f, "<title>");
	xml_text(f, r->id);
	fprintf(f, " route map</title>\n");
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"#f7f5ef\"/>\n");

	fprintf(f, "<g id=\"stops\">\n");
	for (unsigned i = 0; i < r->n_stops; i++)
		if (stop_selected(in, i))
			draw_stop(f, &v, &r->stops[i]);
	fprintf(f, "</g>\n");

	fprintf(f, "<g id=\"paths\">\n");
	for (unsigned t = 0; t < r->n_tours; t++)
		if (tour_selected(in, &r->tours[t]) && r->tours[t].n_path >= 2)
			draw_path(f, &v, &r->tours[t]);
	fprintf(f, "</g>\n");

	/* the drive */
	if (in->n_track > 1) {
		fprintf(f, "<g id=\"track\"><polyline fill=\"none\" stroke=\"#718096\" "
			   "stroke-width=\"1\" stroke-opacity=\"0.8\" points=\"");
		for (size_t i = 0; i < in->n_track; i++)
			svg_point(f, &v, in->track[i].lat, in->track[i].lon, i ? " " : "");
		fprintf(f, "\"/></g>\n");
	}

	fprintf(f, "<g id=\"clips\">\n");
	for (size_t c = 0; c < in->n_clips; c++)
		draw_clip(f, &v, in, &in->clips[c]);
	fprintf(f, "</g>\n");

	draw_legend(f, &v);
	fprintf(f, "</svg>\n");
	return ferror(f) ? -EIO : 0;
}
