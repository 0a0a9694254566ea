#!/usr/bin/env python3
"""Channels mode (issue 16, DESIGN.md per-seat languages) end to end.

A three-language tour (tests/daemon/data/seats: zh, en, ko, a tone per stop
and language) rendered offline with --lang-channels zh=1+2,en=3,ko=5-6 to a
six-channel WAV: every channel holds exactly its language's clips, sample
for sample, against a reference mix made here from the decoded clips
(clip-dump: the mixer's own decoder) and the mixer's start ramp; channel 4
(no language) and every channel between stories is silent; a stop's clips
start together, and clip_start names its channels.  Then the driver's side
on a live daemon: `lang` refused, `volume N --lang L`, the status per seat;
and the usage errors of --lang-channels.

Extra argument: the clip-dump program."""

import array
import os
import struct
import subprocess

from testlib import ROOT, check, event_time, main, wait_for

SEATS = os.path.join(ROOT, "tests", "daemon", "data", "seats")
ROUTE = os.path.join(SEATS, "route.yaml")
SPEC = "zh=1+2,en=3,ko=5-6"
CH = 6
# per language: (output channel 0-based, source: 0 left, 1 right, 2 mono)
LAYOUT = {"zh": [(0, 0), (1, 1)], "en": [(2, 2)], "ko": [(4, 0), (5, 1)]}
RAMP = 240  # the mixer's 5 ms start ramp
RATE = 48000


def f32(x):
    """x rounded to float32 (a float32 operation done in double and rounded
    once is the float32 result: 53 >= 2 * 24 + 2)."""
    return struct.unpack("f", struct.pack("f", x))[0]


def ramp_gain(k):
    """mixer_ramp_gain(0, 1, k, RAMP) in float32."""
    if k + 1 >= RAMP:
        return 1.0
    return f32(0.0 + f32(1.0 * f32(float(k + 1) * f32(1.0 / RAMP))))


def read_wav(path):
    """(format tag, channels, channel mask, subformat, float32 samples)."""
    with open(path, "rb") as f:
        data = f.read()
    check(data[:4] == b"RIFF" and data[8:12] == b"WAVE", "a RIFF/WAVE file")
    at, fmt, samples = 12, None, None
    while at + 8 <= len(data):
        cid, size = data[at:at + 4], int.from_bytes(data[at + 4:at + 8], "little")
        body = data[at + 8:at + 8 + size]
        if cid == b"fmt ":
            fmt = body
        elif cid == b"data":
            samples = array.array("f")
            samples.frombytes(body[:len(body) - len(body) % 4])
        at += 8 + size + (size & 1)
    tag = int.from_bytes(fmt[0:2], "little")
    channels = int.from_bytes(fmt[2:4], "little")
    mask = int.from_bytes(fmt[20:24], "little") if len(fmt) >= 40 else None
    sub = int.from_bytes(fmt[24:26], "little") if len(fmt) >= 40 else None
    return tag, channels, mask, sub, samples


def decode(clip_dump, name):
    r = subprocess.run([clip_dump, os.path.join(SEATS, name)], capture_output=True,
                       timeout=60, check=True)
    a = array.array("f")
    a.frombytes(r.stdout)
    return a


