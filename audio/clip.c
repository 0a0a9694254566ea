#include "audio/clip.h"

#include <errno.h>
#include <opusfile.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct clip {
	OggOpusFile *of;
	int64_t frames;
	int channels;
	float *scratch; /* mono decode buffer, MAX_READ frames */
	char *path;
	/* Our own single-stream decoder for mono/stereo links (see decode_cb). */
	OpusDecoder *dec;
	int dec_channels;      /* of dec; 0 when none */
	int dec_link;          /* link dec was set up for */
	int64_t next_packetno; /* Ogg packet number that continues the last one; -1 */
	int has_gain;          /* R128_TRACK_GAIN in the first link */
	int gain_q8;           /* what the guide adds to the output gain (link 0) */
};

/* libopusfile decodes every stream at 48 kHz, whatever rate it was made at. */
_Static_assert(HAL_AUDIO_RATE == 48000, "clips decode at 48 kHz: another rate needs a resampler");

double
clip_play_gain_db(int track_gain_q8)
{
	double db = track_gain_q8 / 256.0 + (CLIP_TARGET_LUFS - CLIP_R128_REFERENCE_LUFS);
	return db > CLIP_MAX_BOOST_DB ? CLIP_MAX_BOOST_DB : db;
}

/* The loudness gain of link li in Q8 dB, 0 without R128_TRACK_GAIN. */
static int
link_gain_q8(OggOpusFile *of, int li)
{
	int q8;
	if (opus_tags_get_track_gain(op_tags(of, li), &q8) != 0)
		return 0;
	double g = clip_play_gain_db(q8) * 256.0;
	return (int)(g < -32768.0 ? -32768.0 : g > 32767.0 ? 32767.0 : g);
}

/* libopusfile returns at most 120 ms (5760 frames) per call. */
#define MAX_READ 5760

static const char *
op_error_str(int e)
{
	switch (e) {
	case OP_EREAD: return "read error";
	case OP_EFAULT: return "internal decoder fault";
	case OP_EIMPL: return "unsupported Opus feature";
	case OP_EINVAL: return "invalid argument";
	case OP_ENOTFORMAT: return "not an Ogg Opus file";
	case OP_EBADHEADER: return "bad Opus header";
	case OP_EVERSION: return "unsupported Opus version";
	case OP_EBADLINK: return "broken Ogg link";
	case OP_EBADTIMESTAMP: return "bad timestamp (truncated file?)";
	case OP_HOLE: return "hole in the Ogg stream (corrupted data)";
	case OP_EBADPACKET: return "bad Opus packet";
	case OP_ENOSEEK: return "stream is not seekable";
	default: return "cannot decode";
	}
}

/* Decodes a packet of a one-stream link (mapping family 0, and family 1
 * with the identity mapping: every mono or stereo clip) with a plain
 * OpusDecoder instead of libopusfile's multistream one.  The output is the
 * same; the reason is speed: libopus 1.3's multistream decode asks
 * opus_decoder_get_size() for every packet, which runs CPUID, and CPUID
 * traps to the hypervisor on a virtual machine (about 50 us a packet here,
 * more than the decoding itself).  The decoder is reset wherever
 * libopusfile would reset its own: a new link or an Ogg packet number that
 * does not continue the last one (a seek).  Other layouts: libopusfile decodes. */
static int
decode_cb(void *ctx, OpusMSDecoder *ms, void *pcm, const ogg_packet *op, int nsamples,
	  int nchannels, int format, int li)
{
	struct clip *c = ctx;
	const OpusHead *h = op_head(c->of, li);

	if (!h || h->stream_count != 1 || nchannels != h->channel_count || nchannels > 2 ||
	    h->coupled_count != nchannels - 1 || h->mapping[0] != 0 ||
	    (nchannels == 2 && h->mapping[1] != 1))
		return OP_DEC_USE_DEFAULT;
	if (!c->dec || c->dec_channels != nchannels || c->dec_link != li) {
		if (c->dec && c->dec_channels == nchannels) {
			opus_decoder_ctl(c->dec, OPUS_RESET_STATE);
		} else {
			int e;
			if (c->dec)
				opus_decoder_destroy(c->dec);
			c->dec = opus_decoder_create(HAL_AUDIO_RATE, nchannels, &e);
			c->dec_channels = c->dec ? nchannels : 0;
			if (!c->dec)
				return OP_DEC_USE_DEFAULT;
		}
		c->dec_link = li;
		/* the header's gain plus the loudness gain, as libopusfile
		 * does with OP_TRACK_GAIN (clip_open) */
		int g = h->output_gain + link_gain_q8(c->of, li);
		g = g < -32768 ? -32768 : g > 32767 ? 32767 : g;
		opus_decoder_ctl(c->dec, OPUS_SET_GAIN(g));
	} else if (op->packetno != c->next_packetno) {
		opus_decoder_ctl(c->dec, OPUS_RESET_STATE);
	}
	c->next_packetno = op->packetno + 1;
	int n = format == OP_DEC_FORMAT_FLOAT
			? opus_decode_float(c->dec, op->packet, (opus_int32)op->bytes, pcm,
					    nsamples, 0)
			: opus_decode(c->dec, op->packet, (opus_int32)op->bytes, pcm, nsamples, 0);
	if (n < 0) {
		c->next_packetno = -1;
		return n;
	}
	return n == nsamples ? 0 : OP_EBADPACKET;
}

