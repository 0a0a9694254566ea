#!/bin/sh
# The README's two commands:  ./setup.sh tour   and   ./setup.sh test
# Installs what is missing (Debian 12, as root), builds, then runs the main
# job or the whole test suite.  Idempotent: a second run installs nothing and
# rebuilds only what changed.
set -eu
cd "$(dirname "$0")"

PACKAGES="gcc libc6-dev meson ninja-build pkg-config python3
libsdl2-dev libopus-dev libopusfile-dev libgps-dev libcyaml-dev libyaml-dev libexpat1-dev libsystemd-dev
gpsd gpsd-clients opus-tools sox libgeos-dev libjson-c-dev time libogg-dev
pulseaudio pulseaudio-utils libsndfile1-dev"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -q '^installed$' ||
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
	#   --offline     render tour.wav + tour.jsonl as fast as the CPU allows
	#   --drive NAME  clean (default), noisy, wrong-way or idle
	shift || true
	speed=1 offline=0 drive=clean
	while [ $# -gt 0 ]; do
		case "$1" in
		--speed) speed=${2:?--speed needs a number}; shift 2 ;;
		--offline) offline=1; shift ;;
		--drive) drive=${2:?--drive needs a name}; shift 2 ;;
		*) echo "usage: $0 tour [--speed X] [--offline] [--drive clean|noisy|wrong-way|idle]" >&2
		   exit 2 ;;
		esac
	done
	build build
	route=routes/798-751/route.yaml
	track=routes/798-751/tracks/$drive.nmea
	[ -f "$track" ] || { echo "setup: no drive $track" >&2; exit 2; }
	build/guide/guide-route check "$route" >/dev/null
	# a sound card, or a sound server to reach one?
	sound=0
	for dev in /dev/snd/pcmC*p; do [ -e "$dev" ] && sound=1; done
	[ -n "${PULSE_SERVER:-}" ] && sound=1
	[ -S "${XDG_RUNTIME_DIR:-/nonexistent}/pulse/native" ] && sound=1
	[ -S "${XDG_RUNTIME_DIR:-/nonexistent}/pipewire-0" ] && sound=1
	if [ $sound = 0 ] && [ $offline = 0 ]; then
		echo "setup: no sound device here: rendering the tour to tour.wav instead"
		offline=1
	fi
	rm -f tour.jsonl
	if [ $offline = 1 ]; then
		build/guide/guided --route "$route" --gps "nmea:$track" --offline \
			--audio wav:tour.wav --events tour.jsonl --start
		build/guide/guide-route render "$route" --track "$track" --events tour.jsonl -o tour.svg
		echo "wrote tour.wav (listen: play tour.wav), tour.jsonl (events), tour.svg (map)"
	else
		echo "playing the tour at ${speed}x through the speakers; Ctrl-C ends it"
		build/guide/guided --route "$route" --gps "nmea:$track" --audio sdl \
			--speed "$speed" --events tour.jsonl --control "${TMPDIR:-/tmp}/guide-$$.sock" \
			--start --status
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
