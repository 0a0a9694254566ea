#!/bin/bash
# Makes the narration clips of this route from the "text:" lines of route.yaml:
# espeak-ng speaks each text (the voice from the language in the file name,
# see voice_of) into a WAV, opusenc turns it into mono speech Opus at
# 24 kbit/s in clips/.
# The .opus files are committed, so the demo needs no speech engine; run
# this again after editing a text.  Needs: espeak-ng, opus-tools.
# Each clip records in its Opus comments (opusinfo shows them):
#   GUIDE_TEXT=...            the text it was spoken from: `guide-route check`
#                             warns about a clip whose record differs from its
#                             text: in the YAML, i.e. a clip made from an older
#                             text.  A clip without the record (a recording of
#                             a real voice) is not compared; to keep one, give
#                             opusenc --comment "GUIDE_TEXT=what it says".
#   GUIDE_VOICE=espeak-ng:fr  the voice that spoke it
#   GUIDE_SYNTHETIC=1         a speech engine, not a person: `check` counts
#                             these clips so that they get recorded
#   R128_TRACK_GAIN=N         its loudness gain (RFC 7845: Q7.8 dB to -23 LUFS),
#                             measured on the WAV by `guide-route gain` (the
#                             build's, or $GUIDE_ROUTE): the guide plays every
#                             clip at -16 LUFS with it (audio/clip.h)
#
# It reads the simple form the route uses:   file: NAME.LANG.opus
#                                             text: "what the clip says"
#
# To add a language: give every clip a NAME.LANG.opus + text:, add the
# language to voice_of below, and run this again.
set -euo pipefail
cd "$(dirname "$0")"
out=clips
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
guide_route=${GUIDE_ROUTE:-../../build/guide/guide-route}
if [ ! -x "$guide_route" ]; then
	echo "make-clips: no $guide_route to measure loudness: build it (meson setup build &&" \
		"ninja -C build) or set GUIDE_ROUTE" >&2
	exit 1
fi

# voice_of LANG: prints the espeak-ng voice and speed (words per minute)
voice_of() {
	case "$1" in
	zh) echo "cmn 175" ;;
	en) echo "en 160" ;;
	fr) echo "fr 160" ;;
	de) echo "de 155" ;;
	es) echo "es 160" ;;
	ru) echo "ru 155" ;;
	ko) echo "ko 160" ;;
	ja) echo "ja 160" ;;
	*) return 1 ;;
	esac
}

# make_clip TEXT VOICE OUT: speaks TEXT with espeak-ng voice VOICE (at the
# speed in $rate) and encodes it to the Opus file OUT with its provenance.
make_clip() {
	local text=$1 voice=$2 outfile=$3
	local wav="$tmp/clip.wav"
	espeak-ng -v "$voice" -s "${rate:-160}" -w "$wav" -- "$text"
	local gain
	gain=$("$guide_route" gain --value "$wav")
	local comments=(
		--comment "GUIDE_TEXT=$text"
		--comment "GUIDE_VOICE=espeak-ng:$voice"
		--comment "GUIDE_SYNTHETIC=1"
		--comment "R128_TRACK_GAIN=$gain"
	)
	opusenc --quiet --bitrate 24 --speech --downmix-mono --serial 798 \
		"${comments[@]}" "$wav" "$outfile"
}

awk '
	function unquote(s) {
		sub(/^"/, "", s); sub(/"[ \t]*$/, "", s)
		gsub(/\\"/, "\"", s); gsub(/\\\\/, "\\", s)  # the YAML escapes \" and \\
		return s
	}
	function flush() { if (file != "" && text != "") print file "\t" text; file = ""; text = "" }
	/^[ \t]*file:[ \t]*/ { flush(); sub(/^[ \t]*file:[ \t]*/, ""); file = $0; next }
	/^[ \t]*text:[ \t]*/ && file != "" { sub(/^[ \t]*text:[ \t]*/, ""); text = unquote($0); next }
	{ flush() }
	END { flush() }
' route.yaml >"$tmp/list"

n=0
declare -A made # a clip two tours share (their announcements) is made once
while IFS=$'\t' read -r file text; do
	[ -z "${made[$file]:-}" ] || continue
	made[$file]=1
	lang=${file%.opus}
	lang=${lang##*.}
	if ! vr=$(voice_of "$lang"); then
		echo "make-clips: $file: no voice for language '$lang' (see voice_of)" >&2
		exit 1
	fi
	voice=${vr% *}
	rate=${vr#* }
	make_clip "$text" "$voice" "$out/$file"
	n=$((n + 1))
done <"$tmp/list"
echo "make-clips: $n clips in $(pwd)/$out"
