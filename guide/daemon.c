#define _GNU_SOURCE
#include "config.h"
#include "guide/daemon.h"

#include <errno.h>
#include <dirent.h>
#include <json-c/json.h>
#include <malloc.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "audio/mixer.h"
#include "guide/control.h"
#include "guide/events.h"
#include "guide/log.h"
#include "guide/notify.h"
#include "guide/route_tool.h"
#include "guide/state.h"
#include "guide/tour.h"
#include "hal/clock.h"
#include "hal/fix_filter.h"
#include "hal/gps.h"
#include "hal/sink.h"
#include "routes/geo.h"
#include "routes/route.h"

#define TICK_MS 20               /* real-time loop period */
#define OFFLINE_STEP_MS 10       /* offline audio block: 480 frames */
#define GPS_SILENCE_MS 5000      /* no fix this long: gps_lost */
#define FIX_LOG_MS 1000          /* gps_fix at most this often */
#define DRAIN_LIMIT_MS (10 * 60 * 1000) /* after the replay: finish the story, then stop */
#define CUT_FADE_MS 250          /* a cut story fades out, it does not click */
#define MAX_PLAYING 8
#define MAX_LANGS 8

/* A clip the mixer plays for the tour.  The mixer's user_id is the tour's
 * token tagged with the tour's generation, so that a late event of a clip
 * of a tour replaced by a reload never ends a clip of the new one. */
struct playing {
	uint64_t token; /* the tour's, 0 = free slot */
	uint64_t user_id;
	mixer_handle handle;
};

#define USER_ID(gen, token) (((uint64_t)(gen) << 40) | (token))

struct daemon {
	const struct guided_options *o;
	struct route *route;
	struct route *pending; /* a reloaded route waiting for a quiet moment */
	struct events *ev;
	FILE *ev_file;
	struct mixer *mixer;
	struct hal_sink *sink;
	bool pulled;
	struct hal_gps *gps;
	bool replay;
	struct fix_filter *filter;
	struct tour *tour;
	struct tour_player player;
	struct control_server *ctl;
	int sigfd, timerfd;

	struct hal_clock vclock; /* offline */
	int64_t t0_ms;           /* guide time of audio frame 0 */
	int64_t rt_utc0, rt_mono0;
	int64_t last_tick_ms;
	int64_t last_status_ms;
	int64_t last_sink_poll_ms;
	int64_t last_watchdog_ms;
	uint64_t watchdog_ms;

	bool quit;
	int exit_code;
	bool gps_ended;
	int64_t end_ms;

	struct playing playing[MAX_PLAYING];
	uint32_t generation; /* of d->tour; bumped when a reload swaps it */

	/* the GPS clock under gpsd: UTC of the last fix and when it came */
	int64_t gps_utc, gps_mono;
	int64_t last_now;

	/* what the GPS says */
	struct hal_fix last_fix; /* last accepted (raw) fix */
	bool have_fix;
	bool gps_ok; /* a gps_fix was logged since the last gps_lost */
	int64_t last_fix_ms, last_fix_log_ms;
	uint64_t fixes, rejected[FIX_FILTER_REASON_COUNT];
	uint64_t clips_failed;

	/* for the summary at the end of a replay */
	struct {
		int64_t start_mono, first_fix_ms, last_fix_ms;
		double drive_m;
		double prev_lat, prev_lon;
		bool have_prev;
		unsigned clips_started, clips_completed, clips_cut;
		uint64_t narration_frames;
		unsigned n_skips;
		char skips[64][96]; /* "poi (reason)" */
	} sum;

	/* persistence */
	struct guide_state st;
	unsigned st_sig_played;
	int st_sig_state;
	const void *st_sig_tour;
	char st_sig_langs[GUIDE_STATE_MAX_ID];
};

/* ---- time -------------------------------------------------------------- */

static int64_t
mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
utc_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The guide's clock (UTC ms): virtual offline, the paced replay or the
 * system clock in real time. */
static int64_t
guide_now(struct daemon *d)
{
	int64_t t;
	if (d->o->offline)
		return hal_clock_now_ms(&d->vclock);
	if (d->replay)
		t = d->rt_utc0 + (int64_t)((double)(mono_ms() - d->rt_mono0) * d->o->speed);
	else if (d->gps_mono)
		/* gpsd: the receiver's UTC, carried forward by the monotonic clock */
		t = d->gps_utc + (mono_ms() - d->gps_mono);
	else
		t = utc_ms();
	/* never a little backwards (a late fix); a big step is a new time base
	 * (the first fix after the board's own clock, a replayed log) */
	if (t < d->last_now && d->last_now - t < 5000)
		t = d->last_now;
	d->last_now = t;
	return t;
}

/* ---- logging adapters --------------------------------------------------- */

static void
gps_log(void *user, enum hal_log_level level, const char *msg)
{
	guide_log(level, "gps: %s", msg);
}

static void
sink_log(void *user, enum hal_log_level level, const char *msg)
{
	guide_log(level, "audio: %s", msg);
}

