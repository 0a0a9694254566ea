/* Persistence: the state file is written (atomically, guide/state.c) on
 * every change of tour, state, languages or stops told, and read once at
 * start so that a power cut or kill -9 comes back in the same tour without
 * telling again what was heard. */
#include "guide/daemon/daemon_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guide/log.h"
#include "routes/route.h"

void
daemon_state_sync(struct daemon *d, bool force)
{
	if (!d->o->state)
		return;
	struct tour_status ts;
	tour_get_status(d->tour, &ts);
	unsigned played = 0;
	for (unsigned i = 0; i < d->route->n_stops; i++)
		played += tour_stop_played(d->tour, i);
	unsigned nl;
	const char *const *langs = tour_langs(d->tour, &nl);
	char lbuf[GUIDE_STATE_MAX_ID] = "";
	for (unsigned i = 0; i < nl; i++) {
		size_t len = strlen(lbuf);
		snprintf(lbuf + len, sizeof(lbuf) - len, "%s%s", i ? "," : "", langs[i]);
	}
	if (!force && played == d->st_sig_played && (int)ts.state == d->st_sig_state &&
	    ts.tour == d->st_sig_tour && strcmp(lbuf, d->st_sig_langs) == 0)
		return;
	d->st_sig_played = played;
	d->st_sig_state = (int)ts.state;
	d->st_sig_tour = ts.tour;
	snprintf(d->st_sig_langs, sizeof(d->st_sig_langs), "%s", lbuf);

	struct guide_state st;
	guide_state_init(&st);
	snprintf(st.route, sizeof(st.route), "%s", d->route->id ? d->route->id : "");
	if (ts.state == TOUR_RUNNING || ts.state == TOUR_PAUSED) {
		st.state = ts.state == TOUR_RUNNING ? GUIDE_STATE_RUNNING : GUIDE_STATE_PAUSED;
		snprintf(st.tour, sizeof(st.tour), "%s", ts.tour ? ts.tour : "");
		snprintf(st.langs, sizeof(st.langs), "%s", lbuf);
		for (unsigned i = 0; i < d->route->n_stops; i++)
			if (tour_stop_played(d->tour, i))
				guide_state_mark_played(&st, d->route->stops[i].id);
	}
	/* the event log's numbering goes on from here after a restart */
	snprintf(st.log, sizeof(st.log), "%s", d->log_id);
	st.seq = events_seq(d->ev);
	int r = guide_state_save(d->o->state, &st);
	if (r < 0)
		guide_log(HAL_LOG_WARNING, "cannot save state to %s: %s", d->o->state,
			  strerror(-r));
}

/* The tour the daemon comes back into after a crash, or the one --start asks for. */
void
daemon_tour_begin(struct daemon *d)
{
	int64_t now = daemon_now(d);
	const char *langs[TOUR_MAX_LANGS];
	char lbuf[256] = "";
	unsigned nl = 0;

	if (d->o->langs) {
		/* checked like the driver's lists: a language twice would tell
		 * every story twice; one the tour lacks would be dropped */
		char why[256];
		const char *tour_id = d->o->tour;
		if (!tour_id && d->o->start && d->route->n_tours)
			tour_id = d->route->tours[0].id;
		snprintf(lbuf, sizeof(lbuf), "%s", d->o->langs);
		int n = tour_parse_langs(lbuf, langs, why, sizeof(why));
		if (n < 0 || tour_check_langs(d->tour, tour_id, langs, (unsigned)n, why,
					      sizeof(why)) != TOUR_OK) {
			guide_log(HAL_LOG_ERR, "--lang %s: %s", d->o->langs, why);
			d->exit_code = 2;
			d->quit = true;
			return;
		}
		nl = (unsigned)n;
	}
	if (d->o->state) {
		char err[256];
		struct guide_state st;
		int r = guide_state_load(d->o->state, &st, err, sizeof(err));
		if (r == -EBADMSG)
			guide_log(HAL_LOG_WARNING, "state file damaged (%s); starting clean", err);
		else if (r < 0 && r != -ENOENT)
			guide_log(HAL_LOG_WARNING, "state file: %s; starting clean", err);
		if (r == 0 && st.state != GUIDE_STATE_IDLE &&
		    (!d->route->id || strcmp(st.route, d->route->id) == 0)) {
			char sl[GUIDE_STATE_MAX_ID];
			const char *slangs[TOUR_MAX_LANGS];
			snprintf(sl, sizeof(sl), "%s", st.langs);
			unsigned snl =
				st.langs[0] ? tour_split_langs(sl, slangs, TOUR_MAX_LANGS) : 0;
			const char **played = calloc(st.n_played + 1, sizeof(*played));
			for (unsigned i = 0; played && i < st.n_played; i++)
				played[i] = st.played[i];
			enum tour_error e = tour_restore(d->tour, st.tour, snl ? slangs : NULL, snl,
							 played, played ? st.n_played : 0,
							 st.state == GUIDE_STATE_PAUSED, now);
			free(played);
			if (e == TOUR_OK) {
				guide_log(HAL_LOG_NOTICE,
					  "back in tour %s after a restart (%u stops already told)",
					  st.tour, st.n_played);
				daemon_state_sync(d, true);
				return;
			}
			guide_log(HAL_LOG_WARNING, "cannot resume tour %s: %s", st.tour,
				  tour_error_to_str(e));
		}
	}
	if (d->o->start) {
		enum tour_error e = tour_start(d->tour, d->o->tour, nl ? langs : NULL, nl, now);
		if (e != TOUR_OK) {
			guide_log(HAL_LOG_ERR, "cannot start tour %s: %s",
				  d->o->tour ? d->o->tour : "(first)", tour_error_to_str(e));
			d->exit_code = 2;
			d->quit = true;
			return;
		}
	} else if (nl) {
		tour_set_lang(d->tour, langs, nl, now);
	}
	daemon_state_sync(d, true);
}