def rendered(env, clip_dump):
    drive = env.make_track("seats.nmea", "--noise", 0, "--speed", 30, route=ROUTE)
    wav = env.path("seats.wav")
    g = env.guided("nmea:" + drive, name="offline", route=ROUTE, offline=True, start=True,
                   control=False, audio="wav:" + wav, extra=["--lang-channels", SPEC])
    g.check_exit(g.wait(240), "the offline channels-mode tour")
    evs = g.read_events()
    starts = [e for e in evs if e["event"] == "clip_start"]
    check(len(starts) == 9, "9 clips: 3 stops in 3 languages: %d" % len(starts))
    # a stop's clips start together, each on its language's channels
    for poi in ("gate", "space", "ucca"):
        s = [e for e in starts if e["poi"] == poi]
        check(sorted(e["lang"] for e in s) == ["en", "ko", "zh"], f"{poi}: every language")
        check(len({e["time"] for e in s}) == 1, f"{poi}: the clips start together: {s}")
        for e in s:
            want = sorted(c + 1 for c, _ in LAYOUT[e["lang"]])
            check(e.get("channels") == want and e["clip"] == f"{poi}.{e['lang']}.opus",
                  f"{poi}: clip_start names the clip and channels: {e}")
    out = g.stdout()
    for lang in ("zh", "en", "ko"):
        check(f"      {lang:<8}  3 started, 3 completed, 0 cut\n" in out,
              f"the summary counts {lang}'s clips:\n{out}")
    ends = [e for e in evs if e["event"] == "clip_end"]
    check(len(ends) == 9 and all(e["completed"] for e in ends), "9 clips completed")

    tag, channels, mask, sub, out = read_wav(wav)
    check(tag == 0xFFFE and channels == CH and mask == 0 and sub == 3,
          "WAVE_FORMAT_EXTENSIBLE, 6 channels, channel mask 0, float: "
          f"tag {tag:#x} ch {channels} mask {mask} sub {sub}")
    t0 = event_time(next(e for e in evs if e["event"] == "tour_start"))
    windows = []
    bad = 0
    for e in starts:
        ms = round((event_time(e) - t0).total_seconds() * 1000)
        frame0 = ms * RATE // 1000
        s = decode(clip_dump, e["clip"])
        n = len(s) // 2
        windows.append((frame0, frame0 + n))
        for k in range(n):
            g = ramp_gain(k)
            left, right = f32(g * s[2 * k]), f32(g * s[2 * k + 1])
            for c, src in LAYOUT[e["lang"]]:
                want = left if src == 0 else right if src == 1 else f32(f32(left + right) * 0.5)
                got = out[(frame0 + k) * CH + c]
                if got != want:
                    if bad < 5:
                        print(f"{e['clip']} frame {k} ch {c + 1}: {got!r} != {want!r}")
                    bad += 1
        # the other channels of these frames: another language's or silence
        for k in range(n):
            for c in range(CH):
                owner = [lang for lang, lay in LAYOUT.items() if c in [x for x, _ in lay]]
                if not owner:
                    bad += out[(frame0 + k) * CH + c] != 0.0
    check(bad == 0, f"every language's channels hold exactly its clips: {bad} samples differ")
    # outside the clips: silence on every channel
    windows.sort()
    frames = len(out) // CH
    loud, at = 0, 0
    zero = bytes(4 * CH * 4096)
    raw = out.tobytes()
    for a, b in windows + [(frames, frames)]:
        while at < a:
            n = min(a - at, 4096)
            if raw[at * CH * 4:(at + n) * CH * 4] != zero[:n * CH * 4]:
                loud += 1
            at += n
        at = max(at, b)
    check(loud == 0, f"silence between the stories: {loud} blocks of 4096 frames are not")


def live(env):
    """The driver's side on a daemon that runs in real time (null sink)."""
    drive = env.make_track("live.nmea", "--noise", 0, "--wait", 120, route=ROUTE)
    d = env.guided("nmea:" + drive, route=ROUTE, speed=20, extra=["--lang-channels", SPEC])
    d.wait_ready()
    d.ok("start")
    d.wait_event(lambda e: e["event"] == "clip_start" and e["lang"] == "ko", what="gate in ko")
    st = d.status()
    check(st["mode"] == "channels", "status mode: %s" % st.get("mode"))
    langs = {x["lang"]: x for x in st["languages"]}
    check(sorted(langs) == ["en", "ko", "zh"] and langs["ko"]["channels"] == [5, 6]
          and langs["en"]["channels"] == [3], "status per seat: %s" % st["languages"])
    check(langs["zh"]["playing"] and langs["zh"]["playing"]["clip"] == "gate.zh.opus",
          "status: what zh's channels play: %s" % langs["zh"])
    rc, out, err = d.ctl("status")
    check(rc == 0 and "seat ko    ch 5+6: gate gate.ko.opus, volume 100" in out,
          "human status per seat:\n%s" % out)
    rc, out, err = d.ctl("lang", "zh")
    check(rc == 1 and "seats choose their language: channels mode" in err + out,
          "lang refused in channels mode: %d %r %r" % (rc, out, err))
    rc, out, err = d.ctl("start", "--lang", "zh")
    check(rc == 1, "start --lang refused too (a tour runs, or the seats): %d %r" % (rc, err))
    check(d.ok("volume", "40", "--lang", "ko").strip() == "volume 40 for ko", "volume --lang")
    _, e = d.wait_event(lambda e: e["event"] == "volume" and e.get("lang") == "ko",
                        what="volume event for ko")
    check(e["volume"] == 0.4, "volume event: %s" % e)
    st = d.status()
    check({x["lang"]: x["volume"] for x in st["languages"]} == {"zh": 100, "en": 100, "ko": 40},
          "status volumes: %s" % st["languages"])
    rc, out, err = d.ctl("volume", "40", "--lang", "fr")
    check(rc == 1 and "no language 'fr' in use (in use: zh, en, ko)" in err + out,
          "volume for a language not in use: %r %r" % (out, err))
    d.ok("stop")


