/* guide-panel: the driver's screen (issue 18).  Options, the model that the
 * daemon's watch lines update, the keys and touch buttons, the main loop
 * (sleeps in SDL_WaitEvent until a line or an input comes; ~10 Hz only while
 * a progress bar moves). */
#include "guide/panel/panel.h"
#include "config.h"
#include "guide/control.h"
#include "guide/route_tool.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct panel {
	const char *control;
	const char *route_override;
	struct panel_model m;
	struct panel_net *net;
	struct panel_ui *ui;
	SDL_Window *win;
	SDL_Renderer *ren;
	bool dirty, quit, bench, watch_fallback;
	uint64_t fallback_next_ns;
	uint64_t pending[64]; /* --bench: arrival times of lines not yet on screen */
	unsigned n_pending;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: guide-panel [--control PATH] [--window WxH | --fullscreen] [--lang zh|en]\n"
		"                   [--screenshot FILE.png] [--font FILE] [--route FILE]\n"
		"                   [--renderer software|auto] [--bench] [--layout-json]\n"
		"The driver's screen and buttons beside guided (issue 18).\n\n"
		"  --control PATH     guided's control socket (default %s, or $GUIDE_CONTROL)\n"
		"  --window WxH       window size (default 800x480)\n"
		"  --fullscreen       the whole screen (the cart)\n"
		"  --lang zh|en       the panel's texts (default zh)\n"
		"  --screenshot FILE  draw the live screen once the status is in, save a PNG, exit\n"
		"                     0; the retry screen when the guide is not running for 2 s\n"
		"  --font FILE        a CJK TrueType font (default: WenQuanYi Micro Hei, Droid\n"
		"                     Sans Fallback, Noto Sans CJK, where installed)\n"
		"  --route FILE       the route when the daemon's status does not name it\n"
		"  --renderer NAME    SDL's software renderer, or auto (default: auto, software\n"
		"                     when no other works)\n"
		"  --bench            print 'bench event_to_frame_us N' per event line\n"
		"  --layout-json      print the button layout for the window size and exit\n"
		"  --check-font ROUTE check that the font draws every name of the route\n",
		CONTROL_DEFAULT_PATH);
}

/* --screenshot: the retry screen after the guide is missing this long */
#define PANEL_SHOT_DOWN_NS 2000000000ull

/* ---- the model ---- */

static void
load_route(struct panel *p, const char *path)
{
	struct panel_model *m = &p->m;
	if (!path || strcmp(path, m->route_path) == 0)
		return;
	snprintf(m->route_path, sizeof(m->route_path), "%s", path);
	route_destroy(m->route);
	m->route = NULL;
	m->tour = NULL;
	unsigned nw = 0;
	FILE *devnull = fopen("/dev/null", "w");
	int rc = guide_route_load(path, true, devnull ? devnull : stderr, &m->route, &nw);
	if (devnull)
		fclose(devnull);
	if (rc != 0)
		fprintf(stderr, "guide-panel: route %s not loaded: no map or clip lengths\n", path);
	else
		fprintf(stderr, "guide-panel: route %s: %u stops, %u tours\n", path,
			m->route->n_stops, m->route->n_tours);
}

static int
tour_index(const struct panel_model *m, const char *poi)
{
	for (unsigned i = 0; m->tour && poi && i < m->tour->n_stops; i++)
		if (strcmp(m->route->stops[m->tour->stops[i]].id, poi) == 0)
			return (int)i;
	return -1;
}

static void
set_tour(struct panel_model *m, const char *id)
{
	const struct route_tour *t = m->route && id ? route_find_tour(m->route, id) : NULL;
	if (t == m->tour)
		return;
	m->tour = t;
	free(m->stop_state);
	m->n_stop_state = t ? t->n_stops : 0;
	m->stop_state = t ? calloc(t->n_stops, 1) : NULL;
	if (!m->stop_state)
		m->n_stop_state = 0;
}

