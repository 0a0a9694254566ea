/* The driver's commands, parsed once for the daemon's control socket, the
 * fuzzer and the tests (see tour_command() in guide/tour.h), and the
 * driver's words for a refusal: what stands in the way and what there is. */
#include "guide/tour_internal.h"

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

int
tour_parse_langs(char *s, const char **out, char *why, size_t whylen)
{
	unsigned n = 0;
	if (!s || !*s) {
		snprintf(why, whylen, "no language given (a list such as zh,en)");
		return -1;
	}
	for (char *p = s;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (!*p) {
			snprintf(why, whylen,
				 "an empty language in the list (a list such as zh,en)");
			return -1;
		}
		for (unsigned k = 0; k < n; k++) {
			if (strcmp(out[k], p) == 0) {
				snprintf(why, whylen, "language '%s' listed twice", p);
				return -1;
			}
		}
		if (n == TOUR_MAX_LANGS) {
			snprintf(why, whylen, "at most %d languages", TOUR_MAX_LANGS);
			return -1;
		}
		out[n++] = p;
		if (!comma)
			break;
		p = comma + 1;
	}
	return (int)n;
}

int
tour_parse_volume(const char *s)
{
	if (!s || *s < '0' || *s > '9')
		return -1; /* no sign, no blank */
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < 0 || v > 100)
		return -1;
	return (int)v;
}

/* A refusal of `cmd` (the tour's state is as it was before the command). */
static void
explain_state(const struct tour *t, const char *cmd, char *msg, size_t len)
{
	const char *id = t->tour && t->tour->id ? t->tour->id : "?";
	switch (t->state) {
	case TOUR_RUNNING:
	case TOUR_PAUSED:
		if (strcmp(cmd, "start") == 0)
			snprintf(msg, len, "tour %s is already %s; stop it first", id,
				 t->state == TOUR_PAUSED ? "running (paused)" : "running");
		else if (strcmp(cmd, "pause") == 0)
			snprintf(msg, len, "already paused");
		else if (strcmp(cmd, "resume") == 0)
			snprintf(msg, len, "not paused: tour %s is running", id);
		else if (strcmp(cmd, "replay") == 0)
			snprintf(msg, len, "paused: resume first");
		else
			snprintf(msg, len, "not possible while tour %s is %s", id,
				 tour_state_to_str(t->state));
		break;
	case TOUR_IDLE:
	case TOUR_FINISHED:
	default: snprintf(msg, len, "no tour is running (guidectl start begins one)"); break;
	}
}

static void
explain(struct tour *t, const char *cmd, enum tour_error err, const char *tour_id,
	const char *const *langs, unsigned nl, char *msg, size_t len)
{
	switch (err) {
	case TOUR_OK: break;
	case TOUR_ERR_STATE: explain_state(t, cmd, msg, len); break;
	case TOUR_ERR_NO_TOUR:
	case TOUR_ERR_LANG:
		if (tour_check_langs(t, tour_id, langs, nl, msg, len) == TOUR_OK)
			snprintf(msg, len, "%s", tour_error_to_str(err));
		break;
	case TOUR_ERR_NOTHING:
		if (strcmp(cmd, "replay") == 0)
			snprintf(msg, len, "nothing to replay: no stop told yet");
		else
			snprintf(msg, len, "nothing to skip: no stop left ahead");
		break;
	default: snprintf(msg, len, "%s", tour_error_to_str(err)); break;
	}
}

static const char *const no_arg_commands[] = {"stop", "pause", "resume", "skip", "replay"};

