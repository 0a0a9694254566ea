#!/bin/sh
# Makes the shipped drives of the 798/751 loop with `guide-route track`
# (synthetic, seeded: the same files every time).  Run from anywhere after a
# build; the files are committed so the demo needs no generation step.
#   clean      a 12 km/h loop, 1 m noise, boarding wait at the gate
#   noisy      5 m noise, multipath jumps of 20-60 m (two a minute) and dropouts
#              of up to 8 s, as near 751's tall gas holders and under the pipelines
#   wrong-way  the loop driven the wrong way round
#   idle       ten minutes parked at the terminal before the loop, five after
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tool=${GUIDE_ROUTE:-$here/../../build/guide/guide-route}
route=$here/route.yaml
out=$here/tracks
mkdir -p "$out"
"$tool" track "$route" --seed 1 --noise 1 --jumps 0 --dropouts 0 >"$out/clean.nmea"
"$tool" track "$route" --seed 1 --noise 1 --jumps 0 --dropouts 0 --gpx >"$out/clean.gpx"
"$tool" track "$route" --seed 2 --noise 5 --jumps 2 --dropouts 0.5 >"$out/noisy.nmea"
"$tool" track "$route" --seed 3 --noise 2 --reverse >"$out/wrong-way.nmea"
"$tool" track "$route" --seed 4 --noise 2 --wait 600 --park 300 >"$out/idle.nmea"
ls -l "$out"