static int
check_file(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		int r = -errno;
		snprintf(err, errlen, "cannot open clip '%s': %s", path, strerror(-r));
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "clip '%s' is not a regular file", path);
		return -EISDIR;
	}
	return 0;
}

int
clip_probe(const char *path, int64_t *frames, char *err, size_t errlen)
{
	struct clip *c;
	int r = clip_open(path, &c, err, errlen);

	if (r < 0)
		return r;
	*frames = c->frames;
	clip_close(c);
	return 0;
}

#define PROBE_WINDOW 65536 /* bytes read at each end of the file */

/* Feeds n bytes of f from offset `at` into a fresh sync state. */
static bool
sync_read(ogg_sync_state *oy, FILE *f, long at, size_t n)
{
	ogg_sync_reset(oy);
	char *buf = ogg_sync_buffer(oy, (long)n);
	if (!buf || fseek(f, at, SEEK_SET) != 0)
		return false;
	size_t got = fread(buf, 1, n, f);
	return ogg_sync_wrote(oy, (long)got) == 0 && got == n;
}

/* Samples (48 kHz) of the packets that end on page og; -1 when one is not
 * a valid Opus packet or the page continues a packet from the one before. */
static int64_t
page_samples(const ogg_page *og)
{
	if (ogg_page_continued(og))
		return -1;
	int nseg = og->header[26];
	long off = 0, len = 0;
	int64_t n = 0;
	for (int i = 0; i < nseg; i++) {
		len += og->header[27 + i];
		if (og->header[27 + i] == 255)
			continue;
		if (off + len > og->body_len)
			return -1;
		int k = opus_packet_get_nb_samples(og->body + off, (opus_int32)len, HAL_AUDIO_RATE);
		if (k < 0)
			return -1;
		n += k;
		off += len;
		len = 0;
	}
	return n;
}

/* The clip's length from its granule positions when the file is one plain
 * Opus stream of serial number `serial` starting at granule 0: the last
 * page's granule minus the pre-skip, as op_pcm_total() computes it then.
 * -1 when that is not certain (the caller opens the file fully). */
static int64_t
fast_frames(const char *path, const OpusHead *head, opus_uint32 serial)
{
	ogg_sync_state oy;
	ogg_page og;
	struct stat st;
	int64_t frames = -1, last = -1;
	bool first_seen = false;
	FILE *f = fopen(path, "rb");

	if (!f)
		return -1;
	ogg_sync_init(&oy);
	if (fstat(fileno(f), &st) < 0 || st.st_size <= 0)
		goto out;
	/* the first audio page: its granule must be the samples it ends */
	size_t n = (size_t)(st.st_size < PROBE_WINDOW ? st.st_size : PROBE_WINDOW);
	if (!sync_read(&oy, f, 0, n))
		goto out;
	while (!first_seen) {
		int r = ogg_sync_pageout(&oy, &og);
		if (r == 0)
			goto out; /* not within the window */
		if (r < 0)
			continue;
		if ((opus_uint32)ogg_page_serialno(&og) != serial)
			goto out;
		ogg_int64_t g = ogg_page_granulepos(&og);
		if (g == 0)
			continue; /* the headers */
		if (g < 0 || ogg_page_eos(&og) || page_samples(&og) != g)
			goto out;
		first_seen = true;
	}
	/* the last page's granule */
	long at = st.st_size > PROBE_WINDOW ? (long)(st.st_size - PROBE_WINDOW) : 0;
	if (!sync_read(&oy, f, at, (size_t)(st.st_size - at)))
		goto out;
	for (;;) {
		int r = ogg_sync_pageseek(&oy, &og);
		if (r == 0)
			break;
		if (r < 0)
			continue;
		if ((opus_uint32)ogg_page_serialno(&og) != serial)
			goto out; /* chained or multiplexed */
		if (ogg_page_granulepos(&og) >= 0)
			last = ogg_page_granulepos(&og);
	}
	if (last > (int64_t)head->pre_skip)
		frames = last - head->pre_skip;
out:
	ogg_sync_clear(&oy);
	fclose(f);
	return frames;
}

