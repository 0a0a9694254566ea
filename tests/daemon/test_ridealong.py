#!/usr/bin/env python3
"""From a ride along to a route (issue 18): guidectl mark [NAME] and the mark
key append the fix as a draft stop to --marks (a YAML list a route takes
under stops:); --record keeps the drive as NMEA (every fix, appended, a torn
tail ended); guide-route path turns it into a few path points with every fix
within --tolerance; max_speed_kmh on a tour and a stop: speeding once an
episode after 3 s over the limit, then speeding_end."""

import math
import os
import re

from testlib import check, main, wait_for

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
SESSION = os.path.join(DATA, "keypad-session.evemu")


def nmea_fixes(path):
    """(lat, lon) of each RMC with a position, in order."""
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            p = line.strip().split(",")
            if len(p) < 7 or not p[0].endswith("RMC") or p[2] != "A":
                continue
            lat = int(p[3][:2]) + float(p[3][2:]) / 60
            lon = int(p[5][:3]) + float(p[5][3:]) / 60
            out.append((-lat if p[4] == "S" else lat, -lon if p[6] == "W" else lon))
    return out


def xy(p, o):
    k = math.pi / 180 * 6371008.8
    return ((p[1] - o[1]) * k * math.cos(o[0] * math.pi / 180), (p[0] - o[0]) * k)


def seg_dist(p, a, b):
    dx, dy = b[0] - a[0], b[1] - a[1]
    l2 = dx * dx + dy * dy
    t = 0 if l2 == 0 else max(0, min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2))
    return math.hypot(a[0] + t * dx - p[0], a[1] + t * dy - p[1])


def marks(env, drive):
    """guidectl mark on a live replay; the key in an offline one."""
    mfile = env.path("marks.yaml")
    d = env.guided("nmea:" + drive, name="marks", speed=10, start=True, lang="en",
                   extra=["--marks", mfile])
    d.wait_ready()
    d.wait_event(lambda e: e["event"] == "gps_fix", 60, "a fix")
    rc, out, err = d.ctl("mark", "Old", "Tank")
    check(rc == 0 and "old-tank" in out, "guidectl mark Old Tank: %d %r %r" % (rc, out, err))
    # then while the cart moves: the course is its heading
    wait_for(lambda: (d.status()["position"].get("speed_kmh") or 0) > 8, 60, "the cart moving")
    rc, out, err = d.ctl("mark")
    check(rc == 0 and "mark-2" in out, "guidectl mark: %d %r %r" % (rc, out, err))
    rc, out, err = d.ctl("mark", "old", "TANK")  # ids stay unique
    check(rc == 0 and "old-tank-2" in out, "guidectl mark old TANK: %d %r %r" % (rc, out, err))
    evs = [e for e in d.read_events() if e["event"] == "mark"]
    check([e.get("id") for e in evs] == ["old-tank", "mark-2", "old-tank-2"],
          "mark events: %s" % evs)
    text = open(mfile).read()
    items = re.findall(r"^  - id: (\S+)$", text, re.M)
    check(items == ["old-tank", "mark-2", "old-tank-2"],
          "three draft stops in %s: %r" % (mfile, text))
    check('name: {zh: "Old Tank", en: "Old Tank"}' in text, "the name: %r" % text)
    for e in evs:
        want = "circle: {lat: %.7f, lon: %.7f, radius_m: 30}" % (e["lat"], e["lon"])
        check(want in text, "the fix of %s as its circle: %r" % (e["id"], text))
    check("heading" not in evs[0] and "heading" in evs[1] and "heading" in evs[2],
          "a heading when moving only: %s" % evs)
    if "heading" in evs[1]:
        check("heading: {deg: %d, tolerance_deg: 45}" % evs[1]["heading"] in text,
              "the course as the heading: %r" % text)
    env.stop(d.proc)

    # the route takes them under stops:
    route = env.route_copy("marked.yaml")
    with open(route) as f:
        rt = f.read()
    with open(route, "w") as f:
        f.write(rt.replace("\nstops:\n", "\nstops:\n" + text, 1))
    r = env.guide_route("check", route)
    check(r.returncode == 0, "guide-route check with the marks pasted: %d\n%s"
          % (r.returncode, r.stderr[-2000:]))

    # the mark key (KEY_M at 15 s of the keypad session), offline
    kfile = env.path("key-marks.yaml")
    g = env.guided("nmea:" + drive, name="key", offline=True, control=False,
                   extra=["--input", "evemu:" + SESSION, "--marks", kfile])
    g.check_exit(g.wait(120), "guided with the keypad session")
    kev = [e for e in g.read_events() if e["event"] == "mark"]
    check(len(kev) == 1 and kev[0].get("id") == "mark-1", "the key's mark event: %s" % kev)
    ktext = open(kfile).read() if os.path.exists(kfile) else ""
    check(re.findall(r"^  - id: (\S+)$", ktext, re.M) == ["mark-1"],
          "the key appends a draft stop: %r" % ktext)