static void
on_event(struct panel *p, json_object *o, uint64_t t)
{
	struct panel_model *m = &p->m;
	const char *ev = panel_jstr(o, "event"), *poi = panel_jstr(o, "poi");
	if (strcmp(ev, "gps_fix") == 0)
		return; /* the status that follows says it */
	if (strcmp(ev, "tour_start") == 0) {
		set_tour(m, panel_jstr(o, "tour"));
		if (m->stop_state)
			memset(m->stop_state, 0, m->n_stop_state);
	} else if (strcmp(ev, "clip_start") == 0) {
		snprintf(m->clip, sizeof(m->clip), "%s/%s", poi ? poi : "",
			 panel_jstr(o, "clip") ? panel_jstr(o, "clip") : "");
		m->clip_seen_ns = t;
		m->clip_from_start = true;
		int i = tour_index(m, poi);
		if (i >= 0 && (unsigned)i < m->n_stop_state)
			m->stop_state[i] = 1;
	} else if (strcmp(ev, "clip_skip") == 0) {
		int i = tour_index(m, poi);
		if (i >= 0 && (unsigned)i < m->n_stop_state && m->stop_state[i] != 1)
			m->stop_state[i] = 2;
	}
	const char *tm = panel_jstr(o, "time");
	snprintf(m->last_event, sizeof(m->last_event), "%.8s  %s%s%s",
		 tm && strlen(tm) > 11 ? tm + 11 : "", ev, poi ? " " : "",
		 poi ? panel_stop_name(m, poi) : "");
	fprintf(stderr, "guide-panel: event %s\n", ev);
}

static void
on_status(struct panel *p, json_object *o, uint64_t t)
{
	struct panel_model *m = &p->m;
	bool first = !m->have_status;
	/* the languages' order as it changes (the Language button's effect) */
	const char *was = json_object_to_json_string_ext(panel_jget(m->status, "langs"),
							 JSON_C_TO_STRING_PLAIN);
	const char *now =
		json_object_to_json_string_ext(panel_jget(o, "langs"), JSON_C_TO_STRING_PLAIN);
	if (!first && strcmp(was, now) != 0)
		fprintf(stderr, "guide-panel: langs %s\n", now);
	json_object_put(m->status);
	m->status = json_object_get(o);
	m->have_status = true;
	m->status_ns = t;
	load_route(p,
		   panel_jstr(o, "route_file") ? panel_jstr(o, "route_file") : p->route_override);
	set_tour(m, panel_jstr(o, "tour"));
	json_object *pl = panel_jget(o, "playing");
	char key[256];
	snprintf(key, sizeof(key), "%s/%s",
		 pl && panel_jstr(pl, "poi") ? panel_jstr(pl, "poi") : "",
		 pl && panel_jstr(pl, "clip") ? panel_jstr(pl, "clip") : "");
	if (strcmp(key, m->clip) != 0) { /* playing since before we knew */
		snprintf(m->clip, sizeof(m->clip), "%s", key);
		m->clip_seen_ns = t;
		m->clip_from_start = false;
	}
	/* the stops the cart passed without a word */
	int next = tour_index(m, panel_jstr(panel_jget(o, "next"), "poi"));
	for (int i = 0; i < next && (unsigned)i < m->n_stop_state; i++)
		if (m->stop_state[i] == 0)
			m->stop_state[i] = 2;
	if (first) /* after each connect */
		fprintf(stderr, "guide-panel: status: tour %s, state %s\n",
			panel_jstr(o, "tour") ? panel_jstr(o, "tour") : "-",
			panel_jstr(o, "state") ? panel_jstr(o, "state") : "?");
}

static void
on_line(struct panel *p, struct panel_line *l)
{
	json_object *o = json_tokener_parse(l->text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return;
	}
	if (panel_jget(o, "event")) {
		on_event(p, o, l->arrived_ns);
	} else if (panel_jget(o, "ok") && !json_object_get_boolean(panel_jget(o, "ok"))) {
		if (!p->m.have_status && !p->watch_fallback) {
			/* a guided without watch: ask for the status once a second */
			fprintf(stderr,
				"guide-panel: the daemon has no watch (%s): polling status\n",
				panel_jstr(o, "error") ? panel_jstr(o, "error") : "refused");
			p->watch_fallback = true;
			panel_net_send(p->net, "status");
		}
	} else {
		on_status(p, o, l->arrived_ns);
	}
	json_object_put(o);
	p->dirty = true;
	if (p->bench && p->n_pending < sizeof(p->pending) / sizeof(p->pending[0]))
		p->pending[p->n_pending++] = l->arrived_ns;
}

/* ---- commands ---- */

