/* Opus clip opener: the bytes as a file through clip_probe() and
 * clip_open(), decoded to the end (bounded), with a seek back to the start
 * and into the middle.  No crash, no leak, nothing read past the file. */
#include "tests/fuzz/fuzz.h"

#include "audio/clip.h"

#include <stdlib.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_bytes_as_file(data, size);
	if (!path)
		return 0;
	char err[256];
	int64_t frames = 0;
	int probed = clip_probe(path, &frames, err, sizeof(err));

	struct clip *c = NULL;
	if (clip_open(path, &c, err, sizeof(err)) < 0) {
		if (c)
			abort();
		return 0;
	}
	if (probed < 0 || clip_frames(c) != frames)
		abort(); /* the probe and the opener disagree */
	clip_channels(c);
	clip_path(c);
	static float pcm[2 * 5760];
	/* a clip of N bytes holds at most ~N * 60 ms of Opus frames (one byte
	 * each at 20 ms, 120 ms packets): bound the loop by that */
	size_t budget = 64 + size * 8;
	for (int pass = 0; pass < 2; pass++) {
		int r;
		while (budget-- > 0 && (r = clip_read(c, pcm, 5760, err, sizeof(err))) > 0)
			;
		clip_seek(c, pass == 0 ? clip_frames(c) / 2 : 0, err, sizeof(err));
	}
	clip_close(c);
	return 0;
}
