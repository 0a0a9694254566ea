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
 *
 * Channels (issue 16): stereo as always for opts.channels 0 to 2 (SDL
 * converts for a device that wants otherwise).  Above 2, every channel is a
 * plain output (a seat's language) and must reach the device as it is:
 * SDL's conversion would mix 8 channels into 6 or 2, so the device is opened
 * with SDL_AUDIO_ALLOW_CHANNELS_CHANGE and refused when it has fewer than
 * asked (one with more: the rest silent, rendered through a scratch block).
 * PulseAudio takes any stream and remixes it to its sink (measured: 8
 * channels into a stereo sink came out mixed into two; into an aux0..aux7
 * sink as silence), so on the pulseaudio driver the sink's layout is asked
 * first (libpulse introspection, dlopen): only a sink whose channel map is
 * SDL's (PulseAudio's WAVEEX map) is copied channel for channel, with no
 * remix and no LFE filter.  A refusal fails hal_sink_create with the reason
 * (a setup to fix); met on a reopen, it falls back to "dummy" with the
 * reason, as a missing device does.
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
#if __has_include(<pulse/pulseaudio.h>)
#include <pulse/pulseaudio.h>
#define HAVE_PULSE_INTROSPECT 1
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
	/* channels: base.channels are rendered; the device may have more
	 * (extra ones get silence, rendered through scratch) */
	uint32_t dev_channels; /* what the open device has (set before it runs) */
	float *scratch;        /* SDL_SINK_SCRATCH_FRAMES * base.channels floats */
	bool creating;         /* in sdl_open: a refused device fails the create */
	char refused[1024];    /* why the last device was refused ("" none) */
};

/* scratch: rendered in blocks of this many frames (a device period at most) */
#define SDL_SINK_SCRATCH_FRAMES 1024

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
static void __attribute__((format(printf, 5, 6)))
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

#ifdef HAVE_PULSE_INTROSPECT
/* libpulse, found with dlopen like libpulse-simple above */
#define PULSE_FNS(X)                                                                               \
	X(pa_mainloop_new)                                                                         \
	X(pa_mainloop_get_api)                                                                     \
	X(pa_mainloop_iterate)                                                                     \
	X(pa_mainloop_free)                                                                        \
	X(pa_context_new)                                                                          \
	X(pa_context_connect)                                                                      \
	X(pa_context_get_state)                                                                    \
	X(pa_context_disconnect)                                                                   \
	X(pa_context_unref)                                                                        \
	X(pa_context_get_server_info)                                                              \
	X(pa_context_get_sink_info_list)                                                           \
	X(pa_operation_get_state)                                                                  \
	X(pa_operation_unref)                                                                      \
	X(pa_channel_map_init_auto)                                                                \
	X(pa_channel_map_equal)                                                                    \
	X(pa_channel_map_snprint)
static struct {
#define PULSE_FN_PTR(f) __typeof__(f) *f;
	PULSE_FNS(PULSE_FN_PTR)
} pa;

struct sink_query {
	const char *want; /* a sink's name or description; NULL: the default */
	char default_name[256];
	bool found;
	pa_sample_spec spec;
	pa_channel_map map;
	char name[128];
};

static void
on_server(pa_context *c, const pa_server_info *i, void *u)
{
	struct sink_query *q = u;
	if (i && i->default_sink_name)
		snprintf(q->default_name, sizeof(q->default_name), "%s", i->default_sink_name);
}

static void
on_sink(pa_context *c, const pa_sink_info *i, int eol, void *u)
{
	struct sink_query *q = u;
	const char *want = q->want ? q->want : q->default_name;
	if (eol || !i || q->found)
		return;
	if (strcmp(i->name, want) == 0 ||
	    (q->want && i->description && strcmp(i->description, q->want) == 0)) {
		q->found = true;
		q->spec = i->sample_spec;
		q->map = i->channel_map;
		snprintf(q->name, sizeof(q->name), "%s", i->name);
	}
}

