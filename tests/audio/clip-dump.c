/* clip-dump FILE: a clip decoded by audio/clip.c (what the mixer plays), as
 * raw interleaved stereo float32 on stdout: the reference for the tests
 * that check a rendered tour sample by sample (tests/daemon/test_seats.py). */
#include "audio/clip.h"

#include <stdio.h>

int
main(int argc, char **argv)
{
	static float buf[2 * 4096];
	struct clip *c;
	char err[256];
	int n;

	if (argc != 2) {
		fprintf(stderr, "usage: clip-dump FILE.opus > FILE.f32\n");
		return 2;
	}
	if (clip_open(argv[1], &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "clip-dump: %s: %s\n", argv[1], err);
		return 1;
	}
	while ((n = clip_read(c, buf, 4096, err, sizeof(err))) > 0)
		fwrite(buf, sizeof(float) * 2, (size_t)n, stdout);
	clip_close(c);
	if (n < 0) {
		fprintf(stderr, "clip-dump: %s: %s\n", argv[1], err);
		return 1;
	}
	return 0;
}