static void
ctl_log(void *data, enum hal_log_level level, const char *msg)
{
	guide_log(level, "%s", msg);
}

/* ---- the player: tour -> mixer ------------------------------------------ */

static struct playing *
find_playing(struct daemon *d, uint64_t user_id)
{
	for (unsigned i = 0; i < MAX_PLAYING; i++)
		if (d->playing[i].token && d->playing[i].user_id == user_id)
			return &d->playing[i];
	return NULL;
}

static int
player_play(void *ctx, const struct route_clip *clip, enum tour_clip_kind kind, uint64_t token)
{
	struct daemon *d = ctx;
	char err[256] = "";
	struct playing *slot = NULL;

	for (unsigned i = 0; !slot && i < MAX_PLAYING; i++)
		if (d->playing[i].token == 0)
			slot = &d->playing[i];
	if (!slot)
		return -EBUSY;
	mixer_handle h = mixer_play(d->mixer,
				    kind == TOUR_CLIP_STOP ? MIXER_NARRATION : MIXER_ANNOUNCEMENT,
				    clip->path, 1.0f, USER_ID(d->generation, token), err,
				    sizeof(err));
	if (h < 0) {
		d->clips_failed++;
		guide_log(HAL_LOG_WARNING, "cannot play %s: %s", clip->path, err);
		return h;
	}
	slot->token = token;
	slot->user_id = USER_ID(d->generation, token);
	slot->handle = h;
	return 0;
}

static void
player_stop(void *ctx, uint64_t token)
{
	struct daemon *d = ctx;
	struct playing *p = find_playing(d, USER_ID(d->generation, token));
	if (!p)
		return;
	mixer_stop(d->mixer, p->handle, CUT_FADE_MS);
	p->token = 0;
}

static void
player_pause(void *ctx)
{
	struct daemon *d = ctx;
	mixer_pause(d->mixer);
}

static void
player_resume(void *ctx)
{
	struct daemon *d = ctx;
	mixer_resume(d->mixer);
}

static void
player_set_volume(void *ctx, double volume)
{
	struct daemon *d = ctx;
	mixer_set_volume(d->mixer, (float)volume);
}

static const struct tour_player_impl player_impl = {
	.play = player_play,
	.stop = player_stop,
	.pause = player_pause,
	.resume = player_resume,
	.set_volume = player_set_volume,
};

/* Mixer events -> tour, at the time the mixer says they happened. */
static void
pump_mixer(struct daemon *d)
{
	struct mixer_event e;

	while (mixer_next_event(d->mixer, &e)) {
		int64_t t = d->o->offline ? d->t0_ms + (int64_t)(e.frame / (HAL_AUDIO_RATE / 1000))
					  : guide_now(d);
		struct playing *p = find_playing(d, e.user_id);
		uint64_t token = e.user_id & ((1ull << 40) - 1);
		bool ours = e.user_id >> 40 == d->generation;
		switch (e.type) {
		case MIXER_EV_FINISHED:
		case MIXER_EV_CUT:
			if (e.type == MIXER_EV_FINISHED)
				d->sum.clips_completed++;
			else
				d->sum.clips_cut++;
			if (e.clip_frame > 0)
				d->sum.narration_frames += (uint64_t)e.clip_frame;
			if (p)
				p->token = 0;
			if (ours)
				tour_on_clip_finished(d->tour, token, e.type == MIXER_EV_FINISHED, t);
			break;
		case MIXER_EV_FAILED:
			if (p)
				p->token = 0;
			d->clips_failed++;
			if (ours)
				tour_on_clip_failed(d->tour, token, e.reason, t);
			break;
		case MIXER_EV_STARTED:
			d->sum.clips_started++;
			break;
		case MIXER_EV_UNDERRUN:
			guide_log(HAL_LOG_WARNING, "audio underrun (%llu frames so far)",
				  (unsigned long long)e.count);
			break;
		default:
			break;
		}
	}
}

/* ---- persistence -------------------------------------------------------- */

static void
sync_state(struct daemon *d, bool force)
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

	guide_state_init(&d->st);
	snprintf(d->st.route, sizeof(d->st.route), "%s", d->route->id ? d->route->id : "");
	if (ts.state == TOUR_RUNNING || ts.state == TOUR_PAUSED) {
		d->st.state = ts.state == TOUR_RUNNING ? GUIDE_STATE_RUNNING : GUIDE_STATE_PAUSED;
		snprintf(d->st.tour, sizeof(d->st.tour), "%s", ts.tour ? ts.tour : "");
		snprintf(d->st.langs, sizeof(d->st.langs), "%s", lbuf);
		for (unsigned i = 0; i < d->route->n_stops; i++)
			if (tour_stop_played(d->tour, i))
				guide_state_mark_played(&d->st, d->route->stops[i].id);
	}
	int r = guide_state_save(d->o->state, &d->st);
	if (r < 0)
		guide_log(HAL_LOG_WARNING, "cannot save state to %s: %s", d->o->state,
			  strerror(-r));
}

