/* Routes: loading one (diagnostics to the log and, for a reload, to the
 * driver), and a reload that takes effect only between stories and only
 * when the new route can continue the tour. */
#include "guide/daemon/daemon_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "guide/events.h"
#include "guide/log.h"
#include "guide/route_tool.h"
#include "routes/route.h"

int
daemon_route_load(const char *path, struct route **out, json_object *errors)
{
	struct route_diag_list diags;
	struct route_load_options opts = {.probe = guide_route_probe};
	char line[1024];

	route_diag_list_init(&diags);
	int r = route_load(path, &opts, out, &diags);
	for (unsigned i = 0; i < diags.n; i++) {
		route_diag_format(&diags.items[i], line, sizeof(line));
		/* the line says "error:" or "warning:" itself */
		guide_log_bare(diags.items[i].severity == ROUTE_DIAG_ERROR ? HAL_LOG_ERR
									   : HAL_LOG_WARNING,
			       "%s", line);
		if (errors && diags.items[i].severity == ROUTE_DIAG_ERROR)
			json_object_array_add(errors, json_object_new_string(line));
	}
	route_diag_list_finish(&diags);
	return r;
}

static void
collect_played(struct daemon *d, const char **ids, unsigned *n)
{
	*n = 0;
	for (unsigned i = 0; i < d->route->n_stops && *n < GUIDE_STATE_MAX_PLAYED; i++)
		if (tour_stop_played(d->tour, i))
			ids[(*n)++] = d->route->stops[i].id;
}

struct tour *
daemon_tour_create(struct daemon *d, const struct route *r)
{
	struct tour_config cfg;
	tour_config_defaults(&cfg);
	cfg.fix_log_interval_ms = -1; /* the daemon logs gps_fix / gps_lost itself */
	cfg.log_gps = false;
	return tour_create(r, &d->player, d->ev, &cfg);
}

/* Swap in the pending route when nothing is being told. */
void
daemon_route_swap_pending(struct daemon *d)
{
	struct tour_status ts;
	if (!d->pending)
		return;
	tour_get_status(d->tour, &ts);
	if (ts.playing)
		return;
	int64_t now = daemon_now(d);
	struct tour *nt = daemon_tour_create(d, d->pending);
	if (!nt) {
		guide_log(HAL_LOG_ERR, "reload: out of memory; keeping the old route");
		route_destroy(d->pending);
		d->pending = NULL;
		return;
	}
	if (ts.state == TOUR_RUNNING || ts.state == TOUR_PAUSED) {
		const char **played = calloc(GUIDE_STATE_MAX_PLAYED, sizeof(*played));
		unsigned n_played = 0, nl;
		const char *const *langs = tour_langs(d->tour, &nl);
		if (played)
			collect_played(d, played, &n_played);
		enum tour_error err = tour_restore(nt, ts.tour, langs, nl, played, n_played,
						   ts.state == TOUR_PAUSED, now);
		free(played);
		if (err) {
			guide_log(
				HAL_LOG_ERR,
				"reload: the new route cannot continue tour %s (%s); keeping the old",
				ts.tour, tour_error_to_str(err));
			events_error(d->ev, now, "reload: new route cannot continue the tour");
			tour_destroy(nt);
			route_destroy(d->pending);
			d->pending = NULL;
			return;
		}
	}
	tour_destroy(d->tour);
	route_destroy(d->route);
	d->generation++;
	d->tour = nt;
	d->route = d->pending;
	d->pending = NULL;
	guide_log(HAL_LOG_NOTICE, "reload: new route %s in effect", d->route->id);
	daemon_state_sync(d, true);
}

int
daemon_reload(struct daemon *d, json_object *reply)
{
	json_object *errors = json_object_new_array();
	struct route *r = NULL;
	int rc = daemon_route_load(d->o->route, &r, errors);
	if (rc < 0) {
		char msg[256];
		snprintf(msg, sizeof(msg), "reload of %s failed: %s; keeping the old route",
			 d->o->route, rc == -EINVAL ? "invalid route" : strerror(-rc));
		events_error(d->ev, daemon_now(d), msg);
		json_object_object_add(reply, "error", json_object_new_string(msg));
		json_object_object_add(reply, "errors", errors);
		return -1;
	}
	json_object_put(errors);
	route_destroy(d->pending);
	d->pending = r;
	daemon_route_swap_pending(d);
	json_object_object_add(reply, "message",
			       json_object_new_string(d->pending
							      ? "route reloaded; it takes effect "
								"when the current story ends"
							      : "route reloaded"));
	return 0;
}
