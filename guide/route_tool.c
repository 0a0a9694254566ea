#include "guide/route_tool.h"

#include "audio/clip.h"
#include "routes/geo.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

int
guide_route_probe(void *ctx, const char *path, int64_t *duration_ms, char *err, size_t errlen)
{
	int64_t frames = 0;
	int rc = clip_probe_tag(path, &frames, NULL, NULL, err, errlen);
	if (rc < 0)
		return rc;
	*duration_ms = frames * 1000 / HAL_AUDIO_RATE;
	return 0;
}

int
guide_route_probe_text(void *ctx, const char *path, int64_t *duration_ms, char **text, char *err,
		       size_t errlen)
{
	int64_t frames = 0;
	int rc = clip_probe_tag(path, &frames, GUIDE_CLIP_TEXT_TAG, text, err, errlen);
	if (rc < 0)
		return rc;
	*duration_ms = frames * 1000 / HAL_AUDIO_RATE;
	return 0;
}

void
guide_route_gain_from_tag(const char *value, struct route_clip_probe *info)
{
	info->target_lufs = CLIP_TARGET_LUFS;
	info->has_gain = false;
	if (!value)
		return;
	/* RFC 7845: a signed decimal Q7.8 dB, as libopusfile reads it */
	char *end;
	long q8 = strtol(value, &end, 10);
	if (end != value && !*end && q8 >= -32768 && q8 <= 32767) {
		info->has_gain = true;
		info->played_lufs =
			CLIP_R128_REFERENCE_LUFS - q8 / 256.0 + clip_play_gain_db((int)q8);
	}
}

int
guide_route_probe_info(void *ctx, const char *path, struct route_clip_probe *info, char *err,
		       size_t errlen)
{
	const char *tags[2] = {GUIDE_CLIP_TEXT_TAG, CLIP_TRACK_GAIN_TAG};
	char *values[2];
	int64_t frames = 0;
	int rc = clip_probe_tags(path, &frames, tags, values, 2, err, errlen);
	if (rc < 0)
		return rc;
	info->duration_ms = frames * 1000 / HAL_AUDIO_RATE;
	info->text = values[0];
	guide_route_gain_from_tag(values[1], info);
	free(values[1]);
	return 0;
}

/* The clip files probed, for guide_clip_census: a file the route names twice
 * is probed twice but counted once. */
struct census_clip {
	char *path;
	bool synthetic;
	char *engine; /* NULL: not said */
};

struct census_ctx {
	struct census_clip *clips;
	size_t n, cap;
};

