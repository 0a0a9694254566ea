/* The driver's side of the control socket: the commands (guide/control.c
 * splits the lines, guide/tour_command.c runs the tour's verbs) and the
 * status object. */
#define _GNU_SOURCE
#include "guide/daemon/daemon_internal.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "guide/control.h"
#include "guide/daemon/daemon_mic.h"
#include "guide/log.h"
#include "hal/gps.h"
#include "hal/sink.h"
#include "routes/geo.h"
#include "routes/route.h"

static void
ctl_log(void *data, enum hal_log_level level, const char *msg)
{
	guide_log(level, "%s", msg);
}

/* A number with as many decimals as it means (7 for degrees: 1 cm), not
 * json-c's 17 significant digits (39.983502549999997). */
static json_object *
jnum(double v, int decimals)
{
	char buf[64];
	if (!isfinite(v))
		return NULL;
	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	return json_object_new_double_s(strtod(buf, NULL), buf);
}

/* What the GPS says and where the cart is on the tour's path. */
static json_object *
status_position(struct daemon *d, const struct tour_status *ts, int64_t now)
{
	json_object *pos = json_object_new_object();
	json_object_object_add(pos, "source", json_object_new_string(d->o->gps));
	if (d->have_fix) {
		const struct hal_fix *f = &d->last_fix;
		json_object_object_add(pos, "lat", jnum(f->lat, 7));
		json_object_object_add(pos, "lon", jnum(f->lon, 7));
		json_object_object_add(pos, "mode", json_object_new_int(f->mode));
		if (f->set & HAL_FIX_HDOP)
			json_object_object_add(pos, "hdop", jnum(f->hdop, 1));
		if (f->set & HAL_FIX_SATS)
			json_object_object_add(pos, "sats", json_object_new_int(f->sats_used));
		if (f->set & HAL_FIX_SPEED)
			json_object_object_add(pos, "speed_kmh", jnum(f->speed * 3.6, 1));
		if (f->set & HAL_FIX_EPH) /* gpsd's estimate of the horizontal error */
			json_object_object_add(pos, "eph_m", jnum(f->eph, 1));
		json_object_object_add(pos, "age_s",
				       jnum((double)(now - d->last_fix_ms) / 1000, 1));
	}
	json_object_object_add(pos, "fix", json_object_new_boolean(d->gps_ok));
	if (ts->tour && ts->pos.have_position) {
		json_object_object_add(pos, "on_path", json_object_new_boolean(ts->pos.on_path));
		json_object_object_add(pos, "progress_m",
				       json_object_new_int((int)ts->pos.progress_m));
		json_object_object_add(pos, "path_m", json_object_new_int((int)ts->pos.path_len_m));
	}
	return pos;
}

/* Counters: fixes and rejections, audio, GPS source, and for a shift-long
 * soak the heap and descriptors (they must stay flat). */
static json_object *
status_counters(struct daemon *d)
{
	json_object *c = json_object_new_object();
	json_object_object_add(c, "fixes", json_object_new_int64((int64_t)d->fixes));
	json_object *rej = json_object_new_object();
	for (int i = 0; i < FIX_FILTER_REASON_COUNT; i++)
		if (!fix_filter_reason_accepted((enum fix_filter_reason)i) && d->rejected[i])
			json_object_object_add(rej,
					       fix_filter_reason_to_str((enum fix_filter_reason)i),
					       json_object_new_int64((int64_t)d->rejected[i]));
	json_object_object_add(c, "rejected", rej);
	json_object_object_add(c, "underruns",
			       json_object_new_int64((int64_t)mixer_underruns(d->mixer)));
	json_object_object_add(c, "mixer_events_lost",
			       json_object_new_int64((int64_t)mixer_events_lost(d->mixer)));
	json_object_object_add(c, "clips_failed", json_object_new_int64((int64_t)d->clips_failed));
	struct hal_gps_stats gs;
	hal_gps_get_stats(d->gps, &gs);
	json_object_object_add(c, "gps_connects", json_object_new_int64((int64_t)gs.connects));
	json_object_object_add(
		c, "nmea_bad",
		json_object_new_int64((int64_t)(gs.bad_checksum + gs.malformed + gs.truncated)));
	/* for a shift-long soak: memory and descriptors must stay flat */
	struct mallinfo2 mi = mallinfo2();
	json_object_object_add(c, "heap_bytes", json_object_new_int64((int64_t)mi.uordblks));
	int fds = 0;
	DIR *dir = opendir("/proc/self/fd");
	for (struct dirent *de; dir && (de = readdir(dir));)
		fds += de->d_name[0] != '.';
	if (dir) {
		closedir(dir);
		fds--; /* the DIR's own */
	}
	json_object_object_add(c, "open_fds", json_object_new_int(fds));
	return c;
}

