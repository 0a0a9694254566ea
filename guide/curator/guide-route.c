/* guide-route: the curators' tool.  A table of subcommands; each parses its
 * own arguments and calls into guide/route_tool.c and routes/. */
#include "config.h"
#include "guide/curator/guide-route.h"
#include "guide/curator/render.h"
#include "guide/curator/report.h"
#include "guide/route_tool.h"
#include "hal/gps.h"

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct subcommand {
	const char *name;
	const char *args;
	const char *help;
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand */
};

static int usage_error(const char *fmt, const char *arg) __attribute__((format(printf, 1, 0)));

static int
usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "guide-route: ");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	fprintf(stderr, fmt, arg);
#pragma GCC diagnostic pop
	fprintf(stderr, "\nTry 'guide-route --help'.\n");
	return 2;
}

static int
cmd_check(int argc, char **argv)
{
	struct route *r = NULL;
	unsigned warnings = 0;

	if (argc != 2)
		return usage_error("%s: expects exactly one route file", argv[0]);
	int rc = guide_route_load(argv[1], true, stderr, &r, &warnings);
	if (rc != 0) {
		fprintf(stderr, "%s: invalid route\n", argv[1]);
		return rc;
	}
	guide_route_summary(stdout, r);
	printf("%s: valid, %u warning%s\n", argv[1], warnings, warnings == 1 ? "" : "s");
	route_destroy(r);
	return 0;
}

static int
cmd_export(int argc, char **argv)
{
	const char *file = NULL;
	bool geojson = false;
	struct route *r = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--geojson") == 0)
			geojson = true;
		else if (argv[i][0] == '-')
			return usage_error("export: unknown option '%s'", argv[i]);
		else if (!file)
			file = argv[i];
		else
			return usage_error("export: unexpected argument '%s'", argv[i]);
	}
	if (!file || !geojson)
		return usage_error("%s", "export: usage: guide-route export FILE --geojson");
	/* geometry only: a map is worth having before the clips are recorded */
	int rc = guide_route_load(file, false, stderr, &r, NULL);
	if (rc != 0)
		return rc;
	rc = guide_route_geojson(stdout, r) == 0 ? 0 : 1;
	if (rc)
		fprintf(stderr, "guide-route: export: cannot write the GeoJSON\n");
	route_destroy(r);
	return rc;
}

static int
cmd_convert(int argc, char **argv)
{
	const char *file = NULL, *datum = NULL, *output = NULL;
	enum route_datum to;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--datum") == 0 && i + 1 < argc)
			datum = argv[++i];
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			output = argv[++i];
		else if (argv[i][0] == '-')
			return usage_error("convert: unknown option '%s'", argv[i]);
		else if (!file)
			file = argv[i];
		else
			return usage_error("convert: unexpected argument '%s'", argv[i]);
	}
	if (!file || !datum)
		return usage_error("%s", "convert: usage: guide-route convert FILE --datum "
		                         "wgs84|gcj02|bd09 [-o OUT]");
	if (route_datum_from_str(datum, &to) < 0)
		return usage_error("convert: unknown datum '%s' (wgs84, gcj02 or bd09)", datum);
	return guide_route_convert(file, to, output, stderr);
}

/* Reads a drive (nmea:FILE or gpx:FILE, or a bare FILE: .gpx is GPX,
 * anything else NMEA) into points with a position. */
static int
read_track(const char *file, struct render_point **out, size_t *n)
{
	char spec[4096];
	size_t len = strlen(file);
	if (strncmp(file, "nmea:", 5) == 0 || strncmp(file, "gpx:", 4) == 0)
		snprintf(spec, sizeof(spec), "%s", file);
	else
		snprintf(spec, sizeof(spec), "%s:%s",
			 len > 4 && strcasecmp(file + len - 4, ".gpx") == 0 ? "gpx" : "nmea", file);
	struct hal_gps *gps = NULL;
	int r = hal_gps_create(spec, NULL, &gps);
	if (r < 0) {
		fprintf(stderr, "guide-route: cannot read the drive %s: %s\n", file, strerror(-r));
		return r;
	}
	struct render_point *pts = NULL;
	size_t count = 0, cap = 0;
	for (;;) {
		struct hal_fix fix;
		int ev = hal_gps_read(gps, &fix);
		if (ev < 0 || ev == HAL_GPS_END || ev == HAL_GPS_NONE)
			break;
		if (ev != HAL_GPS_FIX || !hal_fix_has_position(&fix))
			continue;
		if (count == cap) {
			size_t nc = cap ? cap * 2 : 1024;
			struct render_point *p = realloc(pts, nc * sizeof(*p));
			if (!p) {
				free(pts);
				hal_gps_destroy(gps);
				return -ENOMEM;
			}
			pts = p;
			cap = nc;
		}
		pts[count++] = (struct render_point){
			.time_ms = (fix.set & HAL_FIX_TIME) ? fix.time_ms : 0,
			.lat = fix.lat,
			.lon = fix.lon,
		};
	}
	hal_gps_destroy(gps);
	*out = pts;
	*n = count;
	return 0;
}

