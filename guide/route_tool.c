#include "guide/route_tool.h"

#include "audio/clip.h"
#include "routes/geo.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int
guide_route_probe(void *ctx, const char *path, int64_t *duration_ms, char *err, size_t errlen)
{
	int64_t frames = 0;
	int rc = clip_probe(path, &frames, err, errlen);
	if (rc < 0)
		return rc;
	*duration_ms = frames * 1000 / HAL_AUDIO_RATE;
	return 0;
}

int
guide_route_load(const char *path, bool check_clips, FILE *err, struct route **out,
                 unsigned *n_warnings)
{
	struct route_diag_list diags;
	struct route_load_options opts = {
	        .probe = guide_route_probe,
	        .no_clip_check = !check_clips,
	};
	char line[4096];

	route_diag_list_init(&diags);
	int rc = route_load(path, &opts, out, &diags);
	for (unsigned i = 0; i < diags.n; i++) {
		route_diag_format(&diags.items[i], line, sizeof(line));
		fprintf(err, "%s\n", line);
	}
	if (n_warnings)
		*n_warnings = diags.n_warnings;
	route_diag_list_finish(&diags);
	if (rc == 0)
		return 0;
	if (rc == -ENOMEM)
		return 1;
	return 2;
}

static double
path_length_m(const struct route_tour *t)
{
	double len = 0;
	for (unsigned i = 1; i < t->n_path; i++)
		len += geo_distance_m(t->path[i - 1].lat, t->path[i - 1].lon, t->path[i].lat,
		                      t->path[i].lon);
	return len;
}

void
guide_route_summary(FILE *out, const struct route *r)
{
	fprintf(out, "route %s: %u stops, %u tour%s, datum %s\n", r->id, r->n_stops, r->n_tours,
	        r->n_tours == 1 ? "" : "s", route_datum_to_str(r->datum));
	fprintf(out, "narration:");
	for (unsigned l = 0; l < r->n_langs; l++) {
		int64_t total = 0;
		unsigned n = 0, unknown = 0;
		for (unsigned i = 0; i < r->n_stops; i++) {
			const struct route_clip *c = route_stop_clip(&r->stops[i], r->langs[l]);
			if (!c)
				continue;
			n++;
			if (c->duration_ms < 0)
				unknown++;
			else
				total += c->duration_ms;
		}
		fprintf(out, "%s %s %.1f s in %u clips", l ? "," : "", r->langs[l], total / 1000.0,
		        n);
		if (unknown)
			fprintf(out, " (%u of unknown length)", unknown);
	}
	fprintf(out, "\n");
	for (unsigned ti = 0; ti < r->n_tours; ti++) {
		const struct route_tour *t = &r->tours[ti];
		double len = path_length_m(t);
		fprintf(out, "tour %s: %u stops, langs", t->id, t->n_stops);
		for (unsigned l = 0; l < t->n_langs; l++)
			fprintf(out, "%s%s", l ? "," : " ", t->langs[l]);
		fprintf(out, ", path %.0f m, %.1f min at %g km/h\n", len,
		        len / (t->speed_kmh / 3.6) / 60.0, t->speed_kmh);
		struct route_transit *tr = calloc(t->n_stops ? t->n_stops : 1, sizeof(*tr));
		if (!tr || route_tour_transits(r, t, tr) < 0) {
			free(tr);
			continue;
		}
		/* the longest clip, and the stop with the least slack */
		const struct route_clip *longest = NULL;
		unsigned longest_k = 0, tight_k = 0;
		double tight = INFINITY;
		for (unsigned k = 0; k < t->n_stops; k++) {
			const struct route_stop *s = &r->stops[t->stops[k]];
			for (unsigned l = 0; l < t->n_langs; l++) {
				const struct route_clip *c = route_stop_clip(s, t->langs[l]);
				if (c && (!longest || c->duration_ms > longest->duration_ms)) {
					longest = c;
					longest_k = k;
				}
			}
			if (tr[k].found && tr[k].narration_ms >= 0 &&
			    tr[k].seconds - tr[k].narration_ms / 1000.0 < tight) {
				tight = tr[k].seconds - tr[k].narration_ms / 1000.0;
				tight_k = k;
			}
		}
		if (longest && longest->duration_ms >= 0) {
			const struct route_transit *x = &tr[longest_k];
			fprintf(out,
			        "  longest clip: stop %s (%s) %.1f s; all languages %.1f s of %.1f "
			        "s "
			        "transit\n",
			        r->stops[t->stops[longest_k]].id, longest->lang,
			        longest->duration_ms / 1000.0, x->narration_ms / 1000.0,
			        x->seconds);
		}
		if (isfinite(tight))
			fprintf(out,
			        "  least slack: stop %s, %.1f s of narration in %.1f s transit\n",
			        r->stops[t->stops[tight_k]].id, tr[tight_k].narration_ms / 1000.0,
			        tr[tight_k].seconds);
		free(tr);
	}
}

/* ---- GeoJSON ------------------------------------------------------------- */

static void
json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void
json_coord(FILE *out, double lat, double lon)
{
	fprintf(out, "[%.7f,%.7f]", lon, lat);
}

#define CIRCLE_VERTICES 64

