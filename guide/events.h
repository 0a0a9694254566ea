/* The event log (DESIGN.md "Event log contract"): JSON Lines, one object a
 * line, each with "time" (ISO-8601 UTC, millisecond precision, of the GPS or
 * virtual clock handed in, never read here) and "event".
 *
 * A line's time is never earlier than the line before it: a caller's clock
 * that steps back is held at the last time written.  Lines are formed with
 * json-c, the one JSON writer of the guide.
 *
 * Event numbering (DESIGN.md): every line carries "seq", 1 for the first
 * line of a log and +1 per line; a log begins with
 * {"event":"log_open","log":ID} (events_log_open()).  A program that appends
 * to an existing log after a restart reads where it ended
 * (events_file_scan()) and continues it (events_continue()): the same log
 * id, seq on from the last one, time not before the last line's.
 *
 * The writer hands each finished line (with its '\n') to a sink callback;
 * events_create_file() and events_create_memory() are the two usual sinks.
 * Main thread only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct events;

/* Receives one complete line, ending in '\n'. */
typedef void (*events_sink_fn)(void *ctx, const char *line, size_t len);

struct events *events_create(events_sink_fn sink, void *ctx);
/* Lines go to f (flushed after each line); f stays the caller's. */
struct events *events_create_file(FILE *f);
/* Lines accumulate in memory; read them with events_buffer(). */
struct events *events_create_memory(void);
void events_destroy(struct events *ev);
/* The accumulated text of a memory log ("" for other sinks). */
const char *events_buffer(const struct events *ev);
/* Lines written so far. */
unsigned long events_count(const struct events *ev);
/* The seq of the last line written (or continued from); 0 before any. */
uint64_t events_seq(const struct events *ev);
/* The next line gets seq + 1 and a time not before last_ms (< 0: any). */
void events_continue(struct events *ev, uint64_t seq, int64_t last_ms);

/* A log id: 32 lowercase hex digits (128 random bits from getrandom()). */
#define EVENTS_LOG_ID_SIZE 64 /* with the NUL; ids read from a file may be longer than ours */
int events_new_log_id(char id[EVENTS_LOG_ID_SIZE]);
/* The first line of a log: {"time":..,"event":"log_open","seq":..,"log":id}. */
void events_log_open(struct events *ev, int64_t t, const char *id);

/* Where an existing log file ended, for continuing it. */
struct events_file_end {
	bool empty;                   /* no bytes at all */
	bool torn;                    /* the last line lacks its '\n' (a power cut) */
	char log[EVENTS_LOG_ID_SIZE]; /* the id of its log_open first line, or "" */
	uint64_t last_seq;            /* of the last complete line with one, or 0 */
	int64_t last_ms;              /* its time, or -1 */
};
/* Reads the first line and the last complete lines of the regular file fd
 * (position unchanged: pread).  0 or a negative errno. */
int events_file_scan(int fd, struct events_file_end *end);
/* Parses "YYYY-MM-DDTHH:MM:SS[.mmm]Z"; -1 when it is not such a time. */
int64_t events_parse_time(const char *text);

/* Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" (25 bytes with the NUL) into buf. */
void events_format_time(int64_t time_ms, char buf[32]);

/* The contract's events. lat/lon in WGS-84 degrees. */
void events_tour_start(struct events *ev, int64_t t, const char *tour, const char *const *langs,
		       unsigned n_langs);
void events_tour_end(struct events *ev, int64_t t, const char *tour, const char *reason);
void events_gps_fix(struct events *ev, int64_t t, double lat, double lon);
void events_gps_lost(struct events *ev, int64_t t);
void events_zone_enter(struct events *ev, int64_t t, const char *poi);
void events_zone_exit(struct events *ev, int64_t t, const char *poi);
void events_clip_start(struct events *ev, int64_t t, const char *poi, const char *clip,
		       const char *lang, double lat, double lon);
/* clip_start in channels mode: plus "channels", the outputs (1-based) of
 * the clip's language, from a mask (bit c: channel c + 1). */
void events_clip_start_channels(struct events *ev, int64_t t, const char *poi, const char *clip,
				const char *lang, double lat, double lon, unsigned channels);
void events_clip_end(struct events *ev, int64_t t, const char *poi, const char *clip,
		     const char *lang, bool completed);
void events_clip_skip(struct events *ev, int64_t t, const char *poi, const char *reason);
void events_error(struct events *ev, int64_t t, const char *message);

/* Extra events of the trigger engine and tour state machine. */
void events_fix_rejected(struct events *ev, int64_t t, double lat, double lon, const char *reason);
void events_off_path(struct events *ev, int64_t t, double cross_m);
void events_on_path(struct events *ev, int64_t t, double along_m);
void events_tour_state(struct events *ev, int64_t t, const char *tour, const char *state);
void events_volume(struct events *ev, int64_t t, double volume);
void events_lang(struct events *ev, int64_t t, const char *const *langs, unsigned n_langs);

/* Low level: a free-form event.  After the name come triples terminated by
 * a NULL key: key (const char *), type (int: 's' string, 'c' coordinate
 * double printed %.7f, 'd' double %.6g, 'i' long long, 'b' bool as int,
 * 'S' string list as const char *const * then unsigned, 'M' a channel mask
 * (unsigned, bit c) as the list of channels c + 1), value(s).
 * NaN and infinite doubles and NULL strings are written as null.  Keys
 * appear in the order given. */
void events_emit(struct events *ev, int64_t t, const char *event, ...);