int
clip_probe_tags(const char *path, int64_t *frames, const char *const *tags, char **values,
		unsigned n_tags, char *err, size_t errlen)
{
	int e = 0;
	int r = check_file(path, err, errlen);

	for (unsigned i = 0; values && i < n_tags; i++)
		values[i] = NULL;
	if (r < 0)
		return r;
	OggOpusFile *of = op_test_file(path, &e);
	if (!of) {
		snprintf(err, errlen, "clip '%s': %s", path, op_error_str(e));
		return -EINVAL;
	}
	const OpusHead *head = op_head(of, -1);
	int64_t n = head ? fast_frames(path, head, op_serialno(of, -1)) : -1;
	if (n < 0) {
		e = op_test_open(of);
		ogg_int64_t total = e < 0 ? e : op_pcm_total(of, -1);
		if (total <= 0) {
			snprintf(err, errlen, "clip '%s': %s", path,
				 total < 0 ? op_error_str((int)total)
					   : "no audio (truncated file?)");
			op_free(of);
			return -EINVAL;
		}
		n = total;
	}
	for (unsigned i = 0; tags && values && i < n_tags; i++) {
		const char *v = opus_tags_query(op_tags(of, -1), tags[i], 0);
		if (v && !(values[i] = strdup(v))) {
			for (unsigned k = 0; k < i; k++) {
				free(values[k]);
				values[k] = NULL;
			}
			op_free(of);
			snprintf(err, errlen, "clip '%s': out of memory", path);
			return -ENOMEM;
		}
	}
	op_free(of);
	*frames = n;
	return 0;
}

int
clip_probe_tag(const char *path, int64_t *frames, const char *tag, char **value, char *err,
	       size_t errlen)
{
	const char *tags[1] = {tag};
	return clip_probe_tags(path, frames, tag && value ? tags : NULL, value, 1, err, errlen);
}

int
clip_open(const char *path, struct clip **out, char *err, size_t errlen)
{
	int e = 0;
	int r = check_file(path, err, errlen);

	if (r < 0)
		return r;
	struct clip *c = calloc(1, sizeof(*c));
	if (!c)
		goto nomem;
	c->path = strdup(path);
	c->scratch = malloc(sizeof(float) * MAX_READ);
	if (!c->path || !c->scratch)
		goto nomem;
	c->of = op_open_file(path, &e);
	if (!c->of) {
		snprintf(err, errlen, "clip '%s': %s", path, op_error_str(e));
		r = -EINVAL;
		goto fail;
	}
	ogg_int64_t total = op_pcm_total(c->of, -1);
	if (total < 0) {
		snprintf(err, errlen, "clip '%s': %s", path, op_error_str((int)total));
		r = -EINVAL;
		goto fail;
	}
	if (total == 0) {
		snprintf(err, errlen, "clip '%s': no audio (truncated file?)", path);
		r = -EINVAL;
		goto fail;
	}
	c->frames = total;
	c->channels = op_channel_count(c->of, -1);
	c->next_packetno = -1;
	int q8;
	c->has_gain = opus_tags_get_track_gain(op_tags(c->of, -1), &q8) == 0;
	if (c->has_gain) {
		/* libopusfile's own decoder (multichannel layouts) the same way */
		c->gain_q8 = link_gain_q8(c->of, -1);
		op_set_gain_offset(c->of, OP_TRACK_GAIN, c->gain_q8 - q8);
	}
	op_set_decode_callback(c->of, decode_cb, c);
	*out = c;
	return 0;
nomem:
	snprintf(err, errlen, "clip '%s': out of memory", path);
	r = -ENOMEM;
fail:
	clip_close(c);
	return r;
}

void
clip_close(struct clip *c)
{
	if (!c)
		return;
	if (c->of)
		op_free(c->of);
	if (c->dec)
		opus_decoder_destroy(c->dec);
	free(c->scratch);
	free(c->path);
	free(c);
}

int64_t
clip_frames(const struct clip *c)
{
	return c->frames;
}

int
clip_channels(const struct clip *c)
{
	return c->channels;
}

int
clip_has_track_gain(const struct clip *c)
{
	return c->has_gain;
}

double
clip_gain_db(const struct clip *c)
{
	return c->gain_q8 / 256.0;
}

const char *
clip_path(const struct clip *c)
{
	return c->path;
}

int
clip_read(struct clip *c, float *out, int max_frames, char *err, size_t errlen)
{
	int n;

	if (max_frames <= 0)
		return 0;
	if (max_frames > MAX_READ)
		max_frames = MAX_READ;
	int64_t pos = op_pcm_tell(c->of);
	if (c->channels == 1) {
		n = op_read_float(c->of, c->scratch, max_frames, NULL);
		for (int i = 0; i < n; i++)
			out[2 * i] = out[2 * i + 1] = c->scratch[i];
	} else if (c->channels == 2) {
		n = op_read_float(c->of, out, 2 * max_frames, NULL);
	} else {
		n = op_read_float_stereo(c->of, out, 2 * max_frames);
	}
	if (n < 0) {
		snprintf(err, errlen, "clip '%s': %s at %.3f s", c->path, op_error_str(n),
			 pos >= 0 ? (double)pos / HAL_AUDIO_RATE : 0.0);
		return n == OP_HOLE ? -EBADMSG : -EIO;
	}
	return n;
}

int
clip_seek(struct clip *c, int64_t frame, char *err, size_t errlen)
{
	if (frame < 0)
		frame = 0;
	if (frame > c->frames)
		frame = c->frames;
	int r = op_pcm_seek(c->of, frame);
	if (r < 0) {
		snprintf(err, errlen, "clip '%s': seek failed: %s", c->path, op_error_str(r));
		return -EIO;
	}
	return 0;
}
