#!/usr/bin/env python3
"""Reload: a broken route is refused (guidectl reload exits 1 and points at
FILE:LINE:COL; SIGHUP logs it) and the old route keeps running; a valid
change, sent by SIGHUP while a story plays, waits for the story to end and
takes effect at the next stop."""

import re
import signal

from testlib import check, ev, main, wait_for


def edit(path, old, new):
    with open(path) as f:
        text = f.read()
    if old not in text:
        raise AssertionError("%r not in %s" % (old, path))
    with open(path, "w") as f:
        f.write(text.replace(old, new, 1))
    return text


def line_of(text, needle):
    return text[:text.index(needle)].count("\n") + 1


def body(env):
    route = env.route_copy()
    drive = env.make_track("drive.nmea", "--seed", 5, "--noise", 0, "--wait", 200)
    d = env.guided("nmea:" + drive, route=route, speed=20, start=True, lang="en", config=True)
    d.wait_ready()
    d.wait_event(ev("clip_start", poi="welcome", lang="en"), 10, "welcome")
    d.ok("skip")  # the welcome, then the safety announcement
    d.wait_event(ev("clip_start", poi="safety", lang="en"), 10, "safety")
    d.ok("skip")
    i_gate, _ = d.wait_event(ev("clip_start", poi="gate", lang="en"), 10, "gate")

    # 1. a broken edit: the gate's radius becomes -5
    good = edit(route, "radius_m: 90}", "radius_m: -5}")
    bad_line = line_of(good, "radius_m: 90}")
    rc, out, err = d.ctl("reload")
    check(rc == 1, "reload of a broken route: exit %d, want 1" % rc)
    check(re.search(r"route\.yaml:%d:\d+: .*radius" % bad_line, err) is not None,
          "the reply points at route.yaml:%d:COL: %r" % (bad_line, err))
    check("keeping the old route" in err, "the reply says the old route stays: %r" % err)
    rc, out, err = d.ctl("reload", "--json")
    check(rc == 1 and '"ok":false' in out and "radius" in out, "reload --json: %r" % out)
    d.wait_event(lambda e: e["event"] == "error" and "reload" in e["message"], 10,
                 "an error event for the refused reload")
    # the event log keeps the refusal with its lines
    _, e_rl = d.wait_event(ev("route_reload", ok=False), 10, "route_reload ok=false")
    check(e_rl.get("route") == "798-751" and e_rl.get("file") == route,
          "route_reload names the route kept and the file: %s" % e_rl)
    check(any(re.search(r"route\.yaml:%d:\d+: .*radius" % bad_line, x)
              for x in e_rl.get("errors", [])),
          "route_reload carries the FILE:LINE:COL diagnostics: %s" % e_rl.get("errors"))
    st = d.status()
    check(st and st["route"] == "798-751" and st["state"] == "running",
          "still running the old route: %s" % st)
    check(st.get("playing", {}).get("poi") == "gate", "the gate story goes on")

    # the same by SIGHUP: logged with the line, the daemon lives on
    d.signal(signal.SIGHUP)
    wait_for(lambda: len(re.findall(r"route\.yaml:%d:\d+:" % bad_line, d.stderr())) >= 3, 10,
             "the refused SIGHUP reload in the log")
    check(d.proc.poll() is None, "guided survives a SIGHUP with a broken route")
    check(d.status()["state"] == "running", "still running after the broken SIGHUP")

    # 2. a valid change: radius back, the next stop's lead and clip changed
    edit(route, "radius_m: -5}", "radius_m: 90}")
    edit(route, "radius_m: 55}\n    lead_m: 25", "radius_m: 55}\n    lead_m: 40")  # space798
    edit(route, "file: space798.en.opus", "file: locomotive.en.opus")
    d.signal(signal.SIGHUP)
    # the gate story is not cut by the reload ...
    wait_for(lambda: d.stderr().count("SIGHUP: reloading") >= 2, 10, "second SIGHUP logged")
    st = d.status()
    check(st["state"] == "running" and st.get("playing", {}).get("poi") == "gate",
          "the story plays on through the reload: %s" % st.get("playing"))
    check("in effect" not in d.stderr(), "the new route waits for the story to end")
    evs = d.read_events()
    check(not any(e["event"] == "clip_end" for e in evs[i_gate:]), "nothing cut by the reload")
    i_after, e_after = d.wait_event(ev("route_reload", ok=True), 10,
                                    "route_reload accepted, waiting for the story")
    check(e_after.get("effect") == "after_story" and e_after.get("route") == "798-751",
          "route_reload says the route takes effect after the story: %s" % e_after)
    # ... and when it ends (the driver skips it), the new route is in effect
    d.ok("skip")
    wait_for(lambda: "reload: new route 798-751 in effect" in d.stderr(), 10,
             "the swap after the story")
    d.wait_event(ev("route_reload", ok=True, effect="now", route="798-751"), 10,
                 "route_reload in effect", after=i_after + 1)
    st = d.status()
    check(st["state"] == "running" and st["tour"] == "loop" and st["langs"] == ["en"],
          "same tour, state and languages after the swap: %s" % st)
    # the next stop plays the new clip
    i_next, e_next = d.wait_event(ev("clip_start", poi="space798"), 60, "the next stop",
                                  after=i_gate)
    check(e_next["clip"].endswith("locomotive.en.opus"),
          "the next stop plays the reloaded clip: %s" % e_next["clip"])
    evs = d.read_events()
    check(sum(1 for e in evs if e["event"] == "clip_start" and e["poi"] == "gate") == 1,
          "the gate is not told again after the reload")
    check(not any(e["event"] == "clip_start" and e["poi"] == "welcome" for e in evs[i_gate:]),
          "no second welcome after the reload")
    status_out = d.ok("status")
    check("loop (running)" in status_out, "human status after reload: %r" % status_out)

    # the tour stopped, nothing plays: a reload takes effect at once, one event
    d.ok("stop")
    n = len(d.read_events())
    check(d.ok("reload").strip() == "route reloaded", "an immediate reload")
    i_now, e_now = d.wait_event(ev("route_reload"), 10, "route_reload", after=n)
    check(e_now.get("ok") is True and e_now.get("effect") == "now"
          and "errors" not in e_now, "the immediate reload logged: %s" % e_now)
    d.check_exit(d.terminate(), "guided on SIGTERM")


main(body)
