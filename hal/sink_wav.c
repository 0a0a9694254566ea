/* wav sink: the exact mixed output in a WAV file, pulled by the caller.
 *
 * Float32 by default (WAVE_FORMAT_IEEE_FLOAT with a fact chunk: bit-exact
 * mixer output; sox reads it, Python's wave module does not) or 16-bit PCM
 * (HAL_SINK_WAV_S16: what Python's wave reads).  The header is written at
 * open with zero lengths and rewritten with the true lengths every
 * wav_sync_frames, on hal_sink_flush and on destroy, so the file is valid
 * at every moment except during one pwrite.  Samples go straight to the fd
 * (no stdio buffer), so after a flush the file holds everything rendered.
 */
#define _GNU_SOURCE
#include "hal/sink_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sink_wav {
	struct hal_sink base; /* first */
	int fd;
	enum hal_sink_wav_format format;
	uint64_t data_bytes;
	uint64_t since_sync;
	int error;                                                /* first write error, sticky */
	char *path;                                               /* for the error messages */
	int16_t pcm[HAL_SINK_MAX_CHANNELS * HAL_SINK_PULL_BLOCK]; /* S16 conversion */
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

static uint32_t
build_header(struct sink_wav *w, uint8_t *h)
{
	bool fl = w->format == HAL_SINK_WAV_FLOAT32;
	uint32_t bits = fl ? 32 : 16;
	uint32_t ch = w->base.opts.channels;
	uint32_t block = ch * bits / 8;
	/* other than stereo: WAVE_FORMAT_EXTENSIBLE, channel mask 0 (discrete
	 * outputs, no speaker positions: DESIGN.md, per-seat languages) */
	bool ext = ch != HAL_AUDIO_CHANNELS;
	uint32_t fmt_len = ext ? 40 : fl ? 18 : 16;
	uint32_t header = 12 + 8 + fmt_len + (fl ? 12 : 0) + 8;
	uint64_t max = 0xffffffffu - header;
	uint32_t data = (uint32_t)(w->data_bytes > max ? max - max % block : w->data_bytes);
	uint8_t *p = h;

	memcpy(p, "RIFF", 4), le32(p + 4, header - 8 + data), memcpy(p + 8, "WAVE", 4);
	p += 12;
	memcpy(p, "fmt ", 4), le32(p + 4, fmt_len);
	le16(p + 8, ext ? 0xfffe : fl ? 3 : 1); /* extensible / IEEE float / PCM */
	le16(p + 10, ch);
	le32(p + 12, HAL_AUDIO_RATE);
	le32(p + 16, HAL_AUDIO_RATE * block); /* byte rate */
	le16(p + 20, block);
	le16(p + 22, bits);
	if (ext) {
		static const uint8_t guid_tail[12] = {0x00, 0x00, 0x10, 0x00, 0x80, 0x00,
						      0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71};
		le16(p + 24, 22);   /* cbSize */
		le16(p + 26, bits); /* valid bits */
		le32(p + 28, 0);    /* channel mask: none */
		le32(p + 32, fl ? 3 : 1);
		memcpy(p + 36, guid_tail, sizeof(guid_tail));
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
	uint32_t n = build_header(w, h);

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

static int
wav_write(struct hal_sink *s, const float *buf, uint32_t frames)
{
	struct sink_wav *w = (struct sink_wav *)s;
	const void *data = buf;
	const uint32_t ch = s->opts.channels;
	size_t bytes = sizeof(float) * ch * frames;

	if (w->error)
		return w->error; /* the clock keeps running; the error stays */
	if (w->format == HAL_SINK_WAV_S16) {
		for (uint32_t i = 0; i < ch * frames; i++) {
			float x = buf[i] * 32767.0f;
			x = x > 32767.0f ? 32767.0f : x < -32768.0f ? -32768.0f : x;
			w->pcm[i] = (int16_t)lrintf(x);
		}
		data = w->pcm;
		bytes = sizeof(int16_t) * ch * frames;
	}
	int r = write_all(w->fd, data, bytes);
	if (r < 0) {
		w->error = r;
		hal_sink_log(s, HAL_LOG_ERR, "wav sink: cannot write '%s': %s", w->path,
			     strerror(-r));
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

	if (w->fd >= 0) {
		write_header(w);
		close(w->fd);
	}
	free(w->path);
	free(w);
}

static int
wav_open(const char *path, const struct hal_sink_opts *opts, hal_sink_render_fn render,
	 void *userdata, struct hal_sink **out, char *err, size_t errlen)
{
	struct sink_wav *w;
	uint8_t h[96];
	int r;

	if (!path || !*path) {
		snprintf(err, errlen, "audio sink 'wav:' needs a file name");
		return -EINVAL;
	}
	if (!(w = calloc(1, sizeof(*w))) || !(w->path = strdup(path))) {
		free(w);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	hal_sink_base_init(&w->base, &hal_sink_wav_impl, opts, render, userdata);
	w->format = opts->wav_format == HAL_SINK_WAV_S16 ? HAL_SINK_WAV_S16 : HAL_SINK_WAV_FLOAT32;
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot create '%s': %s", path, strerror(-r));
		goto fail;
	}
	uint32_t n = build_header(w, h);
	if ((r = write_all(w->fd, h, n)) < 0) {
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(-r));
		goto fail;
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

const struct hal_sink_impl hal_sink_wav_impl = {
	.scheme = {"wav", "wav:FILE"},
	.open = wav_open,
	.close = wav_close,
	.write = wav_write,
	.flush = wav_flush,
};
