#!/usr/bin/env python3
"""A reload in the middle of the shipped tour (regression test, issue 8).

usage: reload.py GUIDED GUIDECTL SOURCE_ROOT
`reload` is sent while the third stop is told (paced by the event pipe,
see soak.py); the new route takes over when the story ends.  Before the
fix, the restored tour's trigger engine started from the first stop and
logged clip_skip "missed" for the stops already told.  Now: no stop is
missed, every stop is told exactly once, the tour completes.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import guidedrun  # noqa: E402
from guidedrun import Guided, check  # noqa: E402

GUIDED, GUIDECTL, ROOT = sys.argv[1:4]
ROUTE = os.path.join(ROOT, "routes/798-751/route.yaml")
CLEAN = os.path.join(ROOT, "routes/798-751/tracks/clean.nmea")
TOUR = ["gate", "space798", "ucca", "chimney", "locomotive", "carriages",
        "power_square", "tank79", "furnace", "sky_corridor", "workshops", "street_art"]


def main():
    with tempfile.TemporaryDirectory(prefix="guide-reload-") as tmp:
        g = Guided(GUIDED, GUIDECTL, ROUTE, tmp, CLEAN, deadline=300)
        pos, reloaded = 0, False
        while not g.eof or pos < len(g.events):
            if pos == len(g.events):
                g.read_events(0.05)
                continue
            e = g.events[pos]
            pos += 1
            if not reloaded and e["event"] == "clip_start" and e["poi"] == "ucca":
                reloaded = True
                reply, _ = g.request("reload")
                check(reply and reply.get("ok"), f"reload: {reply}")
        rc = g.proc.wait()
        g.err.seek(0)
        err = g.err.read()
    check(rc == 0, f"guided exit {rc}: {err[-800:]}")
    check("reload: new route 798-751 in effect" in err, "the new route took over")
    evs = g.events
    skips = [(e["poi"], e["reason"]) for e in evs if e["event"] == "clip_skip"]
    check(not [s for s in skips if s[1] == "missed"], f"skips: {skips}")
    told = [e["poi"] for e in evs if e["event"] == "clip_start" and e["lang"] == "zh"]
    for poi in TOUR:
        check(told.count(poi) == 1, f"{poi} told {told.count(poi)} times")
    ends = [e for e in evs if e["event"] == "tour_end"]
    check(len(ends) == 1 and ends[0]["reason"] == "completed", f"tour_end: {ends}")
    if guidedrun.failures:
        print(f"{guidedrun.failures} failure(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
