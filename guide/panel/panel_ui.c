/* The panel's screen: the layout (a pure function of the window size, laid
 * out for 800x480 and scaled), the drawing of one frame from the model, and
 * the PNG of a frame.  Text through SDL2_ttf with a CJK font; rendered
 * strings are kept as textures so that an unchanged frame costs copies. */
#include "guide/panel/panel.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* ---- layout ---- */

static const char *const button_names[PANEL_BTN_COUNT] = {
	[PANEL_BTN_START] = "start",       [PANEL_BTN_PAUSE] = "pause",
	[PANEL_BTN_SKIP] = "skip",         [PANEL_BTN_REPLAY] = "replay",
	[PANEL_BTN_VOL_DOWN] = "vol_down", [PANEL_BTN_VOL_UP] = "vol_up",
	[PANEL_BTN_LANG] = "lang",         [PANEL_BTN_MARK] = "mark",
	[PANEL_BTN_TALK] = "talk",         [PANEL_BTN_STOP] = "stop",
};

const char *
panel_button_name(enum panel_button b)
{
	return b < PANEL_BTN_COUNT ? button_names[b] : "?";
}

/* two rows of five along the bottom, where a thumb reaches */
static const struct {
	enum panel_button b;
	int row, col;
} button_grid[] = {
	{PANEL_BTN_START, 0, 0},  {PANEL_BTN_PAUSE, 0, 1}, {PANEL_BTN_SKIP, 0, 2},
	{PANEL_BTN_REPLAY, 0, 3}, {PANEL_BTN_STOP, 0, 4},  {PANEL_BTN_VOL_DOWN, 1, 0},
	{PANEL_BTN_VOL_UP, 1, 1}, {PANEL_BTN_LANG, 1, 2},  {PANEL_BTN_MARK, 1, 3},
	{PANEL_BTN_TALK, 1, 4},
};

void
panel_layout_compute(int w, int h, struct panel_layout *L)
{
	memset(L, 0, sizeof(*L));
	L->w = w;
	L->h = h;
	double s = fmin(w / 800.0, h / 480.0);
	if (s < 0.5)
		s = 0.5;
	L->scale = s;
	int g = (int)lround(6 * s);
	int bh = (int)lround(84 * s);
	if (bh < 80)
		bh = 80; /* touch targets */
	int bw = (w - 6 * g) / 5;
	if (bw < 80)
		bw = 80;
	int top = h - 2 * bh - 3 * g; /* the buttons start here */
	for (size_t i = 0; i < sizeof(button_grid) / sizeof(button_grid[0]); i++) {
		SDL_Rect *r = &L->buttons[button_grid[i].b];
		r->x = g + button_grid[i].col * (bw + g);
		r->y = top + g + button_grid[i].row * (bh + g);
		r->w = bw;
		r->h = bh;
	}
	int head = (int)lround(44 * s);
	int bann = (int)lround(40 * s);
	L->banner = (SDL_Rect){g, top - bann, w - 2 * g, bann};
	int body = top - bann - head - g;
	int mapw = (int)lround(w * 0.40);
	L->info = (SDL_Rect){g, head, w - mapw - 3 * g, body};
	L->map = (SDL_Rect){w - mapw - g, head, mapw, body};
	/* the tour chooser: two columns over the whole screen */
	int cw = (w - 3 * g) / 2;
	for (int i = 0; i < PANEL_MAX_TOURS; i++)
		L->tours[i] = (SDL_Rect){g + (i % 2) * (cw + g), g + (i / 2) * (bh + g), cw, bh};
	L->tour_cancel = (SDL_Rect){g, h - bh - g, w - 2 * g, bh};
}

int
panel_layout_hit(const SDL_Rect *rects, int n, int x, int y)
{
	SDL_Point p = {x, y};
	for (int i = 0; i < n; i++)
		if (rects[i].w > 0 && SDL_PointInRect(&p, &rects[i]))
			return i;
	return -1;
}

/* ---- the status object ---- */

