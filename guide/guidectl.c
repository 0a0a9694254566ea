/* guidectl: the driver's (and the scripts') control of a running guided. */
#include "config.h"
#include "guide/control.h"
#include "guide/tour.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
		"  reload                       re-read the route file (kept if invalid)\n"
		"  talk on [SECONDS] | talk off the driver talks: narration holds, then goes on\n"
		"                               from a little before; on turns itself off after\n"
		"                               SECONDS (default 60)\n"
		"  mark [NAME]                  keep the current fix as a draft stop (guided --marks)\n"
		"  watch                        follow the guide live: one line per event and per\n"
		"                               change of state (--json: the daemon's lines as\n"
		"                               they come) until interrupted\n\n"
		"Options:\n"
		"  --control PATH  control socket (default %s, or $GUIDE_CONTROL)\n"
		"  --json          print the daemon's JSON reply as is\n"
		"  -h, --help      this help\n"
		"Exit status: 0 done; 1 the daemon is not running or refused (it says why,\n"
		"e.g. \"already paused\"); 2 bad usage, found before asking the daemon\n"
		"(unknown command, volume outside 0-100, a language listed twice).\n"
		"watch: 1 when guided goes away.\n",
		CONTROL_DEFAULT_PATH);
}

struct command {
	const char *name;
	int min_args, max_args;
};

