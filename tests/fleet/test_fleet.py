#!/usr/bin/env python3
"""guide-fleet against a real mosquitto of the test's own (issue 19).

    test_fleet.py GUIDED GUIDECTL GUIDE_ROUTE GUIDE_FLEET CASE

tour: every line of guided's event log reaches the depot exactly once
  after de-duplication by (cart, log, seq), in order, as guided wrote it
  (plus cart and log), across a kill -9 of the agent and a broker restart
  mid-tour; the lines left out are gps_fix/fix_rejected only and counted by
  skipped_before; the will says offline when the agent is killed.
commands: an expired, an unknown, an oversized and an injected command are
  refused, a good one runs on guided (its event log shows it); each is
  answered on cmd/reply and logged as a fleet_cmd event.
spool: with the broker away and a small --spool-max, the oldest lines are
  dropped, a fleet_spool_dropped event says which, and the rest arrives.
clock: a board whose clock is not set (GUIDE_FLEET_NOT_BEFORE after it):
  expiry goes by the event log's (GPS) time; TLS waits, says so once, and
  the agent keeps reading the log meanwhile.
usage: the contract's command line, refusals with exit 2; a credentials
  file readable by others refused (exit 1).
rotate: the log renamed away and a new one started while the agent was
  down (the old one is finished first), then truncated in place.
"""

import json
import os
import signal
import sys

from testlib import (Mosquitto, MqttSub, check, dedup_events, guide_fleet, main, track,
                     wait_for)

THINNED = ("gps_fix", "fix_rejected")
FAR = "2100-01-01T00:00:00Z"


def log_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.endswith("\n")]


def guided_lines(events, log=None):
    """The de-duplicated events of guided's log (not the agent's own)."""
    return [e for e in dedup_events(events) if not str(e.get("log", "")).startswith("fleet-")
            and (log is None or e["log"] == log)]


def check_complete(log, got, what):
    """got (the depot's de-duplicated lines of one log) against the log file's
    lines: the same lines in the same order, each as written plus cart and
    log; what is missing is thinned only and counted by skipped_before."""
    by_seq = {e["seq"]: e for e in log}
    seqs = [e["seq"] for e in got]
    check(seqs == sorted(seqs), f"{what}: out of order: {seqs[:50]}")
    bad = []
    for e in got:
        want = dict(by_seq.get(e["seq"], {}), cart="c1")
        want.setdefault("log", log[0]["log"])
        have = dict(e)
        have.pop("skipped_before", None)
        if have != want:
            bad.append((have, want))
    check(not bad, f"{what}: lines changed on the way: {bad[:2]}")
    prev = 0
    gaps = []
    for e in got:
        if e["seq"] - prev - 1 != e.get("skipped_before", 0):
            gaps.append((prev, e["seq"], e.get("skipped_before")))
        prev = e["seq"]
    check(not gaps, f"{what}: gaps not counted by skipped_before (lost lines): {gaps[:5]}")
    got_seqs = set(seqs)
    missing = [e for e in log if e["seq"] not in got_seqs]
    check(all(e["event"] in THINNED for e in missing),
          f"{what}: lines left out that are not thinned: "
          f"{[e for e in missing if e['event'] not in THINNED][:3]}")
    last_kept = max((e["seq"] for e in log if e["event"] not in THINNED), default=0)
    check(max(seqs, default=0) >= last_kept, f"{what}: the end is missing (want {last_kept})")
    fixes = [e for e in log if e["event"] == "gps_fix"]
    sent = [e for e in got if e["event"] == "gps_fix"]
    if len(fixes) >= 30:
        check(0 < len(sent) < len(fixes) / 3,
              f"{what}: gps_fix thinned to {len(sent)} of {len(fixes)}")
    return missing


