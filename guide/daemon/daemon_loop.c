/* The main loop: one poll() over the signalfd, the control socket and the
 * GPS source, sleeping until the next thing is due on the guide's clock.
 *
 * What can be due (next_due()): a replay's next fix, the gpsd source's
 * reconnect, the tour's once-a-second tick, the GPS silence timeout, audio
 * for a pulled sink (offline: every 10 ms block; in real time while a clip
 * plays), mixer events while a clip plays on a pushed sink, the sound
 * device's hot-plug check, the watchdog and the live status line.  With
 * nothing playing and no tour the loop wakes only for the GPS and the
 * driver.
 *
 * Under a virtual clock (--offline) poll() never waits: the clock jumps to
 * the deadline (hal_clock_poll_timeout), so the same loop renders a whole
 * tour as fast as the CPU allows.
 */
#define _GNU_SOURCE
#include "guide/daemon/daemon_internal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <json-c/json.h>

#include "guide/control.h"
#include "guide/daemon/daemon_mic.h"
#include "guide/daemon/daemon_notify.h"
#include "guide/log.h"
#include "hal/gps.h"
#include "hal/sink.h"

#define TICK_MS 1000                    /* tour_tick at least this often */
#define SINK_POLL_MS 1000               /* sound device removal / return */
#define STATUS_MS 500                   /* live status line */
#define DRAIN_LIMIT_MS (10 * 60 * 1000) /* after the replay: finish the story, then stop */
#define DRAIN_CHECK_MS 100

