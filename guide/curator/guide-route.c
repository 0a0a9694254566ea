/* guide-route: the curators' tool.  A table of subcommands; each reads its
 * arguments with parse_arguments() and calls into guide/route_tool.c, the
 * modules beside this file (render, report, track) and routes/.  `track`
 * lives in guide-route-track.c. */
#include "guide/curator/guide-route.h"
#include "config.h"
#include "guide/curator/array.h"
#include "guide/curator/render.h"
#include "guide/curator/report.h"
#include "guide/route_tool.h"
#include "hal/gps.h"
#include "routes/geo.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct subcommand {
	const char *name;
	const char *args;
	const char *help;
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand */
	const char *options;               /* its options explained, for its --help; may be NULL */
	const char *usage; /* a whole --help text of its own, in place of the above */
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "guide-route: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'guide-route --help'.\n");
	return 2;
}

/* One option of a subcommand: a flag, or an option with a value. */
struct arg_option {
	const char *name;
	bool *flag;
	const char **value;
	bool required;
};

/* How a subcommand reads its arguments: the options (up to a NULL name) and
 * one operand, which is required. */
struct arguments {
	const char *unknown; /* the complaint about an argument not understood */
	bool dash_operand;   /* a lone "-" is the operand (stdin), not an option */
	struct arg_option options[5];
};

static const char *subcommand_args(const char *name);

/* Reads argv[1..] as args says into its options and *operand.  Returns 0,
 * or the exit status 2 after a usage message. */
static int
parse_arguments(int argc, char **argv, const struct arguments *args, const char **operand)
{
	bool missing = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct arg_option *o = args->options;
		while (o->name && strcmp(o->name, a) != 0)
			o++;
		if (o->name && o->flag) {
			*o->flag = true;
		} else if (o->name && i + 1 < argc) {
			*o->value = argv[++i];
		} else if (a[0] == '-' && (a[1] || !args->dash_operand)) {
			return usage_error("%s: %s '%s'", argv[0], args->unknown, a);
		} else if (!*operand) {
			*operand = a;
		} else {
			return usage_error("%s: unexpected argument '%s'", argv[0], a);
		}
	}
	for (const struct arg_option *o = args->options; o->name; o++)
		if (o->required && (o->flag ? !*o->flag : !*o->value))
			missing = true;
	if (!*operand || missing)
		return usage_error("%s: usage: guide-route %s %s", argv[0], argv[0],
				   subcommand_args(argv[0]));
	return 0;
}

/* parse_arguments(), then the route the operand names, loaded for its
 * geometry only: a map is worth having before the clips are recorded. */
static int
parse_and_load(int argc, char **argv, const struct arguments *args, const char **file,
	       struct route **r)
{
	int rc = parse_arguments(argc, argv, args, file);
	return rc != 0 ? rc : guide_route_load(*file, false, stderr, r, NULL);
}

static int
cmd_check(int argc, char **argv)
{
	struct route *r = NULL;
	unsigned warnings = 0;
	struct guide_clip_census census;

	if (argc != 2)
		return usage_error("%s: expects exactly one route file", argv[0]);
	int rc = guide_route_load_census(argv[1], stderr, &r, &warnings, &census);
	if (rc != 0) {
		fprintf(stderr, "%s: invalid route\n", argv[1]);
		return rc;
	}
	guide_route_summary(stdout, r);
	guide_route_census_summary(stdout, &census);
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
	const struct arguments args = {
		.unknown = "unknown option",
		.options = {{"--geojson", .flag = &geojson, .required = true}, {NULL}},
	};

	int rc = parse_and_load(argc, argv, &args, &file, &r);
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
	const struct arguments args = {
		.unknown = "unknown option",
		.options = {{"--datum", .value = &datum, .required = true},
			    {"-o", .value = &output},
			    {NULL}},
	};

	int rc = parse_arguments(argc, argv, &args, &file);
	if (rc != 0)
		return rc;
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
		struct render_point *p = array_grow(pts, count, &cap, sizeof(*p), 1024);
		if (!p) {
			r = -ENOMEM;
			break;
		}
		pts = p;
		pts[count++] = (struct render_point){
			.time_ms = (fix.set & HAL_FIX_TIME) ? fix.time_ms : 0,
			.lat = fix.lat,
			.lon = fix.lon,
		};
	}
	hal_gps_destroy(gps);
	if (r < 0) {
		free(pts);
		return r;
	}
	*out = pts;
	*n = count;
	return 0;
}

/* ---- path: a drive made a tour's path ------------------------------------ */

/* Distance from p to the segment ab, metres (plane). */
static double
segment_distance(struct geo_xy p, struct geo_xy a, struct geo_xy b)
{
	double dx = b.x - a.x, dy = b.y - a.y, l2 = dx * dx + dy * dy;
	double t = l2 > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / l2 : 0;
	t = t < 0 ? 0 : t > 1 ? 1 : t;
	double ex = a.x + t * dx - p.x, ey = a.y + t * dy - p.y;
	return sqrt(ex * ex + ey * ey);
}

