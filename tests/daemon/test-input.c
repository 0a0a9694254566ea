/* The evemu parser (hal/input.h) and the key map (guide/daemon/daemon_input.h),
 * table-driven: what a recording holds, where a bad one goes wrong, what a
 * key does by default and after --key, and which specs are refused (the
 * map stays as it was). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guide/daemon/daemon_input.h"
#include "hal/input.h"
#include "tests/test.h"

static char last_msg[512];

static void
log_msg(void *user, enum hal_log_level level, const char *msg)
{
	snprintf(last_msg, sizeof(last_msg), "%s", msg);
}

static void
test_evemu(void)
{
	const char *rec = "# EVEMU 1.3\n"
			  "N: keypad\n"
			  "I: 0003 04d9 1203 0110\n"
			  "P: 00 00 00 00 00 00 00 00\n"
			  "B: 01 fe ff ff ff ff ff ff ff\n"
			  "A: 00 0 255 0 0 0\n"
			  "\n"
			  "E: 1700000000.250000 0000 0000 0000\t# SYN\n"
			  "E: 1700000001.250000 0004 0004 458840\n"
			  "E: 1700000001.250000 0001 0039 0001\t# KEY_SPACE 1\n"
			  "E: 1700000001.750000 0001 0039 0002\n"
			  "E: 1700000002.000999 0001 0039 0000\r\n";
	struct hal_input_key *k = NULL;
	size_t n = 0;
	CHECK(hal_input_evemu_parse(rec, strlen(rec), "r.evemu", log_msg, NULL, &k, &n) == 0);
	CHECK(n == 3);
	static const struct hal_input_key want[] = {{57, 1, 1000}, {57, 2, 1500}, {57, 0, 1750}};
	for (size_t i = 0; i < n && i < 3; i++)
		CHECK(k[i].code == want[i].code && k[i].value == want[i].value &&
		      k[i].time_ms == want[i].time_ms);
	free(k);

	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"X: 1\n", "r.evemu:1:1: not an evemu line"},
		{"E: 1.5 0001 001c 1\n", "r.evemu:1:6: an event is"},
		{"E: 1.000000 0001 001c\n", "r.evemu:1:22: an event is"},
		{"E: 1.000000 zz 001c 1\n", "r.evemu:1:13: an event is"},
		{"E: 1.000000 0001 001c 1 x\n", "r.evemu:1:25: an event is"},
		{"#\nE: 2.000000 0001 001c 1\nE: 1.000000 0001 001c 0\n",
		 "r.evemu:3:4: time goes back"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		k = (struct hal_input_key *)&n; /* untouched on failure */
		last_msg[0] = '\0';
		CHECK(hal_input_evemu_parse(bad[i].text, strlen(bad[i].text), "r.evemu", log_msg,
					    NULL, &k, &n) == -EBADMSG);
		CHECK(k == (struct hal_input_key *)&n);
		if (!(strncmp(last_msg, bad[i].msg, strlen(bad[i].msg)) == 0)) {
			fprintf(stderr, "%s\n", last_msg);
			test_failures++;
		}
	}
}

