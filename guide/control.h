/* The driver's control socket: a Unix-domain stream socket speaking one
 * command per line ("start loop --lang zh,en\n") and answering one JSON
 * object per line.  Main thread only.
 *
 * The server hands the main loop a single file descriptor (an epoll set of
 * the listening socket and every client) to poll; control_server_dispatch()
 * then does all the non-blocking work that is ready.  Lines are bounded
 * (CONTROL_MAX_LINE); a longer line is answered with an error and the rest
 * of it is thrown away up to its newline (the next line is served); a
 * client that does not read its replies is disconnected
 * once CONTROL_MAX_PENDING bytes are queued for it, so no client can stall
 * the loop or grow our memory.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "hal/log.h"

/* Where guided listens and guidectl connects unless told otherwise (systemd's
 * RuntimeDirectory=guide makes the folder). */
#define CONTROL_DEFAULT_PATH "/run/guide/control"

#define CONTROL_MAX_LINE 1024
#define CONTROL_MAX_ARGS 16
#define CONTROL_MAX_PENDING (256 * 1024)
#define CONTROL_MAX_CLIENTS 256

struct control_server;
struct control_client;

/* Called once per complete line, split on blanks (argv[argc] == NULL).
 * The handler answers with control_reply() before returning. */
typedef void (*control_handler_fn)(void *data, struct control_client *client, int argc,
				   char **argv);

struct control_server_options {
	const char *path;    /* socket path; its folder must exist */
	mode_t mode;         /* e.g. 0660 */
	bool same_user_only; /* refuse peers whose uid is neither ours nor root */
	control_handler_fn handler;
	hal_log_fn log; /* may be NULL */
	void *data;
};

/* Returns 0 or a negative errno (socket path in use by a live daemon: -EADDRINUSE). */
int control_server_create(const struct control_server_options *opts, struct control_server **out);
void control_server_destroy(struct control_server *srv);
int control_server_get_fd(const struct control_server *srv);
/* Accepts, reads, runs complete lines, flushes replies; never blocks. */
void control_server_dispatch(struct control_server *srv);
unsigned control_server_client_count(const struct control_server *srv);

/* Queues one reply line (a newline is appended).  A client whose queue
 * would exceed CONTROL_MAX_PENDING is dropped. */
void control_reply(struct control_client *client, const char *json);

/* Live events (the `watch` command): the client gets every line
 * control_server_broadcast() sends from now on, until it leaves.  A watcher
 * that does not read is dropped like any client, once CONTROL_MAX_PENDING
 * bytes are queued for it; broadcasting never blocks. */
void control_client_watch(struct control_client *client);
unsigned control_server_watcher_count(const struct control_server *srv);
/* Queues json (a newline is appended) to every watcher and sends what each
 * socket takes at once. */
void control_server_broadcast(struct control_server *srv, const char *json);

/* Without a socket (tests, fuzzing): a client fed bytes directly runs the
 * same line splitter, limits and handler as a connected one; what the
 * handler answers is kept for the caller.  opts->path, mode and
 * same_user_only are not used. */
struct control_client *control_client_create_detached(const struct control_server_options *opts);
/* Runs len bytes through the client as if received from its socket.
 * Returns false once the client would have been disconnected. */
bool control_client_feed(struct control_client *c, const char *data, size_t len);
/* The replies queued since the last call (newline-terminated lines, not
 * NUL-terminated), *len bytes; valid until the next feed or destroy. */
const char *control_client_take_replies(struct control_client *c, size_t *len);
void control_client_destroy_detached(struct control_client *c);

/* Client side (guidectl): connect, send one line, read one reply line.
 * Returns 0, -ENOENT/-ECONNREFUSED when no daemon listens, or another
 * negative errno.  *reply is malloc'd. */
int control_request(const char *path, const char *line, int timeout_ms, char **reply);
/* Client side: a connected (blocking) socket, or -ENOENT/-ECONNREFUSED when
 * no daemon listens, or another negative errno (guidectl watch). */
int control_connect(const char *path);
