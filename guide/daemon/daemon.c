/* Set-up and tear-down of the daemon: guided_run() builds the parts in the
 * order data flows (route, mixer and sink, GPS, filter, clock, event log,
 * tour, control), runs the loop, and takes them down in reverse. */
#include "config.h"
#include "guide/daemon/daemon_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guide/control.h"
#include "guide/daemon/daemon_mic.h"
#include "guide/daemon/daemon_notify.h"
#include "guide/daemon/vehicle.h"
#include "guide/events.h"
#include "guide/log.h"
#include "hal/gps.h"
#include "hal/sink.h"
#include "routes/route.h"

void
guided_options_defaults(struct guided_options *o)
{
	memset(o, 0, sizeof(*o));
	o->gps = "gpsd:localhost:2947";
	o->audio = "sdl";
	o->speed = 1.0;
}

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

/* The event log's file, opened before the clock starts: a log that goes
 * on after a restart tells where it ended (its id, last seq and time). */
static int
open_events_file(struct daemon *d)
{
	d->ev_end = (struct events_file_end){.empty = true, .last_ms = -1};
	if (d->o->events && strcmp(d->o->events, "-") == 0) {
		d->ev_file = stdout;
	} else if (d->o->events) {
		d->ev_file = fopen(d->o->events, "ae");
		if (!d->ev_file) {
			int r = -errno;
			guide_log(HAL_LOG_ERR, "cannot open event log %s: %s", d->o->events,
				  strerror(errno));
			return r;
		}
		/* read on a descriptor of its own: a pipe is only written to */
		struct stat sb;
		int rfd = fstat(fileno(d->ev_file), &sb) == 0 && S_ISREG(sb.st_mode)
				  ? open(d->o->events, O_RDONLY | O_CLOEXEC)
				  : -1;
		int r = rfd >= 0 ? events_file_scan(rfd, &d->ev_end) : 0;
		if (rfd >= 0)
			close(rfd);
		if (r < 0)
			guide_log(HAL_LOG_WARNING, "event log %s: %s; starting a new log",
				  d->o->events, strerror(-r));
		if (d->ev_end.torn) {
			/* a power cut mid-line: end it, so that the next line is whole
			 * (what was written stays: the log is only ever appended to) */
			guide_log(HAL_LOG_WARNING, "event log %s: its last line was cut short",
				  d->o->events);
			fputc('\n', d->ev_file);
			fflush(d->ev_file);
		}
	}
	return 0;
}

/* The writer, numbering on from where the file ended: the same log id and
 * seq + 1 (the larger of the file's last seq and the one the state file
 * kept, in case the file's tail was lost), time never before the last
 * line's.  A new or empty file, stdout, or a file that does not begin with a
 * log_open starts a new log: log_open with a fresh random id. */
static int
start_events(struct daemon *d)
{
	/* without --events the lines are still formed: the writer keeps time
	 * and order the same way whether anyone reads them, and the summary
	 * reads them (daemon_summary.c) */
	d->ev = events_create(daemon_event_line, d);
	if (!d->ev)
		return -ENOMEM;
	const struct events_file_end *end = &d->ev_end;
	if (end->log[0]) {
		uint64_t seq = end->last_seq;
		struct guide_state st;
		char err[256];
		if (d->o->state && guide_state_load(d->o->state, &st, err, sizeof(err)) == 0 &&
		    strcmp(st.log, end->log) == 0 && st.seq > seq)
			seq = st.seq;
		snprintf(d->log_id, sizeof(d->log_id), "%s", end->log);
		events_continue(d->ev, seq, end->last_ms);
		guide_log(HAL_LOG_INFO, "event log %s: log %s goes on from seq %llu", d->o->events,
			  d->log_id, (unsigned long long)seq + 1);
		return 0;
	}
	int r = events_new_log_id(d->log_id);
	if (r < 0) {
		guide_log(HAL_LOG_ERR, "no random log id: %s", strerror(-r));
		return r;
	}
	events_continue(d->ev, 0, end->last_ms);
	events_log_open(d->ev, daemon_now(d), d->log_id);
	return 0;
}

static bool
is_sdl(const char *audio)
{
	return strncmp(audio, "sdl", 3) == 0 && (audio[3] == '\0' || audio[3] == ':');
}

