#!/usr/bin/env python3
"""The shipped 798/751 tour end to end, offline, through the real programs.

usage: test-tour.py GUIDED GUIDE_ROUTE SOURCE_ROOT CASE
Cases:
  clean      every stop's clips in zh then en, in tour order, each once;
             welcome/safety first, goodbye last, tour_end completed; the WAV
             lasts the drive (plus the last clip's tail) and is identical on
             a second run (sample-exact rendering)
  gpx        the same drive as GPX gives the same stories at the same times
  noisy      5 m noise, jumps and dropouts: every stop still told once
  wrong-way  the loop driven backwards: no burst of 'missed' stops as the
             cart leaves the gate, the chimney (heading window) never fires
  idle       ten minutes at the terminal: nothing fires twice
  render     the curator's map of the drive: valid SVG with every stop and
             every clip segment
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

GUIDED, GUIDE_ROUTE, ROOT, CASE = sys.argv[1:5]
ROUTE = os.path.join(ROOT, "routes/798-751/route.yaml")
TRACKS = os.path.join(ROOT, "routes/798-751/tracks")
TOUR = ["gate", "space798", "ucca", "chimney", "locomotive", "carriages",
        "power_square", "tank79", "furnace", "sky_corridor", "workshops", "street_art"]
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what, file=sys.stderr)


def run_tour(tmp, source, audio="null", tag="run"):
    events = os.path.join(tmp, tag + ".jsonl")
    p = subprocess.run([GUIDED, "--route", ROUTE, "--gps", source, "--offline",
                        "--audio", audio, "--events", events, "--start"],
                       capture_output=True, text=True, timeout=300)
    check(p.returncode == 0, f"guided exit {p.returncode}: {p.stderr[-500:]}")
    for bad in ("runtime error", "AddressSanitizer", "LeakSanitizer"):
        check(bad not in p.stderr, f"sanitizer report: {p.stderr[-800:]}")
    with open(events) as f:
        evs = [json.loads(line) for line in f]
    for e in evs:
        check("time" in e and "event" in e and e["time"].endswith("Z"), f"contract: {e}")
    return evs, p.stdout


def starts(evs):
    return [(e["poi"], e["lang"]) for e in evs if e["event"] == "clip_start"]


def told_once(evs):
    pois = [p for p, lang in starts(evs) if lang == "zh" and p in TOUR]
    for poi in TOUR:
        check(pois.count(poi) == 1, f"{poi} told {pois.count(poi)} times")


def case_clean(tmp):
    wav = os.path.join(tmp, "a.wav")
    evs, out = run_tour(tmp, "nmea:" + os.path.join(TRACKS, "clean.nmea"), "wav:" + wav)
    expected = [("welcome", "zh"), ("welcome", "en"), ("safety", "zh"), ("safety", "en")]
    expected += [(p, l) for p in TOUR for l in ("zh", "en")]
    expected += [("goodbye", "zh"), ("goodbye", "en")]
    check(starts(evs) == expected, f"clip order: {starts(evs)}")
    ends = [e for e in evs if e["event"] == "clip_end"]
    check(len(ends) == len(expected) and all(e["completed"] for e in ends),
          "every clip completed")
    check(not [e for e in evs if e["event"] == "clip_skip"], "no skips on a clean drive")
    check(evs[0]["event"] == "tour_start" and evs[0]["lang"] == ["zh", "en"], "tour_start")
    check(evs[-1]["event"] == "tour_end" and evs[-1]["reason"] == "completed", "tour_end")
    # every clip_start of a stop carries where the cart was, near the stop
    for e in evs:
        if e["event"] == "clip_start" and e["poi"] in TOUR:
            check(isinstance(e["lat"], float) and isinstance(e["lon"], float), "position")
    check("stops told: 12 of 12" in out, "summary: " + out)
    # the WAV covers the drive: from the first fix to the goodbye's end
    frames = wav_frames(wav)
    span = seconds(evs[-1]["time"]) - seconds(evs[0]["time"])
    check(abs(frames / 48000 - span) < 1.0, f"WAV {frames / 48000:.1f} s vs events {span:.1f} s")
    # sample-identical on a second run
    wav2 = os.path.join(tmp, "b.wav")
    run_tour(tmp, "nmea:" + os.path.join(TRACKS, "clean.nmea"), "wav:" + wav2, "run2")
    check(digest(wav) == digest(wav2), "two renders of the same drive are identical")


def seconds(iso):
    from datetime import datetime, timezone
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=timezone.utc).timestamp()


def wav_frames(path):
    """Frames in a stereo float32 WAV, from its chunks (fmt checked)."""
    with open(path, "rb") as f:
        riff = f.read(12)
        check(riff[:4] == b"RIFF" and riff[8:12] == b"WAVE", "WAV header")
        frames = 0
        while True:
            hdr = f.read(8)
            if len(hdr) < 8:
                break
            cid, size = hdr[:4], int.from_bytes(hdr[4:], "little")
            if cid == b"fmt ":
                fmt = f.read(size)
                tag, ch, rate = (int.from_bytes(fmt[0:2], "little"),
                                 int.from_bytes(fmt[2:4], "little"),
                                 int.from_bytes(fmt[4:8], "little"))
                check(tag == 3 and ch == 2 and rate == 48000, f"fmt {tag} {ch} {rate}")
            elif cid == b"data":
                frames = size // 8
                f.seek(size, 1)
            else:
                f.seek(size + (size & 1), 1)
        return frames


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def case_gpx(tmp):
    a, _ = run_tour(tmp, "nmea:" + os.path.join(TRACKS, "clean.nmea"), tag="nmea")
    b, _ = run_tour(tmp, "gpx:" + os.path.join(TRACKS, "clean.gpx"), tag="gpx")
    sa = [(e["poi"], e["lang"], e["time"]) for e in a if e["event"] == "clip_start"]
    sb = [(e["poi"], e["lang"], e["time"]) for e in b if e["event"] == "clip_start"]
    check(sa == sb, f"GPX and NMEA differ:\n{sa}\n{sb}")


def case_noisy(tmp):
    evs, _ = run_tour(tmp, "nmea:" + os.path.join(TRACKS, "noisy.nmea"))
    told_once(evs)
    check([e for e in evs if e["event"] == "fix_rejected"], "the noisy drive rejects fixes")
    zh = [p for p, l in starts(evs) if l == "zh" and p in TOUR]
    check(zh == TOUR, f"tour order: {zh}")


def case_wrong_way(tmp):
    evs, _ = run_tour(tmp, "nmea:" + os.path.join(TRACKS, "wrong-way.nmea"))
    pois = [p for p, _ in starts(evs)]
    check("chimney" not in pois, "the chimney's heading window keeps it quiet")
    missed = [e for e in evs if e["event"] == "clip_skip" and e["reason"] == "missed"]
    # regression: leaving the gate backwards used to mark all 11 stops missed at once
    check(len(missed) <= 2, f"{len(missed)} stops marked missed")
    check(pois.count("gate") == 2, "the gate is told (zh, en) once")


def case_idle(tmp):
    evs, out = run_tour(tmp, "nmea:" + os.path.join(TRACKS, "idle.nmea"))
    told_once(evs)
    check("stops told: 12 of 12" in out, out)


def case_render(tmp):
    evs_path = os.path.join(tmp, "run.jsonl")
    evs, _ = run_tour(tmp, "nmea:" + os.path.join(TRACKS, "clean.nmea"))
    svg = os.path.join(tmp, "map.svg")
    p = subprocess.run([GUIDE_ROUTE, "render", ROUTE, "--track",
                        os.path.join(TRACKS, "clean.nmea"), "--events", evs_path, "-o", svg],
                       capture_output=True, text=True, timeout=60)
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
    p = subprocess.run([GUIDE_ROUTE, "report", evs_path, "--route", ROUTE],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 0 and all(s in p.stdout for s in TOUR), "report: " + p.stdout)


with tempfile.TemporaryDirectory() as tmp:
    globals()["case_" + CASE.replace("-", "_")](tmp)
print(f"{CASE}: {'ok' if failures == 0 else str(failures) + ' failures'}")
sys.exit(1 if failures else 0)