/* Douglas-Peucker: keep[i] for the points that stay, every other point
 * within tol metres of the line through them.  An explicit stack: a drive
 * of a whole shift has tens of thousands of fixes. */
static int
simplify(const struct geo_xy *xy, size_t n, double tol, bool *keep)
{
	size_t *stack = malloc(2 * n * sizeof(*stack)), top = 0;
	if (!stack)
		return -ENOMEM;
	memset(keep, 0, n * sizeof(*keep));
	keep[0] = keep[n - 1] = true;
	stack[top++] = 0;
	stack[top++] = n - 1;
	while (top) {
		size_t b = stack[--top], a = stack[--top], far = a;
		double worst = 0;
		for (size_t i = a + 1; i < b; i++) {
			double dist = segment_distance(xy[i], xy[a], xy[b]);
			if (dist > worst) {
				worst = dist;
				far = i;
			}
		}
		if (worst > tol) {
			keep[far] = true;
			stack[top++] = a;
			stack[top++] = far;
			stack[top++] = far;
			stack[top++] = b;
		}
	}
	free(stack);
	return 0;
}

static int
cmd_path(int argc, char **argv)
{
	const char *drive = NULL, *tol_s = NULL;
	const struct arguments args = {
		.unknown = "unknown option or missing value",
		.options = {{"--tolerance", .value = &tol_s}, {NULL}},
	};
	int rc = parse_arguments(argc, argv, &args, &drive);
	if (rc != 0)
		return rc;
	double tol = 5;
	if (tol_s) {
		char *end;
		tol = strtod(tol_s, &end);
		if (*end || !(tol > 0 && tol <= 1000))
			return usage_error("path: --tolerance wants metres in (0, 1000], not '%s'",
					   tol_s);
	}
	struct render_point *pts = NULL;
	size_t n = 0;
	if (read_track(drive, &pts, &n) < 0)
		return 2;
	/* a cart standing still repeats its fix: once is enough */
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (!m || pts[i].lat != pts[m - 1].lat || pts[i].lon != pts[m - 1].lon)
			pts[m++] = pts[i];
	if (m < 2) {
		fprintf(stderr, "guide-route: path: %s has %zu distinct fixes; a path needs 2\n",
			drive, m);
		free(pts);
		return 2;
	}
	struct geo_proj proj;
	geo_proj_init(&proj, pts[0].lat, pts[0].lon);
	struct geo_xy *xy = malloc(m * sizeof(*xy));
	bool *keep = malloc(m * sizeof(*keep));
	if (!xy || !keep) {
		rc = 1;
	} else {
		for (size_t i = 0; i < m; i++)
			xy[i] = geo_project(&proj, pts[i].lat, pts[i].lon);
		if (simplify(xy, m, tol, keep) < 0)
			rc = 1;
	}
	if (rc == 0) {
		size_t k = 0;
		for (size_t i = 0; i < m; i++)
			k += keep[i];
		printf("    # guide-route path %s: %zu fixes -> %zu points, every fix within "
		       "%g m (wgs84)\n    path:\n",
		       drive, n, k, tol);
		for (size_t i = 0; i < m; i++)
			if (keep[i])
				printf("      - {lat: %.7f, lon: %.7f}\n", pts[i].lat, pts[i].lon);
	}
	free(xy);
	free(keep);
	free(pts);
	return rc;
}

