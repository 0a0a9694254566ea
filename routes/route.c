/* The route loader: the file is read with a size cap, indexed for positions
 * (route_index.c), parsed by the libcyaml schema tables below into plain
 * "y_" structs, converted into the model of route.h (WGS-84, resolved clip
 * paths), then validated in one pass (route_check.c). */
#define _GNU_SOURCE
#include "routes/route_internal.h"

#include "routes/geo.h"

#include <cyaml/cyaml.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- languages --------------------------------------------------------- */

/* X-macro: every per-language mapping in the YAML has exactly these keys. */
#define ROUTE_LANGS(X) X(zh) X(en) X(ja) X(ko) X(fr) X(de) X(es) X(ru)

#define LANG_STR(l) #l,
const char *const route_supported_langs[] = {ROUTE_LANGS(LANG_STR) NULL};

bool
route_lang_supported(const char *lang)
{
	for (unsigned i = 0; route_supported_langs[i]; i++)
		if (lang && strcmp(lang, route_supported_langs[i]) == 0)
			return true;
	return false;
}

/* ---- the YAML side: plain structs filled by libcyaml -------------------- */

struct y_point {
	double lat, lon;
};

#define LANG_MEMBER_STR(l) char *l;
struct y_texts {
	ROUTE_LANGS(LANG_MEMBER_STR)
};

struct y_clip {
	char *file;
	char *text;
};

#define LANG_MEMBER_CLIP(l) struct y_clip *l;
struct y_clips {
	ROUTE_LANGS(LANG_MEMBER_CLIP)
};

struct y_circle {
	double lat, lon, radius_m;
};

struct y_heading {
	double deg;
	double *tolerance_deg;
};

struct y_stop {
	char *id;
	struct y_texts *name;
	struct y_circle *circle;
	struct y_point *polygon;
	unsigned polygon_count;
	struct y_heading *heading;
	int priority;
	double lead_s, lead_m;
	bool *play_once;
	double cooldown_s;
	struct y_clips *clips;
};

struct y_announcements {
	struct y_clips *welcome, *safety, *goodbye;
};

struct y_tour {
	char *id;
	struct y_texts *title;
	char **langs;
	unsigned langs_count;
	double *speed_kmh;
	char **stops;
	unsigned stops_count;
	struct y_point *path;
	unsigned path_count;
	struct y_announcements *announcements;
	struct y_clip *music;
};

struct y_route {
	char *id;
	struct y_texts *title;
	enum route_datum datum;
	char *clips;
	struct y_stop *stops;
	unsigned stops_count;
	struct y_tour *tours;
	unsigned tours_count;
};

#define OPT       CYAML_FLAG_OPTIONAL
#define PTR       CYAML_FLAG_POINTER
#define UNLIMITED CYAML_UNLIMITED

static const cyaml_schema_field_t point_fields[] = {
        CYAML_FIELD_FLOAT("lat", CYAML_FLAG_DEFAULT, struct y_point, lat),
        CYAML_FIELD_FLOAT("lon", CYAML_FLAG_DEFAULT, struct y_point, lon),
        CYAML_FIELD_END,
};
static const cyaml_schema_value_t point_value = {
        CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_point, point_fields),
};

#define LANG_FIELD_STR(l) CYAML_FIELD_STRING_PTR(#l, PTR | OPT, struct y_texts, l, 0, UNLIMITED),
static const cyaml_schema_field_t texts_fields[] = {
        ROUTE_LANGS(LANG_FIELD_STR) CYAML_FIELD_END,
};

static const cyaml_schema_field_t clip_fields[] = {
        CYAML_FIELD_STRING_PTR("file", PTR, struct y_clip, file, 1, UNLIMITED),
        CYAML_FIELD_STRING_PTR("text", PTR | OPT, struct y_clip, text, 0, UNLIMITED),
        CYAML_FIELD_END,
};

#define LANG_FIELD_CLIP(l) CYAML_FIELD_MAPPING_PTR(#l, PTR | OPT, struct y_clips, l, clip_fields),
static const cyaml_schema_field_t clips_fields[] = {
        ROUTE_LANGS(LANG_FIELD_CLIP) CYAML_FIELD_END,
};

