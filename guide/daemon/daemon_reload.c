/* Routes: loading one (diagnostics to the log and, for a reload, to the
 * driver), and a reload that takes effect only between stories and only
 * when the new route can continue the tour.  A reload re-reads the vehicle
 * configuration first: an invalid one is refused whole (the guide runs on
 * with the old); of a valid one, route, tour and langs take effect (unless
 * the command line gave them), the rest is said to need a restart. */
#include "guide/daemon/daemon_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "guide/daemon/vehicle.h"
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

#define RELOAD_EVENT_MAX_ERRORS 32

/* The event log's route_reload {route, file, ok, effect | errors}: a reload
 * leaves a trace whether it succeeds ("now" or "after_story") or not (the
 * errors as FILE:LINE:COL: message, at most RELOAD_EVENT_MAX_ERRORS). */
static void
reload_event(struct daemon *d, const char *route_id, const char *effect, json_object *errors)
{
	const char *lines[RELOAD_EVENT_MAX_ERRORS];
	unsigned n = 0;
	for (size_t i = 0;
	     errors && i < json_object_array_length(errors) && n < RELOAD_EVENT_MAX_ERRORS; i++)
		lines[n++] = json_object_get_string(json_object_array_get_idx(errors, i));
	if (effect)
		events_emit(d->ev, daemon_now(d), "route_reload", "route", 's', route_id, "file",
			    's', d->o->route, "ok", 'b', 1, "effect", 's', effect, NULL);
	else
		events_emit(d->ev, daemon_now(d), "route_reload", "route", 's', route_id, "file",
			    's', d->o->route, "ok", 'b', 0, "errors", 'S', lines, n, NULL);
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
	cfg.seats = d->seats.n ? &d->seats : NULL;
	return tour_create(r, &d->player, d->ev, &cfg);
}

/* Swap in the pending route when nothing is being told: 1 done, 0 still
 * waiting (or nothing pending), -1 refused (the pending route is dropped). */
int
daemon_route_swap_pending(struct daemon *d)
{
	struct tour_status ts;
	if (!d->pending)
		return 0;
	tour_get_status(d->tour, &ts);
	if (ts.playing)
		return 0;
	int64_t now = daemon_now(d);
	struct tour *nt = daemon_tour_create(d, d->pending);
	if (!nt) {
		guide_log(HAL_LOG_ERR, "reload: out of memory; keeping the old route");
		route_destroy(d->pending);
		d->pending = NULL;
		return -1;
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
			char why[256];
			snprintf(why, sizeof(why), "%s: the new route cannot continue tour %s (%s)",
				 d->o->route, ts.tour, tour_error_to_str(err));
			json_object *errors = json_object_new_array();
			json_object_array_add(errors, json_object_new_string(why));
			reload_event(d, d->route->id, NULL, errors);
			json_object_put(errors);
			tour_destroy(nt);
			route_destroy(d->pending);
			d->pending = NULL;
			return -1;
		}
	}
	tour_destroy(d->tour);
	route_destroy(d->route);
	d->generation++;
	d->tour = nt;
	d->route = d->pending;
	d->pending = NULL;
	guide_log(HAL_LOG_NOTICE, "reload: new route %s in effect", d->route->id);
	reload_event(d, d->route->id, "now", NULL);
	daemon_state_sync(d, true);
	return 1;
}

/* The vehicle configuration, re-read: 0 with *out set, or -1 with the reply
 * and the event log saying why (nothing changes). */
