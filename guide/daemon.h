/* The on-vehicle daemon: one poll() main loop over the GPS source, the
 * control socket, a signalfd and a timerfd; the audio thread (SDL) apart.
 *
 *   GPS source -> fix filter -> tour (trigger engine, scheduler) -> mixer -> sink
 *
 * Under --offline the clock is virtual: the replay is consumed as fast as
 * the CPU allows, and the mixer is pulled by the clock in 10 ms blocks so
 * that the WAV is sample-identical from run to run; a clip's end, read from
 * the mixer's frame-stamped events, lands at its exact virtual time.
 *
 * Time in events: the GPS / virtual clock (UTC).  In real time the guide's
 * clock is the replay's UTC paced by the monotonic clock (times --speed),
 * or for gpsd the system's UTC clock.
 */
#pragma once

#include <stdbool.h>

#define GUIDED_DEFAULT_CONTROL "/run/guide/control"

struct guided_options {
	const char *route;
	const char *gps;     /* default gpsd:localhost:2947 */
	const char *audio;   /* default sdl */
	const char *langs;   /* "zh,en" or NULL */
	const char *tour;    /* NULL: the route's first */
	const char *events;  /* NULL, "-" or a path */
	const char *control; /* NULL: default (none under --offline) */
	const char *state;   /* NULL: no persistence */
	bool start;
	bool offline;
	bool live_status;    /* one-line status on stderr */
	bool control_same_user; /* refuse control peers of other users (root excepted) */
	double speed;        /* replay speed-up */
};

void guided_options_defaults(struct guided_options *o);

/* Runs until the replay ends (and its last clip is told) or a SIGINT /
 * SIGTERM; returns the exit status: 0 done, 1 runtime failure, 2 bad usage
 * or invalid route. */
int guided_run(const struct guided_options *o);