def spool_state(env, spool="spool"):
    try:
        with open(env.path(spool + "/state.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def wait_log_grows(d, n, what):
    start = len(d.read_events())
    return wait_for(lambda: len(d.read_events()) >= start + n, 60, what)


def case_tour(env, exe):
    b = Mosquitto(env)
    b.start()
    sub = MqttSub(b)
    d = env.guided("nmea:" + track("clean.nmea"), speed=25, start=True)
    d.wait_ready()
    a = guide_fleet(env, exe, d, b)
    sub.wait("/events", lambda e: e["event"] == "clip_start", 60, "the first clip_start")
    sub.wait("/state", lambda e: e.get("state") == "running", 30, "state running")

    # the agent killed: its will; guided writes on meanwhile
    a.send_signal(signal.SIGKILL)
    a.wait(10)
    wait_for(lambda: sub.messages("/state")[-1][1] == '{"state":"offline"}', 20, "the will")
    late = MqttSub(b, topic="guide/v1/f1/c1/state", client_id="test-late")
    wait_for(lambda: late.messages(), 10, "the retained state")
    check(late.messages()[0] == ("guide/v1/f1/c1/state", '{"state":"offline"}', True),
          f"the will is retained: {late.messages()}")
    late.close()
    n_state = len(sub.messages("/state"))
    wait_log_grows(d, 40, "guided to write on while the agent is down")
    a = guide_fleet(env, exe, d, b)
    wait_for(lambda: sub.messages("/state")[n_state:] and
             json.loads(sub.messages("/state")[-1][1]).get("state") != "offline",
             30, "the state back after the restart")

    # the broker restarted mid-tour
    wait_log_grows(d, 20, "more lines")
    b.stop()
    wait_log_grows(d, 40, "guided to write on while the broker is down")
    b.start()
    d.check_exit(d.wait(120), "guided at the end of the replay")
    log = log_lines(d.events_path)
    check(log[-1]["event"] == "tour_end", "the tour ended")

    def all_in():
        got = guided_lines(sub.json("/events"))
        return got and got[-1]["seq"] >= max(e["seq"] for e in log if e["event"] not in THINNED)
    wait_for(all_in, 60, "every line at the depot")
    events = sub.json("/events")
    got = guided_lines(events)
    print(f"tour: {len(log)} log lines, {len(events)} messages, {len(got)} after de-dup "
          f"({len(events) - len(dedup_events(events))} duplicates)")
    check_complete(log, got, "tour")
    check(any(e["event"] == "tour_end" for e in got), "tour_end at the depot")
    env.stop(a)
    check(a.returncode == 0, f"guide-fleet on SIGTERM: exit {a.returncode}")
    sub.close()


def case_commands(env, exe):
    b = Mosquitto(env)
    b.start()
    sub = MqttSub(b)
    d = env.guided("nmea:" + track("clean.nmea"), speed=5)
    d.wait_ready()
    a = guide_fleet(env, exe, d, b)
    sub.wait("/state", lambda e: e.get("state") == "idle", 30, "state idle")
    topic = "guide/v1/f1/c1/cmd"

    def reply(cid):
        return sub.wait("/cmd/reply", lambda e: e.get("id") == cid, 20, "the reply to " + cid)
    sub.publish(topic, json.dumps({"id": "c1", "cmd": "volume", "args": ["40"],
                                   "expires": "2001-01-01T00:00:00Z"}))
    r = reply("c1")
    check(r["ok"] is False and "expired" in r["message"], f"expired refused: {r}")
    sub.publish(topic, json.dumps({"id": "c2", "cmd": "skip", "expires": FAR}))
    r = reply("c2")
    check(r["ok"] is False and "unknown command" in r["message"], f"unknown refused: {r}")
    sub.publish(topic, json.dumps({"id": "c3", "cmd": "volume", "args": ["40"],
                                   "expires": FAR, "pad": "x" * 5000}))
    r = sub.wait("/cmd/reply", lambda e: "too large" in e.get("message", ""), 20,
                 "the oversized command's reply")
    check(r["ok"] is False and r["id"] is None, f"oversized refused: {r}")
    sub.publish(topic, json.dumps({"id": "c4", "cmd": "volume", "args": ["40\nstop"],
                                   "expires": FAR}))
    r = reply("c4")
    check(r["ok"] is False and "args" in r["message"], f"an injected line refused: {r}")
    sub.publish(topic, json.dumps({"id": "c5", "cmd": "volume", "expires": FAR}))
    r = reply("c5")
    check(r["ok"] is False, f"a command guided refuses: {r}")
    check(not any(e["event"] == "volume" for e in d.read_events()),
          "nothing refused reached guided")
    sub.publish(topic, json.dumps({"id": "c6", "cmd": "volume", "args": ["40"],
                                   "expires": FAR}))
    r = reply("c6")
    check(r == {"id": "c6", "ok": True, "message": "volume 40"}, f"volume 40 done: {r}")
    d.wait_event(lambda e: e["event"] == "volume" and e["volume"] == 0.4, 10,
                 "guided's volume event")
    sub.publish(topic, json.dumps({"id": "c6", "cmd": "volume", "args": ["50"],
                                   "expires": FAR}))
    r = sub.wait("/cmd/reply", lambda e: e.get("id") == "c6" and not e["ok"], 20,
                 "the repeated id's reply")
    check("already" in r["message"], f"a repeated id runs once: {r}")
    sub.publish(topic, json.dumps({"id": "c7", "cmd": "start", "args": ["loop"],
                                   "expires": FAR}))
    r = reply("c7")
    check(r["ok"] is True, f"start done: {r}")
    d.wait_event(lambda e: e["event"] == "tour_start", 10, "guided's tour_start")
    cmds = wait_for(lambda: len([e for e in sub.json("/events")
                                 if e["event"] == "fleet_cmd"]) >= 8 and
                    [e for e in sub.json("/events") if e["event"] == "fleet_cmd"], 20,
                    "the fleet_cmd events")
    check([(e["id"], e["ok"]) for e in cmds] ==
          [("c1", False), ("c2", False), (None, False), ("c4", False), ("c5", False),
           ("c6", True), ("c6", False), ("c7", True)], f"fleet_cmd events: {cmds}")
    check(all(e["by"] == "depot" and e["log"].startswith("fleet-") for e in cmds),
          "fleet_cmd: by depot, the agent's log")
    check([e["seq"] for e in cmds] == list(range(1, 9)), "fleet_cmd: the agent's own seq")
    err = open(env.path("fleet.stderr")).read()
    check("depot command c6 volume: done: volume 40" in err, "the journal names the command")
    d.check_exit(d.terminate(), "guided on SIGTERM")
    env.stop(a)
    sub.close()


def case_spool(env, exe):
    b = Mosquitto(env)
    b.start()
    sub = MqttSub(b)  # its persistent session keeps what comes while it is away
    wait_for(lambda: sub.c.is_connected(), 10, "the subscriber")
    b.stop()
    d = env.guided("nmea:" + track("clean.nmea"), speed=25, start=True)
    d.wait_ready()
    a = guide_fleet(env, exe, d, b, extra=["--spool-max", "0.004"])
    wait_for(lambda: "oldest lines dropped" in open(env.path("fleet.stderr")).read(), 60,
             "the agent to drop lines")
    d.wait_event(lambda e: e["event"] == "zone_enter", 60, "a zone_enter after the drop")
    d.check_exit(d.terminate(), "guided on SIGTERM")
    log = log_lines(d.events_path)
    b.start()
    last = max(e["seq"] for e in log if e["event"] not in THINNED)
    wait_for(lambda: any(e.get("seq") == last and not e["log"].startswith("fleet-")
                         for e in sub.json("/events")), 60, "the backlog")
    events = sub.json("/events")
    drops = [e for e in events if e["event"] == "fleet_spool_dropped"]
    check(drops, "a fleet_spool_dropped event")
    got = guided_lines(events)
    seqs = [e["seq"] for e in got]
    check(seqs == sorted(seqs), "spool: in order")
    check(seqs and seqs[0] > 1, f"spool: the oldest are gone (first seq {seqs[:1]})")
    gone = set()
    for dr in drops:
        check(dr["dropped"] > 0 and dr["from_seq"] <= dr["to_seq"], f"the drop: {dr}")
        gone |= set(range(dr["from_seq"], dr["to_seq"] + 1))
    kept = [e["seq"] for e in log if e["event"] not in THINNED and e["seq"] not in gone]
    missing = [s for s in kept if s not in set(seqs)]
    check(not missing, f"spool: lost beyond what the drops say: {missing[:10]}")
    check(max(gone, default=0) < seqs[-1], "spool: the newest kept")
    err = open(env.path("fleet.stderr")).read()
    print("spool:", [e for e in drops], err.count("dropped"))
    env.stop(a)
    sub.close()


def case_rotate(env, exe):
    b = Mosquitto(env)
    b.start()
    sub = MqttSub(b)
    d = env.guided("nmea:" + track("clean.nmea"), speed=25, start=True)
    d.wait_ready()
    a = guide_fleet(env, exe, d, b)
    sub.wait("/events", lambda e: e["event"] == "clip_start", 60, "the first clip_start")
    wait_for(lambda: spool_state(env).get("ino"), 10, "the agent to keep its place")
    a.send_signal(signal.SIGKILL)
    a.wait(10)
    n = len(d.read_events())
    d.wait_event(lambda e: e["event"] == "zone_enter", 60, "a zone_enter while the agent "
                 "is down", after=n)
    d.check_exit(d.terminate(), "guided on SIGTERM")
    log1 = log_lines(d.events_path)
    os.rename(d.events_path, d.events_path + ".1")  # rotated: renamed, a new file
    d2 = env.guided("nmea:" + track("clean.nmea"), speed=25, start=True)
    d2.wait_ready()
    d2.wait_event(lambda e: e["event"] == "clip_start", 60, "the new log's clip_start")
    a = guide_fleet(env, exe, d2, b)
    d2.wait_event(lambda e: e["event"] == "zone_enter", 60, "a zone_enter")
    d2.check_exit(d2.terminate(), "guided on SIGTERM")
    log2 = log_lines(d2.events_path)
    check(log2[0]["log"] != log1[0]["log"], "a new log id in the new file")

    def have(log):
        last = max(e["seq"] for e in log if e["event"] not in THINNED)
        return lambda: any(e["log"] == log[0]["log"] and e["seq"] >= last
                           for e in guided_lines(sub.json("/events")))
    wait_for(have(log2), 60, "the new log at the depot")
    got = guided_lines(sub.json("/events"))
    logs = [e["log"] for e in got]
    check(logs == sorted(logs, key=lambda x: x != log1[0]["log"]),
          "the rotated log finished before the new one")
    check_complete(log1, guided_lines(got, log1[0]["log"]), "rotated log")
    check_complete(log2, guided_lines(got, log2[0]["log"]), "new log")

    # truncated in place (copytruncate) and written again past where the
    # agent was before it looks (held by SIGSTOP): the new log from 0, none
    # of it taken for the old one
    old_size = os.path.getsize(d2.events_path)
    a.send_signal(signal.SIGSTOP)
    with open(d2.events_path, "r+") as f:
        f.truncate(0)
    d3 = env.guided("nmea:" + track("clean.nmea"), speed=25, start=True)
    d3.wait_ready()
    d3.wait_event(lambda e: e["event"] == "zone_enter", 60, "a zone_enter")
    # (the old one's lines are few: many of the new one's that are sent
    # lie past its end)
    wait_for(lambda: len([e for e in d3.read_events() if e["event"] not in THINNED
                          and e["seq"] > len(log2) + 2]) >= 8, 120,
             "the new log to pass the old one's end with events that are sent")
    a.send_signal(signal.SIGCONT)
    d3.check_exit(d3.terminate(), "guided on SIGTERM")
    log3 = log_lines(d3.events_path)
    check(log3[0]["event"] == "log_open" and log3[0]["seq"] == 1, "a new log after truncation")
    wait_for(have(log3), 60, "the truncated log's new lines at the depot")
    check_complete(log3, guided_lines(sub.json("/events"), log3[0]["log"]), "truncated log")
    check_complete(log2, guided_lines(sub.json("/events"), log2[0]["log"]),
                   "the log before the truncation")
    err = open(env.path("fleet.stderr")).read()
    check("rotated: finishing" in err and ("truncated" in err or "replaced" in err),
          "the agent says what it saw")
    env.stop(a)
    sub.close()


def case_clock(env, exe):
    b = Mosquitto(env)
    b.start()
    sub = MqttSub(b)
    d = env.guided("nmea:" + track("clean.nmea"), speed=5, start=True)
    d.wait_ready()
    unset = {"GUIDE_FLEET_NOT_BEFORE": "2100-01-01T00:00:00Z"}
    a = guide_fleet(env, exe, d, b, environ=unset)
    sub.wait("/state", lambda e: e.get("state") == "running", 30, "state running")
    topic = "guide/v1/f1/c1/cmd"
    # the replay's clock is 2024-05-01T02:00Z on; the system's (later) is not trusted
    sub.publish(topic, json.dumps({"id": "k1", "cmd": "volume", "args": ["30"],
                                   "expires": "2024-05-01T03:00:00Z"}))
    r = sub.wait("/cmd/reply", lambda e: e.get("id") == "k1", 20, "k1's reply")
    check(r["ok"] is True, f"not expired by the GPS clock: {r}")
    sub.publish(topic, json.dumps({"id": "k2", "cmd": "volume", "args": ["30"],
                                   "expires": "2024-05-01T01:59:00Z"}))
    r = sub.wait("/cmd/reply", lambda e: e.get("id") == "k2", 20, "k2's reply")
    check(r["ok"] is False and "expired" in r["message"] and "2024-05-01T02:" in r["message"],
          f"expired by the GPS clock: {r}")
    env.stop(a)
    # TLS cannot check a certificate without the time: it waits and spools
    ca = env.path("ca.pem")
    open(ca, "w").close()
    t = guide_fleet(env, exe, d, "mqtts://127.0.0.1:%d" % b.port, spool="spool-tls",
                    name="fleet-tls", extra=["--ca", ca], environ=unset)
    wait_for(lambda: spool_state(env, "spool-tls").get("offset", 0) > 0, 20,
             "the agent to read the log while it waits")
    first = spool_state(env, "spool-tls")["offset"]
    wait_for(lambda: spool_state(env, "spool-tls")["offset"] > first, 20, "it to read on")
    err = open(env.path("fleet-tls.stderr")).read()
    check(err.count("the system clock is before this build's date") == 1,
          f"said once: {err}")
    check("connected" not in err, "no connection without the time")
    env.stop(t)
    d.check_exit(d.terminate(), "guided on SIGTERM")
    sub.close()


def case_usage(env, exe):
    import subprocess
    routes = env.path("routes")
    os.mkdir(routes)
    good = ["--events", env.path("ev.jsonl"), "--control", env.path("ctl"), "--broker",
            "mqtt://127.0.0.1:1", "--fleet", "f1", "--cart", "c1", "--spool",
            env.path("spool"), "--routes", routes]

    def run(argv, want, text, what):
        r = subprocess.run([exe] + argv, capture_output=True, text=True, timeout=20)
        check(r.returncode == want and text in r.stderr,
              f"{what}: exit {r.returncode} (want {want}), {r.stderr!r}")
    for i in range(0, len(good), 2):
        run(good[:i] + good[i + 2:], 2, good[i] + " is required", "without " + good[i])
    bad = [("--broker", "http://x:1", "--broker"), ("--broker", "mqtt://x:99999", "--broker"),
           ("--fleet", "a/b", "--fleet"), ("--cart", "#", "--cart"),
           ("--routes", env.path("nope"), "not a folder"),
           ("--broker", "mqtts://127.0.0.1:1", "needs --ca")]
    for opt, val, text in bad:
        argv = list(good)
        argv[argv.index(opt) + 1] = val
        run(argv, 2, text, f"{opt} {val}")
    run(good + ["--spool-max", "0"], 2, "--spool-max", "--spool-max 0")
    cred = env.path("cred")
    with open(cred, "w") as f:
        f.write("c1:secret\n")
    os.chmod(cred, 0o644)
    run(good + ["--credentials", cred], 1, "readable by others", "a credentials file 644")
    check(os.path.isdir(env.path("spool")), "the spool folder made")


CASES = {"usage": case_usage, "clock": case_clock, "tour": case_tour, "commands": case_commands, "spool": case_spool,
         "rotate": case_rotate}


def body(env):
    exe, case = env.args[0], env.args[1]
    CASES[case](env, exe)


if __name__ == "__main__":
    main(body)
