/* Driver inputs: USB keypads and footswitches (evdev, through libevdev) and
 * their file-backed fake (an evemu recording replayed on the clock).
 *
 * hal_input_create() parses a source spec (DESIGN.md, "Buttons"):
 *   evdev:/dev/input/PATH   a keypad; the device is grabbed (EVIOCGRAB), so
 *                           that no other program (a console, a desktop)
 *                           also reacts to its keys.  A device that is
 *                           missing, unplugged or not readable is opened
 *                           again with backoff; the source never fails
 *                           after create (one message when it goes, one
 *                           when it comes back).
 *   evemu:FILE              a recording in evemu-record's text format
 *                           (hal_input_evemu_parse); its times are counted
 *                           from its first event, whatever that is.
 *
 * Only EV_KEY events come out, and only presses (value 1) and releases
 * (value 0): autorepeat (value 2) is dropped, and so is a press of a key
 * already down or a release of a key that is up (after a SYN_DROPPED, or a
 * key held while the device was opened).  When a device goes away, every
 * key it held is released (a talk key held at the unplug does not stay on).
 *
 * Driving a source from one poll() loop, as hal/gps.h:
 *   fd = hal_input_get_fd(in)           poll it for POLLIN when >= 0 (evdev;
 *                                       changes on reconnect: ask every time)
 *   w  = hal_input_next_wakeup_ms(in)   when >= 0, call hal_input_read() once
 *                                       the options' clock reaches w (reopen)
 *   t  = hal_input_peek_time_ms(in)     replays: ms from the recording's first
 *                                       event to the next key event, -1 when
 *                                       none; the caller maps it on its clock
 *   r  = hal_input_read(in, &key)       one event, never blocks; call again
 *                                       while it returns HAL_INPUT_KEY
 *
 * Main thread only.  No module-level state.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/log.h"

struct hal_clock;
struct hal_input; /* opaque; sources are built in hal/input_*.c */

#define HAL_INPUT_KEY_MAX 0x2ff /* linux/input-event-codes.h KEY_MAX */

enum hal_input_result {
	HAL_INPUT_NONE = 0, /* nothing (yet): wait for the fd, the wakeup or the time */
	HAL_INPUT_KEY = 1,  /* *key holds a press or a release */
	HAL_INPUT_END = 2,  /* replay finished; every later read returns END too */
};

struct hal_input_key {
	int code;        /* KEY_* (linux/input-event-codes.h) */
	int value;       /* 1 press, 0 release */
	int64_t time_ms; /* replays: ms from the recording's first event; else -1 */
};

struct hal_input_options {
	hal_log_fn log; /* NULL: messages are dropped */
	void *log_user;
	/* Clock for reopening a device; NULL: an internal real clock.  Must
	 * outlive the source. */
	struct hal_clock *clock;
	int reconnect_min_ms; /* first retry delay; 0: 500 */
	int reconnect_max_ms; /* backoff cap;      0: 5000 */
};

/* 0 and *out set, or a negative errno (-EINVAL bad spec, -ENOENT missing
 * recording, -EBADMSG unreadable recording, -ENOMEM) with the reason
 * handed to opts->log.  A device that cannot be opened yet is still
 * created (it is tried again). */
int hal_input_create(const char *spec, const struct hal_input_options *opts,
		     struct hal_input **out);
void hal_input_destroy(struct hal_input *in); /* NULL is a no-op */

/* One event, never blocking: an enum hal_input_result. */
int hal_input_read(struct hal_input *in, struct hal_input_key *key);

int hal_input_get_fd(struct hal_input *in);             /* -1: none */
int64_t hal_input_next_wakeup_ms(struct hal_input *in); /* -1: none needed */
int64_t hal_input_peek_time_ms(struct hal_input *in);   /* -1: none / not a replay */
const char *hal_input_name(const struct hal_input *in); /* "evdev", "evemu" */
/* Whether the device is open now (a replay: always). */
bool hal_input_connected(const struct hal_input *in);

/* Key names as the kernel spells them ("KEY_SPACE"), through libevdev.
 * -1 for a name that is not a key. */
int hal_input_key_from_name(const char *name);
/* "KEY_SPACE"; NULL for a code without a name. */
const char *hal_input_key_name(int code);

/* The evemu text format, as evemu-record writes it:
 *   # EVEMU 1.3                 comments (and the "Waiting for events" banner)
 *   N: name                     the device's description: N, I, P, B, A, L, S
 *   E: 0.000000 0001 0039 0001  an event: seconds.microseconds, type and code
 *                               in hex, value in decimal, then an optional
 *                               "# ..." comment
 * Times are taken relative to the first E: line (evemu-record starts at 0;
 * older ones wrote the system's time) and must not go back.  Only EV_KEY
 * events are kept, autorepeats included (hal_input_read drops them).
 * path is for messages (FILE:LINE: what).  On success *keys (free()) and
 * *n are set; on failure -EBADMSG (logged) or -ENOMEM and nothing is set. */
int hal_input_evemu_parse(const char *data, size_t len, const char *path, hal_log_fn log,
			  void *log_user, struct hal_input_key **keys, size_t *n);