/* ---- GPS --------------------------------------------------------------- */

static void
on_gps(struct daemon *d, int kind, struct hal_fix *fix)
{
	if (!d->replay && kind == HAL_GPS_FIX && (fix->set & HAL_FIX_TIME) && fix->time_ms > 0) {
		d->gps_utc = fix->time_ms;
		d->gps_mono = mono_ms();
	}
	int64_t now = guide_now(d);

	if (kind == HAL_GPS_LOST) {
		fix_filter_reset(d->filter);
		if (d->gps_ok) {
			events_gps_lost(d->ev, now);
			guide_log(HAL_LOG_NOTICE, "gps: position lost");
		}
		d->gps_ok = false;
		return;
	}
	if (kind != HAL_GPS_FIX)
		return;
	d->fixes++;
	struct hal_fix smoothed = *fix;
	enum fix_filter_reason why = fix_filter_push(d->filter, fix, &smoothed);
	d->rejected[why]++;
	if (!fix_filter_reason_accepted(why)) {
		if (why != FIX_FILTER_NO_POSITION && hal_fix_has_position(fix))
			events_fix_rejected(d->ev, now, fix->lat, fix->lon,
					    fix_filter_reason_to_str(why));
		return;
	}
	if (!d->sum.first_fix_ms && (fix->set & HAL_FIX_TIME))
		d->sum.first_fix_ms = fix->time_ms;
	if (fix->set & HAL_FIX_TIME)
		d->sum.last_fix_ms = fix->time_ms;
	/* steps of 10 m or more, so that jitter does not add up to distance */
	double step = d->sum.have_prev ? geo_distance_m(d->sum.prev_lat, d->sum.prev_lon,
							smoothed.lat, smoothed.lon)
				       : 0;
	if (!d->sum.have_prev || step >= 10) {
		d->sum.drive_m += step;
		d->sum.prev_lat = smoothed.lat;
		d->sum.prev_lon = smoothed.lon;
		d->sum.have_prev = true;
	}
	d->last_fix = *fix;
	d->have_fix = true;
	d->last_fix_ms = now;
	if (!d->gps_ok || now - d->last_fix_log_ms >= FIX_LOG_MS) {
		if (!d->gps_ok)
			guide_log(HAL_LOG_NOTICE, "gps: position %.6f, %.6f", fix->lat, fix->lon);
		events_gps_fix(d->ev, now, fix->lat, fix->lon);
		d->last_fix_log_ms = now;
		d->gps_ok = true;
	}
	/* The trigger engine smooths against its own prediction; it gets the
	 * accepted raw fix so that two smoothers do not stack their lag. */
	tour_on_fix(d->tour, fix, now);
}

static void
read_gps(struct daemon *d)
{
	for (;;) {
		struct hal_fix fix;
		if (d->replay && !d->o->offline) {
			int64_t t = hal_gps_peek_time_ms(d->gps);
			if (t >= 0 && t > guide_now(d))
				return; /* not due yet */
		}
		int kind = hal_gps_read(d->gps, &fix);
		if (kind < 0) {
			guide_log(HAL_LOG_WARNING, "gps: %s", strerror(-kind));
			return;
		}
		if (kind == HAL_GPS_NONE)
			return;
		if (kind == HAL_GPS_END) {
			if (!d->gps_ended) {
				d->gps_ended = true;
				d->end_ms = guide_now(d);
				guide_log(HAL_LOG_INFO, "gps: end of the replay");
			}
			return;
		}
		on_gps(d, kind, &fix);
		if (d->o->offline)
			return; /* one event per clock step */
	}
}

/* ---- reload ------------------------------------------------------------- */

