/* The watch connection: a reader thread that keeps one connection to
 * guided's control socket, sends "watch" and turns every reply line into an
 * SDL user event, so that the main loop sleeps in SDL_WaitEvent until
 * something changes (no polling).  Reconnects with a backoff. */
#define _GNU_SOURCE /* pipe2 */
#include "guide/control.h"
#include "guide/panel/panel.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct panel_net {
	char *path;
	uint32_t sdl_event;
	SDL_Thread *thread;
	int wake[2]; /* main -> reader: quit, or a line to send */
	atomic_bool quit;
	SDL_mutex *lock; /* guards outbox */
	char outbox[256];
};

uint64_t
panel_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
panel_line_free(struct panel_line *l)
{
	free(l);
}

static void
push(struct panel_net *n, int code, void *data1)
{
	SDL_Event e = {0};
	e.type = n->sdl_event;
	e.user.code = code;
	e.user.data1 = data1;
	if (SDL_PushEvent(&e) != 1 && code == PANEL_NET_LINE)
		free(data1);
}

static bool
send_all(int fd, const char *s)
{
	size_t len = strlen(s);
	while (len > 0) {
		ssize_t w = send(fd, s, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		s += w;
		len -= (size_t)w;
	}
	return true;
}

/* Sleeps ms or until woken to quit; false when quitting. */
static bool
nap(struct panel_net *n, int ms)
{
	struct pollfd p = {.fd = n->wake[0], .events = POLLIN};
	uint64_t end = panel_now_ns() + (uint64_t)ms * 1000000u;
	while (!atomic_load(&n->quit)) {
		uint64_t now = panel_now_ns();
		if (now >= end)
			return true;
		if (poll(&p, 1, (int)((end - now) / 1000000u) + 1) > 0) {
			char buf[64];
			(void)!read(n->wake[0], buf, sizeof(buf));
		}
	}
	return false;
}

/* Reads lines from fd until it closes or we quit. */
static void
serve(struct panel_net *n, int fd)
{
	size_t cap = 64 * 1024, len = 0;
	char *buf = malloc(cap);
	if (!buf)
		return;
	while (!atomic_load(&n->quit)) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
				      {.fd = n->wake[0], .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents) {
			char tmp[64];
			(void)!read(n->wake[0], tmp, sizeof(tmp));
			char line[sizeof(n->outbox)];
			SDL_LockMutex(n->lock);
			snprintf(line, sizeof(line), "%s", n->outbox);
			n->outbox[0] = 0;
			SDL_UnlockMutex(n->lock);
			if (line[0] && !send_all(fd, line))
				break;
		}
		if (!p[0].revents)
			continue;
		if (len + 4096 > cap) {
			if (cap >= 16u << 20) { /* a line this long is not ours */
				len = 0;
			} else {
				char *nb = realloc(buf, cap * 2);
				if (!nb)
					break;
				buf = nb;
				cap *= 2;
			}
		}
		ssize_t r = recv(fd, buf + len, cap - len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		uint64_t t = panel_now_ns();
		len += (size_t)r;
		char *start = buf, *nl;
		while ((nl = memchr(start, '\n', (size_t)(buf + len - start)))) {
			size_t l = (size_t)(nl - start);
			struct panel_line *pl = malloc(sizeof(*pl) + l + 1);
			if (pl) {
				pl->arrived_ns = t;
				memcpy(pl->text, start, l);
				pl->text[l] = 0;
				push(n, PANEL_NET_LINE, pl);
			}
			start = nl + 1;
		}
		len -= (size_t)(start - buf);
		memmove(buf, start, len);
	}
	free(buf);
}

static int
reader(void *data)
{
	struct panel_net *n = data;
	int backoff = 200;
	while (!atomic_load(&n->quit)) {
		int fd = control_connect(n->path);
		if (fd >= 0 && send_all(fd, "watch\n")) {
			backoff = 200;
			push(n, PANEL_NET_UP, NULL);
			serve(n, fd);
			close(fd);
			if (atomic_load(&n->quit))
				break;
		} else if (fd >= 0) {
			close(fd);
		}
		push(n, PANEL_NET_DOWN, (void *)(intptr_t)backoff);
		if (!nap(n, backoff))
			break;
		backoff = backoff * 2 > 2000 ? 2000 : backoff * 2;
	}
	return 0;
}

struct panel_net *
panel_net_create(const char *path, uint32_t sdl_event)
{
	struct panel_net *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->path = strdup(path);
	n->sdl_event = sdl_event;
	n->lock = SDL_CreateMutex();
	if (!n->path || !n->lock || pipe2(n->wake, O_CLOEXEC | O_NONBLOCK) < 0)
		goto fail;
	n->thread = SDL_CreateThread(reader, "panel-net", n);
	if (!n->thread)
		goto fail;
	return n;
fail:
	free(n->path);
	if (n->lock)
		SDL_DestroyMutex(n->lock);
	free(n);
	return NULL;
}

void
panel_net_send(struct panel_net *n, const char *line)
{
	SDL_LockMutex(n->lock);
	snprintf(n->outbox, sizeof(n->outbox), "%s\n", line);
	SDL_UnlockMutex(n->lock);
	(void)!write(n->wake[1], "s", 1);
}

void
panel_net_destroy(struct panel_net *n)
{
	if (!n)
		return;
	atomic_store(&n->quit, true);
	(void)!write(n->wake[1], "q", 1);
	SDL_WaitThread(n->thread, NULL);
	/* lines the reader queued that the loop never took (a --screenshot
	 * exits as soon as it has drawn): they are ours to free */
	SDL_Event e;
	while (SDL_PeepEvents(&e, 1, SDL_GETEVENT, n->sdl_event, n->sdl_event) > 0)
		if (e.user.code == PANEL_NET_LINE)
			panel_line_free(e.user.data1);
	close(n->wake[0]);
	close(n->wake[1]);
	SDL_DestroyMutex(n->lock);
	free(n->path);
	free(n);
}

json_object *
panel_net_command(const char *path, const char *line)
{
	char *reply = NULL;
	if (control_request(path, line, 2000, &reply) < 0)
		return NULL;
	json_object *o = json_tokener_parse(reply);
	free(reply);
	return o;
}
