/* `guide-route track FILE [--tour ID] [--speed KMH] [--noise M] [--hz N]
 * [--seed N] ...`: a synthetic drive (guide/curator/track.h) as NMEA or GPX
 * on stdout.  `--synthetic` in place of FILE uses track_synthetic_route(). */
#include "guide/curator/guide-route.h"
#include "guide/curator/track.h"
#include "guide/route_tool.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The whole usage: `guide-route track --help` prints it, a bad option
 * repeats it on stderr. */
const char cmd_track_usage[] =
	"Usage: guide-route track FILE [--tour ID] [--speed KMH] [--noise M] [--hz N] [--seed N]\n"
	"                         [--jumps PER_MIN] [--dropouts PER_MIN] [--halt S] [--park S]\n"
	"                         [--wait S] [--reverse] [--detour M --detour-at M [--detour-deg D]]\n"
	"                         [--fix-gap S] [--gpx]\n"
	"  A synthetic GPS drive (NMEA RMC+GGA) along a tour's path on stdout.\n"
	"  FILE may be --synthetic for the built-in test route.\n\n"
	"  --tour ID           the tour to drive (default: the route's first)\n"
	"  --speed KMH         cruising speed (default: the tour's speed_kmh, else 12)\n"
	"  --noise M           white noise per axis, metres, sigma (default 3)\n"
	"  --hz N              fixes per second, up to 50 (default 1)\n"
	"  --seed N            random seed: one seed, always the same drive (default 1)\n"
	"  --jumps PER_MIN     multipath jumps of 20-60 m lasting 2-5 s, per minute of\n"
	"                      driving (default 0.5)\n"
	"  --dropouts PER_MIN  receiver dropouts of 3-8 s without a fix, per minute\n"
	"                      (default 0.2)\n"
	"  --halt S            stop S seconds at each stop's closest approach, as a cart\n"
	"                      that halts for its passengers (default 0: drive through)\n"
	"  --wait S            boarding: parked at the start this long before leaving\n"
	"                      (default 60, time for the welcome and safety announcements)\n"
	"  --park S            parked at the end this long, the receiver drifting (default 0)\n"
	"  --reverse           drive the tour's path the wrong way round\n"
	"  --detour M          an excursion: leave the path at --detour-at metres along it,\n"
	"                      at --detour-deg to its heading (default 90, to the right),\n"
	"                      drive M metres out and come back\n"
	"  --detour-at M       where along the path the excursion leaves it, metres\n"
	"  --detour-deg D      the excursion's angle to the path's heading (default 90)\n"
	"  --fix-gap S         sparse fixes: each 1/hz to S seconds after the last\n"
	"  --gpx               write GPX 1.1 instead of NMEA\n";
struct track_args {
	struct track_options o;
	const char *tour_id; /* NULL: the route's first tour */
	bool gpx;
};

static bool
parse_double(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (!*s || *end || !isfinite(v))
		return false;
	*out = v;
	return true;
}

/* A numeric option's value into a; false when out of range or unknown. */
static bool
set_number(struct track_args *a, const char *name, double d)
{
	struct track_options *o = &a->o;
	if (strcmp(name, "--speed") == 0 && d > 0)
		o->speed_kmh = d;
	else if (strcmp(name, "--noise") == 0 && d >= 0)
		o->noise_m = d;
	else if (strcmp(name, "--hz") == 0 && d > 0 && d <= 50)
		o->hz = d;
	else if (strcmp(name, "--seed") == 0 && d >= 0)
		o->seed = (uint64_t)d;
	else if (strcmp(name, "--jumps") == 0 && d >= 0)
		o->jump_per_min = d;
	else if (strcmp(name, "--dropouts") == 0 && d >= 0)
		o->dropout_per_min = d;
	else if (strcmp(name, "--halt") == 0 && d >= 0)
		o->halt_s = d;
	else if (strcmp(name, "--park") == 0 && d >= 0)
		o->park_end_s = d;
	else if (strcmp(name, "--wait") == 0 && d >= 0)
		o->park_start_s = d;
	else if (strcmp(name, "--detour") == 0 && d >= 0)
		o->detour_m = d;
	else if (strcmp(name, "--detour-at") == 0 && d >= 0)
		o->detour_at_m = d;
	else if (strcmp(name, "--detour-deg") == 0 && d >= -360 && d <= 360)
		o->detour_deg = d;
	else if (strcmp(name, "--fix-gap") == 0 && d >= 0 && d <= 60)
		o->fix_gap_max_s = d;
	else
		return false;
	return true;
}