static void
command(struct panel *p, const char *line)
{
	json_object *r = panel_net_command(p->control, line);
	const char *err = panel_jstr(r, "error");
	fprintf(stderr, "guide-panel: command %s: %s%s\n", line,
		!r    ? "no answer"
		: err ? "refused: "
		      : "ok",
		err ? err : "");
	json_object_put(r);
}

static void
volume_step(struct panel *p, int d)
{
	json_object *v = panel_jget(p->m.status, "volume");
	int vol = (v ? json_object_get_int(v) : 50) + d;
	vol = vol < 0 ? 0 : vol > 100 ? 100 : vol;
	char line[32];
	snprintf(line, sizeof(line), "volume %d", vol);
	command(p, line);
}

/* the languages rotated: zh,en -> en,zh (the next one leads) */
static void
next_lang(struct panel *p)
{
	json_object *la = panel_jget(p->m.status, "langs");
	size_t n = la ? json_object_array_length(la) : 0;
	if (n < 2)
		return;
	char line[CONTROL_MAX_LINE] = "lang ";
	for (size_t i = 0; i < n; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s", i ? "," : "",
			 json_object_get_string(json_object_array_get_idx(la, (i + 1) % n)));
	command(p, line);
}

static void
pause_resume(struct panel *p)
{
	const char *st = panel_jstr(p->m.status, "state");
	command(p, st && strcmp(st, "paused") == 0 ? "resume" : "pause");
}

static void
press(struct panel *p, int b)
{
	struct panel_model *m = &p->m;
	uint64_t now = panel_now_ns();
	switch (b) {
	case PANEL_BTN_START:
		if (m->route && m->route->n_tours > 1) {
			m->choosing_tour = true;
			fprintf(stderr, "guide-panel: choose a tour\n");
		} else
			command(p, "start");
		break;
	case PANEL_BTN_PAUSE: pause_resume(p); break;
	case PANEL_BTN_SKIP: command(p, "skip"); break;
	case PANEL_BTN_REPLAY: command(p, "replay"); break;
	case PANEL_BTN_VOL_DOWN: volume_step(p, -10); break;
	case PANEL_BTN_VOL_UP: volume_step(p, 10); break;
	case PANEL_BTN_LANG: next_lang(p); break;
	case PANEL_BTN_MARK: command(p, "mark"); break;
	case PANEL_BTN_TALK:
		m->talking = true;
		command(p, "talk on");
		break;
	case PANEL_BTN_STOP:
		if (m->stop_armed_ns && now - m->stop_armed_ns < 3000000000ull) {
			m->stop_armed_ns = 0;
			command(p, "stop");
		} else {
			m->stop_armed_ns = now;
			fprintf(stderr, "guide-panel: stop: press again to confirm\n");
		}
		break;
	}
	p->dirty = true;
}

static void
click(struct panel *p, int x, int y, bool down)
{
	struct panel_model *m = &p->m;
	const struct panel_layout *L = panel_ui_layout(p->ui);
	if (!down) {
		if (m->talking) {
			m->talking = false;
			command(p, "talk off");
			p->dirty = true;
		}
		return;
	}
	if (!m->connected || !m->have_status)
		return;
	if (m->choosing_tour) {
		int i = panel_layout_hit(L->tours, PANEL_MAX_TOURS, x, y);
		if (i >= 0 && m->route && (unsigned)i < m->route->n_tours) {
			char line[CONTROL_MAX_LINE];
			snprintf(line, sizeof(line), "start %s", m->route->tours[i].id);
			m->choosing_tour = false;
			command(p, line);
		} else if (panel_layout_hit(&L->tour_cancel, 1, x, y) == 0) {
			m->choosing_tour = false;
		}
		p->dirty = true;
		return;
	}
	int b = panel_layout_hit(L->buttons, PANEL_BTN_COUNT, x, y);
	if (b >= 0)
		press(p, b);
}

