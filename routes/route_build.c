/* The model of route.h built from the YAML structs libcyaml filled: points
 * converted to WGS-84, clip paths resolved against the route folder, tour
 * stop ids resolved to indices; and the model's destruction. */
#define _GNU_SOURCE
#include "routes/route_internal.h"

#include "routes/geo.h"

#include <cyaml/cyaml.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- freeing ------------------------------------------------------------ */

static void
texts_free(struct route_text *t, unsigned n)
{
	for (unsigned i = 0; t && i < n; i++) {
		free(t[i].lang);
		free(t[i].text);
	}
	free(t);
}

static void
clip_finish(struct route_clip *c)
{
	free(c->lang);
	free(c->file);
	free(c->path);
	free(c->transcript);
}

static void
clips_free(struct route_clip *c, unsigned n)
{
	for (unsigned i = 0; c && i < n; i++)
		clip_finish(&c[i]);
	free(c);
}

static void
strv_free(char **v, unsigned n)
{
	for (unsigned i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void
route_destroy(struct route *r)
{
	if (!r)
		return;
	for (unsigned i = 0; r->stops && i < r->n_stops; i++) {
		struct route_stop *s = &r->stops[i];
		free(s->id);
		texts_free(s->names, s->n_names);
		free(s->fence.vertices);
		clips_free(s->clips, s->n_clips);
	}
	free(r->stops);
	for (unsigned i = 0; r->tours && i < r->n_tours; i++) {
		struct route_tour *t = &r->tours[i];
		free(t->id);
		texts_free(t->titles, t->n_titles);
		strv_free(t->langs, t->n_langs);
		free(t->stops);
		free(t->path);
		for (int k = 0; k < ROUTE_ANNOUNCE_COUNT; k++)
			clips_free(t->announcements[k], t->n_announcements[k]);
		if (t->music)
			clips_free(t->music, 1);
	}
	free(r->tours);
	free(r->file);
	free(r->base_dir);
	free(r->clip_dir);
	free(r->id);
	texts_free(r->titles, r->n_titles);
	strv_free(r->langs, r->n_langs);
	free(r);
}

/* ---- conversion from the YAML structs ---------------------------------- */

struct conv {
	struct route *r;
	const struct route_index *ix;
	struct route_diag_list *diags;
	bool oom;
};

static char *
xstrdup(struct conv *c, const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		c->oom = true;
	return d;
}

static void *
xcalloc(struct conv *c, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		c->oom = true;
	return p;
}

static struct route_text *
conv_texts(struct conv *c, const struct y_texts *y, unsigned *n_out)
{
	*n_out = 0;
	if (!y)
		return NULL;
	const char *v[] = {
#define LANG_VAL(l) y->l,
		ROUTE_LANGS(LANG_VAL)
#undef LANG_VAL
	};
	struct route_text *t = xcalloc(c, CYAML_ARRAY_LEN(v), sizeof(*t));
	if (!t)
		return NULL;
	for (unsigned i = 0; i < CYAML_ARRAY_LEN(v); i++) {
		if (!v[i])
			continue;
		t[*n_out].lang = xstrdup(c, route_supported_langs[i]);
		t[*n_out].text = xstrdup(c, v[i]);
		(*n_out)++;
	}
	return t;
}

/* A point as written, converted to WGS-84 (out-of-range values are kept as
 * written: the check reports them). */
static struct route_point
conv_point(const struct route *r, double lat, double lon)
{
	struct route_point p = {lat, lon};
	if (lat < -90 || lat > 90 || lon < -180 || lon > 180)
		return p;
	double glat = lat, glon = lon;
	switch (r->datum) {
	case ROUTE_DATUM_WGS84: return p;
	case ROUTE_DATUM_BD09:
		geo_bd09_to_gcj02(lat, lon, &glat, &glon);
		/* fall through */
	case ROUTE_DATUM_GCJ02: geo_gcj02_to_wgs84(glat, glon, &p.lat, &p.lon); return p;
	}
	return p;
}

static void
conv_clip(struct conv *c, struct route_clip *d, const char *lang, const struct y_clip *y,
	  struct route_loc loc)
{
	d->lang = xstrdup(c, lang);
	d->file = xstrdup(c, y->file);
	d->transcript = y->text ? xstrdup(c, y->text) : NULL;
	d->duration_ms = -1;
	d->loc = loc;
	if (d->file && c->r->clip_dir) {
		if (asprintf(&d->path, "%s/%s", c->r->clip_dir, d->file) < 0) {
			d->path = NULL;
			c->oom = true;
		}
	}
}

/* prefix: index path of the per-language mapping, e.g. "stops[2].clips" */
static struct route_clip *
conv_clips(struct conv *c, const struct y_clips *y, const char *prefix, unsigned *n_out)
{
	*n_out = 0;
	if (!y)
		return NULL;
	const struct y_clip *v[] = {
#define LANG_VAL(l) y->l,
		ROUTE_LANGS(LANG_VAL)
#undef LANG_VAL
	};
	struct route_clip *out = xcalloc(c, CYAML_ARRAY_LEN(v), sizeof(*out));
	if (!out)
		return NULL;
	for (unsigned i = 0; i < CYAML_ARRAY_LEN(v); i++) {
		if (!v[i])
			continue;
		const char *lang = route_supported_langs[i];
		struct route_loc loc = route_index_loc(c->ix, "%s.%s.file", prefix, lang);
		conv_clip(c, &out[*n_out], lang, v[i], loc);
		(*n_out)++;
	}
	return out;
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static void
conv_stop(struct conv *c, struct route_stop *s, const struct y_stop *y, unsigned i)
{
	struct route *r = c->r;

	s->id = xstrdup(c, y->id);
	s->names = conv_texts(c, y->name, &s->n_names);
	s->loc = route_index_loc(c->ix, "stops[%u]", i);
	if (y->circle) {
		s->fence.kind = ROUTE_FENCE_CIRCLE;
		s->fence.center = conv_point(r, y->circle->lat, y->circle->lon);
		s->fence.radius_m = y->circle->radius_m;
	} else if (y->polygon) {
		s->fence.kind = ROUTE_FENCE_POLYGON;
		s->fence.n_vertices = y->polygon_count;
		s->fence.vertices = xcalloc(c, y->polygon_count, sizeof(*s->fence.vertices));
		for (unsigned k = 0; s->fence.vertices && k < y->polygon_count; k++)
			s->fence.vertices[k] = conv_point(r, y->polygon[k].lat, y->polygon[k].lon);
		/* drop a closing vertex repeated by the curator: the model is an open ring */
		if (s->fence.n_vertices >= 2 && s->fence.vertices &&
		    s->fence.vertices[0].lat == s->fence.vertices[s->fence.n_vertices - 1].lat &&
		    s->fence.vertices[0].lon == s->fence.vertices[s->fence.n_vertices - 1].lon)
			s->fence.n_vertices--;
		/* centre and radius are filled by the check, once the ring is known valid */
	}
	if (y->heading) {
		s->heading.set = true;
		s->heading.deg = y->heading->deg;
		s->heading.tolerance_deg =
			y->heading->tolerance_deg ? *y->heading->tolerance_deg : 45;
	}
	s->priority = y->priority;
	s->lead_s = y->lead_s;
	s->lead_m = y->lead_m;
	s->play_once = y->play_once ? *y->play_once : true;
	s->cooldown_s = y->cooldown_s;
	s->max_volume = y->max_volume ? *y->max_volume : -1;
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "stops[%u].clips", i);
	s->clips = conv_clips(c, y->clips, prefix, &s->n_clips);
}

static void
conv_tour(struct conv *c, struct route_tour *t, const struct y_tour *y, unsigned i)
{
	t->id = xstrdup(c, y->id);
	t->titles = conv_texts(c, y->title, &t->n_titles);
	t->loc = route_index_loc(c->ix, "tours[%u]", i);
	t->langs = xcalloc(c, y->langs_count, sizeof(char *));
	for (unsigned k = 0; t->langs && k < y->langs_count; k++)
		t->langs[k] = xstrdup(c, y->langs[k]);
	t->n_langs = t->langs ? y->langs_count : 0;
	/* stop ids are resolved by the check (it reports unknown ones) */
	t->stops = xcalloc(c, y->stops_count, sizeof(unsigned));
	t->n_stops = 0;
	t->path = xcalloc(c, y->path_count, sizeof(*t->path));
	for (unsigned k = 0; t->path && k < y->path_count; k++)
		t->path[k] = conv_point(c->r, y->path[k].lat, y->path[k].lon);
	t->n_path = t->path ? y->path_count : 0;
	t->speed_kmh = y->speed_kmh ? *y->speed_kmh : 12.0;
	if (y->announcements) {
		const struct y_clips *a[ROUTE_ANNOUNCE_COUNT] = {y->announcements->welcome,
								 y->announcements->safety,
								 y->announcements->goodbye};
		for (int k = 0; k < ROUTE_ANNOUNCE_COUNT; k++) {
			char prefix[96];
			snprintf(prefix, sizeof(prefix), "tours[%u].announcements.%s", i,
				 route_announcement_to_str((enum route_announcement_kind)k));
			t->announcements[k] = conv_clips(c, a[k], prefix, &t->n_announcements[k]);
		}
	}
	if (y->music) {
		t->music = xcalloc(c, 1, sizeof(*t->music));
		if (t->music)
			conv_clip(c, t->music, "", y->music,
				  route_index_loc(c->ix, "tours[%u].music.file", i));
	}
}

static int
id_entry_cmp(const void *a, const void *b)
{
	const struct route_id_entry *x = a, *y = b;
	int c = strcmp(x->id, y->id);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

struct route_id_entry *
route_ids_sorted(const void *items, size_t stride, size_t offset, unsigned n)
{
	struct route_id_entry *e = calloc(n ? n : 1, sizeof(*e));
	if (!e)
		return NULL;
	for (unsigned i = 0; i < n; i++) {
		const char *id = *(char *const *)((const char *)items + i * stride + offset);
		e[i] = (struct route_id_entry){id ? id : "", i};
	}
	qsort(e, n, sizeof(*e), id_entry_cmp);
	return e;
}

long
route_ids_find(const struct route_id_entry *e, unsigned n, const char *id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) { /* the first entry not less than id */
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(e[mid].id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && strcmp(e[lo].id, id) == 0 ? (long)e[lo].i : -1;
}

/* Resolves the tours' stop ids; unknown ones are reported here since the
 * model keeps indices only. */
static void
resolve_tour_stops(struct conv *c, const struct y_route *y)
{
	struct route *r = c->r;
	struct route_id_entry *ids = route_ids_sorted(r->stops, sizeof(*r->stops),
						      offsetof(struct route_stop, id), r->n_stops);
	if (!ids) {
		c->oom = true;
		return;
	}
	for (unsigned i = 0; i < r->n_tours; i++) {
		struct route_tour *t = &r->tours[i];
		if (!t->stops)
			continue;
		for (unsigned k = 0; k < y->tours[i].stops_count; k++) {
			const char *id = y->tours[i].stops[k];
			long s = route_ids_find(ids, r->n_stops, id);
			if (s < 0) {
				route_diag_add(c->diags, ROUTE_DIAG_ERROR, r->file,
					       route_index_loc(c->ix, "tours[%u].stops[%u]", i, k),
					       "tour '%s' names unknown stop '%s'", t->id, id);
				continue;
			}
			t->stops[t->n_stops++] = (unsigned)s;
		}
	}
	free(ids);
}

static struct route *
convert(struct conv *c, const char *path, const struct y_route *y)
{
	struct route *r = xcalloc(c, 1, sizeof(*r));
	if (!r)
		return NULL;
	c->r = r;
	r->file = xstrdup(c, path);
	r->base_dir = dir_of(path);
	if (!r->base_dir)
		c->oom = true;
	r->id = xstrdup(c, y->id);
	r->titles = conv_texts(c, y->title, &r->n_titles);
	r->datum = y->datum;
	if (y->clips && route_path_escapes(y->clips)) {
		route_diag_add(c->diags, ROUTE_DIAG_ERROR, path, route_index_loc(c->ix, "clips"),
			       "clip folder '%s' leaves the route folder (absolute paths and '..' "
			       "are not allowed)",
			       y->clips);
	} else if (r->base_dir) {
		if (y->clips && y->clips[0]) {
			if (asprintf(&r->clip_dir, "%s/%s", r->base_dir, y->clips) < 0) {
				r->clip_dir = NULL;
				c->oom = true;
			}
		} else {
			r->clip_dir = xstrdup(c, r->base_dir);
		}
	}
	r->stops = xcalloc(c, y->stops_count, sizeof(*r->stops));
	if (r->stops) {
		r->n_stops = y->stops_count;
		for (unsigned i = 0; i < y->stops_count; i++)
			conv_stop(c, &r->stops[i], &y->stops[i], i);
	}
	r->tours = xcalloc(c, y->tours_count, sizeof(*r->tours));
	if (r->tours) {
		r->n_tours = y->tours_count;
		for (unsigned i = 0; i < y->tours_count; i++)
			conv_tour(c, &r->tours[i], &y->tours[i], i);
	}
	/* route->langs: every language some tour is narrated in, first seen first */
	unsigned total = 0;
	for (unsigned i = 0; i < r->n_tours; i++)
		total += r->tours[i].n_langs;
	r->langs = xcalloc(c, total, sizeof(char *));
	for (unsigned i = 0; r->langs && i < r->n_tours; i++)
		for (unsigned k = 0; k < r->tours[i].n_langs; k++) {
			const char *l = r->tours[i].langs[k];
			bool seen = false;
			for (unsigned j = 0; j < r->n_langs; j++)
				seen = seen || (l && strcmp(r->langs[j], l) == 0);
			if (l && !seen)
				r->langs[r->n_langs++] = xstrdup(c, l);
		}
	resolve_tour_stops(c, y);
	return r;
}

int
route_build(const char *path, const struct y_route *y, const struct route_index *ix,
	    struct route_diag_list *diags, struct route **out)
{
	struct conv c = {.ix = ix, .diags = diags};
	struct route *r = convert(&c, path, y);
	if (c.oom) {
		route_destroy(r);
		return -ENOMEM;
	}
	*out = r;
	return 0;
}
