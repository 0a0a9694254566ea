#!/usr/bin/env python3
"""Table-driven tests of `guide-route` on broken routes, the shipped route and
its GeoJSON export.

Each fixture in fixtures/ ends with its expectations as comments:
    # expect: exit N
    # expect: LINE:COL: error|warning: message (a prefix of the message)
The runner asserts the exit status and that stderr holds exactly these
diagnostics, each as FIXTURE:LINE:COL: ..., no more, no fewer.  Files that
cannot hold comments (empty, binary, a directory, a 50 MB file) are in the
SPECIAL table below.

usage: check-fixtures.py GUIDED GUIDECTL GUIDE_ROUTE GROUP
       (GROUP: fixtures|cli|daemon|geojson|large)
"""
import glob
import json
import os
import re
import shutil
import subprocess

from testlib import ROOT, ROUTE, TOUR, check, distance_m, main

FIXDIR = os.path.join(ROOT, "tests", "routes", "fixtures")


def diag_lines(path, stderr):
    return [line for line in stderr.splitlines()
            if re.match(re.escape(path) + r":\d+:\d+: ", line)]


def expect(env, path, want_rc, want_diags, what=None):
    """guide-route check PATH exits want_rc and prints exactly want_diags,
    each 'LINE:COL: severity: message-prefix'."""
    what = what or os.path.basename(path)
    r = env.guide_route("check", path)
    got = diag_lines(path, r.stderr)
    ok = check(r.returncode == want_rc,
               f"{what}: exit {r.returncode}, expected {want_rc}\n{r.stderr}")
    ok &= check(len(got) == len(want_diags), f"{what}: {len(got)} diagnostics, expected "
                f"{len(want_diags)}:\n" + "\n".join(got))
    for w in want_diags:
        ok &= check(any(g.startswith(f"{path}:{w}") for g in got),
                    f"{what}: missing diagnostic '{path}:{w}'; got:\n" + "\n".join(got))
    if ok:
        print(f"ok   {what}")


SPECIAL = {
    "empty.yaml": (2, ["1:1: error: the file is empty"]),
    "binary.yaml": (2, ["2:1: error: binary data (a NUL byte)"]),
}


def group_fixtures(env):
    for path in sorted(glob.glob(os.path.join(FIXDIR, "*.yaml"))):
        name = os.path.basename(path)
        if name in SPECIAL:
            expect(env, path, *SPECIAL[name])
            continue
        with open(path, encoding="utf-8") as f:
            lines = [line.rstrip("\n") for line in f if line.startswith("# expect: ")]
        rcs = [int(line.split()[-1]) for line in lines if line.startswith("# expect: exit ")]
        diags = [line[len("# expect: "):] for line in lines
                 if not line.startswith("# expect: exit ")]
        if check(len(rcs) == 1, f"{name}: fixture lacks '# expect: exit N'"):
            expect(env, path, rcs[0], diags)
    # a directory, a 50 MB file, a file that is not there
    expect(env, FIXDIR, 2, ["1:1: error: is a directory"], "a directory")
    big = env.path("big.yaml")
    with open(big, "wb") as f:
        f.write(b"id: x\n# " + b"y" * (50 * 1024 * 1024) + b"\n")
    expect(env, big, 2, ["1:1: error: the file is too large (52428809 bytes"], "a 50 MB file")
    os.unlink(big)
    expect(env, env.path("nothere.yaml"), 2,
           ["1:1: error: cannot open the route file: No such file"], "a missing file")
    # the shipped route: valid, no findings at all
    expect(env, ROUTE, 0, [], "shipped route")


