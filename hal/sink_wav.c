/* wav and file sinks: the exact mixed output in a file, pulled by the
 * caller.
 *
 *   wav:FILE     WAV whatever the name (a name ending .flac or .opus is
 *                refused: it would be a WAV under a misleading name).
 *   file:NAME    by the name's ending: .wav (as wav:), .flac, .opus.
 *
 * WAV, written here: float32 by default (WAVE_FORMAT_IEEE_FLOAT with a
 * fact chunk: bit-exact mixer output; sox reads it, Python's wave module
 * does not) or 16-bit PCM (HAL_SINK_WAV_S16: what Python's wave reads).
 * Above 2 channels WAVE_FORMAT_EXTENSIBLE with dwChannelMask 0: no speaker
 * positions, every channel a plain output (sox reads it, with a warning of
 * its own for every extensible float file: "wave header missing extended
 * part of fmt chunk").  The header is written at open with zero lengths
 * and rewritten with the true lengths every wav_sync_frames, on
 * hal_sink_flush and on destroy, so the file is valid at every moment
 * except during one pwrite.  Samples go straight to the fd (no stdio
 * buffer), so after a flush the file holds everything rendered.  A WAV
 * holds at most 4 GiB: 3.1 h of float stereo, 46 min of 8 float channels
 * (use FLAC for long multichannel renders); past that the header says 4 GiB.
 *
 * Why not libsndfile for WAV too (issue 16 asked): it writes a float WAV's
 * fmt chunk without cbSize (16 bytes: sox warns on every file), a PAD
 * chunk where a PEAK chunk (with the time of writing: two renders would
 * differ) would go, and a 5.1 / 7.1 speaker mask for 6 / 8 channels that no
 * call turns off (SFC_SET_CHANNEL_MAP_INFO cannot ask for none).  This
 * writer keeps the stereo WAV byte for byte as it was.
 *
 * FLAC and Ogg Opus, through libsndfile:
 *   FLAC      16-bit (the clips are Opus speech: 24 bits would cost 2.3x
 *             the bytes and 1.4x the time for nothing heard), quantised
 *             here by the S16 WAV's rule (clamp, x * 32767, round to
 *             nearest), then lossless: 1 to 8 channels kept exact (a player
 *             may label 6 or 8 channels 5.1/7.1: labels only).  Stereo at
 *             libsndfile's level 5, above 2 channels the fastest level (FLAC
 *             codes no more than pairs together: 1% bigger, 1.35x as fast);
 *             8 channels of continuous sound encode at 250x real time on
 *             one core here (tests/bench/sink-bench.c).
 *   Ogg Opus  for stereo (or mono) renders to listen to.  libsndfile codes
 *             3 to 8 channels with Opus's surround mapping (coupled channel
 *             pairs, an LFE stream at 6 and 8): discrete languages would
 *             leak into one another, so more than 2 channels are refused.
 * Their length is in the file only once it is closed (hal_sink_destroy;
 * the guide closes on SIGINT/SIGTERM): up to then the frames so far
 * decode, and the encoder may still hold the last of them.
 */
#define _GNU_SOURCE
#include "hal/sink_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum file_kind { KIND_WAV, KIND_FLAC, KIND_OPUS };

struct sink_wav {
	struct hal_sink base; /* first */
	int fd;
	SNDFILE *sf; /* FLAC, Opus: libsndfile on fd (which stays ours) */
	enum file_kind kind;
	enum hal_sink_wav_format format;
	uint64_t data_bytes;
	uint64_t since_sync;
	int error;  /* first write error, sticky */
	char *path; /* for the error messages */
	/* 16-bit conversion: as many samples as a pull block */
	int16_t pcm[HAL_AUDIO_CHANNELS * HAL_SINK_PULL_BLOCK];
};

static void
le16(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
}

static void
le32(uint8_t *p, uint32_t v)
{
	le16(p, v & 0xffff);
	le16(p + 2, v >> 16);
}

/* KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT: the format tag, then these */
static const uint8_t ksdataformat_tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
					      0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71};