static int
open_audio(struct daemon *d)
{
	const struct guided_options *o = d->o;
	if (o->offline && is_sdl(o->audio)) {
		guide_log(HAL_LOG_ERR,
			  "--offline renders to wav:FILE or null, not to a sound card");
		return 2;
	}
	struct mixer_config mc;
	mixer_config_defaults(&mc);
	/* pulled sinks decode on the loop's thread: sample-identical output */
	mc.offline = !is_sdl(o->audio);
	/* channels mode: one bus a seat's language, on its channels */
	if (d->seats.n) {
		mc.channels = d->seats.channels;
		mc.n_buses = d->seats.n;
		for (unsigned i = 0; i < d->seats.n; i++)
			mc.bus_channels[i] = d->seats.seat[i].mask;
		/* a stop's clips fading out under the next stop's, a language each */
		if (mc.max_voices < 2 * d->seats.n + 4)
			mc.max_voices = 2 * d->seats.n + 4;
	}
	int r = mixer_create(&mc, &d->mixer);
	if (r < 0) {
		guide_log(HAL_LOG_ERR, "mixer: %s", strerror(-r));
		return 1;
	}
	struct hal_sink_opts so;
	hal_sink_opts_defaults(&so);
	so.log = sink_log;
	so.channels = mixer_channels(d->mixer);
	char err[256] = "";
	r = hal_sink_create(o->audio, mixer_sink_render, d->mixer, &so, &d->sink, err, sizeof(err));
	if (r < 0) {
		guide_log(HAL_LOG_ERR, "audio %s: %s", o->audio, err);
		return r == -EINVAL ? 2 : 1;
	}
	d->pulled = hal_sink_is_pulled(d->sink);
	if (hal_sink_channels(d->sink) != so.channels) {
		guide_log(HAL_LOG_ERR, "audio %s: %u channels asked, %u obtained", o->audio,
			  so.channels, hal_sink_channels(d->sink));
		return 1;
	}
	return 0;
}

/* --lang-channels: parsed, alone (not with --lang), every language
 * narrated by the tour that starts (any tour, without --tour/--start).
 * Returns 0 or 2. */
static int
check_seats(struct daemon *d)
{
	const struct guided_options *o = d->o;
	char why[256];
	if (!o->lang_channels)
		return 0;
	if (o->langs) {
		guide_log(HAL_LOG_ERR,
			  "--lang and --lang-channels: with seats, the seats choose the "
			  "languages (give only --lang-channels)");
		return 2;
	}
	if (seats_parse(o->lang_channels, &d->seats, why, sizeof(why)) < 0) {
		guide_log(HAL_LOG_ERR, "--lang-channels %s: %s", o->lang_channels, why);
		return 2;
	}
	const struct route *r = d->route;
	const struct route_tour *t = o->tour ? route_find_tour(r, o->tour) : NULL;
	if (!t && o->start && r->n_tours)
		t = &r->tours[0];
	const char *langs[SEATS_MAX];
	for (unsigned i = 0; i < d->seats.n; i++)
		langs[i] = d->seats.seat[i].lang;
	if (tour_check_route_langs(r, t ? t->id : NULL, langs, d->seats.n, why, sizeof(why)) !=
	    TOUR_OK) {
		guide_log(HAL_LOG_ERR, "--lang-channels %s: %s", o->lang_channels, why);
		return 2;
	}
	return 0;
}

static int
open_gps(struct daemon *d)
{
	/* the source's reconnect timing runs on the guide's clock */
	struct hal_gps_options go = {.log = gps_log, .clock = &d->time.clock};
	int r = hal_gps_create(d->o->gps, &go, &d->gps);
	if (r < 0)
		return r == -EINVAL || r == -ENOENT || r == -EBADMSG ? 2 : 1;
	d->replay = strcmp(hal_gps_name(d->gps), "gpsd") != 0;
	if (d->o->offline && !d->replay) {
		guide_log(HAL_LOG_ERR, "--offline needs a replay source (nmea:FILE or gpx:FILE)");
		return 2;
	}
	return fix_filter_create(NULL, &d->filter) < 0 ? 1 : 0;
}

