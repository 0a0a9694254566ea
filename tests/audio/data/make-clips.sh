#!/bin/sh
# How the test clips here were made (sox, opusenc, espeak-ng).  They are
# committed; rerunning this gives equivalent, not byte-identical, files
# (opusenc stamps a random stream serial), so the tests decode them with
# libopusfile for their references instead of hard-coding samples (except
# test-mixer.c, which knows where the committed corrupt.opus has its hole).
set -eu
cd "$(dirname "$0")"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
sox -n -r 48000 -c 1 -b 16 "$t/sine.wav" synth 1.0 sine 440 vol 0.5
opusenc --quiet --bitrate 32 "$t/sine.wav" sine440-mono.opus
sox -n -r 48000 -c 2 -b 16 "$t/st.wav" synth 1.5 sine 330 sine 550 vol 0.4
opusenc --quiet --bitrate 48 "$t/st.wav" chord-stereo.opus
sox -n -r 48000 -c 2 -b 16 "$t/mu.wav" synth 4.0 pinknoise vol 0.3
opusenc --quiet --bitrate 48 "$t/mu.wav" music-stereo.opus
espeak-ng -w "$t/sp.wav" "Welcome aboard the seven nine eight art zone shuttle. On your left is the old factory hall, built in the nineteen fifties, now home to galleries and studios. Please keep your hands inside the cart while we are moving."
sox "$t/sp.wav" -r 48000 "$t/sp48.wav"
opusenc --quiet --bitrate 24 "$t/sp48.wav" speech-mono.opus
# cut inside the headers: does not open
head -c 80 sine440-mono.opus > truncated.opus
# a WAV file with an .opus name
sox -n -r 8000 -c 1 -b 16 -t wav not-opus.opus synth 0.1 sine 300
# 16 bytes flipped 30 % into the speech: libopusfile reports a hole at 2.994 s
python3 -c "
d = bytearray(open('speech-mono.opus', 'rb').read()); o = int(len(d) * 0.3)
for i in range(o, o + 16): d[i] ^= 0x5a
open('corrupt.opus', 'wb').write(d)"
# Even loudness (issue 17): the speech at its level and 12 dB lower, each
# with the R128_TRACK_GAIN that guide-route gain measures on its WAV (the
# build's guide-route; GUIDE_ROUTE=path to use another).
gr=${GUIDE_ROUTE:-../../../build/guide/guide-route}
sox "$t/sp48.wav" "$t/loud.wav" gain -n -1
sox "$t/loud.wav" "$t/quiet.wav" gain -12
for v in loud quiet; do
	opusenc --quiet --bitrate 24 --comment "R128_TRACK_GAIN=$("$gr" gain --value "$t/$v.wav")" \
		"$t/$v.wav" "speech-$v.opus"
done
# the quiet one without its gain: plays 12 dB below the loud one
opusenc --quiet --bitrate 24 "$t/quiet.wav" speech-quiet-untagged.opus