enum tour_error
tour_command(struct tour *t, const char *default_tour, int argc, char **argv, int64_t now,
	     char *msg, size_t msglen)
{
	const char *cmd = argv[0];
	const char *langs[TOUR_MAX_LANGS];
	char why[256];
	enum tour_error err;

	msg[0] = '\0';
	if (strcmp(cmd, "start") == 0) {
		const char *tour_id = NULL;
		int nl = 0;
		for (int i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc) {
				nl = tour_parse_langs(argv[++i], langs, why, sizeof(why));
				if (nl < 0) {
					snprintf(msg, msglen, "%s", why);
					return TOUR_ERR_LANG;
				}
			} else if (argv[i][0] != '-' && !tour_id) {
				tour_id = argv[i];
			} else {
				snprintf(msg, msglen,
					 "start [TOUR] [--lang L[,L]]: unexpected '%s'", argv[i]);
				return TOUR_ERR_ARG;
			}
		}
		const char *which = tour_id ? tour_id : default_tour;
		err = tour_start(t, which, nl ? langs : NULL, (unsigned)nl, now);
		if (err) {
			if (!which && t->route->n_tours)
				which = t->route->tours[0].id;
			explain(t, cmd, err, which, langs, (unsigned)nl, msg, msglen);
			return err;
		}
		struct tour_status ts;
		tour_get_status(t, &ts);
		snprintf(msg, msglen, "tour %s started", ts.tour ? ts.tour : "?");
		return TOUR_OK;
	}
	if (strcmp(cmd, "volume") == 0) {
		/* volume N, or one language's: volume N --lang L */
		bool one = argc == 4 && strcmp(argv[2], "--lang") == 0;
		int v = argc == 2 || one ? tour_parse_volume(argv[1]) : -1;
		if (v < 0) {
			if (argc == 2 || one)
				snprintf(msg, msglen, "volume is 0-100, not '%.32s'", argv[1]);
			else
				snprintf(msg, msglen, "volume N: N is 0-100");
			return TOUR_ERR_ARG;
		}
		if (one) {
			err = tour_set_lang_volume(t, argv[3], (double)v / 100.0, now);
			unsigned nl;
			const char *const *in_use = tour_langs(t, &nl);
			char known[128] = "";
			for (unsigned i = 0; i < nl; i++)
				snprintf(known + strlen(known), sizeof(known) - strlen(known),
					 "%s%s", i ? ", " : "", in_use[i]);
			if (err == TOUR_ERR_LANG)
				snprintf(msg, msglen, "no language '%.32s' in use (in use: %s)",
					 argv[3], nl ? known : "none");
			else if (err)
				explain(t, cmd, err, NULL, NULL, 0, msg, msglen);
			else
				snprintf(msg, msglen, "volume %d for %s", v, argv[3]);
			return err;
		}
		err = tour_set_volume(t, (double)v / 100.0, now);
		if (err)
			explain(t, cmd, err, NULL, NULL, 0, msg, msglen);
		else
			snprintf(msg, msglen, "volume %d", v);
		return err;
	}
	if (strcmp(cmd, "lang") == 0) {
		if (argc != 2) {
			snprintf(msg, msglen, "lang L[,L]: one list such as zh,en");
			return TOUR_ERR_ARG;
		}
		int nl = tour_parse_langs(argv[1], langs, why, sizeof(why));
		if (nl < 0) {
			snprintf(msg, msglen, "%s", why);
			return TOUR_ERR_LANG;
		}
		err = tour_set_lang(t, langs, (unsigned)nl, now);
		if (err)
			explain(t, cmd, err, NULL, langs, (unsigned)nl, msg, msglen);
		else
			snprintf(msg, msglen, "languages set");
		return err;
	}
	for (size_t i = 0; i < sizeof(no_arg_commands) / sizeof(*no_arg_commands); i++) {
		if (strcmp(cmd, no_arg_commands[i]) != 0)
			continue;
		if (argc != 1) {
			snprintf(msg, msglen, "'%s' takes no argument", cmd);
			return TOUR_ERR_ARG;
		}
		switch (i) {
		case 0: err = tour_stop(t, now); break;
		case 1: err = tour_pause(t, now); break;
		case 2: err = tour_resume(t, now); break;
		case 3: err = tour_skip(t, now); break;
		default: err = tour_replay(t, now); break;
		}
		static const char *const done[] = {"tour stopped", "paused", "resumed", "skipped",
						   "replaying"};
		if (err)
			explain(t, cmd, err, NULL, NULL, 0, msg, msglen);
		else
			snprintf(msg, msglen, "%s", done[i]);
		return err;
	}
	snprintf(msg, msglen,
		 "unknown command '%.32s' (commands: start, stop, pause, resume, skip, replay, "
		 "volume, lang, status, reload)",
		 cmd);
	return TOUR_ERR_COMMAND;
}
