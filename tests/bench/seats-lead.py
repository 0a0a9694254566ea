#!/usr/bin/env python3
"""How far before each geofence a stop's story starts on the shipped tour's
clean drive, languages in turn (sequential) and all at once (channels mode,
--lang-channels zh=1+2,en=3+4): the early start counts a stop's airtime, the
sum of its clips in turn, the longest at once (issue 16).  From the event
log: the cart's position at the stop's first clip_start, its distance to the
stop's fence (0: inside).  Prints a table and key=value lines.

usage: seats-lead.py GUIDED GUIDE_ROUTE"""

import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import ROUTE, TOUR, fence_distance_m, track  # noqa: E402


def starts(guided, extra, tmp, name):
    events = os.path.join(tmp, name + ".jsonl")
    subprocess.run([guided, "--route", ROUTE, "--gps", "nmea:" + track("clean.nmea"),
                    "--offline", "--audio", "null", "--start", "--events", events] + extra,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=600)
    first = {}
    with open(events) as f:
        for line in f:
            e = json.loads(line)
            if e["event"] == "clip_start" and e["poi"] not in first:
                first[e["poi"]] = [e["lon"], e["lat"]]
    return first


def main():
    guided, guide_route = sys.argv[1:3]
    geo = json.loads(subprocess.run([guide_route, "export", ROUTE, "--geojson"], check=True,
                                    capture_output=True, text=True).stdout)
    fences = {f["properties"]["id"]: f for f in geo["features"]
              if f["properties"].get("kind") == "poi" and "id" in f["properties"]}
    with tempfile.TemporaryDirectory() as tmp:
        seq = starts(guided, [], tmp, "sequential")
        ch = starts(guided, ["--lang-channels", "zh=1+2,en=3+4"], tmp, "channels")
    print(f"{'stop':<14} {'sequential m':>13} {'channels m':>11}")
    for poi in TOUR:
        d = [fence_distance_m(s[poi], fences[poi]) if poi in s and poi in fences else None
             for s in (seq, ch)]
        cells = [f"{x:.0f}" if x is not None else "-" for x in d]
        print(f"{poi:<14} {cells[0]:>13} {cells[1]:>11}")
        print(f"lead_{poi}_sequential_m={cells[0]} lead_{poi}_channels_m={cells[1]}")


if __name__ == "__main__":
    main()
