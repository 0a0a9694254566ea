/* guided: the audio guide daemon on the shuttle.  Parses options and hands
 * over to the daemon library; see guide/daemon.h. */
#include "config.h"
#include "guide/control.h"
#include "guide/daemon/daemon.h"
#include "guide/daemon/vehicle.h"
#include "guide/log.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: guided [--config FILE [--check]] --route FILE [--gps SOURCE] [--audio SINK] [--lang zh,en] [--tour ID]\n"
		"              [--start] [--speed X] [--offline] [--events FILE|-]\n"
		"              [--control PATH] [--state PATH] [--input SOURCE]... [--key K=CMD]...\n"
		"              [--marks FILE] [--record FILE.nmea]\n"
		"              [--mic SOURCE] [--verbose]\n"
		"The audio guide daemon: matches GPS positions against the route's geofences\n"
		"and plays the narration.\n\n"
		"  --config FILE    vehicle configuration (default " VEHICLE_DEFAULT_PATH ",\n"
		"                   used when it exists; see CONFIG.md); options given here\n"
		"                   override it\n"
		"  --check          check the configuration and exit (0 valid, 2 invalid)\n"
		"  --route FILE     route YAML (see routes/README.md)\n"
		"  --gps SOURCE     gpsd[:HOST[:PORT]] (default gpsd:localhost:2947) | nmea:FILE | gpx:FILE\n"
		"  --audio SINK     sdl[:DEVICE] (default) | wav:FILE | file:NAME.wav|.flac|.opus | null\n"
		"  --lang L[,L]     narration languages in play order (default: the tour's)\n"
		"  --lang-channels LANG=CH[,LANG=CH...]\n"
		"                   every language at once on its own output channels\n"
		"                   (CH: N, N-M or several joined by +: zh=1+2,en=3,ko=4-5);\n"
		"                   the output has as many channels as the highest named\n"
		"  --tour ID        tour to run (default: the route's first)\n"
		"  --start          start the tour at once (simulation); otherwise wait for\n"
		"                   'guidectl start'\n"
		"  --speed X        replay speed-up for nmea:/gpx: sources (default 1)\n"
		"  --offline        virtual clock: consume the replay as fast as the CPU allows;\n"
		"                   needs --start and --audio wav:, file: or null\n"
		"  --events FILE|-  JSON Lines event log (- for stdout)\n"
		"  --control PATH   control socket (default " CONTROL_DEFAULT_PATH ";\n"
		"                   none under --offline unless given)\n"
		"  --control-same-user  refuse control clients of other users (root excepted);\n"
		"                   otherwise the socket's mode 0660 decides\n"
		"  --state PATH     persist the tour across crashes and power cuts\n"
		"  --marks FILE     'guidectl mark' and the mark key append the current fix\n"
		"                   here as a draft stop (a YAML list; routes/README.md)\n"
		"  --record FILE    keep the drive as NMEA (appended; survives a power cut)\n"
		"  --input SOURCE   the driver's buttons, repeatable: evdev:/dev/input/... (a\n"
		"                   keypad or footswitch, grabbed) | evemu:FILE (a recording\n"
		"                   replayed from the start on the guide's clock)\n"
		"  --key K=CMD      what key K does, repeatable, e.g. KEY_F1=skip (see the\n"
		"                   README: start, stop, pause-resume, volume+10, lang-next,\n"
		"                   mark, talk, none, ...)\n"
		"  --mic SOURCE     the cabin microphone: sdl[:DEVICE] | wav:FILE (48 kHz mono,\n"
		"                   heard from the tour's start); the narration follows the\n"
		"                   noise.  Only levels are kept: no sound is stored or sent\n"
		"  --status         print a live one-line status to stderr while running\n"
		"  -v, --verbose    more log output\n"
		"  -h, --help       this help\n\n"
		"Exit status: 0 done, 1 runtime failure, 2 bad usage or invalid route.\n");
}

