/* The trigger engine's second layer: enter/exit hysteresis over an index
 * (see trigger.h). */
#include "guide/trigger.h"

#include <stdlib.h>

struct zone_state {
	bool inside;
	bool active; /* in the active list */
	unsigned n_in, n_out;
	int64_t first_in_ms;
	uint64_t seen; /* generation of the last fix that hit it */
};

struct trigger_zones {
	const struct trigger_index *ix;
	struct trigger_hysteresis cfg;
	struct zone_state *st;
	uint32_t *active;
	size_t n_active;
	uint64_t gen;
	struct trigger_hit *hits;
	size_t cap_hits;
};

struct trigger_zones *
trigger_zones_create(const struct trigger_index *ix, const struct trigger_hysteresis *cfg)
{
	struct trigger_zones *z = calloc(1, sizeof(*z));
	if (!z)
		return NULL;
	z->ix = ix;
	z->cfg = *cfg;
	if (z->cfg.enter_fixes < 1)
		z->cfg.enter_fixes = 1;
	if (z->cfg.exit_fixes < 1)
		z->cfg.exit_fixes = 1;
	size_t n = trigger_index_count(ix);
	if (n == 0)
		n = 1;
	z->st = calloc(n, sizeof(*z->st));
	z->active = calloc(n, sizeof(*z->active));
	z->cap_hits = 64;
	z->hits = calloc(z->cap_hits, sizeof(*z->hits));
	if (!z->st || !z->active || !z->hits) {
		trigger_zones_destroy(z);
		return NULL;
	}
	return z;
}

void
trigger_zones_destroy(struct trigger_zones *z)
{
	if (!z)
		return;
	free(z->st);
	free(z->active);
	free(z->hits);
	free(z);
}

bool
trigger_zones_inside(const struct trigger_zones *z, uint32_t zone)
{
	return zone < trigger_index_count(z->ix) && z->st[zone].inside;
}

static void
zones_emit(struct trigger_zone_event *out, size_t max, size_t *n, uint32_t zone, bool enter)
{
	if (*n < max) {
		out[*n].zone = zone;
		out[*n].enter = enter;
	}
	(*n)++;
}

size_t
trigger_zones_update(struct trigger_zones *z, struct geo_xy p, int64_t now_ms,
		     struct trigger_zone_event *out, size_t max)
{
	size_t n_ev = 0;
	size_t nh = trigger_index_query(z->ix, p, z->cfg.exit_margin_m, z->hits, z->cap_hits);
	if (nh > z->cap_hits) {
		struct trigger_hit *h = realloc(z->hits, nh * sizeof(*h));
		if (h) {
			z->hits = h;
			z->cap_hits = nh;
		}
		nh = trigger_index_query(z->ix, p, z->cfg.exit_margin_m, z->hits, z->cap_hits);
		if (nh > z->cap_hits)
			nh = z->cap_hits;
	}
	z->gen++;
	for (size_t i = 0; i < nh; i++) {
		uint32_t id = z->hits[i].zone;
		struct zone_state *s = &z->st[id];
		s->seen = z->gen;
		bool in_fence = z->hits[i].dist_m <= 0;
		if (!s->active) {
			s->active = true;
			z->active[z->n_active++] = id;
		}
		if (s->inside) {
			/* inside the fence or the margin ring: still inside */
			s->n_out = 0;
			continue;
		}
		if (in_fence) {
			if (s->n_in == 0)
				s->first_in_ms = now_ms;
			s->n_in++;
			if (s->n_in >= z->cfg.enter_fixes &&
			    now_ms - s->first_in_ms >= z->cfg.enter_dwell_ms) {
				s->inside = true;
				s->n_out = 0;
				zones_emit(out, max, &n_ev, id, true);
			}
		} else {
			s->n_in = 0;
		}
	}
	/* active zones this fix did not reach: beyond the margin */
	for (size_t i = 0; i < z->n_active;) {
		uint32_t id = z->active[i];
		struct zone_state *s = &z->st[id];
		if (s->seen != z->gen) {
			s->n_in = 0;
			if (s->inside) {
				s->n_out++;
				if (s->n_out >= z->cfg.exit_fixes) {
					s->inside = false;
					s->n_out = 0;
					zones_emit(out, max, &n_ev, id, false);
				}
			}
			if (!s->inside) {
				s->active = false;
				z->active[i] = z->active[--z->n_active];
				continue;
			}
		}
		i++;
	}
	return n_ev;
}