json_object *
panel_jget(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

const char *
panel_jstr(json_object *o, const char *key)
{
	json_object *v = panel_jget(o, key);
	return v ? json_object_get_string(v) : NULL;
}

static const char *const announce_zh[] = {"欢迎", "安全须知", "再见"};
static const char *const announce_en[] = {"Welcome", "Safety", "Goodbye"};

const char *
panel_stop_name(const struct panel_model *m, const char *poi)
{
	if (!poi)
		return NULL;
	if (m->route) {
		const struct route_stop *st = route_find_stop(m->route, poi);
		if (st) {
			const char *n = route_text_get(st->names, st->n_names, m->zh ? "zh" : "en");
			if (n)
				return n;
		}
	}
	for (int k = 0; k < ROUTE_ANNOUNCE_COUNT; k++)
		if (strcmp(poi, route_announcement_to_str((enum route_announcement_kind)k)) == 0)
			return m->zh ? announce_zh[k] : announce_en[k];
	return poi;
}

static const struct route_clip *
find_clip(const struct panel_model *m, const char *poi, const char *lang)
{
	if (!m->route || !poi || !lang)
		return NULL;
	const struct route_stop *st = route_find_stop(m->route, poi);
	if (st)
		return route_stop_clip(st, lang);
	for (int k = 0; k < ROUTE_ANNOUNCE_COUNT && m->tour; k++) {
		if (strcmp(poi, route_announcement_to_str((enum route_announcement_kind)k)) != 0)
			continue;
		for (unsigned i = 0; i < m->tour->n_announcements[k]; i++)
			if (strcmp(m->tour->announcements[k][i].lang, lang) == 0)
				return &m->tour->announcements[k][i];
	}
	return NULL;
}

double
panel_clip_duration(const struct panel_model *m)
{
	json_object *p = panel_jget(m->status, "playing");
	if (!p)
		return -1;
	json_object *d = panel_jget(p, "duration_s");
	if (d)
		return json_object_get_double(d);
	const struct route_clip *c = find_clip(m, panel_jstr(p, "poi"), panel_jstr(p, "lang"));
	return c && c->duration_ms > 0 ? c->duration_ms / 1000.0 : -1;
}

double
panel_clip_elapsed(const struct panel_model *m, uint64_t now_ns)
{
	json_object *p = panel_jget(m->status, "playing");
	if (!p)
		return -1;
	json_object *e = panel_jget(p, "elapsed_s");
	double speed = 1;
	json_object *sp = panel_jget(m->status, "speed");
	if (sp && json_object_get_double(sp) > 0)
		speed = json_object_get_double(sp);
	const char *state = panel_jstr(m->status, "state");
	bool paused = state && strcmp(state, "paused") == 0;
	if (e) /* as of the status; it runs on since, unless paused */
		return json_object_get_double(e) +
		       (paused ? 0 : (now_ns - m->status_ns) / 1e9 * speed);
	if (!m->clip_from_start)
		return -1;
	return (now_ns - m->clip_seen_ns) / 1e9 * speed;
}

bool
panel_ui_animating(const struct panel_model *m)
{
	return m->connected && panel_jget(m->status, "playing") &&
	       strcmp(panel_jstr(m->status, "state") ? panel_jstr(m->status, "state") : "",
		      "paused") != 0 &&
	       panel_clip_duration(m) > 0;
}

/* ---- text ---- */

enum { FONT_SMALL, FONT_NORMAL, FONT_BIG, FONT_COUNT };
static const int font_px[FONT_COUNT] = {18, 24, 32};

#define TEXT_CACHE 128
struct text_entry {
	char *s;
	int font;
	SDL_Color c;
	SDL_Texture *t;
	int w, h;
	uint64_t used;
};

struct panel_ui {
	SDL_Renderer *r;
	char font_path[512];
	TTF_Font *fonts[FONT_COUNT];
	struct panel_layout L;
	struct text_entry cache[TEXT_CACHE];
	uint64_t frame;
};

static const char *const known_fonts[] = {
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
};

static void
cache_clear(struct panel_ui *ui)
{
	for (int i = 0; i < TEXT_CACHE; i++) {
		if (ui->cache[i].t)
			SDL_DestroyTexture(ui->cache[i].t);
		free(ui->cache[i].s);
		memset(&ui->cache[i], 0, sizeof(ui->cache[i]));
	}
}

static bool
open_fonts(struct panel_ui *ui)
{
	for (int i = 0; i < FONT_COUNT; i++) {
		if (ui->fonts[i])
			TTF_CloseFont(ui->fonts[i]);
		ui->fonts[i] =
			TTF_OpenFontIndex(ui->font_path, (int)lround(font_px[i] * ui->L.scale), 0);
		if (!ui->fonts[i])
			return false;
	}
	return true;
}

struct panel_ui *
panel_ui_create(SDL_Renderer *r, const char *font, int w, int h)
{
	struct panel_ui *ui = calloc(1, sizeof(*ui));
	if (!ui)
		return NULL;
	ui->r = r;
	panel_layout_compute(w, h, &ui->L);
	if (font) {
		snprintf(ui->font_path, sizeof(ui->font_path), "%s", font);
	} else {
		for (size_t i = 0; i < sizeof(known_fonts) / sizeof(known_fonts[0]); i++)
			if (access(known_fonts[i], R_OK) == 0) {
				snprintf(ui->font_path, sizeof(ui->font_path), "%s",
					 known_fonts[i]);
				break;
			}
		if (!ui->font_path[0]) {
			fprintf(stderr,
				"guide-panel: no CJK font found (install fonts-wqy-microhei, or "
				"--font FILE)\n");
			free(ui);
			return NULL;
		}
	}
	if (!open_fonts(ui)) {
		fprintf(stderr, "guide-panel: %s: %s\n", ui->font_path, TTF_GetError());
		panel_ui_destroy(ui);
		return NULL;
	}
	return ui;
}

void
panel_ui_destroy(struct panel_ui *ui)
{
	if (!ui)
		return;
	cache_clear(ui);
	for (int i = 0; i < FONT_COUNT; i++)
		if (ui->fonts[i])
			TTF_CloseFont(ui->fonts[i]);
	free(ui);
}

void
panel_ui_resize(struct panel_ui *ui, int w, int h)
{
	if (w == ui->L.w && h == ui->L.h)
		return;
	panel_layout_compute(w, h, &ui->L);
	cache_clear(ui);
	open_fonts(ui);
}

const struct panel_layout *
panel_ui_layout(const struct panel_ui *ui)
{
	return &ui->L;
}

TTF_Font *
panel_ui_font(struct panel_ui *ui)
{
	return ui->fonts[FONT_NORMAL];
}

const char *
panel_ui_font_path(const struct panel_ui *ui)
{
	return ui->font_path;
}

static struct text_entry *
text_get(struct panel_ui *ui, int font, SDL_Color c, const char *s)
{
	struct text_entry *lru = &ui->cache[0];
	for (int i = 0; i < TEXT_CACHE; i++) {
		struct text_entry *e = &ui->cache[i];
		if (e->s && e->font == font && e->c.r == c.r && e->c.g == c.g && e->c.b == c.b &&
		    strcmp(e->s, s) == 0) {
			e->used = ui->frame;
			return e;
		}
		if (!e->s || e->used < lru->used || (lru->s && !e->s))
			lru = e;
	}
	SDL_Surface *surf = TTF_RenderUTF8_Blended(ui->fonts[font], s, c);
	if (!surf)
		return NULL;
	if (lru->t)
		SDL_DestroyTexture(lru->t);
	free(lru->s);
	lru->t = SDL_CreateTextureFromSurface(ui->r, surf);
	lru->w = surf->w;
	lru->h = surf->h;
	SDL_FreeSurface(surf);
	lru->s = strdup(s);
	lru->font = font;
	lru->c = c;
	lru->used = ui->frame;
	return lru;
}

/* align: 0 left, 1 centre, 2 right of x; max_w crops (0: none).  Returns the width. */
static int
text(struct panel_ui *ui, int font, SDL_Color c, int x, int y, int align, int max_w, const char *s)
{
	if (!s || !*s)
		return 0;
	struct text_entry *e = text_get(ui, font, c, s);
	if (!e || !e->t)
		return 0;
	int w = max_w > 0 && e->w > max_w ? max_w : e->w;
	SDL_Rect src = {0, 0, w, e->h};
	SDL_Rect dst = {align == 1 ? x - w / 2 : align == 2 ? x - w : x, y, w, e->h};
	SDL_RenderCopy(ui->r, e->t, &src, &dst);
	return w;
}

static int
line_h(struct panel_ui *ui, int font)
{
	return TTF_FontLineSkip(ui->fonts[font]);
}

/* ---- drawing ---- */

static const SDL_Color C_BG = {16, 20, 24, 255}, C_FG = {235, 238, 240, 255},
		       C_DIM = {140, 150, 160, 255}, C_BTN = {44, 54, 66, 255},
		       C_OK = {60, 190, 90, 255}, C_WARN = {240, 170, 30, 255},
		       C_BAD = {220, 50, 40, 255}, C_ACCENT = {70, 140, 230, 255},
		       C_BLACK = {0, 0, 0, 255};

static void
fill(struct panel_ui *ui, SDL_Color c, const SDL_Rect *r)
{
	SDL_SetRenderDrawColor(ui->r, c.r, c.g, c.b, c.a);
	SDL_RenderFillRect(ui->r, r);
}

static void
frame_rect(struct panel_ui *ui, SDL_Color c, SDL_Rect r, int t)
{
	SDL_SetRenderDrawColor(ui->r, c.r, c.g, c.b, c.a);
	for (int i = 0; i < t; i++) {
		SDL_RenderDrawRect(ui->r, &r);
		r.x++;
		r.y++;
		r.w -= 2;
		r.h -= 2;
	}
}

/* the panel's text in its language (a macro: formats stay literals) */
#define T(m, zh_text, en_text) ((m)->zh ? (zh_text) : (en_text))

static void
fmt_time(char *buf, size_t n, double s)
{
	if (s < 0)
		s = 0;
	int t = (int)s;
	snprintf(buf, n, "%d:%02d", t / 60, t % 60);
}

static const char *
lang_label(const char *l)
{
	static const struct {
		const char *code, *label;
	} labels[] = {{"zh", "中文"},    {"en", "English"}, {"fr", "Français"}, {"de", "Deutsch"},
		      {"es", "Español"}, {"ru", "Русский"}, {"ja", "日本語"},   {"ko", "한국어"}};
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strcmp(l, labels[i].code) == 0)
			return labels[i].label;
	return l;
}

