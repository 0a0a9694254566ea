/* Volume that follows the road: speed, place and time (daemon_volume.h). */
#include "guide/daemon/daemon_volume.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "guide/daemon/daemon_internal.h"
#include "guide/daemon/daemon_mic.h"
#include "routes/route.h"

void
daemon_volume_init(struct daemon_volume *v)
{
	memset(v, 0, sizeof(*v));
	v->last_ms = -1;
	v->driver = v->effective = 1.0;
}

double
daemon_volume_speed_db(const struct daemon *d, double kmh)
{
	const struct guided_auto_volume *a = d->o->auto_volume;
	if (!a || !a->n_speed || !(kmh >= 0))
		return 0.0;
	if (kmh <= a->speed_kmh[0])
		return a->speed_db[0];
	for (unsigned i = 1; i < a->n_speed; i++)
		if (kmh <= a->speed_kmh[i]) {
			double f = (kmh - a->speed_kmh[i - 1]) /
				   (a->speed_kmh[i] - a->speed_kmh[i - 1]);
			return a->speed_db[i - 1] + f * (a->speed_db[i] - a->speed_db[i - 1]);
		}
	return a->speed_db[a->n_speed - 1];
}

/* The lowest cap that holds (0..1; INFINITY none) and its name. */
static double
caps(struct daemon *d, int64_t now, char *name, size_t len)
{
	const struct guided_auto_volume *a = d->o->auto_volume;
	double cap = INFINITY;

	name[0] = 0;
	for (unsigned i = 0; d->route && d->tour && i < d->route->n_stops; i++) {
		const struct route_stop *s = &d->route->stops[i];
		if (s->max_volume >= 0 && s->max_volume / 100.0 < cap &&
		    tour_stop_inside(d->tour, i)) {
			cap = s->max_volume / 100.0;
			snprintf(name, len, "zone:%s", s->id);
		}
	}
	if (!a)
		return cap;
	/* local minutes of the day; floor division for times before 1970 */
	int64_t local_min = (now + (int64_t)a->tz_min * 60000) / 60000;
	int m = (int)(((local_min % 1440) + 1440) % 1440);
	for (unsigned i = 0; i < a->n_quiet; i++) {
		int from = a->quiet[i].from_min, to = a->quiet[i].to_min;
		bool in = from <= to ? m >= from && m < to : m >= from || m < to;
		if (in && a->quiet[i].max / 100.0 < cap) {
			cap = a->quiet[i].max / 100.0;
			snprintf(name, len, "time:%02d:%02d-%02d:%02d", from / 60, from % 60,
				 to / 60, to % 60);
		}
	}
	return cap;
}

static double
to_db(double lin)
{
	return lin > 0 ? 20.0 * log10(lin) : DAEMON_VOLUME_MIN_DB;
}

static json_object *
why_json(const struct daemon_volume *v)
{
	json_object *a = json_object_new_array();
	for (unsigned i = 0; i < v->n_why; i++)
		json_object_array_add(a, json_object_new_string(v->why[i]));
	return a;
}

void
daemon_volume_update(struct daemon *d, int64_t now, bool force)
{
	struct daemon_volume *v = &d->volume;
	struct tour_status ts;

	if (!force && v->last_ms >= 0 && now - v->last_ms < DAEMON_VOLUME_STEP_MS)
		return;
	double dt = v->last_ms >= 0 && now > v->last_ms ? (double)(now - v->last_ms) / 1000.0 : 0;
	v->last_ms = now;

	tour_get_status(d->tour, &ts);
	double kmh = ts.pos.have_position && isfinite(ts.pos.speed) ? ts.pos.speed * 3.6 : 0.0;
	double target = daemon_volume_speed_db(d, kmh);
	double tau = target > v->speed_db ? DAEMON_VOLUME_ATTACK_S : DAEMON_VOLUME_RELEASE_S;
	v->speed_db += (target - v->speed_db) * (1.0 - exp(-dt / tau));
	if (fabs(v->speed_db - target) < 0.005)
		v->speed_db = target;
	v->noise_db = daemon_mic_gain_db(d);
	if (!isfinite(v->noise_db))
		v->noise_db = 0;
	v->gain_db = v->speed_db + v->noise_db;
	v->driver = ts.volume;

	double cap = caps(d, now, v->cap, sizeof(v->cap));
	double want = v->driver * pow(10.0, v->gain_db / 20.0);
	v->effective = want < cap ? want : cap;
	if (!(want > cap))
		v->cap[0] = 0; /* a cap above the level is not in force */

	v->n_why = 0;
	if (fabs(v->speed_db) >= 0.05)
		v->why[v->n_why++] = "speed";
	if (fabs(v->noise_db) >= 0.05)
		v->why[v->n_why++] = "noise";
	if (v->cap[0])
		v->why[v->n_why++] = v->cap;

	/* to the mixer: the gain on top of the driver's master volume */
	double db = v->driver > 0 ? to_db(v->effective) - to_db(v->driver) : 0.0;
	if (db < DAEMON_VOLUME_MIN_DB)
		db = DAEMON_VOLUME_MIN_DB;
	if (fabs(db) < 0.01)
		db = 0; /* exactly 0: the mixer's output is then bit-identical to none */
	if (fabs(db - v->applied_db) >= 0.01 || (db == 0 && v->applied_db != 0)) {
		if (mixer_set_auto_gain(d->mixer, (float)db) == 0)
			v->applied_db = db;
	}

	/* the driver's own changes are the event volume: here what the road
	 * does on top of them (the mixer's auto gain) */
	if (fabs(v->gain_db - v->logged_gain_db) > DAEMON_VOLUME_LOG_DB ||
	    fabs(db - v->logged_auto_db) > DAEMON_VOLUME_LOG_DB ||
	    strcmp(v->cap, v->logged_cap) != 0) {
		v->logged_gain_db = v->gain_db;
		v->logged_auto_db = db;
		snprintf(v->logged_cap, sizeof(v->logged_cap), "%s", v->cap);
		events_emit(d->ev, now, "volume_auto", "gain_db", 'd', round(v->gain_db * 10) / 10,
			    "effective", 'i', (long long)lround(v->effective * 100), "why", 'S',
			    v->why, v->n_why, NULL);
	}
}

void
daemon_volume_status(struct daemon *d, struct json_object *status)
{
	const struct daemon_volume *v = &d->volume;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "driver", json_object_new_int((int)lround(v->driver * 100)));
	json_object_object_add(o, "effective",
			       json_object_new_int((int)lround(v->effective * 100)));
	json_object_object_add(o, "gain_db", json_object_new_double(round(v->gain_db * 10) / 10));
	json_object_object_add(o, "why", why_json(v));
	json_object_object_add(status, "auto_volume", o);
}
