/* wav:FILE, the microphone's file-backed fake: a 48 kHz mono file played as
 * the cabin's microphone from hal_mic_start() on, pulled up to the caller's
 * clock one block at a time (so it runs on a virtual clock as on a real
 * one); silence after its end. */
#include "hal/mic_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

struct mic_wav {
	struct hal_mic base;
	SNDFILE *sf;
	bool ended;
	uint64_t blocks; /* handed out since start */
	float buf[HAL_MIC_BLOCK_FRAMES];
};

static int
wav_open(const char *arg, const struct hal_mic_options *opts, struct hal_mic **out)
{
	struct mic_wav *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	hal_mic_base_init(&w->base, &hal_mic_wav_impl, opts);
	if (!arg || !*arg) {
		hal_mic_logf(&w->base, HAL_LOG_ERR, "microphone: wav:FILE needs a file");
		free(w);
		return -EINVAL;
	}
	SF_INFO info = {0};
	w->sf = sf_open(arg, SFM_READ, &info);
	if (!w->sf) {
		hal_mic_logf(&w->base, HAL_LOG_ERR, "microphone: %s: %s", arg, sf_strerror(NULL));
		free(w);
		return -ENOENT;
	}
	if (info.samplerate != HAL_MIC_RATE || info.channels != 1) {
		hal_mic_logf(&w->base, HAL_LOG_ERR,
			     "microphone: %s: %d Hz, %d channels; want 48000 Hz mono", arg,
			     info.samplerate, info.channels);
		sf_close(w->sf);
		free(w);
		return -EINVAL;
	}
	*out = &w->base;
	return 0;
}

static void
wav_close(struct hal_mic *m)
{
	struct mic_wav *w = (struct mic_wav *)m;
	sf_close(w->sf);
	free(w);
}

static int
wav_start(struct hal_mic *m)
{
	struct mic_wav *w = (struct mic_wav *)m;
	w->blocks = 0;
	w->ended = sf_seek(w->sf, 0, SEEK_SET) < 0;
	return 0;
}

static int
wav_read(struct hal_mic *m, int64_t elapsed_ms, float *level_db)
{
	struct mic_wav *w = (struct mic_wav *)m;
	/* a block is handed out once the clock has passed its end */
	if (elapsed_ms < 0 || (uint64_t)elapsed_ms < (w->blocks + 1) * HAL_MIC_BLOCK_MS)
		return 0;
	w->blocks++;
	sf_count_t n = 0;
	if (!w->ended) {
		n = sf_readf_float(w->sf, w->buf, HAL_MIC_BLOCK_FRAMES);
		if (n < HAL_MIC_BLOCK_FRAMES)
			w->ended = true;
	}
	if (n < 0)
		n = 0;
	/* silence after the end: the rest of the block counts as zeros */
	double s = 0;
	for (sf_count_t i = 0; i < n; i++)
		s += (double)w->buf[i] * w->buf[i];
	*level_db = hal_mic_level_from_power(s, HAL_MIC_BLOCK_FRAMES);
	return 1;
}

const struct hal_mic_impl hal_mic_wav_impl = {
	.scheme = {"wav", "wav:FILE"},
	.open = wav_open,
	.close = wav_close,
	.start = wav_start,
	.read = wav_read,
};
