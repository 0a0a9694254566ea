/* The driver's buttons and talk: keypads and footswitches (guided --input,
 * hal/input.h) run the commands of guidectl through the same code path
 * (daemon_command), each press that does something logged as an event
 * "button" {key, command, ok[, message]}; talk (a held key, or guidectl
 * talk on|off) holds the narration while the driver speaks through the
 * amplifier's own microphone input (mixer_set_talk), events "talk".
 *
 * Sources are read by the main loop like the GPS: a device's fd is polled,
 * a recording (evemu:FILE) is due at the guide's start time plus its own
 * times, on the guide's clock (virtual under --offline).  Nothing is read
 * elsewhere, so a press during a reload waits in the device's buffer (or
 * the recording) until the loop comes back: never lost, never twice. */
#define _GNU_SOURCE
#include "guide/daemon/daemon_input.h"
#include "guide/daemon/daemon_internal.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guide/events.h"
#include "guide/log.h"
#include "hal/input.h"
#include "routes/route.h"

struct daemon_input {
	struct daemon_keymap km;
	unsigned n;
	struct hal_input **src;
	const char **spec;
	int stop_code;      /* the stop key pressed once; -1 */
	int64_t stop_armed; /* guide time of that press */
};

/* ---- the key map -------------------------------------------------------- */

static const struct {
	const char *key, *command;
} default_keys[] = {
	{"KEY_ENTER", "start"},
	{"KEY_KPENTER", "start"},
	{"KEY_SPACE", "pause-resume"},
	{"KEY_KP5", "pause-resume"},
	{"KEY_RIGHT", "skip"},
	{"KEY_KP6", "skip"},
	{"KEY_LEFT", "replay"},
	{"KEY_KP4", "replay"},
	{"KEY_KPPLUS", "volume+10"},
	{"KEY_KPMINUS", "volume-10"},
	{"KEY_L", "lang-next"},
	{"KEY_M", "mark"},
	{"KEY_T", "talk"},
	{"KEY_ESC", "stop"},
};

/* guidectl's verbs that a key may run as they are */
static const char *const key_verbs[] = {"start",  "pause",  "resume", "skip",
					"replay", "volume", "lang",   "reload"};

/* COMMAND of "KEY=COMMAND" into k; 0 or -1 with why. */
static int
parse_command(struct daemon_key *k, const char *cmd, char *why, size_t whylen)
{
	static const struct {
		const char *name;
		enum daemon_key_action action;
	} words[] = {
		{"none", DAEMON_KEY_NONE},           {"pause-resume", DAEMON_KEY_PAUSE_RESUME},
		{"lang-next", DAEMON_KEY_LANG_NEXT}, {"mark", DAEMON_KEY_MARK},
		{"talk", DAEMON_KEY_TALK},           {"stop", DAEMON_KEY_STOP},
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++) {
		if (strcmp(cmd, words[i].name) == 0) {
			k->action = words[i].action;
			return 0;
		}
	}
	if (strncmp(cmd, "volume", 6) == 0 && (cmd[6] == '+' || cmd[6] == '-')) {
		char *end;
		long v = strtol(cmd + 7, &end, 10);
		if (cmd[7] < '0' || cmd[7] > '9' || *end || v < 1 || v > 100) {
			snprintf(why, whylen, "volume+N or volume-N wants N in 1-100");
			return -1;
		}
		k->action = DAEMON_KEY_VOLUME_STEP;
		k->step = cmd[6] == '+' ? (int)v : -(int)v;
		return 0;
	}
	size_t verb = strcspn(cmd, " ");
	for (size_t i = 0; i < sizeof(key_verbs) / sizeof(*key_verbs); i++) {
		if (strlen(key_verbs[i]) == verb && strncmp(cmd, key_verbs[i], verb) == 0) {
			if (strlen(cmd) >= sizeof(k->cmd)) {
				snprintf(why, whylen, "command too long");
				return -1;
			}
			k->action = DAEMON_KEY_COMMAND;
			snprintf(k->cmd, sizeof(k->cmd), "%s", cmd);
			return 0;
		}
	}
	snprintf(why, whylen,
		 "unknown command '%.32s' (start, stop, pause, resume, pause-resume, skip, "
		 "replay, volume N, volume+N, volume-N, lang L, lang-next, mark, talk, reload, "
		 "none)",
		 cmd);
	return -1;
}

