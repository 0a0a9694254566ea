/* The curator tool's work, apart from its main(): loading a route with clip
 * probing through audio/, the check summary and the GeoJSON export. */
#pragma once

#include "routes/route.h"

#include <stdio.h>

/* A route_clip_probe_fn that decodes the clip's headers with audio/clip.h. */
int guide_route_probe(void *ctx, const char *path, int64_t *duration_ms, char *err, size_t errlen);
/* A route_clip_probe_text_fn: the same, and the text the clip was made from
 * (the Opus comment GUIDE_CLIP_TEXT_TAG that make-clips.sh writes). */
#define GUIDE_CLIP_TEXT_TAG "GUIDE_TEXT"
int guide_route_probe_text(void *ctx, const char *path, int64_t *duration_ms, char **text,
			   char *err, size_t errlen);

/* A route_clip_probe_info_fn: the same, and the clip's loudness gain
 * (R128_TRACK_GAIN, audio/clip.h) with the loudness it plays at. */
int guide_route_probe_info(void *ctx, const char *path, struct route_clip_probe *info, char *err,
			   size_t errlen);
/* Its gain part: has_gain, played_lufs and target_lufs from the value of a
 * clip's CLIP_TRACK_GAIN_TAG (NULL: none), for a probe that reads more tags. */
void guide_route_gain_from_tag(const char *value, struct route_clip_probe *info);

/* Loads path, printing every diagnostic to err as FILE:LINE:COL: ...
 * Returns 0 (*out set), 1 on a runtime failure, 2 on invalid input. */
int guide_route_load(const char *path, bool check_clips, FILE *err, struct route **out,
		     unsigned *n_warnings);

void guide_route_summary(FILE *out, const struct route *r);

/* Where the clips came from, from the Opus comments make-clips.sh writes:
 * GUIDE_SYNTHETIC=1 marks a clip a speech engine made, GUIDE_VOICE=ENGINE:VOICE
 * (espeak-ng:fr) says which.  Each clip file counts once, however many times
 * the route names it. */
#define GUIDE_CLIP_SYNTHETIC_TAG "GUIDE_SYNTHETIC"
#define GUIDE_CLIP_VOICE_TAG "GUIDE_VOICE"
struct guide_clip_census {
	unsigned n_clips, n_synthetic;
	char engines[128]; /* the engines of the synthetic clips, ", "-separated */
};

/* guide_route_load with the clips checked, counting them in *census. */
int guide_route_load_census(const char *path, FILE *err, struct route **out, unsigned *n_warnings,
			    struct guide_clip_census *census);
/* "synthetic clips: N of M (espeak-ng): record them to replace", or nothing
 * when no clip is synthetic. */
void guide_route_census_summary(FILE *out, const struct guide_clip_census *census);
/* The GeoJSON FeatureCollection of DESIGN.md. Returns 0 or -errno. */
int guide_route_geojson(FILE *out, const struct route *r);

/* guide-route convert: the route's text in datum `to`, to output (NULL: stdout).
 * Returns an exit status (0, 1 runtime failure, 2 invalid route). */
int guide_route_convert(const char *path, enum route_datum to, const char *output, FILE *err);
