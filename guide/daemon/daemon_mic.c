/* The cabin microphone: noise estimate, gain, status and events (see
 * daemon_mic.h for the rules and why). */
#include "guide/daemon/daemon_mic.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "guide/daemon/daemon_internal.h"
#include "guide/log.h"
#include "hal/mic.h"

struct daemon_mic {
	struct hal_mic *src;
	bool started;
	int64_t start_clk;    /* clock time of the source's start */
	int64_t narr_end_clk; /* the guide last spoke at this clock time; -1 never */
	struct daemon_mic_est est;
	bool logged;
	double logged_db;
	float last_level;
};

void
daemon_mic_config_defaults(struct daemon_mic_config *c)
{
	*c = (struct daemon_mic_config){
		.quiet_db = -50, .loud_db = -25, .max_gain_db = 12, .attack_s = 3, .release_s = 10};
}

void
daemon_mic_est_init(struct daemon_mic_est *e, const struct daemon_mic_config *cfg)
{
	memset(e, 0, sizeof(*e));
	if (cfg)
		e->cfg = *cfg;
	else
		daemon_mic_config_defaults(&e->cfg);
}

double
daemon_mic_target_gain(const struct daemon_mic_config *c, double noise_db)
{
	if (!(c->loud_db > c->quiet_db) || noise_db <= c->quiet_db)
		return 0;
	if (noise_db >= c->loud_db)
		return c->max_gain_db;
	return c->max_gain_db * (noise_db - c->quiet_db) / (c->loud_db - c->quiet_db);
}

static int
cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* The p-quantile (0..1) of the latest n levels. */
static double
quantile(const struct daemon_mic_est *e, unsigned n, double p)
{
	float v[DAEMON_MIC_NARR_WINDOW];
	if (n > e->n)
		n = e->n;
	for (unsigned i = 0; i < n; i++)
		v[i] = e->hist[(e->at + DAEMON_MIC_NARR_WINDOW - 1 - i) % DAEMON_MIC_NARR_WINDOW];
	qsort(v, n, sizeof(v[0]), cmp_float);
	return v[(unsigned)(p * (n - 1) + 0.5)];
}

void
daemon_mic_est_feed(struct daemon_mic_est *e, float level_db, bool narrating)
{
	e->hist[e->at] = level_db;
	e->at = (e->at + 1) % DAEMON_MIC_NARR_WINDOW;
	if (e->n < DAEMON_MIC_NARR_WINDOW)
		e->n++;
	e->gap_n = narrating ? 0 : e->gap_n + 1;
	if (e->gap_n >= DAEMON_MIC_GAP_MIN) {
		/* only levels of this gap: none of the voice before it */
		unsigned n = e->gap_n < DAEMON_MIC_GAP_WINDOW ? e->gap_n : DAEMON_MIC_GAP_WINDOW;
		e->noise_db = quantile(e, n, 0.5);
		e->have = true;
	} else if (narrating && e->have) {
		double low = quantile(e, DAEMON_MIC_NARR_WINDOW, 0.1);
		if (low < e->noise_db)
			e->noise_db = low;
	}
	if (!e->have)
		return;
	double target = daemon_mic_target_gain(&e->cfg, e->noise_db);
	double tau = target > e->gain_db ? e->cfg.attack_s : e->cfg.release_s;
	double dt = HAL_MIC_BLOCK_MS / 1000.0;
	e->gain_db += (target - e->gain_db) * (tau > 0 ? 1 - exp(-dt / tau) : 1);
}

static void
mic_log(void *user, enum hal_log_level level, const char *msg)
{
	(void)user;
	guide_log(level, "%s", msg);
}

int
daemon_mic_open(struct daemon *d)
{
	if (!d->o->mic)
		return 0;
	struct daemon_mic *m = calloc(1, sizeof(*m));
	if (!m)
		return 1;
	struct hal_mic_options opts = {.log = mic_log};
	int r = hal_mic_create(d->o->mic, &opts, &m->src);
	if (r < 0) {
		free(m);
		/* a bad spec, a missing or unfit file is the user's */
		return r == -EINVAL || r == -ENOENT ? 2 : 1;
	}
	daemon_mic_est_init(&m->est, d->o->mic_noise);
	m->narr_end_clk = -1;
	m->last_level = HAL_MIC_FLOOR_DB;
	d->mic = m;
	return 0;
}

void
daemon_mic_close(struct daemon *d)
{
	if (!d->mic)
		return;
	hal_mic_destroy(d->mic->src);
	free(d->mic);
	d->mic = NULL;
}

void
daemon_mic_update(struct daemon *d)
{
	struct daemon_mic *m = d->mic;
	if (!m)
		return;
	if (d->o->mic_noise) /* a reload may change it */
		m->est.cfg = *d->o->mic_noise;
	struct tour_status ts;
	tour_get_status(d->tour, &ts);
	int64_t clk = hal_clock_now_ms(&d->time.clock);
	if (!m->started) {
		if (ts.state != TOUR_RUNNING)
			return;
		/* from the tour's start, as the cabin would hear it */
		if (hal_mic_start(m->src) < 0) {
			guide_log(HAL_LOG_WARNING, "microphone: not started; no noise gain");
			daemon_mic_close(d);
			return;
		}
		m->started = true;
		m->start_clk = clk;
	}
	bool speaking = ts.playing || mixer_active_voices(d->mixer) > 0 || d->talk_on;
	if (speaking)
		m->narr_end_clk = clk;
	bool narrating = m->narr_end_clk >= 0 && clk - m->narr_end_clk < DAEMON_MIC_HOLD_MS;
	float level;
	while (hal_mic_read(m->src, clk - m->start_clk, &level) == 1) {
		m->last_level = level;
		daemon_mic_est_feed(&m->est, level, narrating);
		if (m->est.have &&
		    (!m->logged || fabs(m->est.noise_db - m->logged_db) > DAEMON_MIC_EVENT_DB)) {
			m->logged = true;
			m->logged_db = m->est.noise_db;
			events_emit(d->ev, daemon_now(d), "mic_noise", "noise_db", 'd',
				    round(m->est.noise_db * 10) / 10, "gain_db", 'd',
				    round(m->est.gain_db * 10) / 10, NULL);
		}
	}
}

double
daemon_mic_gain_db(struct daemon *d)
{
	return d->mic ? d->mic->est.gain_db : 0;
}

/* dB with one decimal, as the status's other numbers (jnum in
 * daemon_control.c) */
static json_object *
jdb(double v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%.1f", v);
	return json_object_new_double_s(strtod(buf, NULL), buf);
}

void
daemon_mic_status(struct daemon *d, struct json_object *o)
{
	bool have = d->mic && d->mic->est.have;
	json_object_object_add(o, "noise_db", have ? jdb(d->mic->est.noise_db) : NULL);
}

struct json_object *
daemon_mic_status_json(struct daemon *d)
{
	if (!d->mic)
		return NULL;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "source", json_object_new_string(d->o->mic));
	daemon_mic_status(d, o);
	json_object_object_add(o, "gain_db", jdb(d->mic->est.gain_db));
	return o;
}
