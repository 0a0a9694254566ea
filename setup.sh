#!/bin/sh
# The README's two commands:  ./setup.sh tour   and   ./setup.sh test
# Installs what is missing (Debian 12, as root), builds, then runs the main
# job or the whole test suite.  Idempotent: a second run installs nothing and
# rebuilds only what changed.
set -eu
cd "$(dirname "$0")"

PACKAGES="gcc libc6-dev meson ninja-build pkg-config python3
libsdl2-dev libopus-dev libopusfile-dev libgps-dev libcyaml-dev libyaml-dev libexpat1-dev libsystemd-dev
gpsd gpsd-clients opus-tools sox libgeos-dev libjson-c-dev time"

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
	shift || true
	build build
	exec build/guide/guide-route check routes/798-751/route.yaml
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
