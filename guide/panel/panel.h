/* guide-panel: the driver's screen and buttons (issue 18), a process of its
 * own beside guided that speaks to it over the control socket only (watch
 * for the live status and events, one short connection per command).
 * Main thread only unless a function says otherwise. */
#pragma once

#include "routes/route.h"

#include <SDL.h>
#include <SDL_ttf.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

/* ---- the watch connection (panel_net.c) ---- */

/* SDL user events the reader thread pushes (event.user.code). */
enum panel_net_code {
	PANEL_NET_UP,   /* connected and "watch" sent */
	PANEL_NET_DOWN, /* no daemon, or it went away; data1: (intptr_t) retry ms */
	PANEL_NET_LINE, /* data1: struct panel_line * (panel_line_free) */
};

struct panel_line {
	uint64_t arrived_ns; /* CLOCK_MONOTONIC when the line was read */
	char text[];
};
void panel_line_free(struct panel_line *l);

struct panel_net;
/* Starts the reader thread: connects to path, sends "watch", pushes one
 * PANEL_NET_LINE per reply line; reconnects with a backoff (0.2 s doubling
 * to 2 s) when the daemon is not there or goes.  sdl_event: from
 * SDL_RegisterEvents. */
struct panel_net *panel_net_create(const char *path, uint32_t sdl_event);
void panel_net_destroy(struct panel_net *n);
/* Asks the reader to send a line on the watch connection (the fallback
 * "status" poll for a daemon without watch).  Any thread. */
void panel_net_send(struct panel_net *n, const char *line);
/* One command on a short connection of its own; returns the reply object
 * (caller puts it) or NULL when the daemon did not answer. */
json_object *panel_net_command(const char *path, const char *line);
uint64_t panel_now_ns(void);

/* ---- layout and drawing (panel_ui.c) ---- */

enum panel_button {
	PANEL_BTN_START,
	PANEL_BTN_PAUSE,
	PANEL_BTN_SKIP,
	PANEL_BTN_REPLAY,
	PANEL_BTN_VOL_DOWN,
	PANEL_BTN_VOL_UP,
	PANEL_BTN_LANG,
	PANEL_BTN_MARK,
	PANEL_BTN_TALK,
	PANEL_BTN_STOP,
	PANEL_BTN_COUNT,
};
#define PANEL_MAX_TOURS 6

struct panel_layout {
	int w, h;
	double scale; /* 1.0 at 800x480 */
	SDL_Rect buttons[PANEL_BTN_COUNT];
	SDL_Rect info, map, banner;
	SDL_Rect tours[PANEL_MAX_TOURS], tour_cancel; /* the tour chooser */
};
/* The screen's regions for a window of w x h (pure: --layout-json). */
void panel_layout_compute(int w, int h, struct panel_layout *out);
const char *panel_button_name(enum panel_button b);
/* -1 when (x, y) is on no button */
int panel_layout_hit(const SDL_Rect *rects, int n, int x, int y);

/* What the screen shows: the last status and what the events told. */
struct panel_model {
	bool connected, have_status;
	int retry_ms;
	json_object *status; /* the last status object (owned) */
	struct route *route; /* loaded from status route_file (or --route) */
	char route_path[1024];
	const struct route_tour *tour; /* of route, by status "tour" */
	/* per stop of the tour: 0 to come, 1 told, 2 missed */
	unsigned char *stop_state;
	unsigned n_stop_state;
	/* the clip playing: when its clip_start came (or it was first seen) */
	char clip[256];
	uint64_t clip_seen_ns, status_ns;
	bool clip_from_start;
	/* the panel's own */
	bool zh;                           /* texts in Chinese */
	bool talking;                      /* talk held */
	uint64_t stop_armed_ns, escape_ns; /* Stop asks again within 3 s; Escape twice in 2 s */
	bool choosing_tour;
	char last_event[128];
	uint64_t last_event_ns;
};

struct panel_ui;
/* font: a file, or NULL for the known paths.  Returns NULL (and says why
 * on stderr) without a usable font. */
struct panel_ui *panel_ui_create(SDL_Renderer *r, const char *font, int w, int h);
void panel_ui_destroy(struct panel_ui *ui);
void panel_ui_resize(struct panel_ui *ui, int w, int h);
const struct panel_layout *panel_ui_layout(const struct panel_ui *ui);
TTF_Font *panel_ui_font(struct panel_ui *ui);
const char *panel_ui_font_path(const struct panel_ui *ui);
/* Draws the whole screen (not presented). */
void panel_ui_draw(struct panel_ui *ui, const struct panel_model *m, uint64_t now_ns);
/* Is something moving (progress bar, a blinking banner)?  Then redraw at ~10 Hz. */
bool panel_ui_animating(const struct panel_model *m);
/* Writes the renderer's current picture as an RGB PNG; 0 or -errno. */
int panel_ui_save_png(SDL_Renderer *r, int w, int h, const char *path);

/* helpers on the status object */
json_object *panel_jget(json_object *o, const char *key);
const char *panel_jstr(json_object *o, const char *key);
/* A stop's or announcement's display name in the panel's language. */
const char *panel_stop_name(const struct panel_model *m, const char *poi);
/* The playing clip's length in seconds from the status or the route; -1 unknown */
double panel_clip_duration(const struct panel_model *m);
double panel_clip_elapsed(const struct panel_model *m, uint64_t now_ns);
