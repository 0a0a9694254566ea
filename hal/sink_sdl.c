/* sdl sink: an SDL2 playback device; SDL's audio thread calls the render
 * callback (which must be RT-safe).  float32, 48 kHz, stereo, a buffer of
 * 512 or 1024 frames; SDL converts if the hardware wants something else.
 *
 * Opening falls back in this order, each step with a warning: the named
 * device, the default device, the "dummy" driver (silence at real-time
 * pace: the tour goes on without a sound card).  hal_sink_poll notices a
 * removed device (SDL_AUDIODEVICEREMOVED or a stopped device) and reopens
 * by the same order.  On "dummy" it looks for a real device again after an
 * eighth of the time since the fallback began, between 0.25 and 5 s: a
 * loose cable put back 2 s after the removal plays again within 0.25 s
 * (0.25 s steps for the first 2 s, 1 s steps at 8 s), a speaker missing for
 * good costs one look every 5 s (a few ms: SDL's driver init and an open
 * that fails).  Issue 13: it was every 30 s, and a replug 2 s after the
 * removal played again 27.9 s later.
 *
 * Active and inactive: an inactive sink has no device open.  A paused SDL 2
 * device keeps its thread, which wakes every period (47 times a second at
 * 1024 frames) to write silence: most of what a guide waiting between
 * tours would cost.  So hal_sink_set_active(false) closes the device
 * (SDL_CloseAudioDevice returns once its thread has ended: no callback
 * runs after it) and set_active(true) opens it again, unpaused.  The
 * sink is checked at create time (the device opened, with its fallbacks
 * and warnings, then closed); a reopen takes the same device again, or
 * "dummy" straight away on the fallback, without a warning each time.
 * Measured on the dummy driver: opening takes at most 0.2 ms and the first
 * callback follows within one period (tests/bench/audio-bench.c idle).
 *
 * alsa-lib's own messages: with no sound card, SDL's ALSA driver opening
 * "default" made alsa-lib print eight lines to stderr ("ALSA lib
 * confmisc.c:855:(parse_card) cannot find card '0'" ...) before our one
 * clear warning, and again at every look for a device on the fallback.
 * They go to the sink's log at debug level instead (guided --verbose shows
 * them): a process-wide snd_lib_error_set_handler, installed before SDL
 * first initialises its audio.  libasound is found with dlopen, not linked:
 * SDL links it (Debian) or loads it itself (other builds); the handle we
 * keep holds the same library in memory, so the handler stays set when SDL
 * unloads and reloads it.  No libasound: nothing to quiet.  (Probing for a
 * card ourselves instead would not cover a card that is there but fails,
 * nor alsa-lib's other messages.)
 *
 * A PulseAudio server without any sink: SDL 2.26's pulseaudio driver
 * crashes while it initialises (SDL_strdup of the server's default sink
 * name, which is NULL then), so the fallback's looks for a device, and a
 * start, would kill the guide while a loose cable is out on a server that
 * keeps no other sink.  Before SDL initialises a driver that may be
 * pulseaudio (SDL_AUDIODRIVER unset or naming it), a playback stream is
 * opened and closed with libpulse-simple (dlopen, headers only at build
 * time; a few ms): "no such entity" means a server with no sink, and the
 * sink stays on "dummy" (the next look comes as usual).  The cart's server
 * always has a sink (README: On the cart); this is for the others.
 */
#include "hal/sink_impl.h"

#include <SDL.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#if __has_include(<pulse/simple.h>)
#include <pulse/error.h>
#include <pulse/simple.h>
#define HAVE_PULSE_PROBE 1
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sink_sdl {
	struct hal_sink base;  /* first */
	SDL_AudioDeviceID dev; /* 0 while none is open (inactive) */
	char *device;          /* requested name, NULL = default */
	bool active;           /* main thread only: open and unpaused by hal_sink_set_active */
	bool dummy;            /* fell back to the dummy driver */
	Uint64 dummy_since;    /* when the fallback began (SDL ticks, ms) */
	Uint64 retry_at;       /* when to look for a real device again (SDL ticks, ms) */
};

/* On "dummy": look again after an eighth of the time since the fallback
 * began, no sooner than this ... */
#define SDL_SINK_RETRY_MIN_MS 250
/* ... and no later than this */
#define SDL_SINK_RETRY_MAX_MS 5000

static Uint64
retry_delay_ms(const struct sink_sdl *d, Uint64 now)
{
	Uint64 wait = (now - d->dummy_since) / 8;
	if (wait < SDL_SINK_RETRY_MIN_MS)
		return SDL_SINK_RETRY_MIN_MS;
	return wait > SDL_SINK_RETRY_MAX_MS ? SDL_SINK_RETRY_MAX_MS : wait;
}