static void
draw_button(struct panel_ui *ui, const SDL_Rect *r, SDL_Color bg, const char *label,
	    const char *sub)
{
	fill(ui, bg, r);
	int lh = line_h(ui, FONT_NORMAL);
	int y = r->y + (r->h - lh - (sub ? line_h(ui, FONT_SMALL) : 0)) / 2;
	text(ui, FONT_NORMAL, C_FG, r->x + r->w / 2, y, 1, r->w - 8, label);
	if (sub)
		text(ui, FONT_SMALL, C_DIM, r->x + r->w / 2, y + lh, 1, r->w - 8, sub);
}

static void
draw_buttons(struct panel_ui *ui, const struct panel_model *m, uint64_t now)
{
	const struct panel_layout *L = &ui->L;
	const char *state = panel_jstr(m->status, "state");
	bool paused = state && strcmp(state, "paused") == 0;
	bool idle = !state || strcmp(state, "idle") == 0;
	char vol[32];
	json_object *v = panel_jget(m->status, "volume");
	snprintf(vol, sizeof(vol), "%d", v ? json_object_get_int(v) : 0);
	char langs[64] = "";
	json_object *la = panel_jget(m->status, "langs");
	for (size_t i = 0; la && i < json_object_array_length(la) && i < 4; i++)
		snprintf(langs + strlen(langs), sizeof(langs) - strlen(langs), "%s%s", i ? "," : "",
			 json_object_get_string(json_object_array_get_idx(la, i)));
	bool armed = m->stop_armed_ns && now - m->stop_armed_ns < 3000000000ull;

	draw_button(ui, &L->buttons[PANEL_BTN_START], idle ? C_OK : C_BTN, T(m, "开始", "Start"),
		    NULL);
	draw_button(ui, &L->buttons[PANEL_BTN_PAUSE], paused ? C_WARN : C_BTN,
		    paused ? T(m, "继续", "Resume") : T(m, "暂停", "Pause"), NULL);
	draw_button(ui, &L->buttons[PANEL_BTN_SKIP], C_BTN, T(m, "跳过 ▶▶", "Skip ▶▶"), NULL);
	draw_button(ui, &L->buttons[PANEL_BTN_REPLAY], C_BTN, T(m, "重播", "Replay"), NULL);
	draw_button(ui, &L->buttons[PANEL_BTN_STOP], armed ? C_BAD : C_BTN,
		    armed ? T(m, "确认停止？", "Stop: sure?") : T(m, "停止", "Stop"),
		    armed ? T(m, "再按一次", "press again") : NULL);
	draw_button(ui, &L->buttons[PANEL_BTN_VOL_DOWN], C_BTN, T(m, "音量 −", "Vol −"), vol);
	draw_button(ui, &L->buttons[PANEL_BTN_VOL_UP], C_BTN, T(m, "音量 +", "Vol +"), vol);
	draw_button(ui, &L->buttons[PANEL_BTN_LANG], C_BTN, T(m, "语言", "Language"), langs);
	draw_button(ui, &L->buttons[PANEL_BTN_MARK], C_BTN, T(m, "标记", "Mark"), NULL);
	draw_button(ui, &L->buttons[PANEL_BTN_TALK], m->talking ? C_ACCENT : C_BTN,
		    T(m, "讲话", "Talk"), T(m, "按住", "hold"));
}

