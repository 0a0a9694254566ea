/* vehicle.h: the vehicle configuration's schema (libcyaml tables walked by
 * routes/yaml_file.h, so a typo gets "did you mean" and a position), the
 * checks the schema cannot express, and the merge into guided_options. */
#define _GNU_SOURCE
#include "guide/daemon/vehicle.h"

#include <ctype.h>
#include <cyaml/cyaml.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routes/yaml_file.h"

#define OPT CYAML_FLAG_OPTIONAL
#define PTR CYAML_FLAG_POINTER
#define VEHICLE_MAX_BYTES (256 * 1024)
#define VEHICLE_MAX_INPUTS 16
#define VEHICLE_MAX_KEYS 64

/* ---- the YAML side ------------------------------------------------------- */

struct y_control {
	char *path, *group;
	bool *same_user;
};

enum panel_lang { PANEL_ZH, PANEL_EN };

struct y_panel {
	enum panel_lang *lang;
	char *window;
	bool *fullscreen;
};

struct y_fleet {
	char *broker, *fleet, *cart;
};

struct y_quiet {
	char *from, *to;
	double max;
};

/* auto_volume.noise: the cabin microphone's (daemon_mic.h) */
struct y_noise {
	double *quiet_db, *loud_db, *max_gain_db, *attack_s, *release_s;
};

struct y_auto_volume {
	struct y_noise *noise;
	double **speed; /* [km/h, dB] pairs */
	unsigned speed_count;
	struct y_quiet *quiet_hours;
	unsigned quiet_hours_count;
};

struct y_vehicle {
	char *route, *tour;
	char **langs;
	unsigned langs_count;
	char *gps, *audio, *lang_channels;
	double *speed;
	struct y_control *control;
	char *state, *events, *marks;
	char **input;
	unsigned input_count;
	struct y_panel *panel;
	struct y_fleet *fleet;
	char *timezone;
	struct y_auto_volume *auto_volume;
	char *mic;
};

static const cyaml_schema_value_t lang_value = {
	CYAML_VALUE_STRING(PTR, char, 2, 8),
};
static const cyaml_schema_value_t source_value = {
	CYAML_VALUE_STRING(PTR, char, 1, 4096),
};

static const cyaml_schema_field_t control_fields[] = {
	CYAML_FIELD_STRING_PTR("path", PTR | OPT, struct y_control, path, 1, 4096),
	CYAML_FIELD_STRING_PTR("group", PTR | OPT, struct y_control, group, 1, 64),
	CYAML_FIELD_BOOL_PTR("same_user", PTR | OPT, struct y_control, same_user),
	CYAML_FIELD_END,
};

