/* Datum conversion of a route file's text: each {lat, lon} pair is rewritten
 * in place, found through the position index, so the curator's comments and
 * layout survive. */
#define _GNU_SOURCE
#include "routes/route_internal.h"

#include "routes/geo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct edit {
	size_t start, end;
	char text[64];
};

static int
edit_cmp(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static void
to_wgs84(enum route_datum from, double *lat, double *lon)
{
	double glat = *lat, glon = *lon;
	switch (from) {
	case ROUTE_DATUM_WGS84: return;
	case ROUTE_DATUM_BD09:
		geo_bd09_to_gcj02(*lat, *lon, &glat, &glon);
		/* fall through */
	case ROUTE_DATUM_GCJ02: geo_gcj02_to_wgs84(glat, glon, lat, lon); return;
	}
}

static void
from_wgs84(enum route_datum to, double *lat, double *lon)
{
	double glat, glon;
	switch (to) {
	case ROUTE_DATUM_WGS84: return;
	case ROUTE_DATUM_GCJ02: geo_wgs84_to_gcj02(*lat, *lon, lat, lon); return;
	case ROUTE_DATUM_BD09:
		geo_wgs84_to_gcj02(*lat, *lon, &glat, &glon);
		geo_gcj02_to_bd09(glat, glon, lat, lon);
		return;
	}
}

/* libyaml's mark.index counts characters, not bytes: map one to the other. */
static size_t *
char_offsets(const unsigned char *buf, size_t len, size_t *n_out)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += (buf[i] & 0xC0) != 0x80;
	size_t *off = calloc(n + 2, sizeof(*off));
	if (!off)
		return NULL;
	n = 0;
	for (size_t i = 0; i < len; i++)
		if ((buf[i] & 0xC0) != 0x80)
			off[n++] = i;
	off[n] = len;
	*n_out = n;
	return off;
}

static int
find_cmp(const void *key, const void *e)
{
	return strcmp(key, ((const struct route_index_entry *)e)->path);
}

/* the index is sorted by path */
static const struct route_index_entry *
find(const struct route_index *ix, const char *path)
{
	return ix->n ? bsearch(path, ix->e, ix->n, sizeof(*ix->e), find_cmp) : NULL;
}

int
route_convert_datum(const char *path, enum route_datum to, char **out, size_t *out_len,
		    struct route_diag_list *diags)
{
	struct route_load_options opts = {.no_clip_check = true};
	struct route *r = NULL;
	struct route_index ix = {0};
	unsigned char *buf = NULL;
	size_t len = 0;
	struct edit *edits = NULL;
	size_t n_edits = 0;
	char *text = NULL;
	size_t *off = NULL;
	int rc;

	rc = route_load(path, &opts, &r, diags);
	if (rc < 0)
		return rc;
	enum route_datum from = r->datum;
	route_destroy(r);
	rc = route_read_file(&route_file_kind, path, NULL, 0, 0, &buf, &len, diags);
	if (rc < 0)
		goto out;
	rc = route_index_build(&ix, &route_file_kind, NULL, path, buf, len, diags);
	if (rc < 0)
		goto out;
	edits = calloc(ix.n + 1, sizeof(*edits));
	size_t n_chars = 0;
	off = char_offsets(buf, len, &n_chars);
	if (!edits || !off) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < ix.n; i++) {
		ix.e[i].start = off[ix.e[i].start <= n_chars ? ix.e[i].start : n_chars];
		ix.e[i].end = off[ix.e[i].end <= n_chars ? ix.e[i].end : n_chars];
	}
	for (size_t i = 0; i < ix.n; i++) {
		const struct route_index_entry *la = &ix.e[i];
		size_t pl = strlen(la->path);
		if (pl < 3 || strcmp(la->path + pl - 3, "lat") != 0 ||
		    (pl > 3 && la->path[pl - 4] != '.'))
			continue;
		char lon_path[512];
		snprintf(lon_path, sizeof(lon_path), "%.*slon", (int)(pl - 3), la->path);
		const struct route_index_entry *lo = find(&ix, lon_path);
		if (!lo)
			continue;
		double lat = strtod((const char *)buf + la->start, NULL);
		double lon = strtod((const char *)buf + lo->start, NULL);
		to_wgs84(from, &lat, &lon);
		from_wgs84(to, &lat, &lon);
		edits[n_edits] = (struct edit){.start = la->start, .end = la->end};
		snprintf(edits[n_edits++].text, sizeof(edits->text), "%.7f", lat);
		edits[n_edits] = (struct edit){.start = lo->start, .end = lo->end};
		snprintf(edits[n_edits++].text, sizeof(edits->text), "%.7f", lon);
	}
	const struct route_index_entry *d = find(&ix, "datum");
	const struct route_index_entry *id = find(&ix, "id");
	if (d) {
		edits[n_edits] = (struct edit){.start = d->start, .end = d->end};
		snprintf(edits[n_edits++].text, sizeof(edits->text), "%s", route_datum_to_str(to));
	} else if (id) {
		/* no datum: line yet; add one after the id: line */
		const char *nl = memchr(buf + id->end, '\n', len - id->end);
		size_t at = nl ? (size_t)(nl - (const char *)buf) + 1 : len;
		edits[n_edits] = (struct edit){.start = at, .end = at};
		snprintf(edits[n_edits++].text, sizeof(edits->text), "%sdatum: %s\n",
			 nl ? "" : "\n", route_datum_to_str(to));
	}
	qsort(edits, n_edits, sizeof(*edits), edit_cmp);
	size_t cap = len + n_edits * sizeof(edits->text) + 1, o = 0, at = 0;
	text = malloc(cap);
	if (!text) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n_edits; i++) {
		memcpy(text + o, buf + at, edits[i].start - at);
		o += edits[i].start - at;
		size_t tl = strlen(edits[i].text);
		memcpy(text + o, edits[i].text, tl);
		o += tl;
		at = edits[i].end;
	}
	memcpy(text + o, buf + at, len - at);
	o += len - at;
	text[o] = 0;
	*out = text;
	*out_len = o;
	text = NULL;
	rc = 0;
out:
	free(text);
	free(edits);
	free(off);
	route_index_finish(&ix);
	free(buf);
	return rc;
}
