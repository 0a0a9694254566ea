#!/bin/sh
# The clips of the three-language fixture route (route.yaml here) for the
# channels-mode tests: a distinct tone per stop and language, so that a
# language's channels can be told apart sample by sample.  They are
# committed; rerunning gives equivalent, not byte-identical, files (the
# tests decode them for their references).  Needs sox and opusenc.
set -eu
cd "$(dirname "$0")"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
tone() { # NAME SECONDS CHANNELS SYNTH...
	name=$1 secs=$2 ch=$3
	shift 3
	sox -n -r 48000 -c "$ch" -b 16 "$t/$name.wav" synth "$secs" "$@" vol 0.4
	opusenc --quiet --bitrate 32 "$t/$name.wav" "$name.opus"
}
tone gate.zh 1.2 1 sine 440
tone gate.en 0.9 2 sine 330 sine 550
tone gate.ko 1.5 1 sine 660
tone space.zh 0.8 1 sine 520
tone space.en 1.1 2 sine 370 sine 620
tone space.ko 0.6 1 sine 760
tone ucca.zh 1.0 1 sine 480
tone ucca.en 0.7 2 sine 300 sine 450
tone ucca.ko 1.3 1 sine 700
