#!/usr/bin/env python3
"""gpsd goes away mid-tour and comes back: guided, fed by a real gpsd that
gpsfake runs on a port of its own, logs gps_lost, keeps its tour and its
controls, logs gps_fix when a new gpsd serves the rest of the drive, and the
tour goes on.  It appends to an event log that a guided before it left with
a later time than the board's clock (as after a reboot without a battery-backed
clock): the log goes on, numbered and never back in time.  gps_fix is logged
by the rule of a replay (every fix of a 1 Hz drive), and the human log says
each loss once and each connection once.  Skipped (77) only when gpsfake or
gpsd is not installed."""

import json
import shutil

from testlib import Skip, check, check_time_order, ev, free_port, main, nmea_secs

WAIT_S = 30  # boarding: parked at the gate this long
LOG_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def split_drive(src, a, b, at_secs):
    """a: the sentences before at_secs (the cart parked), b: the rest."""
    with open(src) as f:
        lines = [ln for ln in f if nmea_secs(ln) is not None]
    t0 = nmea_secs(lines[0])
    with open(a, "w") as fa, open(b, "w") as fb:
        for ln in lines:
            (fa if nmea_secs(ln) - t0 < at_secs else fb).write(ln)


def body(env):
    if not shutil.which("gpsfake") or not shutil.which("gpsd"):
        raise Skip("gpsfake or gpsd not installed")
    port = free_port()
    drive = env.make_track("drive.nmea", "--seed", 11, "--noise", 0, "--wait", WAIT_S)
    parked, rest = env.path("parked.nmea"), env.path("rest.nmea")
    split_drive(drive, parked, rest, WAIT_S - 2)

    # the log of an earlier life, ended later than this board's clock says it is
    events = env.path("guided.events.jsonl")
    earlier = [{"time": "2035-01-01T00:00:00.000Z", "event": "log_open", "seq": 1, "log": LOG_ID},
               {"time": "2035-01-01T00:10:00.000Z", "event": "tour_end", "seq": 2, "tour": "loop",
                "reason": "stopped"}]
    with open(events, "w") as f:
        f.writelines(json.dumps(e, separators=(",", ":")) + "\n" for e in earlier)

    g1 = env.gpsfake(port, parked, "gpsfake1")
    d = env.guided("gpsd:127.0.0.1:%d" % port, start=True, lang="en")
    d.wait_ready()
    d.wait_event(ev("clip_start", poi="welcome", lang="en"), 20, "welcome")
    d.ok("skip")
    d.wait_event(ev("gps_fix"), 30, "a fix from gpsd")
    i_gate, _ = d.wait_event(ev("clip_start", poi="gate", lang="en"), 30, "the gate")

    # gpsd dies mid-story
    env.stop(g1)
    i_lost, _ = d.wait_event(ev("gps_lost"), 20, "gps_lost", after=i_gate)
    st = d.status()
    check(st["state"] == "running" and st["tour"] == "loop", "the tour goes on: %s" % st)
    check(st["position"]["fix"] is False, "status: no fix: %s" % st["position"])
    rc, out, err = d.ctl("status")
    check(rc == 0 and "loop (running)" in out, "human status without gpsd: %r" % out)
    d.ok("volume", "70")  # the driver's controls still work
    d.wait_event(ev("volume", volume=0.7), 10, "volume without gpsd")

    # a new gpsd on the same port serves the rest of the drive
    g2 = env.gpsfake(port, rest, "gpsfake2")
    i_fix, _ = d.wait_event(ev("gps_fix"), 60, "gps_fix after the restart", after=i_lost)
    i_next, e_next = d.wait_event(
        lambda e: e["event"] == "clip_start" and e["poi"] not in ("welcome", "safety", "gate"),
        90, "a later stop", after=i_fix)
    check(e_next["lang"] == "en", "the later stop in en: %s" % e_next)
    st = d.status()
    check(st["counters"]["gps_connects"] >= 2, "reconnected: %s" % st["counters"])
    env.stop(g2)
    d.wait_event(ev("gps_lost"), 20, "gps_lost at the end", after=i_next)
    counters = d.status()["counters"]

    d.check_exit(d.terminate(), "guided on SIGTERM")
    evs = d.read_events()
    # the earlier life's log goes on: its id, the next seq, never back in time
    check(evs[:2] == earlier, "the earlier lines untouched: %s" % evs[:2])
    check([e.get("seq") for e in evs] == list(range(1, len(evs) + 1)),
          "seq goes on from the earlier life: %s" % [e.get("seq") for e in evs[:4]])
    check(sum(e["event"] == "log_open" for e in evs) == 1, "the same log, no new log_open")
    # gps_fix by the replay's rule: at most one a second of the fixes' time,
    # which on this 1 Hz drive is every fix the filter accepted (it was 1
    # of the first few after a connect, when the guide's clock held still)
    accepted = counters["fixes"] - sum(counters["rejected"].values())
    fixes = sum(1 for e in evs if e["event"] == "gps_fix")
    check(fixes == accepted, "a gps_fix for every accepted fix of a 1 Hz drive: %d of %d (%s)"
          % (fixes, accepted, counters))
    # the human log: one line for each loss, one for each connection
    err = d.stderr().splitlines()
    lost = [ln for ln in err if "lost" in ln]
    n_lost = sum(1 for e in evs if e["event"] == "gps_lost")
    check(len(lost) == n_lost, "one line for each of the %d losses: %s" % (n_lost, lost))
    connected = [ln for ln in err if "connected to" in ln]
    check(len(connected) == counters["gps_connects"],
          "one line for each of the %d connections: %s" % (counters["gps_connects"], connected))
    # regression: the first events carried the board's clock and the later
    # ones the receiver's (gpsfake replays a drive of years ago): the log's
    # time went back
    check_time_order(evs, "under gpsd, after the earlier life")
    check(sum(1 for e in evs if e["event"] == "clip_start" and e["poi"] == "gate") == 1,
          "the gate is not told again after the reconnect")
    # regression: the guide's clock follows the receiver's UTC under gpsd; it
    # used to be the board's clock, so gpsfake's 20x replay looked like
    # 30 m/s jumps to the trigger and every other fix was rejected
    jumps = [e for e in evs if e["event"] == "fix_rejected" and e["reason"] in ("jump", "accel", "trigger_jump")]
    # (with that bug about every second fix went: 77 in one run; a few are
    # real, where the parked receiver's drift meets the drive at departure,
    # and their number depends on how gpsd groups the sentences under load)
    check(len(jumps) <= max(12, fixes // 5),
          "fixes rejected as jumps under gpsd: %d of %d" % (len(jumps), fixes))


main(body)
