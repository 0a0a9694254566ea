/* guide-fleet: the cart's link to the depot (DESIGN.md "Fleet over MQTT",
 * guide/fleet/README.md).  Parses the options and runs the agent. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "guide/fleet/fleet.h"
#include "guide/log.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: guide-fleet --events PATH --control PATH --broker mqtt[s]://HOST:PORT\n"
		   "                   --fleet F --cart C --spool DIR --routes DIR\n"
		   "                   [--spool-max MB] [--ca FILE] [--credentials FILE]\n");
}

/* A fleet or cart name is one topic level: no '/', '+', '#' or blanks. */
static bool
name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static bool
is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"events", required_argument, NULL, 'e'},
		{"control", required_argument, NULL, 'c'},
		{"broker", required_argument, NULL, 'b'},
		{"fleet", required_argument, NULL, 'f'},
		{"cart", required_argument, NULL, 'C'},
		{"spool", required_argument, NULL, 's'},
		{"routes", required_argument, NULL, 'r'},
		{"spool-max", required_argument, NULL, 'm'},
		{"ca", required_argument, NULL, 'a'},
		{"credentials", required_argument, NULL, 'u'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct fleet_options o = {.spool_max = 8ull << 20};
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'e': o.events = optarg; break;
		case 'c': o.control = optarg; break;
		case 'b': o.broker = optarg; break;
		case 'f': o.fleet = optarg; break;
		case 'C': o.cart = optarg; break;
		case 's': o.spool = optarg; break;
		case 'r': o.routes = optarg; break;
		case 'a': o.ca = optarg; break;
		case 'u': o.credentials = optarg; break;
		case 'm': {
			char *end;
			double mb = strtod(optarg, &end);
			if (*end || !(mb >= 0.001 && mb <= 4096)) {
				fprintf(stderr,
					"guide-fleet: --spool-max MB: 0.001 to 4096, not '%s'\n",
					optarg);
				return 2;
			}
			o.spool_max = (uint64_t)(mb * 1024 * 1024);
			break;
		}
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	const char *missing = !o.events    ? "--events"
			      : !o.control ? "--control"
			      : !o.broker  ? "--broker"
			      : !o.fleet   ? "--fleet"
			      : !o.cart    ? "--cart"
			      : !o.spool   ? "--spool"
			      : !o.routes  ? "--routes"
					   : NULL;
	if (optind < argc || missing) {
		if (missing)
			fprintf(stderr, "guide-fleet: %s is required\n", missing);
		else
			fprintf(stderr, "guide-fleet: unexpected '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (fleet_parse_broker(&o) < 0) {
		fprintf(stderr,
			"guide-fleet: --broker: mqtt://HOST[:PORT] or mqtts://HOST[:PORT], "
			"not '%s'\n",
			o.broker);
		return 2;
	}
	if (!name_ok(o.fleet) || !name_ok(o.cart)) {
		fprintf(stderr, "guide-fleet: --fleet and --cart: 1-64 letters, digits, '-', '_' "
				"or '.'\n");
		return 2;
	}
	if (!is_dir(o.routes)) {
		fprintf(stderr, "guide-fleet: --routes %s: not a folder\n", o.routes);
		return 2;
	}
	if (o.tls && !o.ca) {
		fprintf(stderr, "guide-fleet: mqtts:// needs --ca FILE\n");
		return 2;
	}
	if (mkdir(o.spool, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "guide-fleet: --spool %s: %s\n", o.spool, strerror(errno));
		return 2;
	}
	if (!is_dir(o.spool)) {
		fprintf(stderr, "guide-fleet: --spool %s: not a folder\n", o.spool);
		return 2;
	}
	return fleet_run(&o);
}