static void
key(struct panel *p, const SDL_KeyboardEvent *k)
{
	struct panel_model *m = &p->m;
	SDL_Keycode c = k->keysym.sym;
	if (k->type == SDL_KEYUP) {
		if (c == SDLK_t && m->talking) {
			m->talking = false;
			command(p, "talk off");
			p->dirty = true;
		}
		return;
	}
	if (k->repeat)
		return;
	switch (c) {
	case SDLK_RETURN:
	case SDLK_KP_ENTER: command(p, "start"); break;
	case SDLK_SPACE:
	case SDLK_KP_5: pause_resume(p); break;
	case SDLK_RIGHT:
	case SDLK_KP_6: command(p, "skip"); break;
	case SDLK_LEFT:
	case SDLK_KP_4: command(p, "replay"); break;
	case SDLK_KP_PLUS:
	case SDLK_PLUS:
	case SDLK_EQUALS: volume_step(p, 10); break;
	case SDLK_KP_MINUS:
	case SDLK_MINUS: volume_step(p, -10); break;
	case SDLK_l: next_lang(p); break;
	case SDLK_m: command(p, "mark"); break;
	case SDLK_t:
		m->talking = true;
		command(p, "talk on");
		break;
	case SDLK_ESCAPE: {
		uint64_t now = panel_now_ns();
		if (m->choosing_tour) {
			m->choosing_tour = false;
		} else if (m->escape_ns && now - m->escape_ns < 2000000000ull) {
			m->escape_ns = 0;
			command(p, "stop");
		} else {
			m->escape_ns = now;
			fprintf(stderr, "guide-panel: Escape again within 2 s stops the tour\n");
		}
		break;
	}
	default: return;
	}
	p->dirty = true;
}

/* --check-font ROUTE: does the font draw every stop and tour name of the
 * route (every language)?  Prints the missing characters; 0 when none. */
static int
check_font(struct panel_ui *ui, const char *path)
{
	struct route *r = NULL;
	unsigned nw = 0;
	if (guide_route_load(path, false, stderr, &r, &nw) != 0)
		return 1;
	TTF_Font *f = panel_ui_font(ui);
	unsigned checked = 0, missing = 0;
	for (unsigned i = 0; i < r->n_stops + r->n_tours; i++) {
		const struct route_text *names =
			i < r->n_stops ? r->stops[i].names : r->tours[i - r->n_stops].titles;
		unsigned n =
			i < r->n_stops ? r->stops[i].n_names : r->tours[i - r->n_stops].n_titles;
		for (unsigned k = 0; k < n; k++) {
			const unsigned char *s = (const unsigned char *)names[k].text;
			while (*s) { /* UTF-8 to code points */
				uint32_t cp = *s++;
				int more = cp >= 0xf0 ? 3 : cp >= 0xe0 ? 2 : cp >= 0xc0 ? 1 : 0;
				cp &= more == 3 ? 0x07 : more == 2 ? 0x0f : more == 1 ? 0x1f : 0x7f;
				for (; more > 0 && (*s & 0xc0) == 0x80; more--)
					cp = (cp << 6) | (*s++ & 0x3f);
				checked++;
				if (cp > ' ' && !TTF_GlyphIsProvided32(f, cp)) {
					printf("missing U+%04X in %s (%s)\n", (unsigned)cp,
					       names[k].text, names[k].lang);
					missing++;
				}
			}
		}
	}
	printf("font %s: %u characters of %s checked, %u missing\n", panel_ui_font_path(ui),
	       checked, path, missing);
	route_destroy(r);
	return missing ? 1 : 0;
}

/* ---- main ---- */

static int
print_layout(int w, int h)
{
	struct panel_layout L;
	panel_layout_compute(w, h, &L);
	printf("{\"w\":%d,\"h\":%d,\"buttons\":[", w, h);
	for (int i = 0; i < PANEL_BTN_COUNT; i++)
		printf("%s{\"name\":\"%s\",\"x\":%d,\"y\":%d,\"w\":%d,\"h\":%d}", i ? "," : "",
		       panel_button_name(i), L.buttons[i].x, L.buttons[i].y, L.buttons[i].w,
		       L.buttons[i].h);
	printf("],\"tours\":[");
	for (int i = 0; i < PANEL_MAX_TOURS; i++)
		printf("%s{\"x\":%d,\"y\":%d,\"w\":%d,\"h\":%d}", i ? "," : "", L.tours[i].x,
		       L.tours[i].y, L.tours[i].w, L.tours[i].h);
	printf("],\"map\":{\"x\":%d,\"y\":%d,\"w\":%d,\"h\":%d}}\n", L.map.x, L.map.y, L.map.w,
	       L.map.h);
	return 0;
}