static uint32_t
build_header(struct sink_wav *w, uint8_t *h)
{
	bool fl = w->format == HAL_SINK_WAV_FLOAT32;
	bool ext = w->base.channels > 2; /* WAVE_FORMAT_EXTENSIBLE */
	uint32_t bits = fl ? 32 : 16;
	uint32_t tag = fl ? 3 : 1; /* IEEE float / PCM */
	uint32_t block = w->base.channels * bits / 8;
	uint32_t fmt_len = ext ? 40 : fl ? 18 : 16;
	uint32_t header = 12 + 8 + fmt_len + (fl ? 12 : 0) + 8;
	uint64_t max = 0xffffffffu - header;
	uint32_t data = (uint32_t)(w->data_bytes > max ? max - max % block : w->data_bytes);
	uint8_t *p = h;

	memcpy(p, "RIFF", 4), le32(p + 4, header - 8 + data), memcpy(p + 8, "WAVE", 4);
	p += 12;
	memcpy(p, "fmt ", 4), le32(p + 4, fmt_len);
	le16(p + 8, ext ? 0xfffe : tag);
	le16(p + 10, w->base.channels);
	le32(p + 12, HAL_AUDIO_RATE);
	le32(p + 16, HAL_AUDIO_RATE * block); /* byte rate */
	le16(p + 20, block);
	le16(p + 22, bits);
	if (ext) {
		le16(p + 24, 22);   /* cbSize */
		le16(p + 26, bits); /* valid bits */
		le32(p + 28, 0);    /* dwChannelMask: no speaker positions */
		le16(p + 32, tag);  /* SubFormat GUID */
		memcpy(p + 34, ksdataformat_tail, sizeof(ksdataformat_tail));
	} else if (fl) {
		le16(p + 24, 0); /* cbSize */
	}
	p += 8 + fmt_len;
	if (fl) {
		memcpy(p, "fact", 4), le32(p + 4, 4), le32(p + 8, data / block);
		p += 12;
	}
	memcpy(p, "data", 4), le32(p + 4, data);
	p += 8;
	return (uint32_t)(p - h);
}

static int
write_header(struct sink_wav *w)
{
	uint8_t h[96];
	uint32_t n;

	if (w->kind != KIND_WAV)
		return 0; /* FLAC, Opus: at close */
	n = build_header(w, h);
	if (pwrite(w->fd, h, n, 0) != (ssize_t)n)
		return -errno ? -errno : -EIO;
	w->since_sync = 0;
	return 0;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t k = write(fd, c, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

/* to 16-bit by the S16 rule: clamp, round to nearest, x * 32767.  Rounded
 * by adding and taking away 1.5 * 2^23 (to nearest even, as lrintf, for
 * |x| < 2^22), which the compiler vectorises: lrintf per sample was a libm
 * call, 10% of an 8-channel FLAC render; inlined, still 6% of an
 * 8-language one.  No contraction into an FMA (arm64): it would round once
 * instead of twice. */
#if defined(__GNUC__) && !defined(__clang__)
#define NO_FP_CONTRACT __attribute__((optimize("fp-contract=off")))
#else
#define NO_FP_CONTRACT /* clang contracts within one expression only */
#endif

NO_FP_CONTRACT static void
to_s16(int16_t *out, const float *buf, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		float x = buf[i] * 32767.0f;
		x = x > 32767.0f ? 32767.0f : x < -32768.0f ? -32768.0f : x;
		out[i] = (int16_t)((x + 12582912.0f) - 12582912.0f);
	}
}

/* FLAC and Opus: through libsndfile; a negative errno */
static int
sf_write_block(struct sink_wav *w, const float *buf, uint32_t frames)
{
	uint32_t n = w->base.channels * frames;
	sf_count_t done;

	errno = 0;
	if (w->kind == KIND_FLAC) {
		to_s16(w->pcm, buf, n);
		done = sf_writef_short(w->sf, w->pcm, frames);
	} else {
		done = sf_writef_float(w->sf, buf, frames);
	}
	return done == (sf_count_t)frames ? 0 : errno ? -errno : -EIO;
}

static int
wav_write(struct hal_sink *s, const float *buf, uint32_t frames)
{
	struct sink_wav *w = (struct sink_wav *)s;
	const void *data = buf;
	size_t bytes = sizeof(float) * s->channels * frames;
	int r;

	if (w->error)
		return w->error; /* the clock keeps running; the error stays */
	if (w->kind != KIND_WAV) {
		r = sf_write_block(w, buf, frames);
	} else {
		if (w->format == HAL_SINK_WAV_S16) {
			to_s16(w->pcm, buf, s->channels * frames);
			data = w->pcm;
			bytes = sizeof(int16_t) * s->channels * frames;
		}
		r = write_all(w->fd, data, bytes);
	}
	if (r < 0) {
		w->error = r;
		hal_sink_log(s, HAL_LOG_ERR, "%s sink: cannot write '%s': %s", s->impl->scheme.name,
			     w->path, r == -EIO && w->sf ? sf_strerror(w->sf) : strerror(-r));
		return r;
	}
	w->data_bytes += bytes;
	w->since_sync += frames;
	if (w->since_sync >= s->opts.wav_sync_frames)
		write_header(w);
	return 0;
}

static int
wav_flush(struct hal_sink *s)
{
	struct sink_wav *w = (struct sink_wav *)s;
	int r = write_header(w);

	return w->error ? w->error : r;
}

static void
wav_close(struct hal_sink *s)
{
	struct sink_wav *w = (struct sink_wav *)s;

	if (w->sf)
		sf_close(w->sf); /* writes what the encoder holds, the length */
	if (w->fd >= 0) {
		write_header(w);
		close(w->fd);
	}
	free(w->path);
	free(w);
}

static bool
ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), k = strlen(end);
	return n > k && strcasecmp(s + n - k, end) == 0;
}

