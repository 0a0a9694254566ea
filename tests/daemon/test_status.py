#!/usr/bin/env python3
"""guidectl status (issue 13): the human form has no raw JSON and no
trailing blanks; it names stops the same way everywhere (id and English
name), whatever the tour's language order; under gpsd it says what the
receiver gives (hdop, satellites, gpsd's error estimate) and "?" for what it
does not; --json rounds its numbers (lat/lon 7 decimals).  The gpsd part is
skipped (77) only when gpsfake or gpsd is not installed."""

import functools
import json
import re
import shutil
import time

from testlib import ROUTE, Skip, check, ev, free_port, main, nmea_secs, wait_for

EN_NAMES = {}  # poi -> English name, from the shipped route


def route_names():
    with open(ROUTE) as f:
        text = f.read()
    # name: {zh: "...", en: "..."} on one line, or one language a line
    for poi, name in re.findall(r'- id: (\w+)\n\s+name: \{zh: "[^"]*", en: "([^"]*)"', text):
        EN_NAMES[poi] = name
    for poi, name in re.findall(r'- id: (\w+)\n\s+name:\n\s+zh: "[^"]*"\n\s+en: "([^"]*)"', text):
        EN_NAMES[poi] = name
    check("gate" in EN_NAMES, "the gate's English name in the route: %s" % EN_NAMES)


def human(d):
    rc, out, err = d.ctl("status")
    check(rc == 0, "guidectl status: exit %d %r" % (rc, err))
    lines = out.splitlines()
    check(not re.search(r'[{}"=]|\[\s*"', out), "no raw JSON in the human status: %r" % out)
    check(all(ln == ln.rstrip() for ln in lines), "no trailing blanks: %r" % out)
    check(all(re.match(r"[a-z]+: ", ln) for ln in lines), "every line 'item: ...': %r" % out)
    return {ln.split(":", 1)[0]: ln.split(":", 1)[1].strip() for ln in lines}


def stop_words(poi):
    name = EN_NAMES.get(poi)
    return "%s (%s)" % (poi, name) if name else poi


def check_json_numbers(text):
    """No float with more decimals than it means: lat/lon 7, the rest 1."""
    r = json.loads(text)
    pos = r.get("position", {})
    for key in ("lat", "lon"):
        m = re.search(r'"%s":(-?[0-9.]+)' % key, text)
        check(m and len(m.group(1).split(".")[-1]) <= 7,
              "--json %s at most 7 decimals: %s" % (key, m and m.group(1)))
    for key in ("hdop", "speed_kmh", "age_s", "eph_m"):
        m = re.search(r'"%s":(-?[0-9.]+)' % key, text)
        if key in pos:
            check(m and len(m.group(1).split(".")[-1]) <= 1,
                  "--json %s rounded: %s" % (key, m and m.group(1)))
    check(not re.search(r"\d\.\d{8,}", text), "no long floats in --json: %r" % text[:400])


def playing(d):
    return (d.status() or {}).get("playing") or {}


def mid_clip(d):
    """A client that connects mid-clip (the panel's progress bar) learns
    how far the clip has played and how long it is; a pause holds it."""
    wait_for(lambda: playing(d).get("elapsed_s", 0) > 0, 10, "elapsed_s > 0 mid-clip")
    p = playing(d)
    check(p.get("poi") == "welcome", "still the welcome: %r" % p)
    check(0 < p["elapsed_s"] < p.get("duration_s", 0),
          "0 < elapsed_s < duration_s: %r" % p)
    d.ok("pause")
    wait_for(lambda: (d.status() or {}).get("state") == "paused", 10, "paused")
    held = playing(d).get("elapsed_s")
    check(held is not None and held >= p["elapsed_s"], "elapsed_s while paused: %r" % held)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 0.5:  # a while of real time: it holds all along
        check(playing(d).get("elapsed_s") == held, "a pause holds elapsed_s at %r" % held)
    d.ok("resume")


