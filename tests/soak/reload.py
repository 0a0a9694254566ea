#!/usr/bin/env python3
"""A reload in the middle of the shipped tour (regression test, issue 8).

usage: reload.py GUIDED GUIDECTL GUIDE_ROUTE
`reload` is sent while the third stop is told (paced by the event pipe,
see soak.py); the new route takes over when the story ends.  Before the
fix, the restored tour's trigger engine started from the first stop and
logged clip_skip "missed" for the stops already told.  Now: no stop is
missed, every stop is told exactly once, the tour completes.
"""
from testlib import TOUR, check, main, track


def body(env):
    g = env.guided("nmea:" + track("clean.nmea"), offline=True, start=True,
                   state=env.path("state"), events="pipe", deadline=300)
    reloaded = False
    for e in g.follow():
        if not reloaded and e["event"] == "clip_start" and e["poi"] == "ucca":
            reloaded = True
            reply, _ = g.request("reload")
            check(reply and reply.get("ok"), f"reload: {reply}")
    g.check_exit(g.wait(60), "guided")
    check("reload: new route 798-751 in effect" in g.stderr(), "the new route took over")
    evs = g.events
    skips = [(e["poi"], e["reason"]) for e in evs if e["event"] == "clip_skip"]
    check(not [s for s in skips if s[1] == "missed"], f"skips: {skips}")
    told = [e["poi"] for e in evs if e["event"] == "clip_start" and e["lang"] == "zh"]
    for poi in TOUR:
        check(told.count(poi) == 1, f"{poi} told {told.count(poi)} times")
    ends = [e for e in evs if e["event"] == "tour_end"]
    check(len(ends) == 1 and ends[0]["reason"] == "completed", f"tour_end: {ends}")


main(body)