int
daemon_keymap_set(struct daemon_keymap *km, const char *spec, char *why, size_t whylen)
{
	const char *eq = strchr(spec, '=');
	char name[64];
	if (!eq || eq == spec || (size_t)(eq - spec) >= sizeof(name)) {
		snprintf(why, whylen, "KEY_NAME=COMMAND, e.g. KEY_F1=skip");
		return -1;
	}
	memcpy(name, spec, (size_t)(eq - spec));
	name[eq - spec] = '\0';
	struct daemon_key k = {.code = hal_input_key_from_name(name)};
	if (k.code < 0) {
		snprintf(why, whylen, "'%s' is not a key name (KEY_SPACE, KEY_KP5, BTN_0, ...)",
			 name);
		return -1;
	}
	if (parse_command(&k, eq + 1, why, whylen) < 0)
		return -1;
	unsigned i = 0;
	while (i < km->n && km->keys[i].code != k.code)
		i++;
	if (i == km->n) {
		if (km->n == DAEMON_KEYMAP_MAX) {
			snprintf(why, whylen, "at most %d keys", DAEMON_KEYMAP_MAX);
			return -1;
		}
		km->n++;
	}
	km->keys[i] = k;
	return 0;
}

void
daemon_keymap_default(struct daemon_keymap *km)
{
	char why[256], spec[64];
	memset(km, 0, sizeof(*km));
	for (size_t i = 0; i < sizeof(default_keys) / sizeof(*default_keys); i++) {
		snprintf(spec, sizeof(spec), "%s=%s", default_keys[i].key, default_keys[i].command);
		int r = daemon_keymap_set(km, spec, why, sizeof(why));
		(void)r; /* the table above is valid (tests/daemon/test-input.c) */
	}
}

const struct daemon_key *
daemon_keymap_find(const struct daemon_keymap *km, int code)
{
	for (unsigned i = 0; i < km->n; i++)
		if (km->keys[i].code == code)
			return km->keys[i].action == DAEMON_KEY_NONE ? NULL : &km->keys[i];
	return NULL;
}

/* ---- talk ---------------------------------------------------------------- */

/* Talk is on while a talk key is held or guidectl said on (until its
 * timeout); why is the event's source (on) or reason (off). */
static void
talk_update(struct daemon *d, const char *why)
{
	bool on = d->talk_key || d->talk_ctl;
	if (on == d->talk_on)
		return;
	d->talk_on = on;
	daemon_audio_wake(d);
	mixer_set_talk(d->mixer, on);
	events_emit(d->ev, daemon_now(d), "talk", "on", 'b', (int)on, on ? "source" : "reason", 's',
		    why, NULL);
	guide_log(HAL_LOG_INFO, "talk %s (%s)", on ? "on" : "off", why);
}

bool
daemon_talk_command(struct daemon *d, int argc, char **argv, char *msg, size_t len)
{
	long secs = DAEMON_TALK_TIMEOUT_MS / 1000;
	bool on = argc >= 2 && strcmp(argv[1], "on") == 0;
	if (argc < 2 || argc > 3 || (!on && strcmp(argv[1], "off") != 0) || (!on && argc == 3)) {
		snprintf(msg, len, "talk on [SECONDS] | talk off");
		return false;
	}
	if (argc == 3) {
		char *end;
		secs = strtol(argv[2], &end, 10);
		if (argv[2][0] < '0' || argv[2][0] > '9' || *end || secs < 1 ||
		    secs > DAEMON_TALK_MAX_MS / 1000) {
			snprintf(msg, len, "talk on SECONDS: 1-%d, not '%.16s'",
				 DAEMON_TALK_MAX_MS / 1000, argv[2]);
			return false;
		}
	}
	d->talk_ctl = on;
	if (on)
		d->talk_until = daemon_now(d) + secs * 1000;
	talk_update(d, on ? "guidectl" : "off");
	if (on)
		snprintf(msg, len, "talk on (off by itself after %ld s)", secs);
	else
		snprintf(msg, len, d->talk_on ? "talk stays on: the talk key is held" : "talk off");
	return true;
}

/* ---- presses -------------------------------------------------------------- */

static void
button_event(struct daemon *d, const char *key, const char *command, bool ok, const char *msg)
{
	int64_t now = daemon_now(d);
	if (ok)
		events_emit(d->ev, now, "button", "key", 's', key, "command", 's', command, "ok",
			    'b', 1, NULL);
	else
		events_emit(d->ev, now, "button", "key", 's', key, "command", 's', command, "ok",
			    'b', 0, "message", 's', msg, NULL);
}

