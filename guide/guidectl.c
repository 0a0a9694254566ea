/* guidectl: the driver's (and the scripts') control of a running guided. */
#include "config.h"
#include "guide/control.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: guidectl [--control PATH] [--json] COMMAND [ARGS]\n"
		"Control the audio guide daemon (guided) on this shuttle.\n\n"
		"Commands:\n"
		"  start [TOUR] [--lang L[,L]]  start a tour (default: the route's first)\n"
		"  stop                         end the tour\n"
		"  pause | resume               pause or resume narration and triggering\n"
		"  skip                         pass over the current/next stop\n"
		"  replay                       play the last stop's narration again\n"
		"  volume N                     master volume, 0-100\n"
		"  lang L[,L]                   narration languages in play order, e.g. zh,en\n"
		"  status                       what the guide is doing\n"
		"  reload                       re-read the route file (kept if invalid)\n\n"
		"Options:\n"
		"  --control PATH  control socket (default %s, or $GUIDE_CONTROL)\n"
		"  --json          print the daemon's JSON reply as is\n"
		"  -h, --help      this help\n"
		"Exit status: 0 done, 1 the daemon is not running or refused, 2 bad usage.\n",
		CONTROL_DEFAULT_PATH);
}

struct command {
	const char *name;
	int min_args, max_args;
};

static const struct command commands[] = {
	{"start", 0, 3},  {"stop", 0, 0},   {"pause", 0, 0}, {"resume", 0, 0}, {"skip", 0, 0},
	{"replay", 0, 0}, {"volume", 1, 1}, {"lang", 1, 1},  {"status", 0, 0}, {"reload", 0, 0},
};

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

static json_object *
jobj(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

static const char *
or_str(const char *s, const char *fallback)
{
	return s ? s : fallback;
}

static void
print_status(json_object *r)
{
	json_object *o, *p;

	printf("tour:      %s (%s)\n", or_str(jstr(r, "tour"), "-"), or_str(jstr(r, "state"), "?"));
	if ((o = jobj(r, "langs")))
		printf("languages: %s\n",
		       json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	if ((o = jobj(r, "volume")))
		printf("volume:    %d\n", json_object_get_int(o));
	if ((o = jobj(r, "position"))) {
		if (jobj(o, "lat")) {
			printf("position:  %.6f, %.6f  mode %d",
			       json_object_get_double(jobj(o, "lat")),
			       json_object_get_double(jobj(o, "lon")),
			       json_object_get_int(jobj(o, "mode")));
			if (jobj(o, "hdop"))
				printf("  hdop %.1f", json_object_get_double(jobj(o, "hdop")));
			if (jobj(o, "sats"))
				printf("  sats %d", json_object_get_int(jobj(o, "sats")));
			if (jobj(o, "speed_kmh"))
				printf("  %.1f km/h", json_object_get_double(jobj(o, "speed_kmh")));
			if (jobj(o, "age_s"))
				printf("  fix %.1f s ago",
				       json_object_get_double(jobj(o, "age_s")));
			if (jobj(o, "fix") && !json_object_get_boolean(jobj(o, "fix")))
				printf("  (lost)");
			printf("\n");
		} else {
			printf("position:  no fix yet (%s)\n", or_str(jstr(o, "source"), "gps"));
		}
		if (jobj(o, "progress_m"))
			printf("progress:  %d of %d m along the path%s\n",
			       json_object_get_int(jobj(o, "progress_m")),
			       json_object_get_int(jobj(o, "path_m")),
			       json_object_get_boolean(jobj(o, "on_path")) ? ""
									   : " (off the path)");
	}
	if ((o = jobj(r, "current")))
		printf("current:   %s\n", or_str(jstr(o, "name"), jstr(o, "poi")));
	if ((o = jobj(r, "next")))
		printf("next:      %s  in %s m\n", or_str(jstr(o, "name"), jstr(o, "poi")),
		       or_str(jstr(o, "distance_m"), "?"));
	if ((o = jobj(r, "playing")))
		printf("playing:   %s [%s] %s\n", or_str(jstr(o, "poi"), "-"),
		       or_str(jstr(o, "lang"), "-"), or_str(jstr(o, "clip"), ""));
	else
		printf("playing:   nothing\n");
	if ((o = jobj(r, "queue")) && json_object_array_length(o) > 0)
		printf("queue:     %s\n",
		       json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	if ((p = jobj(r, "counters"))) {
		printf("counters:");
		json_object_object_foreach(p, key, val)
		{
			printf(" %s=%s", key,
			       json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN));
		}
		printf("\n");
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"control", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	const char *control = getenv("GUIDE_CONTROL");
	bool json = false;
	int c;

	if (!control || !*control)
		control = CONTROL_DEFAULT_PATH;
	/* options before the command only: "start --lang" belongs to the command */
	while ((c = getopt_long(argc, argv, "+c:jhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': control = optarg; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("guidectl %s\n", GUIDE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[optind];
	const struct command *def = NULL;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, cmd) == 0)
			def = &commands[i];
	int nargs = argc - optind - 1;
	if (!def) {
		fprintf(stderr, "guidectl: unknown command '%s' (see guidectl --help)\n", cmd);
		return 2;
	}
	/* trailing --json after the command is accepted too */
	if (nargs > 0 && strcmp(argv[argc - 1], "--json") == 0) {
		json = true;
		nargs--;
		argc--;
	}
	if (nargs < def->min_args || nargs > def->max_args) {
		fprintf(stderr, "guidectl: wrong number of arguments for '%s'\n", cmd);
		return 2;
	}
	char line[CONTROL_MAX_LINE];
	size_t off = 0;
	for (int i = optind; i < argc; i++) {
		int n = snprintf(line + off, sizeof(line) - off, "%s%s", i > optind ? " " : "",
				 argv[i]);
		if (n < 0 || (size_t)n >= sizeof(line) - off || strpbrk(argv[i], "\n\r")) {
			fprintf(stderr, "guidectl: command too long or contains a newline\n");
			return 2;
		}
		off += (size_t)n;
	}

	char *reply = NULL;
	int r = control_request(control, line, 10000, &reply);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		fprintf(stderr,
			"guidectl: the guide daemon is not running (no one listens on %s)\n",
			control);
		return 1;
	}
	if (r < 0) {
		fprintf(stderr, "guidectl: %s: %s\n", control, strerror(-r));
		return 1;
	}
	json_object *root = json_tokener_parse(reply);
	if (!root || !json_object_is_type(root, json_type_object)) {
		fprintf(stderr, "guidectl: unreadable reply from the daemon: %.200s\n", reply);
		json_object_put(root);
		free(reply);
		return 1;
	}
	json_object *okv = jobj(root, "ok");
	bool ok = okv && json_object_get_boolean(okv);
	if (json) {
		printf("%s\n", reply);
	} else if (!ok) {
		const char *e = jstr(root, "error");
		fprintf(stderr, "guidectl: %s: %s\n", cmd, e ? e : "refused");
		json_object *errs = jobj(root, "errors");
		for (size_t i = 0; errs && i < json_object_array_length(errs); i++)
			fprintf(stderr, "%s\n",
				json_object_get_string(json_object_array_get_idx(errs, i)));
	} else if (strcmp(cmd, "status") == 0) {
		print_status(root);
	} else {
		const char *m = jstr(root, "message");
		printf("%s\n", m ? m : "ok");
	}
	json_object_put(root);
	free(reply);
	return ok ? 0 : 1;
}
