/* `guide-route gain FILE...`: each file's integrated loudness and the
 * R128_TRACK_GAIN that brings it to the reference (issue 17). */
#include "audio/clip.h"
#include "guide/curator/guide-route.h"
#include "guide/curator/loudness.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cmd_gain_usage[] =
	"Usage: guide-route gain [--value] [--reference LUFS] FILE...\n"
	"  The integrated loudness of each clip (Ogg Opus) or sound file (WAV, FLAC...), by\n"
	"  EBU R128 / ITU-R BS.1770 (libebur128), measured as the guide plays it: a mono\n"
	"  file as the same signal on both loudspeakers, an Opus file before its own\n"
	"  R128_TRACK_GAIN.  With it, the R128_TRACK_GAIN (RFC 7845: Q7.8 dB added to the\n"
	"  output gain) that brings the file to the reference, for\n"
	"    opusenc --comment R128_TRACK_GAIN=N\n"
	"  The guide plays a clip that has it at -16 LUFS (the reference + 7 dB; a boost of\n"
	"  at most 20 dB), one without it at its recorded level.\n"
	"\n"
	"  --value           print only the R128_TRACK_GAIN value, one line a file\n"
	"  --reference LUFS  the loudness the gain brings a file to (default -23, RFC 7845's;\n"
	"                    the guide assumes -23: change it for other players only)\n"
	"\n"
	"Exit status: 0 every file measured; 1 a file could not be read; 2 bad usage, a file\n"
	"that does not decode, or one with nothing to measure (silent, or under 0.4 s).\n";

int
cmd_gain(int argc, char **argv)
{
	bool value = false;
	double reference = CLIP_R128_REFERENCE_LUFS;
	int files = 0, rc = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--value") == 0) {
			value = true;
		} else if (strcmp(argv[i], "--reference") == 0 && i + 1 < argc) {
			char *end;
			reference = strtod(argv[++i], &end);
			if (*end || end == argv[i] || !(reference < 0.0 && reference > -70.0)) {
				fprintf(stderr,
					"guide-route: gain: --reference is a loudness in LUFS "
					"between -70 and 0, not '%s'\n",
					argv[i]);
				return 2;
			}
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr,
				"guide-route: gain: unknown option or missing value '%s'\n"
				"Try 'guide-route gain --help'.\n",
				argv[i]);
			return 2;
		} else {
			files++;
		}
	}
	if (files == 0) {
		fprintf(stderr, "guide-route: gain: usage: guide-route gain [--value] "
				"[--reference LUFS] FILE...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--reference") == 0) {
			i++;
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1])
			continue;
		struct loudness l;
		char err[512];
		int r = loudness_measure(argv[i], &l, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "guide-route: gain: %s\n", err);
			int code = r == -EINVAL || r == -ENOTSUP ? 2 : 1;
			rc = code > rc ? code : rc;
			continue;
		}
		if (!isfinite(l.lufs)) {
			fprintf(stderr,
				"guide-route: gain: %s: nothing to measure: silent (below the "
				"-70 LUFS gate) or shorter than 0.4 s\n",
				argv[i]);
			rc = 2;
			continue;
		}
		int q8 = loudness_track_gain_q8(l.lufs, reference);
		if (value) {
			printf("%d\n", q8);
			continue;
		}
		printf("%s: %.2f LUFS integrated, peak %.1f dBFS, %.1f s; R128_TRACK_GAIN=%d "
		       "(%+.2f dB to %.0f LUFS)",
		       argv[i], l.lufs, l.peak > 0 ? 20.0 * log10(l.peak) : -INFINITY, l.seconds,
		       q8, q8 / 256.0, reference);
		if (l.has_tag)
			printf("; tagged %d%s", l.tag_q8,
			       abs(l.tag_q8 - q8) > 256 ? " (off by more than 1 dB)" : "");
		printf("\n");
	}
	return rc;
}