static int
census_probe_info(void *ctx, const char *path, struct route_clip_probe *info, char *err,
		  size_t errlen)
{
	struct census_ctx *cc = ctx;
	static const char *const tags[] = {GUIDE_CLIP_TEXT_TAG, GUIDE_CLIP_SYNTHETIC_TAG,
					   GUIDE_CLIP_VOICE_TAG, CLIP_TRACK_GAIN_TAG};
	char *v[4];
	int64_t frames = 0;
	int rc = clip_probe_tags(path, &frames, tags, v, 4, err, errlen);
	if (rc < 0)
		return rc;
	info->duration_ms = frames * 1000 / HAL_AUDIO_RATE;
	info->text = v[0];
	guide_route_gain_from_tag(v[3], info);
	free(v[3]);
	if (cc->n == cc->cap) {
		size_t cap = cc->cap ? 2 * cc->cap : 64;
		struct census_clip *c = realloc(cc->clips, cap * sizeof(*c));
		if (!c)
			goto nomem;
		cc->clips = c;
		cc->cap = cap;
	}
	struct census_clip *c = &cc->clips[cc->n];
	c->path = strdup(path);
	c->synthetic = v[1] && strcmp(v[1], "1") == 0;
	c->engine = NULL;
	if (!c->path)
		goto nomem;
	if (c->synthetic && v[2]) {
		c->engine = v[2];
		c->engine[strcspn(c->engine, ":")] = '\0';
		v[2] = NULL;
	}
	cc->n++;
	free(v[1]);
	free(v[2]);
	return 0;
nomem:
	free(v[0]);
	free(v[1]);
	free(v[2]);
	info->text = NULL;
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

static int
census_cmp(const void *a, const void *b)
{
	const struct census_clip *x = a, *y = b;
	return strcmp(x->path, y->path);
}

static void
census_finish(struct census_ctx *cc, struct guide_clip_census *out)
{
	memset(out, 0, sizeof(*out));
	if (cc->n)
		qsort(cc->clips, cc->n, sizeof(*cc->clips), census_cmp);
	for (size_t i = 0; i < cc->n; i++) {
		const struct census_clip *c = &cc->clips[i];
		if (i > 0 && strcmp(c->path, cc->clips[i - 1].path) == 0)
			continue;
		out->n_clips++;
		if (!c->synthetic)
			continue;
		out->n_synthetic++;
		if (!c->engine || !c->engine[0])
			continue;
		/* the engine's name, once */
		size_t len = strlen(c->engine);
		bool seen = false;
		for (const char *e = out->engines; *e && !seen;) {
			size_t n = strcspn(e, ",");
			seen = n == len && strncmp(e, c->engine, len) == 0;
			e += n;
			e += strspn(e, ", ");
		}
		size_t used = strlen(out->engines);
		if (!seen)
			snprintf(out->engines + used, sizeof(out->engines) - used, "%s%s",
				 used ? ", " : "", c->engine);
	}
	for (size_t i = 0; i < cc->n; i++) {
		free(cc->clips[i].path);
		free(cc->clips[i].engine);
	}
	free(cc->clips);
	cc->clips = NULL;
	cc->n = cc->cap = 0;
}

void
guide_route_census_summary(FILE *out, const struct guide_clip_census *census)
{
	if (!census->n_synthetic)
		return;
	fprintf(out, "synthetic clips: %u of %u", census->n_synthetic, census->n_clips);
	if (census->engines[0])
		fprintf(out, " (%s)", census->engines);
	fprintf(out, ": record them to replace\n");
}

static int
route_load_report(const char *path, bool check_clips, FILE *err, struct route **out,
		  unsigned *n_warnings, struct guide_clip_census *census)
{
	struct route_diag_list diags;
	struct census_ctx cc = {0};
	struct route_load_options opts = {
		.probe_info = census ? census_probe_info : guide_route_probe_info,
		.probe_ctx = census ? &cc : NULL,
		.no_clip_check = !check_clips,
	};
	char line[4096];

	route_diag_list_init(&diags);
	int rc = route_load(path, &opts, out, &diags);
	if (census)
		census_finish(&cc, census);
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

int
guide_route_load(const char *path, bool check_clips, FILE *err, struct route **out,
		 unsigned *n_warnings)
{
	return route_load_report(path, check_clips, err, out, n_warnings, NULL);
}

int
guide_route_load_census(const char *path, FILE *err, struct route **out, unsigned *n_warnings,
			struct guide_clip_census *census)
{
	return route_load_report(path, true, err, out, n_warnings, census);
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

/* The tour's timing in both modes, a line each: languages one after
 * another (the sum of a stop's clips) and every language at once on its own
 * channels (guided --lang-channels: the longest clip).  Per mode, the stop
 * with the least slack and how many stops' stories outlast their transit. */
static void
print_channels_timing(FILE *out, const struct route *r, const struct route_tour *t,
		      const struct route_transit *tr)
{
	if (t->n_langs < 2)
		return;
	for (int mode = 0; mode < 2; mode++) {
		double tight = INFINITY;
		unsigned tight_k = 0, over = 0, n = 0;
		int64_t tight_ms = 0;
		for (unsigned k = 0; k < t->n_stops; k++) {
			int64_t ms = mode ? tr[k].longest_ms : tr[k].narration_ms;
			if (!tr[k].found || ms < 0)
				continue;
			n++;
			double slack = tr[k].seconds - ms / 1000.0;
			over += slack < 0;
			if (slack < tight) {
				tight = slack;
				tight_k = k;
				tight_ms = ms;
			}
		}
		if (!n)
			continue;
		fprintf(out,
			"  %s: least slack stop %s, %.1f s of narration in %.1f s transit; %u of "
			"%u stops overrun\n",
			mode ? "channels mode (all at once)" : "sequential (one after another)",
			r->stops[t->stops[tight_k]].id, tight_ms / 1000.0, tr[tight_k].seconds,
			over, n);
	}
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
	struct route_gain_summary g;
	route_gain_summary(r, &g);
	if (g.measured || g.unmeasured) {
		fprintf(out,
			"loudness: %u of %u clips measured (R128_TRACK_GAIN), played at %.0f LUFS",
			g.measured, g.clips, CLIP_TARGET_LUFS);
		if (g.off_target)
			fprintf(out, ", %u of them far from it (warned above)", g.off_target);
		if (g.unmeasured)
			fprintf(out,
				"; %u without: played at their recorded level (make-clips.sh, or "
				"guide-route gain)",
				g.unmeasured);
		fprintf(out, "\n");
	}
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
		print_channels_timing(out, r, t, tr);
		free(tr);
	}
}

/* ---- GeoJSON ------------------------------------------------------------- */

enum number_format {
	COORD,  /* degrees, %.7f: 1 cm */
	METRES, /* %.1f */
	PLAIN,  /* %g */
};

/* A number in a fixed format (never json-c's %.17g). */
static json_object *
number(enum number_format format, double v)
{
	char text[64];
	switch (format) {
	case COORD: snprintf(text, sizeof(text), "%.7f", v); break;
	case METRES: snprintf(text, sizeof(text), "%.1f", v); break;
	default: snprintf(text, sizeof(text), "%g", v); break;
	}
	return json_object_new_double_s(v, text);
}

static json_object *
coord(double lat, double lon)
{
	json_object *c = json_object_new_array_ext(2);
	json_object_array_add(c, number(COORD, lon));
	json_object_array_add(c, number(COORD, lat));
	return c;
}

#define CIRCLE_VERTICES 64

/* RFC 7946: the exterior ring counter-clockwise and closed. */
static json_object *
fence_ring(const struct route_fence *f)
{
	json_object *ring = json_object_new_array();
	if (f->kind == ROUTE_FENCE_CIRCLE) {
		struct geo_proj p;
		geo_proj_init(&p, f->center.lat, f->center.lon);
		for (int i = 0; i <= CIRCLE_VERTICES; i++) {
			/* counter-clockwise from east */
			double a = 2 * M_PI * (i % CIRCLE_VERTICES) / CIRCLE_VERTICES;
			double lat, lon;
			geo_unproject(&p,
				      (struct geo_xy){f->radius_m * cos(a), f->radius_m * sin(a)},
				      &lat, &lon);
			json_object_array_add(ring, coord(lat, lon));
		}
		return ring;
	}
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
		json_object_array_add(ring, coord(f->vertices[k].lat, f->vertices[k].lon));
	}
	return ring;
}

static json_object *
feature(json_object *props, const char *type, json_object *coordinates)
{
	json_object *geom = json_object_new_object();
	json_object_object_add(geom, "type", json_object_new_string(type));
	json_object_object_add(geom, "coordinates", coordinates);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("Feature"));
	json_object_object_add(o, "properties", props);
	json_object_object_add(o, "geometry", geom);
	return o;
}