static int
cmd_render(int argc, char **argv)
{
	const char *file = NULL, *track = NULL, *events = NULL, *output = NULL, *tour = NULL;
	struct route *r = NULL;
	struct render_point *pts = NULL;
	struct render_clip *clips = NULL;
	size_t n_pts = 0, n_clips = 0;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--track") == 0 && i + 1 < argc)
			track = argv[++i];
		else if (strcmp(argv[i], "--events") == 0 && i + 1 < argc)
			events = argv[++i];
		else if (strcmp(argv[i], "--tour") == 0 && i + 1 < argc)
			tour = argv[++i];
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			output = argv[++i];
		else if (argv[i][0] == '-')
			return usage_error("render: unknown option or missing value '%s'", argv[i]);
		else if (!file)
			file = argv[i];
		else
			return usage_error("render: unexpected argument '%s'", argv[i]);
	}
	if (!file || !output)
		return usage_error("%s", "render: usage: guide-route render FILE [--track F] "
					 "[--events F] [--tour ID] -o map.svg");
	int lrc = guide_route_load(file, false, stderr, &r, NULL);
	if (lrc != 0)
		return lrc;
	if (tour && !route_find_tour(r, tour)) {
		fprintf(stderr, "guide-route: render: no tour '%s' in %s\n", tour, file);
		rc = 2;
		goto out;
	}
	if (track && read_track(track, &pts, &n_pts) < 0) {
		rc = 2;
		goto out;
	}
	if (events) {
		FILE *f = fopen(events, "re");
		size_t bad = 0;
		if (!f) {
			fprintf(stderr, "guide-route: render: %s: %s\n", events, strerror(errno));
			rc = 2;
			goto out;
		}
		int er = render_read_events(f, &clips, &n_clips, &bad);
		fclose(f);
		if (er < 0)
			goto out;
		if (bad)
			fprintf(stderr, "guide-route: render: %s: %zu lines are not JSON, skipped\n",
				events, bad);
	}
	FILE *out = strcmp(output, "-") == 0 ? stdout : fopen(output, "we");
	if (!out) {
		fprintf(stderr, "guide-route: render: cannot write %s: %s\n", output, strerror(errno));
		goto out;
	}
	struct render_input in = {
		.route = r, .tour_id = tour, .track = pts, .n_track = n_pts,
		.clips = clips, .n_clips = n_clips,
	};
	int wr = render_svg(&in, out);
	if (out != stdout && fclose(out) != 0)
		wr = -EIO;
	if (wr < 0)
		fprintf(stderr, "guide-route: render: cannot write %s\n", output);
	else
		rc = 0;
out:
	free(pts);
	free(clips);
	route_destroy(r);
	return rc;
}

static int
cmd_report(int argc, char **argv)
{
	const char *events = NULL, *file = NULL;
	struct route *r = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--route") == 0 && i + 1 < argc)
			file = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1])
			return usage_error("report: unknown option or missing value '%s'", argv[i]);
		else if (!events)
			events = argv[i];
		else
			return usage_error("report: unexpected argument '%s'", argv[i]);
	}
	if (!events)
		return usage_error("%s", "report: usage: guide-route report EVENTS.jsonl [--route FILE]");
	if (file) {
		int lrc = guide_route_load(file, false, stderr, &r, NULL);
		if (lrc != 0)
			return lrc;
	}
	FILE *in = strcmp(events, "-") == 0 ? stdin : fopen(events, "re");
	if (!in) {
		fprintf(stderr, "guide-route: report: %s: %s\n", events, strerror(errno));
		route_destroy(r);
		return 2;
	}
	int rc = report_write(in, r, stdout) < 0 ? 1 : 0;
	if (in != stdin)
		fclose(in);
	route_destroy(r);
	return rc;
}

static const struct subcommand subcommands[] = {
        {"check", "FILE",
         "validate a route; diagnostics as FILE:LINE:COL on stderr, a summary on stdout",
         cmd_check},
        {"export", "FILE --geojson", "the stops and tour paths as a GeoJSON FeatureCollection",
         cmd_export},
        {"convert", "FILE --datum wgs84|gcj02|bd09 [-o OUT]",
         "rewrite every coordinate in another datum, keeping comments (stdout or OUT)",
         cmd_convert},
        {"track", "FILE [--tour ID] [--speed KMH] [--noise M] [--hz N] [--seed N]",
         "a synthetic NMEA drive along a tour's path on stdout (see --help for faults)",
         cmd_track},
        {"render", "FILE [--track F] [--events F] [--tour ID] -o map.svg",
         "an SVG map: geofences, tour path, the drive and where each clip played",
         cmd_render},
        {"report", "EVENTS.jsonl [--route FILE]",
         "per stop: plays, cuts, skips and why, where clips began, rejected fixes nearby",
         cmd_report},
};

static void
help(FILE *out)
{
	fprintf(out, "Usage: guide-route COMMAND [ARGS]\n\nThe curators' tool for route YAML "
	             "files of the 798/751 audio guide.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %s %s\n      %s\n", subcommands[i].name, subcommands[i].args,
		        subcommands[i].help);
	fprintf(out, "\nExit status: 0 success (warnings allowed), 1 runtime failure, 2 bad usage "
	             "or invalid route.\nThe route format: routes/README.md.\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("%s", "missing command");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		help(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("guide-route %s\n", GUIDE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		if (strcmp(argv[1], subcommands[i].name) != 0)
			continue;
		for (int k = 2; k < argc; k++)
			if (strcmp(argv[k], "--help") == 0) {
				printf("Usage: guide-route %s %s\n  %s\n", subcommands[i].name,
				       subcommands[i].args, subcommands[i].help);
				return 0;
			}
		return subcommands[i].run(argc - 1, argv + 1);
	}
	return usage_error("unknown command '%s'", argv[1]);
}
