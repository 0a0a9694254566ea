#!/usr/bin/env python3
"""A city-wide synthetic route: N stops along the streets of a grid, for the
tests and benchmarks of large routes (issue 12).

The cart drives a snake through Beijing: east-west streets 300 m apart, 100
stops a street, one every 80 m; each stop a 25 m circle (every 7th a 40 m
square polygon, every 10th with a heading window in the direction of
travel), narrated in zh and en with texts about as long as the shipped
route's (its file is about 800 bytes a stop, like routes/798-751/route.yaml).
The stops are split into TOURS tours of consecutive streets, each with its
own path.  Every clip is its own file in clips/, a hard link to one 2 s
Opus file (a copy of tests/routes/fixtures/clips/two.opus), so that a check
opens as many files as a real route would.

usage: bigroute.py DIR N [TOURS]   (writes DIR/route.yaml and DIR/clips/)
"""
import math
import os
import shutil
import sys

ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
CLIP = os.path.join(ROOT, "tests", "routes", "fixtures", "clips", "two.opus")
LAT0, LON0 = 39.85, 116.25
PER_STREET = 100
SPACING_M = 80.0
STREET_GAP_M = 300.0
ZH = "这里是第{n}站。这座建筑原是五十年代的工厂车间，如今是画廊和工作室，请看左边的红砖墙。"
EN = ("This is stop {n}. Built in the 1950s as a factory workshop, it now holds "
      "galleries and studios: look at the red brick wall on your left.")


def to_latlon(x, y):
    """Metres east/north of the grid's corner to degrees."""
    lat = LAT0 + y / 111320.0
    lon = LON0 + x / (111320.0 * math.cos(math.radians(LAT0)))
    return lat, lon


def stop_xy(i):
    """Where stop i is, and the direction the cart drives there (deg)."""
    street, k = divmod(i, PER_STREET)
    east = street % 2 == 0
    x = (k if east else PER_STREET - 1 - k) * SPACING_M + SPACING_M / 2
    return x, street * STREET_GAP_M, 90.0 if east else 270.0


def write(folder, n, tours=1):
    os.makedirs(os.path.join(folder, "clips"), exist_ok=True)
    src = os.path.join(folder, "clips", "source.opus")  # links to a copy, not to the tree
    shutil.copyfile(CLIP, src)
    out = ["# a synthetic city-wide route (tests/bigroute.py)",
           f"id: city-{n}", 'title: {zh: "全城", en: "City-wide"}', "datum: wgs84",
           "clips: clips", "", "stops:"]
    for i in range(n):
        x, y, heading = stop_xy(i)
        lat, lon = to_latlon(x, y + 3.0)  # a few metres off the street's middle
        out += [f"  - id: s{i:05d}",
                f'    name: {{zh: "第{i}站", en: "Stop {i}"}}']
        if i % 7 == 3:
            out.append("    polygon:")
            for dx, dy in ((-20, -20), (20, -20), (20, 20), (-20, 20)):
                plat, plon = to_latlon(x + dx, y + dy)
                out.append(f"      - {{lat: {plat:.7f}, lon: {plon:.7f}}}")
        else:
            out.append(f"    circle: {{lat: {lat:.7f}, lon: {lon:.7f}, radius_m: 25}}")
        if i % 10 == 5:
            out.append(f"    heading: {{deg: {heading:.0f}, tolerance_deg: 45}}")
        out.append("    clips:")
        for lang, text in (("zh", ZH), ("en", EN)):
            name = f"s{i:05d}.{lang}.opus"
            out += [f"      {lang}:", f"        file: {name}",
                    f'        text: "{text.format(n=i)}"']
            dst = os.path.join(folder, "clips", name)
            if not os.path.exists(dst):
                try:
                    os.link(src, dst)
                except OSError:  # a file system without hard links
                    shutil.copyfile(src, dst)
    out += ["", "tours:"]
    per = -(-n // tours)
    for t in range(tours):
        ids = list(range(t * per, min(n, (t + 1) * per)))
        if not ids:
            break
        out += [f"  - id: tour{t}", "    langs: [zh, en]", "    speed_kmh: 12",
                "    stops: [" + ", ".join(f"s{i:05d}" for i in ids) + "]", "    path:"]
        pts = []
        for i in ids:
            x, y, heading = stop_xy(i)
            back = -1 if heading == 90 else 1
            k = i % PER_STREET
            if k == 0 or i == ids[0]:  # the street's start, then every stop
                pts.append((x + back * SPACING_M / 2, y))
            pts.append((x, y + (1.5 if i % 2 else -1.5)))
            if k == PER_STREET - 1 or i == ids[-1]:  # the street's end
                pts.append((x - back * SPACING_M / 2, y))
        for px, py in pts:
            lat, lon = to_latlon(px, py)
            out.append(f"      - {{lat: {lat:.7f}, lon: {lon:.7f}}}")
    path = os.path.join(folder, "route.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    return path


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    print(write(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) == 4 else 1))
