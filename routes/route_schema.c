/* The route file's libcyaml schema: the tables that fill the plain "y_"
 * structs of route_internal.h, the datum names they accept, and the capture
 * of libcyaml's log into one positioned diagnostic. */
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

const struct cyaml_schema_value *
route_schema_root(void)
{
	return &route_value;
}

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

/* ---- loading and freeing ------------------------------------------------- */

static cyaml_config_t
schema_config(struct cy_log *log)
{
	return (cyaml_config_t){
		.log_fn = cy_log_fn,
		.log_ctx = log,
		.mem_fn = cyaml_mem,
		.log_level = CYAML_LOG_ERROR,
		.flags = CYAML_CFG_NO_ALIAS,
	};
}

int
route_schema_load(const char *path, const unsigned char *buf, size_t len,
		  const struct route_index *ix, struct route_diag_list *diags, struct y_route **out)
{
	struct cy_log log = {0};
	const cyaml_config_t cfg = schema_config(&log);
	struct y_route *y = NULL;

	cyaml_err_t err = cyaml_load_data(buf, len, &cfg, &route_value, (cyaml_data_t **)&y, NULL);
	if (err != CYAML_OK) {
		route_diag_add(diags, ROUTE_DIAG_ERROR, path, cy_error_loc(&log, ix), "%s",
			       log.have_msg ? log.msg : cyaml_strerror(err));
		return err == CYAML_ERR_OOM ? -ENOMEM : -EINVAL;
	}
	*out = y;
	return 0;
}

void
route_schema_free(struct y_route *y)
{
	struct cy_log log = {0};
	const cyaml_config_t cfg = schema_config(&log);

	if (y)
		cyaml_free(&cfg, &route_value, y, 0);
}
