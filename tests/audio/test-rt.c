/* The render path allocates nothing and takes no lock.
 *
 * The test binary is linked with --wrap for the allocator, the locking and
 * the I/O entry points, so every call from our code (the test and the audio
 * library linked into it) goes through a counter.  The counters count only
 * on the thread that renders and only while armed around mixer_render, so
 * the decoder thread's own decoding does not show up.  This works in the
 * ASan build too: ASan interposes the real symbols at run time, --wrap
 * renames our references at link time, __real_* reaches ASan's versions.
 */
#include "audio-test.h"
#include "tests/test.h"

#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <unistd.h>

static _Thread_local int armed;
static _Thread_local long n_alloc, n_lock, n_io;

#define WRAP(ret, name, params, args, counter)                                                     \
	ret __real_##name params;                                                                  \
	ret __wrap_##name params;                                                                  \
	ret __wrap_##name params                                                                   \
	{                                                                                          \
		if (armed)                                                                         \
			counter++;                                                                 \
		return __real_##name args;                                                         \
	}

WRAP(void *, malloc, (size_t n), (n), n_alloc)
WRAP(void *, calloc, (size_t a, size_t b), (a, b), n_alloc)
WRAP(void *, realloc, (void *p, size_t n), (p, n), n_alloc)
WRAP(void *, aligned_alloc, (size_t a, size_t n), (a, n), n_alloc)
WRAP(int, posix_memalign, (void **p, size_t a, size_t n), (p, a, n), n_alloc)
WRAP(char *, strdup, (const char *s), (s), n_alloc)
WRAP(int, pthread_mutex_lock, (pthread_mutex_t * m), (m), n_lock)
WRAP(int, pthread_mutex_trylock, (pthread_mutex_t * m), (m), n_lock)
WRAP(int, pthread_rwlock_rdlock, (pthread_rwlock_t * l), (l), n_lock)
WRAP(int, pthread_rwlock_wrlock, (pthread_rwlock_t * l), (l), n_lock)
WRAP(int, pthread_cond_wait, (pthread_cond_t * c, pthread_mutex_t *m), (c, m), n_lock)
WRAP(int, pthread_spin_lock, (pthread_spinlock_t * l), (l), n_lock)
WRAP(int, sem_wait, (sem_t * s), (s), n_lock)
WRAP(int, sem_timedwait, (sem_t * s, const struct timespec *t), (s, t), n_lock)
WRAP(int, sem_clockwait, (sem_t * s, clockid_t c, const struct timespec *t), (s, c, t), n_lock)
WRAP(ssize_t, read, (int fd, void *b, size_t n), (fd, b, n), n_io)
WRAP(ssize_t, write, (int fd, const void *b, size_t n), (fd, b, n), n_io)
WRAP(FILE *, fopen, (const char *p, const char *m), (p, m), n_io)
WRAP(size_t, fwrite, (const void *p, size_t s, size_t n, FILE *f), (p, s, n, f), n_io)
WRAP(int, puts, (const char *s), (s), n_io)
WRAP(int, fputs, (const char *s, FILE *f), (s, f), n_io)

void __real_free(void *p);
void __wrap_free(void *p);
void
__wrap_free(void *p)
{
	if (armed)
		n_alloc++;
	__real_free(p);
}

static void
render_armed(struct mixer *m, float *out, uint32_t frames)
{
	armed = 1;
	mixer_render(m, out, frames);
	armed = 0;
}

/* A slow machine (an ARM board, qemu) underruns more often than the log holds
 * events: each voice's last underrun count is kept apart, the log keeps the
 * other events. */
struct underruns {
	mixer_handle h[MAX_EVENTS];
	uint64_t last[MAX_EVENTS];
	int n;
};

static void
drain_rt(struct mixer *m, struct evlog *log, struct underruns *u)
{
	struct mixer_event e;
	while (mixer_next_event(m, &e)) {
		if (e.type != MIXER_EV_UNDERRUN) {
			if (log->n < MAX_EVENTS)
				log->ev[log->n++] = e;
			continue;
		}
		int j = 0;
		while (j < u->n && u->h[j] != e.handle)
			j++;
		if (j == MAX_EVENTS)
			continue;
		if (j == u->n)
			u->h[u->n++] = e.handle;
		u->last[j] = e.count;
	}
}

/* the decoder thread needs a moment now and then: not a timing assertion */
static void
breathe(void)
{
	usleep(200);
}