static const char *
state_label(const struct panel_model *m, const char *s)
{
	if (!s)
		return "?";
	if (strcmp(s, "running") == 0)
		return T(m, "运行中", "running");
	if (strcmp(s, "paused") == 0)
		return T(m, "已暂停", "paused");
	if (strcmp(s, "idle") == 0)
		return T(m, "未开始", "idle");
	return s;
}

static const char *
tour_title(const struct panel_model *m, const char *id)
{
	const struct route_tour *t = m->route && id ? route_find_tour(m->route, id) : NULL;
	const char *title = t ? route_text_get(t->titles, t->n_titles, m->zh ? "zh" : "en") : NULL;
	return title ? title : id;
}

static void
draw_header(struct panel_ui *ui, const struct panel_model *m)
{
	const struct panel_layout *L = &ui->L;
	int g = (int)lround(6 * L->scale);
	const char *tour = panel_jstr(m->status, "tour");
	char buf[256];
	snprintf(buf, sizeof(buf), "%s · %s",
		 tour ? tour_title(m, tour) : T(m, "无导览", "no tour"),
		 state_label(m, panel_jstr(m->status, "state")));
	int y = (L->info.y - line_h(ui, FONT_NORMAL)) / 2;
	text(ui, FONT_NORMAL, C_FG, g, y, 0, L->w / 2, buf);

	/* GPS quality, right-aligned */
	json_object *p = panel_jget(m->status, "position");
	bool lost = !p || !panel_jget(p, "lat") ||
		    (panel_jget(p, "fix") && !json_object_get_boolean(panel_jget(p, "fix")));
	int mode = panel_jget(p, "mode") ? json_object_get_int(panel_jget(p, "mode")) : 0;
	SDL_Color c = lost ? C_BAD : mode >= 3 ? C_OK : C_WARN;
	size_t o = (size_t)snprintf(buf, sizeof(buf), "GPS %s",
				    lost        ? T(m, "无定位", "no fix")
				    : mode >= 3 ? "3D"
						: "2D");
	if (panel_jget(p, "hdop"))
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, " · hdop %.1f",
				      json_object_get_double(panel_jget(p, "hdop")));
	if (panel_jget(p, "sats"))
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, T(m, " · %d 星", " · %d sats"),
				      json_object_get_int(panel_jget(p, "sats")));
	if (panel_jget(p, "age_s"))
		snprintf(buf + o, sizeof(buf) - o, " · %.0f s",
			 json_object_get_double(panel_jget(p, "age_s")));
	text(ui, FONT_SMALL, c, L->w - g, (L->info.y - line_h(ui, FONT_SMALL)) / 2, 2, L->w / 2 - g,
	     buf);
}