/* A stop as the status names it: its id, and its name in English (the
 * language of guidectl's words; else the first it has) whatever languages
 * the tour tells in, and every name under "names". */
static json_object *
status_stop(const struct route_stop *s)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "poi", json_object_new_string(s->id));
	const char *name = route_text_get(s->names, s->n_names, "en");
	if (!name && s->n_names)
		name = s->names[0].text;
	if (name)
		json_object_object_add(o, "name", json_object_new_string(name));
	if (s->n_names) {
		json_object *names = json_object_new_object();
		for (unsigned i = 0; i < s->n_names; i++)
			json_object_object_add(names, s->names[i].lang,
					       json_object_new_string(s->names[i].text));
		json_object_object_add(o, "names", names);
	}
	return o;
}

/* "mode" (channels or sequential) and "languages": per language of the
 * tour, its volume, its channels (channels mode) and what plays on them. */
static void
status_languages(struct daemon *d, json_object *r)
{
	struct tour_lang_playing lp[TOUR_MAX_LANGS];
	unsigned n = tour_get_playing(d->tour, lp, TOUR_MAX_LANGS);
	json_object_object_add(r, "mode",
			       json_object_new_string(d->seats.n ? "channels" : "sequential"));
	json_object *a = json_object_new_array();
	for (unsigned i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "lang", json_object_new_string(lp[i].lang));
		json_object_object_add(o, "volume",
				       json_object_new_int((int)lround(lp[i].volume * 100)));
		int seat = seats_find(&d->seats, lp[i].lang);
		if (seat >= 0) {
			json_object *ch = json_object_new_array();
			for (unsigned c = 0; c < SEATS_MAX_CHANNELS; c++)
				if (d->seats.seat[seat].mask & (1u << c))
					json_object_array_add(ch, json_object_new_int((int)c + 1));
			json_object_object_add(o, "channels", ch);
		}
		json_object *p = NULL;
		if (lp[i].clip) {
			p = json_object_new_object();
			json_object_object_add(p, "poi", json_object_new_string(lp[i].poi));
			if (lp[i].clip->file)
				json_object_object_add(p, "clip",
						       json_object_new_string(lp[i].clip->file));
		}
		json_object_object_add(o, "playing", p);
		json_object_array_add(a, o);
	}
	json_object_object_add(r, "languages", a);
}