/* The clips of an event log; 0, 1 (runtime failure) or 2 (cannot open it). */
static int
read_clips(const char *events, struct render_clip **clips, size_t *n)
{
	FILE *f = fopen(events, "re");
	size_t bad = 0;
	if (!f) {
		fprintf(stderr, "guide-route: render: %s: %s\n", events, strerror(errno));
		return 2;
	}
	int r = render_read_events(f, clips, n, &bad);
	fclose(f);
	if (r < 0)
		return 1;
	if (bad)
		fprintf(stderr, "guide-route: render: %s: %zu lines are not JSON, skipped\n",
			events, bad);
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
	const struct arguments args = {
		.unknown = "unknown option or missing value",
		.options = {{"--track", .value = &track},
			    {"--events", .value = &events},
			    {"--tour", .value = &tour},
			    {"-o", .value = &output},
			    {NULL}},
	};

	int rc = parse_and_load(argc, argv, &args, &file, &r);
	if (!output)
		output = "-";
	if (rc != 0)
		return rc;
	rc = 2;
	if (tour && !route_find_tour(r, tour)) {
		fprintf(stderr, "guide-route: render: no tour '%s' in %s\n", tour, file);
		goto out;
	}
	if (track && read_track(track, &pts, &n_pts) < 0)
		goto out;
	if (events && (rc = read_clips(events, &clips, &n_clips)) != 0)
		goto out;
	rc = 1;
	FILE *out = strcmp(output, "-") == 0 ? stdout : fopen(output, "we");
	if (!out) {
		fprintf(stderr, "guide-route: render: cannot write %s: %s\n", output,
			strerror(errno));
		goto out;
	}
	struct render_input in = {
		.route = r,
		.tour_id = tour,
		.track = pts,
		.n_track = n_pts,
		.clips = clips,
		.n_clips = n_clips,
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
	const struct arguments args = {
		.unknown = "unknown option or missing value",
		.dash_operand = true,
		.options = {{"--route", .value = &file}, {NULL}},
	};

	int rc = parse_arguments(argc, argv, &args, &events);
	if (rc != 0)
		return rc;
	if (file) {
		rc = guide_route_load(file, false, stderr, &r, NULL);
		if (rc != 0)
			return rc;
	}
	FILE *in = strcmp(events, "-") == 0 ? stdin : fopen(events, "re");
	if (!in) {
		fprintf(stderr, "guide-route: report: %s: %s\n", events, strerror(errno));
		route_destroy(r);
		return 2;
	}
	struct report_result res = {0};
	int wr = report_write_result(in, r, stdout, &res);
	if (in != stdin)
		fclose(in);
	rc = wr == -EBADMSG ? 2 : wr < 0 ? 1 : 0;
	if (wr == -EBADMSG && res.lines == 0)
		fprintf(stderr, "guide-route: report: %s is empty: no events to report\n", events);
	else if (wr == -EBADMSG)
		fprintf(stderr,
			"guide-route: report: %s is not an event log: none of its %zu lines is a "
			"JSON event (guided --events FILE writes one; a route goes after --route)\n",
			events, res.lines);
	else if (wr < 0)
		fprintf(stderr, "guide-route: report: %s: %s\n", events, strerror(-wr));
	else if (res.bad_lines)
		fprintf(stderr, "guide-route: report: %s: %zu of %zu lines are not JSON, skipped\n",
			events, res.bad_lines, res.lines);
	route_destroy(r);
	return rc;
}

static const struct subcommand subcommands[] = {
	{"check", "FILE",
	 "validate a route; diagnostics as FILE:LINE:COL on stderr, a summary on stdout", cmd_check,
	 NULL, NULL},
	{"export", "FILE --geojson", "the stops and tour paths as a GeoJSON FeatureCollection",
	 cmd_export, NULL, NULL},
	{"convert", "FILE --datum wgs84|gcj02|bd09 [-o OUT]",
	 "rewrite every coordinate in another datum, keeping comments (stdout or OUT)", cmd_convert,
	 "  --datum D  the datum to write: wgs84 (GPS), gcj02 (AMap, Tencent) or bd09 (Baidu)\n"
	 "  -o OUT     write OUT instead of stdout.  The clips: folder is relative to the\n"
	 "             route file: OUT in another folder needs the clips there too (convert\n"
	 "             says which are missing)\n",
	 NULL},
	{"track", "FILE [--tour ID] [--speed KMH] [--noise M] [--hz N] [--seed N]",
	 "a synthetic NMEA drive along a tour's path on stdout (see --help for faults)", cmd_track,
	 NULL, cmd_track_usage},
	{"path", "DRIVE.nmea|DRIVE.gpx [--tolerance M]",
	 "a drive (guided --record) as a tour's path: YAML to paste into the route", cmd_path,
	 "  --tolerance M  every fix of the drive stays within M metres of the path\n"
	 "                 (default 5); Douglas-Peucker, in WGS-84 as GPS gives it:\n"
	 "                 a gcj02 route wants `guide-route convert` afterwards\n",
	 NULL},
	{"gain", "[--value] [--reference LUFS] FILE...",
	 "each clip's or WAV's integrated loudness (EBU R128) and its R128_TRACK_GAIN", cmd_gain,
	 NULL, cmd_gain_usage},
	{"render", "FILE [--track F] [--events F] [--tour ID] [-o map.svg]",
	 "an SVG map: geofences, tour path, the drive and where each clip played", cmd_render,
	 "  --track F   the drive to draw: NMEA, or GPX when F ends in .gpx (nmea:F, gpx:F)\n"
	 "  --events F  guided's event log: where each clip began and ended\n"
	 "  --tour ID   draw only this tour's path and stops\n"
	 "  -o FILE     write the SVG to FILE (default, or -: stdout)\n",
	 NULL},
	{"report", "EVENTS.jsonl [--route FILE]",
	 "per stop: plays, cuts, skips and why, where clips began, rejected fixes nearby",
	 cmd_report,
	 "  EVENTS.jsonl  guided's event log (- for stdin)\n"
	 "  --route FILE  the route: measure where each clip began against its stop's\n"
	 "                geofence (before, inside or after it) and count rejected fixes\n"
	 "                near each stop\n",
	 NULL},
};

static const char *
subcommand_args(const char *name)
{
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(name, subcommands[i].name) == 0)
			return subcommands[i].args;
	return "";
}

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
		return usage_error("missing command");
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
				const struct subcommand *sc = &subcommands[i];
				if (sc->usage) {
					fputs(sc->usage, stdout);
					return 0;
				}
				printf("Usage: guide-route %s %s\n  %s\n", sc->name, sc->args,
				       sc->help);
				if (sc->options)
					printf("\n%s", sc->options);
				return 0;
			}
		return subcommands[i].run(argc - 1, argv + 1);
	}
	return usage_error("unknown command '%s'", argv[1]);
}
