/* Private to routes/: what the loader (route.c) shares with its steps: the
 * YAML position pass (route_index.c), the libcyaml schema (route_schema.c),
 * the conversion into the model (route_build.c) and the validation pass
 * (route_check.c); also the diagnostic helpers they all report through. */
#pragma once

#include "routes/route.h"
#include "routes/yaml_file.h"

#include <stdarg.h>

/* X-macro: every per-language mapping in the YAML has exactly these keys, in
 * the order of route_supported_langs. */
#define ROUTE_LANGS(X) X(zh) X(en) X(ja) X(ko) X(fr) X(de) X(es) X(ru)

/* ---- the YAML side: plain structs filled by libcyaml (route_schema.c) --- */

struct y_point {
	double lat, lon;
};

#define LANG_MEMBER_STR(l) char *l;
struct y_texts {
	ROUTE_LANGS(LANG_MEMBER_STR)
};
#undef LANG_MEMBER_STR

struct y_clip {
	char *file;
	char *text;
};

#define LANG_MEMBER_CLIP(l) struct y_clip *l;
struct y_clips {
	ROUTE_LANGS(LANG_MEMBER_CLIP)
};
#undef LANG_MEMBER_CLIP

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
	double *max_volume;
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

/* Where each node of the YAML document was written, keyed by a path such as
 * "stops[3].circle.radius_m" (sequence indices in brackets, keys joined by
 * dots). Built by one libyaml event pass before libcyaml sees the file. */
struct route_index_entry {
	char *path;
	struct route_loc loc;
	size_t start, end; /* libyaml character (not byte) offsets of the node */
};

struct route_index {
	struct route_index_entry *e;
	size_t n, cap;
};

/* Returns 0 when the text is well-formed YAML whose numbers are clean;
 * otherwise adds errors to diags and returns -EINVAL (-ENOMEM on OOM). */
int route_index_build(struct route_index *ix, const struct yaml_file_kind *kind, void *user,
		      const char *file, const unsigned char *buf, size_t len,
		      struct route_diag_list *diags);
void route_index_finish(struct route_index *ix);
/* loc of the node at the printf-formatted path; {0,0} when absent. */
struct route_loc route_index_loc(const struct route_index *ix, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Where a key named key was written: the first at or after `after`, else
 * the first anywhere, else {0,0}. (For libcyaml's "Unexpected key".) */
struct route_loc route_index_key_after(const struct route_index *ix, const char *key,
				       struct route_loc after);

/* The schema walk (route_lint.c): during the position pass, each libyaml
 * event is checked against the schema tables, so that every error of the
 * file is reported at once, in the curator's terms, before libcyaml runs. */
struct route_lint;
struct yaml_event_s;
struct yaml_parser_s;
/* Scans the raw text (tabs, full-width punctuation) and starts the walk
 * against kind's schema; errors go to diags under file, free pairs to
 * kind->free_pair(user, ...). 0 or -ENOMEM. */
int route_lint_create(struct route_lint **out, const struct yaml_file_kind *kind, void *user,
		      const char *file, const unsigned char *buf, size_t len,
		      struct route_diag_list *diags);
void route_lint_destroy(struct route_lint *l);
int route_lint_event(struct route_lint *l, const struct yaml_event_s *ev);
/* libyaml stopped at a syntax error: true when the walk reported what
 * caused it (a tab, a full-width ':'), and libyaml's own words would only
 * repeat it less clearly. */
bool route_lint_syntax_error(struct route_lint *l, const struct yaml_parser_s *p);
unsigned route_lint_errors(const struct route_lint *l);

/* A route file, for yaml_file.h (route_schema.c). */
extern const struct yaml_file_kind route_file_kind;

/* Parses buf (len bytes, NUL-terminated) with kind's schema into *out, to be
 * freed with yaml_schema_free. On failure adds one error, placed with the
 * index, and returns -EINVAL (-ENOMEM on OOM); *out is left untouched.
 * (yaml_file.c) */
int yaml_schema_load(const struct yaml_file_kind *kind, const char *path, const unsigned char *buf,
		     size_t len, const struct route_index *ix, struct route_diag_list *diags,
		     void **out);
void yaml_schema_free(const struct yaml_file_kind *kind, void *data);

/* The model of route.h from the YAML structs (route_build.c): points in
 * WGS-84, clip paths resolved, tour stop ids resolved to indices (unknown
 * ones are reported in diags). Returns 0, or -ENOMEM with *out untouched. */
int route_build(const char *path, const struct y_route *y, const struct route_index *ix,
		struct route_diag_list *diags, struct route **out);

/* Reads a file of the kind with the size cap (max, 0: the kind's) and the
 * binary check of route_load; copies buf instead when it is not NULL. */
int route_read_file(const struct yaml_file_kind *kind, const char *path, const unsigned char *buf,
		    size_t given_len, size_t max, unsigned char **buf_out, size_t *len_out,
		    struct route_diag_list *diags);

/* Ids looked up by bisection (route_build.c): a route of 10,000 stops is
 * too many for a linear search per tour stop. */
struct route_id_entry {
	const char *id;
	unsigned i; /* position in the list */
};
/* The ids of n items (the char * at items + i * stride + offset), sorted by
 * id, then by position; NULL on OOM. */
struct route_id_entry *route_ids_sorted(const void *items, size_t stride, size_t offset,
					unsigned n);
/* The position of the first item with this id, or -1. */
long route_ids_find(const struct route_id_entry *e, unsigned n, const char *id);

/* The semantic checks (route_check.c), on a converted route. */
struct route_check_ctx {
	const struct route_index *ix;
	const struct route_load_options *opts;
	struct route_diag_list *diags;
};
void route_check(struct route *r, struct route_check_ctx *c);
/* Absolute, or with a '..' component: outside the route folder. */
bool route_path_escapes(const char *p);
