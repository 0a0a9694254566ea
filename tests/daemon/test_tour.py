#!/usr/bin/env python3
"""A whole tour driven only through guidectl: start, pause mid-clip and
resume, skip, replay, change language, volume, stop.  The event log proves
that each action took effect.  Also: guidectl's status output, its exit
status without a daemon (1) and on bad usage (2)."""

import socket
import subprocess

from testlib import check, ev, main, wait_for

SPEED = 20


def clip_starts(evs, after=0):
    return [e for e in evs[after:] if e["event"] == "clip_start"]


def guidectl_without_daemon(env):
    """No one listens: exit 1 with a clear message; bad usage: exit 2."""
    def run(*args):
        return subprocess.run([env.guidectl_exe] + list(args), capture_output=True, text=True,
                              timeout=30)

    nosock = env.path("nobody.sock")
    r = run("--control", nosock, "status")
    check(r.returncode == 1, "guidectl without daemon: exit %d, want 1" % r.returncode)
    check("not running" in r.stderr and nosock in r.stderr,
          "guidectl without daemon says so: %r" % r.stderr)
    # a stale socket file left by a crashed daemon: nobody accepts
    stale = env.path("stale.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(stale)
    s.close()
    r = run("--control", stale, "pause")
    check(r.returncode == 1, "guidectl on a stale socket: exit %d, want 1" % r.returncode)
    check("not running" in r.stderr, "stale socket message: %r" % r.stderr)

    for args in (["frobnicate"], ["volume"], ["volume", "1", "2"], ["lang"], [],
                 ["--no-such-option", "status"], ["status", "extra"]):
        r = run("--control", nosock, *args)
        check(r.returncode == 2, "guidectl %s: exit %d, want 2" % (args, r.returncode))
        check(r.stderr.strip() != "", "guidectl %s explains the usage error" % args)
    r = run("--help")
    check(r.returncode == 0 and "status" in r.stdout, "guidectl --help")


def body(env):
    guidectl_without_daemon(env)

    # parked at the gate for 200 s of drive time (10 s at --speed 20), then the loop
    drive = env.make_track("drive.nmea", "--seed", 3, "--noise", 0, "--wait", 200)
    d = env.guided("nmea:" + drive, speed=SPEED, config=True)
    st = d.wait_ready()
    check(st["state"] == "idle" and st["tour"] is None, "idle before start: %s" % st)
    rc, out, err = d.ctl("status")
    check(rc == 0 and "tour:      - (idle)" in out, "human status while idle: %r" % out)

    # start: welcome in zh first
    check(d.ok("start", "--lang", "zh,en").strip() == "tour loop started", "start reply")
    d.wait_event(ev("tour_start", tour="loop", lang=["zh", "en"]), 10, "tour_start")
    d.wait_event(ev("clip_start", poi="welcome", lang="zh"), 10, "welcome zh")
    rc, out, err = d.ctl("status")
    check(rc == 0 and "tour:      loop (running)" in out, "human status names tour/state: %r"
          % out)
    check("playing:   welcome [zh] welcome.zh.opus\n" in out,
          "human status names the clip: %r" % out)
    check("languages: zh, en\n" in out, "human status names the languages: %r" % out)
    rc, out, err = d.ctl("start")
    check(rc == 1 and err == "guidectl: start: tour loop is already running; stop it first\n",
          "a second start is refused and says why: %d %r" % (rc, err))

    # skip the welcome: the safety announcement follows (never lost silently);
    # what the skip dropped is logged
    d.ok("skip")
    i_w, _ = d.wait_event(ev("clip_end", poi="welcome", lang="zh", completed=False), 10,
                          "welcome cut by skip")
    d.wait_event(ev("clip_start", poi="safety", lang="zh"), 10, "safety after the skip")
    evs = d.read_events()
    between = [(e["event"], e.get("poi"), e.get("lang"), e.get("reason")) for e in evs[i_w:]
               if e["event"].startswith("clip_")]
    check(between[:3] == [("clip_end", "welcome", "zh", None),
                          ("clip_skip", "welcome", "en", "driver_skip"),
                          ("clip_start", "safety", "zh", None)],
          "skip during the welcome: welcome cut, its en part logged, safety next: %s"
          % between[:3])
    # a second skip skips the safety announcement, logged too; the gate (we
    # are parked in its zone) follows at once
    d.ok("skip")
    d.wait_event(ev("clip_end", poi="safety", lang="zh", completed=False), 10,
                 "safety cut by skip")
    d.wait_event(ev("clip_skip", poi="safety", lang="en", reason="driver_skip"), 10,
                 "the safety announcement's en part logged as skipped")
    i_gate, _ = d.wait_event(ev("clip_start", poi="gate", lang="zh"), 10, "gate zh")

    # pause mid-clip, then resume
    d.ok("pause")
    d.wait_event(ev("tour_state", tour="loop", state="paused"), 10, "paused")
    st = d.status()
    check(st["state"] == "paused", "status paused: %s" % st["state"])
    check(st.get("playing", {}).get("poi") == "gate", "gate still loaded while paused")
    rc, out, err = d.ctl("replay")
    check(rc == 1 and err == "guidectl: replay: paused: resume first\n",
          "replay refused while paused, and why: %d %r" % (rc, err))
    rc, out, err = d.ctl("pause")
    check(rc == 1 and err == "guidectl: pause: already paused\n",
          "pause twice: already paused: %d %r" % (rc, err))
    d.ok("resume")
    i_res, _ = d.wait_event(ev("tour_state", tour="loop", state="running"), 10, "resumed")
    evs = d.read_events()
    check(not any(e["event"] == "clip_end" and e["poi"] == "gate" for e in evs[i_gate:i_res]),
          "the gate clip was not ended by the pause")
    st = d.status()
    check(st["state"] == "running" and st.get("playing", {}).get("poi") == "gate",
          "the gate clip goes on after resume: %s" % st.get("playing"))

    # skip while a clip plays: it is cut
    d.ok("skip")
    i_cut, _ = d.wait_event(ev("clip_end", poi="gate", lang="zh", completed=False), 10,
                            "gate cut by skip")
    # replay: the gate again, from its first language
    d.ok("replay")
    i_rep, _ = d.wait_event(ev("clip_start", poi="gate", lang="zh"), 10, "gate replayed",
                            after=i_cut)

    # language: en only; the zh clip playing is not cut, nothing in zh follows
    d.ok("lang", "en")
    i_lang, _ = d.wait_event(ev("lang", lang=["en"]), 10, "lang event")
    st = d.status()
    check(st["langs"] == ["en"], "status langs: %s" % st["langs"])
    rc, out, err = d.ctl("lang", "fr")
    check(rc == 1 and "'fr' is not narrated by tour loop (it has zh, en)" in err,
          "a language the tour does not have is refused, naming those it has: %d %r"
          % (rc, err))
    d.ok("skip")  # cut the replayed zh clip
    d.wait_event(ev("clip_end", poi="gate", lang="zh", completed=False), 10,
                 "replayed gate cut", after=i_rep)

    # nothing plays now: skip passes over the next stop (driver_skip)
    wait_for(lambda: "playing" not in d.status(), 10, "nothing playing")
    d.ok("skip")
    i_ds, e_ds = d.wait_event(lambda e: ev("clip_skip", reason="driver_skip")(e)
                              and e["poi"] != "gate", 10, "driver_skip", after=i_lang)
    check(e_ds["poi"] == "space798", "driver_skip names the next stop: %s" % e_ds["poi"])
    check(any(ev("clip_skip", poi="gate", lang="en", reason="driver_skip")(e)
              for e in d.read_events()[i_lang:i_ds]),
          "the replayed gate's en part, dropped by the skip, is logged")

    # volume
    d.ok("volume", "40")
    d.wait_event(ev("volume", volume=0.4), 10, "volume event")
    check(d.status()["volume"] == 40, "status volume 40")
    for bad in ("140", "150", "-5", "abc"):
        rc, out, err = d.ctl("volume", bad)
        check(rc == 2 and err == "guidectl: volume is 0-100, not '%s'\n" % bad,
              "volume %s: bad usage (exit 2) and the range: %d %r" % (bad, rc, err))
    check(d.status()["volume"] == 40, "the volume stays 40")

    # the cart leaves: the next stop plays, in English only
    i_next, e_next = d.wait_event(lambda e: e["event"] == "clip_start" and e["poi"] not in
                                  ("gate", "welcome", "safety"), 60, "a later stop's clip",
                                  after=i_ds)
    check(e_next["lang"] == "en", "later stop in en: %s" % e_next)
    check(e_next["poi"] != "space798", "the skipped stop does not play")

    # stop
    check(d.ok("stop").strip() == "tour stopped", "stop reply")
    i_end, e_end = d.wait_event(ev("tour_end", tour="loop"), 10, "tour_end")
    check(e_end["reason"] == "stopped", "tour_end reason: %s" % e_end["reason"])
    check(d.status()["state"] != "running", "not running after stop")

    d.check_exit(d.terminate(), "guided on SIGTERM")

    evs = d.read_events()
    starts = clip_starts(evs, i_lang + 1)
    check(all(e["lang"] == "en" for e in starts),
          "after `lang en` only en clips: %s" % [(e["poi"], e["lang"]) for e in starts])
    check(sum(1 for e in evs if ev("clip_start", poi="gate", lang="zh")(e)) == 2,
          "the gate started twice (once more on replay)")
    check(not any(e["event"] == "clip_start" for e in evs[i_end + 1:]),
          "nothing plays after stop")
    for e in evs:
        check("time" in e and e["time"].endswith("Z"), "every event has a time: %s" % e)


main(body)
