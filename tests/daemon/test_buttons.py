#!/usr/bin/env python3
"""The driver's buttons (issue 15): a keypad session recorded in evemu's
format (tests/daemon/data/keypad-session.evemu, written by hand: there is
no /dev/input here; its times count from its first event, which guided
replays at the drive's first fix) replayed with --input evemu:FILE against
a replay tour under --offline gives exactly the events it should: start,
pause and resume (an autorepeat does nothing more), volume down, down, up,
an unmapped key (nothing), next language, mark, replay, talk held 3 s
(the narration holds and goes on from 2 s before the cut: the clip ends
5 s later, and the sound is silent while the driver talks), a reload key
and a replay key in the same instant (neither lost, in order), a held skip
(one skip), ESC once (not enough) and twice (stop).  Also: a keypad that is
not there does not stop the daemon; bad --input and --key exit 2; guidectl
talk on|off and its timeout."""

import os
import struct

from testlib import check, ev, main, wav_info

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
SESSION = os.path.join(DATA, "keypad-session.evemu")
KEPT = {"tour_start", "tour_end", "tour_state", "tour_resume", "button", "talk", "volume",
        "lang", "mark", "route_reload"}


def at(e):
    """Seconds after the drive's first fix (2024-05-01T02:00:00Z)."""
    hms = e["time"][11:23]
    return round(int(hms[0:2]) * 3600 + int(hms[3:5]) * 60 + float(hms[6:]) - 7200, 3)


def btn(t, key, command, ok=True, message=None):
    e = {"t": t, "event": "button", "key": key, "command": command, "ok": ok}
    if message:
        e["message"] = message
    return e


def session(env, drive):
    wav = env.path("session.wav")
    g = env.guided("nmea:" + drive, name="session", offline=True, control=False,
                   audio="wav:" + wav,
                   extra=["--input", "evemu:" + SESSION, "--key", "KEY_R=reload"])
    rc = g.wait(120)
    g.check_exit(rc, "guided with a keypad recording")
    evs = g.read_events()
    route = os.path.realpath(g.argv[g.argv.index("--route") + 1])
    got = []
    for e in evs:
        if e["event"] in KEPT or (e["event"] == "clip_skip" and e["reason"] == "driver_skip"):
            x = {k: v for k, v in e.items() if k not in ("time", "seq", "file")}
            x["t"] = at(e)
            got.append(x)
    want = [
        {"t": 2, "event": "tour_start", "tour": "loop", "lang": ["zh", "en"]},
        btn(2, "KEY_KPENTER", "start"),
        {"t": 5, "event": "tour_state", "tour": "loop", "state": "paused"},
        btn(5, "KEY_KP5", "pause"),
        {"t": 8, "event": "tour_state", "tour": "loop", "state": "running"},
        btn(8, "KEY_SPACE", "resume"),
        {"t": 10, "event": "volume", "volume": 0.9}, btn(10, "KEY_KPMINUS", "volume 90"),
        {"t": 11, "event": "volume", "volume": 0.8}, btn(11, "KEY_KPMINUS", "volume 80"),
        {"t": 12, "event": "volume", "volume": 0.9}, btn(12, "KEY_KPPLUS", "volume 90"),
        {"t": 14, "event": "lang", "lang": ["en", "zh"]}, btn(14, "KEY_L", "lang en,zh"),
        {"t": 15, "event": "mark", "lat": 39.9835254, "lon": 116.4838842},
        btn(15, "KEY_M", "mark"),
        btn(75, "KEY_KP4", "replay"),
        btn(80, "KEY_T", "talk"),
        {"t": 80, "event": "talk", "on": True, "source": "button"},
        {"t": 83, "event": "talk", "on": False, "reason": "released"},
        {"t": 110, "event": "route_reload", "route": "798-751", "ok": True,
         "effect": "after_story"},
        btn(110, "KEY_R", "reload"),
        btn(110, "KEY_LEFT", "replay"),
        # the skip ends the replayed story (its last language: nothing left
        # untold), and the reload waiting for it takes over at once
        btn(140, "KEY_KP6", "skip"),
        {"t": 140, "event": "tour_resume", "tour": "loop", "lang": ["en", "zh"],
         "played": ["gate", "space798"]},
        {"t": 140, "event": "route_reload", "route": "798-751", "ok": True, "effect": "now"},
        btn(200, "KEY_ESC", "stop", False, "press KEY_ESC again within 2 s to stop"),
        {"t": 201, "event": "tour_end", "tour": "loop", "reason": "stopped"},
        btn(201, "KEY_ESC", "stop"),
    ]
    check(len(got) == len(want), "%d events, want %d" % (len(got), len(want)))
    for i, (a, b) in enumerate(zip(got, want)):
        check(a == b, "event %d: %s, want %s" % (i, a, b))
    check(all(e.get("file", route) == route for e in evs), "reload of the route file")

    # talk held 3 s during the replayed gate.en: it ends 3 s + 2 s (the
    # rewind) later than the same clip told before, without talk
    spans = []
    start = None
    for e in evs:
        if e["event"] == "clip_start" and e["clip"] == "gate.en.opus":
            start = at(e)
        elif e["event"] == "clip_end" and e["clip"] == "gate.en.opus" and e["completed"]:
            spans.append((start, at(e)))
    check(len(spans) == 2, "gate.en told twice (its stop, the replay): %s" % spans)
    if len(spans) == 2:
        plain, talked = spans[0][1] - spans[0][0], spans[1][1] - spans[1][0]
        check(spans[1][0] < 80 < 83 < spans[1][1], "talk within the replay: %s" % spans)
        check(abs(talked - plain - 5.0) < 0.05,
              "talk 3 s holds the clip and rewinds 2 s: %.3f s, want %.3f" % (talked,
                                                                             plain + 5.0))
    # while the driver talks the passengers hear nothing of the guide
    if not os.path.exists(wav):
        check(False, "guided wrote %s" % wav)
        return
    info = wav_info(wav)
    check(info["rate"] == 48000 and info["channels"] == 2, "WAV format: %s" % info)
    with open(wav, "rb") as f:
        data = f.read()
    off = data.index(b"data") + 8
    bps = info["block"]
    a, b = off + int(80.02 * 48000) * bps, off + int(82.99 * 48000) * bps
    before = off + int(79.0 * 48000) * bps
    check(any(data[before:before + 48000 * bps]), "the replay sounds before the talk")
    check(not any(data[a:b]), "silence while the driver talks")


