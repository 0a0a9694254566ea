#!/usr/bin/env python3
"""The shipped 798/751 tour end to end, offline, through the real programs.

usage: test-tour.py GUIDED GUIDECTL GUIDE_ROUTE CASE
Cases:
  clean      every stop's clips in zh then en, in tour order, each once,
             each where the cart is near the stop's geofence;
             welcome/safety first, goodbye last, tour_end completed; the WAV
             lasts the drive (plus the last clip's tail) and is identical on
             a second run (sample-exact rendering); no sample reaches full
             scale (the output limiter)
  gpx        the same drive as GPX gives the same stories at the same times
  noisy      5 m noise, jumps and dropouts: every stop still told once
  wrong-way  the loop driven backwards: no burst of 'missed' stops as the
             cart leaves the gate, the chimney (heading window) never fires
  idle       ten minutes at the terminal: nothing fires twice
  quick-departure  the driver presses start at the gate and drives off at
             once: the gate is still told, right after welcome and safety
  loop-excursion  100 m off the loop and back just after the gate, a fix
             every 1-5 s, 5 m noise: nothing marked missed, every stop told
  render     the curator's map of the drive: valid SVG with every stop and
             every clip segment
  report     the curator's report says where a story began: before, inside
             or after its zone (a late story is not read as an early one);
             a file that is not an event log is refused (exit 2)
"""
import hashlib
import json
import math
import xml.etree.ElementTree as ET

from testlib import (EARTH_RADIUS_M, ROUTE, TOUR, check, check_exit, check_time_order, fence_distance_m, iso_time, main, track,
                     wav_info)


# Where a stop's clips start, as metres from its geofence (0 inside).  The
# trigger fires a stop lead_m before its geofence (25 m on every stop of the
# shipped route, 0 at the gate where the cart starts) and sees the cart once a
# second.  On the clean drive (no noise, at most 3.7 m/s) the first clip of
# each stop started 18.6 to 25.0 m outside its fence when this was written:
# lead_m plus one fix's travel (25 + 3.7) rounds up to the bound below.  The
# second language starts when the first ends, and the cart was then inside
# every fence (0 m): the route check warns when a stop's narration outlasts
# its time in the fence, and the shipped route has no warning; 1 m covers
# the 6 decimals (0.1 m) of the logged position.
FIRST_CLIP_M = 30
LATER_CLIP_M = 1


def run_tour(env, source, audio="null", tag="run"):
    """guided --offline on one drive to its end; returns the Guided."""
    g = env.guided(source, name=tag, offline=True, start=True, audio=audio, control=False)
    check_exit(g.wait(300), g.stderr(), tag)
    evs = g.read_events()
    for e in evs:
        check("time" in e and "event" in e and e["time"].endswith("Z"), f"contract: {e}")
    check_time_order(evs, tag)
    # DESIGN.md "Event numbering": log_open with a random id first, seq 1, 2, ...
    check(evs and evs[0]["event"] == "log_open" and len(evs[0].get("log", "")) == 32,
          f"{tag}: the log opens with log_open: {evs[:1]}")
    check([e.get("seq") for e in evs] == list(range(1, len(evs) + 1)),
          f"{tag}: every line numbered from 1")
    return g


def geofences(env):
    """The route's stops by id, as GeoJSON features (WGS-84 whatever the datum)."""
    r = env.guide_route("export", ROUTE, "--geojson")
    check(r.returncode == 0, f"guide-route export: exit {r.returncode}: {r.stderr}")
    return {f["properties"]["id"]: f for f in json.loads(r.stdout)["features"]
            if f["properties"].get("kind") == "poi"}


