/* The route model: what a curator writes in a route YAML file, loaded with
 * libcyaml schema tables, validated in one pass, converted to WGS-84.
 *
 * Everything here is plain data: routes/ knows nothing of audio or tours in
 * progress. Whatever only audio/ can tell (is a clip decodable, how long is
 * it) is asked by guide/ and handed over through route_load()'s probe.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where something was written in the YAML file (1-based; 0 = unknown). */
struct route_loc {
	unsigned line;
	unsigned col;
};

struct route_point {
	double lat; /* degrees, WGS-84 after loading */
	double lon;
};

/* One text in one language (a stop's name, a route's title). */
struct route_text {
	char *lang; /* BCP-47-ish short code: "zh", "en", ... */
	char *text;
};

/* One narration clip in one language. */
struct route_clip {
	char *lang;
	char *file;          /* as written, relative to the route's clip folder */
	char *path;          /* resolved path the player opens */
	char *transcript;    /* what the clip says */
	int64_t duration_ms; /* from the probe; -1 when unknown / undecodable */
	struct route_loc loc;
	/* Loudness (issue 17), from a route_clip_probe_info_fn; else unknown. */
	enum route_clip_gain {
		ROUTE_GAIN_UNKNOWN,  /* not probed */
		ROUTE_GAIN_NONE,     /* no measured gain: plays at its recorded level */
		ROUTE_GAIN_MEASURED, /* plays at played_lufs */
	} gain;
	double played_lufs; /* ROUTE_GAIN_MEASURED: its loudness as the guide plays it */
	double target_lufs; /* ROUTE_GAIN_MEASURED: what it should play at */
};

enum route_fence_kind {
	ROUTE_FENCE_CIRCLE,
	ROUTE_FENCE_POLYGON,
};

struct route_fence {
	enum route_fence_kind kind;
	struct route_point center;    /* circle; for a polygon: vertex centroid */
	double radius_m;              /* circle; for a polygon: max centre-vertex distance */
	struct route_point *vertices; /* polygon only, open ring (first != last) */
	unsigned n_vertices;
};

struct route_heading {
	bool set;
	double deg;           /* direction of travel that fires, degrees true */
	double tolerance_deg; /* +/- around deg */
};

struct route_stop {
	char *id;
	struct route_text *names;
	unsigned n_names;
	struct route_fence fence;
	struct route_heading heading;
	int priority;             /* higher wins and may cut a lower one; default 0 */
	double lead_s;            /* start this many seconds before arrival; default 0 */
	double lead_m;            /* ... or this many metres before, whichever is earlier */
	bool play_once;           /* default true */
	double cooldown_s;        /* when !play_once: minimum gap between plays */
	double max_volume;        /* 0-100: the volume's cap inside the geofence; -1 none */
	struct route_clip *clips; /* one per language */
	unsigned n_clips;
	struct route_loc loc;
};

enum route_announcement_kind {
	ROUTE_ANNOUNCE_WELCOME,
	ROUTE_ANNOUNCE_SAFETY,
	ROUTE_ANNOUNCE_GOODBYE,
	ROUTE_ANNOUNCE_COUNT,
};

struct route_tour {
	char *id;
	struct route_text *titles;
	unsigned n_titles;
	char **langs; /* languages narrated, in play order (e.g. zh, en) */
	unsigned n_langs;
	unsigned *stops; /* indices into route->stops, in tour order */
	unsigned n_stops;
	struct route_point *path; /* the polyline the cart drives, in order */
	unsigned n_path;
	double speed_kmh; /* nominal speed, for checks and synthetic drives */
	/* announcements[kind] holds one clip per language (may be empty) */
	struct route_clip *announcements[ROUTE_ANNOUNCE_COUNT];
	unsigned n_announcements[ROUTE_ANNOUNCE_COUNT];
	struct route_clip *music; /* optional background music, NULL if none */
	struct route_loc loc;
};