def replay_part(env):
    drive = env.make_track("drive.nmea", "--seed", 4, "--noise", 0, "--wait", 400)
    d = env.guided("nmea:" + drive, speed=20, start=True, lang="zh,en")
    d.wait_ready()
    d.wait_event(ev("clip_start", poi="welcome", lang="zh"), 10, "welcome")
    h = human(d)
    check(h.get("languages") == "zh, en", "languages: %r" % h.get("languages"))
    check(h.get("playing") == "welcome [zh] welcome.zh.opus", "playing: %r" % h.get("playing"))
    m = re.match(r"(\w+) ", h.get("next", ""))
    check(m and h["next"].startswith(stop_words(m.group(1)) + ", ")
          and m.group(1) in EN_NAMES,
          "next names the stop by id and English name: %r" % h.get("next"))
    check(re.match(r"fixes \d+, rejected \d+", h.get("counters", "")) is not None,
          "counters as words and numbers: %r" % h.get("counters"))
    check(h.get("quality", "").startswith("hdop 0.9, 9 satellites"),
          "quality from the NMEA: %r" % h.get("quality"))
    rc, out, err = d.ctl("status", "--json")
    check_json_numbers(out)
    mid_clip(d)
    next_before = h.get("next")

    # the language order changes: the names do not
    d.ok("lang", "en,zh")
    h = human(d)
    check(h.get("languages") == "en, zh", "languages after the change: %r" % h.get("languages"))
    check(h.get("next") == next_before,
          "next unchanged by the language order: %r, was %r" % (h.get("next"), next_before))
    # the gate told: current names it the same way as next did
    d.ok("skip")
    d.ok("skip")
    d.wait_event(ev("clip_start", poi="gate"), 20, "the gate")
    h = human(d)
    check(h.get("current") == stop_words("gate"),
          "current names the gate by id and English name: %r" % h.get("current"))
    d.check_exit(d.terminate(), "guided on SIGTERM")


def nmea_checksum(body):
    return "%02X" % functools.reduce(lambda a, c: a ^ ord(c), body, 0)


SKY = ["GPGSA,A,3,01,03,06,09,12,17,19,22,28,,,,1.6,0.9,1.3",
       "GPGSV,3,1,09,01,40,083,45,03,20,120,40,06,60,200,42,09,10,300,38",
       "GPGSV,3,2,09,12,50,045,44,17,30,250,41,19,70,010,46,22,15,160,37",
       "GPGSV,3,3,09,28,25,330,39"]


def gpsd_part(env):
    if not shutil.which("gpsfake") or not shutil.which("gpsd"):
        raise Skip("gpsfake or gpsd not installed")
    drive = env.make_track("parked.nmea", "--seed", 4, "--noise", 0, "--wait", 400)
    # the first 100 s: RMC and GGA only (gpsd then sends no SKY: no hdop, no
    # satellite count); then GSA and GSV too, as most receivers send
    with open(drive) as f:
        lines = [ln.strip() for ln in f if nmea_secs(ln) is not None]
    t0 = nmea_secs(lines[0])
    out = []
    for ln in lines:
        out.append(ln)
        if ln.startswith("$GPGGA") and nmea_secs(ln) - t0 >= 100:
            out += ["$%s*%s" % (b, nmea_checksum(b)) for b in SKY]
    fed = env.path("fed.nmea")
    with open(fed, "w") as f:
        f.write("\n".join(out) + "\n")
    port = free_port()
    env.gpsfake(port, fed)
    d = env.guided("gpsd:127.0.0.1:%d" % port)
    d.wait_ready()
    wait_for(lambda: "eph_m" in (d.status() or {}).get("position", {}), 30,
             "a 3D fix from gpsd")
    h = human(d)
    check(re.match(r"hdop \?, satellites \?, error ~\d+ m", h.get("quality", "")) is not None,
          "without SKY: hdop and satellites unknown, gpsd's error estimate: %r"
          % h.get("quality"))
    wait_for(lambda: "hdop" in d.status()["position"], 60, "hdop from gpsd's SKY")
    h = human(d)
    check(h.get("quality", "").startswith("hdop 0.9, 9 satellites, error ~"),
          "under gpsd with SKY: %r" % h.get("quality"))
    rc, out, err = d.ctl("status", "--json")
    check_json_numbers(out)
    d.check_exit(d.terminate(), "guided on SIGTERM")


def body(env):
    route_names()
    replay_part(env)
    gpsd_part(env)


main(body)