/* The options after the subcommand; the FILE (or --synthetic) is skipped.
 * Returns -1 to go on, else the exit status (0 after --help, 2 bad usage). */
static int
parse_options(int argc, char **argv, struct track_args *a)
{
	track_options_defaults(&a->o);
	a->o.park_start_s = 60; /* boarding: the welcome plays before the cart leaves */
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		double d;
		if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
			fputs(cmd_track_usage, stdout);
			return 0;
		}
		if (opt[0] != '-' || strcmp(opt, "--synthetic") == 0)
			continue; /* the FILE */
		if (strcmp(opt, "--reverse") == 0) {
			a->o.reverse = true;
			continue;
		}
		if (strcmp(opt, "--gpx") == 0) {
			a->gpx = true;
			continue;
		}
		if (!v) {
			fprintf(stderr, "track: %s needs a value\n%s", opt, cmd_track_usage);
			return 2;
		}
		i++;
		if (strcmp(opt, "--tour") == 0) {
			a->tour_id = v;
			continue;
		}
		if (!parse_double(v, &d)) {
			fprintf(stderr, "track: %s: not a number: %s\n", opt, v);
			return 2;
		}
		if (!set_number(a, opt, d)) {
			fprintf(stderr, "track: bad option or value: %s %s\n%s", opt, v,
				cmd_track_usage);
			return 2;
		}
	}
	return -1;
}

/* The drive along one of r's tours as the options ask, to stdout. */
static int
track_route(const struct route *r, int argc, char **argv)
{
	struct track_args a = {0};
	int rc = parse_options(argc, argv, &a);
	if (rc >= 0)
		return rc;
	const struct route_tour *t = a.tour_id ? route_find_tour(r, a.tour_id) : r->tours;
	if (!t || r->n_tours == 0) {
		fprintf(stderr, "track: no tour %s\n",
			a.tour_id ? a.tour_id : "(none in the route)");
		return 2;
	}
	unsigned idx = (unsigned)(t - r->tours);
	struct track_sample *s;
	size_t n;
	rc = track_generate(r, idx, &a.o, &s, &n);
	if (rc == -EINVAL) {
		fprintf(stderr, "track: tour %s has no path\n", t->id);
		return 2;
	}
	if (rc < 0) {
		fprintf(stderr, "track: %s\n", strerror(-rc));
		return 1;
	}
	rc = a.gpx ? track_write_gpx(s, n, t->id, stdout) : track_write_nmea(s, n, stdout);
	free(s);
	return rc < 0 ? 1 : 0;
}

int
cmd_track(int argc, char **argv)
{
	const char *file = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(cmd_track_usage, stdout);
			return 0;
		}
		if (strcmp(argv[i], "--synthetic") == 0)
			file = argv[i];
		else if (argv[i][0] == '-')
			i++; /* an option's value */
		else if (!file)
			file = argv[i];
	}
	if (!file) {
		fputs(cmd_track_usage, stderr);
		return 2;
	}
	struct route *r = NULL;
	if (strcmp(file, "--synthetic") == 0) {
		r = track_synthetic_route();
		if (!r) {
			fprintf(stderr, "track: out of memory\n");
			return 1;
		}
	} else {
		int lrc = guide_route_load(file, false, stderr, &r, NULL);
		if (lrc != 0)
			return lrc;
	}
	int rc = track_route(r, argc, argv);
	route_destroy(r);
	return rc;
}