enum route_datum {
	ROUTE_DATUM_WGS84,
	ROUTE_DATUM_GCJ02,
	ROUTE_DATUM_BD09,
};

struct route {
	char *file;     /* the YAML file as given */
	char *base_dir; /* folder of the YAML file */
	char *clip_dir; /* resolved folder clips are relative to */
	char *id;
	struct route_text *titles;
	unsigned n_titles;
	enum route_datum datum; /* as written; coordinates here are WGS-84 */
	char **langs;
	unsigned n_langs;
	struct route_stop *stops;
	unsigned n_stops;
	struct route_tour *tours;
	unsigned n_tours;
};

/* Lookups; NULL when absent. */
const struct route_stop *route_find_stop(const struct route *r, const char *id);
const struct route_tour *route_find_tour(const struct route *r, const char *id);
const struct route_clip *route_stop_clip(const struct route_stop *s, const char *lang);
const char *route_text_get(const struct route_text *t, unsigned n, const char *lang);

/* ---- Loading and validation ------------------------------------------- */

/* Languages a route may be narrated in: the keys of every per-language
 * mapping in the YAML (name:, title:, clips:, announcements). */
extern const char *const route_supported_langs[];
bool route_lang_supported(const char *lang);

enum route_diag_severity {
	ROUTE_DIAG_ERROR,
	ROUTE_DIAG_WARNING,
};

/* One finding of the loader, with where it was written. */
struct route_diag {
	enum route_diag_severity severity;
	char *file;
	struct route_loc loc; /* 1-based; a problem with the whole file is at 1:1 */
	char *message;        /* no trailing newline, no position */
};

/* Caller-owned list; route_diag_list_init() then route_diag_list_finish(). */
struct route_diag_list {
	struct route_diag *items;
	unsigned n, cap;
	unsigned n_errors, n_warnings;
};

void route_diag_list_init(struct route_diag_list *l);
void route_diag_list_finish(struct route_diag_list *l);
/* "FILE:LINE:COL: error: message" (or "warning:"); returns snprintf's value. */
int route_diag_format(const struct route_diag *d, char *buf, size_t len);
const char *route_diag_severity_to_str(enum route_diag_severity s);

/* Asked for every clip the route names (narration, announcements, music),
 * with the resolved path. Return 0 and the length in milliseconds, or a
 * negative errno-style code and a reason in err (e.g. "not an Ogg Opus file").
 * routes/ cannot decode audio itself: guide/ passes one that calls audio/. */
typedef int (*route_clip_probe_fn)(void *ctx, const char *path, int64_t *duration_ms, char *err,
				   size_t errlen);

/* The same, and the text the clip was spoken from when it keeps a record of
 * it (make-clips.sh writes it in the Opus comment GUIDE_TEXT): malloc'd in
 * *text, NULL when the clip keeps none.  A clip whose record differs from
 * its `text:` in the YAML was made from an older text: a warning. */
typedef int (*route_clip_probe_text_fn)(void *ctx, const char *path, int64_t *duration_ms,
					char **text, char *err, size_t errlen);

/* What a route_clip_probe_info_fn tells of a clip (issue 17). */
struct route_clip_probe {
	int64_t duration_ms;
	char *text;         /* as route_clip_probe_text_fn; malloc'd or NULL */
	bool has_gain;      /* the clip carries a measured loudness gain */
	double played_lufs; /* has_gain: its loudness as played, after the gain */
	double target_lufs; /* the loudness every clip should play at */
};

/* The same with the clip's loudness: route_check warns about a clip that
 * plays more than ROUTE_GAIN_TOLERANCE_LU from the target after its gain,
 * and route_gain_summary counts the clips without one. */
typedef int (*route_clip_probe_info_fn)(void *ctx, const char *path, struct route_clip_probe *info,
					char *err, size_t errlen);
#define ROUTE_GAIN_TOLERANCE_LU 3.0