/* Runs the main loop until op is done; false if the connection failed. */
static bool
pulse_wait(pa_mainloop *ml, pa_context *ctx, pa_operation *op)
{
	if (!op)
		return false;
	while (pa.pa_operation_get_state(op) == PA_OPERATION_RUNNING)
		if (pa.pa_mainloop_iterate(ml, 1, NULL) < 0 ||
		    !PA_CONTEXT_IS_GOOD(pa.pa_context_get_state(ctx)))
			break;
	bool ok = pa.pa_operation_get_state(op) == PA_OPERATION_DONE;
	pa.pa_operation_unref(op);
	return ok;
}
#endif

/* SDL's pulseaudio driver opens a stream of any channel count with the
 * WAVEEX channel map (FL FR FC LFE RL RR SL SR for 8), and the server
 * remixes it to its sink's channels: 8 languages into a stereo sink come
 * out mixed into two, and a sink whose channel map differs (aux0..aux7)
 * gets silence (no position matches).  Only a sink with SDL's map is
 * played to as it is (copied channel for channel: no remix, no LFE
 * filter).  So before opening ch > 2 channels on pulseaudio, the sink
 * (name: a sink's name or description; NULL: the server's default) is
 * asked for its layout: M channels in SDL's map for M, M >= ch -> M (open
 * with M, the ones above ch silent); another layout -> -1 with the reason
 * in why; 0 when it cannot be asked (no libpulse, no server, no such sink:
 * SDL's open decides). */
