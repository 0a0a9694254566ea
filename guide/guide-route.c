/* guide-route: the curators' tool.  A table of subcommands; each parses its
 * own arguments and calls into guide/route-tool.c and routes/. */
#include "config.h"
#include "guide/route-tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static const struct subcommand subcommands[] = {
        {"check", "FILE",
         "validate a route; diagnostics as FILE:LINE:COL on stderr, a summary on stdout",
         cmd_check},
        {"export", "FILE --geojson", "the stops and tour paths as a GeoJSON FeatureCollection",
         cmd_export},
        {"convert", "FILE --datum wgs84|gcj02|bd09 [-o OUT]",
         "rewrite every coordinate in another datum, keeping comments (stdout or OUT)",
         cmd_convert},
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
