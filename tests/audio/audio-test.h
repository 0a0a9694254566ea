/* Helpers for the audio tests: data paths, an independent reference decode
 * straight through libopusfile, and event collection. */
#pragma once

#include "audio/mixer.h"
#include "config.h"

#include <opusfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A file of tests/audio/data; the result stays valid for 8 calls. */
static inline const char *
data_path(const char *name)
{
	static char buf[8][1024];
	static int k;
	const char *root = getenv("GUIDE_SOURCE_ROOT");
	char *p = buf[k++ & 7];
	snprintf(p, 1024, "%s/tests/audio/data/%s", root ? root : GUIDE_SOURCE_ROOT, name);
	return p;
}

/* Whole clip as interleaved stereo float (mono duplicated), via libopusfile
 * directly (not through audio/clip.c). */
struct ref {
	float *s;
	long frames;
};

static inline struct ref
ref_decode(const char *name)
{
	struct ref r = {0};
	int e;
	OggOpusFile *of = op_open_file(data_path(name), &e);
	if (!of) {
		fprintf(stderr, "cannot decode reference %s\n", name);
		exit(99);
	}
	long total = (long)op_pcm_total(of, -1);
	int ch = op_channel_count(of, -1);
	float *tmp = malloc(sizeof(float) * (size_t)(total * ch + 11520));
	r.s = calloc((size_t)total * 2 + 2, sizeof(float));
	long got = 0;
	int n;
	while ((n = op_read_float(of, tmp + got * ch, (int)((total - got) * ch + 11520), NULL)) > 0)
		got += n;
	for (long i = 0; i < got && i < total; i++) {
		r.s[2 * i] = tmp[i * ch];
		r.s[2 * i + 1] = tmp[i * ch + (ch > 1)];
	}
	r.frames = total;
	free(tmp);
	op_free(of);
	return r;
}

#define MAX_EVENTS 256
struct evlog {
	struct mixer_event ev[MAX_EVENTS];
	int n;
};

static inline void
drain(struct mixer *m, struct evlog *log)
{
	struct mixer_event e;
	while (mixer_next_event(m, &e))
		if (log->n < MAX_EVENTS)
			log->ev[log->n++] = e;
}

/* Index of the first event of type for handle at or after *from; -1 if none. */
static inline const struct mixer_event *
find_event(const struct evlog *log, enum mixer_event_type type, mixer_handle h)
{
	for (int i = 0; i < log->n; i++)
		if (log->ev[i].type == type && log->ev[i].handle == h)
			return &log->ev[i];
	return NULL;
}

static inline void
dump_events(const struct evlog *log)
{
	for (int i = 0; i < log->n; i++)
		fprintf(stderr, "  ev %s %s h=%d frame=%llu clip=%lld reason=%s\n",
			mixer_event_type_to_str(log->ev[i].type),
			mixer_kind_to_str(log->ev[i].kind), log->ev[i].handle,
			(unsigned long long)log->ev[i].frame, (long long)log->ev[i].clip_frame,
			log->ev[i].reason);
}