static void
draw_info(struct panel_ui *ui, const struct panel_model *m, uint64_t now)
{
	const struct panel_layout *L = &ui->L;
	const SDL_Rect *R = &L->info;
	int x = R->x, y = R->y, w = R->w;
	char buf[256], t1[16], t2[16];

	text(ui, FONT_SMALL, C_DIM, x, y, 0, w, T(m, "正在播放", "Now playing"));
	y += line_h(ui, FONT_SMALL);
	json_object *p = panel_jget(m->status, "playing");
	if (p) {
		const char *lang = panel_jstr(p, "lang");
		snprintf(buf, sizeof(buf), "%s  [%s]", panel_stop_name(m, panel_jstr(p, "poi")),
			 lang ? lang_label(lang) : "-");
		text(ui, FONT_BIG, C_FG, x, y, 0, w, buf);
	} else {
		text(ui, FONT_BIG, C_DIM, x, y, 0, w, "—");
	}
	y += line_h(ui, FONT_BIG);
	/* progress bar */
	int bar_h = (int)lround(12 * L->scale);
	int tw = (int)lround(110 * L->scale);
	SDL_Rect bar = {x, y + (line_h(ui, FONT_SMALL) - bar_h) / 2, w - tw, bar_h};
	fill(ui, C_BTN, &bar);
	double dur = panel_clip_duration(m), el = panel_clip_elapsed(m, now);
	if (p && dur > 0 && el >= 0) {
		if (el > dur)
			el = dur;
		SDL_Rect done = bar;
		done.w = (int)(bar.w * el / dur);
		fill(ui, C_ACCENT, &done);
		fmt_time(t1, sizeof(t1), el);
		fmt_time(t2, sizeof(t2), dur);
		snprintf(buf, sizeof(buf), "%s / %s", t1, t2);
		text(ui, FONT_SMALL, C_DIM, x + w, y, 2, tw, buf);
	} else if (p && dur > 0) {
		fmt_time(t2, sizeof(t2), dur);
		text(ui, FONT_SMALL, C_DIM, x + w, y, 2, tw, t2);
	}
	y += line_h(ui, FONT_SMALL) + (int)lround(6 * L->scale);

	text(ui, FONT_SMALL, C_DIM, x, y, 0, w, T(m, "下一站", "Next stop"));
	y += line_h(ui, FONT_SMALL);
	json_object *n = panel_jget(m->status, "next");
	if (n) {
		const char *poi = panel_jstr(n, "poi");
		const char *name = panel_stop_name(m, poi);
		json_object *names = panel_jget(n, "names");
		if (names && panel_jstr(names, m->zh ? "zh" : "en"))
			name = panel_jstr(names, m->zh ? "zh" : "en");
		size_t o = (size_t)snprintf(buf, sizeof(buf), "%s", name ? name : "?");
		json_object *d = panel_jget(n, "distance_m");
		if (d) {
			int dm = json_object_get_int(d);
			json_object *pos = panel_jget(m->status, "position");
			double kmh = panel_jget(pos, "speed_kmh")
					     ? json_object_get_double(panel_jget(pos, "speed_kmh"))
					     : 0;
			if (kmh < 3 && m->tour)
				kmh = m->tour->speed_kmh;
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "  %d m", dm);
			if (kmh > 0) {
				int min = (int)ceil(dm / (kmh / 3.6) / 60.0);
				snprintf(buf + o, sizeof(buf) - o,
					 T(m, " · 约 %d 分钟", " · ~%d min"), min < 1 ? 1 : min);
			}
		}
		text(ui, FONT_NORMAL, C_FG, x, y, 0, w, buf);
	} else {
		text(ui, FONT_NORMAL, C_DIM, x, y, 0, w, "—");
	}
	y += line_h(ui, FONT_NORMAL) + (int)lround(6 * L->scale);

	json_object *v = panel_jget(m->status, "volume");
	size_t o = (size_t)snprintf(buf, sizeof(buf), T(m, "音量 %d   语言 ", "Volume %d   "),
				    v ? json_object_get_int(v) : 0);
	json_object *la = panel_jget(m->status, "langs");
	for (size_t i = 0; la && i < json_object_array_length(la); i++)
		o += (size_t)snprintf(
			buf + o, o < sizeof(buf) ? sizeof(buf) - o : 0, "%s%s", i ? ", " : "",
			lang_label(json_object_get_string(json_object_array_get_idx(la, i))));
	if (y + line_h(ui, FONT_NORMAL) <= R->y + R->h)
		text(ui, FONT_NORMAL, C_FG, x, y, 0, w, buf);
}

