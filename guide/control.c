#define _GNU_SOURCE
#include "guide/control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct control_client {
	struct control_server *srv;
	struct control_client *next;
	int fd;
	bool dead;
	bool watching; /* gets control_server_broadcast()'s lines */
	char in[CONTROL_MAX_LINE + 1];
	size_t in_len;
	bool discarding; /* an over-long line is being thrown away */
	char *out;
	size_t out_len, out_cap, out_pos;
};

struct control_server {
	struct control_server_options opts;
	char *path;
	int listen_fd;
	int epoll_fd;
	struct control_client *clients;
	unsigned n_clients;
};

#define srv_log(srv, level, ...) hal_logf((srv)->opts.log, (srv)->opts.data, level, __VA_ARGS__)

static int
make_listener(const char *path, mode_t mode)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EADDRINUSE)
			goto fail;
		/* a stale socket from a crashed daemon, or a live one? */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool live = probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		if (probe >= 0)
			close(probe);
		if (live) {
			close(fd);
			return -EADDRINUSE;
		}
		unlink(path);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			goto fail;
	}
	if (chmod(path, mode) < 0)
		goto fail;
	if (listen(fd, SOMAXCONN) < 0)
		goto fail;
	return fd;
fail:
	r = -errno;
	close(fd);
	return r;
}

int
control_server_create(const struct control_server_options *opts, struct control_server **out)
{
	struct control_server *srv = calloc(1, sizeof(*srv));
	int r;

	if (!srv)
		return -ENOMEM;
	srv->opts = *opts;
	srv->listen_fd = -1;
	srv->epoll_fd = -1;
	srv->path = strdup(opts->path);
	if (!srv->path) {
		r = -ENOMEM;
		goto fail;
	}
	srv->listen_fd = make_listener(opts->path, opts->mode);
	if (srv->listen_fd < 0) {
		r = srv->listen_fd;
		goto fail;
	}
	srv->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (srv->epoll_fd < 0) {
		r = -errno;
		goto fail;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	if (epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, srv->listen_fd, &ev) < 0) {
		r = -errno;
		goto fail;
	}
	*out = srv;
	return 0;
fail:
	if (srv->listen_fd >= 0) {
		close(srv->listen_fd);
		unlink(srv->path);
	}
	if (srv->epoll_fd >= 0)
		close(srv->epoll_fd);
	free(srv->path);
	free(srv);
	return r;
}

static void
client_free(struct control_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	free(c);
}

void
control_server_destroy(struct control_server *srv)
{
	if (!srv)
		return;
	struct control_client *c = srv->clients;
	while (c) {
		struct control_client *next = c->next;
		client_free(c);
		c = next;
	}
	close(srv->listen_fd);
	close(srv->epoll_fd);
	unlink(srv->path);
	free(srv->path);
	free(srv);
}

int
control_server_get_fd(const struct control_server *srv)
{
	return srv->epoll_fd;
}

unsigned
control_server_client_count(const struct control_server *srv)
{
	return srv->n_clients;
}

static bool
peer_allowed(struct control_server *srv, int fd)
{
	if (!srv->opts.same_user_only)
		return true;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	return cred.uid == 0 || cred.uid == getuid();
}

static void
accept_clients(struct control_server *srv)
{
	for (;;) {
		int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				srv_log(srv, HAL_LOG_WARNING, "control: accept: %s",
					strerror(errno));
			return;
		}
		if (srv->n_clients >= CONTROL_MAX_CLIENTS || !peer_allowed(srv, fd)) {
			static const char busy[] = "{\"ok\":false,\"error\":\"refused\"}\n";
			ssize_t w = write(fd, busy, sizeof(busy) - 1);
			(void)w;
			close(fd);
			continue;
		}
		struct control_client *c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->srv = srv;
		c->fd = fd;
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		if (epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			client_free(c);
			continue;
		}
		c->next = srv->clients;
		srv->clients = c;
		srv->n_clients++;
	}
}