/* Runs a command line through daemon_command, as guidectl's would be. */
static void
run_line(struct daemon *d, const char *key, const char *line)
{
	char buf[128], msg[256] = "";
	char *argv[8];
	int argc = 0;
	snprintf(buf, sizeof(buf), "%s", line);
	char *save = NULL;
	for (char *tok = strtok_r(buf, " ", &save); tok && argc < 8;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	if (argc == 0)
		return;
	bool ok = daemon_command(d, argc, argv, msg, sizeof(msg));
	button_event(d, key, line, ok, msg);
	guide_log(HAL_LOG_INFO, "button %s: %s: %s", key, line, msg);
}

/* lang-next: the tour's language after the first in use comes first. */
static void
lang_next(struct daemon *d, const char *key)
{
	struct tour_status ts;
	tour_get_status(d->tour, &ts);
	const struct route_tour *tour = route_find_tour(d->route, ts.tour      ? ts.tour
								  : d->o->tour ? d->o->tour
									       : "");
	if (!tour && !ts.tour && d->route->n_tours)
		tour = &d->route->tours[0];
	unsigned n;
	const char *const *cur = tour_langs(d->tour, &n);
	if (!tour || tour->n_langs == 0 || n == 0) {
		button_event(d, key, "lang-next", false, "no language to change to");
		return;
	}
	unsigned i = 0;
	while (i < tour->n_langs && strcmp(tour->langs[i], cur[0]) != 0)
		i++;
	const char *next = tour->langs[i < tour->n_langs ? (i + 1) % tour->n_langs : 0];
	/* next first, then the others in the order they had */
	char line[128];
	int len = snprintf(line, sizeof(line), "lang %s", next);
	unsigned at = n;
	for (unsigned k = 0; k < n; k++)
		if (strcmp(cur[k], next) == 0)
			at = k;
	for (unsigned j = 1; at < n && j < n; j++) /* a rotation of the list */
		len += snprintf(line + len, sizeof(line) - (size_t)len, ",%s", cur[(at + j) % n]);
	for (unsigned k = 1; at == n && k < n; k++) /* next replaces the first */
		len += snprintf(line + len, sizeof(line) - (size_t)len, ",%s", cur[k]);
	if ((size_t)len >= sizeof(line)) {
		button_event(d, key, "lang-next", false, "too many languages");
		return;
	}
	run_line(d, key, line);
}

static void
mark(struct daemon *d, const char *key)
{
	char msg[256];
	bool ok = daemon_mark(d, NULL, msg, sizeof(msg));
	button_event(d, key, "mark", ok, msg);
}

static void
key_event(struct daemon *d, const struct hal_input_key *k)
{
	struct daemon_input *in = d->input;
	const struct daemon_key *m = daemon_keymap_find(&in->km, k->code);
	const char *name = hal_input_key_name(k->code);
	char nbuf[16];
	if (!name) {
		snprintf(nbuf, sizeof(nbuf), "key %d", k->code);
		name = nbuf;
	}
	if (!m) {
		if (k->value == 1)
			guide_log(HAL_LOG_DEBUG, "button %s: not mapped", name);
		return;
	}
	if (m->action == DAEMON_KEY_TALK) {
		if (k->value == 1)
			button_event(d, name, "talk", true, NULL);
		d->talk_key = k->value == 1;
		talk_update(d, k->value == 1 ? "button" : "released");
		return;
	}
	if (k->value != 1) /* the rest act on the press */
		return;
	struct tour_status ts;
	char line[128];
	int64_t now = daemon_now(d);
	if (m->action != DAEMON_KEY_STOP)
		in->stop_code = -1;
	switch (m->action) {
	case DAEMON_KEY_COMMAND: run_line(d, name, m->cmd); break;
	case DAEMON_KEY_PAUSE_RESUME:
		tour_get_status(d->tour, &ts);
		run_line(d, name, ts.state == TOUR_PAUSED ? "resume" : "pause");
		break;
	case DAEMON_KEY_VOLUME_STEP: {
		tour_get_status(d->tour, &ts);
		long v = lround(ts.volume * 100) + m->step;
		snprintf(line, sizeof(line), "volume %ld", v < 0 ? 0 : v > 100 ? 100 : v);
		run_line(d, name, line);
		break;
	}
	case DAEMON_KEY_LANG_NEXT: lang_next(d, name); break;
	case DAEMON_KEY_MARK: mark(d, name); break;
	case DAEMON_KEY_STOP:
		if (in->stop_code == k->code && now - in->stop_armed <= DAEMON_KEY_STOP_MS) {
			in->stop_code = -1;
			run_line(d, name, "stop");
			break;
		}
		in->stop_code = k->code;
		in->stop_armed = now;
		snprintf(line, sizeof(line), "press %s again within %d s to stop", name,
			 DAEMON_KEY_STOP_MS / 1000);
		button_event(d, name, "stop", false, line);
		break;
	default: break;
	}
}

/* ---- the sources ---------------------------------------------------------- */

static void
input_log(void *user, enum hal_log_level level, const char *msg)
{
	guide_log(level, "input: %s", msg);
}

int
daemon_input_open(struct daemon *d)
{
	const struct guided_options *o = d->o;
	struct daemon_input *in = calloc(1, sizeof(*in));
	if (!in)
		return 1;
	d->input = in;
	in->stop_code = -1;
	d->talk_until = -1;
	daemon_keymap_default(&in->km);
	char why[256];
	for (unsigned i = 0; i < o->n_keys; i++) {
		if (daemon_keymap_set(&in->km, o->keys[i], why, sizeof(why)) < 0) {
			guide_log(HAL_LOG_ERR, "--key %s: %s", o->keys[i], why);
			return 2;
		}
	}
	if (o->n_inputs == 0)
		return 0;
	if (!(in->src = calloc(o->n_inputs, sizeof(*in->src))) ||
	    !(in->spec = calloc(o->n_inputs, sizeof(*in->spec))))
		return 1;
	struct hal_input_options io = {.log = input_log, .clock = &d->time.clock};
	for (unsigned i = 0; i < o->n_inputs; i++) {
		int r = hal_input_create(o->inputs[i], &io, &in->src[i]);
		if (r < 0)
			return r == -EINVAL || r == -ENOENT || r == -EBADMSG ? 2 : 1;
		in->spec[i] = o->inputs[i];
		in->n++;
		if (o->offline && hal_input_peek_time_ms(in->src[i]) < 0 &&
		    strcmp(hal_input_name(in->src[i]), "evdev") == 0) {
			guide_log(HAL_LOG_ERR,
				  "--offline: --input %s is a device; offline takes "
				  "recordings (evemu:FILE)",
				  o->inputs[i]);
			return 2;
		}
	}
	return 0;
}

void
daemon_input_close(struct daemon *d)
{
	struct daemon_input *in = d->input;
	if (!in)
		return;
	for (unsigned i = 0; i < in->n; i++)
		hal_input_destroy(in->src[i]);
	free(in->src);
	free(in->spec);
	free(in);
	d->input = NULL;
}

/* A recording's next key is due at the guide's start plus its time. */
static int64_t
replay_due(struct daemon *d, struct hal_input *src)
{
	int64_t t = hal_input_peek_time_ms(src);
	return t < 0 ? -1 : daemon_time_clock_at(&d->time, d->t0_ms + t);
}

int64_t
daemon_input_next_due(struct daemon *d)
{
	struct daemon_input *in = d->input;
	int64_t due = -1;
	for (unsigned i = 0; in && i < in->n; i++) {
		int64_t t = replay_due(d, in->src[i]);
		int64_t w = hal_input_next_wakeup_ms(in->src[i]);
		if (t >= 0 && (due < 0 || t < due))
			due = t;
		if (w >= 0 && (due < 0 || w < due))
			due = w;
	}
	if (d->talk_ctl) {
		int64_t t = daemon_time_clock_at(&d->time, d->talk_until);
		if (due < 0 || t < due)
			due = t;
	}
	return due;
}

int
daemon_input_poll_fds(struct daemon *d, struct pollfd *p, int max)
{
	struct daemon_input *in = d->input;
	int n = 0;
	for (unsigned i = 0; in && i < in->n && n < max; i++) {
		int fd = hal_input_get_fd(in->src[i]);
		if (fd >= 0)
			p[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
	}
	return n;
}

void
daemon_input_read(struct daemon *d)
{
	struct daemon_input *in = d->input;
	int64_t clk = hal_clock_now_ms(&d->time.clock);
	for (unsigned i = 0; in && i < in->n; i++) {
		struct hal_input *src = in->src[i];
		struct hal_input_key k;
		if (hal_input_peek_time_ms(src) >= 0) { /* a recording: what is due */
			for (int64_t due; (due = replay_due(d, src)) >= 0 && due <= clk;)
				if (hal_input_read(src, &k) == HAL_INPUT_KEY)
					key_event(d, &k);
			continue;
		}
		if (strcmp(hal_input_name(src), "evemu") == 0)
			continue; /* ended */
		for (int r; (r = hal_input_read(src, &k)) == HAL_INPUT_KEY;)
			key_event(d, &k);
	}
	if (d->talk_ctl && daemon_now(d) >= d->talk_until) {
		d->talk_ctl = false;
		talk_update(d, "timeout");
	}
	daemon_state_sync(d, false);
}
