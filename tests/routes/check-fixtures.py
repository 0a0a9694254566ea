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

usage: check-fixtures.py GUIDE_ROUTE SOURCE_ROOT GROUP   (GROUP: fixtures|cli|geojson)
"""
import glob
import json
import math
import os
import re
import subprocess
import sys
import tempfile

exe, root, group = sys.argv[1], sys.argv[2], sys.argv[3]
fixdir = os.path.join(root, "tests", "routes", "fixtures")
shipped = os.path.join(root, "routes", "798-751", "route.yaml")
failures = 0
count = 0


def fail(what, detail):
    global failures
    failures += 1
    print(f"FAIL {what}: {detail}")


def run(*args):
    return subprocess.run([exe, *args], capture_output=True, text=True, errors="replace",
                          timeout=120)


def diag_lines(path, stderr):
    return [l for l in stderr.splitlines() if re.match(re.escape(path) + r":\d+:\d+: ", l)]


def expect(path, want_rc, want_diags, what=None):
    """want_diags: list of 'LINE:COL: severity: message-prefix'."""
    global count
    count += 1
    what = what or os.path.basename(path)
    r = run("check", path)
    ok = True
    if r.returncode != want_rc:
        fail(what, f"exit {r.returncode}, expected {want_rc}\n{r.stderr}")
        ok = False
    got = diag_lines(path, r.stderr)
    if len(got) != len(want_diags):
        fail(what, f"{len(got)} diagnostics, expected {len(want_diags)}:\n" + "\n".join(got))
        ok = False
    for w in want_diags:
        if not any(g.startswith(f"{path}:{w}") for g in got):
            fail(what, f"missing diagnostic '{path}:{w}'; got:\n" + "\n".join(got))
            ok = False
    if ok:
        print(f"ok   {what}")


SPECIAL = {
    "empty.yaml": (2, ["1:1: error: the file is empty"]),
    "binary.yaml": (2, ["2:1: error: binary data (a NUL byte)"]),
}


def group_fixtures():
    for path in sorted(glob.glob(os.path.join(fixdir, "*.yaml"))):
        name = os.path.basename(path)
        if name in SPECIAL:
            expect(path, *SPECIAL[name])
            continue
        with open(path, encoding="utf-8") as f:
            lines = [l.rstrip("\n") for l in f if l.startswith("# expect: ")]
        rcs = [int(l.split()[-1]) for l in lines if l.startswith("# expect: exit ")]
        diags = [l[len("# expect: "):] for l in lines if not l.startswith("# expect: exit ")]
        if len(rcs) != 1:
            fail(name, "fixture lacks '# expect: exit N'")
            continue
        expect(path, rcs[0], diags)
    # a directory, a 50 MB file, a file that is not there
    expect(fixdir, 2, ["1:1: error: is a directory"], "a directory")
    with tempfile.TemporaryDirectory() as d:
        big = os.path.join(d, "big.yaml")
        with open(big, "wb") as f:
            f.write(b"id: x\n# " + b"y" * (50 * 1024 * 1024) + b"\n")
        expect(big, 2, ["1:1: error: the file is too large (52428809 bytes"], "a 50 MB file")
        expect(os.path.join(d, "nothere.yaml"), 2,
               ["1:1: error: cannot open the route file: No such file"], "a missing file")
    # the shipped route: valid, no findings at all
    expect(shipped, 0, [], "shipped route")


def group_cli():
    global count
    cases = [
        (["--help"], 0, "Usage: guide-route"),
        ([], 2, "missing command"),
        (["frobnicate"], 2, "unknown command 'frobnicate'"),
        (["check"], 2, "expects exactly one route file"),
        (["check", "a.yaml", "b.yaml"], 2, "expects exactly one route file"),
        (["export", shipped], 2, "usage: guide-route export FILE --geojson"),
        (["export", shipped, "--kml"], 2, "unknown option '--kml'"),
        (["check", "--help"], 0, "Usage: guide-route check FILE"),
    ]
    for args, rc, text in cases:
        count += 1
        r = run(*args)
        if r.returncode != rc or text not in r.stdout + r.stderr:
            fail(f"guide-route {' '.join(args)}", f"exit {r.returncode}\n{r.stdout}{r.stderr}")
        else:
            print(f"ok   guide-route {' '.join(args)}")
    # convert: GCJ-02 back to WGS-84 gives ok.yaml's numbers, comments kept
    for args, rc, text in [
        (["convert", os.path.join(fixdir, "ok.yaml")], 2, "usage: guide-route convert"),
        (["convert", os.path.join(fixdir, "ok.yaml"), "--datum", "mars"], 2, "unknown datum 'mars'"),
        (["convert", os.path.join(fixdir, "lat-range.yaml"), "--datum", "gcj02"], 2,
         "lat-range.yaml:15:19: error: latitude 95.5"),
    ]:
        count += 1
        r = run(*args)
        if r.returncode != rc or text not in r.stdout + r.stderr:
            fail(f"guide-route {' '.join(args)}", f"exit {r.returncode}\n{r.stdout}{r.stderr}")
        else:
            print(f"ok   guide-route {' '.join(args[:1] + args[2:])}")
    count += 1
    nums = lambda t: [float(x) for x in re.findall(r"\b(?:lat|lon): (-?[0-9.]+)", t)]
    r = run("convert", os.path.join(fixdir, "datum-gcj02.yaml"), "--datum", "wgs84")
    with open(os.path.join(fixdir, "ok.yaml"), encoding="utf-8") as f:
        want = nums(f.read())
    got = nums(r.stdout)
    if (r.returncode != 0 or len(got) != len(want) or "datum: wgs84" not in r.stdout
            or "# ok.yaml written in GCJ02" not in r.stdout
            or any(abs(a - b) > 1e-7 for a, b in zip(got, want))):
        fail("convert gcj02 -> wgs84", f"exit {r.returncode}\n{r.stdout}{r.stderr}")
    else:
        print("ok   convert gcj02 -> wgs84")
    count += 1
    r = run("check", shipped)
    want = ["route 798-751: 12 stops, 1 tour, datum wgs84", "narration: zh ", "tour loop: 12 stops",
            "longest clip: stop ", "least slack: stop ", ": valid, 0 warnings"]
    missing = [w for w in want if w not in r.stdout]
    if r.returncode != 0 or missing or r.stderr:
        fail("check summary", f"exit {r.returncode}, missing {missing}\n{r.stdout}{r.stderr}")
    else:
        print("ok   check summary")


def geojson(path):
    r = run("export", path, "--geojson")
    if r.returncode != 0:
        fail(f"export {path}", f"exit {r.returncode}\n{r.stderr}")
        return None
    return json.loads(r.stdout)


def metres(a, b):
    (lon1, lat1), (lon2, lat2) = a, b
    k = math.pi / 180
    x = (lon2 - lon1) * k * math.cos((lat1 + lat2) / 2 * k)
    y = (lat2 - lat1) * k
    return 6371008.8 * math.hypot(x, y)


def group_geojson():
    global count
    count += 1
    d = geojson(shipped)
    if d is None:
        return
    problems = []
    if d.get("type") != "FeatureCollection":
        problems.append("not a FeatureCollection")
    feats = d.get("features", [])
    pois = [f for f in feats if f["properties"].get("kind") == "poi"]
    paths = [f for f in feats if f["properties"].get("kind") == "path"]
    if len(pois) != 12 or len(paths) != 1:
        problems.append(f"{len(pois)} poi and {len(paths)} path features, expected 12 and 1")
    ids = [f["properties"].get("id") for f in pois]
    for want in ("gate", "space798", "ucca", "chimney", "locomotive", "carriages",
                 "power_square", "tank79", "furnace", "sky_corridor"):
        if want not in ids:
            problems.append(f"no poi '{want}'")
    for f in pois:
        p, g = f["properties"], f["geometry"]
        if not p.get("name") or g["type"] != "Polygon":
            problems.append(f"poi {p.get('id')}: no name or not a Polygon")
            continue
        ring = g["coordinates"][0]
        if ring[0] != ring[-1]:
            problems.append(f"poi {p['id']}: ring not closed")
        for lon, lat in ring:  # WGS-84 lon,lat inside the 798/751 zone
            if not (116.480 < lon < 116.500 and 39.980 < lat < 39.992):
                problems.append(f"poi {p['id']}: vertex {lon},{lat} outside the zone")
                break
        if p.get("fence") == "circle":
            if len(ring) < 33:
                problems.append(f"poi {p['id']}: circle of {len(ring) - 1} vertices (< 32)")
            c, r = p.get("center"), p.get("radius_m")
            if not c or not r:
                problems.append(f"poi {p['id']}: circle without center/radius_m")
            else:
                for v in ring[:-1]:
                    if abs(metres(c, v) - r) > 0.5:
                        problems.append(f"poi {p['id']}: vertex {metres(c, v):.1f} m from centre, radius {r}")
                        break
    gate = next((f for f in pois if f["properties"]["id"] == "gate"), None)
    if gate and metres(gate["properties"]["center"], [116.483825, 39.98354]) > 0.1:
        problems.append("gate centre moved")
    if paths:
        p = paths[0]
        line = p["geometry"]["coordinates"]
        if p["properties"].get("tour") != "loop" or p["geometry"]["type"] != "LineString":
            problems.append("path feature is not tour 'loop' as a LineString")
        if len(line) < 12 or metres(line[0], line[-1]) > 1:
            problems.append("the loop is not closed")
    print("\n".join(problems) if problems else "ok   shipped route GeoJSON")
    if problems:
        fail("shipped route GeoJSON", f"{len(problems)} problems")
    # the same route in GCJ-02 and BD-09 exports the WGS-84 points of ok.yaml
    ref = geojson(os.path.join(fixdir, "ok.yaml"))
    for datum in ("gcj02", "bd09"):
        count += 1
        other = geojson(os.path.join(fixdir, f"datum-{datum}.yaml"))
        if not ref or not other:
            continue
        worst = 0.0
        for a, b in zip(ref["features"], other["features"]):
            for u, v in zip(a["geometry"]["coordinates"][0] if a["geometry"]["type"] == "Polygon"
                            else a["geometry"]["coordinates"],
                            b["geometry"]["coordinates"][0] if b["geometry"]["type"] == "Polygon"
                            else b["geometry"]["coordinates"]):
                worst = max(worst, metres(u, v))
        if worst > 1.0:
            fail(f"{datum} export", f"{worst:.2f} m from the WGS-84 original")
        else:
            print(f"ok   {datum} export within {worst:.3f} m of WGS-84")


{"fixtures": group_fixtures, "cli": group_cli, "geojson": group_geojson}[group]()
print(f"{count - failures} of {count} checks passed")
sys.exit(1 if failures else 0)
