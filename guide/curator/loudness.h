/* Integrated loudness of a clip or a WAV file (EBU R128 / ITU-R BS.1770,
 * with libebur128) and the R128_TRACK_GAIN that brings it to a target
 * (`guide-route gain`, issue 17; audio/clip.h says how the guide plays it).
 *
 * A file is measured as the guide plays it: a mono file is the same signal
 * on both loudspeakers (libebur128's dual mono: +3 LU over mono), a stereo
 * file as stereo, an Opus file of more channels as libopusfile's stereo
 * downmix.  An Opus file is measured before its R128_TRACK_GAIN (with its
 * header's output gain, as RFC 7845 wants).  Main thread; allocates. */
#pragma once

#include <stddef.h>

struct loudness {
	double lufs;    /* integrated loudness; -HUGE_VAL when all is below the gate */
	double peak;    /* sample peak, linear (1.0 = full scale) */
	double seconds; /* measured length */
	int channels;   /* of the file */
	int has_tag;    /* an Opus file with R128_TRACK_GAIN */
	int tag_q8;     /* its value */
};

/* Measures path: Ogg Opus (libopusfile) or anything libsndfile reads (WAV,
 * FLAC...).  0, or a negative errno with the reason in err (-ENOENT,
 * -EINVAL: neither decodes, -ENOTSUP: a layout not handled). */
int loudness_measure(const char *path, struct loudness *out, char *err, size_t errlen);

/* The R128_TRACK_GAIN (Q7.8 dB, rounded, clamped to 16 bits) that brings a
 * clip of `lufs` to `target_lufs`. */
int loudness_track_gain_q8(double lufs, double target_lufs);