static int
open_file(const char *path, enum file_kind kind, const struct hal_sink_opts *opts,
	  const struct hal_sink_impl *impl, hal_sink_render_fn render, void *userdata,
	  struct hal_sink **out, char *err, size_t errlen)
{
	struct sink_wav *w;
	uint8_t h[96];
	int r;

	if (!(w = calloc(1, sizeof(*w))) || !(w->path = strdup(path))) {
		free(w);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	hal_sink_base_init(&w->base, impl, opts, render, userdata);
	w->kind = kind;
	w->format = opts->wav_format == HAL_SINK_WAV_S16 ? HAL_SINK_WAV_S16 : HAL_SINK_WAV_FLOAT32;
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot create '%s': %s", path, strerror(-r));
		goto fail;
	}
	if (kind == KIND_WAV) {
		uint32_t n = build_header(w, h);
		if ((r = write_all(w->fd, h, n)) < 0) {
			snprintf(err, errlen, "cannot write '%s': %s", path, strerror(-r));
			goto fail;
		}
	} else {
		SF_INFO info = {.samplerate = HAL_AUDIO_RATE, .channels = (int)w->base.channels};
		info.format = kind == KIND_FLAC ? SF_FORMAT_FLAC | SF_FORMAT_PCM_16
						: SF_FORMAT_OGG | SF_FORMAT_OPUS;
		errno = 0;
		if (!(w->sf = sf_open_fd(w->fd, SFM_WRITE, &info, SF_FALSE))) {
			r = errno ? -errno : -EIO;
			snprintf(err, errlen, "cannot write '%s': %s", path,
				 errno ? strerror(errno) : sf_strerror(NULL));
			goto fail;
		}
		/* above 2 channels FLAC has no inter-channel coding: the fastest
		 * level is as small (1% bigger at 8 channels) and 1.35x as fast;
		 * stereo keeps libsndfile's level 5 (its mid/side: 2.5x smaller) */
		double fastest = 0.0;
		if (kind == KIND_FLAC && w->base.channels > 2)
			sf_command(w->sf, SFC_SET_COMPRESSION_LEVEL, &fastest, sizeof(fastest));
	}
	*out = &w->base;
	return 0;
fail:
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	wav_close(&w->base);
	return r;
}

static int
wav_open(const char *path, const struct hal_sink_opts *opts, hal_sink_render_fn render,
	 void *userdata, struct hal_sink **out, char *err, size_t errlen)
{
	if (!path || !*path) {
		snprintf(err, errlen, "audio sink 'wav:' needs a file name");
		return -EINVAL;
	}
	if (ends_with(path, ".flac") || ends_with(path, ".opus")) {
		snprintf(err, errlen,
			 "wav:%s would write a WAV file under that name: use file:%s for %s", path,
			 path, ends_with(path, ".flac") ? "FLAC" : "Ogg Opus");
		return -EINVAL;
	}
	return open_file(path, KIND_WAV, opts, &hal_sink_wav_impl, render, userdata, out, err,
			 errlen);
}

static int
file_open(const char *path, const struct hal_sink_opts *opts, hal_sink_render_fn render,
	  void *userdata, struct hal_sink **out, char *err, size_t errlen)
{
	enum file_kind kind;
	uint32_t ch = opts->channels ? opts->channels : HAL_AUDIO_CHANNELS;

	if (!path || !*path) {
		snprintf(err, errlen, "audio sink 'file:' needs a file name");
		return -EINVAL;
	}
	if (ends_with(path, ".wav"))
		kind = KIND_WAV;
	else if (ends_with(path, ".flac"))
		kind = KIND_FLAC;
	else if (ends_with(path, ".opus"))
		kind = KIND_OPUS;
	else {
		snprintf(err, errlen, "file:%s: the name must end in .wav, .flac or .opus", path);
		return -EINVAL;
	}
	if (kind == KIND_OPUS && ch > 2) {
		snprintf(err, errlen,
			 "file:%s: Ogg Opus takes 1 or 2 channels, not %u (it would code them "
			 "as surround, mixing channels into one another): use .flac or .wav",
			 path, ch);
		return -EINVAL;
	}
	return open_file(path, kind, opts, &hal_sink_file_impl, render, userdata, out, err, errlen);
}

const struct hal_sink_impl hal_sink_wav_impl = {
	.scheme = {"wav", "wav:FILE"},
	.open = wav_open,
	.close = wav_close,
	.write = wav_write,
	.flush = wav_flush,
};

const struct hal_sink_impl hal_sink_file_impl = {
	.scheme = {"file", "file:NAME.wav|.flac|.opus"},
	.open = file_open,
	.close = wav_close,
	.write = wav_write,
	.flush = wav_flush,
};
