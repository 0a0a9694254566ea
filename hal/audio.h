/* The one audio format of the guide: interleaved stereo float32 at 48 kHz.
 *
 * Clips decode to it (audio/clip.h), the mixer renders it (audio/mixer.h),
 * every sink plays or writes it (hal/sink.h).  A frame is HAL_AUDIO_CHANNELS
 * floats, left first; positions and lengths in frames count at HAL_AUDIO_RATE.
 */
#pragma once

#define HAL_AUDIO_RATE 48000 /* frames per second */
#define HAL_AUDIO_CHANNELS 2 /* interleaved: left, right */
