/* The tour's player: clips the tour asks for go to the mixer, and the
 * mixer's events come back to the tour at the time they happened. */
#include "guide/daemon/daemon_internal.h"

#include <errno.h>
#include <string.h>

#include "guide/log.h"
#include "hal/sink.h"
#include "routes/route.h"

static struct daemon_playing *
find_playing(struct daemon *d, uint64_t user_id)
{
	for (unsigned i = 0; i < DAEMON_MAX_PLAYING; i++)
		if (d->playing[i].token && d->playing[i].user_id == user_id)
			return &d->playing[i];
	return NULL;
}

/* The sound device is open only while there is something to play: a device
 * left open wakes every period to play silence, which is most of what a
 * guide waiting for its next stop or tour would cost (issue 11).  It opens
 * before a clip is handed to the mixer (the mixer takes the clip on its
 * next render) and closes after DAEMON_AUDIO_LINGER_MS without a voice, so
 * that the languages of one stop and a stop right after another do not
 * reopen it.  Every command to the mixer opens it too: the audio thread
 * takes commands from a bounded queue, and a driver's volume and pause
 * presses between stories must not fill it while no one reads it (the next
 * clip would find it full).  Pulled sinks (wav, null) stay as they are. */
int
daemon_audio_wake(struct daemon *d)
{
	d->audio_idle_since = -1;
	if (d->pulled || d->audio_active)
		return 0;
	int r = hal_sink_set_active(d->sink, true);
	if (r < 0) {
		guide_log(HAL_LOG_ERR, "audio: cannot open the sound device: %s", strerror(-r));
		return r;
	}
	d->audio_active = true;
	return 0;
}

static float
lang_gain(const struct daemon *d, const char *lang)
{
	for (unsigned i = 0; lang && i < d->n_lang_gain; i++)
		if (strcmp(d->lang_gain[i].lang, lang) == 0)
			return d->lang_gain[i].gain;
	return 1.0f;
}

static int
player_play(void *ctx, const struct route_clip *clip, enum tour_clip_kind kind, uint64_t token)
{
	struct daemon *d = ctx;
	char err[256] = "";
	struct daemon_playing *slot = NULL;

	for (unsigned i = 0; !slot && i < DAEMON_MAX_PLAYING; i++)
		if (d->playing[i].token == 0)
			slot = &d->playing[i];
	if (!slot)
		return -EBUSY;
	if (daemon_audio_wake(d) < 0)
		return -EIO;
	/* a pulled sink's stream is brought up to now: the clip starts now */
	daemon_audio_render(d);
	/* channels mode: on its language's bus; sequential: the language's
	 * own volume as the clip's gain (1 unless the driver set one) */
	int seat = seats_find(&d->seats, clip->lang);
	if (d->seats.n && seat < 0)
		return -EINVAL; /* not a seat's language: played nowhere */
	mixer_handle h = mixer_play_bus(
		d->mixer, kind == TOUR_CLIP_STOP ? MIXER_NARRATION : MIXER_ANNOUNCEMENT, clip->path,
		d->seats.n ? 1.0f : lang_gain(d, clip->lang), seat < 0 ? 0 : (uint32_t)seat,
		DAEMON_USER_ID(d->generation, token), err, sizeof(err));
	if (h < 0) {
		d->clips_failed++;
		guide_log(HAL_LOG_WARNING, "cannot play %s: %s", clip->path, err);
		return h;
	}
	slot->token = token;
	slot->user_id = DAEMON_USER_ID(d->generation, token);
	slot->handle = h;
	slot->lang = clip->lang;
	slot->start_clk = hal_clock_now_ms(&d->time.clock);
	slot->paused_clk = -1;
	slot->paused_ms = 0;
	/* plus a period or two of the device's buffer */
	slot->end_clk = clip->duration_ms >= 0
				? hal_clock_now_ms(&d->time.clock) + clip->duration_ms + 50
				: -1;
	return 0;
}

static void
player_stop(void *ctx, uint64_t token)
{
	struct daemon *d = ctx;
	struct daemon_playing *p = find_playing(d, DAEMON_USER_ID(d->generation, token));
	if (!p)
		return;
	daemon_audio_wake(d);
	mixer_stop(d->mixer, p->handle, DAEMON_CUT_FADE_MS);
	p->token = 0;
}

static void
player_pause(void *ctx)
{
	struct daemon *d = ctx;
	daemon_audio_wake(d);
	mixer_pause(d->mixer);
	int64_t clk = hal_clock_now_ms(&d->time.clock);
	for (unsigned i = 0; i < DAEMON_MAX_PLAYING; i++)
		if (d->playing[i].token && d->playing[i].paused_clk < 0)
			d->playing[i].paused_clk = clk;
}

static void
player_resume(void *ctx)
{
	struct daemon *d = ctx;
	daemon_audio_wake(d);
	mixer_resume(d->mixer);
	int64_t clk = hal_clock_now_ms(&d->time.clock);
	for (unsigned i = 0; i < DAEMON_MAX_PLAYING; i++) {
		struct daemon_playing *p = &d->playing[i];
		if (p->token && p->paused_clk >= 0) {
			p->paused_ms += clk - p->paused_clk;
			p->paused_clk = -1;
		}
	}
}

static void
player_set_volume(void *ctx, double volume)
{
	struct daemon *d = ctx;
	daemon_audio_wake(d);
	mixer_set_volume(d->mixer, (float)volume);
	daemon_volume_update(d, daemon_now(d), true); /* the caps are of the driver's volume */
}