static const cyaml_strval_t panel_lang_strings[] = {
	{"zh", PANEL_ZH},
	{"en", PANEL_EN},
};
static const cyaml_schema_field_t panel_fields[] = {
	CYAML_FIELD_ENUM_PTR("lang", PTR | OPT | CYAML_FLAG_STRICT, struct y_panel, lang,
			     panel_lang_strings, CYAML_ARRAY_LEN(panel_lang_strings)),
	CYAML_FIELD_STRING_PTR("window", PTR | OPT, struct y_panel, window, 3, 16),
	CYAML_FIELD_BOOL_PTR("fullscreen", PTR | OPT, struct y_panel, fullscreen),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t fleet_fields[] = {
	CYAML_FIELD_STRING_PTR("broker", PTR, struct y_fleet, broker, 1, 4096),
	CYAML_FIELD_STRING_PTR("fleet", PTR, struct y_fleet, fleet, 1, 64),
	CYAML_FIELD_STRING_PTR("cart", PTR, struct y_fleet, cart, 1, 64),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t number_value = {
	CYAML_VALUE_FLOAT(CYAML_FLAG_DEFAULT, double),
};
/* [km/h, dB]: a fixed sequence held by pointer (libcyaml strides a sequence
 * of inline fixed sequences wrongly) */
static const cyaml_schema_value_t speed_pair_value = {
	CYAML_VALUE_SEQUENCE_FIXED(PTR, double, &number_value, 2),
};
static const cyaml_schema_field_t quiet_fields[] = {
	CYAML_FIELD_STRING_PTR("from", PTR, struct y_quiet, from, 4, 5),
	CYAML_FIELD_STRING_PTR("to", PTR, struct y_quiet, to, 4, 5),
	CYAML_FIELD_FLOAT("max", CYAML_FLAG_DEFAULT, struct y_quiet, max),
	CYAML_FIELD_END,
};
static const cyaml_schema_value_t quiet_value = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_quiet, quiet_fields),
};
static const cyaml_schema_field_t noise_fields[] = {
	CYAML_FIELD_FLOAT_PTR("quiet_db", PTR | OPT, struct y_noise, quiet_db),
	CYAML_FIELD_FLOAT_PTR("loud_db", PTR | OPT, struct y_noise, loud_db),
	CYAML_FIELD_FLOAT_PTR("max_gain_db", PTR | OPT, struct y_noise, max_gain_db),
	CYAML_FIELD_FLOAT_PTR("attack_s", PTR | OPT, struct y_noise, attack_s),
	CYAML_FIELD_FLOAT_PTR("release_s", PTR | OPT, struct y_noise, release_s),
	CYAML_FIELD_END,
};
static const cyaml_schema_field_t auto_volume_fields[] = {
	CYAML_FIELD_MAPPING_PTR("noise", PTR | OPT, struct y_auto_volume, noise, noise_fields),
	CYAML_FIELD_SEQUENCE("speed", PTR | OPT, struct y_auto_volume, speed, &speed_pair_value, 1,
			     GUIDED_AUTO_SPEED_POINTS),
	CYAML_FIELD_SEQUENCE("quiet_hours", PTR | OPT, struct y_auto_volume, quiet_hours,
			     &quiet_value, 0, GUIDED_QUIET_HOURS),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t vehicle_fields[] = {
	CYAML_FIELD_STRING_PTR("route", PTR | OPT, struct y_vehicle, route, 1, 4096),
	CYAML_FIELD_STRING_PTR("tour", PTR | OPT, struct y_vehicle, tour, 1, 64),
	CYAML_FIELD_SEQUENCE("langs", PTR | OPT, struct y_vehicle, langs, &lang_value, 1, 8),
	CYAML_FIELD_STRING_PTR("gps", PTR | OPT, struct y_vehicle, gps, 1, 4096),
	CYAML_FIELD_STRING_PTR("audio", PTR | OPT, struct y_vehicle, audio, 1, 4096),
	CYAML_FIELD_STRING_PTR("lang_channels", PTR | OPT, struct y_vehicle, lang_channels, 1, 64),
	CYAML_FIELD_FLOAT_PTR("speed", PTR | OPT, struct y_vehicle, speed),
	CYAML_FIELD_MAPPING_PTR("control", PTR | OPT, struct y_vehicle, control, control_fields),
	CYAML_FIELD_STRING_PTR("state", PTR | OPT, struct y_vehicle, state, 1, 4096),
	CYAML_FIELD_STRING_PTR("events", PTR | OPT, struct y_vehicle, events, 1, 4096),
	CYAML_FIELD_STRING_PTR("marks", PTR | OPT, struct y_vehicle, marks, 1, 4096),
	CYAML_FIELD_SEQUENCE("input", PTR | OPT, struct y_vehicle, input, &source_value, 0,
			     VEHICLE_MAX_INPUTS),
	/* KEY_NAME: command, checked pair by pair in key_pair() */
	CYAML_FIELD_IGNORE("keys", OPT),
	CYAML_FIELD_MAPPING_PTR("panel", PTR | OPT, struct y_vehicle, panel, panel_fields),
	CYAML_FIELD_MAPPING_PTR("fleet", PTR | OPT, struct y_vehicle, fleet, fleet_fields),
	CYAML_FIELD_STRING_PTR("timezone", PTR | OPT, struct y_vehicle, timezone, 1, 16),
	CYAML_FIELD_MAPPING_PTR("auto_volume", PTR | OPT, struct y_vehicle, auto_volume,
				auto_volume_fields),
	CYAML_FIELD_STRING_PTR("mic", PTR | OPT, struct y_vehicle, mic, 1, 4096),
	CYAML_FIELD_END,
};
static const cyaml_schema_value_t vehicle_value = {
	CYAML_VALUE_MAPPING(PTR, struct y_vehicle, vehicle_fields),
};

const char *const vehicle_key_commands[] = {
	"start",   "stop",    "pause", "resume", "toggle", "skip", "replay",
	"volume+", "volume-", "lang",  "mark",   "talk",   NULL,
};

/* ---- loading ----------------------------------------------------------- */

struct load {
	const char *path;
	struct route_diag_list *diags;
	struct vehicle_config *c;
	struct route_loc key_locs[VEHICLE_MAX_KEYS];
	int oom;
};

__attribute__((format(printf, 3, 4))) static void
error_at(struct load *ld, struct route_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	route_diag_addv(ld->diags, ROUTE_DIAG_ERROR, ld->path, loc, fmt, ap);
	va_end(ap);
}

static bool
key_name_ok(const char *k)
{
	if (strncmp(k, "KEY_", 4) != 0 || !k[4])
		return false;
	for (const char *p = k + 4; *p; p++)
		if (!isupper((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_')
			return false;
	return true;
}

/* One "KEY_NAME: command" of keys:, during the walk. */
static void
key_pair(void *user, const char *field, const char *key, struct route_loc key_loc,
	 const char *value, struct route_loc value_loc)
{
	struct load *ld = user;
	struct vehicle_config *c = ld->c;
	bool ok_cmd = false;
	char list[200] = "";

	if (!key_name_ok(key)) {
		error_at(ld, key_loc,
			 "keys: '%s' is not a key name (KEY_ and capitals, digits or '_', as "
			 "evtest prints them: KEY_F1, KEY_KPENTER)",
			 key);
		return;
	}
	for (unsigned i = 0; vehicle_key_commands[i]; i++) {
		size_t o = strlen(list);
		snprintf(list + o, sizeof(list) - o, "%s%s", i ? " " : "", vehicle_key_commands[i]);
		if (strcmp(value, vehicle_key_commands[i]) == 0)
			ok_cmd = true;
	}
	if (!ok_cmd) {
		error_at(ld, value_loc, "keys: %s: '%s' is not a command (one of %s)", key, value,
			 list);
		return;
	}
	size_t kl = strlen(key);
	for (unsigned i = 0; i < c->n_keys; i++)
		if (strncmp(c->keys[i], key, kl) == 0 && c->keys[i][kl] == '=') {
			error_at(ld, key_loc, "keys: %s is given twice (first on line %u)", key,
				 ld->key_locs[i].line);
			return;
		}
	if (c->n_keys == VEHICLE_MAX_KEYS) {
		error_at(ld, key_loc, "keys: more than %d keys", VEHICLE_MAX_KEYS);
		return;
	}
	char **k = realloc(c->keys, (c->n_keys + 1) * sizeof(*k));
	if (!k || (c->keys = k, asprintf(&k[c->n_keys], "%s=%s", key, value) < 0)) {
		ld->oom = 1;
		return;
	}
	ld->key_locs[c->n_keys++] = key_loc;
}

static const struct yaml_file_kind vehicle_kind = {
	.root = &vehicle_value,
	.noun = "vehicle configuration",
	.root_name = "the vehicle configuration",
	.empty = "the file is empty: a vehicle configuration needs at least 'route:'",
	.max_bytes = VEHICLE_MAX_BYTES,
	.free_pair = key_pair,
};

/* A path of the file, relative to the file's folder (NULL stays NULL). */
static char *
resolve(struct load *ld, const char *p)
{
	char *out = NULL;
	if (!p)
		return NULL;
	const char *slash = strrchr(ld->path, '/');
	if (p[0] == '/' || !slash)
		out = strdup(p);
	else if (asprintf(&out, "%.*s/%s", (int)(slash - ld->path), ld->path, p) < 0)
		out = NULL;
	if (!out)
		ld->oom = 1;
	return out;
}

/* A source "kind:FILE" whose file part is a path: resolved like a path. */
static char *
resolve_source(struct load *ld, const char *s, const char *const *file_kinds)
{
	if (!s)
		return NULL;
	for (unsigned i = 0; file_kinds[i]; i++) {
		size_t n = strlen(file_kinds[i]);
		if (strncmp(s, file_kinds[i], n) == 0 && s[n]) {
			char *f = resolve(ld, s + n), *out = NULL;
			if (f && asprintf(&out, "%s%s", file_kinds[i], f) < 0)
				out = NULL;
			free(f);
			if (!out)
				ld->oom = 1;
			return out;
		}
	}
	char *out = strdup(s);
	if (!out)
		ld->oom = 1;
	return out;
}

static char *
copy(struct load *ld, const char *s)
{
	char *out = s ? strdup(s) : NULL;
	if (s && !out)
		ld->oom = 1;
	return out;
}

/* s is "name" or starts with "name:" for one of the names. */
static bool
source_ok(const char *s, const char *const *names, bool *needs_arg)
{
	for (unsigned i = 0; names[i]; i++) {
		size_t n = strlen(names[i]);
		if (strncmp(s, names[i], n) == 0 && (s[n] == 0 || s[n] == ':'))
			return !needs_arg[i] || (s[n] == ':' && s[n + 1]);
	}
	return false;
}

static void
check_sources(struct load *ld, const struct yaml_file *f, const struct y_vehicle *y)
{
	static const char *const gps[] = {"gpsd", "nmea", "gpx", NULL};
	static bool gps_arg[] = {false, true, true};
	static const char *const audio[] = {"sdl", "wav", "null", NULL};
	static bool audio_arg[] = {false, true, false};
	static const char *const input[] = {"evdev", "evemu", NULL};
	static bool input_arg[] = {true, true};

	if (y->gps && !source_ok(y->gps, gps, gps_arg))
		error_at(ld, yaml_file_loc(f, "gps"),
			 "gps: '%s' is not a GPS source (gpsd[:HOST[:PORT]], nmea:FILE or "
			 "gpx:FILE)",
			 y->gps);
	if (y->audio && !source_ok(y->audio, audio, audio_arg))
		error_at(ld, yaml_file_loc(f, "audio"),
			 "audio: '%s' is not a sound output (sdl[:DEVICE], wav:FILE or null)",
			 y->audio);
	for (unsigned i = 0; i < y->input_count; i++)
		if (!source_ok(y->input[i], input, input_arg))
			error_at(ld, yaml_file_loc(f, "input[%u]", i),
				 "input: '%s' is not an input device (evdev:/dev/input/... or "
				 "evemu:FILE)",
				 y->input[i]);
}

/* "HH:MM" (00:00-24:00) as minutes of the day, or -1. */
static int
clock_minutes(const char *s)
{
	unsigned h, m;
	char end;
	if (!s || strlen(s) != 5 || sscanf(s, "%2u:%2u%c", &h, &m, &end) != 2 || s[2] != ':' ||
	    m > 59 || h > 24 || (h == 24 && m))
		return -1;
	return (int)(h * 60 + m);
}

/* "+08:00", "-05:30", "Z" as minutes east of UTC; INT_MIN when not one. */
static int
tz_minutes(const char *s)
{
	unsigned h, m;
	char end;
	if (strcmp(s, "Z") == 0 || strcmp(s, "UTC") == 0)
		return 0;
	if ((s[0] != '+' && s[0] != '-') || strlen(s) != 6 || s[3] != ':' ||
	    sscanf(s + 1, "%2u:%2u%c", &h, &m, &end) != 2 || h > 14 || m > 59)
		return INT_MIN;
	return (s[0] == '-' ? -1 : 1) * (int)(h * 60 + m);
}

/* The noise block as daemon_mic_config, the defaults where it says nothing. */
static struct daemon_mic_config
noise_config(const struct y_noise *n)
{
	struct daemon_mic_config c;
	daemon_mic_config_defaults(&c);
	if (!n)
		return c;
	c.quiet_db = n->quiet_db ? *n->quiet_db : c.quiet_db;
	c.loud_db = n->loud_db ? *n->loud_db : c.loud_db;
	c.max_gain_db = n->max_gain_db ? *n->max_gain_db : c.max_gain_db;
	c.attack_s = n->attack_s ? *n->attack_s : c.attack_s;
	c.release_s = n->release_s ? *n->release_s : c.release_s;
	return c;
}

static void
check_noise(struct load *ld, const struct yaml_file *f, const struct y_noise *n)
{
	if (!n)
		return;
	struct daemon_mic_config c = noise_config(n);
	if (!(c.quiet_db >= -120 && c.quiet_db <= 0))
		error_at(ld, yaml_file_loc(f, "auto_volume.noise.quiet_db"),
			 "auto_volume: noise quiet_db %g is not in [-120, 0] dBFS", c.quiet_db);
	if (!(c.loud_db > c.quiet_db && c.loud_db <= 0))
		error_at(ld, yaml_file_loc(f, "auto_volume.noise.loud_db"),
			 "auto_volume: noise loud_db %g must be above quiet_db (%g) and at most 0",
			 c.loud_db, c.quiet_db);
	if (!(c.max_gain_db >= 0 && c.max_gain_db <= 24))
		error_at(ld, yaml_file_loc(f, "auto_volume.noise.max_gain_db"),
			 "auto_volume: noise max_gain_db %g is not in [0, 24]", c.max_gain_db);
	if (!(c.attack_s > 0 && c.attack_s <= 600))
		error_at(ld, yaml_file_loc(f, "auto_volume.noise.attack_s"),
			 "auto_volume: noise attack_s %g is not in (0, 600]", c.attack_s);
	if (!(c.release_s > 0 && c.release_s <= 600))
		error_at(ld, yaml_file_loc(f, "auto_volume.noise.release_s"),
			 "auto_volume: noise release_s %g is not in (0, 600]", c.release_s);
}

static void
check_auto_volume(struct load *ld, const struct yaml_file *f, const struct y_vehicle *y)
{
	if (y->timezone && tz_minutes(y->timezone) == INT_MIN)
		error_at(ld, yaml_file_loc(f, "timezone"),
			 "timezone: '%s' is not an offset from UTC (\"+08:00\", \"-05:30\", \"Z\")",
			 y->timezone);
	const struct y_auto_volume *a = y->auto_volume;
	if (!a)
		return;
	for (unsigned i = 0; i < a->speed_count; i++) {
		double kmh = a->speed[i][0], db = a->speed[i][1];
		if (!(kmh >= 0 && kmh <= 200))
			error_at(ld, yaml_file_loc(f, "auto_volume.speed[%u]", i),
				 "auto_volume: speed %g km/h is not in [0, 200]", kmh);
		else if (i && !(kmh > a->speed[i - 1][0]))
			error_at(ld, yaml_file_loc(f, "auto_volume.speed[%u]", i),
				 "auto_volume: speeds must increase (%g km/h after %g)", kmh,
				 a->speed[i - 1][0]);
		if (!(db >= -20 && db <= 12))
			error_at(ld, yaml_file_loc(f, "auto_volume.speed[%u]", i),
				 "auto_volume: gain %g dB is not in [-20, 12]", db);
	}
	check_noise(ld, f, a->noise);
	for (unsigned i = 0; i < a->quiet_hours_count; i++) {
		const struct y_quiet *q = &a->quiet_hours[i];
		if (clock_minutes(q->from) < 0)
			error_at(ld, yaml_file_loc(f, "auto_volume.quiet_hours[%u].from", i),
				 "auto_volume: quiet_hours from '%s' is not HH:MM", q->from);
		if (clock_minutes(q->to) < 0)
			error_at(ld, yaml_file_loc(f, "auto_volume.quiet_hours[%u].to", i),
				 "auto_volume: quiet_hours to '%s' is not HH:MM", q->to);
		if (!(q->max >= 0 && q->max <= 100))
			error_at(ld, yaml_file_loc(f, "auto_volume.quiet_hours[%u].max", i),
				 "auto_volume: quiet_hours max %g is not in [0, 100]", q->max);
	}
}

/* What the schema cannot say: supported languages, sources, ranges, names. */
static void
check_values(struct load *ld, const struct yaml_file *f, const struct y_vehicle *y)
{
	for (unsigned i = 0; i < y->langs_count; i++) {
		if (!route_lang_supported(y->langs[i])) {
			char list[100] = "";
			for (unsigned k = 0; route_supported_langs[k]; k++) {
				size_t o = strlen(list);
				snprintf(list + o, sizeof(list) - o, "%s%s", k ? " " : "",
					 route_supported_langs[k]);
			}
			error_at(ld, yaml_file_loc(f, "langs[%u]", i),
				 "langs: '%s' is not a supported language (%s)", y->langs[i], list);
		}
		for (unsigned j = 0; j < i; j++)
			if (strcmp(y->langs[i], y->langs[j]) == 0)
				error_at(ld, yaml_file_loc(f, "langs[%u]", i),
					 "langs: '%s' is given twice (every story would be told "
					 "twice)",
					 y->langs[i]);
	}
	check_sources(ld, f, y);
	check_auto_volume(ld, f, y);
	if (y->speed && !(*y->speed > 0 && *y->speed <= 10000))
		error_at(ld, yaml_file_loc(f, "speed"), "speed: %g is not in (0, 10000]",
			 *y->speed);
	if (y->control && y->control->group && !getgrnam(y->control->group))
		error_at(ld, yaml_file_loc(f, "control.group"),
			 "control: group '%s' does not exist on this system", y->control->group);
	unsigned w, h;
	char end;
	if (y->panel && y->panel->window &&
	    (sscanf(y->panel->window, "%ux%u%c", &w, &h, &end) != 2 || !w || !h))
		error_at(ld, yaml_file_loc(f, "panel.window"),
			 "panel: window '%s' is not WIDTHxHEIGHT (800x480)", y->panel->window);
	if (y->fleet && strncmp(y->fleet->broker, "mqtt://", 7) != 0 &&
	    strncmp(y->fleet->broker, "mqtts://", 8) != 0)
		error_at(ld, yaml_file_loc(f, "fleet.broker"),
			 "fleet: broker '%s' is not mqtt://HOST:PORT or mqtts://HOST:PORT",
			 y->fleet->broker);
}

static void
fill(struct load *ld, const struct y_vehicle *y)
{
	static const char *const file_sources[] = {"nmea:", "gpx:", "wav:", "evemu:", NULL};
	struct vehicle_config *c = ld->c;

	c->route = resolve(ld, y->route);
	c->tour = copy(ld, y->tour);
	if (y->langs_count) {
		size_t n = 1;
		for (unsigned i = 0; i < y->langs_count; i++)
			n += strlen(y->langs[i]) + 1;
		c->langs = calloc(1, n);
		if (!c->langs)
			ld->oom = 1;
		for (unsigned i = 0; c->langs && i < y->langs_count; i++) {
			if (i)
				strcat(c->langs, ",");
			strcat(c->langs, y->langs[i]);
		}
	}
	c->gps = resolve_source(ld, y->gps, file_sources);
	c->audio = resolve_source(ld, y->audio, file_sources);
	c->lang_channels = copy(ld, y->lang_channels);
	c->speed = y->speed ? *y->speed : 0;
	if (y->control) {
		c->control = resolve(ld, y->control->path);
		c->control_group = copy(ld, y->control->group);
		c->control_same_user = y->control->same_user && *y->control->same_user;
	}
	c->state = resolve(ld, y->state);
	c->events =
		y->events && strcmp(y->events, "-") == 0 ? copy(ld, "-") : resolve(ld, y->events);
	c->marks = resolve(ld, y->marks);
	if (y->input_count) {
		c->inputs = calloc(y->input_count + 1, sizeof(*c->inputs));
		if (!c->inputs)
			ld->oom = 1;
		for (unsigned i = 0; c->inputs && i < y->input_count; i++)
			c->inputs[c->n_inputs++] = resolve_source(ld, y->input[i], file_sources);
	}
	if (y->panel) {
		if (y->panel->lang)
			c->panel.lang = copy(ld, *y->panel->lang == PANEL_EN ? "en" : "zh");
		c->panel.window = copy(ld, y->panel->window);
		c->panel.fullscreen = y->panel->fullscreen && *y->panel->fullscreen;
	}
	c->mic = resolve_source(ld, y->mic, file_sources);
	c->mic_noise = noise_config(y->auto_volume ? y->auto_volume->noise : NULL);
	struct guided_auto_volume *av = &c->auto_volume;
	av->tz_min = y->timezone && tz_minutes(y->timezone) != INT_MIN ? tz_minutes(y->timezone)
								       : 8 * 60;
	if (y->auto_volume) {
		const struct y_auto_volume *a = y->auto_volume;
		for (unsigned i = 0; i < a->speed_count && i < GUIDED_AUTO_SPEED_POINTS; i++) {
			av->speed_kmh[av->n_speed] = a->speed[i][0];
			av->speed_db[av->n_speed++] = a->speed[i][1];
		}
		for (unsigned i = 0; i < a->quiet_hours_count && i < GUIDED_QUIET_HOURS; i++) {
			av->quiet[av->n_quiet].from_min = clock_minutes(a->quiet_hours[i].from);
			av->quiet[av->n_quiet].to_min = clock_minutes(a->quiet_hours[i].to);
			av->quiet[av->n_quiet++].max = a->quiet_hours[i].max;
		}
	}
	if (y->fleet) {
		c->fleet.broker = copy(ld, y->fleet->broker);
		c->fleet.fleet = copy(ld, y->fleet->fleet);
		c->fleet.cart = copy(ld, y->fleet->cart);
	}
}

int
vehicle_config_load(const char *path, struct vehicle_config **out, struct route_diag_list *diags)
{
	struct yaml_file f;
	struct load ld = {.path = path, .diags = diags};
	unsigned errors_before = diags->n_errors, first = diags->n;

	ld.c = calloc(1, sizeof(*ld.c));
	if (!ld.c || !(ld.c->file = strdup(path))) {
		free(ld.c);
		return -ENOMEM;
	}
	int rc = yaml_file_load(&f, &vehicle_kind, path, NULL, 0, &ld, diags);
	if (rc == 0) {
		check_values(&ld, &f, f.data);
		fill(&ld, f.data);
		yaml_file_free(&f, &vehicle_kind);
		rc = ld.oom ? -ENOMEM : diags->n_errors > errors_before ? -EINVAL : 0;
	}
	route_diag_sort(diags, first); /* the walk's and the checks' in the file's order */
	if (rc < 0) {
		vehicle_config_destroy(ld.c);
		return rc;
	}
	*out = ld.c;
	return 0;
}

static void
free_list(char **l, unsigned n)
{
	for (unsigned i = 0; l && i < n; i++)
		free(l[i]);
	free(l);
}

void
vehicle_config_destroy(struct vehicle_config *c)
{
	if (!c)
		return;
	char *strs[] = {c->file,          c->route,        c->tour,          c->langs,
			c->gps,           c->audio,        c->lang_channels, c->control,
			c->control_group, c->state,        c->events,        c->marks,
			c->panel.lang,    c->panel.window, c->fleet.broker,  c->fleet.fleet,
			c->fleet.cart,    c->mic};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(strs[i]);
	free_list(c->inputs, c->n_inputs);
	free_list(c->keys, c->n_keys);
	free(c);
}

/* ---- merging ------------------------------------------------------------- */

void
vehicle_config_apply(const struct vehicle_config *c, struct guided_options *o)
{
#define TAKE(bit, field, value)                                                                    \
	do {                                                                                       \
		if (!(o->cli_set & (bit)) && (value))                                              \
			o->field = (value);                                                        \
	} while (0)
	TAKE(GUIDED_SET_ROUTE, route, c->route);
	TAKE(GUIDED_SET_TOUR, tour, c->tour);
	TAKE(GUIDED_SET_LANGS, langs, c->langs);
	/* seats or languages in turn: the command line's choice of mode wins whole */
	if (!(o->cli_set & GUIDED_SET_LANGS))
		TAKE(GUIDED_SET_LANG_CHANNELS, lang_channels, c->lang_channels);
	if (o->cli_set & GUIDED_SET_LANG_CHANNELS)
		o->langs = NULL;
	TAKE(GUIDED_SET_GPS, gps, c->gps);
	TAKE(GUIDED_SET_AUDIO, audio, c->audio);
	TAKE(GUIDED_SET_SPEED, speed, c->speed);
	TAKE(GUIDED_SET_CONTROL, control, c->control);
	TAKE(GUIDED_SET_CONTROL, control_group, c->control_group);
	TAKE(GUIDED_SET_SAME_USER, control_same_user, c->control_same_user);
	TAKE(GUIDED_SET_STATE, state, c->state);
	TAKE(GUIDED_SET_EVENTS, events, c->events);
	TAKE(GUIDED_SET_MARKS, marks, c->marks);
	TAKE(GUIDED_SET_MIC, mic, c->mic);
	o->mic_noise = &c->mic_noise;
	if (!(o->cli_set & GUIDED_SET_INPUTS) && c->n_inputs) {
		o->inputs = (const char *const *)c->inputs;
		o->n_inputs = c->n_inputs;
	}
	if (!(o->cli_set & GUIDED_SET_KEYS) && c->n_keys) {
		o->keys = (const char *const *)c->keys;
		o->n_keys = c->n_keys;
	}
#undef TAKE
	o->auto_volume = &c->auto_volume;
}

static bool
str_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

static bool
list_differs(const char *const *a, unsigned na, const char *const *b, unsigned nb)
{
	if (na != nb)
		return true;
	for (unsigned i = 0; i < na; i++)
		if (str_differs(a[i], b[i]))
			return true;
	return false;
}

void
vehicle_config_restart_fields(const struct guided_options *a, const struct guided_options *b,
			      char *buf, size_t len)
{
	const struct {
		const char *name;
		bool differs;
	} f[] = {
		{"gps", str_differs(a->gps, b->gps)},
		{"audio", str_differs(a->audio, b->audio)},
		{"speed", a->speed != b->speed},
		{"control", str_differs(a->control, b->control) ||
				    str_differs(a->control_group, b->control_group) ||
				    a->control_same_user != b->control_same_user},
		{"state", str_differs(a->state, b->state)},
		{"events", str_differs(a->events, b->events)},
		{"input", list_differs(a->inputs, a->n_inputs, b->inputs, b->n_inputs)},
		{"keys", list_differs(a->keys, a->n_keys, b->keys, b->n_keys)},
		{"mic", str_differs(a->mic, b->mic)},
	};
	buf[0] = 0;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		size_t o = strlen(buf);
		if (f[i].differs)
			snprintf(buf + o, len - o, "%s%s", o ? ", " : "", f[i].name);
	}
}