static const cyaml_schema_field_t circle_fields[] = {
        CYAML_FIELD_FLOAT("lat", CYAML_FLAG_DEFAULT, struct y_circle, lat),
        CYAML_FIELD_FLOAT("lon", CYAML_FLAG_DEFAULT, struct y_circle, lon),
        CYAML_FIELD_FLOAT("radius_m", CYAML_FLAG_DEFAULT, struct y_circle, radius_m),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t heading_fields[] = {
        CYAML_FIELD_FLOAT("deg", CYAML_FLAG_DEFAULT, struct y_heading, deg),
        CYAML_FIELD_FLOAT_PTR("tolerance_deg", PTR | OPT, struct y_heading, tolerance_deg),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t stop_fields[] = {
        CYAML_FIELD_STRING_PTR("id", PTR, struct y_stop, id, 1, 64),
        CYAML_FIELD_MAPPING_PTR("name", PTR | OPT, struct y_stop, name, texts_fields),
        CYAML_FIELD_MAPPING_PTR("circle", PTR | OPT, struct y_stop, circle, circle_fields),
        CYAML_FIELD_SEQUENCE("polygon", PTR | OPT, struct y_stop, polygon, &point_value, 0, 1000),
        CYAML_FIELD_MAPPING_PTR("heading", PTR | OPT, struct y_stop, heading, heading_fields),
        CYAML_FIELD_INT("priority", OPT, struct y_stop, priority),
        CYAML_FIELD_FLOAT("lead_s", OPT, struct y_stop, lead_s),
        CYAML_FIELD_FLOAT("lead_m", OPT, struct y_stop, lead_m),
        CYAML_FIELD_BOOL_PTR("play_once", PTR | OPT, struct y_stop, play_once),
        CYAML_FIELD_FLOAT("cooldown_s", OPT, struct y_stop, cooldown_s),
        CYAML_FIELD_MAPPING_PTR("clips", PTR | OPT, struct y_stop, clips, clips_fields),
        CYAML_FIELD_END,
};
static const cyaml_schema_value_t stop_value = {
        CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_stop, stop_fields),
};

static const cyaml_schema_value_t string_value = {
        CYAML_VALUE_STRING(PTR, char, 1, 64),
};

static const cyaml_schema_field_t announcements_fields[] = {
        CYAML_FIELD_MAPPING_PTR("welcome", PTR | OPT, struct y_announcements, welcome,
                                clips_fields),
        CYAML_FIELD_MAPPING_PTR("safety", PTR | OPT, struct y_announcements, safety, clips_fields),
        CYAML_FIELD_MAPPING_PTR("goodbye", PTR | OPT, struct y_announcements, goodbye,
                                clips_fields),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t tour_fields[] = {
        CYAML_FIELD_STRING_PTR("id", PTR, struct y_tour, id, 1, 64),
        CYAML_FIELD_MAPPING_PTR("title", PTR | OPT, struct y_tour, title, texts_fields),
        CYAML_FIELD_SEQUENCE("langs", PTR, struct y_tour, langs, &string_value, 1, 8),
        CYAML_FIELD_FLOAT_PTR("speed_kmh", PTR | OPT, struct y_tour, speed_kmh),
        CYAML_FIELD_SEQUENCE("stops", PTR, struct y_tour, stops, &string_value, 1, 1000),
        CYAML_FIELD_SEQUENCE("path", PTR, struct y_tour, path, &point_value, 2, 100000),
        CYAML_FIELD_MAPPING_PTR("announcements", PTR | OPT, struct y_tour, announcements,
                                announcements_fields),
        CYAML_FIELD_MAPPING_PTR("music", PTR | OPT, struct y_tour, music, clip_fields),
        CYAML_FIELD_END,
};
static const cyaml_schema_value_t tour_value = {
        CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_tour, tour_fields),
};

static const cyaml_strval_t datum_strings[] = {
        {"wgs84", ROUTE_DATUM_WGS84},
        {"gcj02", ROUTE_DATUM_GCJ02},
        {"bd09", ROUTE_DATUM_BD09},
};

static const cyaml_schema_field_t route_fields[] = {
        CYAML_FIELD_STRING_PTR("id", PTR, struct y_route, id, 1, 64),
        CYAML_FIELD_MAPPING_PTR("title", PTR | OPT, struct y_route, title, texts_fields),
        CYAML_FIELD_ENUM("datum", OPT | CYAML_FLAG_STRICT, struct y_route, datum, datum_strings,
                         CYAML_ARRAY_LEN(datum_strings)),
        CYAML_FIELD_STRING_PTR("clips", PTR | OPT, struct y_route, clips, 0, 4096),
        CYAML_FIELD_SEQUENCE("stops", PTR, struct y_route, stops, &stop_value, 1, 1000),
        CYAML_FIELD_SEQUENCE("tours", PTR, struct y_route, tours, &tour_value, 1, 100),
        CYAML_FIELD_END,
};
static const cyaml_schema_value_t route_value = {
        CYAML_VALUE_MAPPING(PTR, struct y_route, route_fields),
};

/* ---- diagnostics -------------------------------------------------------- */

void
route_diag_list_init(struct route_diag_list *l)
{
	memset(l, 0, sizeof(*l));
}

void
route_diag_list_finish(struct route_diag_list *l)
{
	if (!l)
		return;
	for (unsigned i = 0; i < l->n; i++) {
		free(l->items[i].file);
		free(l->items[i].message);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

const char *
route_diag_severity_to_str(enum route_diag_severity s)
{
	return s == ROUTE_DIAG_WARNING ? "warning" : "error";
}

int
route_diag_format(const struct route_diag *d, char *buf, size_t len)
{
	return snprintf(buf, len, "%s:%u:%u: %s: %s", d->file, d->loc.line ? d->loc.line : 1,
	                d->loc.col ? d->loc.col : 1, route_diag_severity_to_str(d->severity),
	                d->message);
}

void
route_diag_addv(struct route_diag_list *l, enum route_diag_severity sev, const char *file,
                struct route_loc loc, const char *fmt, va_list ap)
{
	if (!l)
		return;
	if (sev == ROUTE_DIAG_ERROR)
		l->n_errors++;
	else
		l->n_warnings++;
	if (l->n == l->cap) {
		unsigned cap = l->cap ? l->cap * 2 : 16;
		struct route_diag *it = realloc(l->items, cap * sizeof(*it));
		if (!it)
			return; /* counted, not kept: better than failing the load */
		l->items = it;
		l->cap = cap;
	}
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	struct route_diag *d = &l->items[l->n];
	d->severity = sev;
	d->file = strdup(file ? file : "-");
	d->loc = loc;
	d->message = msg;
	if (!d->file) {
		free(msg);
		return;
	}
	l->n++;
}

void
route_diag_add(struct route_diag_list *l, enum route_diag_severity sev, const char *file,
               struct route_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	route_diag_addv(l, sev, file, loc, fmt, ap);
	va_end(ap);
}

/* ---- small helpers ------------------------------------------------------ */

const char *
route_datum_to_str(enum route_datum d)
{
	switch (d) {
	case ROUTE_DATUM_WGS84: return "wgs84";
	case ROUTE_DATUM_GCJ02: return "gcj02";
	case ROUTE_DATUM_BD09: return "bd09";
	}
	return "?";
}

int
route_datum_from_str(const char *s, enum route_datum *out)
{
	for (size_t i = 0; i < CYAML_ARRAY_LEN(datum_strings); i++)
		if (s && strcmp(s, datum_strings[i].str) == 0) {
			*out = (enum route_datum)datum_strings[i].val;
			return 0;
		}
	return -EINVAL;
}

const char *
route_announcement_to_str(enum route_announcement_kind k)
{
	switch (k) {
	case ROUTE_ANNOUNCE_WELCOME: return "welcome";
	case ROUTE_ANNOUNCE_SAFETY: return "safety";
	case ROUTE_ANNOUNCE_GOODBYE: return "goodbye";
	case ROUTE_ANNOUNCE_COUNT: break;
	}
	return "?";
}

const struct route_stop *
route_find_stop(const struct route *r, const char *id)
{
	for (unsigned i = 0; r && id && i < r->n_stops; i++)
		if (strcmp(r->stops[i].id, id) == 0)
			return &r->stops[i];
	return NULL;
}

const struct route_tour *
route_find_tour(const struct route *r, const char *id)
{
	for (unsigned i = 0; r && id && i < r->n_tours; i++)
		if (strcmp(r->tours[i].id, id) == 0)
			return &r->tours[i];
	return NULL;
}

const struct route_clip *
route_stop_clip(const struct route_stop *s, const char *lang)
{
	for (unsigned i = 0; s && lang && i < s->n_clips; i++)
		if (strcmp(s->clips[i].lang, lang) == 0)
			return &s->clips[i];
	return NULL;
}

const char *
route_text_get(const struct route_text *t, unsigned n, const char *lang)
{
	for (unsigned i = 0; t && lang && i < n; i++)
		if (strcmp(t[i].lang, lang) == 0)
			return t[i].text;
	return NULL;
}

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

/* Resolves the tours' stop ids; unknown ones are reported here since the
 * model keeps indices only. */
static void
resolve_tour_stops(struct conv *c, const struct y_route *y)
{
	struct route *r = c->r;
	for (unsigned i = 0; i < r->n_tours; i++) {
		struct route_tour *t = &r->tours[i];
		if (!t->stops)
			continue;
		for (unsigned k = 0; k < y->tours[i].stops_count; k++) {
			const char *id = y->tours[i].stops[k];
			const struct route_stop *s = route_find_stop(r, id);
			if (!s) {
				route_diag_add(c->diags, ROUTE_DIAG_ERROR, r->file,
				               route_index_loc(c->ix, "tours[%u].stops[%u]", i, k),
				               "tour '%s' names unknown stop '%s'", t->id, id);
				continue;
			}
			t->stops[t->n_stops++] = (unsigned)(s - r->stops);
		}
	}
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

/* ---- reading the file ---------------------------------------------------- */

static int check_text(const char *path, const unsigned char *buf, size_t len,
                      struct route_diag_list *diags);

int
route_read_file(const char *path, size_t max, unsigned char **buf_out, size_t *len_out,
                struct route_diag_list *diags)
{
	struct route_loc top = {1, 1};
	int rc;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		route_diag_add(diags, ROUTE_DIAG_ERROR, path, top, "cannot open the route file: %s",
		               strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		bool dir = S_ISDIR(st.st_mode);
		close(fd);
		route_diag_add(diags, ROUTE_DIAG_ERROR, path, top,
		               dir ? "is a directory, not a route file" : "is not a regular file");
		return dir ? -EISDIR : -EINVAL;
	}
	if ((unsigned long long)st.st_size > max) {
		close(fd);
		route_diag_add(diags, ROUTE_DIAG_ERROR, path, top,
		               "the file is too large (%lld bytes; a route file may be at most %zu "
		               "bytes)",
		               (long long)st.st_size, max);
		return -EFBIG;
	}
	unsigned char *buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	size_t len = 0;
	for (;;) {
		if (len == (size_t)st.st_size + 1)
			break; /* grew while reading: the cap check below catches it */
		ssize_t n = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			free(buf);
			route_diag_add(diags, ROUTE_DIAG_ERROR, path, top, "cannot read: %s",
			               strerror(e));
			return -e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > (size_t)st.st_size) {
		free(buf);
		route_diag_add(diags, ROUTE_DIAG_ERROR, path, top,
		               "the file changed while it was read");
		return -EAGAIN;
	}
	buf[len] = 0;
	rc = check_text(path, buf, len, diags);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*buf_out = buf;
	*len_out = len;
	return 0;
}

static int
copy_buffer(const char *path, const unsigned char *given, size_t len, size_t max,
            unsigned char **buf_out, size_t *len_out, struct route_diag_list *diags)
{
	if (len > max) {
		route_diag_add(diags, ROUTE_DIAG_ERROR, path, (struct route_loc){1, 1},
		               "the file is too large (%zu bytes; a route file may be at most %zu "
		               "bytes)",
		               len, max);
		return -EFBIG;
	}
	unsigned char *buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, given, len);
	buf[len] = 0;
	int rc = check_text(path, buf, len, diags);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*buf_out = buf;
	*len_out = len;
	return 0;
}

/* NUL bytes: libyaml would stop at them silently; say what it is */
static int
check_text(const char *path, const unsigned char *buf, size_t len, struct route_diag_list *diags)
{
	unsigned line = 1, col = 1;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == 0) {
			route_diag_add(diags, ROUTE_DIAG_ERROR, path, (struct route_loc){line, col},
			               "binary data (a NUL byte): a route file is UTF-8 text");
			return -EINVAL;
		}
		if (buf[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	return 0;
}

/* ---- libcyaml's log: its errors carry a position in the backtrace -------- */

struct cy_log {
	char msg[512];           /* the first error message */
	struct route_loc loc[2]; /* the first two backtrace positions after it */
	unsigned n_loc;
	bool have_msg;
};

static void cy_log_fn(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
	__attribute__((format(printf, 3, 0)));

static void
cy_log_fn(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
	struct cy_log *l = ctx;
	char line[512];

	if (level < CYAML_LOG_ERROR)
		return;
	vsnprintf(line, sizeof(line), fmt, args);
	line[strcspn(line, "\n")] = 0;
	const char *p = line;
	if (strncmp(p, "Load: ", 6) == 0)
		p += 6;
	if (strcmp(p, "Backtrace:") == 0)
		return;
	const char *at = strstr(p, "(line: ");
	if (at) {
		unsigned ln, cl;
		if (l->n_loc < 2 && sscanf(at, "(line: %u, column: %u)", &ln, &cl) == 2)
			l->loc[l->n_loc++] = (struct route_loc){ln, cl};
		return;
	}
	if (!l->have_msg) {
		snprintf(l->msg, sizeof(l->msg), "%s", p);
		l->have_msg = true;
	}
}

/* libcyaml's backtrace points at the last node it read, which is not always
 * where the curator should look: refine with the position index. */
static struct route_loc
cy_error_loc(const struct cy_log *l, const struct route_index *ix)
{
	static const char unexpected[] = "Unexpected key: ";
	static const char missing[] = "Missing required mapping field: ";
	struct route_loc first = l->n_loc ? l->loc[0] : (struct route_loc){1, 1};

	if (strncmp(l->msg, unexpected, sizeof(unexpected) - 1) == 0) {
		struct route_loc k =
		        route_index_key_after(ix, l->msg + sizeof(unexpected) - 1, first);
		return k.line ? k : first;
	}
	if (strncmp(l->msg, missing, sizeof(missing) - 1) == 0) {
		/* the first entry is the last field read inside the incomplete
		 * mapping; the next one is the mapping itself (none: the top level) */
		if (l->n_loc >= 2)
			return l->loc[1];
		struct route_loc root = route_index_loc(ix, "%s", "");
		return root.line ? root : (struct route_loc){1, 1};
	}
	return first;
}

/* ---- route_load ------------------------------------------------------------ */

static int load(const char *path, const unsigned char *given, size_t given_len,
                const struct route_load_options *opts, struct route **out,
                struct route_diag_list *diags);

int
route_load(const char *path, const struct route_load_options *opts, struct route **out,
           struct route_diag_list *diags)
{
	return load(path, NULL, 0, opts, out, diags);
}

int
route_load_buffer(const char *path, const void *buf, size_t len,
                  const struct route_load_options *opts, struct route **out,
                  struct route_diag_list *diags)
{
	return load(path, buf ? buf : "", buf ? len : 0, opts, out, diags);
}

static int
load(const char *path, const unsigned char *given, size_t given_len,
     const struct route_load_options *opts, struct route **out, struct route_diag_list *diags)
{
	static const struct route_load_options no_opts;
	struct route_diag_list local;
	struct route_index ix = {0};
	unsigned char *buf = NULL;
	size_t len = 0;
	struct y_route *y = NULL;
	struct route *r = NULL;
	struct cy_log log = {0};
	const cyaml_config_t cfg = {
	        .log_fn = cy_log_fn,
	        .log_ctx = &log,
	        .mem_fn = cyaml_mem,
	        .log_level = CYAML_LOG_ERROR,
	        .flags = CYAML_CFG_NO_ALIAS,
	};
	int rc;

	if (!opts)
		opts = &no_opts;
	if (!diags) {
		route_diag_list_init(&local);
		diags = &local;
	}
	unsigned errors_before = diags->n_errors;

	size_t max = opts->max_bytes ? opts->max_bytes : ROUTE_MAX_FILE_BYTES;
	if (given)
		rc = copy_buffer(path, given, given_len, max, &buf, &len, diags);
	else
		rc = route_read_file(path, max, &buf, &len, diags);
	if (rc < 0)
		goto out;
	rc = route_index_build(&ix, path, buf, len, diags);
	if (rc < 0)
		goto out;

	cyaml_err_t err = cyaml_load_data(buf, len, &cfg, &route_value, (cyaml_data_t **)&y, NULL);
	if (err != CYAML_OK) {
		route_diag_add(diags, ROUTE_DIAG_ERROR, path, cy_error_loc(&log, &ix), "%s",
		               log.have_msg ? log.msg : cyaml_strerror(err));
		rc = err == CYAML_ERR_OOM ? -ENOMEM : -EINVAL;
		y = NULL;
		goto out;
	}

	struct conv c = {.ix = &ix, .diags = diags};
	r = convert(&c, path, y);
	if (c.oom) {
		rc = -ENOMEM;
		route_diag_add(diags, ROUTE_DIAG_ERROR, path, (struct route_loc){1, 1},
		               "out of memory");
		goto out;
	}
	struct route_check_ctx check = {.ix = &ix, .opts = opts, .diags = diags};
	route_check(r, &check);
	rc = diags->n_errors > errors_before ? -EINVAL : 0;

out:
	if (y)
		cyaml_free(&cfg, &route_value, y, 0);
	route_index_finish(&ix);
	free(buf);
	if (rc == 0 && diags->n_errors > errors_before)
		rc = -EINVAL;
	if (rc == 0) {
		*out = r;
		r = NULL;
	}
	route_destroy(r);
	if (diags == &local)
		route_diag_list_finish(&local);
	return rc;
}