def check_near_stops(env, evs):
    """Every clip_start of a stop carries where the cart was: near the stop."""
    fences = geofences(env)
    seen, worst = set(), [0.0, 0.0]
    for e in evs:
        if e["event"] != "clip_start" or e["poi"] not in TOUR:
            continue
        if not check(isinstance(e["lat"], float) and isinstance(e["lon"], float),
                     f"clip_start position: {e}"):
            continue
        first = e["poi"] not in seen
        seen.add(e["poi"])
        bound = FIRST_CLIP_M if first else LATER_CLIP_M
        d = fence_distance_m([e["lon"], e["lat"]], fences[e["poi"]])
        worst[0 if first else 1] = max(worst[0 if first else 1], d)
        check(d <= bound, f"{e['poi']} [{e['lang']}] starts {d:.1f} m from its geofence, "
              f"more than {bound} m")
    print(f"clip starts from the geofence: first language up to {worst[0]:.1f} m, "
          f"later ones up to {worst[1]:.1f} m")


def starts(evs):
    return [(e["poi"], e["lang"]) for e in evs if e["event"] == "clip_start"]


def told_once(evs):
    pois = [p for p, lang in starts(evs) if lang == "zh" and p in TOUR]
    for poi in TOUR:
        check(pois.count(poi) == 1, f"{poi} told {pois.count(poi)} times")


def case_clean(env):
    wav = env.path("a.wav")
    g = run_tour(env, "nmea:" + track("clean.nmea"), "wav:" + wav)
    evs = g.events
    expected = [("welcome", "zh"), ("welcome", "en"), ("safety", "zh"), ("safety", "en")]
    expected += [(p, l) for p in TOUR for l in ("zh", "en")]
    expected += [("goodbye", "zh"), ("goodbye", "en")]
    check(starts(evs) == expected, f"clip order: {starts(evs)}")
    ends = [e for e in evs if e["event"] == "clip_end"]
    check(len(ends) == len(expected) and all(e["completed"] for e in ends),
          "every clip completed")
    check(not [e for e in evs if e["event"] == "clip_skip"], "no skips on a clean drive")
    check(evs[1]["event"] == "tour_start" and evs[1]["lang"] == ["zh", "en"], "tour_start")
    check(evs[-1]["event"] == "tour_end" and evs[-1]["reason"] == "completed", "tour_end")
    check_near_stops(env, evs)
    out = g.stdout()
    check("stops told: 12 of 12" in out, "summary: " + out)
    # the WAV covers the drive: from the first fix to the goodbye's end
    w = wav_info(wav)
    check((w["tag"], w["channels"], w["rate"]) == (3, 2, 48000),
          f"WAV format (tag, channels, rate): {w}")
    frames = (w["data"] or 0) // 8
    span = (iso_time(evs[-1]["time"]) - iso_time(evs[0]["time"])).total_seconds()
    check(abs(frames / 48000 - span) < 1.0, f"WAV {frames / 48000:.1f} s vs events {span:.1f} s")
    # nothing clips (issue 17: the output limiter holds every sample below
    # -1 dBFS; before it, 6 samples of this render were at full scale)
    peak, over = wav_peak(wav)
    check(over == 0 and peak <= 0.8913, f"no sample at full scale: peak {peak:.4f}, {over} at or above 1.0")
    # sample-identical on a second run
    wav2 = env.path("b.wav")
    run_tour(env, "nmea:" + track("clean.nmea"), "wav:" + wav2, "run2")
    check(digest(wav) == digest(wav2), "two renders of the same drive are identical")