static int
pulse_sink_channels(const char *name, uint32_t ch, char *why, size_t whylen)
{
#ifdef HAVE_PULSE_INTROSPECT
	static void *lib;
	static bool bad;
	struct sink_query q = {.want = name};
	int r = 0;

	if (!lib && !bad) {
		/* kept open for the life of the process */
		if (!(lib = dlopen("libpulse.so.0", RTLD_NOW | RTLD_LOCAL)))
			bad = true;
#define PULSE_FN_LOAD(f)                                                                           \
	if (lib && !(pa.f = (__typeof__(f) *)dlsym(lib, #f)))                                      \
		bad = true;
		PULSE_FNS(PULSE_FN_LOAD)
	}
	if (bad)
		return 0;
	pa_mainloop *ml = pa.pa_mainloop_new();
	pa_context *ctx = ml ? pa.pa_context_new(pa.pa_mainloop_get_api(ml), "guide") : NULL;
	if (!ctx || pa.pa_context_connect(ctx, NULL, PA_CONTEXT_NOAUTOSPAWN, NULL) < 0)
		goto out;
	for (;;) {
		pa_context_state_t st = pa.pa_context_get_state(ctx);
		if (st == PA_CONTEXT_READY)
			break;
		if (!PA_CONTEXT_IS_GOOD(st) || pa.pa_mainloop_iterate(ml, 1, NULL) < 0)
			goto out;
	}
	if (!name && !pulse_wait(ml, ctx, pa.pa_context_get_server_info(ctx, on_server, &q)))
		goto out;
	if (!pulse_wait(ml, ctx, pa.pa_context_get_sink_info_list(ctx, on_sink, &q)) || !q.found)
		goto out;
	pa_channel_map sdl;
	char has[PA_CHANNEL_MAP_SNPRINT_MAX], wants[PA_CHANNEL_MAP_SNPRINT_MAX];
	uint32_t m = q.spec.channels;
	pa.pa_channel_map_snprint(has, sizeof(has), &q.map);
	bool same = m <= 8 && pa.pa_channel_map_init_auto(&sdl, m, PA_CHANNEL_MAP_WAVEEX) &&
		    pa.pa_channel_map_equal(&sdl, &q.map);
	if (m >= ch && same) {
		r = (int)m;
	} else {
		pa.pa_channel_map_init_auto(&sdl, ch, PA_CHANNEL_MAP_WAVEEX);
		pa.pa_channel_map_snprint(wants, sizeof(wants), &sdl);
		snprintf(why, whylen,
			 "PulseAudio sink '%s' has %u channels (%s): %u discrete channels need a "
			 "sink of %u with channel_map=%s, or PulseAudio mixes them together "
			 "(refused; README: On the cart)",
			 q.name, m, has, ch, ch, wants);
		r = -1;
	}
out:
	if (ctx) {
		pa.pa_context_disconnect(ctx);
		pa.pa_context_unref(ctx);
	}
	if (ml)
		pa.pa_mainloop_free(ml);
	return r;
#else
	return 0;
#endif
}

/* SDL's audio thread. */
static void
sdl_callback(void *userdata, Uint8 *stream, int len)
{
	struct hal_sink *s = userdata;
	struct sink_sdl *d = userdata;
	uint32_t dch = d->dev_channels, ch = s->channels;
	uint32_t frames = (uint32_t)len / (sizeof(float) * dch);
	float *out = (float *)stream;

	if (dch == ch) {
		s->render(s->userdata, out, frames);
	} else { /* more device channels than rendered: the others silent */
		for (uint32_t done = 0; done < frames;) {
			uint32_t k = frames - done < SDL_SINK_SCRATCH_FRAMES
					     ? frames - done
					     : SDL_SINK_SCRATCH_FRAMES;
			s->render(s->userdata, d->scratch, k);
			for (uint32_t i = 0; i < k; i++, done++)
				for (uint32_t c = 0; c < dch; c++)
					out[done * dch + c] =
						c < ch ? d->scratch[i * ch + c] : 0.0f;
		}
	}
	__atomic_store_n(&s->frames, s->frames + frames, __ATOMIC_RELAXED);
}

/* Opens a device (NULL: the default one) of SDL's current driver, paused.
 * Above 2 channels, a device with fewer is refused (0, the reason in
 * d->refused and SDL_GetError()), never downmixed. */
static SDL_AudioDeviceID
try_open(struct sink_sdl *d, const char *name)
{
	SDL_AudioSpec want = {0}, have;
	uint32_t ch = d->base.channels;
	int flags = 0;
	const char *drv = SDL_GetCurrentAudioDriver();

	want.freq = HAL_AUDIO_RATE;
	want.format = AUDIO_F32SYS;
	want.channels = (Uint8)ch;
	want.samples = d->base.opts.buffer_frames <= 512 ? 512 : 1024;
	want.callback = sdl_callback;
	want.userdata = &d->base;
	d->refused[0] = '\0';
	if (ch > 2) {
		/* what the device has, not SDL's conversion (which would mix
		 * 8 channels into 6 or 2) */
		flags = SDL_AUDIO_ALLOW_CHANNELS_CHANGE;
		/* PulseAudio takes any stream and remixes it to its sink */
		if (drv && strcmp(drv, "pulseaudio") == 0) {
			int m = pulse_sink_channels(name, ch, d->refused, sizeof(d->refused));
			if (m < 0) {
				SDL_SetError("%s", d->refused);
				return 0;
			}
			if (m > 0)
				want.channels = (Uint8)m; /* the sink's own layout */
		}
	}
	SDL_AudioDeviceID dev = SDL_OpenAudioDevice(name, 0, &want, &have, flags);
	if (dev && have.channels < ch) {
		SDL_CloseAudioDevice(dev);
		snprintf(d->refused, sizeof(d->refused),
			 "device '%s' on '%s' has %d channels, %u discrete ones are needed "
			 "(refused: never mixed together)",
			 name ? name : "default", drv ? drv : "none", have.channels, ch);
		SDL_SetError("%s", d->refused);
		return 0;
	}
	if (dev) {
		d->base.buffer_frames = have.samples;
		d->dev_channels = have.channels;
	}
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
	if (d->creating && d->refused[0]) { /* a setup to fix, not a loose cable */
		snprintf(err, errlen, "sdl sink: %s", d->refused);
		return -EIO;
	}
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
	free(d->scratch);
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
	struct sink_sdl *d = calloc(1, sizeof(*d));
	int r;

	if (!d || (device && *device && !(d->device = strdup(device)))) {
		free(d);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* the callback may run as soon as the device is unpaused: set it now */
	hal_sink_base_init(&d->base, &hal_sink_sdl_impl, opts, render, userdata);
	d->dev_channels = d->base.channels;
	d->creating = true;
	if (d->base.channels > 2 &&
	    !(d->scratch =
		      calloc((size_t)SDL_SINK_SCRATCH_FRAMES * d->base.channels, sizeof(float)))) {
		free(d->device);
		free(d);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
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
	d->creating = false;
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