/* Where alsa-lib's messages go: the log of the newest sdl sink (they are
 * process-wide, like alsa-lib's handler).  Read on whichever thread calls
 * alsa-lib (SDL's audio and hot-plug threads too), hence atomics. */
static hal_log_fn alsa_log_fn;
static void *alsa_log_user;

/* alsa-lib's snd_lib_error_handler_t */
static void
alsa_error(const char *file, int line, const char *function, int err, const char *fmt, ...)
{
	hal_log_fn fn = __atomic_load_n(&alsa_log_fn, __ATOMIC_ACQUIRE);
	void *user = __atomic_load_n(&alsa_log_user, __ATOMIC_ACQUIRE);
	char msg[256];
	va_list ap;

	if (!fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hal_logf(fn, user, HAL_LOG_DEBUG, "alsa-lib: %s:%d:(%s) %s%s%s", file, line, function, msg,
		 err ? ": " : "", err ? strerror(err < 0 ? -err : err) : "");
}

/* Sends alsa-lib's messages to this sink's log (main thread, before SDL
 * initialises its audio). */
static void
quiet_alsa(struct sink_sdl *d)
{
	static bool tried;
	typedef int (*set_handler_fn)(
		void (*)(const char *, int, const char *, int, const char *, ...));

	__atomic_store_n(&alsa_log_user, d->base.opts.log_user, __ATOMIC_RELEASE);
	__atomic_store_n(&alsa_log_fn, d->base.opts.log, __ATOMIC_RELEASE);
	if (tried)
		return;
	tried = true;
	/* kept open for the life of the process (see the top of the file) */
	void *lib = dlopen("libasound.so.2", RTLD_NOW | RTLD_LOCAL);
	set_handler_fn set = lib ? (set_handler_fn)dlsym(lib, "snd_lib_error_set_handler") : NULL;
	if (set)
		set(alsa_error);
}

/* Is a PulseAudio server there that has no sink (SDL's pulseaudio driver
 * would crash initialising)?  false when SDL will not try pulseaudio, when
 * libpulse-simple is not there, when no server answers, or when a stream
 * opens.  Main thread. */
static bool
pulse_without_sink(void)
{
#ifdef HAVE_PULSE_PROBE
	static void *lib;
	static __typeof__(pa_simple_new) *open_fn;
	static __typeof__(pa_simple_free) *free_fn;
	const char *drv = getenv("SDL_AUDIODRIVER");
	int error = 0;

	if (drv && *drv && !strstr(drv, "pulse"))
		return false;
	if (!lib) {
		/* kept open for the life of the process */
		if (!(lib = dlopen("libpulse-simple.so.0", RTLD_NOW | RTLD_LOCAL)))
			return false;
		open_fn = (__typeof__(pa_simple_new) *)dlsym(lib, "pa_simple_new");
		free_fn = (__typeof__(pa_simple_free) *)dlsym(lib, "pa_simple_free");
	}
	if (!open_fn || !free_fn)
		return false;
	const pa_sample_spec ss = {PA_SAMPLE_FLOAT32NE, HAL_AUDIO_RATE, HAL_AUDIO_CHANNELS};
	pa_simple *p =
		open_fn(NULL, "guide", PA_STREAM_PLAYBACK, NULL, "probe", &ss, NULL, NULL, &error);
	if (p) {
		free_fn(p);
		return false;
	}
	return error == PA_ERR_NOENTITY;
#else
	return false;
#endif
}

/* SDL's audio thread. */
static void
sdl_callback(void *userdata, Uint8 *stream, int len)
{
	struct hal_sink *s = userdata;
	uint32_t frames = (uint32_t)len / (sizeof(float) * HAL_AUDIO_CHANNELS);

	s->render(s->userdata, (float *)stream, frames);
	__atomic_store_n(&s->frames, s->frames + frames, __ATOMIC_RELAXED);
}

/* Opens a device (NULL: the default one) of SDL's current driver, paused. */
static SDL_AudioDeviceID
try_open(struct sink_sdl *d, const char *name)
{
	SDL_AudioSpec want = {0}, have;

	want.freq = HAL_AUDIO_RATE;
	want.format = AUDIO_F32SYS;
	want.channels = HAL_AUDIO_CHANNELS;
	want.samples = d->base.opts.buffer_frames <= 512 ? 512 : 1024;
	want.callback = sdl_callback;
	want.userdata = &d->base;
	SDL_AudioDeviceID dev = SDL_OpenAudioDevice(name, 0, &want, &have, 0);
	if (dev)
		d->base.buffer_frames = have.samples;
	return dev;
}

/* Switches SDL to its dummy driver and opens that (silence at real-time
 * pace), and sets the next look for a real device.  Returns whether it
 * opened. */
static bool
open_dummy(struct sink_sdl *d)
{
	if (SDL_AudioInit("dummy") == 0)
		d->dev = try_open(d, NULL);
	if (!d->dev)
		return false;
	Uint64 now = SDL_GetTicks64();
	if (!d->dummy) /* a new fallback: look again soon */
		d->dummy_since = now;
	d->dummy = true;
	d->retry_at = now + retry_delay_ms(d, now);
	return true;
}

/* A newly opened device is paused: give it the state the caller asked for. */
static void
resume_state(struct sink_sdl *d)
{
	if (d->active)
		SDL_PauseAudioDevice(d->dev, 0);
}

/* The named device, else the default one, else "dummy" (each step with a
 * warning).  0, or -EIO with the reason in err. */
static int
open_device(struct sink_sdl *d, char *err, size_t errlen)
{
	struct hal_sink *s = &d->base;

	if (d->device) {
		d->dev = try_open(d, d->device);
		if (d->dev)
			return 0;
		hal_sink_log(s, HAL_LOG_WARNING,
			     "sdl sink: cannot open device '%s' (%s); trying the default",
			     d->device, SDL_GetError());
	}
	d->dev = try_open(d, NULL);
	if (d->dev)
		return 0;
	const char *drv = SDL_GetCurrentAudioDriver();
	hal_sink_log(s, HAL_LOG_WARNING,
		     "sdl sink: no audio device on driver '%s' (%s); falling back to 'dummy': "
		     "no sound will be heard",
		     drv ? drv : "none", SDL_GetError());
	if (!open_dummy(d)) {
		snprintf(err, errlen, "sdl sink: cannot open any audio device: %s", SDL_GetError());
		return -EIO;
	}
	return 0;
}

/* On the dummy fallback: is a real device there now (a USB speaker plugged
 * in, the sound server started)?  Returns 1 when one was opened, 0 when it
 * went back to "dummy", -EIO when not even that opened. */
static int
retry_real_device(struct sink_sdl *d)
{
	struct hal_sink *s = &d->base;

	SDL_CloseAudioDevice(d->dev);
	d->dev = 0;
	if (!pulse_without_sink() && SDL_AudioInit(NULL) == 0) {
		if (d->device)
			d->dev = try_open(d, d->device);
		if (!d->dev)
			d->dev = try_open(d, NULL);
		if (d->dev) {
			d->dummy = false;
			hal_sink_log(s, HAL_LOG_WARNING,
				     "sdl sink: a sound device is available again on '%s'",
				     SDL_GetCurrentAudioDriver());
			resume_state(d);
			return 1;
		}
	}
	if (!open_dummy(d)) {
		hal_sink_log(s, HAL_LOG_ERR, "sdl sink: cannot reopen 'dummy': %s", SDL_GetError());
		return -EIO;
	}
	resume_state(d);
	return 0;
}

/* Opens the device again after set_active(false): the requested device,
 * else the default one, silently; "dummy" at once on the fallback (then
 * sdl_set_active looks for a real device if a look is due); the warnings
 * and the fallback of open_device() only when none of those opens. */
static int
reopen_device(struct sink_sdl *d)
{
	if (!d->dummy && d->device)
		d->dev = try_open(d, d->device);
	if (!d->dev)
		d->dev = try_open(d, NULL);
	if (d->dev)
		return 0;
	char err[256];
	if (open_device(d, err, sizeof(err)) < 0) {
		hal_sink_log(&d->base, HAL_LOG_ERR, "%s", err);
		return -EIO;
	}
	return 0;
}

static int
sdl_set_active(struct hal_sink *s, bool active)
{
	struct sink_sdl *d = (struct sink_sdl *)s;
	if (active) {
		if (!d->dev && reopen_device(d) < 0)
			return -EIO;
		d->active = true;
		/* a story starts: on the fallback, a look for the speaker now
		 * if one is due (not at the next poll) */
		if (d->dummy && SDL_GetTicks64() >= d->retry_at && retry_real_device(d) < 0)
			return -EIO;
		SDL_PauseAudioDevice(d->dev, 0);
	} else if (d->dev) {
		/* returns once the device's thread has ended: no callback runs */
		SDL_CloseAudioDevice(d->dev);
		d->dev = 0;
	}
	d->active = active;
	return 0;
}

static int
sdl_poll(struct hal_sink *s)
{
	struct sink_sdl *d = (struct sink_sdl *)s;
	SDL_Event ev[8];
	bool removed = false;
	int n;

	if (!d->dev)
		return 0; /* inactive: closed on purpose */
	if (d->dummy && SDL_GetTicks64() >= d->retry_at)
		return retry_real_device(d);
	SDL_PumpEvents();
	while ((n = SDL_PeepEvents(ev, 8, SDL_GETEVENT, SDL_AUDIODEVICEREMOVED,
				   SDL_AUDIODEVICEREMOVED)) > 0)
		for (int i = 0; i < n; i++)
			if (!ev[i].adevice.iscapture && ev[i].adevice.which == d->dev)
				removed = true;
	if (SDL_GetAudioDeviceStatus(d->dev) == SDL_AUDIO_STOPPED)
		removed = true;
	if (!removed)
		return 0;
	hal_sink_log(s, HAL_LOG_WARNING, "sdl sink: audio device removed; reopening");
	SDL_CloseAudioDevice(d->dev);
	d->dev = 0;
	char err[256];
	if (open_device(d, err, sizeof(err)) < 0) {
		hal_sink_log(s, HAL_LOG_ERR, "%s", err);
		return -EIO;
	}
	resume_state(d);
	return 1;
}

static int
sdl_poll_due_ms(const struct hal_sink *s)
{
	const struct sink_sdl *d = (const struct sink_sdl *)s;

	if (!d->dev || !d->dummy)
		return -1; /* inactive, or on a real device: the caller's pace */
	Uint64 now = SDL_GetTicks64();
	return now >= d->retry_at ? 0 : (int)(d->retry_at - now);
}

/* Also undoes a half-done sdl_open: SDL_QuitSubSystem balances its init. */
static void
sdl_close(struct hal_sink *s)
{
	struct sink_sdl *d = (struct sink_sdl *)s;

	if (d->dev)
		SDL_CloseAudioDevice(d->dev);
	SDL_QuitSubSystem(SDL_INIT_AUDIO | SDL_INIT_EVENTS);
	/* alsa-lib's messages no longer go to this sink's log */
	if (__atomic_load_n(&alsa_log_fn, __ATOMIC_ACQUIRE) == d->base.opts.log &&
	    __atomic_load_n(&alsa_log_user, __ATOMIC_ACQUIRE) == d->base.opts.log_user)
		__atomic_store_n(&alsa_log_fn, NULL, __ATOMIC_RELEASE);
	free(d->device);
	free(d);
}

static int
sdl_open(const char *device, const struct hal_sink_opts *opts, hal_sink_render_fn render,
	 void *userdata, struct hal_sink **out, char *err, size_t errlen)
{
	struct sink_sdl *d;
	int r;

	/* N channels through SDL: the output part of issue 16 (not here yet) */
	if (opts->channels != HAL_AUDIO_CHANNELS) {
		snprintf(err, errlen, "audio sink 'sdl': %u channels: stereo only", opts->channels);
		return -ENOTSUP;
	}
	d = calloc(1, sizeof(*d));
	if (!d || (device && *device && !(d->device = strdup(device)))) {
		free(d);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* the callback may run as soon as the device is unpaused: set it now */
	hal_sink_base_init(&d->base, &hal_sink_sdl_impl, opts, render, userdata);
	quiet_alsa(d);
	if (pulse_without_sink()) {
		hal_sink_log(
			&d->base, HAL_LOG_WARNING,
			"sdl sink: the PulseAudio server has no sink; falling back to 'dummy': "
			"no sound will be heard");
		if (SDL_InitSubSystem(SDL_INIT_EVENTS) < 0 || !open_dummy(d)) {
			snprintf(err, errlen, "sdl sink: cannot open 'dummy': %s", SDL_GetError());
			r = -EIO;
			goto fail;
		}
	} else if (SDL_InitSubSystem(SDL_INIT_AUDIO | SDL_INIT_EVENTS) < 0) {
		hal_sink_log(&d->base, HAL_LOG_WARNING,
			     "sdl sink: audio init failed (%s); trying 'dummy'", SDL_GetError());
		if (SDL_InitSubSystem(SDL_INIT_EVENTS) < 0 || SDL_AudioInit("dummy") < 0) {
			snprintf(err, errlen, "sdl sink: cannot initialise SDL audio: %s",
				 SDL_GetError());
			r = -EIO;
			goto fail;
		}
	}
	if (!d->dev && (r = open_device(d, err, errlen)) < 0)
		goto fail;
	/* created inactive: checked, then closed until set_active(true) */
	SDL_CloseAudioDevice(d->dev);
	d->dev = 0;
	*out = &d->base;
	return 0;
fail:
	sdl_close(&d->base);
	return r;
}

const struct hal_sink_impl hal_sink_sdl_impl = {
	.scheme = {"sdl", "sdl[:DEVICE]"},
	.open = sdl_open,
	.close = sdl_close,
	.set_active = sdl_set_active,
	.poll = sdl_poll,
	.poll_due_ms = sdl_poll_due_ms,
};