static void
stop_feature(FILE *out, const struct route *r, const struct route_stop *s)
{
	const struct route_fence *f = &s->fence;
	const char *name = route_text_get(s->names, s->n_names, r->n_langs ? r->langs[0] : "en");
	if (!name && s->n_names)
		name = s->names[0].text;
	fputs("{\"type\":\"Feature\",\"properties\":{\"kind\":\"poi\",\"id\":", out);
	json_str(out, s->id);
	fputs(",\"name\":", out);
	json_str(out, name ? name : s->id);
	fputs(",\"names\":{", out);
	for (unsigned i = 0; i < s->n_names; i++) {
		fprintf(out, "%s", i ? "," : "");
		json_str(out, s->names[i].lang);
		fputc(':', out);
		json_str(out, s->names[i].text);
	}
	fprintf(out, "},\"fence\":\"%s\",\"priority\":%d",
	        f->kind == ROUTE_FENCE_CIRCLE ? "circle" : "polygon", s->priority);
	if (f->kind == ROUTE_FENCE_CIRCLE) {
		/* radius_m and center mark a circle (DESIGN.md); polygons carry their
		 * derived centre under another name */
		fprintf(out, ",\"radius_m\":%.1f,\"center\":", f->radius_m);
		json_coord(out, f->center.lat, f->center.lon);
	} else {
		fputs(",\"centroid\":", out);
		json_coord(out, f->center.lat, f->center.lon);
	}
	if (s->heading.set)
		fprintf(out, ",\"heading_deg\":%g,\"heading_tolerance_deg\":%g", s->heading.deg,
		        s->heading.tolerance_deg);
	fputs("},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[", out);
	if (f->kind == ROUTE_FENCE_CIRCLE) {
		struct geo_proj p;
		geo_proj_init(&p, f->center.lat, f->center.lon);
		for (int i = 0; i <= CIRCLE_VERTICES; i++) {
			/* counter-clockwise from east, closed (RFC 7946 exterior ring) */
			double a = 2 * M_PI * (i % CIRCLE_VERTICES) / CIRCLE_VERTICES;
			double lat, lon;
			geo_unproject(&p,
			              (struct geo_xy){f->radius_m * cos(a), f->radius_m * sin(a)},
			              &lat, &lon);
			fprintf(out, "%s", i ? "," : "");
			json_coord(out, lat, lon);
		}
	} else {
		/* RFC 7946: exterior ring counter-clockwise */
		double area2 = 0;
		for (unsigned i = 0; i < f->n_vertices; i++) {
			const struct route_point *a = &f->vertices[i];
			const struct route_point *b = &f->vertices[(i + 1) % f->n_vertices];
			area2 += a->lon * b->lat - b->lon * a->lat;
		}
		for (unsigned i = 0; i <= f->n_vertices; i++) {
			unsigned k = i % f->n_vertices;
			if (area2 < 0)
				k = (f->n_vertices - k) % f->n_vertices;
			fprintf(out, "%s", i ? "," : "");
			json_coord(out, f->vertices[k].lat, f->vertices[k].lon);
		}
	}
	fputs("]]}}", out);
}

static void
path_feature(FILE *out, const struct route *r, const struct route_tour *t)
{
	fputs("{\"type\":\"Feature\",\"properties\":{\"kind\":\"path\",\"tour\":", out);
	json_str(out, t->id);
	const char *title = route_text_get(t->titles, t->n_titles, t->n_langs ? t->langs[0] : "en");
	if (title) {
		fputs(",\"title\":", out);
		json_str(out, title);
	}
	fprintf(out, ",\"speed_kmh\":%g,\"stops\":[", t->speed_kmh);
	for (unsigned k = 0; k < t->n_stops; k++) {
		fprintf(out, "%s", k ? "," : "");
		json_str(out, r->stops[t->stops[k]].id);
	}
	fputs("]},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[", out);
	for (unsigned i = 0; i < t->n_path; i++) {
		fprintf(out, "%s", i ? "," : "");
		json_coord(out, t->path[i].lat, t->path[i].lon);
	}
	fputs("]}}", out);
}

int
guide_route_geojson(FILE *out, const struct route *r)
{
	fputs("{\"type\":\"FeatureCollection\",\"properties\":{\"route\":", out);
	json_str(out, r->id);
	fputs("},\"features\":[\n", out);
	for (unsigned i = 0; i < r->n_stops; i++) {
		stop_feature(out, r, &r->stops[i]);
		fputs(i + 1 < r->n_stops || r->n_tours ? ",\n" : "\n", out);
	}
	for (unsigned i = 0; i < r->n_tours; i++) {
		path_feature(out, r, &r->tours[i]);
		fputs(i + 1 < r->n_tours ? ",\n" : "\n", out);
	}
	fputs("]}\n", out);
	return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}

int
guide_route_convert(const char *path, enum route_datum to, const char *output, FILE *err)
{
	struct route_diag_list diags;
	char *text = NULL, line[4096];
	size_t len = 0;
	int status = 0;

	route_diag_list_init(&diags);
	int rc = route_convert_datum(path, to, &text, &len, &diags);
	for (unsigned i = 0; i < diags.n; i++) {
		route_diag_format(&diags.items[i], line, sizeof(line));
		fprintf(err, "%s\n", line);
	}
	route_diag_list_finish(&diags);
	if (rc < 0)
		return rc == -ENOMEM ? 1 : 2;
	FILE *out = output ? fopen(output, "w") : stdout;
	if (!out) {
		fprintf(err, "guide-route: convert: cannot write %s: %s\n", output,
		        strerror(errno));
		free(text);
		return 1;
	}
	if (fwrite(text, 1, len, out) != len || fflush(out) != 0)
		status = 1;
	if (output && fclose(out) != 0)
		status = 1;
	if (status)
		fprintf(err, "guide-route: convert: write failed\n");
	free(text);
	return status;
}