static int
load_route(const char *path, struct route **out, json_object *errors)
{
	struct route_diag_list diags;
	struct route_load_options opts = {.probe = guide_route_probe};
	char line[1024];

	route_diag_list_init(&diags);
	int r = route_load(path, &opts, out, &diags);
	for (unsigned i = 0; i < diags.n; i++) {
		route_diag_format(&diags.items[i], line, sizeof(line));
		guide_log(diags.items[i].severity == ROUTE_DIAG_ERROR ? HAL_LOG_ERR
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

static struct tour *
make_tour(struct daemon *d, const struct route *r)
{
	struct tour_config cfg;
	tour_config_defaults(&cfg);
	cfg.fix_log_interval_ms = -1; /* the daemon logs gps_fix / gps_lost itself */
	cfg.log_gps = false;
	return tour_create(r, &d->player, d->ev, &cfg);
}

/* Swap in the pending route when nothing is being told. */
static void
maybe_swap_route(struct daemon *d)
{
	struct tour_status ts;
	if (!d->pending)
		return;
	tour_get_status(d->tour, &ts);
	if (ts.playing)
		return;
	int64_t now = guide_now(d);
	struct tour *nt = make_tour(d, d->pending);
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
			guide_log(HAL_LOG_ERR,
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
	sync_state(d, true);
}

static int
reload(struct daemon *d, json_object *reply)
{
	json_object *errors = json_object_new_array();
	struct route *r = NULL;
	int rc = load_route(d->o->route, &r, errors);
	if (rc < 0) {
		char msg[256];
		snprintf(msg, sizeof(msg), "reload of %s failed: %s; keeping the old route",
			 d->o->route, rc == -EINVAL ? "invalid route" : strerror(-rc));
		events_error(d->ev, guide_now(d), msg);
		json_object_object_add(reply, "error", json_object_new_string(msg));
		json_object_object_add(reply, "errors", errors);
		return -1;
	}
	json_object_put(errors);
	route_destroy(d->pending);
	d->pending = r;
	maybe_swap_route(d);
	json_object_object_add(reply, "message",
			       json_object_new_string(d->pending ? "route reloaded; it takes effect "
								   "when the current story ends"
								 : "route reloaded"));
	return 0;
}

/* ---- control ------------------------------------------------------------ */

static json_object *
status_json(struct daemon *d)
{
	json_object *r = json_object_new_object();
	struct tour_status ts;
	int64_t now = guide_now(d);

	tour_get_status(d->tour, &ts);
	json_object_object_add(r, "ok", json_object_new_boolean(1));
	json_object_object_add(r, "route", json_object_new_string(d->route->id ? d->route->id : ""));
	json_object_object_add(r, "tour", ts.tour ? json_object_new_string(ts.tour) : NULL);
	json_object_object_add(r, "state", json_object_new_string(tour_state_to_str(ts.state)));
	unsigned nl;
	const char *const *langs = tour_langs(d->tour, &nl);
	json_object *jl = json_object_new_array();
	for (unsigned i = 0; i < nl; i++)
		json_object_array_add(jl, json_object_new_string(langs[i]));
	json_object_object_add(r, "langs", jl);
	json_object_object_add(r, "volume", json_object_new_int((int)lround(ts.volume * 100)));

	json_object *pos = json_object_new_object();
	json_object_object_add(pos, "source", json_object_new_string(d->o->gps));
	if (d->have_fix) {
		const struct hal_fix *f = &d->last_fix;
		json_object_object_add(pos, "lat", json_object_new_double(f->lat));
		json_object_object_add(pos, "lon", json_object_new_double(f->lon));
		json_object_object_add(pos, "mode", json_object_new_int(f->mode));
		if (f->set & HAL_FIX_HDOP)
			json_object_object_add(pos, "hdop", json_object_new_double(f->hdop));
		if (f->set & HAL_FIX_SATS)
			json_object_object_add(pos, "sats", json_object_new_int(f->sats_used));
		if (f->set & HAL_FIX_SPEED)
			json_object_object_add(pos, "speed_kmh", json_object_new_double(
									 round(f->speed * 36) / 10));
		json_object_object_add(pos, "age_s",
				       json_object_new_double((double)(now - d->last_fix_ms) / 1000));
	}
	json_object_object_add(pos, "fix", json_object_new_boolean(d->gps_ok));
	if (ts.tour && ts.pos.have_position) {
		json_object_object_add(pos, "on_path", json_object_new_boolean(ts.pos.on_path));
		json_object_object_add(pos, "progress_m", json_object_new_int((int)ts.pos.progress_m));
		json_object_object_add(pos, "path_m", json_object_new_int((int)ts.pos.path_len_m));
	}
	json_object_object_add(r, "position", pos);

	const struct route_tour *tour = ts.tour ? route_find_tour(d->route, ts.tour) : NULL;
	if (tour && ts.next_entry < tour->n_stops) {
		const struct route_stop *s = &d->route->stops[tour->stops[ts.next_entry]];
		json_object *n = json_object_new_object();
		json_object_object_add(n, "poi", json_object_new_string(s->id));
		const char *name = route_text_get(s->names, s->n_names, nl ? langs[nl > 1 ? 1 : 0] : "en");
		if (name)
			json_object_object_add(n, "name", json_object_new_string(name));
		if (ts.pos.have_position)
			json_object_object_add(
				n, "distance_m",
				json_object_new_int((int)geo_distance_m(ts.pos.lat, ts.pos.lon,
									s->fence.center.lat,
									s->fence.center.lon)));
		json_object_object_add(r, "next", n);
	}
	if (ts.playing) {
		json_object *p = json_object_new_object();
		json_object_object_add(p, "poi", json_object_new_string(ts.playing));
		json_object_object_add(p, "lang", json_object_new_string(ts.lang ? ts.lang : ""));
		json_object_object_add(r, "playing", p);
		json_object_object_add(r, "current", json_object_get(p));
	}
	json_object *queue = json_object_new_array();
	for (unsigned i = 0; tour && i < tour->n_stops; i++)
		if (tour_entry_outcome(d->tour, i) == TOUR_ENTRY_QUEUED)
			json_object_array_add(
				queue, json_object_new_string(d->route->stops[tour->stops[i]].id));
	json_object_object_add(r, "queue", queue);

	json_object *c = json_object_new_object();
	json_object_object_add(c, "fixes", json_object_new_int64((int64_t)d->fixes));
	json_object *rej = json_object_new_object();
	for (int i = 0; i < FIX_FILTER_REASON_COUNT; i++)
		if (!fix_filter_reason_accepted((enum fix_filter_reason)i) && d->rejected[i])
			json_object_object_add(rej, fix_filter_reason_to_str((enum fix_filter_reason)i),
					       json_object_new_int64((int64_t)d->rejected[i]));
	json_object_object_add(c, "rejected", rej);
	json_object_object_add(c, "underruns",
			       json_object_new_int64((int64_t)mixer_underruns(d->mixer)));
	json_object_object_add(c, "clips_failed", json_object_new_int64((int64_t)d->clips_failed));
	struct hal_gps_stats gs;
	hal_gps_get_stats(d->gps, &gs);
	json_object_object_add(c, "gps_connects", json_object_new_int64((int64_t)gs.connects));
	json_object_object_add(c, "nmea_bad",
			       json_object_new_int64((int64_t)(gs.bad_checksum + gs.malformed +
							       gs.truncated)));
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
	json_object_object_add(r, "counters", c);
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
		json_object_object_add(o, "error", json_object_new_string(tour_error_to_str(err)));
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
	if (strcmp(argv[0], "reload") == 0) {
		json_object *o = json_object_new_object();
		int r = reload(d, o);
		json_object_object_add(o, "ok", json_object_new_boolean(r == 0));
		reply_obj(client, o);
		return;
	}
	enum tour_error err = tour_command(d->tour, d->o->tour, argc, argv, guide_now(d), msg,
					   sizeof(msg));
	reply_result(client, err, msg);
	sync_state(d, false);
}

/* ---- the loop ----------------------------------------------------------- */

static void
live_status(struct daemon *d)
{
	struct tour_status ts;
	tour_get_status(d->tour, &ts);
	int64_t now = guide_now(d);
	time_t secs = (time_t)(now / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	fprintf(stderr, "\r%02d:%02d:%02d  %-8s %5.0f/%-5.0f m  %-26s\033[K", tm.tm_hour, tm.tm_min,
		tm.tm_sec, tour_state_to_str(ts.state), ts.pos.progress_m, ts.pos.path_len_m,
		ts.playing ? ts.playing : (d->gps_ok ? "-" : "(no gps fix)"));
	if (ts.playing)
		fprintf(stderr, " [%s]", ts.lang ? ts.lang : "");
	fflush(stderr);
}

/* Everything that happens with time: ticks, audio for pulled sinks, GPS
 * silence, reloads, state, housekeeping. */
static void
housekeeping(struct daemon *d)
{
	int64_t now = guide_now(d);

	if (d->pulled && !d->o->offline) {
		uint64_t want = (uint64_t)(mono_ms() - d->rt_mono0) * (HAL_AUDIO_RATE / 1000);
		uint64_t have = hal_sink_frames(d->sink);
		if (want > have) {
			int r = hal_sink_pull(d->sink, (uint32_t)(want - have));
			if (r < 0 && !d->quit) {
				guide_log(HAL_LOG_ERR, "audio: %s", strerror(-r));
				d->exit_code = 1;
				d->quit = true;
			}
		}
	}
	pump_mixer(d);
	if (d->gps_ok && now - d->last_fix_ms > GPS_SILENCE_MS && !d->gps_ended) {
		events_gps_lost(d->ev, now);
		guide_log(HAL_LOG_NOTICE, "gps: no fix for %d s", GPS_SILENCE_MS / 1000);
		d->gps_ok = false;
	}
	if (now - d->last_tick_ms >= 1000 || now < d->last_tick_ms) {
		tour_tick(d->tour, now);
		d->last_tick_ms = now;
	}
	maybe_swap_route(d);
	sync_state(d, false);
	if (!d->o->offline) {
		int64_t m = mono_ms();
		if (m - d->last_sink_poll_ms >= 1000) {
			hal_sink_poll(d->sink);
			d->last_sink_poll_ms = m;
		}
		if (d->watchdog_ms && (uint64_t)(m - d->last_watchdog_ms) >= d->watchdog_ms) {
			guide_notify_watchdog();
			d->last_watchdog_ms = m;
		}
		if (d->o->live_status && m - d->last_status_ms >= 500) {
			live_status(d);
			d->last_status_ms = m;
		}
	}
}

static void
handle_signals(struct daemon *d)
{
	struct signalfd_siginfo si;
	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			guide_log(HAL_LOG_NOTICE, "SIGHUP: reloading %s", d->o->route);
			json_object *o = json_object_new_object();
			reload(d, o);
			json_object_put(o);
		} else {
			guide_log(HAL_LOG_NOTICE, "%s: shutting down",
				  si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
			d->quit = true;
		}
	}
}

/* After the replay: let the story in progress finish, then end the tour. */
static bool
replay_done(struct daemon *d)
{
	struct tour_status ts;
	tour_get_status(d->tour, &ts);
	int64_t now = guide_now(d);
	bool busy = ts.playing || mixer_active_voices(d->mixer) > 0;
	if ((ts.state == TOUR_RUNNING || ts.state == TOUR_PAUSED) && busy &&
	    now - d->end_ms < DRAIN_LIMIT_MS && ts.state != TOUR_PAUSED)
		return false;
	if (ts.state == TOUR_RUNNING || ts.state == TOUR_PAUSED) {
		tour_stop(d->tour, now);
		sync_state(d, false);
	}
	return !busy || now - d->end_ms >= DRAIN_LIMIT_MS || ts.state == TOUR_PAUSED;
}

/* Offline: advance the virtual clock to `target`, rendering the audio in
 * between block by block and delivering the mixer's events on time. */
static void
advance_offline(struct daemon *d, int64_t target)
{
	int64_t now = hal_clock_now_ms(&d->vclock);
	while (now < target && !d->quit) {
		int64_t step = target - now < OFFLINE_STEP_MS ? target - now : OFFLINE_STEP_MS;
		now += step;
		uint64_t want = (uint64_t)(now - d->t0_ms) * (HAL_AUDIO_RATE / 1000);
		uint64_t have = hal_sink_frames(d->sink);
		if (want > have) {
			int r = hal_sink_pull(d->sink, (uint32_t)(want - have));
			if (r < 0) {
				guide_log(HAL_LOG_ERR, "audio: %s", strerror(-r));
				d->exit_code = 1;
				d->quit = true;
			}
		}
		hal_clock_set_ms(&d->vclock, now);
		housekeeping(d);
	}
}

static void
run_offline(struct daemon *d)
{
	while (!d->quit) {
		if (d->ctl)
			control_server_dispatch(d->ctl);
		handle_signals(d);
		if (!d->gps_ended) {
			int64_t t = hal_gps_peek_time_ms(d->gps);
			if (t > hal_clock_now_ms(&d->vclock))
				advance_offline(d, t);
			read_gps(d);
			housekeeping(d);
		} else {
			if (replay_done(d))
				break;
			advance_offline(d, hal_clock_now_ms(&d->vclock) + 100);
		}
	}
	/* let a cut clip's fade reach the file */
	advance_offline(d, hal_clock_now_ms(&d->vclock) + CUT_FADE_MS + 50);
}

static void
run_realtime(struct daemon *d)
{
	while (!d->quit) {
		struct pollfd p[4];
		int n = 0;
		p[n++] = (struct pollfd){.fd = d->sigfd, .events = POLLIN};
		p[n++] = (struct pollfd){.fd = d->timerfd, .events = POLLIN};
		if (d->ctl)
			p[n++] = (struct pollfd){.fd = control_server_get_fd(d->ctl), .events = POLLIN};
		int gfd = hal_gps_get_fd(d->gps);
		if (gfd >= 0)
			p[n++] = (struct pollfd){.fd = gfd, .events = POLLIN};
		if (poll(p, (nfds_t)n, 1000) < 0 && errno != EINTR) {
			guide_log(HAL_LOG_ERR, "poll: %s", strerror(errno));
			d->exit_code = 1;
			break;
		}
		if (p[1].revents & POLLIN) {
			uint64_t expirations;
			ssize_t r = read(d->timerfd, &expirations, sizeof(expirations));
			(void)r;
		}
		handle_signals(d);
		if (d->ctl)
			control_server_dispatch(d->ctl);
		/* gpsd's socket, reconnect timers and a replay's due fixes alike */
		read_gps(d);
		housekeeping(d);
		if (d->gps_ended && replay_done(d))
			break;
	}
	if (d->o->live_status)
		fputc('\n', stderr);
}

static void
print_summary(struct daemon *d)
{
	/* stdout, unless the event log is there */
	FILE *f = d->ev_file == stdout ? stderr : stdout;
	unsigned told = 0, n = 0;
	struct tour_status ts;
	tour_get_status(d->tour, &ts);
	const struct route_tour *tour = ts.tour ? route_find_tour(d->route, ts.tour) : NULL;
	for (unsigned i = 0; tour && i < tour->n_stops; i++, n++)
		told += tour_stop_played(d->tour, tour->stops[i]);
	double audio_s = (double)hal_sink_frames(d->sink) / HAL_AUDIO_RATE;
	double drive_s = (double)(d->sum.last_fix_ms - d->sum.first_fix_ms) / 1000.0;
	double wall_s = (double)(mono_ms() - d->sum.start_mono) / 1000.0;

	fprintf(f, "summary: tour %s, %s\n", ts.tour ? ts.tour : "(none)",
		tour_state_to_str(ts.state));
	fprintf(f, "  drive:      %.2f km in %d:%02d min\n", d->sum.drive_m / 1000,
		(int)drive_s / 60, (int)drive_s % 60);
	fprintf(f, "  stops told: %u of %u\n", told, n);
	fprintf(f, "  clips:      %u started, %u completed, %u cut\n", d->sum.clips_started,
		d->sum.clips_completed, d->sum.clips_cut);
	fprintf(f, "  skipped:    ");
	for (unsigned i = 0; i < d->sum.n_skips; i++)
		fprintf(f, "%s%s", i ? ", " : "", d->sum.skips[i]);
	fprintf(f, "%s\n", d->sum.n_skips ? "" : "none");
	fprintf(f, "  audio:      %.1f min rendered, %.1f min of speech\n", audio_s / 60,
		(double)d->sum.narration_frames / HAL_AUDIO_RATE / 60);
	fprintf(f, "  wall time:  %.2f s", wall_s);
	if (d->o->offline && wall_s > 0)
		fprintf(f, " (%.0fx real time)", drive_s / wall_s);
	fprintf(f, "\n");
}

/* ---- set-up ------------------------------------------------------------- */

void
guided_options_defaults(struct guided_options *o)
{
	memset(o, 0, sizeof(*o));
	o->gps = "gpsd:localhost:2947";
	o->audio = "sdl";
	o->speed = 1.0;
}

static int
open_control(struct daemon *d)
{
	const char *path = d->o->control;
	bool explicit = path != NULL;
	if (!path) {
		if (d->o->offline)
			return 0;
		path = GUIDED_DEFAULT_CONTROL;
		mkdir("/run/guide", 0750); /* systemd's RuntimeDirectory= makes it otherwise */
	}
	struct control_server_options co = {
		.path = path, .mode = 0660, .handler = on_command, .log = ctl_log, .data = d,
		.same_user_only = d->o->control_same_user,
	};
	int r = control_server_create(&co, &d->ctl);
	if (r < 0) {
		guide_log(explicit ? HAL_LOG_ERR : HAL_LOG_WARNING, "control socket %s: %s%s",
			  path, strerror(-r), explicit ? "" : " (running without driver controls)");
		return explicit ? r : 0;
	}
	return 0;
}

/* Every event line goes to the log file (if any); the skips are kept for
 * the summary printed at the end of a replay. */
static void
event_line(void *ctx, const char *line, size_t len)
{
	struct daemon *d = ctx;
	FILE *f = d->ev_file;
	if (f) {
		fwrite(line, 1, len, f);
		fflush(f);
	}
	if (!memmem(line, len, "\"clip_skip\"", 11) || d->sum.n_skips >= 64)
		return;
	json_object *o = json_tokener_parse(line);
	json_object *poi, *reason;
	if (o && json_object_object_get_ex(o, "poi", &poi) &&
	    json_object_object_get_ex(o, "reason", &reason))
		snprintf(d->sum.skips[d->sum.n_skips++], sizeof(d->sum.skips[0]), "%s (%s)",
			 json_object_get_string(poi), json_object_get_string(reason));
	json_object_put(o);
}

static int
open_events(struct daemon *d)
{
	if (!d->o->events) {
		d->ev = events_create(event_line, d);
		return d->ev ? 0 : -ENOMEM;
	}
	if (strcmp(d->o->events, "-") == 0) {
		d->ev_file = stdout;
	} else {
		d->ev_file = fopen(d->o->events, "ae");
		if (!d->ev_file) {
			int r = -errno;
			guide_log(HAL_LOG_ERR, "cannot open event log %s: %s", d->o->events,
				  strerror(errno));
			return r;
		}
	}
	d->ev = events_create(event_line, d);
	return d->ev ? 0 : -ENOMEM;
}

/* The tour the daemon comes back into after a crash, or the one --start asks for. */
static void
begin_tour(struct daemon *d)
{
	int64_t now = guide_now(d);
	const char *langs[MAX_LANGS];
	char lbuf[256] = "";
	unsigned nl = 0;

	if (d->o->langs) {
		snprintf(lbuf, sizeof(lbuf), "%s", d->o->langs);
		nl = tour_split_langs(lbuf, langs, MAX_LANGS);
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
			const char *slangs[MAX_LANGS];
			snprintf(sl, sizeof(sl), "%s", st.langs);
			unsigned snl = st.langs[0] ? tour_split_langs(sl, slangs, MAX_LANGS) : 0;
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
				sync_state(d, true);
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
	sync_state(d, true);
}

static int
setup_signals(struct daemon *d)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	/* blocked before any thread starts, so only the signalfd sees them */
	if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		return -errno;
	return 0;
}

int
guided_run(const struct guided_options *o)
{
	struct daemon dd = {.o = o, .sigfd = -1, .timerfd = -1}, *d = &dd;
	int r;

	d->player = (struct tour_player){.impl = &player_impl, .ctx = d};
	if (setup_signals(d) < 0) {
		guide_log(HAL_LOG_ERR, "signals: %s", strerror(errno));
		return 1;
	}

	r = load_route(o->route, &d->route, NULL);
	if (r < 0) {
		guide_log(HAL_LOG_ERR, "%s: %s", o->route,
			  r == -EINVAL ? "invalid route, not starting" : strerror(-r));
		d->exit_code = r == -EINVAL || r == -ENOENT || r == -EISDIR ? 2 : 1;
		goto out;
	}

	bool is_sdl = strncmp(o->audio, "sdl", 3) == 0 && (o->audio[3] == '\0' || o->audio[3] == ':');
	if (o->offline && is_sdl) {
		guide_log(HAL_LOG_ERR, "--offline renders to wav:FILE or null, not to a sound card");
		d->exit_code = 2;
		goto out;
	}
	struct mixer_config mc;
	mixer_config_defaults(&mc);
	/* pulled sinks decode on the loop's thread: sample-identical output */
	mc.offline = !is_sdl;
	r = mixer_create(&mc, &d->mixer);
	if (r < 0) {
		guide_log(HAL_LOG_ERR, "mixer: %s", strerror(-r));
		d->exit_code = 1;
		goto out;
	}
	struct hal_sink_opts so;
	hal_sink_opts_defaults(&so);
	so.log = sink_log;
	char err[256] = "";
	r = hal_sink_create(o->audio, mixer_sink_render, d->mixer, &so, &d->sink, err, sizeof(err));
	if (r < 0) {
		guide_log(HAL_LOG_ERR, "audio %s: %s", o->audio, err);
		d->exit_code = r == -EINVAL ? 2 : 1;
		goto out;
	}
	d->pulled = hal_sink_is_pulled(d->sink);

	if (o->offline)
		hal_clock_init_virtual(&d->vclock, 0);
	struct hal_gps_options go = {.log = gps_log, .clock = NULL};
	r = hal_gps_create(o->gps, &go, &d->gps);
	if (r < 0) {
		d->exit_code = r == -EINVAL || r == -ENOENT || r == -EBADMSG ? 2 : 1;
		goto out;
	}
	d->replay = strcmp(hal_gps_name(d->gps), "gpsd") != 0;
	if (o->offline && !d->replay) {
		guide_log(HAL_LOG_ERR, "--offline needs a replay source (nmea:FILE or gpx:FILE)");
		d->exit_code = 2;
		goto out;
	}
	r = fix_filter_create(NULL, &d->filter);
	if (r < 0) {
		d->exit_code = 1;
		goto out;
	}

	/* the guide's clock starts where the replay starts */
	int64_t first = d->replay ? hal_gps_peek_time_ms(d->gps) : -1;
	if (o->offline) {
		d->t0_ms = first >= 0 ? first : 0;
		hal_clock_set_ms(&d->vclock, d->t0_ms);
	}
	d->rt_utc0 = first >= 0 ? first : utc_ms();
	d->rt_mono0 = mono_ms();
	d->last_tick_ms = guide_now(d);

	r = open_events(d);
	if (r < 0) {
		d->exit_code = 1;
		goto out;
	}
	d->tour = make_tour(d, d->route);
	if (!d->tour) {
		d->exit_code = 1;
		goto out;
	}
	if (open_control(d) < 0) {
		d->exit_code = 1;
		goto out;
	}
	if (!o->offline) {
		d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		struct itimerspec its = {
			.it_interval = {.tv_nsec = TICK_MS * 1000000L},
			.it_value = {.tv_nsec = TICK_MS * 1000000L},
		};
		if (d->timerfd < 0 || timerfd_settime(d->timerfd, 0, &its, NULL) < 0) {
			guide_log(HAL_LOG_ERR, "timerfd: %s", strerror(errno));
			d->exit_code = 1;
			goto out;
		}
		r = hal_sink_set_active(d->sink, true);
		if (r < 0) {
			guide_log(HAL_LOG_ERR, "audio: cannot start %s", o->audio);
			d->exit_code = 1;
			goto out;
		}
	}

	begin_tour(d);
	if (!d->quit) {
		char status[256];
		snprintf(status, sizeof(status), "route %s, gps %s, audio %s", d->route->id, o->gps,
			 hal_sink_name(d->sink));
		guide_log(HAL_LOG_INFO, "ready: %s", status);
		guide_notify_ready(status);
		d->watchdog_ms = guide_notify_watchdog_interval_ms();
		d->sum.start_mono = mono_ms();
		if (o->offline)
			run_offline(d);
		else
			run_realtime(d);
		if (d->gps_ended && d->exit_code == 0)
			print_summary(d);
		guide_notify_stopping();
	}

out:
	if (d->sink) {
		hal_sink_set_active(d->sink, false);
		hal_sink_flush(d->sink);
	}
	if (d->mixer && d->tour)
		pump_mixer(d);
	control_server_destroy(d->ctl);
	tour_destroy(d->tour);
	hal_sink_destroy(d->sink);
	mixer_destroy(d->mixer);
	fix_filter_destroy(d->filter);
	hal_gps_destroy(d->gps);
	events_destroy(d->ev);
	if (d->ev_file && d->ev_file != stdout)
		fclose(d->ev_file);
	route_destroy(d->pending);
	route_destroy(d->route);
	if (d->timerfd >= 0)
		close(d->timerfd);
	if (d->sigfd >= 0)
		close(d->sigfd);
	return d->exit_code;
}
