#include "guide/curator/loudness.h"

#include <ebur128.h>
#include <errno.h>
#include <math.h>
#include <opusfile.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BLOCK 5760 /* frames per read: libopusfile's largest */

int
loudness_track_gain_q8(double lufs, double target_lufs)
{
	double q = round((target_lufs - lufs) * 256.0);
	return (int)(q < -32768.0 ? -32768.0 : q > 32767.0 ? 32767.0 : q);
}

/* A measuring state for 1 (dual mono) or 2 channels. */
static ebur128_state *
meter(int channels, long rate)
{
	ebur128_state *st = ebur128_init((unsigned)channels, (unsigned long)rate,
					 EBUR128_MODE_I | EBUR128_MODE_SAMPLE_PEAK);
	if (st && channels == 1)
		ebur128_set_channel(st, 0, EBUR128_DUAL_MONO);
	return st;
}

static int
finish(ebur128_state *st, int channels, long frames, long rate, struct loudness *out,
       const char *path, char *err, size_t errlen)
{
	double lufs, peak = 0.0;
	if (ebur128_loudness_global(st, &lufs) != EBUR128_SUCCESS) {
		snprintf(err, errlen, "%s: cannot measure the loudness", path);
		return -EIO;
	}
	for (int c = 0; c < channels; c++) {
		double p;
		if (ebur128_sample_peak(st, (unsigned)c, &p) == EBUR128_SUCCESS && p > peak)
			peak = p;
	}
	out->lufs = lufs;
	out->peak = peak;
	out->seconds = (double)frames / (double)rate;
	return 0;
}

static int
measure_opus(OggOpusFile *of, const char *path, struct loudness *out, char *err, size_t errlen)
{
	int ch = op_channel_count(of, -1);
	int meter_ch = ch == 1 ? 1 : 2;
	long frames = 0;
	int r = 0;
	float *buf = malloc(sizeof(float) * 2 * BLOCK);
	ebur128_state *st = meter(meter_ch, 48000);

	if (!buf || !st) {
		snprintf(err, errlen, "%s: out of memory", path);
		r = -ENOMEM;
		goto out;
	}
	out->channels = ch;
	out->has_tag = opus_tags_get_track_gain(op_tags(of, -1), &out->tag_q8) == 0;
	for (;;) {
		int n = meter_ch == 1 ? op_read_float(of, buf, BLOCK, NULL)
				      : op_read_float_stereo(of, buf, 2 * BLOCK);
		if (n < 0) {
			snprintf(err, errlen, "%s: cannot decode (libopusfile error %d)", path, n);
			r = -EINVAL;
			goto out;
		}
		if (n == 0)
			break;
		if (meter_ch == 1 && op_channel_count(of, -1) != 1) {
			snprintf(err, errlen, "%s: links of different channel counts", path);
			r = -ENOTSUP;
			goto out;
		}
		ebur128_add_frames_float(st, buf, (size_t)n);
		frames += n;
	}
	r = finish(st, meter_ch, frames, 48000, out, path, err, errlen);
out:
	ebur128_destroy(&st);
	free(buf);
	return r;
}

static int
measure_sndfile(SNDFILE *sf, const SF_INFO *info, const char *path, struct loudness *out, char *err,
		size_t errlen)
{
	long frames = 0;
	int r = 0;
	if (info->channels > 2) {
		snprintf(err, errlen,
			 "%s: %d channels: a clip is mono or stereo (downmix it first)", path,
			 info->channels);
		return -ENOTSUP;
	}
	float *buf = malloc(sizeof(float) * 2 * BLOCK);
	ebur128_state *st = meter(info->channels, info->samplerate);
	if (!buf || !st) {
		snprintf(err, errlen, "%s: out of memory", path);
		r = -ENOMEM;
		goto out;
	}
	out->channels = info->channels;
	out->has_tag = 0;
	sf_count_t n;
	while ((n = sf_readf_float(sf, buf, BLOCK)) > 0) {
		ebur128_add_frames_float(st, buf, (size_t)n);
		frames += (long)n;
	}
	r = finish(st, info->channels, frames, info->samplerate, out, path, err, errlen);
out:
	ebur128_destroy(&st);
	free(buf);
	return r;
}

int
loudness_measure(const char *path, struct loudness *out, char *err, size_t errlen)
{
	struct stat st;
	int e = 0;

	memset(out, 0, sizeof(*out));
	if (stat(path, &st) < 0) {
		int r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EISDIR;
	}
	OggOpusFile *of = op_open_file(path, &e);
	if (of) {
		int r = measure_opus(of, path, out, err, errlen);
		op_free(of);
		return r;
	}
	SF_INFO info = {0};
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	if (!sf) {
		snprintf(err, errlen, "%s: neither Ogg Opus nor a sound file libsndfile reads (%s)",
			 path, sf_strerror(NULL));
		return -EINVAL;
	}
	int r = measure_sndfile(sf, &info, path, out, err, errlen);
	sf_close(sf);
	return r;
}