static void
client_flush(struct control_client *c)
{
	while (!c->dead && c->out_pos < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_pos, c->out_len - c->out_pos,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				c->dead = true;
			break;
		}
		c->out_pos += (size_t)n;
	}
	if (c->out_pos == c->out_len)
		c->out_pos = c->out_len = 0;
	if (c->dead)
		return;
	struct epoll_event ev = {
		.events = EPOLLIN | (c->out_len ? EPOLLOUT : 0),
		.data.ptr = c,
	};
	epoll_ctl(c->srv->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
}

void
control_reply(struct control_client *c, const char *json)
{
	size_t len = strlen(json);

	if (c->dead)
		return;
	if (c->out_len - c->out_pos + len + 1 > CONTROL_MAX_PENDING) {
		srv_log(c->srv, HAL_LOG_WARNING, "control: %s (%zu bytes queued); disconnecting",
			c->watching ? "a watcher does not read its events"
				    : "client does not read its replies",
			c->out_len - c->out_pos);
		c->dead = true;
		return;
	}
	if (c->out_pos > 0) {
		memmove(c->out, c->out + c->out_pos, c->out_len - c->out_pos);
		c->out_len -= c->out_pos;
		c->out_pos = 0;
	}
	if (c->out_len + len + 1 > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 1024;
		while (cap < c->out_len + len + 1)
			cap *= 2;
		char *p = realloc(c->out, cap);
		if (!p) {
			c->dead = true;
			return;
		}
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, json, len);
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
}

static void
run_line(struct control_client *c, char *line)
{
	char *argv[CONTROL_MAX_ARGS + 1];
	int argc = 0;
	char *save = NULL;

	for (char *tok = strtok_r(line, " \t\r", &save); tok;
	     tok = strtok_r(NULL, " \t\r", &save)) {
		if (argc == CONTROL_MAX_ARGS) {
			control_reply(c, "{\"ok\":false,\"error\":\"too many arguments\"}");
			return;
		}
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	if (argc == 0)
		return;
	c->srv->opts.handler(c->srv->opts.data, c, argc, argv);
}

/* The line splitter: complete lines go to the handler; a NUL byte or a line
 * longer than CONTROL_MAX_LINE gets an error and the rest of that line is
 * thrown away. */
static void
client_feed(struct control_client *c, const char *buf, size_t n)
{
	for (size_t i = 0; i < n && !c->dead; i++) {
		char ch = buf[i];
		if (ch == '\n') {
			if (c->discarding) {
				c->discarding = false;
			} else {
				c->in[c->in_len] = '\0';
				run_line(c, c->in);
			}
			c->in_len = 0;
		} else if (c->discarding) {
			continue;
		} else if (ch == '\0') {
			control_reply(c, "{\"ok\":false,\"error\":\"NUL byte in command\"}");
			c->discarding = true;
		} else if (c->in_len == CONTROL_MAX_LINE) {
			control_reply(c, "{\"ok\":false,\"error\":\"line too long\"}");
			c->discarding = true;
			c->in_len = 0;
		} else {
			c->in[c->in_len++] = ch;
		}
	}
}

static void
client_read(struct control_client *c)
{
	for (;;) {
		char buf[4096];
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0) {
			c->dead = true;
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				c->dead = true;
			return;
		}
		client_feed(c, buf, (size_t)n);
	}
}