/* Sizes a route may have.  A city-wide route of 10,000 stops narrated in two
 * languages is about 8 MB of YAML (the shipped route: 800 bytes a stop) with
 * 10,000-50,000 path points; the limits leave room for several times that,
 * and refuse only what is not a route (a runaway generator, a wrong file). */
#define ROUTE_MAX_FILE_BYTES (32u << 20) /* bytes of YAML */
#define ROUTE_MAX_DEPTH 32               /* YAML nesting beyond this is refused */
#define ROUTE_MAX_STOPS 100000           /* stops of the route, and of one tour */
#define ROUTE_MAX_TOURS 10000            /* tours of the route */
#define ROUTE_MAX_PATH 1000000           /* points of one tour's path */
#define ROUTE_MAX_POLYGON 1000           /* corners of one geofence: an area, not a city */

struct route_load_options {
	route_clip_probe_fn probe; /* NULL: only check that each clip file exists */
	void *probe_ctx;
	bool no_clip_check;                  /* skip clip files entirely (durations stay -1) */
	size_t max_bytes;                    /* 0: ROUTE_MAX_FILE_BYTES */
	route_clip_probe_text_fn probe_text; /* instead of probe when set (probe_ctx) */
	route_clip_probe_info_fn probe_info; /* instead of both when set (probe_ctx) */
};

/* Reads, parses (libcyaml schema), converts to WGS-84 and validates the
 * route in one pass. Every finding goes to diags (which may be NULL).
 * Returns 0 and *out when there are no errors (warnings allowed);
 * -EINVAL when the route is invalid, another negative errno when the file
 * cannot be read. On failure *out is left untouched. opts may be NULL. */
int route_load(const char *path, const struct route_load_options *opts, struct route **out,
	       struct route_diag_list *diags);
/* The same on bytes in memory (a test, an editor buffer); path names the
 * file in messages and clip paths resolve against its folder. */
int route_load_buffer(const char *path, const void *buf, size_t len,
		      const struct route_load_options *opts, struct route **out,
		      struct route_diag_list *diags);
void route_destroy(struct route *r);

/* Rewrites the route file's text with every coordinate in datum `to` and
 * `datum:` set accordingly; comments, order and layout are kept.  The route
 * must load without errors (clips are not checked).  Returns 0 and a
 * malloc'd NUL-terminated text in *out, or a negative errno (-EINVAL: the
 * route is invalid, see diags). */
int route_convert_datum(const char *path, enum route_datum to, char **out, size_t *out_len,
			struct route_diag_list *diags);

const char *route_datum_to_str(enum route_datum d);
int route_datum_from_str(const char *s, enum route_datum *out);
const char *route_announcement_to_str(enum route_announcement_kind k);

/* The clips' loudness gains as the loader's probe found them (a clip named
 * twice counts twice): measured, without one, and measured but more than
 * ROUTE_GAIN_TOLERANCE_LU from target_lufs (the boost was capped). */
struct route_gain_summary {
	unsigned clips, measured, unmeasured, off_target;
};
void route_gain_summary(const struct route *r, struct route_gain_summary *out);

/* Geometry of a tour at its nominal speed, as the check sees it: where the
 * path first runs through each stop's geofence (in tour order, respecting the
 * heading window).  Lengths in metres along the path; found=false when the
 * path misses the fence. */
struct route_transit {
	bool found;
	double enter_m, exit_m; /* along the path */
	double approach_m;      /* lead distance before enter_m actually available */
	double seconds;         /* (exit - enter + approach) / speed */
	int64_t narration_ms;   /* sum of the tour's languages' clips; -1 when unknown */
	/* the longest of them: the stop's airtime in channels mode (every
	 * language at once, guided --lang-channels); -1 when unknown */
	int64_t longest_ms;
};
/* out[n_stops] for tour t; returns 0, or -EINVAL when the tour has no usable path. */
int route_tour_transits(const struct route *r, const struct route_tour *t,
			struct route_transit *out);

/* A point on a fence's outline for drawing: circles become n vertices. */
bool route_fence_contains(const struct route_fence *f, double lat, double lon);