def wav_peak(path):
    """The largest |sample| of a float WAV and the count at or above 1.0."""
    import array
    with open(path, "rb") as f:
        data = f.read()
    at = data.find(b"data") + 8
    samples = array.array("f", data[at:at + (len(data) - at) // 4 * 4])
    peak = max((abs(x) for x in samples), default=0.0)
    return peak, sum(1 for x in samples if abs(x) >= 1.0)


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def case_gpx(env):
    a = run_tour(env, "nmea:" + track("clean.nmea"), tag="nmea").events
    b = run_tour(env, "gpx:" + track("clean.gpx"), tag="gpx").events
    sa = [(e["poi"], e["lang"], e["time"]) for e in a if e["event"] == "clip_start"]
    sb = [(e["poi"], e["lang"], e["time"]) for e in b if e["event"] == "clip_start"]
    check(sa == sb, f"GPX and NMEA differ:\n{sa}\n{sb}")


def case_noisy(env):
    evs = run_tour(env, "nmea:" + track("noisy.nmea")).events
    told_once(evs)
    check([e for e in evs if e["event"] == "fix_rejected"], "the noisy drive rejects fixes")
    zh = [p for p, l in starts(evs) if l == "zh" and p in TOUR]
    check(zh == TOUR, f"tour order: {zh}")


def case_wrong_way(env):
    evs = run_tour(env, "nmea:" + track("wrong-way.nmea")).events
    pois = [p for p, _ in starts(evs)]
    check("chimney" not in pois, "the chimney's heading window keeps it quiet")
    missed = [e for e in evs if e["event"] == "clip_skip" and e["reason"] == "missed"]
    # regression: leaving the gate backwards used to mark all 11 stops missed at once
    check(len(missed) <= 2, f"{len(missed)} stops marked missed")
    check(pois.count("gate") == 2, "the gate is told (zh, en) once")


def case_idle(env):
    g = run_tour(env, "nmea:" + track("idle.nmea"))
    told_once(g.events)
    check("stops told: 12 of 12" in g.stdout(), g.stdout())


def case_quick_departure(env):
    # issue 14.2: welcome and safety (~47 s) outlast the cart's time in the
    # gate's geofence when it leaves at once; the gate used to be dropped
    # as left_zone
    drive = env.make_track("quick.nmea", "--seed", 1, "--noise", 1, "--jumps", 0,
                           "--dropouts", 0, "--wait", 0)
    evs = run_tour(env, "nmea:" + drive).events
    check(starts(evs)[:6] == [("welcome", "zh"), ("welcome", "en"), ("safety", "zh"),
                              ("safety", "en"), ("gate", "zh"), ("gate", "en")],
          f"the gate right after the opening announcements: {starts(evs)[:6]}")
    skips = [(e["poi"], e["reason"]) for e in evs if e["event"] == "clip_skip"]
    check(not skips, f"no stop skipped: {skips}")
    told_once(evs)


def case_loop_excursion(env):
    # issue 14.1: back from an excursion near the start of the closed loop,
    # the cart heads south 30-40 m beside the loop's last leg, southbound too;
    # every later stop used to be marked missed at once
    drive = env.make_track("excursion.nmea", "--seed", 3, "--noise", 5, "--fix-gap", 5,
                           "--detour", 100, "--detour-at", 40, "--detour-deg", -90)
    evs = run_tour(env, "nmea:" + drive).events
    missed = [e["poi"] for e in evs if e["event"] == "clip_skip"]
    check(not missed, f"no stop skipped: {missed}")
    told_once(evs)


def case_render(env):
    run = run_tour(env, "nmea:" + track("clean.nmea"))
    evs = run.events
    svg = env.path("map.svg")
    p = env.guide_route("render", ROUTE, "--track", track("clean.nmea"),
                        "--events", run.events_path, "-o", svg)
    check(p.returncode == 0, "render exit: " + p.stderr)
    ns = {"s": "http://www.w3.org/2000/svg"}
    root = ET.parse(svg).getroot()
    stops = {g.get("id") for g in root.iterfind(".//s:g[@class='stop']", ns)}
    check(stops == {"stop-" + s for s in TOUR}, f"stops drawn: {stops}")
    clips = [(g.get("data-poi"), g.get("data-lang"))
             for g in root.iterfind(".//s:g[@class='clip']", ns)]
    check(clips == starts(evs), f"clip segments: {clips}")
    for g in root.iterfind(".//s:g[@class='clip']", ns):
        check(g.find("s:polyline", ns) is not None, "a clip has its stretch of road")
        check(g.find("s:circle[@class='clip-start']", ns) is not None, "start mark")
        check(g.find("s:rect[@class='clip-end']", ns) is not None, "end mark")
    check(root.find(".//s:g[@id='scale']", ns) is not None, "scale bar")
    check(root.find(".//s:g[@id='north']", ns) is not None, "north arrow")
    check(root.find(".//s:g[@id='path-loop']", ns) is not None, "the tour path")
    # the report reads the same log
    p = env.guide_route("report", run.events_path, "--route", ROUTE)
    check(p.returncode == 0 and all(s in p.stdout for s in TOUR), "report: " + p.stdout)


def north_of(feature, metres):
    """[lon, lat] `metres` due north of a circle stop's edge (haversine along
    the meridian: exact)."""
    lon, lat = feature["properties"]["center"]
    d = feature["properties"]["radius_m"] + metres
    return [lon, lat + d / EARTH_RADIUS_M * 180 / math.pi]


def report_row(text, poi):
    rows = [line.split() for line in text.splitlines() if line.split()[:1] == [poi]]
    return rows[0] if len(rows) == 1 else None


def case_report(env):
    fences = geofences(env)
    log = env.path("late.jsonl")
    t = iter(range(10, 60))

    def line(event, **keys):
        return json.dumps(dict(time=f"2024-05-01T02:00:{next(t):02d}.000Z", event=event, **keys))

    def start(poi, pos):
        return line("clip_start", poi=poi, clip=poi + ".zh.opus", lang="zh", lat=pos[1],
                    lon=pos[0])

    ucca, loco, chim = (north_of(fences[p], m) for p, m in
                        (("ucca", 63), ("locomotive", 30), ("chimney", 40)))
    with open(log, "w") as f:
        print(line("tour_start", tour="loop", lang=["zh"]), file=f)
        # ucca: the cart went through the zone, the story began 63 m after it
        print(line("zone_enter", poi="ucca"), file=f)
        print(line("zone_exit", poi="ucca"), file=f)
        print(start("ucca", ucca), file=f)
        # locomotive: 30 m before the zone (lead_m), never entered yet
        print(start("locomotive", loco), file=f)
        # chimney: passed once, the cart went 140 m away and came back: the
        # second story began 40 m before the zone on the new approach
        print(line("zone_enter", poi="chimney"), file=f)
        print(line("zone_exit", poi="chimney"), file=f)
        for m in (20, 80, 140, 90, 40):
            p = north_of(fences["chimney"], m)
            print(line("gps_fix", lat=p[1], lon=p[0]), file=f)
        print(start("chimney", chim), file=f)
    p = env.guide_route("report", log, "--route", ROUTE)
    check(p.returncode == 0, f"report: exit {p.returncode}: {p.stderr}")
    for poi, want in (("ucca", ["63", "after"]), ("locomotive", ["30", "before"]),
                      ("chimney", ["40", "before"])):
        row = report_row(p.stdout, poi)
        check(row is not None and row[5:7] == want and row[7:9] == want,
              f"report: {poi} began {' '.join(want)} its zone: {row}\n{p.stdout}")
    # the clean drive: every story began before or inside its zone, none late
    run = run_tour(env, "nmea:" + track("clean.nmea"))
    p = env.guide_route("report", run.events_path, "--route", ROUTE)
    for poi in TOUR:
        row = report_row(p.stdout, poi)
        check(row is not None and row[6] in ("before", "inside") and
              row[8] in ("before", "inside"), f"clean drive: {poi} {row}\n{p.stdout}")
    # the wrong file: the route in place of the log
    p = env.guide_route("report", ROUTE)
    check(p.returncode == 2 and not p.stdout and f"report: {ROUTE} is not an event log: none "
          f"of its" in p.stderr, f"report ROUTE: exit {p.returncode}\n{p.stdout}{p.stderr}")
    empty = env.path("empty.jsonl")
    open(empty, "w").close()
    p = env.guide_route("report", empty)
    check(p.returncode == 2 and "is empty: no events" in p.stderr,
          f"report of an empty file: exit {p.returncode}\n{p.stdout}{p.stderr}")


main(lambda env: globals()["case_" + env.args[0].replace("-", "_")](env))
