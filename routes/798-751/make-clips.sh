#!/bin/sh
# Makes the narration clips of this route from the "text:" lines of route.yaml:
# espeak-ng speaks each text (voice cmn for *.zh.opus, en for *.en.opus) into
# a WAV, opusenc turns it into mono speech Opus at 24 kbit/s in clips/.
# The .opus files are committed, so the demo needs no speech engine; run
# this again after editing a text.  Needs: espeak-ng, opus-tools.
# Each clip records the text it was spoken from in its Opus comment
# GUIDE_TEXT (opusinfo shows it): `guide-route check` warns about a clip whose
# record differs from its text: in the YAML, i.e. a clip made from an older
# text.  A clip without the record (a recording of a real voice) is not
# compared; to keep one, give opusenc --comment "GUIDE_TEXT=what it says".
#
# It reads the simple form the route uses:   file: NAME.LANG.opus
#                                             text: "what the clip says"
set -eu
cd "$(dirname "$0")"
out=clips
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

awk '
	/^[ \t]*file:[ \t]*/ { sub(/^[ \t]*file:[ \t]*/, ""); file = $0; next }
	/^[ \t]*text:[ \t]*/ && file != "" {
		sub(/^[ \t]*text:[ \t]*"/, ""); sub(/"[ \t]*$/, "")
		gsub(/\\"/, "\""); gsub(/\\\\/, "\\")  # the YAML escapes \" and \\
		print file "\t" $0; file = ""
	}
' route.yaml >"$tmp/list"

n=0
while IFS="$(printf '\t')" read -r file text; do
	case "$file" in
	*.zh.opus) voice=cmn; rate=175 ;;
	*.en.opus) voice=en; rate=160 ;;
	*) echo "make-clips: $file: cannot tell the language from the name" >&2; exit 1 ;;
	esac
	espeak-ng -v "$voice" -s "$rate" -w "$tmp/clip.wav" -- "$text"
	opusenc --quiet --bitrate 24 --speech --downmix-mono --serial 798 \
		--comment "GUIDE_TEXT=$text" "$tmp/clip.wav" "$out/$file"
	n=$((n + 1))
done <"$tmp/list"
echo "make-clips: $n clips in $(pwd)/$out"