static void
present(struct panel *p)
{
	int w, h;
	SDL_GetRendererOutputSize(p->ren, &w, &h);
	panel_ui_resize(p->ui, w, h);
	panel_ui_draw(p->ui, &p->m, panel_now_ns());
	SDL_RenderPresent(p->ren);
	p->dirty = false;
	if (p->bench && p->n_pending) {
		uint64_t now = panel_now_ns();
		for (unsigned i = 0; i < p->n_pending; i++)
			printf("bench event_to_frame_us %llu\n",
			       (unsigned long long)((now - p->pending[i]) / 1000u));
		fflush(stdout);
		p->n_pending = 0;
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"control", required_argument, NULL, 'c'},
		{"window", required_argument, NULL, 'w'},
		{"fullscreen", no_argument, NULL, 'f'},
		{"lang", required_argument, NULL, 'l'},
		{"screenshot", required_argument, NULL, 's'},
		{"font", required_argument, NULL, 'F'},
		{"route", required_argument, NULL, 'r'},
		{"renderer", required_argument, NULL, 'R'},
		{"bench", no_argument, NULL, 'b'},
		{"layout-json", no_argument, NULL, 'L'},
		{"check-font", required_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	struct panel p = {0};
	int w = 800, h = 480, c, rc = 1;
	bool fullscreen = false, layout = false;
	const char *shot = NULL, *font = NULL, *renderer = "auto", *font_check = NULL;
	p.control = getenv("GUIDE_CONTROL");
	if (!p.control || !*p.control)
		p.control = CONTROL_DEFAULT_PATH;
	p.m.zh = true;
	while ((c = getopt_long(argc, argv, "c:w:fl:s:F:r:R:bLC:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': p.control = optarg; break;
		case 'w':
			if (sscanf(optarg, "%dx%d", &w, &h) != 2 || w < 320 || h < 240 ||
			    w > 8192 || h > 8192) {
				fprintf(stderr, "guide-panel: --window WxH, e.g. 800x480\n");
				return 2;
			}
			break;
		case 'f': fullscreen = true; break;
		case 'l':
			if (strcmp(optarg, "zh") != 0 && strcmp(optarg, "en") != 0) {
				fprintf(stderr, "guide-panel: --lang zh or en\n");
				return 2;
			}
			p.m.zh = strcmp(optarg, "zh") == 0;
			break;
		case 's': shot = optarg; break;
		case 'F': font = optarg; break;
		case 'r': p.route_override = optarg; break;
		case 'R': renderer = optarg; break;
		case 'b': p.bench = true; break;
		case 'L': layout = true; break;
		case 'C': font_check = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("guide-panel %s\n", GUIDE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (layout)
		return print_layout(w, h);
	if (font_check) { /* no window: the font alone */
		if (TTF_Init() != 0)
			return 1;
		struct panel_ui *fu = panel_ui_create(NULL, font, w, h);
		int frc = fu ? check_font(fu, font_check) : 1;
		panel_ui_destroy(fu);
		TTF_Quit();
		return frc;
	}

	if (strcmp(renderer, "software") == 0)
		SDL_SetHint(SDL_HINT_RENDER_DRIVER, "software");
	if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
		fprintf(stderr,
			"guide-panel: no display (%s): a window needs X11 or Wayland, fullscreen "
			"without them SDL's kmsdrm (DRM/GBM/EGL)\n",
			SDL_GetError());
		return 1;
	}
	if (TTF_Init() != 0) {
		fprintf(stderr, "guide-panel: SDL_ttf: %s\n", TTF_GetError());
		goto out_sdl;
	}
	Uint32 ev_net = SDL_RegisterEvents(1);
	p.win = SDL_CreateWindow(p.m.zh ? "导游 · 司机面板" : "guide · driver panel",
				 SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, w, h,
				 fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
	if (!p.win) {
		fprintf(stderr, "guide-panel: window: %s\n", SDL_GetError());
		goto out_ttf;
	}
	p.ren = SDL_CreateRenderer(p.win, -1, 0);
	if (!p.ren) { /* no GPU: the software renderer draws into the window's surface */
		SDL_SetHint(SDL_HINT_RENDER_DRIVER, "software");
		p.ren = SDL_CreateRenderer(p.win, -1, SDL_RENDERER_SOFTWARE);
	}
	if (!p.ren) {
		fprintf(stderr, "guide-panel: renderer: %s\n", SDL_GetError());
		goto out_win;
	}
	SDL_RendererInfo info;
	SDL_GetRendererInfo(p.ren, &info);
	SDL_GetRendererOutputSize(p.ren, &w, &h);
	p.ui = panel_ui_create(p.ren, font, w, h);
	if (!p.ui)
		goto out_ren;
	fprintf(stderr, "guide-panel: %dx%d, renderer %s, font %s, control %s\n", w, h, info.name,
		panel_ui_font_path(p.ui), p.control);
	p.net = panel_net_create(p.control, ev_net);
	if (!p.net)
		goto out_ui;
	p.dirty = true;
	uint64_t shot_deadline = panel_now_ns() + 30000000000ull;
	uint64_t down_ns = 0; /* when the guide was first found not running, 0: up */
	while (!p.quit) {
		SDL_Event e;
		int timeout = -1;
		uint64_t now = panel_now_ns();
		if (panel_ui_animating(&p.m))
			timeout = 100;
		if (p.m.stop_armed_ns && now - p.m.stop_armed_ns < 3000000000ull)
			timeout = 250; /* the armed Stop goes back */
		if (p.watch_fallback)
			timeout = timeout < 0 || timeout > 1000 ? 1000 : timeout;
		if (shot)
			timeout = 200;
		bool got = p.dirty ? SDL_PollEvent(&e) : SDL_WaitEventTimeout(&e, timeout);
		while (got) {
			switch (e.type) {
			case SDL_QUIT: p.quit = true; break;
			case SDL_KEYDOWN:
			case SDL_KEYUP:
				if (p.m.connected && p.m.have_status)
					key(&p, &e.key);
				break;
			case SDL_MOUSEBUTTONDOWN:
			case SDL_MOUSEBUTTONUP:
				if (e.button.button == SDL_BUTTON_LEFT)
					click(&p, e.button.x, e.button.y,
					      e.type == SDL_MOUSEBUTTONDOWN);
				break;
			case SDL_WINDOWEVENT: p.dirty = true; break;
			default:
				if (e.type != ev_net)
					break;
				if (e.user.code == PANEL_NET_LINE) {
					on_line(&p, e.user.data1);
					panel_line_free(e.user.data1);
				} else if (e.user.code == PANEL_NET_UP) {
					fprintf(stderr, "guide-panel: connected to %s\n",
						p.control);
					p.m.connected = true;
					down_ns = 0;
					p.watch_fallback = false;
					p.dirty = true;
				} else if (e.user.code == PANEL_NET_DOWN) {
					if (p.m.connected || !p.m.retry_ms)
						fprintf(stderr,
							"guide-panel: guide not running, retrying\n");
					p.m.connected = false;
					if (!down_ns)
						down_ns = panel_now_ns();
					p.m.have_status = false;
					p.m.retry_ms = (int)(intptr_t)e.user.data1;
					p.dirty = true;
				}
			}
			got = SDL_PollEvent(&e);
		}
		now = panel_now_ns();
		if (p.watch_fallback && p.m.connected && now >= p.fallback_next_ns) {
			panel_net_send(p.net, "status");
			p.fallback_next_ns = now + 1000000000ull;
		}
		/* the live screen; or the retry screen when the guide has not
		 * been there for PANEL_SHOT_DOWN_NS */
		if (shot && (p.m.have_status ||
			     (!p.m.connected && down_ns && now - down_ns >= PANEL_SHOT_DOWN_NS))) {
			present(&p);
			panel_ui_draw(p.ui, &p.m, panel_now_ns());
			int r = panel_ui_save_png(p.ren, w, h, shot);
			if (r < 0) {
				fprintf(stderr, "guide-panel: %s: %s\n", shot, strerror(-r));
				goto out_net;
			}
			fprintf(stderr, "guide-panel: wrote %s%s\n", shot,
				p.m.have_status ? "" : " (guide not running)");
			rc = 0;
			goto out_net;
		}
		if (shot && now > shot_deadline) {
			fprintf(stderr, "guide-panel: no status from %s within 30 s\n", p.control);
			goto out_net;
		}
		if (p.dirty || timeout > 0)
			present(&p);
	}
	rc = 0;
out_net:
	panel_net_destroy(p.net);
out_ui:
	panel_ui_destroy(p.ui);
out_ren:
	SDL_DestroyRenderer(p.ren);
out_win:
	SDL_DestroyWindow(p.win);
out_ttf:
	TTF_Quit();
out_sdl:
	SDL_Quit();
	json_object_put(p.m.status);
	route_destroy(p.m.route);
	free(p.m.stop_state);
	return rc;
}