static const struct command commands[] = {
	{"start", 0, 3},  {"stop", 0, 0},   {"pause", 0, 0}, {"resume", 0, 0}, {"skip", 0, 0},
	{"replay", 0, 0}, {"volume", 1, 1}, {"lang", 1, 1},  {"status", 0, 0}, {"reload", 0, 0},
	{"talk", 1, 2},   {"mark", 0, 1},   {"watch", 0, 0},
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

/* "zh, en" from a JSON array of strings */
static void
print_list(json_object *a)
{
	for (size_t i = 0; i < json_object_array_length(a); i++)
		printf("%s%s", i ? ", " : "",
		       json_object_get_string(json_object_array_get_idx(a, i)));
}

/* "gate (798 Art Zone Gate)": a stop's id and its name */
static void
print_stop(json_object *o)
{
	const char *name = jstr(o, "name");
	printf("%s", or_str(jstr(o, "poi"), "?"));
	if (name)
		printf(" (%s)", name);
}

static void
print_position(json_object *o)
{
	if (!jobj(o, "lat")) {
		printf("position:  no fix yet (%s)\n", or_str(jstr(o, "source"), "gps"));
		return;
	}
	int mode = jobj(o, "mode") ? json_object_get_int(jobj(o, "mode")) : 0;
	printf("position:  %.7f, %.7f  %s", json_object_get_double(jobj(o, "lat")),
	       json_object_get_double(jobj(o, "lon")),
	       mode >= 3   ? "3D fix"
	       : mode == 2 ? "2D fix"
			   : "no fix");
	if (jobj(o, "fix") && !json_object_get_boolean(jobj(o, "fix")))
		printf(" (lost)");
	printf("\n");
	/* the receiver's quality: every item, "?" where the GPS source does not say */
	printf("quality:  ");
	if (jobj(o, "hdop"))
		printf(" hdop %.1f", json_object_get_double(jobj(o, "hdop")));
	else
		printf(" hdop ?");
	if (jobj(o, "sats"))
		printf(", %d satellites", json_object_get_int(jobj(o, "sats")));
	else
		printf(", satellites ?");
	if (jobj(o, "eph_m"))
		printf(", error ~%.0f m", json_object_get_double(jobj(o, "eph_m")));
	if (jobj(o, "speed_kmh"))
		printf(", %.1f km/h", json_object_get_double(jobj(o, "speed_kmh")));
	if (jobj(o, "age_s"))
		printf(", fix %.1f s ago", json_object_get_double(jobj(o, "age_s")));
	printf("\n");
}

static void
print_counters(json_object *p)
{
	printf("counters: ");
	const char *sep = " ";
	json_object_object_foreach(p, key, val)
	{
		if (json_object_is_type(val, json_type_object)) {
			/* rejected: {"accel":17} -> "rejected 17 (accel 17)" */
			int64_t total = 0;
			json_object_object_foreach(val, k2, v2)
			{
				(void)k2;
				total += json_object_get_int64(v2);
			}
			printf("%s%s %lld", sep, key, (long long)total);
			const char *in = " (";
			json_object_object_foreach(val, k3, v3)
			{
				printf("%s%s %lld", in, k3, (long long)json_object_get_int64(v3));
				in = ", ";
			}
			if (*in == ',')
				printf(")");
		} else {
			printf("%s%s %s", sep, key, json_object_get_string(val));
		}
		sep = ", ";
	}
	printf("\n");
}

static void
print_status(json_object *r)
{
	json_object *o;

	printf("tour:      %s (%s)\n", or_str(jstr(r, "tour"), "-"), or_str(jstr(r, "state"), "?"));
	if ((o = jobj(r, "langs"))) {
		printf("languages: ");
		if (json_object_array_length(o) == 0)
			printf("- (the tour's own when it starts)");
		print_list(o);
		printf("\n");
	}
	if ((o = jobj(r, "volume")))
		printf("volume:    %d\n", json_object_get_int(o));
	if ((o = jobj(r, "position"))) {
		print_position(o);
		if (jobj(o, "progress_m"))
			printf("progress:  %d of %d m along the path%s\n",
			       json_object_get_int(jobj(o, "progress_m")),
			       json_object_get_int(jobj(o, "path_m")),
			       json_object_get_boolean(jobj(o, "on_path")) ? ""
									   : " (off the path)");
	}
	if ((o = jobj(r, "current"))) {
		printf("current:   ");
		print_stop(o);
		printf("\n");
	}
	if ((o = jobj(r, "next"))) {
		printf("next:      ");
		print_stop(o);
		if (jobj(o, "distance_m"))
			printf(", %d m away", json_object_get_int(jobj(o, "distance_m")));
		printf("\n");
	}
	if ((o = jobj(r, "playing"))) {
		printf("playing:   %s [%s]", or_str(jstr(o, "poi"), "-"),
		       or_str(jstr(o, "lang"), "-"));
		if (jstr(o, "clip"))
			printf(" %s", jstr(o, "clip"));
		printf("\n");
	} else {
		printf("playing:   nothing\n");
	}
	if ((o = jobj(r, "queue")) && json_object_array_length(o) > 0) {
		printf("queue:     ");
		print_list(o);
		printf("\n");
	}
	if ((o = jobj(r, "counters")))
		print_counters(o);
}

/* ---- watch ------------------------------------------------------------- */

/* "12:03:04 clip_start gate zh": the event's time of day (UTC, as the log
 * has it), its name and its values but the bookkeeping and coordinates. */
static void
print_event(json_object *e)
{
	const char *t = jstr(e, "time");
	printf("%.8s %s", t && strlen(t) >= 19 ? t + 11 : "--:--:--",
	       or_str(jstr(e, "event"), "?"));
	json_object_object_foreach(e, key, val)
	{
		static const char *const skip[] = {"time", "event", "seq", "log",
						   "lat",  "lon",   "clip"};
		bool skipped = false;
		for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
			skipped |= strcmp(key, skip[i]) == 0;
		if (skipped || !val)
			continue;
		if (json_object_is_type(val, json_type_array)) {
			printf(" ");
			print_list(val);
		} else if (json_object_is_type(val, json_type_string) ||
			   json_object_is_type(val, json_type_int) ||
			   json_object_is_type(val, json_type_double)) {
			printf(" %s", json_object_get_string(val));
		} else {
			printf(" %s=%s", key, json_object_get_string(val));
		}
	}
	printf("\n");
}

/* A status in one line; printed when it differs from the last one. */
static void
status_line(json_object *r, char *buf, size_t len)
{
	json_object *o;
	size_t off = 0;
#define ADD(...) off += (size_t)snprintf(buf + off, off < len ? len - off : 0, __VA_ARGS__)
	ADD("status %s %s", or_str(jstr(r, "tour"), "-"), or_str(jstr(r, "state"), "?"));
	if ((o = jobj(r, "playing")))
		ADD(", playing %s [%s]", or_str(jstr(o, "poi"), "-"), or_str(jstr(o, "lang"), "-"));
	if ((o = jobj(r, "next")))
		ADD(", next %s", or_str(jstr(o, "poi"), "?"));
	if ((o = jobj(r, "position")) && jobj(o, "fix") && !json_object_get_boolean(jobj(o, "fix")))
		ADD(", no fix");
	if ((o = jobj(r, "speeding")) && json_object_get_boolean(o))
		ADD(", speeding");
	if ((o = jobj(r, "volume")))
		ADD(", volume %d", json_object_get_int(o));
#undef ADD
}

static int
watch(const char *control, bool json)
{
	int fd = control_connect(control);
	if (fd == -ENOENT || fd == -ECONNREFUSED) {
		fprintf(stderr,
			"guidectl: the guide daemon is not running (no one listens on %s)\n",
			control);
		return 1;
	}
	if (fd < 0) {
		fprintf(stderr, "guidectl: %s: %s\n", control, strerror(-fd));
		return 1;
	}
	FILE *in = fdopen(fd, "r+");
	if (!in || fputs("watch\n", in) < 0 || fflush(in) != 0) {
		fprintf(stderr, "guidectl: %s: %s\n", control, strerror(errno));
		return 1;
	}
	char *line = NULL, last[512] = "", now[512];
	size_t cap = 0;
	bool first = true;
	ssize_t n;
	while ((n = getline(&line, &cap, in)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		json_object *o = json_tokener_parse(line);
		if (first && (!o || !jobj(o, "ok") || !json_object_get_boolean(jobj(o, "ok")))) {
			const char *e = jstr(o, "error");
			fprintf(stderr, "guidectl: watch: %s\n", e ? e : "refused");
			json_object_put(o);
			free(line);
			fclose(in);
			return 1;
		}
		first = false;
		if (json) {
			printf("%s\n", line);
		} else if (o && jstr(o, "event")) {
			print_event(o);
		} else if (o) {
			status_line(o, now, sizeof(now));
			if (strcmp(now, last) != 0) {
				printf("%s\n", now);
				snprintf(last, sizeof(last), "%s", now);
			}
		}
		fflush(stdout);
		json_object_put(o);
	}
	free(line);
	fclose(in);
	fprintf(stderr, "guidectl: guided went away\n");
	return 1;
}

/* What guidectl can tell wrong without the daemon: exit 2.  The daemon
 * checks again (other clients speak to it) and knows more (the tours and
 * their languages). */
static bool
check_args(const char *cmd, int nargs, char **args)
{
	char why[256], buf[CONTROL_MAX_LINE];
	const char *langs[TOUR_MAX_LANGS];

	if (strcmp(cmd, "talk") == 0 &&
	    !(strcmp(args[0], "on") == 0 || (strcmp(args[0], "off") == 0 && nargs == 1))) {
		fprintf(stderr, "guidectl: talk on [SECONDS] | talk off\n");
		return false;
	}
	if (strcmp(cmd, "volume") == 0 && tour_parse_volume(args[0]) < 0) {
		fprintf(stderr, "guidectl: volume is 0-100, not '%s'\n", args[0]);
		return false;
	}
	if (strcmp(cmd, "lang") == 0) {
		snprintf(buf, sizeof(buf), "%s", args[0]);
		if (tour_parse_langs(buf, langs, why, sizeof(why)) < 0) {
			fprintf(stderr, "guidectl: lang: %s\n", why);
			return false;
		}
	}
	if (strcmp(cmd, "start") == 0) {
		bool have_tour = false, have_lang = false;
		for (int i = 0; i < nargs; i++) {
			if (strcmp(args[i], "--lang") == 0 && i + 1 < nargs && !have_lang) {
				snprintf(buf, sizeof(buf), "%s", args[++i]);
				if (tour_parse_langs(buf, langs, why, sizeof(why)) < 0) {
					fprintf(stderr, "guidectl: start --lang: %s\n", why);
					return false;
				}
				have_lang = true;
			} else if (args[i][0] != '-' && !have_tour) {
				have_tour = true;
			} else {
				fprintf(stderr,
					"guidectl: start [TOUR] [--lang L[,L]]: unexpected '%s'\n",
					args[i]);
				return false;
			}
		}
	}
	return true;
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
	if (!check_args(cmd, nargs, argv + optind + 1))
		return 2;
	if (strcmp(cmd, "watch") == 0)
		return watch(control, json);
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
		const char *later = jstr(root, "restart"); /* reload: waits for a restart */
		if (later)
			printf("%s\n", later);
	}
	json_object_put(root);
	free(reply);
	return ok ? 0 : 1;
}
