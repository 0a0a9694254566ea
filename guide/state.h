/* What the daemon must remember across a crash or a power cut: the running
 * tour, its languages, whether it was paused, and which stops have played.
 * Written atomically (temp file, fsync, rename, fsync of the folder) on every
 * change; a truncated or garbled file falls back to a clean state with a
 * warning, never a refusal to start.
 *
 * The file is a small line-based text, easy to read on the cart:
 *     guide-state 1
 *     route 798-751
 *     tour loop
 *     state running
 *     langs zh,en
 *     played gate
 *     played bauhaus-hall
 *     log 3f0c...e1
 *     seq 1234
 * log and seq are the event log's (guide/events.h): its id and the seq of
 * the last line written when the state was saved, so that a restart goes on
 * numbering the same log even when the log's tail was lost.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUIDE_STATE_MAX_ID 64
#define GUIDE_STATE_MAX_PLAYED 512

enum guide_state_tour {
	GUIDE_STATE_IDLE,
	GUIDE_STATE_RUNNING,
	GUIDE_STATE_PAUSED,
};

struct guide_state {
	char route[GUIDE_STATE_MAX_ID];
	char tour[GUIDE_STATE_MAX_ID];
	enum guide_state_tour state;
	char langs[GUIDE_STATE_MAX_ID]; /* comma-separated, in play order */
	unsigned n_played;
	char played[GUIDE_STATE_MAX_PLAYED][GUIDE_STATE_MAX_ID];
	char log[GUIDE_STATE_MAX_ID]; /* the event log's id, "" none */
	uint64_t seq;                 /* its last seq when saved */
};

void guide_state_init(struct guide_state *st);
bool guide_state_has_played(const struct guide_state *st, const char *stop_id);
/* false when the list is full or the id too long */
bool guide_state_mark_played(struct guide_state *st, const char *stop_id);

/* 0 on success; -ENOENT when there is no file (clean state);
 * -EBADMSG when the file is damaged: *st is then clean and err says why. */
int guide_state_load(const char *path, struct guide_state *st, char *err, size_t errlen);
/* 0 or a negative errno; the old file stays intact on failure. */
int guide_state_save(const char *path, const struct guide_state *st);