def talk_ctl(env, drive):
    g = env.guided("nmea:" + drive, name="talk", speed=20)
    g.wait_ready()
    rc, out, err = g.ctl("talk", "maybe")
    check(rc == 2 and "talk" in err, "guidectl talk maybe: exit %d %r" % (rc, err))
    rc, out, err = g.ctl("talk", "on", "0")
    check(rc == 1 and "talk on SECONDS: 1-600, not '0'" in err,
          "guidectl talk on 0: exit %d %r" % (rc, err))
    rc, out, err = g.ctl("talk", "on", "2")
    check(rc == 0, "guidectl talk on 2: exit %d %r" % (rc, err))
    g.wait_event(ev("talk", on=True, source="guidectl"), what="talk on")
    # a client that forgets it: off by itself (2 s of guide time: 0.1 s at --speed 20)
    g.wait_event(ev("talk", on=False, reason="timeout"), what="talk off by its timeout")
    rc, out, err = g.ctl("talk", "on")
    check(rc == 0, "guidectl talk on: %d %r" % (rc, err))
    rc, out, err = g.ctl("talk", "off")
    check(rc == 0, "guidectl talk off: %d %r" % (rc, err))
    g.wait_event(ev("talk", on=False, reason="off"), what="talk off")
    g.terminate()


def bad_usage(env, drive):
    bad = env.path("bad.evemu")
    with open(bad, "w") as f:
        f.write("# EVEMU 1.3\nE: 0.000000 0001 001c 0001\nE: 1.5 0001 001c 0000\n")
    for i, (extra, why) in enumerate((
            (["--input", "evemu:" + bad], "bad.evemu:3:6: an event is E: SEC.USEC"),
            (["--input", "evemu:" + env.path("none.evemu")], "No such file"),
            (["--input", "keyboard"], "unknown input source 'keyboard'"),
            (["--input", "evdev:/dev/input/nosuch"], "--offline: --input evdev:"),
            (["--key", "KEY_NOSUCH=skip"], "--key KEY_NOSUCH=skip: 'KEY_NOSUCH' is not a key"),
            (["--key", "KEY_F1=fly"], "--key KEY_F1=fly: unknown command 'fly'"))):
        g = env.guided("nmea:" + drive, name="bad%d" % i, offline=True, start=True,
                       control=False, extra=extra)
        rc = g.wait(60)
        check(rc == 2, "guided %s: exit %d, want 2" % (" ".join(extra), rc))
        check(why in g.stderr(), "guided %s says why: %r" % (" ".join(extra), g.stderr()[-300:]))


def keypad_missing(env, drive):
    """No keypad plugged in: the guide runs, says so once, keeps trying."""
    g = env.guided("nmea:" + drive, name="nokeypad", speed=20,
                   extra=["--input", "evdev:" + env.path("event7")])
    g.wait_ready()
    rc, out, err = g.ctl("start")
    check(rc == 0, "guidectl start without the keypad: %d %r" % (rc, err))
    g.wait_event(ev("clip_start"), what="a clip")
    g.terminate()
    n = g.stderr().count("event7: cannot open")
    check(n == 1, "the missing keypad said once, not at every retry: %d\n%s" % (n, g.stderr()))


def body(env):
    drive = env.make_track("drive.nmea", "--seed", 21, "--noise", 0, "--wait", 60)
    session(env, drive)
    bad_usage(env, drive)
    talk_ctl(env, drive)
    keypad_missing(env, drive)


if __name__ == "__main__":
    main(body)
