/* The route file's libcyaml schema: the tables that fill the plain "y_"
 * structs of route_internal.h and the datum names they accept; the file is
 * read through yaml_file.c. */
#define _GNU_SOURCE
#include "routes/route_internal.h"

#include <cyaml/cyaml.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define OPT CYAML_FLAG_OPTIONAL
#define PTR CYAML_FLAG_POINTER
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
	CYAML_FIELD_SEQUENCE("polygon", PTR | OPT, struct y_stop, polygon, &point_value, 0,
			     ROUTE_MAX_POLYGON),
	CYAML_FIELD_MAPPING_PTR("heading", PTR | OPT, struct y_stop, heading, heading_fields),
	CYAML_FIELD_INT("priority", OPT, struct y_stop, priority),
	CYAML_FIELD_FLOAT("lead_s", OPT, struct y_stop, lead_s),
	CYAML_FIELD_FLOAT("lead_m", OPT, struct y_stop, lead_m),
	CYAML_FIELD_BOOL_PTR("play_once", PTR | OPT, struct y_stop, play_once),
	CYAML_FIELD_FLOAT("cooldown_s", OPT, struct y_stop, cooldown_s),
	CYAML_FIELD_FLOAT_PTR("max_volume", PTR | OPT, struct y_stop, max_volume),
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
	CYAML_FIELD_SEQUENCE("stops", PTR, struct y_tour, stops, &string_value, 1, ROUTE_MAX_STOPS),
	CYAML_FIELD_SEQUENCE("path", PTR, struct y_tour, path, &point_value, 2, ROUTE_MAX_PATH),
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
	CYAML_FIELD_SEQUENCE("stops", PTR, struct y_route, stops, &stop_value, 1, ROUTE_MAX_STOPS),
	CYAML_FIELD_SEQUENCE("tours", PTR, struct y_route, tours, &tour_value, 1, ROUTE_MAX_TOURS),
	CYAML_FIELD_END,
};
static const cyaml_schema_value_t route_value = {
	CYAML_VALUE_MAPPING(PTR, struct y_route, route_fields),
};

const struct yaml_file_kind route_file_kind = {
	.root = &route_value,
	.noun = "route file",
	.root_name = "the route",
	.empty = "the file is empty: a route needs at least id, stops and tours",
	.max_bytes = ROUTE_MAX_FILE_BYTES,
};

/* ---- datum names: the schema's enum strings ---------------------------- */

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
