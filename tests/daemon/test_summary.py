#!/usr/bin/env python3
"""guided's summary at the end of a drive says what happened (issue 12,
item 8): per tour, its stops told, missed and skipped and its end reason as
the event log has it (not "finished" for a tour the log says was stopped;
two tours after a stop and a start are two, not one); a hint when the drive
never came near the tour's path, and a datum hint when the route's
coordinates are GCJ-02 (copied from AMap) while the file says wgs84."""

import os
import re
import shutil

from testlib import ROOT, ROUTE, ROUTE_DIR, TOUR, check, main, track


def tours_of(evs):
    """[(tour, end reason or None, stops told)] from the event log."""
    runs = []
    for e in evs:
        if e["event"] == "tour_start":
            runs.append([e["tour"], None, set()])
        elif e["event"] == "tour_end" and runs:
            runs[-1][1] = e["reason"]
        elif e["event"] == "clip_start" and runs and e["poi"] in TOUR:
            runs[-1][2].add(e["poi"])
    return runs


def stop_and_start(env):
    """The driver stops the tour at ucca and starts it again."""
    g = env.guided("nmea:" + track("clean.nmea"), name="two", offline=True, start=True,
                   events="pipe", deadline=120)
    stopped = False
    for e in g.follow():
        if not stopped and e["event"] == "clip_start" and e["poi"] == "ucca":
            stopped = True
            reply, _ = g.request("stop")
            check(reply and reply.get("ok"), f"stop: {reply}")
            reply, _ = g.request("start")
            check(reply and reply.get("ok"), f"start: {reply}")
    g.check_exit(g.wait(60), "guided")
    out = g.stdout()
    runs = tours_of(g.events)
    check(len(runs) == 2 and runs[0][1] == "stopped", f"the log: {runs}")
    check(out.startswith("summary: 2 tours,"), "two tours:\n" + out)
    check("finished" not in out, "no 'finished' the log does not say:\n" + out)
    for i, (tour, reason, told) in enumerate(runs, 1):
        head = f"  tour {i}: {tour} [zh,en], " + (reason or "not ended")
        check(head in out, f"summary line '{head}':\n{out}")
        # this tour's section: its stops told, as the log counts them
        section = out.split(head, 1)[-1].split("  tour ", 1)[0]
        check(f"stops told: {len(told)} of {len(TOUR)}" in section,
              f"tour {i} told {sorted(told)}:\n{out}")
    print(out)


def gcj_route(env):
    """The shipped route with its coordinates in GCJ-02 (as copied from AMap)
    under a datum: wgs84 line: the classic mistake."""
    r = env.guide_route("convert", ROUTE, "--datum", "gcj02")
    check(r.returncode == 0, f"convert: {r.stderr}")
    path = env.path("amap.yaml")
    with open(path, "w") as f:
        f.write(re.sub(r"(?m)^datum: gcj02$", "datum: wgs84", r.stdout))
    if not os.path.exists(env.path("clips")):
        os.symlink(os.path.join(ROUTE_DIR, "clips"), env.path("clips"))
    return path


def hint_of(env, name, route, drive):
    g = env.guided("nmea:" + drive, name=name, route=route, offline=True, start=True,
                   control=False)
    g.check_exit(g.wait(120), name)
    hints = [line for line in g.stdout().splitlines() if line.startswith("hint: ")]
    check(len(hints) <= 1, f"{name}: one hint at most:\n{g.stdout()}")
    return hints[0] if hints else "", g.stdout()


def body(env):
    stop_and_start(env)
    # the clean drive on the shipped route: nothing to hint at
    hint, out = hint_of(env, "clean", ROUTE, track("clean.nmea"))
    check(not hint, "no hint on the clean drive:\n" + out)
    # GCJ-02 coordinates that say wgs84: every fix ~530 m from where the route thinks
    amap = gcj_route(env)
    hint, out = hint_of(env, "gcj", amap, track("clean.nmea"))
    m = re.search(r"GCJ-02 shift \((\d+) m here\)", hint)
    check(m and 400 < int(m.group(1)) < 700 and "look copied from a Chinese map" in hint
          and f"{amap} says datum: wgs84" in hint, "the datum hint:\n" + out)
    # a drive of somewhere else (a receiver's log from gpsd's test suite)
    other = os.path.join(ROOT, "tests", "data", "gpsd-nmea", "ait250.log")
    hint, out = hint_of(env, "far", ROUTE, other)
    check(re.search(r"never came within 100 m of tour loop's path \(closest \d+ km\)", hint),
          "the far drive's hint:\n" + out)


main(body)
