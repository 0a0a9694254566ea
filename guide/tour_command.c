/* The driver's commands, parsed once for the daemon's control socket, the
 * fuzzer and the tests (see tour_command() in guide/tour.h). */
#include "guide/tour.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned
tour_split_langs(char *s, const char **out, unsigned max)
{
	unsigned n = 0;
	char *save = NULL;
	for (char *tok = strtok_r(s, ",", &save); tok && n < max; tok = strtok_r(NULL, ",", &save))
		out[n++] = tok;
	return n;
}

enum tour_error
tour_command(struct tour *t, const char *default_tour, int argc, char **argv, int64_t now,
	     char *msg, size_t msglen)
{
	const char *cmd = argv[0];
	const char *langs[TOUR_MAX_LANGS];
	enum tour_error err;

	msg[0] = '\0';
	if (strcmp(cmd, "start") == 0) {
		const char *tour_id = NULL;
		unsigned nl = 0;
		for (int i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
				nl = tour_split_langs(argv[++i], langs, TOUR_MAX_LANGS);
			else if (argv[i][0] != '-' && !tour_id)
				tour_id = argv[i];
			else
				return TOUR_ERR_ARG;
		}
		err = tour_start(t, tour_id ? tour_id : default_tour, nl ? langs : NULL, nl, now);
		struct tour_status ts;
		tour_get_status(t, &ts);
		snprintf(msg, msglen, "tour %s started", ts.tour ? ts.tour : "?");
	} else if (strcmp(cmd, "stop") == 0 && argc == 1) {
		err = tour_stop(t, now);
		snprintf(msg, msglen, "tour stopped");
	} else if (strcmp(cmd, "pause") == 0 && argc == 1) {
		err = tour_pause(t, now);
		snprintf(msg, msglen, "paused");
	} else if (strcmp(cmd, "resume") == 0 && argc == 1) {
		err = tour_resume(t, now);
		snprintf(msg, msglen, "resumed");
	} else if (strcmp(cmd, "skip") == 0 && argc == 1) {
		err = tour_skip(t, now);
		snprintf(msg, msglen, "skipped");
	} else if (strcmp(cmd, "replay") == 0 && argc == 1) {
		err = tour_replay(t, now);
		snprintf(msg, msglen, "replaying");
	} else if (strcmp(cmd, "volume") == 0 && argc == 2) {
		char *end;
		long v = strtol(argv[1], &end, 10);
		if (end == argv[1] || *end || v < 0 || v > 100)
			return TOUR_ERR_ARG;
		err = tour_set_volume(t, (double)v / 100.0, now);
		snprintf(msg, msglen, "volume %ld", v);
	} else if (strcmp(cmd, "lang") == 0 && argc == 2) {
		unsigned nl = tour_split_langs(argv[1], langs, TOUR_MAX_LANGS);
		err = tour_set_lang(t, langs, nl, now);
		snprintf(msg, msglen, "languages set");
	} else if (strcmp(cmd, "stop") == 0 || strcmp(cmd, "pause") == 0 ||
		   strcmp(cmd, "resume") == 0 || strcmp(cmd, "skip") == 0 ||
		   strcmp(cmd, "replay") == 0 || strcmp(cmd, "volume") == 0 ||
		   strcmp(cmd, "lang") == 0) {
		return TOUR_ERR_ARG; /* a known command with the wrong arguments */
	} else {
		return TOUR_ERR_COMMAND;
	}
	return err;
}