static void
test_keymap(void)
{
	struct daemon_keymap km;
	daemon_keymap_default(&km);
	static const struct {
		const char *key;
		enum daemon_key_action action;
		const char *cmd;
		int step;
	} def[] = {
		{"KEY_ENTER", DAEMON_KEY_COMMAND, "start", 0},
		{"KEY_KPENTER", DAEMON_KEY_COMMAND, "start", 0},
		{"KEY_SPACE", DAEMON_KEY_PAUSE_RESUME, "", 0},
		{"KEY_KP5", DAEMON_KEY_PAUSE_RESUME, "", 0},
		{"KEY_RIGHT", DAEMON_KEY_COMMAND, "skip", 0},
		{"KEY_KP6", DAEMON_KEY_COMMAND, "skip", 0},
		{"KEY_LEFT", DAEMON_KEY_COMMAND, "replay", 0},
		{"KEY_KP4", DAEMON_KEY_COMMAND, "replay", 0},
		{"KEY_KPPLUS", DAEMON_KEY_VOLUME_STEP, "", 10},
		{"KEY_KPMINUS", DAEMON_KEY_VOLUME_STEP, "", -10},
		{"KEY_L", DAEMON_KEY_LANG_NEXT, "", 0},
		{"KEY_M", DAEMON_KEY_MARK, "", 0},
		{"KEY_T", DAEMON_KEY_TALK, "", 0},
		{"KEY_ESC", DAEMON_KEY_STOP, "", 0},
	};
	CHECK(km.n == sizeof(def) / sizeof(*def));
	for (size_t i = 0; i < sizeof(def) / sizeof(*def); i++) {
		const struct daemon_key *k =
			daemon_keymap_find(&km, hal_input_key_from_name(def[i].key));
		if (!(k && k->action == def[i].action && strcmp(k->cmd, def[i].cmd) == 0 &&
		      k->step == def[i].step)) {
			fprintf(stderr, "%s\n", def[i].key);
			test_failures++;
		}
	}
	CHECK(daemon_keymap_find(&km, hal_input_key_from_name("KEY_A")) == NULL);
	CHECK(strcmp(hal_input_key_name(hal_input_key_from_name("KEY_KP5")), "KEY_KP5") == 0);

	char why[256];
	CHECK(daemon_keymap_set(&km, "KEY_F1=volume 50", why, sizeof(why)) == 0);
	CHECK(daemon_keymap_set(&km, "KEY_SPACE=none", why, sizeof(why)) == 0);
	CHECK(daemon_keymap_set(&km, "BTN_0=volume+5", why, sizeof(why)) == 0);
	CHECK(daemon_keymap_set(&km, "KEY_ESC=skip", why, sizeof(why)) == 0);
	const struct daemon_key *k = daemon_keymap_find(&km, hal_input_key_from_name("KEY_F1"));
	CHECK(k && k->action == DAEMON_KEY_COMMAND && strcmp(k->cmd, "volume 50") == 0);
	CHECK(daemon_keymap_find(&km, hal_input_key_from_name("KEY_SPACE")) == NULL);
	k = daemon_keymap_find(&km, hal_input_key_from_name("BTN_0"));
	CHECK(k && k->action == DAEMON_KEY_VOLUME_STEP && k->step == 5);
	k = daemon_keymap_find(&km, hal_input_key_from_name("KEY_ESC"));
	CHECK(k && k->action == DAEMON_KEY_COMMAND && strcmp(k->cmd, "skip") == 0);

	static const struct {
		const char *spec, *why;
	} bad[] = {
		{"KEY_F2", "KEY_NAME=COMMAND, e.g. KEY_F1=skip"},
		{"=skip", "KEY_NAME=COMMAND, e.g. KEY_F1=skip"},
		{"KEY_NOPE=skip", "'KEY_NOPE' is not a key name"},
		{"REL_X=skip", "'REL_X' is not a key name"},
		{"KEY_F2=fly", "unknown command 'fly'"},
		{"KEY_F2=volume+0", "volume+N or volume-N wants N in 1-100"},
		{"KEY_F2=volume-101", "volume+N or volume-N wants N in 1-100"},
		{"KEY_F2=volume+x", "volume+N or volume-N wants N in 1-100"},
		{"KEY_F2=status", "unknown command 'status'"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct daemon_keymap before = km;
		CHECK(daemon_keymap_set(&km, bad[i].spec, why, sizeof(why)) < 0);
		if (!(strncmp(why, bad[i].why, strlen(bad[i].why)) == 0)) {
			fprintf(stderr, "%s: %s\n", bad[i].spec, why);
			test_failures++;
		}
		CHECK(memcmp(&before, &km, sizeof(km)) == 0);
	}
}

int
main(void)
{
	test_evemu();
	test_keymap();
	TEST_EXIT();
}