static json_object *
stop_feature(const struct route *r, const struct route_stop *s)
{
	const struct route_fence *f = &s->fence;
	const char *name = route_text_get(s->names, s->n_names, r->n_langs ? r->langs[0] : "en");
	if (!name && s->n_names)
		name = s->names[0].text;
	json_object *p = json_object_new_object();
	json_object_object_add(p, "kind", json_object_new_string("poi"));
	json_object_object_add(p, "id", json_object_new_string(s->id));
	json_object_object_add(p, "name", json_object_new_string(name ? name : s->id));
	json_object *names = json_object_new_object();
	for (unsigned i = 0; i < s->n_names; i++)
		json_object_object_add(names, s->names[i].lang,
				       json_object_new_string(s->names[i].text));
	json_object_object_add(p, "names", names);
	json_object_object_add(
		p, "fence",
		json_object_new_string(f->kind == ROUTE_FENCE_CIRCLE ? "circle" : "polygon"));
	json_object_object_add(p, "priority", json_object_new_int(s->priority));
	if (f->kind == ROUTE_FENCE_CIRCLE) {
		/* radius_m and center mark a circle (DESIGN.md); polygons carry their
		 * derived centre under another name */
		json_object_object_add(p, "radius_m", number(METRES, f->radius_m));
		json_object_object_add(p, "center", coord(f->center.lat, f->center.lon));
	} else {
		json_object_object_add(p, "centroid", coord(f->center.lat, f->center.lon));
	}
	if (s->heading.set) {
		json_object_object_add(p, "heading_deg", number(PLAIN, s->heading.deg));
		json_object_object_add(p, "heading_tolerance_deg",
				       number(PLAIN, s->heading.tolerance_deg));
	}
	json_object *rings = json_object_new_array_ext(1);
	json_object_array_add(rings, fence_ring(f));
	return feature(p, "Polygon", rings);
}