static int
config_reread(struct daemon *d, json_object *reply, struct vehicle_config **out)
{
	struct route_diag_list diags;
	json_object *errors = json_object_new_array();
	char line[1024], msg[512];

	route_diag_list_init(&diags);
	int rc = vehicle_config_load(d->o->config, out, &diags);
	for (unsigned i = 0; i < diags.n; i++) {
		route_diag_format(&diags.items[i], line, sizeof(line));
		bool error = diags.items[i].severity == ROUTE_DIAG_ERROR;
		guide_log_bare(error ? HAL_LOG_ERR : HAL_LOG_WARNING, "%s", line);
		if (error)
			json_object_array_add(errors, json_object_new_string(line));
	}
	route_diag_list_finish(&diags);
	if (rc == 0 && !(d->o->cli_set & GUIDED_SET_ROUTE) && !(*out)->route) {
		/* the running route came from this file: it must still say one */
		snprintf(line, sizeof(line),
			 "%s:1:1: error: no 'route:' (the guide's route comes "
			 "from this file)",
			 d->o->config);
		guide_log_bare(HAL_LOG_ERR, "%s", line);
		json_object_array_add(errors, json_object_new_string(line));
		vehicle_config_destroy(*out);
		*out = NULL;
		rc = -EINVAL;
	}
	if (rc < 0) {
		snprintf(msg, sizeof(msg),
			 "reload of %s failed: %s; keeping the old configuration and route",
			 d->o->config,
			 rc == -EINVAL ? "invalid vehicle configuration" : strerror(-rc));
		guide_log(HAL_LOG_ERR, "%s", msg);
		events_error(d->ev, daemon_now(d), msg);
		json_object_object_add(reply, "error", json_object_new_string(msg));
		json_object_object_add(reply, "errors", errors);
		return -1;
	}
	json_object_put(errors);
	return 0;
}

/* The re-read configuration takes effect: route, tour and langs now (the
 * route through the reload that follows), the rest at the next start. */
static void
config_take(struct daemon *d, struct vehicle_config *c, json_object *reply)
{
	struct guided_options n = d->opts;
	char restart[256];

	vehicle_config_apply(c, &n);
	vehicle_config_restart_fields(&d->opts, &n, restart, sizeof(restart));
	if (restart[0]) {
		char msg[400];
		snprintf(msg, sizeof(msg),
			 "%s: %s changed: needs a restart (running on with the old)", d->o->config,
			 restart);
		guide_log(HAL_LOG_WARNING, "reload: %s", msg);
		json_object_object_add(reply, "restart", json_object_new_string(msg));
	}
	if (!(d->opts.cli_set & GUIDED_SET_ROUTE))
		d->opts.route = c->route;
	if (!(d->opts.cli_set & GUIDED_SET_TOUR))
		d->opts.tour = c->tour;
	if (!(d->opts.cli_set & GUIDED_SET_LANGS))
		d->opts.langs = c->langs;
	d->opts.auto_volume = &c->auto_volume; /* at once: the next second's update */
	d->opts.mic_noise = n.mic_noise;       /* into c: the microphone's bounds, at once */
	/* nothing of d->opts points into the one before (see config_reread) */
	vehicle_config_destroy(d->config);
	d->config = c;
}

int
daemon_reload(struct daemon *d, json_object *reply)
{
	struct vehicle_config *c = NULL;
	const char *route_path = d->o->route;
	if (d->o->config) {
		if (config_reread(d, reply, &c) < 0)
			return -1;
		if (!(d->o->cli_set & GUIDED_SET_ROUTE))
			route_path = c->route;
	}
	json_object *errors = json_object_new_array();
	struct route *r = NULL;
	int rc = daemon_route_load(route_path, &r, errors);
	if (rc < 0) {
		char msg[256];
		snprintf(msg, sizeof(msg), "reload of %s failed: %s; keeping the old route",
			 route_path, rc == -EINVAL ? "invalid route" : strerror(-rc));
		vehicle_config_destroy(c); /* route_path is no longer used */
		events_error(d->ev, daemon_now(d), msg);
		json_object *why = errors;
		if (json_object_array_length(errors) == 0) { /* not a route error: say what */
			why = json_object_new_array();
			json_object_array_add(why, json_object_new_string(msg));
		}
		reload_event(d, d->route->id, NULL, why);
		if (why != errors)
			json_object_put(why);
		json_object_object_add(reply, "error", json_object_new_string(msg));
		json_object_object_add(reply, "errors", errors);
		return -1;
	}
	json_object_put(errors);
	if (c)
		config_take(d, c, reply);
	route_destroy(d->pending);
	d->pending = r;
	int swapped = daemon_route_swap_pending(d);
	if (swapped < 0) {
		json_object_object_add(
			reply, "error",
			json_object_new_string("the new route cannot continue the running tour; "
					       "keeping the old route"));
		return -1;
	}
	if (swapped == 0)
		reload_event(d, d->pending->id, "after_story", NULL);
	json_object_object_add(reply, "message",
			       json_object_new_string(d->pending
							      ? "route reloaded; it takes effect "
								"when the current story ends"
							      : "route reloaded"));
	return 0;
}