static void
reap_dead(struct control_server *srv)
{
	struct control_client **pp = &srv->clients;
	while (*pp) {
		struct control_client *c = *pp;
		if (c->dead) {
			*pp = c->next;
			epoll_ctl(srv->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
			client_free(c);
			srv->n_clients--;
		} else {
			pp = &c->next;
		}
	}
}

void
control_server_dispatch(struct control_server *srv)
{
	struct epoll_event evs[32];
	int n = epoll_wait(srv->epoll_fd, evs, 32, 0);

	for (int i = 0; i < n; i++) {
		struct control_client *c = evs[i].data.ptr;
		if (!c) {
			accept_clients(srv);
			continue;
		}
		if (c->dead)
			continue;
		if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			client_read(c);
		client_flush(c);
	}
	/* replies queued by handlers for other clients (none today) and the
	 * results of this round */
	for (struct control_client *c = srv->clients; c; c = c->next)
		if (!c->dead && c->out_len)
			client_flush(c);
	reap_dead(srv);
}

void
control_client_watch(struct control_client *c)
{
	c->watching = true;
}

unsigned
control_server_watcher_count(const struct control_server *srv)
{
	unsigned n = 0;
	for (const struct control_client *c = srv->clients; c; c = c->next)
		n += c->watching && !c->dead;
	return n;
}

void
control_server_broadcast(struct control_server *srv, const char *line)
{
	for (struct control_client *c = srv->clients; c; c = c->next) {
		if (!c->watching || c->dead)
			continue;
		control_reply(c, line);
		if (c->fd < 0)
			continue;
		/* send what the socket takes now; the rest waits for EPOLLOUT */
		if (!c->dead)
			client_flush(c);
		/* dropped: the peer sees the end now, and so does our epoll set,
		 * whose next dispatch frees it (not here: a handler's broadcast
		 * runs while the dispatch holds pointers to its clients) */
		if (c->dead)
			shutdown(c->fd, SHUT_RDWR);
	}
}

/* ---- without a socket ---------------------------------------------------- */

struct control_client *
control_client_create_detached(const struct control_server_options *opts)
{
	struct control_server *srv = calloc(1, sizeof(*srv));
	struct control_client *c = calloc(1, sizeof(*c));
	if (!srv || !c) {
		free(srv);
		free(c);
		return NULL;
	}
	srv->opts = *opts;
	srv->listen_fd = srv->epoll_fd = -1;
	srv->clients = c;
	srv->n_clients = 1;
	c->srv = srv;
	c->fd = -1;
	return c;
}

bool
control_client_feed(struct control_client *c, const char *data, size_t len)
{
	client_feed(c, data, len);
	return !c->dead;
}

const char *
control_client_take_replies(struct control_client *c, size_t *len)
{
	*len = c->out_len - c->out_pos;
	const char *p = c->out ? c->out + c->out_pos : "";
	/* taken: the next reply starts a fresh queue */
	c->out_pos = c->out_len = 0;
	return p;
}

void
control_client_destroy_detached(struct control_client *c)
{
	if (!c)
		return;
	free(c->srv);
	client_free(c);
}

static int64_t
mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
control_request(const char *path, const char *line, int timeout_ms, char **reply)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, r = 0;
	char *buf = NULL;
	size_t len = 0, cap = 0;

	*reply = NULL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto out;
	}
	size_t ll = strlen(line);
	char *msg = malloc(ll + 2);
	if (!msg) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(msg, line, ll);
	msg[ll] = '\n';
	msg[ll + 1] = '\0';
	size_t off = 0;
	while (off < ll + 1) {
		ssize_t n = send(fd, msg + off, ll + 1 - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* a daemon that refuses us writes why and closes at once:
			 * read its answer rather than report a broken pipe */
			if (errno == EPIPE || errno == ECONNRESET)
				break;
			r = -errno;
			free(msg);
			goto out;
		}
		off += (size_t)n;
	}
	free(msg);
	int64_t deadline = mono_ms() + timeout_ms;
	for (;;) {
		int64_t left = deadline - mono_ms();
		if (left <= 0) {
			r = -ETIMEDOUT;
			goto out;
		}
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			r = pr < 0 ? -errno : -ETIMEDOUT;
			goto out;
		}
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *p = realloc(buf, cap);
			if (!p) {
				r = -ENOMEM;
				goto out;
			}
			buf = p;
		}
		ssize_t n = recv(fd, buf + len, 4096, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (n == 0) {
			r = -ECONNRESET;
			goto out;
		}
		len += (size_t)n;
		char *nl = memchr(buf, '\n', len);
		if (nl) {
			*nl = '\0';
			*reply = buf;
			buf = NULL;
			goto out;
		}
	}
out:
	free(buf);
	close(fd);
	return r;
}

int
control_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}