static json_object *
status_json(struct daemon *d)
{
	json_object *r = json_object_new_object();
	struct tour_status ts;
	int64_t now = daemon_now(d);

	tour_get_status(d->tour, &ts);
	json_object_object_add(r, "ok", json_object_new_boolean(1));
	json_object_object_add(r, "route",
			       json_object_new_string(d->route->id ? d->route->id : ""));
	json_object_object_add(r, "tour", ts.tour ? json_object_new_string(ts.tour) : NULL);
	json_object_object_add(r, "state", json_object_new_string(tour_state_to_str(ts.state)));
	unsigned nl;
	const char *const *langs = tour_langs(d->tour, &nl);
	json_object *jl = json_object_new_array();
	for (unsigned i = 0; i < nl; i++)
		json_object_array_add(jl, json_object_new_string(langs[i]));
	json_object_object_add(r, "langs", jl);
	char abs[PATH_MAX];
	json_object_object_add(
		r, "route_file",
		d->o->route && realpath(d->o->route, abs) ? json_object_new_string(abs) : NULL);
	json_object_object_add(r, "volume", json_object_new_int((int)lround(ts.volume * 100)));
	daemon_volume_status(d, r);

	json_object_object_add(r, "position", status_position(d, &ts, now));
	json_object_object_add(r, "speed_limit_kmh",
			       d->speed_limit_kmh > 0 ? jnum(d->speed_limit_kmh, 1) : NULL);
	json_object_object_add(r, "speeding", json_object_new_boolean(d->speeding));

	const struct route_tour *tour = ts.tour ? route_find_tour(d->route, ts.tour) : NULL;
	if (tour && ts.last_entry >= 0 && (unsigned)ts.last_entry < tour->n_stops)
		json_object_object_add(r, "current",
				       status_stop(&d->route->stops[tour->stops[ts.last_entry]]));
	if (tour && ts.next_entry < tour->n_stops) {
		const struct route_stop *s = &d->route->stops[tour->stops[ts.next_entry]];
		json_object *n = status_stop(s);
		if (ts.pos.have_position)
			json_object_object_add(n, "distance_m",
					       json_object_new_int((int)geo_distance_m(
						       ts.pos.lat, ts.pos.lon, s->fence.center.lat,
						       s->fence.center.lon)));
		json_object_object_add(r, "next", n);
	}
	if (ts.playing) {
		json_object *p = json_object_new_object();
		json_object_object_add(p, "poi", json_object_new_string(ts.playing));
		json_object_object_add(p, "lang", json_object_new_string(ts.lang ? ts.lang : ""));
		if (ts.clip && ts.clip->file)
			json_object_object_add(p, "clip", json_object_new_string(ts.clip->file));
		/* for a panel that connects mid-clip: its progress bar */
		int64_t el = daemon_player_elapsed_ms(d, ts.lang);
		if (el >= 0) {
			if (ts.clip && ts.clip->duration_ms > 0 && el > ts.clip->duration_ms)
				el = ts.clip->duration_ms;
			json_object_object_add(p, "elapsed_s", jnum((double)el / 1000, 1));
		}
		if (ts.clip && ts.clip->duration_ms > 0)
			json_object_object_add(p, "duration_s",
					       jnum((double)ts.clip->duration_ms / 1000, 1));
		json_object_object_add(r, "playing", p);
	}
	status_languages(d, r);
	json_object *queue = json_object_new_array();
	for (unsigned i = 0; tour && i < tour->n_stops; i++)
		if (tour_entry_outcome(d->tour, i) == TOUR_ENTRY_QUEUED)
			json_object_array_add(
				queue, json_object_new_string(d->route->stops[tour->stops[i]].id));
	json_object_object_add(r, "queue", queue);

	json_object_object_add(r, "counters", status_counters(d));
	json_object *mic = daemon_mic_status_json(d);
	if (mic)
		json_object_object_add(r, "mic", mic);
	return r;
}

static void
reply_obj(struct control_client *client, json_object *o)
{
	control_reply(client, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void
reply_result(struct control_client *client, enum tour_error err, const char *message)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(err == TOUR_OK));
	if (err != TOUR_OK)
		json_object_object_add(o, "error",
				       json_object_new_string(message && *message
								      ? message
								      : tour_error_to_str(err)));
	else if (message)
		json_object_object_add(o, "message", json_object_new_string(message));
	reply_obj(client, o);
}

static void
on_command(void *data, struct control_client *client, int argc, char **argv)
{
	struct daemon *d = data;
	char msg[256];

	if (strcmp(argv[0], "status") == 0) {
		reply_obj(client, status_json(d));
		return;
	}
	if (strcmp(argv[0], "watch") == 0) {
		if (argc != 1) {
			reply_result(client, TOUR_ERR_ARG, "watch takes no arguments");
			return;
		}
		reply_obj(client, status_json(d));
		control_client_watch(client);
		return;
	}
	if (strcmp(argv[0], "reload") == 0) {
		json_object *o = json_object_new_object();
		int r = daemon_reload(d, o);
		json_object_object_add(o, "ok", json_object_new_boolean(r == 0));
		reply_obj(client, o);
		return;
	}
	if (strcmp(argv[0], "talk") == 0) {
		bool ok = daemon_talk_command(d, argc, argv, msg, sizeof(msg));
		reply_result(client, ok ? TOUR_OK : TOUR_ERR_ARG, msg);
		return;
	}
	if (strcmp(argv[0], "mark") == 0) {
		char name[CONTROL_MAX_LINE] = "";
		for (int i = 1; i < argc; i++) /* a name of several words */
			snprintf(name + strlen(name), sizeof(name) - strlen(name), "%s%s",
				 i > 1 ? " " : "", argv[i]);
		bool ok = daemon_mark(d, name, msg, sizeof(msg));
		reply_result(client, ok ? TOUR_OK : TOUR_ERR_STATE, msg);
		return;
	}
	enum tour_error err =
		tour_command(d->tour, d->o->tour, argc, argv, daemon_now(d), msg, sizeof(msg));
	reply_result(client, err, msg);
	daemon_state_sync(d, false);
}

