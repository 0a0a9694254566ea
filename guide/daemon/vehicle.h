/* The vehicle configuration, /etc/guide/vehicle.yaml (CONFIG.md): what the
 * guide on one cart runs with, read through routes/yaml_file.h like a route
 * file (every error at once, FILE:LINE:COL), then merged into the
 * guided_options under the command line's own options. */
#pragma once

#include <stdbool.h>

#include "guide/daemon/daemon.h"
#include "guide/daemon/daemon_mic.h"
#include "routes/route.h"

#define VEHICLE_DEFAULT_PATH "/etc/guide/vehicle.yaml"

/* What the file says; paths resolved against the file's folder.  NULL or 0:
 * not given. */
struct vehicle_config {
	char *file;
	char *route, *tour, *langs; /* langs joined: "zh,en" */
	char *gps, *audio, *lang_channels;
	double speed;
	char *control, *control_group;
	bool control_same_user;
	char *state, *events, *marks;
	char **inputs; /* n_inputs */
	unsigned n_inputs;
	char **keys; /* "KEY_NAME=command", n_keys */
	unsigned n_keys;
	struct {
		char *lang, *window;
		bool fullscreen;
	} panel;
	struct {
		char *broker, *fleet, *cart;
	} fleet;
	struct guided_auto_volume auto_volume; /* auto_volume: and timezone: */
	char *mic;                             /* mic: SOURCE */
	struct daemon_mic_config mic_noise;    /* auto_volume.noise, defaults filled in */
};

/* 0, or -EINVAL with the errors in diags (-ENOENT etc. when unreadable,
 * also in diags); *out is untouched on failure. */
int vehicle_config_load(const char *path, struct vehicle_config **out,
			struct route_diag_list *diags);
void vehicle_config_destroy(struct vehicle_config *c);

/* Sets the fields of o that the command line did not (o->cli_set) and the
 * file gives; o points into c afterwards. */
void vehicle_config_apply(const struct vehicle_config *c, struct guided_options *o);

/* The names of the fields that differ between a and b and cannot change
 * while guided runs ("gps, audio"), into buf; "" when none. */
void vehicle_config_restart_fields(const struct guided_options *a, const struct guided_options *b,
				   char *buf, size_t len);

/* The key commands a key map may name (NULL-terminated). */
extern const char *const vehicle_key_commands[];