struct proj {
	double lat0, lon0, k, sx, ox, oy;
};

static void
project(const struct proj *pj, double lat, double lon, int *x, int *y)
{
	*x = (int)lround(pj->ox + (lon - pj->lon0) * pj->k * pj->sx);
	*y = (int)lround(pj->oy - (lat - pj->lat0) * pj->sx);
}

static void
dot(struct panel_ui *ui, SDL_Color c, int x, int y, int r)
{
	SDL_Rect d = {x - r, y - r, 2 * r + 1, 2 * r + 1};
	fill(ui, c, &d);
}

static void
draw_map(struct panel_ui *ui, const struct panel_model *m)
{
	const SDL_Rect *R = &ui->L.map;
	SDL_Color mapbg = {24, 30, 36, 255};
	fill(ui, mapbg, R);
	const struct route_tour *t = m->tour;
	if (!t || t->n_path < 2) {
		text(ui, FONT_SMALL, C_DIM, R->x + R->w / 2, R->y + R->h / 2, 1, R->w,
		     m->route ? T(m, "无路线图", "no map") : T(m, "未载入路线", "no route"));
		return;
	}
	double lat_min = 90, lat_max = -90, lon_min = 180, lon_max = -180;
	for (unsigned i = 0; i < t->n_path; i++) {
		lat_min = fmin(lat_min, t->path[i].lat);
		lat_max = fmax(lat_max, t->path[i].lat);
		lon_min = fmin(lon_min, t->path[i].lon);
		lon_max = fmax(lon_max, t->path[i].lon);
	}
	struct proj pj;
	pj.k = cos((lat_min + lat_max) / 2 * M_PI / 180);
	double wdeg = (lon_max - lon_min) * pj.k, hdeg = lat_max - lat_min;
	int pad = (int)lround(16 * ui->L.scale);
	double sx = fmin((R->w - 2 * pad) / fmax(wdeg, 1e-6), (R->h - 2 * pad) / fmax(hdeg, 1e-6));
	pj.sx = sx;
	pj.lat0 = lat_min;
	pj.lon0 = lon_min;
	pj.ox = R->x + (R->w - wdeg * sx) / 2;
	pj.oy = R->y + R->h - (R->h - hdeg * sx) / 2;
	SDL_SetRenderDrawColor(ui->r, 110, 120, 135, 255);
	int px = 0, py = 0;
	for (unsigned i = 0; i < t->n_path; i++) {
		int x, y;
		project(&pj, t->path[i].lat, t->path[i].lon, &x, &y);
		if (i) {
			SDL_RenderDrawLine(ui->r, px, py, x, y);
			SDL_RenderDrawLine(ui->r, px + 1, py, x + 1, y);
			SDL_RenderDrawLine(ui->r, px, py + 1, x, y + 1);
		}
		px = x;
		py = y;
	}
	const char *next = panel_jstr(panel_jget(m->status, "next"), "poi");
	int r = (int)lround(5 * ui->L.scale);
	for (unsigned i = 0; i < t->n_stops; i++) {
		const struct route_stop *st = &m->route->stops[t->stops[i]];
		int x, y;
		project(&pj, st->fence.center.lat, st->fence.center.lon, &x, &y);
		unsigned char s = i < m->n_stop_state ? m->stop_state[i] : 0;
		SDL_Color c = s == 1 ? C_OK : s == 2 ? C_BAD : C_FG;
		if (next && strcmp(next, st->id) == 0) {
			dot(ui, C_WARN, x, y, r + 3);
			dot(ui, C_BLACK, x, y, r + 1);
		}
		dot(ui, c, x, y, r);
	}
	json_object *pos = panel_jget(m->status, "position");
	if (panel_jget(pos, "lat") && panel_jget(pos, "lon")) {
		int x, y;
		project(&pj, json_object_get_double(panel_jget(pos, "lat")),
			json_object_get_double(panel_jget(pos, "lon")), &x, &y);
		SDL_Point pt = {x, y};
		if (SDL_PointInRect(&pt, R)) {
			dot(ui, C_FG, x, y, r + 3);
			dot(ui, C_ACCENT, x, y, r + 1);
		}
	}
	/* the legend */
	int lx = R->x + pad / 2, ly = R->y + pad / 4;
	char buf[128];
	snprintf(buf, sizeof(buf), "%s",
		 T(m, "● 已讲  ● 错过  ● 未到", "● told  ● missed  ● to come"));
	(void)buf;
	int lw = text(ui, FONT_SMALL, C_OK, lx, ly, 0, 0, T(m, "● 已讲", "● told"));
	lw += text(ui, FONT_SMALL, C_BAD, lx + lw + pad, ly, 0, 0, T(m, "● 错过", "● missed"));
	text(ui, FONT_SMALL, C_FG, lx + lw + 2 * pad, ly, 0, 0, T(m, "● 未到", "● to come"));
}