def record_and_path(env, drive):
    rec = env.path("ride.nmea")
    g = env.guided("nmea:" + drive, name="rec", offline=True, control=False, start=True,
                   extra=["--record", rec])
    g.check_exit(g.wait(120), "guided --record")
    want = nmea_fixes(drive)
    got = nmea_fixes(rec)
    check(len(got) == len(want) and len(got) > 100,
          "every fix recorded: %d of %d" % (len(got), len(want)))
    check(all(abs(a[0] - b[0]) < 2e-7 and abs(a[1] - b[1]) < 2e-7 for a, b in zip(got, want)),
          "the recorded positions are the drive's")
    # a power cut mid-sentence: the next run ends the torn line and goes on
    with open(rec, "a") as f:
        f.write("$GPRMC,0200")
    g = env.guided("nmea:" + drive, name="rec2", offline=True, control=False, start=True,
                   extra=["--record", rec])
    g.check_exit(g.wait(120), "guided --record again")
    again = nmea_fixes(rec)
    check(len(again) == 2 * len(want), "appended: %d fixes, want %d" % (len(again), 2 * len(want)))
    check(any(ln.strip() == "$GPRMC,0200" for ln in open(rec)), "the torn line ended apart")

    # guide-route path: few points, every fix within the tolerance
    for tol in (5, 2):
        r = env.guide_route("path", drive, "--tolerance", tol)
        check(r.returncode == 0, "guide-route path: %d %s" % (r.returncode, r.stderr))
        pts = [(float(a), float(b)) for a, b in
               re.findall(r"^      - \{lat: ([-\d.]+), lon: ([-\d.]+)\}$", r.stdout, re.M)]
        check("\n    path:\n" in r.stdout, "a path: block: %r" % r.stdout[:300])
        check(2 <= len(pts) < len(want) / 10,
              "tolerance %g: %d points for %d fixes" % (tol, len(pts), len(want)))
        o = pts[0]
        line = [xy(p, o) for p in pts]
        worst = max(min(seg_dist(xy(f, o), line[i], line[i + 1]) for i in range(len(line) - 1))
                    for f in want)
        check(worst <= tol + 0.05, "tolerance %g: every fix within it (worst %.2f m)"
              % (tol, worst))
        print("path --tolerance %g: %d fixes -> %d points, worst %.2f m"
              % (tol, len(want), len(pts), worst))
    # the path pastes into the route: a tour driven along its own drive
    route = env.route_copy("pathed.yaml")
    r = env.guide_route("path", drive)
    with open(route) as f:
        rt = f.read()
    start = rt.index("    path:\n", rt.index("  - id: loop"))
    end = rt.index("\n  - id: all")
    rest = rt[start:end]
    # the loop's path block: up to the next key at its indentation
    m = re.search(r"\n    [a-z_]+:", rest[len("    path:\n"):])
    cut = start + len("    path:\n") + (m.start() + 1 if m else len(rest) - len("    path:\n"))
    with open(route, "w") as f:
        f.write(rt[:start] + r.stdout.split("\n", 1)[1] + rt[cut:])
    c = env.guide_route("check", route)
    check(c.returncode == 0, "the route with the pasted path checks: %d\n%s"
          % (c.returncode, c.stderr[-2000:]))


def speeding(env):
    route = env.route_copy("limits.yaml")
    with open(route) as f:
        rt = f.read()
    rt = rt.replace("  - id: loop\n", "  - id: loop\n    max_speed_kmh: 20\n", 1)
    rt = rt.replace("  - id: ucca\n", "  - id: ucca\n    max_speed_kmh: 10\n", 1)
    with open(route, "w") as f:
        f.write(rt)
    r = env.guide_route("check", route)
    check(r.returncode == 0, "max_speed_kmh accepted: %s" % r.stderr[-1000:])
    bad = env.path("bad.yaml")
    with open(bad, "w") as f:
        f.write(rt.replace("max_speed_kmh: 10", "max_speed_kmh: -3", 1))
    r = env.guide_route("check", bad)
    check(r.returncode == 2 and "max_speed_kmh must be more than 0" in r.stderr,
          "a negative limit refused: %d %s" % (r.returncode, r.stderr[-500:]))

    drive = env.make_track("fast.nmea", "--seed", 3, "--noise", 0, "--speed", 15, route=route)
    g = env.guided("nmea:" + drive, name="speed", route=route, offline=True, control=False,
                   start=True)
    g.check_exit(g.wait(120), "guided with speed limits")
    evs = [e for e in g.read_events() if e["event"] in ("speeding", "speeding_end")]
    check(len(evs) >= 2, "speeding events: %s" % evs)
    check([e["event"] for e in evs] == ["speeding", "speeding_end"] * (len(evs) // 2),
          "speeding then speeding_end, once an episode: %s" % [e["event"] for e in evs])
    for e in evs[0::2]:
        check(e.get("poi") == "ucca" and e.get("limit_kmh") == 10 and 10 < e["speed_kmh"] < 16,
              "speeding in ucca over its 10 km/h: %s" % e)
    # 3 s over the limit first: the fixes in ucca before it
    first = evs[0]
    fixes = [e for e in g.events if e["event"] == "gps_fix"]
    inside = [e for e in fixes if e["time"] <= first["time"]
              and math.hypot(*xy((e["lat"], e["lon"]), (39.982729, 116.488749))) < 55]
    check(len(inside) >= 3, "3 s in the zone before speeding: %d fixes" % len(inside))


def body(env):
    drive = env.make_track("drive.nmea", "--seed", 18, "--noise", 0, "--wait", 60)
    marks(env, drive)
    record_and_path(env, drive)
    speeding(env)


if __name__ == "__main__":
    main(body)