def group_cli(env):
    ok_yaml = os.path.join(FIXDIR, "ok.yaml")
    cases = [  # arguments, exit status, a text of stdout or stderr
        (["--help"], 0, "Usage: guide-route"),
        ([], 2, "missing command"),
        (["frobnicate"], 2, "unknown command 'frobnicate'"),
        (["check"], 2, "expects exactly one route file"),
        (["check", "a.yaml", "b.yaml"], 2, "expects exactly one route file"),
        (["export", ROUTE], 2, "usage: guide-route export FILE --geojson"),
        (["export", ROUTE, "--kml"], 2, "unknown option '--kml'"),
        (["check", "--help"], 0, "Usage: guide-route check FILE"),
        (["convert", ok_yaml], 2, "usage: guide-route convert"),
        (["convert", ok_yaml, "--datum", "mars"], 2, "unknown datum 'mars'"),
        (["convert", os.path.join(FIXDIR, "lat-range.yaml"), "--datum", "gcj02"], 2,
         "lat-range.yaml:15:19: error: latitude 95.5"),
        # gain (issue 17): loudness and R128_TRACK_GAIN of clips and WAVs
        (["gain"], 2, "usage: guide-route gain [--value]"),
        (["gain", "--help"], 0, "Usage: guide-route gain [--value] [--reference LUFS] FILE..."),
        (["gain", "--loud", ok_yaml], 2, "unknown option or missing value '--loud'"),
        (["gain", "--reference", "5", ok_yaml], 2, "--reference is a loudness in LUFS"),
        (["gain", os.path.join(FIXDIR, "clips", "measured.opus")], 0,
         "measured.opus: -6.70 LUFS integrated"),
        (["gain", os.path.join(FIXDIR, "clips", "measured.opus")], 0, "; tagged -4172\n"),
        (["gain", "--value", os.path.join(FIXDIR, "clips", "whisper.opus")], 0, "1129"),
        (["gain", os.path.join(FIXDIR, "clips", "bad.opus")], 2, "bad.opus: neither Ogg Opus"),
        (["gain", os.path.join(FIXDIR, "nothere.opus")], 1, "nothere.opus: No such file"),
    ]
    for args, rc, text in cases:
        what = "guide-route " + " ".join(os.path.basename(a) for a in args)
        r = env.guide_route(*args)
        if check(r.returncode == rc and text in r.stdout + r.stderr,
                 f"{what}: exit {r.returncode}\n{r.stdout}{r.stderr}"):
            print(f"ok   {what}")
    # convert: GCJ-02 back to WGS-84 gives ok.yaml's numbers, comments kept
    def nums(t):
        return [float(x) for x in re.findall(r"\b(?:lat|lon): (-?[0-9.]+)", t)]
    r = env.guide_route("convert", os.path.join(FIXDIR, "datum-gcj02.yaml"), "--datum", "wgs84")
    with open(ok_yaml, encoding="utf-8") as f:
        want = nums(f.read())
    got = nums(r.stdout)
    if check(r.returncode == 0 and len(got) == len(want) and "datum: wgs84" in r.stdout
             and "# ok.yaml written in GCJ02" in r.stdout
             and all(abs(a - b) <= 1e-7 for a, b in zip(got, want)),
             f"convert gcj02 -> wgs84: exit {r.returncode}\n{r.stdout}{r.stderr}"):
        print("ok   convert gcj02 -> wgs84")
    group_cli_say(env)
    r = env.guide_route("check", ROUTE)
    want = ["route 798-751: 12 stops, 2 tours, datum wgs84", "narration: zh ",
            "tour loop: 12 stops", "longest clip: stop ", "least slack: stop ",
            "synthetic clips: ", " (espeak-ng): record them to replace\n",
            ": valid, 0 warnings"]
    missing = [w for w in want if w not in r.stdout]
    if check(r.returncode == 0 and not missing and not r.stderr,
             f"check summary: exit {r.returncode}, missing {missing}\n{r.stdout}{r.stderr}"):
        print("ok   check summary")
    # synthetic clips (GUIDE_SYNTHETIC=1) counted once each, by engine, in
    # one line; a route with none (ok.yaml's clips are recordings) has no line
    r = env.guide_route("check", os.path.join(FIXDIR, "clip-synthetic.yaml"))
    lines = [line for line in r.stdout.splitlines() if line.startswith("synthetic clips:")]
    if check(r.returncode == 0 and lines == [
            "synthetic clips: 2 of 3 (piper, espeak-ng): record them to replace"],
             f"check synthetic clips: exit {r.returncode}\n{r.stdout}{r.stderr}"):
        print("ok   check synthetic clips")
    r = env.guide_route("check", ok_yaml)
    if check(r.returncode == 0 and "synthetic" not in r.stdout,
             f"check without synthetic clips: exit {r.returncode}\n{r.stdout}{r.stderr}"):
        print("ok   check without synthetic clips")
    # the loudness line: one line for the clips without a gain, not a warning each
    r = env.guide_route("check", os.path.join(FIXDIR, "clip-loudness.yaml"))
    want = "loudness: 3 of 4 clips measured (R128_TRACK_GAIN), played at -16 LUFS, 1 of them " \
        "far from it (warned above); 1 without: played at their recorded level"
    if check(r.returncode == 0 and want in r.stdout, f"check loudness line:\n{r.stdout}"):
        print("ok   check loudness line")
    # timing in both modes (issue 16): the sum of a stop's clips when the
    # languages take turns, the longest when they play at once
    r = env.guide_route("check", os.path.join(FIXDIR, "clip-too-long.yaml"))
    want = ["  sequential (one after another): least slack stop b, 42.0 s of narration in "
            "35.7 s transit; 1 of 2 stops overrun",
            "  channels mode (all at once): least slack stop b, 40.0 s of narration in "
            "35.7 s transit; 1 of 2 stops overrun"]
    missing = [w for w in want if w not in r.stdout.splitlines()]
    if check(not missing, f"check timing in both modes: missing {missing}\n{r.stdout}"):
        print("ok   check timing in both modes")


