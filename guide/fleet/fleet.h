/* guide-fleet: the cart's link to the depot over MQTT (DESIGN.md "Fleet
 * over MQTT", guide/fleet/README.md).  It reads guided's event log itself,
 * keeps its place in --spool DIR, spools what it read until the broker
 * acknowledges it, publishes the status and runs the depot's commands on
 * guided's control socket.  Single-threaded; main thread only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FLEET_MAX_LINE (16 * 1024) /* an event line longer than this is skipped */
#define FLEET_MAX_CMD 4096         /* a command message longer than this is refused */
#define FLEET_INFLIGHT 20          /* QoS 1 messages on the wire unacknowledged */
#define FLEET_STATUS_POLL_MS 2000  /* how often guided's status is asked */
#define FLEET_STATUS_MIN_MS 10000  /* the state topic at most this often */
#define FLEET_FIX_MIN_MS 5000      /* gps_fix thinning: one per 5 s when moving ... */
#define FLEET_FIX_MIN_M 50.0       /* ... or per 50 m moved ... */
#define FLEET_FIX_PARKED_M 10.0    /* ... (less than this is not moving) ... */
#define FLEET_FIX_PARKED_MS 60000  /* ... and one a minute when parked */
#define FLEET_ID_SIZE 64
#define FLEET_SEEN_IDS 32 /* command ids remembered (a redelivery runs once) */

struct fleet_options {
	const char *events, *control, *broker, *fleet, *cart, *spool, *routes;
	const char *ca, *credentials;
	uint64_t spool_max; /* bytes */
	/* parsed from broker */
	char host[256];
	int port;
	bool tls;
};

/* ---- the event log, read where it was left (fleet_tail.c) ---- */

/* Where the reader is; persisted in the spool folder's state file. */
struct fleet_tail_pos {
	uint64_t dev, ino;
	uint64_t offset;         /* of the first byte not yet taken */
	char log[FLEET_ID_SIZE]; /* the id of the file's log_open line, or "" */
};

struct fleet_tail;
/* Called for each complete line (without its '\n'); log is the file's log id. */
typedef void (*fleet_line_fn)(void *ctx, const char *line, size_t len, const char *log);

struct fleet_tail *fleet_tail_create(const char *path, const struct fleet_tail_pos *pos);
void fleet_tail_destroy(struct fleet_tail *t);
/* Reads up to max_lines new complete lines; follows a rotation (the
 * renamed file is finished first), a truncation and a replaced file.
 * Returns the number of lines handed to fn. */
unsigned fleet_tail_poll(struct fleet_tail *t, fleet_line_fn fn, void *ctx, unsigned max_lines);
void fleet_tail_get_pos(const struct fleet_tail *t, struct fleet_tail_pos *pos);

/* ---- the spool: lines read but not yet acknowledged (fleet_spool.c) ---- */

struct fleet_spool;
/* Opens DIR/spool.GEN.jsonl keeping [head, size) of it (the persisted
 * values) and removes other generations' files. */
int fleet_spool_open(const char *dir, unsigned gen, uint64_t max, uint64_t size, uint64_t head,
		     struct fleet_spool **out);
void fleet_spool_destroy(struct fleet_spool *s);
int fleet_spool_append(struct fleet_spool *s, const char *line, size_t len);
/* Bytes not yet handed to the broker. */
uint64_t fleet_spool_unsent(const struct fleet_spool *s);
/* The next line to send (without '\n') into buf; 0 when none; *end its end. */
size_t fleet_spool_peek(struct fleet_spool *s, char *buf, size_t cap, uint64_t *end);
/* The line up to end is handed to the broker with message id mid. */
void fleet_spool_sent(struct fleet_spool *s, int mid, uint64_t end);
/* The broker acknowledged mid. */
void fleet_spool_acked(struct fleet_spool *s, int mid);
unsigned fleet_spool_inflight(const struct fleet_spool *s);
/* While the unsent bytes exceed the bound, drops the oldest unsent lines;
 * returns how many, and calls fn on each (to learn their seqs). */
unsigned fleet_spool_trim(struct fleet_spool *s,
			  void (*fn)(void *ctx, const char *line, size_t len), void *ctx);
/* Reclaims the acknowledged front of the file into a new generation;
 * returns 1 when it did: persist the state, then fleet_spool_forget_old(). */
int fleet_spool_compact(struct fleet_spool *s);
void fleet_spool_forget_old(struct fleet_spool *s);
void fleet_spool_get(const struct fleet_spool *s, unsigned *gen, uint64_t *size, uint64_t *head);
int fleet_spool_sync(struct fleet_spool *s);

/* ---- the agent (fleet.c) ---- */

int fleet_parse_broker(struct fleet_options *o);
/* Runs until SIGTERM/SIGINT; returns the exit status. */
int fleet_run(struct fleet_options *o);