/* One language's volume: its bus's in channels mode; otherwise the gain of
 * its clips (the one playing now and those to come). */
static void
player_set_lang_volume(void *ctx, const char *lang, double volume)
{
	struct daemon *d = ctx;
	daemon_audio_wake(d);
	int seat = seats_find(&d->seats, lang);
	if (d->seats.n) {
		if (seat >= 0)
			mixer_set_bus_volume(d->mixer, (uint32_t)seat, (float)volume);
		return;
	}
	unsigned i = 0;
	while (i < d->n_lang_gain && strcmp(d->lang_gain[i].lang, lang) != 0)
		i++;
	if (i == d->n_lang_gain) {
		if (i == TOUR_MAX_LANGS)
			return;
		snprintf(d->lang_gain[i].lang, sizeof(d->lang_gain[i].lang), "%s", lang);
		d->n_lang_gain++;
	}
	d->lang_gain[i].gain = (float)volume;
	for (unsigned k = 0; k < DAEMON_MAX_PLAYING; k++)
		if (d->playing[k].token && d->playing[k].lang &&
		    strcmp(d->playing[k].lang, lang) == 0)
			mixer_set_gain(d->mixer, d->playing[k].handle, (float)volume);
}

const struct tour_player_impl daemon_player_impl = {
	.set_lang_volume = player_set_lang_volume,
	.play = player_play,
	.stop = player_stop,
	.pause = player_pause,
	.resume = player_resume,
	.set_volume = player_set_volume,
};

/* Mixer events -> tour, at the time the mixer says they happened. */
void
daemon_player_pump(struct daemon *d)
{
	struct mixer_event e;

	while (mixer_next_event(d->mixer, &e)) {
		int64_t t = d->o->offline ? d->t0_ms + (int64_t)(e.frame / (HAL_AUDIO_RATE / 1000))
					  : daemon_now(d);
		struct daemon_playing *p = find_playing(d, e.user_id);
		uint64_t token = e.user_id & ((1ull << 40) - 1);
		bool ours = e.user_id >> 40 == d->generation;
		switch (e.type) {
		case MIXER_EV_FINISHED:
		case MIXER_EV_CUT:
			if (e.type == MIXER_EV_FINISHED)
				d->sum.clips_completed++;
			else
				d->sum.clips_cut++;
			if (e.clip_frame > 0)
				d->sum.narration_frames += (uint64_t)e.clip_frame;
			if (p)
				p->token = 0;
			if (ours)
				tour_on_clip_finished(d->tour, token, e.type == MIXER_EV_FINISHED,
						      t);
			break;
		case MIXER_EV_FAILED:
			if (p)
				p->token = 0;
			d->clips_failed++;
			if (ours)
				tour_on_clip_failed(d->tour, token, e.reason, t);
			break;
		case MIXER_EV_STARTED: d->sum.clips_started++; break;
		case MIXER_EV_UNDERRUN:
			guide_log(HAL_LOG_WARNING, "audio underrun (%llu frames so far)",
				  (unsigned long long)e.count);
			break;
		default: break;
		}
	}
}

int64_t
daemon_audio_idle(struct daemon *d, int64_t clk)
{
	if (d->pulled || !d->audio_active)
		return -1;
	struct tour_status ts;
	tour_get_status(d->tour, &ts);
	if (ts.playing || mixer_active_voices(d->mixer) > 0) {
		d->audio_idle_since = -1;
		return -1;
	}
	if (d->audio_idle_since < 0)
		d->audio_idle_since = clk;
	int64_t close_at = d->audio_idle_since + DAEMON_AUDIO_LINGER_MS;
	if (clk < close_at)
		return close_at;
	/* every voice has ended: its last events are in the mixer's queue */
	daemon_player_pump(d);
	hal_sink_set_active(d->sink, false);
	d->audio_active = false;
	return -1;
}

int64_t
daemon_player_elapsed_ms(struct daemon *d, const char *lang)
{
	int64_t clk = hal_clock_now_ms(&d->time.clock);
	for (unsigned i = 0; lang && i < DAEMON_MAX_PLAYING; i++) {
		const struct daemon_playing *p = &d->playing[i];
		if (!p->token || !p->lang || strcmp(p->lang, lang) != 0)
			continue;
		int64_t e =
			(p->paused_clk >= 0 ? p->paused_clk : clk) - p->start_clk - p->paused_ms;
		return e < 0 ? 0 : e;
	}
	return -1;
}

int64_t
daemon_player_next_due(struct daemon *d, int64_t clk)
{
	int64_t end = -1;
	bool unknown = false;
	for (unsigned i = 0; i < DAEMON_MAX_PLAYING; i++) {
		const struct daemon_playing *p = &d->playing[i];
		if (!p->token)
			continue;
		if (p->end_clk < 0)
			unknown = true;
		else if (end < 0 || p->end_clk < end)
			end = p->end_clk;
	}
	if (unknown || end < 0) /* a length not probed, or voices not the tour's */
		return clk + DAEMON_BUSY_STEP_MS;
	if (clk < end) /* sleep until it should end; look now and then */
		return end < clk + DAEMON_BUSY_MAX_MS ? end : clk + DAEMON_BUSY_MAX_MS;
	if (clk < end + DAEMON_END_WINDOW_MS) /* about to end: look often */
		return clk + DAEMON_END_STEP_MS;
	return clk + DAEMON_BUSY_STEP_MS; /* paused, or late */
}
