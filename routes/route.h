/* The route model: what a curator writes in a route YAML file, loaded with
 * libcyaml schema tables, validated in one pass, converted to WGS-84.
 *
 * Everything here is plain data: routes/ knows nothing of audio or tours in
 * progress. Whatever only audio/ can tell (is a clip decodable, how long is
 * it) is asked by guide/ and handed over through route_validate()'s probe.
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
};

enum route_fence_kind {
	ROUTE_FENCE_CIRCLE,
	ROUTE_FENCE_POLYGON,
};

struct route_fence {
	enum route_fence_kind kind;
	struct route_point center; /* circle; for a polygon: vertex centroid */
	double radius_m;           /* circle; for a polygon: max centre-vertex distance */
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
	int priority;      /* higher wins and may cut a lower one; default 0 */
	double lead_s;     /* start this many seconds before arrival; default 0 */
	double lead_m;     /* ... or this many metres before, whichever is earlier */
	bool play_once;    /* default true */
	double cooldown_s; /* when !play_once: minimum gap between plays */
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
	char **langs;          /* languages narrated, in play order (e.g. zh, en) */
	unsigned n_langs;
	unsigned *stops;       /* indices into route->stops, in tour order */
	unsigned n_stops;
	struct route_point *path; /* the polyline the cart drives, in order */
	unsigned n_path;
	double speed_kmh;      /* nominal speed, for checks and synthetic drives */
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