/* --status: on a terminal one line on stderr, rewritten in place; a log
 * line clears it first and it is drawn again below (guide_log_set_around),
 * so that the two never share a line.  When stderr is not a terminal (a
 * file, the journal) no escape codes: a plain line when what it says
 * changes, and every LIVE_PLAIN_MS (of the wall clock: a person reads it,
 * whatever the replay's --speed). */
#define LIVE_PLAIN_MS 10000

struct live_line {
	bool tty;
	bool shown;      /* tty: the line is on the screen */
	char text[256];  /* as last drawn, without \r or escapes */
	char said[160];  /* not a tty: what the last line said, clock and metres aside */
	int64_t said_ms; /* monotonic */
};

static struct live_line live_line;

static void
live_around(void *user, bool before)
{
	struct live_line *l = user;
	if (!l->tty || !l->shown)
		return;
	fputs(before ? "\r\033[K" : l->text, stderr);
	if (!before)
		fflush(stderr);
}

static void
print_live(void *user, const struct guided_live *l)
{
	struct live_line *ll = &live_line;
	time_t secs = (time_t)(l->now_ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	const char *what = l->playing ? l->playing : (l->gps_ok ? "-" : "(no gps fix)");
	char lang[48] = "";
	if (l->playing)
		snprintf(lang, sizeof(lang), " [%s]", l->lang ? l->lang : "");
	snprintf(ll->text, sizeof(ll->text), "%02d:%02d:%02d  %-8s %5.0f/%-5.0f m  %-26s%s",
		 tm.tm_hour, tm.tm_min, tm.tm_sec, l->state, l->progress_m, l->path_m, what, lang);
	if (ll->tty) {
		fprintf(stderr, "\r%s\033[K", ll->text);
		ll->shown = true;
	} else {
		char said[sizeof(ll->said)];
		snprintf(said, sizeof(said), "%s %s%s", l->state, what, lang);
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		int64_t mono = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		if (ll->said[0] && strcmp(said, ll->said) == 0 &&
		    mono - ll->said_ms < LIVE_PLAIN_MS)
			return;
		snprintf(ll->said, sizeof(ll->said), "%s", said);
		ll->said_ms = mono;
		size_t n = strlen(ll->text);
		while (n > 0 && ll->text[n - 1] == ' ')
			n--;
		fprintf(stderr, "%.*s\n", (int)n, ll->text);
	}
	fflush(stderr);
}

/* One tour of the summary: its end as the event log says it, its stops. */
static void
print_summary_tour(FILE *f, unsigned n, const struct guided_summary_tour *t)
{
	fprintf(f, "  tour %u: %s [%s]%s, ", n, t->tour, t->langs,
		t->resumed ? " (resumed after a restart)" : "");
	if (t->end[0])
		fprintf(f, "%s\n", t->end);
	else
		fprintf(f, "not ended (%s when the drive ended)\n", t->state ? t->state : "?");
	fprintf(f, "    stops told: %u of %u\n", t->stops_told, t->stops);
	fprintf(f, "    missed:     ");
	unsigned k = 0;
	for (unsigned i = 0; i < t->n_skips; i++)
		if (strcmp(t->skips[i].reason, "missed") == 0)
			fprintf(f, "%s%s", k++ ? ", " : "", t->skips[i].poi);
	fprintf(f, "%s\n", k ? "" : "none");
	fprintf(f, "    skipped:    ");
	k = 0;
	for (unsigned i = 0; i < t->n_skips; i++)
		if (strcmp(t->skips[i].reason, "missed") != 0)
			fprintf(f, "%s%s (%s)", k++ ? ", " : "", t->skips[i].poi,
				t->skips[i].reason);
	fprintf(f, "%s\n", k ? "" : "none");
	fprintf(f, "    clips:      %u started, %u completed, %u cut\n", t->clips_started,
		t->clips_completed, t->clips_cut);
	/* channels mode: what each language's seats heard */
	for (unsigned i = 0; t->channels && i < t->n_by_lang; i++) {
		const unsigned *c = t->by_lang[i].n;
		fprintf(f, "      %-8s  %u started, %u completed, %u cut", t->by_lang[i].lang, c[0],
			c[1], c[2]);
		if (c[3])
			fprintf(f, ", %u without a clip (silence)", c[3]);
		fprintf(f, "\n");
	}
}

static void
live_start(void)
{
	live_line.tty = isatty(STDERR_FILENO);
	guide_log_set_around(live_around, &live_line);
}

static void
live_finish(void)
{
	guide_log_set_around(NULL, NULL);
	if (live_line.shown)
		fputc('\n', stderr);
	live_line.shown = false;
}

static void
print_summary(FILE *f, const struct guided_summary *s, bool offline)
{
	fprintf(f, "summary: %u tour%s, %.2f km driven in %d:%02d min\n", s->n_tours,
		s->n_tours == 1 ? "" : "s", s->drive_m / 1000, (int)s->drive_s / 60,
		(int)s->drive_s % 60);
	if (s->tours_dropped)
		fprintf(f, "  (the first %u tours are left out)\n", s->tours_dropped);
	for (unsigned i = 0; i < s->n_tours - s->tours_dropped; i++)
		print_summary_tour(f, s->tours_dropped + i + 1, &s->tours[i]);
	if (s->n_tours == 0)
		fprintf(f, "  no tour started (guidectl start, or --start)\n");
	fprintf(f, "  audio:      %.1f min rendered, %.1f min of speech\n", s->audio_s / 60,
		s->speech_s / 60);
	fprintf(f, "  wall time:  %.2f s", s->wall_s);
	if (offline && s->wall_s > 0)
		fprintf(f, " (%.0fx real time)", s->drive_s / s->wall_s);
	fprintf(f, "\n");
	if (s->hint[0])
		fprintf(f, "hint: %s\n", s->hint);
}

/* --config FILE, or the default file when it exists: -1 to go on (with *out
 * set, or NULL without a file), else the exit status (--check, or errors). */
static int
load_config(const char *path, bool check, struct vehicle_config **out)
{
	struct route_diag_list diags;
	char line[1024];

	*out = NULL;
	if (!path && access(VEHICLE_DEFAULT_PATH, F_OK) != 0) {
		if (!check)
			return -1; /* options alone, as before there was a file */
		fprintf(stderr, "guided: --check: no --config FILE and no %s\n",
			VEHICLE_DEFAULT_PATH);
		return 2;
	}
	if (!path)
		path = VEHICLE_DEFAULT_PATH;
	route_diag_list_init(&diags);
	int r = vehicle_config_load(path, out, &diags);
	for (unsigned i = 0; i < diags.n; i++) {
		route_diag_format(&diags.items[i], line, sizeof(line));
		fprintf(stderr, "%s\n", line);
	}
	unsigned n_errors = diags.n_errors;
	route_diag_list_finish(&diags);
	if (r < 0) {
		fprintf(stderr, "guided: %s: %u error%s%s\n", path, n_errors,
			n_errors == 1 ? "" : "s", check ? "" : "; not started");
		return 2;
	}
	if (check) {
		printf("%s: valid vehicle configuration\n", path);
		vehicle_config_destroy(*out);
		*out = NULL;
		return 0;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"route", required_argument, NULL, 'r'},
		{"gps", required_argument, NULL, 'g'},
		{"audio", required_argument, NULL, 'a'},
		{"lang", required_argument, NULL, 'l'},
		{"lang-channels", required_argument, NULL, 'X'},
		{"tour", required_argument, NULL, 't'},
		{"start", no_argument, NULL, 's'},
		{"speed", required_argument, NULL, 'S'},
		{"offline", no_argument, NULL, 'o'},
		{"events", required_argument, NULL, 'e'},
		{"control", required_argument, NULL, 'c'},
		{"state", required_argument, NULL, 'p'},
		{"status", no_argument, NULL, 'L'},
		{"control-same-user", no_argument, NULL, 'U'},
		{"input", required_argument, NULL, 'I'},
		{"key", required_argument, NULL, 'K'},
		{"mic", required_argument, NULL, 'm'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"config", required_argument, NULL, 'C'},
		{"check", no_argument, NULL, 'k'},
		{"marks", required_argument, NULL, 'M'},
		{"record", required_argument, NULL, 'R'},
		{0},
	};
	const char *config = NULL;
	bool check = false;
	struct guided_options o;
	int c;
	/* --input and --key point into argv */
	static const char *inputs[16], *keys[64];
	unsigned n_inputs = 0, n_keys = 0;

	guided_options_defaults(&o);
	while ((c = getopt_long(argc, argv, "r:g:a:l:t:sS:oe:c:p:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'r': o.route = optarg, o.cli_set |= GUIDED_SET_ROUTE; break;
		case 'g': o.gps = optarg, o.cli_set |= GUIDED_SET_GPS; break;
		case 'a': o.audio = optarg, o.cli_set |= GUIDED_SET_AUDIO; break;
		case 'l': o.langs = optarg, o.cli_set |= GUIDED_SET_LANGS; break;
		case 'X': o.lang_channels = optarg, o.cli_set |= GUIDED_SET_LANG_CHANNELS; break;
		case 't': o.tour = optarg, o.cli_set |= GUIDED_SET_TOUR; break;
		case 'C': config = optarg; break;
		case 'k': check = true; break;
		case 's': o.start = true; break;
		case 'S': {
			char *end;
			o.speed = strtod(optarg, &end);
			if (*end || !(o.speed > 0 && o.speed <= 10000)) {
				fprintf(stderr,
					"guided: --speed wants a number in (0, 10000], not '%s'\n",
					optarg);
				return 2;
			}
			o.cli_set |= GUIDED_SET_SPEED;
			break;
		}
		case 'o': o.offline = true; break;
		case 'e': o.events = optarg, o.cli_set |= GUIDED_SET_EVENTS; break;
		case 'c': o.control = optarg, o.cli_set |= GUIDED_SET_CONTROL; break;
		case 'p': o.state = optarg, o.cli_set |= GUIDED_SET_STATE; break;
		case 'M': o.marks = optarg, o.cli_set |= GUIDED_SET_MARKS; break;
		case 'R': o.record = optarg, o.cli_set |= GUIDED_SET_RECORD; break;
		case 'L':
			o.on_status = print_live;
			live_start();
			break;
		case 'm': o.mic = optarg, o.cli_set |= GUIDED_SET_MIC; break;
		case 'U': o.control_same_user = true, o.cli_set |= GUIDED_SET_SAME_USER; break;
		case 'I':
		case 'K':
			if (c == 'I' ? n_inputs == 16 : n_keys == 64) {
				fprintf(stderr, "guided: at most %d --%s\n", c == 'I' ? 16 : 64,
					c == 'I' ? "input" : "key");
				return 2;
			}
			if (c == 'I')
				inputs[n_inputs++] = optarg, o.cli_set |= GUIDED_SET_INPUTS;
			else
				keys[n_keys++] = optarg, o.cli_set |= GUIDED_SET_KEYS;
			break;
		case 'v': guide_log_set_level(HAL_LOG_DEBUG); break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("guided %s\n", GUIDE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "guided: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	o.inputs = inputs;
	o.n_inputs = n_inputs;
	o.keys = keys;
	o.n_keys = n_keys;
	struct vehicle_config *vc = NULL;
	int rc = load_config(config, check, &vc);
	if (rc >= 0)
		return rc;
	if (vc) {
		o.config = vc->file;
		vehicle_config_apply(vc, &o);
	}
	if (!o.route) {
		fprintf(stderr, "guided: --route FILE is required (or route: in the vehicle "
				"configuration)\n");
		usage(stderr);
		return 2;
	}
	if (o.offline && !o.start && !o.n_inputs) {
		/* nothing would start the tour: the replay would render silence */
		fprintf(stderr, "guided: --offline renders a tour from its start: add --start "
				"(or an --input whose start key starts it; without it nothing "
				"plays)\n");
		return 2;
	}
	struct guided_summary sum;
	rc = guided_run(&o, &sum);

	if (o.on_status)
		live_finish();
	if (sum.valid) /* on stdout, unless the event log is there */
		print_summary(o.events && strcmp(o.events, "-") == 0 ? stderr : stdout, &sum,
			      o.offline);
	vehicle_config_destroy(vc);
	return rc;
}