def fixture_diags(path):
    with open(path, encoding="utf-8") as f:
        return [line[len("# expect: "):].rstrip("\n") for line in f
                if line.startswith("# expect: ") and not line.startswith("# expect: exit ")]


def group_daemon(env):
    """guided refuses a broken route with the messages of guide-route check,
    each once, as FILE:LINE:COL: error: ... (not 'error: FILE:...: error:')."""
    for name in ("typos.yaml", "wrong-depth.yaml", "tab.yaml"):
        path = os.path.join(FIXDIR, name)
        r = subprocess.run([env.guided_exe, "--route", path, "--gps", "nmea:/dev/null",
                            "--audio", "null", "--offline", "--start"],
                           capture_output=True, text=True, errors="replace", timeout=60)
        want = [f"{path}:{d}" for d in fixture_diags(path)]
        got = [line for line in r.stderr.splitlines() if path + ":" in line
               and not line.endswith(": invalid route, not starting")]
        if check(r.returncode == 2 and got == want,
                 f"guided --route {name}: exit {r.returncode}, want 2 and exactly\n"
                 + "\n".join(want) + "\ngot:\n" + r.stderr):
            print(f"ok   guided --route {name}")


def group_cli_say(env):
    """The tools say what happened (issue 12, item 6)."""
    # track --help lists every option, and says what each does
    r = env.guide_route("track", ROUTE, "--help")
    lines = r.stdout.splitlines()
    for opt in ("--tour", "--speed", "--noise", "--hz", "--seed", "--jumps", "--dropouts",
                "--halt", "--park", "--wait", "--reverse", "--detour", "--detour-at",
                "--detour-deg", "--fix-gap", "--gpx"):
        told = [ln for ln in lines if ln.lstrip().startswith(opt + " ")]
        check(r.returncode == 0 and len(told) == 1 and len(told[0].split()) > 3,
              f"track --help explains {opt}: exit {r.returncode}\n{r.stdout}{r.stderr}")
    # render without -o writes the SVG to stdout
    r = env.guide_route("render", ROUTE)
    check(r.returncode == 0 and r.stdout.startswith("<?xml") and "</svg>" in r.stdout,
          f"render without -o: exit {r.returncode}, stdout {r.stdout[:80]!r}\n{r.stderr}")
    # convert -o: the clips: folder is relative to the route file
    src = env.route_copy("src.yaml")   # beside a link to the shipped clips
    beside = env.path("beside.yaml")
    r = env.guide_route("convert", src, "--datum", "gcj02", "-o", beside)
    check(r.returncode == 0 and not r.stderr,
          f"convert -o beside the original: exit {r.returncode}, {r.stderr}")
    os.mkdir(env.path("elsewhere"))
    away = env.path("elsewhere/route.yaml")
    r = env.guide_route("convert", src, "--datum", "gcj02", "-o", away)
    want = (f"warning: {away} will not find its clips: 96 of 96 are not in "
            f"{env.path('elsewhere/clips')} ")
    check(r.returncode == 0 and want in r.stderr and f"copy {env.path('clips')} there"
          in r.stderr, f"convert -o into another folder: exit {r.returncode}, {r.stderr}")
    os.symlink(env.path("clips"), env.path("elsewhere/clips"))
    r = env.guide_route("convert", src, "--datum", "gcj02", "-o", away)
    check(r.returncode == 0 and not r.stderr,
          f"convert -o where the clips are too: exit {r.returncode}, {r.stderr}")


def geojson(env, path):
    r = env.guide_route("export", path, "--geojson")
    if not check(r.returncode == 0, f"export {path}: exit {r.returncode}\n{r.stderr}"):
        return None
    return json.loads(r.stdout)


def coordinates(feature):
    g = feature["geometry"]
    return g["coordinates"][0] if g["type"] == "Polygon" else g["coordinates"]