static int64_t
min_due(int64_t a, int64_t b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

static bool
audio_busy(struct daemon *d)
{
	struct tour_status ts;
	tour_get_status(d->tour, &ts);
	return ts.playing || mixer_active_voices(d->mixer) > 0;
}

/* The clock time at which something is next due; -1: nothing (wait for
 * an fd). */
static int64_t
next_due(struct daemon *d)
{
	struct daemon_time *t = &d->time;
	int64_t clk = hal_clock_now_ms(&t->clock);
	bool virt = hal_clock_is_virtual(&t->clock);
	int64_t due = -1;

	if (!d->gps_ended) {
		int64_t fix = hal_gps_peek_time_ms(d->gps);
		if (d->replay && fix >= 0)
			due = daemon_time_clock_at(t, fix);
		else if (d->replay)
			due = clk;
		due = min_due(due, hal_gps_next_wakeup_ms(d->gps));
	}
	due = min_due(due, daemon_input_next_due(d)); /* a recording's key, a keypad's return */
	if (virt && d->pulled)                        /* every block, in step with the WAV */
		return min_due(due, clk + DAEMON_OFFLINE_STEP_MS);
	if (audio_busy(d))
		due = min_due(due, daemon_player_next_due(d, clk));
	if (d->audio_active && d->audio_idle_since >= 0) /* the device's closing */
		due = min_due(due, d->audio_idle_since + DAEMON_AUDIO_LINGER_MS);
	struct tour_status ts;
	tour_get_status(d->tour, &ts);
	if (ts.state == TOUR_RUNNING || ts.state == TOUR_PAUSED)
		due = min_due(due, daemon_time_clock_at(t, d->last_tick_ms + TICK_MS));
	if (d->gps_ok && !d->gps_ended)
		due = min_due(due,
			      daemon_time_clock_at(t, d->last_fix_ms + DAEMON_GPS_SILENCE_MS + 1));
	if (d->pending)
		due = min_due(due, clk + DAEMON_BUSY_STEP_MS);
	if (!virt) {
		due = min_due(due, d->last_sink_poll_ms + SINK_POLL_MS);
		/* on SDL's dummy fallback: its next look for the speaker */
		int in = hal_sink_poll_due_ms(d->sink);
		if (in >= 0)
			due = min_due(due, clk + in);
		if (d->watchdog_ms)
			due = min_due(due, d->last_watchdog_ms + (int64_t)d->watchdog_ms);
		if (d->o->on_status)
			due = min_due(due, d->last_status_ms + STATUS_MS);
	}
	due = min_due(due, daemon_watch_next_due(d));
	if (d->gps_ended)
		due = min_due(due, clk + DRAIN_CHECK_MS); /* draining: look again soon */
	return due;
}

/* Pulled sinks (wav, null): render what the clock says is due. */
void
daemon_audio_render(struct daemon *d)
{
	if (!d->pulled)
		return;
	int64_t clk = hal_clock_now_ms(&d->time.clock);
	uint64_t want = (uint64_t)(clk - d->audio_clock0) * (HAL_AUDIO_RATE / 1000);
	uint64_t have = hal_sink_frames(d->sink);
	if (want <= have)
		return;
	int r = hal_sink_pull(d->sink, (uint32_t)(want - have));
	if (r < 0 && !d->quit) {
		guide_log(HAL_LOG_ERR, "audio: %s", strerror(-r));
		d->exit_code = 1;
		d->quit = true;
	}
}

static void
live_status(struct daemon *d)
{
	struct tour_status ts;
	tour_get_status(d->tour, &ts);
	/* channels mode: every language that speaks now ("zh+en") */
	char langs[SEATS_MAX * SEATS_LANG_LEN] = "";
	if (d->seats.n && ts.playing) {
		struct tour_lang_playing lp[TOUR_MAX_LANGS];
		unsigned n = tour_get_playing(d->tour, lp, TOUR_MAX_LANGS);
		size_t at = 0;
		for (unsigned i = 0; i < n && at < sizeof(langs); i++)
			if (lp[i].clip)
				at += (size_t)snprintf(langs + at, sizeof(langs) - at, "%s%s",
						       at ? "+" : "", lp[i].lang);
		ts.lang = langs;
	}
	struct guided_live live = {
		.now_ms = daemon_now(d),
		.state = tour_state_to_str(ts.state),
		.progress_m = ts.pos.progress_m,
		.path_m = ts.pos.path_len_m,
		.playing = ts.playing,
		.lang = ts.lang,
		.gps_ok = d->gps_ok,
	};
	d->o->on_status(d->o->status_user, &live);
}

/* Everything that happens with time: mixer events, GPS silence, the tour's
 * tick, reloads, state, and in real time the device, watchdog and status. */
static void
housekeeping(struct daemon *d)
{
	int64_t now = daemon_now(d);

	daemon_player_pump(d);
	daemon_mic_update(d);
	daemon_gps_check_silence(d, now);
	if (now - d->last_tick_ms >= TICK_MS) {
		tour_tick(d->tour, now);
		d->last_tick_ms = now;
	}
	daemon_volume_update(d, now, false);
	daemon_route_swap_pending(d);
	daemon_state_sync(d, false);
	if (hal_clock_is_virtual(&d->time.clock))
		return;
	int64_t clk = hal_clock_now_ms(&d->time.clock);
	daemon_audio_idle(d, clk);
	if (clk - d->last_sink_poll_ms >= SINK_POLL_MS || hal_sink_poll_due_ms(d->sink) == 0) {
		hal_sink_poll(d->sink);
		d->last_sink_poll_ms = clk;
	}
	if (d->watchdog_ms && (uint64_t)(clk - d->last_watchdog_ms) >= d->watchdog_ms) {
		daemon_notify_watchdog();
		d->last_watchdog_ms = clk;
	}
	if (d->o->on_status && clk - d->last_status_ms >= STATUS_MS) {
		live_status(d);
		d->last_status_ms = clk;
	}
}

int
daemon_signals_open(struct daemon *d)
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

static void
handle_signals(struct daemon *d)
{
	struct signalfd_siginfo si;
	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			guide_log(HAL_LOG_NOTICE, "SIGHUP: reloading %s", d->o->route);
			json_object *o = json_object_new_object();
			daemon_reload(d, o);
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
	int64_t now = daemon_now(d);
	bool busy = ts.playing || mixer_active_voices(d->mixer) > 0;
	bool in_tour = ts.state == TOUR_RUNNING || ts.state == TOUR_PAUSED;
	bool drained = now - d->end_ms >= DRAIN_LIMIT_MS;
	if (in_tour && busy && !drained && ts.state != TOUR_PAUSED)
		return false;
	if (in_tour) {
		tour_stop(d->tour, now);
		daemon_state_sync(d, false);
	}
	return !busy || drained || ts.state == TOUR_PAUSED;
}

static int
wait_for_due(struct daemon *d)
{
	int timeout = hal_clock_poll_timeout(&d->time.clock, next_due(d));
	/* a virtual clock never waits: the clock has jumped, and the signalfd
	 * and the control socket are read without blocking anyway */
	if (hal_clock_is_virtual(&d->time.clock))
		return 0;
	struct pollfd p[3 + 8];
	int n = 0;
	p[n++] = (struct pollfd){.fd = d->sigfd, .events = POLLIN};
	if (d->ctl)
		p[n++] = (struct pollfd){.fd = control_server_get_fd(d->ctl), .events = POLLIN};
	int gfd = hal_gps_get_fd(d->gps);
	if (gfd >= 0)
		p[n++] = (struct pollfd){.fd = gfd, .events = POLLIN};
	n += daemon_input_poll_fds(d, p + n, 8);
	if (poll(p, (nfds_t)n, timeout) < 0 && errno != EINTR) {
		guide_log(HAL_LOG_ERR, "poll: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

void
daemon_loop_run(struct daemon *d)
{
	bool virt = hal_clock_is_virtual(&d->time.clock);
	int64_t drain_check = 0;
	d->last_tick_ms = daemon_now(d);

	while (!d->quit) {
		if (wait_for_due(d) < 0) {
			d->exit_code = 1;
			break;
		}
		daemon_audio_render(d);
		housekeeping(d);
		handle_signals(d);
		if (d->ctl)
			control_server_dispatch(d->ctl);
		daemon_input_read(d);
		if (!d->gps_ended) {
			daemon_gps_read(d);
			housekeeping(d);
		}
		daemon_watch_pump(d);
		int64_t clk = hal_clock_now_ms(&d->time.clock);
		if (d->gps_ended && clk >= drain_check) {
			if (replay_done(d))
				break;
			drain_check = clk + DRAIN_CHECK_MS;
		}
	}
	if (virt) {
		/* let a cut clip's fade reach the file */
		int64_t end = hal_clock_now_ms(&d->time.clock) + DAEMON_CUT_FADE_MS + 50;
		while (hal_clock_now_ms(&d->time.clock) < end && !d->quit) {
			hal_clock_advance_ms(&d->time.clock, DAEMON_OFFLINE_STEP_MS);
			daemon_audio_render(d);
			housekeeping(d);
		}
	}
}