static json_object *
path_feature(const struct route *r, const struct route_tour *t)
{
	json_object *p = json_object_new_object();
	json_object_object_add(p, "kind", json_object_new_string("path"));
	json_object_object_add(p, "tour", json_object_new_string(t->id));
	const char *title = route_text_get(t->titles, t->n_titles, t->n_langs ? t->langs[0] : "en");
	if (title)
		json_object_object_add(p, "title", json_object_new_string(title));
	json_object_object_add(p, "speed_kmh", number(PLAIN, t->speed_kmh));
	json_object *stops = json_object_new_array_ext((int)t->n_stops);
	for (unsigned k = 0; k < t->n_stops; k++)
		json_object_array_add(stops, json_object_new_string(r->stops[t->stops[k]].id));
	json_object_object_add(p, "stops", stops);
	json_object *line = json_object_new_array_ext((int)t->n_path);
	for (unsigned i = 0; i < t->n_path; i++)
		json_object_array_add(line, coord(t->path[i].lat, t->path[i].lon));
	return feature(p, "LineString", line);
}

int
guide_route_geojson(FILE *out, const struct route *r)
{
	json_object *fc = json_object_new_object();
	json_object_object_add(fc, "type", json_object_new_string("FeatureCollection"));
	json_object *props = json_object_new_object();
	json_object_object_add(props, "route", r->id ? json_object_new_string(r->id) : NULL);
	json_object_object_add(fc, "properties", props);
	json_object *features = json_object_new_array();
	for (unsigned i = 0; i < r->n_stops; i++)
		json_object_array_add(features, stop_feature(r, &r->stops[i]));
	for (unsigned i = 0; i < r->n_tours; i++)
		json_object_array_add(features, path_feature(r, &r->tours[i]));
	json_object_object_add(fc, "features", features);
	const char *text = json_object_to_json_string_ext(
		fc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	int rc = text && fputs(text, out) >= 0 && fputc('\n', out) != EOF ? 0 : -EIO;
	json_object_put(fc);
	return rc == 0 && fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}

/* Counts a clip: *had when it is there beside the source route, *lost when
 * it is, but not beside the converted one. */
static void
clip_moved(const struct route_clip *from, const struct route_clip *to, unsigned *had,
	   unsigned *lost)
{
	if (!from || !to || !from->path || access(from->path, R_OK) != 0)
		return;
	(*had)++;
	if (!to->path || access(to->path, R_OK) != 0)
		(*lost)++;
}

/* The clips: folder is relative to the route file (and may not leave its
 * folder): a converted route written elsewhere finds its clips only if they
 * are there too.  Says so on err when clips found beside the source are not
 * found beside output. */
static void
check_clips_follow(const char *path, const char *output, FILE *err)
{
	struct route_load_options opts = {.no_clip_check = true};
	struct route *a = NULL, *b = NULL;
	unsigned had = 0, lost = 0;

	if (route_load(path, &opts, &a, NULL) < 0 || route_load(output, &opts, &b, NULL) < 0)
		goto out;
	if (a->n_stops != b->n_stops || a->n_tours != b->n_tours)
		goto out;
	for (unsigned i = 0; i < a->n_stops; i++)
		for (unsigned k = 0; k < a->stops[i].n_clips && k < b->stops[i].n_clips; k++)
			clip_moved(&a->stops[i].clips[k], &b->stops[i].clips[k], &had, &lost);
	for (unsigned i = 0; i < a->n_tours; i++) {
		const struct route_tour *ta = &a->tours[i], *tb = &b->tours[i];
		for (unsigned k = 0; k < ROUTE_ANNOUNCE_COUNT; k++)
			for (unsigned j = 0;
			     j < ta->n_announcements[k] && j < tb->n_announcements[k]; j++)
				clip_moved(&ta->announcements[k][j], &tb->announcements[k][j], &had,
					   &lost);
		clip_moved(ta->music, tb->music, &had, &lost);
	}
	if (lost)
		fprintf(err,
			"guide-route: convert: warning: %s will not find its clips: %u of %u are "
			"not in %s (the clips: folder is relative to the route file and may not "
			"leave its folder); copy %s there, or write the converted route beside "
			"the original\n",
			output, lost, had, b->clip_dir, a->clip_dir);
out:
	route_destroy(a);
	route_destroy(b);
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
	else if (output)
		check_clips_follow(path, output, err);
	free(text);
	return status;
}
