/* The tour's player: clips the tour asks for go to the mixer, and the
 * mixer's events come back to the tour at the time they happened. */
#include "guide/daemon/daemon_internal.h"

#include <errno.h>

#include "guide/log.h"
#include "routes/route.h"

static struct daemon_playing *
find_playing(struct daemon *d, uint64_t user_id)
{
	for (unsigned i = 0; i < DAEMON_MAX_PLAYING; i++)
		if (d->playing[i].token && d->playing[i].user_id == user_id)
			return &d->playing[i];
	return NULL;
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
	mixer_handle h = mixer_play(d->mixer,
				    kind == TOUR_CLIP_STOP ? MIXER_NARRATION : MIXER_ANNOUNCEMENT,
				    clip->path, 1.0f, DAEMON_USER_ID(d->generation, token), err,
				    sizeof(err));
	if (h < 0) {
		d->clips_failed++;
		guide_log(HAL_LOG_WARNING, "cannot play %s: %s", clip->path, err);
		return h;
	}
	slot->token = token;
	slot->user_id = DAEMON_USER_ID(d->generation, token);
	slot->handle = h;
	return 0;
}

static void
player_stop(void *ctx, uint64_t token)
{
	struct daemon *d = ctx;
	struct daemon_playing *p = find_playing(d, DAEMON_USER_ID(d->generation, token));
	if (!p)
		return;
	mixer_stop(d->mixer, p->handle, DAEMON_CUT_FADE_MS);
	p->token = 0;
}

static void
player_pause(void *ctx)
{
	struct daemon *d = ctx;
	mixer_pause(d->mixer);
}

static void
player_resume(void *ctx)
{
	struct daemon *d = ctx;
	mixer_resume(d->mixer);
}

static void
player_set_volume(void *ctx, double volume)
{
	struct daemon *d = ctx;
	mixer_set_volume(d->mixer, (float)volume);
}

const struct tour_player_impl daemon_player_impl = {
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
				tour_on_clip_finished(d->tour, token, e.type == MIXER_EV_FINISHED, t);
			break;
		case MIXER_EV_FAILED:
			if (p)
				p->token = 0;
			d->clips_failed++;
			if (ours)
				tour_on_clip_failed(d->tour, token, e.reason, t);
			break;
		case MIXER_EV_STARTED:
			d->sum.clips_started++;
			break;
		case MIXER_EV_UNDERRUN:
			guide_log(HAL_LOG_WARNING, "audio underrun (%llu frames so far)",
				  (unsigned long long)e.count);
			break;
		default:
			break;
		}
	}
}