int
main(void)
{
	/* the wrappers count (the proof works in this build) */
	armed = 1;
	void *volatile p = malloc(16);
	free(p);
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&mu);
	pthread_mutex_unlock(&mu);
	armed = 0;
	CHECK_INT(n_alloc, 2);
	CHECK_INT(n_lock, 1);
	n_alloc = n_lock = n_io = 0;

	struct mixer_config c;
	struct mixer *m;
	struct evlog log = {0};
	static struct underruns under;
	char err[256];
	static float out[2 * 1024];

	mixer_config_defaults(&c);
	c.ring_frames = 4096; /* small rings: refills and wake-ups happen often */
	c.prefill_frames = 1024;
	c.resume_rewind_ms = 500;
	CHECK_INT(mixer_create(&c, &m), 0);
	mixer_handle hm = mixer_play(m, MIXER_MUSIC, data_path("music-stereo.opus"), 0.5f, 1, err,
				     sizeof(err));
	mixer_handle hn = mixer_play(m, MIXER_NARRATION, data_path("speech-mono.opus"), 1.0f, 2,
				     err, sizeof(err));
	CHECK(hm > 0 && hn > 0);
	long frames = 0;
	mixer_handle h2 = 0;
	for (int i = 0; i < 1200; i++) {
		/* every control path, the events and the end of voices */
		switch (i) {
		case 50:
			mixer_play(m, MIXER_ANNOUNCEMENT, data_path("sine440-mono.opus"), 1.0f, 3,
				   err, sizeof(err));
			break;
		case 60:
			mixer_play(m, MIXER_ANNOUNCEMENT, data_path("corrupt.opus"), 1.0f, 4, err,
				   sizeof(err));
			break;
		case 100: mixer_set_gain(m, hn, 0.7f); break;
		case 120: mixer_set_volume(m, 0.8f); break;
		case 130: mixer_set_auto_gain(m, 4.0f); break;
		case 140: mixer_pause(m); break;
		case 160: mixer_resume(m); break;
		case 200: mixer_stop_kind(m, MIXER_MUSIC, 100); break;
		case 420:
			h2 = mixer_play(m, MIXER_NARRATION, data_path("chord-stereo.opus"), 1.0f, 5,
					err, sizeof(err));
			break;
		case 480: mixer_stop(m, h2, 0); break;
		}
		render_armed(m, out, 512);
		frames += 512;
		drain_rt(m, &log, &under);
		breathe();
	}
	CHECK_INT(n_alloc, 0);
	CHECK_INT(n_lock, 0);
	CHECK_INT(n_io, 0);
	fprintf(stderr, "rendered %ld frames, %d events, underruns %llu\n", frames, log.n,
		(unsigned long long)mixer_underruns(m));
	/* the scenario went through its paths */
	int seen[MIXER_EV_UNDERRUN + 1] = {0};
	for (int i = 0; i < log.n; i++)
		seen[log.ev[i].type]++;
	CHECK(seen[MIXER_EV_STARTED] >= 4);
	CHECK(seen[MIXER_EV_SUSPENDED] >= 1);
	CHECK(seen[MIXER_EV_FAILED] == 1);
	CHECK(seen[MIXER_EV_CUT] == 3); /* music stopped, narration replaced, then stopped */
	if (test_failures)
		dump_events(&log);
	/* underruns (if this machine produced any) were reported, never hidden */
	/* each voice's last UNDERRUN event carries its running total */
	uint64_t sum = 0;
	for (int j = 0; j < under.n; j++)
		sum += under.last[j];
	CHECK_INT(sum, mixer_underruns(m));
	mixer_destroy(m);

	/* channels mode (issue 16): buses, per-bus rules, duck and volume ramps,
	 * the routing to 6 channels: still nothing allocated, locked or written */
	static float out6[6 * 1024];
	struct evlog log6 = {0};
	static struct underruns under6;
	c.channels = 6;
	c.n_buses = 3;
	c.bus_channels[0] = 0x3;
	c.bus_channels[1] = 0x4;
	c.bus_channels[2] = 0x30;
	CHECK_INT(mixer_create(&c, &m), 0);
	mixer_play(m, MIXER_MUSIC, data_path("music-stereo.opus"), 0.5f, 1, err, sizeof(err));
	for (uint32_t b = 0; b < 3; b++)
		mixer_play_bus(m, MIXER_NARRATION, data_path("speech-mono.opus"), 1.0f, b, 10 + b,
			       err, sizeof(err));
	for (int i = 0; i < 400; i++) {
		switch (i) {
		case 30:
			mixer_play_bus(m, MIXER_ANNOUNCEMENT, data_path("sine440-mono.opus"), 1.0f,
				       1, 20, err, sizeof(err));
			break;
		case 60: mixer_set_bus_volume(m, 2, 0.3f); break;
		case 90: mixer_pause(m); break;
		case 110: mixer_resume(m); break;
		case 150:
			mixer_play_bus(m, MIXER_NARRATION, data_path("chord-stereo.opus"), 1.0f, 0,
				       21, err, sizeof(err));
			break;
		}
		/* odd sizes: spans over chunk edges */
		render_armed(m, out6, i % 2 ? 1024 : 333);
		drain_rt(m, &log6, &under6);
		breathe();
	}
	CHECK_INT(n_alloc, 0);
	CHECK_INT(n_lock, 0);
	CHECK_INT(n_io, 0);
	seen[MIXER_EV_SUSPENDED] = seen[MIXER_EV_STARTED] = 0;
	for (int i = 0; i < log6.n; i++)
		seen[log6.ev[i].type]++;
	CHECK(seen[MIXER_EV_STARTED] >= 6);
	CHECK(seen[MIXER_EV_SUSPENDED] == 1); /* bus 1's narration only */
	mixer_destroy(m);
	TEST_EXIT();
}