def group_geojson(env):
    d = geojson(env, ROUTE)
    if d is None:
        return
    check(d.get("type") == "FeatureCollection", "not a FeatureCollection")
    feats = d.get("features", [])
    pois = [f for f in feats if f["properties"].get("kind") == "poi"]
    paths = [f for f in feats if f["properties"].get("kind") == "path"]
    # one path a tour: loop (zh, en) and all (every language), the same line
    check(len(pois) == 12 and len(paths) == 2,
          f"{len(pois)} poi and {len(paths)} path features, expected 12 and 2")
    check([p["properties"].get("tour") for p in paths] == ["loop", "all"]
          and paths[0]["geometry"] == paths[1]["geometry"],
          "path features are not tours 'loop' and 'all' along one line")
    ids = [f["properties"].get("id") for f in pois]
    check(sorted(ids) == sorted(TOUR), f"poi ids {ids}, expected {TOUR}")
    for f in pois:
        p, g = f["properties"], f["geometry"]
        if not check(p.get("name") and g["type"] == "Polygon",
                     f"poi {p.get('id')}: no name or not a Polygon"):
            continue
        ring = g["coordinates"][0]
        check(ring[0] == ring[-1], f"poi {p['id']}: ring not closed")
        outside = [(lon, lat) for lon, lat in ring  # WGS-84 inside the 798/751 zone
                   if not (116.480 < lon < 116.500 and 39.980 < lat < 39.992)]
        check(not outside, f"poi {p['id']}: vertices outside the zone: {outside[:3]}")
        if p.get("fence") != "circle":
            continue
        check(len(ring) >= 33, f"poi {p['id']}: circle of {len(ring) - 1} vertices (< 32)")
        c, r = p.get("center"), p.get("radius_m")
        if check(c and r, f"poi {p['id']}: circle without center/radius_m"):
            off = max(abs(distance_m(c, v) - r) for v in ring[:-1])
            check(off <= 0.5, f"poi {p['id']}: a vertex {off:.2f} m off the radius {r}")
    gate = next((f for f in pois if f["properties"]["id"] == "gate"), None)
    check(gate and distance_m(gate["properties"]["center"], [116.483825, 39.98354]) <= 0.1,
          "gate centre moved")
    if paths:
        p = paths[0]
        line = p["geometry"]["coordinates"]
        check(p["properties"].get("tour") == "loop" and p["geometry"]["type"] == "LineString",
              "path feature is not tour 'loop' as a LineString")
        check(len(line) >= 12 and distance_m(line[0], line[-1]) <= 1, "the loop is not closed")
    # the same route in GCJ-02 and BD-09 exports the WGS-84 points of ok.yaml
    ref = geojson(env, os.path.join(FIXDIR, "ok.yaml"))
    for datum in ("gcj02", "bd09"):
        other = geojson(env, os.path.join(FIXDIR, f"datum-{datum}.yaml"))
        if not ref or not other:
            continue
        worst = max(distance_m(u, v) for a, b in zip(ref["features"], other["features"])
                    for u, v in zip(coordinates(a), coordinates(b)))
        if check(worst <= 1.0, f"{datum} export: {worst:.2f} m from the WGS-84 original"):
            print(f"ok   {datum} export within {worst:.3f} m of WGS-84")


def group_large(env):
    """A city-wide route (issue 12): 10,000 stops on one tour, then the same
    stops shared by 20 tours; each checks clean (before: 'Excessive entries
    (1000 max) in sequence', and the path sampled too coarsely for a 25 m
    geofence on 800 km)."""
    import bigroute
    for tours in (1, 20):
        path = bigroute.write(env.path(f"city{tours}"), 10000, tours)
        r = env.guide_route("check", path, timeout=600)
        want = f"route city-10000: 10000 stops, {tours} tour{'s' if tours > 1 else ''}, datum wgs84"
        if check(r.returncode == 0 and want in r.stdout and not r.stderr
                 and "valid, 0 warnings" in r.stdout,
                 f"10,000 stops on {tours} tours: exit {r.returncode}\n{r.stdout}"
                 f"{r.stderr[:2000]}"):
            print(f"ok   10,000 stops on {tours} tour(s)")
        if tours == 1:
            guided_large(env, path)
        shutil.rmtree(os.path.dirname(path))


def guided_large(env, path):
    """The daemon starts on the 10,000-stop route and tells its first stops
    in order (the first 400 lines of a synthetic drive: 0.5 km)."""
    drive, events = env.path("start.nmea"), env.path("events.jsonl")
    r = env.guide_route("track", path, "--seed", "1", timeout=600)
    with open(drive, "w") as f:
        f.write("\n".join(r.stdout.splitlines()[:400]) + "\n")
    p = subprocess.run([env.guided_exe, "--route", path, "--gps", "nmea:" + drive, "--offline",
                        "--audio", "null", "--start", "--events", events],
                       capture_output=True, text=True, timeout=600)
    with open(events) as f:
        told = [e["poi"] for e in map(json.loads, f) if e["event"] == "clip_start"]
    want = [f"s{i:05d}" for i in range(6) for _ in ("zh", "en")]
    if check(p.returncode == 0 and told == want and "stops told: 6 of 10000" in p.stdout,
             f"guided on 10,000 stops: exit {p.returncode}, told {told}\n{p.stderr[-2000:]}"):
        print("ok   guided on 10,000 stops: the first 6 told in order")


main(lambda env: {"fixtures": group_fixtures, "cli": group_cli, "daemon": group_daemon,
                  "geojson": group_geojson, "large": group_large}[env.args[0]](env))
