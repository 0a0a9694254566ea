#!/bin/sh
# The README's two commands:  ./setup.sh tour   and   ./setup.sh test
# Installs what is missing (Debian 12, as root), builds, then runs the main
# job or the whole test suite.  Idempotent: a second run installs nothing and
# rebuilds only what changed.
set -eu
cd "$(dirname "$0")"

PACKAGES="gcc libc6-dev meson ninja-build pkg-config python3
libsdl2-dev libopus-dev libopusfile-dev libgps-dev libcyaml-dev libyaml-dev libexpat1-dev libsystemd-dev
gpsd gpsd-clients opus-tools sox libgeos-dev libjson-c-dev time libogg-dev libevdev-dev
libebur128-dev libsndfile1-dev pulseaudio pulseaudio-utils valgrind
libsdl2-ttf-dev fonts-wqy-microhei zlib1g-dev xvfb xdotool
libmosquitto-dev mosquitto mosquitto-clients python3-paho-mqtt openssl"

missing=""
# one line per installed architecture (amd64 and arm64 after .ci/cross-arm64)
for p in $PACKAGES; do
	dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -q '^installed$' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing$missing"
	[ "$(id -u)" = 0 ] || { echo "setup: run as root to install:$missing" >&2; exit 1; }
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# gpsd's maintainer scripts try to start the service; not wanted here
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

build() { # dir [meson options...]
	dir=$1; shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 ||
			{ cat "$dir.setup.log"; echo "setup: meson setup $dir failed" >&2; exit 1; }
	fi
	ninja -C "$dir" >"$dir.ninja.log" 2>&1 ||
		{ cat "$dir.ninja.log"; echo "setup: build in $dir failed" >&2; exit 1; }
}

case "${1:-tour}" in
tour)
	# The shipped 798/751 tour in simulation.  Options after "tour":
	#   --speed X     replay X times faster than real time (default 1)
	#   --offline     render tour.flac + tour.jsonl as fast as the CPU allows
	#   --drive NAME  clean (default), noisy, wrong-way or idle
	#   --seats       every language of the tour at once, each on its own
	#                 output channel (zh=1, en=2, ... in the tour's order):
	#                 tour-seats.flac, or a device that has the channels
	#   --no-panel    no driver's panel (guide-panel opens beside the sound
	#                 when $DISPLAY or $WAYLAND_DISPLAY is set)
	shift || true
	speed=1 offline=0 drive=clean seats=0 panel=1
	while [ $# -gt 0 ]; do
		case "$1" in
		--speed) speed=${2:?--speed needs a number}; shift 2 ;;
		--offline) offline=1; shift ;;
		--drive) drive=${2:?--drive needs a name}; shift 2 ;;
		--seats) seats=1; shift ;;
		--no-panel) panel=0; shift ;;
		*) echo "usage: $0 tour [--speed X] [--offline] [--drive clean|noisy|wrong-way|idle] [--seats] [--no-panel]" >&2
		   exit 2 ;;
		esac
	done
	build build
	route=routes/798-751/route.yaml
	track=routes/798-751/tracks/$drive.nmea
	[ -f "$track" ] || { echo "setup: no drive $track" >&2; exit 2; }
	check=$(build/guide/guide-route check "$route")
	out=tour.flac langs=""
	if [ $seats = 1 ]; then
		build/guide/guided --help | grep -q -- --lang-channels ||
			{ echo "setup: this guided has no --lang-channels (issue 16): --seats needs it" >&2; exit 2; }
		# the tour with the most languages ("tour ID: ..., langs zh,en, path ..."):
		# the shipped route's `all`, on the same path as `loop`
		best=$(printf '%s\n' "$check" |
			sed -n 's/^tour \([^:]*\):.*langs \([a-z,-]*\), path.*/\1 \2/p' |
			awk '{ n = gsub(/,/, ",", $2); if (n >= max) { max = n; line = $1 " " $2 } }
			     END { print line }')
		tid=${best%% *} tl=${best#* }
		tl=${tl%,}
		[ -n "$tl" ] || { echo "setup: no tour languages in: $check" >&2; exit 1; }
		n=0 spec=""
		for l in $(printf '%s' "$tl" | tr ',' ' '); do
			n=$((n + 1))
			spec="$spec${spec:+,}$l=$n"
		done
		[ $n -le 8 ] || { echo "setup: $n languages: a sink has 8 channels at most" >&2; exit 2; }
		langs="--tour $tid --lang-channels $spec"
		out=tour-seats.flac
		echo "seats: tour $tid, $spec (language=channel)"
	fi
	# a sound card, or a sound server to reach one?
	sound=0
	for dev in /dev/snd/pcmC*p; do [ -e "$dev" ] && sound=1; done
	[ -n "${PULSE_SERVER:-}" ] && sound=1
	[ -S "${XDG_RUNTIME_DIR:-/nonexistent}/pulse/native" ] && sound=1
	[ -S "${XDG_RUNTIME_DIR:-/nonexistent}/pipewire-0" ] && sound=1
	if [ $sound = 0 ] && [ $offline = 0 ]; then
		echo "setup: no sound device here: rendering the tour to $out instead"
		offline=1
	fi
	rm -f tour.jsonl
	if [ $offline = 1 ]; then
		# shellcheck disable=SC2086 # $langs: an option and its value
		build/guide/guided --route "$route" --gps "nmea:$track" --offline \
			--audio "file:$out" --events tour.jsonl --start $langs
		build/guide/guide-route render "$route" --track "$track" --events tour.jsonl -o tour.svg
		echo "wrote $out (listen: play $out), tour.jsonl (events), tour.svg (map)"
		if [ $seats = 1 ]; then
			ch=${spec#*=}; ch=${ch%%,*}; l=${spec%%=*}
			echo "one seat: sox $out seat-$l.wav remix $ch   (README: Every seat its own language)"
		fi
	else
		echo "playing the tour at ${speed}x through the speakers; Ctrl-C ends it"
		sock="${TMPDIR:-/tmp}/guide-$$.sock" panel_pid=""
		if [ $panel = 1 ] && { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; }; then
			# the driver's panel beside the sound (it waits for the socket)
			build/guide/guide-panel --control "$sock" 2>panel.log &
			panel_pid=$!
			echo "driver's panel: window 'guide-panel' (log panel.log; --no-panel: none)"
		fi
		rc=0
		# shellcheck disable=SC2086
		build/guide/guided --route "$route" --gps "nmea:$track" --audio sdl \
			--speed "$speed" --events tour.jsonl --control "$sock" \
			--start --status $langs || rc=$?
		[ -z "$panel_pid" ] || kill "$panel_pid" 2>/dev/null || true
		exit $rc
	fi
	;;
test)
	build build
	rc=0
	meson test -C build --print-errorlogs --num-processes 2 || rc=1
	# once more under AddressSanitizer + UndefinedBehaviorSanitizer
	build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		meson test -C build-asan --print-errorlogs --num-processes 2 || rc=1
	exit $rc
	;;
*)
	echo "usage: $0 tour | test" >&2
	exit 2
	;;
esac