/* The guide's clock starts where the replay starts (offline: a virtual
 * clock set to the replay's first fix); under gpsd at the system's UTC
 * until the receiver's comes. */
static void
start_clock(struct daemon *d)
{
	const struct guided_options *o = d->o;
	int64_t first = d->replay ? hal_gps_peek_time_ms(d->gps) : -1;
	int64_t utc = first >= 0 ? first : o->offline ? 0 : daemon_time_utc_ms();
	/* a board without a battery-backed clock may boot before the time the
	 * event log it goes on with ended: the log's time does not go back */
	if (!d->replay && d->ev_end.last_ms > utc)
		utc = d->ev_end.last_ms;
	daemon_time_init(&d->time, o->offline, utc, o->offline || !d->replay ? 1.0 : o->speed);
	d->t0_ms = utc;
	d->audio_clock0 = hal_clock_now_ms(&d->time.clock);
	d->last_tick_ms = daemon_now(d);
	d->last_sink_poll_ms = d->last_watchdog_ms = d->last_status_ms = d->audio_clock0;
}

/* --tour and --lang against the route, before anything opens: a language
 * the tour does not narrate would otherwise show only when the tour starts
 * (or never, offline).  With --tour or --start the languages of the tour
 * that starts, otherwise those of any tour of the route.  Returns 0 or 2. */
static int
check_tour_langs(const struct guided_options *o, const struct route *r)
{
	const struct route_tour *t = NULL;
	char known[256] = "", buf[256];
	const char *langs[TOUR_MAX_LANGS];

	if (o->tour && !(t = route_find_tour(r, o->tour))) {
		for (unsigned i = 0; i < r->n_tours; i++)
			snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
				 i ? ", " : "", r->tours[i].id);
		guide_log(HAL_LOG_ERR, "--tour %s: %s has no such tour (it has %s)", o->tour,
			  o->route, known);
		return 2;
	}
	if (!o->langs)
		return 0;
	/* a tour --start begins, or any tour the driver may start later */
	if (!t && o->start && r->n_tours)
		t = &r->tours[0];
	char why[256];
	snprintf(buf, sizeof(buf), "%s", o->langs);
	int n = tour_parse_langs(buf, langs, why, sizeof(why));
	if (n < 0 || tour_check_route_langs(r, t ? t->id : NULL, langs, (unsigned)n, why,
					    sizeof(why)) != TOUR_OK) {
		guide_log(HAL_LOG_ERR, "--lang %s: %s", o->langs, why);
		return 2;
	}
	return 0;
}

static int
set_up(struct daemon *d)
{
	const struct guided_options *o = d->o;
	int r = daemon_route_load(o->route, &d->route, NULL);
	if (r < 0) {
		guide_log(HAL_LOG_ERR, "%s: %s", o->route,
			  r == -EINVAL ? "invalid route, not starting" : strerror(-r));
		return r == -EINVAL || r == -ENOENT || r == -EISDIR ? 2 : 1;
	}
	if ((r = check_tour_langs(o, d->route)) != 0 || (r = check_seats(d)) != 0)
		return r;
	if ((r = open_audio(d)) != 0)
		return r;
	/* the GPS source keeps a pointer to the clock: give it its kind now,
	 * start_clock() anchors it once the replay's first time is known */
	daemon_time_init(&d->time, o->offline, 0, 1.0);
	if ((r = open_gps(d)) != 0)
		return r;
	if (open_events_file(d) < 0)
		return 1;
	start_clock(d);
	if (start_events(d) < 0)
		return 1;
	d->tour = daemon_tour_create(d, d->route);
	if (!d->tour || daemon_control_open(d) < 0)
		return 1;
	if ((r = daemon_input_open(d)) != 0)
		return r;
	if (daemon_record_open(d) < 0)
		return 1;
	if ((r = daemon_mic_open(d)) != 0)
		return r;
	/* the sound device opens when the first clip plays (daemon_player.c) */
	return 0;
}

