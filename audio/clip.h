/* Ogg Opus narration clips, decoded with libopusfile to the guide's audio
 * format (hal/audio.h: 48 kHz float).
 *
 * A struct clip is a streaming decoder: it holds the open file and
 * libopusfile's state, never the whole decoded clip.  Output is always
 * interleaved stereo float: a mono clip is copied to both channels at unity
 * gain (centred), a stereo clip is passed as is, a multichannel clip is
 * downmixed by libopusfile (op_read_float_stereo).
 *
 * Thread rules: a struct clip is used by one thread at a time; none of these
 * functions is RT-safe (they read files and allocate).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hal/audio.h"

/* Even loudness (issue 17).  A clip states its loudness gain in the Opus
 * comment R128_TRACK_GAIN (RFC 7845 section 5.2.1): a Q7.8 number of dB
 * that, added to the header's output gain, brings the clip to the RFC's
 * reference of -23 LUFS integrated loudness (EBU R128 / ITU-R BS.1770;
 * `guide-route gain` measures it, make-clips.sh writes it; a mono clip is
 * measured as played, the same signal on both channels: dual mono).  The
 * guide plays every such clip at CLIP_TARGET_LUFS, i.e. with the track
 * gain plus CLIP_TARGET_LUFS - CLIP_R128_REFERENCE_LUFS, a boost capped at
 * CLIP_MAX_BOOST_DB (a recording quieter than that stays below target:
 * `guide-route check` names it).  The gain is applied inside the decoder
 * (libopus's OPUS_SET_GAIN), on the decoding thread: nothing is computed on
 * the audio thread.  A clip without the comment plays at its recorded level. */
#define CLIP_R128_REFERENCE_LUFS -23.0
#define CLIP_TARGET_LUFS -16.0 /* speech over loudspeakers: AES TD1004 */
#define CLIP_MAX_BOOST_DB 20.0
#define CLIP_TRACK_GAIN_TAG "R128_TRACK_GAIN"

/* The gain in dB the guide applies on top of the output gain for a track
 * gain of q8 (Q7.8 dB, relative to CLIP_R128_REFERENCE_LUFS). */
double clip_play_gain_db(int track_gain_q8);

/* Opens the file far enough to know whether it decodes and how long it is.
 * Returns 0 and the length in frames (HAL_AUDIO_RATE), or a negative errno-style code
 * with a human-readable reason in err. */
int clip_probe(const char *path, int64_t *frames, char *err, size_t errlen);

/* clip_probe's answer, and the value of the comment tag `tag` (e.g.
 * "GUIDE_TEXT") malloc'd in *value, NULL when the clip has no such tag
 * (tag or value NULL: none wanted).  Faster than clip_probe for a route of
 * thousands of clips: the length comes from the granule positions of the
 * first audio page and the last page, without setting up a decoder
 * (libopus's set-up runs CPUID, which traps to the hypervisor of a virtual
 * machine: about 100 us a clip); a file where that is not certain (chained,
 * multiplexed, starting at a granule other than 0) is opened as clip_open does. */
int clip_probe_tag(const char *path, int64_t *frames, const char *tag, char **value, char *err,
		   size_t errlen);
/* The same for n_tags tags at once (one opening of the file): values[i]
 * gets tags[i]'s value malloc'd, or NULL; on an error every value is NULL
 * (tags or values NULL: none wanted). */
int clip_probe_tags(const char *path, int64_t *frames, const char *const *tags, char **values,
		    unsigned n_tags, char *err, size_t errlen);

struct clip;

/* Opens a clip for streaming.  Returns 0, or a negative errno-style code
 * (-ENOENT missing, -EISDIR not a file, -EINVAL not decodable: not Ogg Opus,
 * bad header, truncated before the first audio) with the reason in err.
 * The length (op_pcm_total) is known at once: clip_frames(). */
int clip_open(const char *path, struct clip **out, char *err, size_t errlen);

/* destroy(NULL) is a no-op. */
void clip_close(struct clip *c);

/* Length in frames (HAL_AUDIO_RATE), as stated by the stream. */
int64_t clip_frames(const struct clip *c);

/* Channels the file has (1 mono, 2 stereo, more for surround). */
int clip_channels(const struct clip *c);

/* Decodes up to max_frames frames of interleaved stereo into out (room for
 * 2 * max_frames floats).  Returns the frame count (> 0), 0 at the end, or
 * a negative code with the reason in err: a hole in the Ogg stream
 * (corrupted or spliced data) or a decode error ends the clip with an
 * error rather than playing over a gap. */
int clip_read(struct clip *c, float *out, int max_frames, char *err, size_t errlen);

/* Moves the read position to frame (clamped to [0, clip_frames]).
 * Returns 0 or a negative code with the reason in err. */
int clip_seek(struct clip *c, int64_t frame, char *err, size_t errlen);

/* Whether the clip carries R128_TRACK_GAIN, and the loudness gain (dB,
 * clip_play_gain_db) applied to its first link; 0 when it carries none. */
int clip_has_track_gain(const struct clip *c);
double clip_gain_db(const struct clip *c);

/* The path given at open (for messages). */
const char *clip_path(const struct clip *c);