bool
daemon_command(struct daemon *d, int argc, char **argv, char *msg, size_t len)
{
	if (strcmp(argv[0], "reload") == 0) {
		json_object *o = json_object_new_object(), *v;
		int r = daemon_reload(d, o);
		snprintf(msg, len, "%s",
			 json_object_object_get_ex(o, r == 0 ? "message" : "error", &v)
				 ? json_object_get_string(v)
				 : "");
		json_object_put(o);
		return r == 0;
	}
	if (strcmp(argv[0], "talk") == 0)
		return daemon_talk_command(d, argc, argv, msg, len);
	if (strcmp(argv[0], "mark") == 0)
		return daemon_mark(d, argc > 1 ? argv[1] : NULL, msg, len);
	enum tour_error err =
		tour_command(d->tour, d->o->tour, argc, argv, daemon_now(d), msg, len);
	if (err != TOUR_OK && !*msg)
		snprintf(msg, len, "%s", tour_error_to_str(err));
	daemon_state_sync(d, false);
	return err == TOUR_OK;
}

/* ---- live events ---------------------------------------------------------- */

void
daemon_watch_event(struct daemon *d, const char *line, size_t len)
{
	if (!d->ctl || !control_server_watcher_count(d->ctl))
		return;
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	char small[1024], *buf = len < sizeof(small) ? small : malloc(len + 1);
	if (!buf)
		return;
	memcpy(buf, line, len);
	buf[len] = '\0';
	control_server_broadcast(d->ctl, buf);
	if (buf != small)
		free(buf);
	d->watch_dirty = true;
}

/* Something a status shows goes on changing: a clip plays (its progress),
 * the cart moves (its position). */
static bool
watch_live(struct daemon *d)
{
	struct tour_status ts;
	tour_get_status(d->tour, &ts);
	if (ts.playing)
		return true;
	return d->have_fix && (d->last_fix.lat != d->watch_lat || d->last_fix.lon != d->watch_lon);
}

int64_t
daemon_watch_next_due(struct daemon *d)
{
	if (!d->ctl || !control_server_watcher_count(d->ctl))
		return -1;
	if (d->watch_dirty)
		return hal_clock_now_ms(&d->time.clock);
	return watch_live(d) ? d->watch_last_ms + DAEMON_WATCH_STATUS_MS : -1;
}

void
daemon_watch_pump(struct daemon *d)
{
	if (!d->ctl || !control_server_watcher_count(d->ctl)) {
		d->watch_dirty = false;
		return;
	}
	int64_t clk = hal_clock_now_ms(&d->time.clock);
	if (!d->watch_dirty && !(watch_live(d) && clk - d->watch_last_ms >= DAEMON_WATCH_STATUS_MS))
		return;
	json_object *o = status_json(d);
	control_server_broadcast(d->ctl, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	d->watch_dirty = false;
	d->watch_last_ms = clk;
	if (d->have_fix) {
		d->watch_lat = d->last_fix.lat;
		d->watch_lon = d->last_fix.lon;
	}
}

int
daemon_control_open(struct daemon *d)
{
	const char *path = d->o->control;
	bool explicit = path != NULL;
	if (!path) {
		if (d->o->offline)
			return 0;
		path = CONTROL_DEFAULT_PATH;
		mkdir("/run/guide", 0750); /* systemd's RuntimeDirectory= makes it otherwise */
	}
	struct control_server_options co = {
		.path = path,
		.mode = 0660,
		.handler = on_command,
		.log = ctl_log,
		.data = d,
		.same_user_only = d->o->control_same_user,
	};
	int r = control_server_create(&co, &d->ctl);
	if (r < 0) {
		guide_log(explicit ? HAL_LOG_ERR : HAL_LOG_WARNING, "control socket %s: %s%s", path,
			  strerror(-r), explicit ? "" : " (running without driver controls)");
		return explicit ? r : 0;
	}
	if (d->o->control_group) {
		/* the group's members (the panel, the fleet link) may connect */
		struct group *g = getgrnam(d->o->control_group);
		if (!g || chown(path, (uid_t)-1, g->gr_gid) < 0) {
			r = g ? -errno : -ENOENT;
			guide_log(HAL_LOG_ERR, "control socket %s: group %s: %s", path,
				  d->o->control_group, g ? strerror(-r) : "no such group");
			return r;
		}
	}
	return 0;
}