static void
draw_banner(struct panel_ui *ui, const struct panel_model *m)
{
	const SDL_Rect *B = &ui->L.banner;
	json_object *p = panel_jget(m->status, "position");
	bool lost = !p || !panel_jget(p, "lat") ||
		    (panel_jget(p, "fix") && !json_object_get_boolean(panel_jget(p, "fix")));
	json_object *sp = panel_jget(m->status, "speeding");
	bool speeding = sp && json_object_get_boolean(sp);
	char buf[256];
	if (lost || speeding) {
		SDL_Rect all = {0, 0, ui->L.w, ui->L.h};
		frame_rect(ui, lost ? C_BAD : C_WARN, all, (int)lround(6 * ui->L.scale));
	}
	if (lost) {
		fill(ui, C_BAD, B);
		double age = panel_jget(p, "age_s") ? json_object_get_double(panel_jget(p, "age_s"))
						    : -1;
		if (age >= 0)
			snprintf(buf, sizeof(buf),
				 T(m, "⚠ GPS 信号丢失（%.0f 秒前）— 自动讲解暂停",
				   "⚠ GPS LOST (%.0f s ago): no automatic narration"),
				 age);
		else
			snprintf(buf, sizeof(buf), "%s",
				 T(m, "⚠ GPS 信号丢失 — 自动讲解暂停",
				   "⚠ GPS LOST: no automatic narration"));
		text(ui, FONT_NORMAL, C_FG, B->x + B->w / 2,
		     B->y + (B->h - line_h(ui, FONT_NORMAL)) / 2, 1, B->w, buf);
	} else if (speeding) {
		fill(ui, C_WARN, B);
		json_object *lim = panel_jget(m->status, "speed_limit_kmh");
		double kmh = panel_jget(p, "speed_kmh")
				     ? json_object_get_double(panel_jget(p, "speed_kmh"))
				     : 0;
		snprintf(buf, sizeof(buf),
			 T(m, "⚠ 超速！限速 %d km/h，当前 %.0f km/h",
			   "⚠ SPEEDING: limit %d km/h, now %.0f km/h"),
			 lim ? json_object_get_int(lim) : 0, kmh);
		text(ui, FONT_NORMAL, C_BLACK, B->x + B->w / 2,
		     B->y + (B->h - line_h(ui, FONT_NORMAL)) / 2, 1, B->w, buf);
	} else if (m->last_event[0]) {
		text(ui, FONT_SMALL, C_DIM, B->x, B->y + (B->h - line_h(ui, FONT_SMALL)) / 2, 0,
		     B->w, m->last_event);
	}
}

