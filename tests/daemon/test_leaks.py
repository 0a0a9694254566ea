#!/usr/bin/env python3
"""No leak and no undefined behaviour after a full tour and a reload.  In
the ASan build (meson -Db_sanitize=address,undefined) every guided here runs
with LeakSanitizer (ASAN_OPTIONS from the environment is passed through) and
must exit 0 with a stderr free of sanitizer reports; in other builds the
same runs check the exit status and the WAV written until SIGTERM."""

import os
import signal
import sys
import struct

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemonlib import Daemon, ROUTE, check, ev, main, sanitizer_clean, wait_for  # noqa: E402


def write(path, text):
    """Atomically, as a careful editor does: a reload never sees half a file."""
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def wav_sizes(path):
    """(RIFF size, data size, rate, block align) from a WAV header."""
    with open(path, "rb") as f:
        head = f.read(12)
        riff = struct.unpack("<4sI4s", head)
        data = rate = block = None
        while True:
            ch = f.read(8)
            if len(ch) < 8:
                break
            cid, n = struct.unpack("<4sI", ch)
            if cid == b"fmt ":
                fmt = f.read(n)
                rate, block = struct.unpack("<I", fmt[4:8])[0], struct.unpack("<H", fmt[12:14])[0]
                continue
            if cid == b"data":
                data = n
                break
            f.seek(n + (n & 1), 1)
    return riff[1], data, rate, block


def clean_exit(d, rc, what):
    check(rc == 0, "%s: guided exits 0 (got %d)\n%s" % (what, rc, d.stderr()[-3000:]))
    check(sanitizer_clean(d.stderr()), "%s: sanitizers quiet:\n%s" % (what, d.stderr()[-5000:]))


def body(env):
    # 1. the whole shipped tour, offline, to its end (with a control socket)
    drive = env.track("drive.nmea", "--seed", 1)
    d = Daemon(env, ROUTE, "nmea:" + drive, name="offline", start=True,
               audio="wav:" + env.path("offline.wav"), extra=["--offline"])
    rc = d.proc.wait(timeout=240)
    d.err.close()
    clean_exit(d, rc, "offline tour")
    evs = d.read_events()
    check(evs and evs[-1]["event"] == "tour_end" and evs[-1]["reason"] == "completed",
          "the offline tour completes: %s" % (evs[-1] if evs else None))
    check(sum(1 for e in evs if e["event"] == "clip_start") >= 20, "the tour told its stops")

    # 2. real time: every control, reloads good and bad, a second tour, SIGTERM
    route = env.route_copy()
    drive = env.track("drive2.nmea", "--seed", 2, "--noise", 0, "--wait", 200)
    wav = env.path("rt.wav")
    d = Daemon(env, route, "nmea:" + drive, name="rt", speed=20, audio="wav:" + wav)
    d.wait_ready()
    d.ok("start", "--lang", "zh,en")
    d.wait_event(ev("clip_start", poi="welcome"), 10, "welcome")
    d.ok("skip")
    d.wait_event(ev("clip_start", poi="gate"), 10, "gate")
    for cmd in (["pause"], ["resume"], ["volume", "55"], ["lang", "en,zh"], ["replay"],
                ["reload"], ["status"]):
        d.ok(*cmd)
    with open(route) as f:
        good = f.read()
    write(route, good.replace("radius_m: 90}", "radius_m: -5}"))
    rc, out, err = d.ctl("reload")
    check(rc == 1, "broken reload refused (exit %d)" % rc)
    d.signal(signal.SIGHUP)
    wait_for(lambda: d.stderr().count("SIGHUP: reloading") >= 1, 10, "the first SIGHUP")
    write(route, good.replace("lead_m: 0", "lead_m: 5"))
    d.signal(signal.SIGHUP)
    wait_for(lambda: d.stderr().count("SIGHUP: reloading") >= 2, 10, "the SIGHUPs")
    d.ok("skip")
    wait_for(lambda: "in effect" in d.stderr(), 10, "the reloaded route in effect")
    d.ok("stop")
    d.wait_event(ev("tour_end", reason="stopped"), 10, "tour_end")
    n = len(d.read_events())
    d.ok("start")  # a second tour in the same daemon
    i2, _ = d.wait_event(ev("tour_start"), 10, "second tour_start", after=n)
    d.wait_event(ev("clip_start", poi="welcome"), 10, "second welcome", after=i2)
    # SIGTERM mid-clip
    rc = d.terminate()
    clean_exit(d, rc, "real-time daemon")
    riff, data, rate, block = wav_sizes(wav)
    size = os.path.getsize(wav)
    check(riff == size - 8, "RIFF size fixed up at exit: %d of %d bytes" % (riff, size))
    check(data is not None and data > 0 and data % block == 0 and data <= size - 44,
          "data size fixed up at exit: %s" % data)
    check(data is not None and data // block > rate // 10,
          "the WAV holds the session: %s bytes, block %s, rate %s" % (data, block, rate))

    # 3. SIGINT is a clean exit too
    d = Daemon(env, ROUTE, "nmea:" + drive, name="int", speed=20)
    d.wait_ready()
    d.signal(signal.SIGINT)
    rc = d.proc.wait(timeout=30)
    d.err.close()
    clean_exit(d, rc, "SIGINT")


main(body)
