/* The driver's buttons (DESIGN.md, "Buttons"): which key runs which
 * command.  The key map is plain data, tested without a daemon
 * (tests/daemon/test-input.c); daemon_input.c runs it.
 *
 * Default keys: KEY_ENTER/KEY_KPENTER start, KEY_SPACE/KEY_KP5 pause or
 * resume, KEY_RIGHT/KEY_KP6 skip, KEY_LEFT/KEY_KP4 replay, KEY_KPPLUS
 * volume +10, KEY_KPMINUS volume -10, KEY_L next language, KEY_M mark,
 * KEY_T talk (held), KEY_ESC stop (pressed twice within 2 s).
 *
 * guided --key KEY_NAME=COMMAND changes one key; COMMAND is one of
 *   start [TOUR] [--lang L,L] | stop | pause | resume | skip | replay |
 *   volume N | lang L[,L] | reload      as guidectl says them
 *   pause-resume                        pause when running, else resume
 *   volume+N | volume-N                 volume up or down by N (1-100)
 *   lang-next                           the tour's next language first
 *   mark                                log the current fix (event "mark")
 *   talk                                held: the driver talks
 *   none                                the key does nothing
 * A key whose command is stop ends the tour only when pressed twice within
 * DAEMON_KEY_STOP_MS, so that one knock on a keypad never does.
 */
#pragma once

#include <stddef.h>

#define DAEMON_KEYMAP_MAX 64
#define DAEMON_KEY_STOP_MS 2000

enum daemon_key_action {
	DAEMON_KEY_NONE = 0,
	DAEMON_KEY_COMMAND,      /* cmd as guidectl says it */
	DAEMON_KEY_PAUSE_RESUME, /* pause or resume */
	DAEMON_KEY_VOLUME_STEP,  /* step */
	DAEMON_KEY_LANG_NEXT,
	DAEMON_KEY_MARK,
	DAEMON_KEY_TALK,
	DAEMON_KEY_STOP, /* twice within DAEMON_KEY_STOP_MS */
};

struct daemon_key {
	int code; /* KEY_* */
	enum daemon_key_action action;
	int step;     /* DAEMON_KEY_VOLUME_STEP: +-1..100 */
	char cmd[96]; /* DAEMON_KEY_COMMAND: the command line */
};

struct daemon_keymap {
	struct daemon_key keys[DAEMON_KEYMAP_MAX];
	unsigned n;
};

/* The default map above. */
void daemon_keymap_default(struct daemon_keymap *km);
/* Applies "KEY_NAME=COMMAND" (replacing the key's entry).  0, or -1 with
 * why (for "--key SPEC: why") and the map untouched. */
int daemon_keymap_set(struct daemon_keymap *km, const char *spec, char *why, size_t whylen);
/* The key's entry, or NULL when it does nothing. */
const struct daemon_key *daemon_keymap_find(const struct daemon_keymap *km, int code);
