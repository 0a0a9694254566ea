#!/usr/bin/env python3
"""No leak and no undefined behaviour after a full tour and a reload.  In
the ASan build (meson -Db_sanitize=address,undefined) every guided here runs
with LeakSanitizer (ASAN_OPTIONS from the environment is passed through) and
must exit 0 with a stderr free of sanitizer reports; in other builds the
same runs check the exit status and the WAV written until SIGTERM."""

import os
import signal

from testlib import check, ev, main, wait_for, wav_info


def write(path, text):
    """Atomically, as a careful editor does: a reload never sees half a file."""
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def body(env):
    # 1. the whole shipped tour, offline, to its end (with a control socket)
    drive = env.make_track("drive.nmea", "--seed", 1)
    d = env.guided("nmea:" + drive, name="offline", offline=True, start=True,
                   audio="wav:" + env.path("offline.wav"))
    d.check_exit(d.wait(240), "offline tour")
    evs = d.read_events()
    check(evs and evs[-1]["event"] == "tour_end" and evs[-1]["reason"] == "completed",
          "the offline tour completes: %s" % (evs[-1] if evs else None))
    check(sum(1 for e in evs if e["event"] == "clip_start") >= 20, "the tour told its stops")

    # 2. real time: every control, reloads good and bad, a second tour, SIGTERM
    route = env.route_copy()
    drive = env.make_track("drive2.nmea", "--seed", 2, "--noise", 0, "--wait", 200)
    wav = env.path("rt.wav")
    d = env.guided("nmea:" + drive, route=route, name="rt", speed=20, audio="wav:" + wav)
    d.wait_ready()
    d.ok("start", "--lang", "zh,en")
    d.wait_event(ev("clip_start", poi="welcome"), 10, "welcome")
    d.ok("skip")  # the welcome, then the safety announcement
    d.wait_event(ev("clip_start", poi="safety"), 10, "safety")
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
    d.check_exit(d.terminate(), "real-time daemon")
    w = wav_info(wav)
    riff, data, rate, block = w["riff"], w["data"], w["rate"], w["block"]
    size = os.path.getsize(wav)
    check(riff == size - 8, "RIFF size fixed up at exit: %s of %d bytes" % (riff, size))
    check(data is not None and data > 0 and data % block == 0 and data <= size - 44,
          "data size fixed up at exit: %s" % data)
    check(data is not None and data // block > rate // 10,
          "the WAV holds the session: %s bytes, block %s, rate %s" % (data, block, rate))

    # 3. SIGINT is a clean exit too
    d = env.guided("nmea:" + drive, name="int", speed=20)
    d.wait_ready()
    d.signal(signal.SIGINT)
    d.check_exit(d.wait(30), "SIGINT")


main(body)
