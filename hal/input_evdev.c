/* evdev:/dev/input/PATH -- a USB keypad or footswitch through libevdev.
 *
 * The device is grabbed (EVIOCGRAB) so that a console or a desktop on the
 * same board does not also see the keys.  When it cannot be opened (not
 * plugged in, no permission) or goes away (ENODEV), it is closed and opened
 * again with backoff on the options' clock; that is said once when it goes
 * and once when it comes back, not at every retry. */
#define _GNU_SOURCE
#include "hal/input_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libevdev/libevdev.h>

struct hal_input_evdev {
	struct hal_input base; /* first */
	char *path;
	int fd;
	struct libevdev *dev;
	bool sync; /* after SYN_DROPPED: read the sync events first */
	bool said_gone;
	int64_t retry_at; /* clock; -1 while open */
	int backoff_ms;
};

static void
evdev_disconnect(struct hal_input_evdev *e)
{
	libevdev_free(e->dev);
	e->dev = NULL;
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
	e->sync = false;
}

static void
schedule_retry(struct hal_input_evdev *e)
{
	e->retry_at = hal_input_now_ms(&e->base) + e->backoff_ms;
	e->backoff_ms *= 2;
	if (e->backoff_ms > e->base.opts.reconnect_max_ms)
		e->backoff_ms = e->base.opts.reconnect_max_ms;
}

/* 0, or a negative errno (the caller retries later). */
static int
evdev_connect(struct hal_input_evdev *e)
{
	int fd = open(e->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct libevdev *dev = NULL;
	int r = libevdev_new_from_fd(fd, &dev);
	if (r < 0) {
		close(fd);
		return r;
	}
	if (!libevdev_has_event_type(dev, EV_KEY)) {
		libevdev_free(dev);
		close(fd);
		return -ENOTTY;
	}
	/* a keypad shared with a console would type into it as well */
	if ((r = libevdev_grab(dev, LIBEVDEV_GRAB)) < 0)
		hal_input_logf(&e->base.opts, HAL_LOG_WARNING,
			       "evdev %s: cannot grab the device (%s): other programs see its "
			       "keys too",
			       e->path, strerror(-r));
	/* keys held while it opens were pressed before: their release is
	 * not passed on, nor is a press repeated */
	for (int code = 0; code <= HAL_INPUT_KEY_MAX; code++)
		if (libevdev_has_event_code(dev, EV_KEY, (unsigned)code) &&
		    libevdev_get_event_value(dev, EV_KEY, (unsigned)code) == 1)
			hal_input_mark_down(&e->base, code);
	e->fd = fd;
	e->dev = dev;
	e->retry_at = -1;
	e->backoff_ms = e->base.opts.reconnect_min_ms;
	const char *name = libevdev_get_name(dev);
	if (e->said_gone)
		hal_input_logf(&e->base.opts, HAL_LOG_NOTICE, "evdev %s: back (%s)", e->path,
			       name ? name : "?");
	else
		hal_input_logf(&e->base.opts, HAL_LOG_INFO, "evdev %s: %s", e->path,
			       name ? name : "?");
	e->said_gone = false;
	return 0;
}

static void
say_gone(struct hal_input_evdev *e, int err, const char *what)
{
	if (e->said_gone)
		return;
	e->said_gone = true;
	hal_input_logf(&e->base.opts, HAL_LOG_WARNING, "evdev %s: %s (%s); trying again", e->path,
		       what, strerror(-err));
}

static int
evdev_read(struct hal_input *in, struct hal_input_key *key)
{
	struct hal_input_evdev *e = (struct hal_input_evdev *)in;

	if (!e->dev) {
		if (hal_input_now_ms(in) < e->retry_at)
			return HAL_INPUT_NONE;
		int r = evdev_connect(e);
		if (r < 0) {
			say_gone(e, r, "cannot open");
			schedule_retry(e);
			return HAL_INPUT_NONE;
		}
	}
	for (;;) {
		struct input_event ev;
		int r = libevdev_next_event(
			e->dev, e->sync ? LIBEVDEV_READ_FLAG_SYNC : LIBEVDEV_READ_FLAG_NORMAL, &ev);
		if (r == -EAGAIN) {
			if (e->sync) { /* synced: back to the normal stream */
				e->sync = false;
				continue;
			}
			return HAL_INPUT_NONE;
		}
		if (r < 0) { /* -ENODEV: unplugged; anything else: as good as */
			say_gone(e, r, "removed");
			evdev_disconnect(e);
			e->backoff_ms = e->base.opts.reconnect_min_ms;
			schedule_retry(e);
			return -ENODEV;
		}
		if (r == LIBEVDEV_READ_STATUS_SYNC && !e->sync) {
			/* the kernel's buffer overflowed: the sync events that
			 * follow bring the keys' state up to date */
			e->sync = true;
			continue;
		}
		if (ev.type != EV_KEY)
			continue;
		*key = (struct hal_input_key){.code = ev.code, .value = ev.value, .time_ms = -1};
		return HAL_INPUT_KEY;
	}
}

static int
evdev_get_fd(struct hal_input *in)
{
	return ((struct hal_input_evdev *)in)->fd;
}

static int64_t
evdev_next_wakeup(struct hal_input *in)
{
	struct hal_input_evdev *e = (struct hal_input_evdev *)in;
	return e->dev ? -1 : e->retry_at;
}

static bool
evdev_connected(const struct hal_input *in)
{
	return ((const struct hal_input_evdev *)in)->dev != NULL;
}

static void
evdev_close(struct hal_input *in)
{
	struct hal_input_evdev *e = (struct hal_input_evdev *)in;
	if (e->dev)
		libevdev_grab(e->dev, LIBEVDEV_UNGRAB);
	evdev_disconnect(e);
	free(e->path);
	free(e);
}

static int
evdev_open(const char *arg, const struct hal_input_options *opts, struct hal_input **out)
{
	if (!arg || !*arg) {
		hal_input_logf(opts, HAL_LOG_ERR, "evdev: needs a device (evdev:/dev/input/...)");
		return -EINVAL;
	}
	struct hal_input_evdev *e = calloc(1, sizeof(*e));
	if (!e || !(e->path = strdup(arg))) {
		free(e);
		return -ENOMEM;
	}
	hal_input_base_init(&e->base, &hal_input_evdev_impl, opts);
	e->fd = -1;
	e->backoff_ms = e->base.opts.reconnect_min_ms;
	int r = evdev_connect(e);
	if (r < 0) { /* not plugged in yet: the keypad may come later */
		say_gone(e, r, "cannot open");
		schedule_retry(e);
	}
	*out = &e->base;
	return 0;
}

const struct hal_input_impl hal_input_evdev_impl = {
	.scheme = {"evdev", "evdev:/dev/input/..."},
	.open = evdev_open,
	.read = evdev_read,
	.close = evdev_close,
	.get_fd = evdev_get_fd,
	.next_wakeup_ms = evdev_next_wakeup,
	.connected = evdev_connected,
};