static void
draw_retry(struct panel_ui *ui, const struct panel_model *m)
{
	const struct panel_layout *L = &ui->L;
	SDL_Rect all = {0, 0, L->w, L->h};
	frame_rect(ui, C_WARN, all, (int)lround(6 * L->scale));
	int y = L->h / 2 - line_h(ui, FONT_BIG);
	text(ui, FONT_BIG, C_WARN, L->w / 2, y, 1, L->w,
	     T(m, "导游程序未运行，正在重试…", "guide not running, retrying…"));
	char buf[128];
	snprintf(buf, sizeof(buf), T(m, "%.1f 秒后重新连接", "reconnecting in %.1f s"),
		 m->retry_ms / 1000.0);
	text(ui, FONT_NORMAL, C_DIM, L->w / 2, y + line_h(ui, FONT_BIG) + 8, 1, L->w, buf);
}

static void
draw_tours(struct panel_ui *ui, const struct panel_model *m)
{
	const struct panel_layout *L = &ui->L;
	text(ui, FONT_SMALL, C_DIM, L->w / 2, 0, 1, L->w, T(m, "选择导览", "Choose a tour"));
	for (unsigned i = 0; m->route && i < m->route->n_tours && i < PANEL_MAX_TOURS; i++)
		draw_button(ui, &L->tours[i], C_OK, tour_title(m, m->route->tours[i].id),
			    m->route->tours[i].id);
	draw_button(ui, &L->tour_cancel, C_BTN, T(m, "取消", "Cancel"), NULL);
}

void
panel_ui_draw(struct panel_ui *ui, const struct panel_model *m, uint64_t now_ns)
{
	ui->frame++;
	fill(ui, C_BG, &(SDL_Rect){0, 0, ui->L.w, ui->L.h});
	if (!m->connected) {
		draw_retry(ui, m);
		return;
	}
	if (!m->have_status) {
		text(ui, FONT_NORMAL, C_DIM, ui->L.w / 2, ui->L.h / 2, 1, ui->L.w,
		     T(m, "连接中…", "connecting…"));
		return;
	}
	if (m->choosing_tour) {
		draw_tours(ui, m);
		return;
	}
	draw_header(ui, m);
	draw_info(ui, m, now_ns);
	draw_map(ui, m);
	draw_banner(ui, m);
	draw_buttons(ui, m, now_ns);
}

/* ---- PNG ---- */

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static bool
chunk(FILE *f, const char *type, const unsigned char *data, uint32_t len)
{
	unsigned char hdr[8];
	put32(hdr, len);
	memcpy(hdr + 4, type, 4);
	uLong crc = crc32(0, hdr + 4, 4);
	if (len)
		crc = crc32(crc, data, len);
	unsigned char c[4];
	put32(c, (uint32_t)crc);
	return fwrite(hdr, 1, 8, f) == 8 && (!len || fwrite(data, 1, len, f) == len) &&
	       fwrite(c, 1, 4, f) == 4;
}

int
panel_ui_save_png(SDL_Renderer *r, int w, int h, const char *path)
{
	int rc = -ENOMEM;
	size_t stride = (size_t)w * 3, rawlen = (stride + 1) * (size_t)h;
	unsigned char *pix = malloc(stride * (size_t)h), *raw = malloc(rawlen);
	uLongf zlen = compressBound(rawlen);
	unsigned char *z = malloc(zlen);
	FILE *f = NULL;
	if (!pix || !raw || !z)
		goto out;
	rc = -EIO;
	if (SDL_RenderReadPixels(r, NULL, SDL_PIXELFORMAT_RGB24, pix, (int)stride) != 0)
		goto out;
	for (int y = 0; y < h; y++) {
		raw[(size_t)y * (stride + 1)] = 0; /* filter: none */
		memcpy(raw + (size_t)y * (stride + 1) + 1, pix + (size_t)y * stride, stride);
	}
	if (compress2(z, &zlen, raw, rawlen, 9) != Z_OK)
		goto out;
	f = fopen(path, "wb");
	if (!f) {
		rc = -errno;
		goto out;
	}
	unsigned char ihdr[13];
	put32(ihdr, (uint32_t)w);
	put32(ihdr + 4, (uint32_t)h);
	ihdr[8] = 8; /* bits */
	ihdr[9] = 2; /* RGB */
	ihdr[10] = ihdr[11] = ihdr[12] = 0;
	bool ok = fwrite("\x89PNG\r\n\x1a\n", 1, 8, f) == 8 && chunk(f, "IHDR", ihdr, 13) &&
		  chunk(f, "IDAT", z, (uint32_t)zlen) && chunk(f, "IEND", NULL, 0);
	rc = fclose(f) == 0 && ok ? 0 : -EIO;
out:
	free(pix);
	free(raw);
	free(z);
	return rc;
}