/* The summary at the end of a replay, from the counters and the tour. */
static void
fill_summary(struct daemon *d, struct guided_summary *s)
{
	struct tour_status ts;
	tour_get_status(d->tour, &ts);
	const struct route_tour *tour = ts.tour ? route_find_tour(d->route, ts.tour) : NULL;

	s->valid = true;
	snprintf(s->tour, sizeof(s->tour), "%s", ts.tour ? ts.tour : "");
	s->state = tour_state_to_str(ts.state);
	s->drive_m = d->sum.drive_m;
	s->drive_s = (double)(d->sum.last_fix_ms - d->sum.first_fix_ms) / 1000.0;
	s->wall_s = (double)(daemon_time_mono_ms() - d->sum.start_mono) / 1000.0;
	for (unsigned i = 0; tour && i < tour->n_stops; i++) {
		s->stops++;
		s->stops_told += tour_stop_played(d->tour, tour->stops[i]);
		const char *why = tour_entry_skip_reason(d->tour, i);
		if (why && s->n_skips < GUIDED_SUMMARY_MAX_SKIPS) {
			snprintf(s->skips[s->n_skips].poi, sizeof(s->skips[0].poi), "%s",
				 d->route->stops[tour->stops[i]].id);
			snprintf(s->skips[s->n_skips].reason, sizeof(s->skips[0].reason), "%s",
				 why);
			s->n_skips++;
		}
	}
	s->clips_started = d->sum.clips_started;
	s->clips_completed = d->sum.clips_completed;
	s->clips_cut = d->sum.clips_cut;
	s->audio_s = (double)hal_sink_frames(d->sink) / HAL_AUDIO_RATE;
	s->speech_s = (double)d->sum.narration_frames / HAL_AUDIO_RATE;
	daemon_summary_fill(d, s);
}

static void
tear_down(struct daemon *d)
{
	if (d->sink) {
		hal_sink_set_active(d->sink, false);
		hal_sink_flush(d->sink);
	}
	if (d->mixer && d->tour)
		daemon_player_pump(d);
	control_server_destroy(d->ctl);
	d->ctl = NULL; /* the events of the tear-down go to no watcher */
	daemon_input_close(d);
	daemon_record_close(d);
	tour_destroy(d->tour);
	hal_sink_destroy(d->sink);
	daemon_mic_close(d); /* after the sink: see hal/mic_sdl.c */
	mixer_destroy(d->mixer);
	fix_filter_destroy(d->filter);
	hal_gps_destroy(d->gps);
	events_destroy(d->ev);
	if (d->ev_file && d->ev_file != stdout)
		fclose(d->ev_file);
	route_destroy(d->pending);
	route_destroy(d->route);
	daemon_summary_finish(d);
	if (d->sigfd >= 0)
		close(d->sigfd);
}

int
guided_run(const struct guided_options *o, struct guided_summary *summary)
{
	struct daemon dd = {.opts = *o,
			    .sigfd = -1,
			    .audio_idle_since = -1,
			    .record_fd = -1,
			    .over_since = -1},
		      *d = &dd;
	d->o = &d->opts; /* a reload of the vehicle configuration changes some */
	daemon_volume_init(&d->volume);

	if (summary)
		memset(summary, 0, sizeof(*summary));
	d->player = (struct tour_player){.impl = &daemon_player_impl, .ctx = d};
	if (daemon_signals_open(d) < 0) {
		guide_log(HAL_LOG_ERR, "signals: %s", strerror(errno));
		return 1;
	}
	d->exit_code = set_up(d);
	if (d->exit_code == 0)
		daemon_tour_begin(d);
	if (d->exit_code == 0 && !d->quit) {
		char status[256];
		snprintf(status, sizeof(status), "route %s, gps %s, audio %s", d->route->id, o->gps,
			 hal_sink_name(d->sink));
		guide_log(HAL_LOG_INFO, "ready: %s", status);
		daemon_notify_ready(status);
		d->watchdog_ms = daemon_notify_watchdog_interval_ms();
		d->sum.start_mono = daemon_time_mono_ms();
		daemon_loop_run(d);
		daemon_state_sync(d, true); /* the event log's last seq, too */
		if (summary && d->gps_ended && d->exit_code == 0)
			fill_summary(d, summary);
		daemon_notify_stopping();
	}
	tear_down(d);
	vehicle_config_destroy(d->config);
	return d->exit_code;
}