def shipped(env):
    """The shipped tour (zh, en) in channels mode: the welcome in both
    languages at once, the safety announcement once both have ended, every
    stop's two clips together; sequential mode's volume --lang."""
    from testlib import ROUTE as SHIPPED, track
    g = env.guided("nmea:" + track("clean.nmea"), name="shipped", route=SHIPPED, offline=True,
                   start=True, control=False, extra=["--lang-channels", "zh=1,en=2"])
    g.check_exit(g.wait(240), "the shipped tour in channels mode")
    evs = g.read_events()
    starts = [e for e in evs if e["event"] == "clip_start"]
    welcome = [e for e in starts if e["poi"] == "welcome"]
    safety = [e for e in starts if e["poi"] == "safety"]
    check(len(welcome) == 2 and welcome[0]["time"] == welcome[1]["time"]
          and [e["channels"] for e in welcome] == [[1], [2]], f"welcome together: {welcome}")
    ends = [e for e in evs if e["event"] == "clip_end" and e["poi"] == "welcome"]
    check(len(safety) == 2 and len(ends) == 2
          and safety[0]["time"] == max(e["time"] for e in ends),
          f"safety once both welcomes ended: {safety} {ends}")
    by_poi = {}
    for e in starts:
        by_poi.setdefault(e["poi"], set()).add(e["time"])
    check(len(starts) == 2 * (12 + 3) and all(len(t) == 1 for t in by_poi.values()),
          f"every stop's clips together: {len(starts)} starts")
    check(evs[-1]["event"] == "tour_end" and evs[-1]["reason"] == "completed",
          f"the tour completes: {evs[-1]}")


def sequential_volume(env):
    """Without --lang-channels, volume N --lang L sets one language's gain."""
    drive = env.make_track("seq.nmea", "--noise", 0, "--wait", 120, route=ROUTE)
    d = env.guided("nmea:" + drive, name="seq", route=ROUTE, speed=20)
    d.wait_ready()
    d.ok("start")
    check(d.ok("volume", "30", "--lang", "en").strip() == "volume 30 for en", "volume --lang")
    st = d.status()
    check(st["mode"] == "sequential"
          and {x["lang"]: x["volume"] for x in st["languages"]} == {"zh": 100, "en": 30,
                                                                      "ko": 100},
          "sequential status: %s" % st)
    rc, out, err = d.ctl("status")
    check("volume en: 30" in out, "human status names the changed volume:\n%s" % out)
    check(d.ok("lang", "ko,zh").strip() == "languages set", "lang works in sequential mode")
    d.ok("stop")


def usage(env):
    drive = env.make_track("u.nmea", "--noise", 0, route=ROUTE)
    cases = [
        (["--lang-channels", "zh=1,en=1"], "channel 1 is given to both zh and en"),
        (["--lang-channels", "zh=1-9"], "a range N-M with 1 <= N <= M <= 8"),
        (["--lang-channels", "zh"], "LANG=CH expected"),
        (["--lang-channels", "zh=1,fr=2"], "'fr'"),
        (["--lang-channels", "zh=1", "--lang", "zh"], "the seats choose the languages"),
    ]
    for extra, want in cases:
        g = env.guided("nmea:" + drive, name="usage", route=ROUTE, offline=True, start=True,
                       control=False, events=None, extra=extra)
        rc = g.wait(60)
        check(rc == 2 and want in g.stderr(), f"{extra}: exit {rc}, says {want!r}:\n"
              + g.stderr()[-500:])


def body(env):
    clip_dump = os.path.abspath(env.args[0])
    usage(env)
    rendered(env, clip_dump)
    shipped(env)
    live(env)
    sequential_volume(env)


main(body)
