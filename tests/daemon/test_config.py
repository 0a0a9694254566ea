#!/usr/bin/env python3
"""The vehicle configuration (issue 15, guide/daemon/CONFIG.md): `guided
--config FILE --check` exits 0 or 2 and prints every error of a broken file
at FILE:LINE:COL (the fixtures in config-fixtures/ end with their expected
lines); a guide runs from a file alone, paths relative to the file; the
command line overrides the file; control.group owns the socket; a reload
re-reads the file, refuses a broken one whole (the old one stays) and says
which changed fields need a restart."""

import glob
import grp
import json
import os
import re
import shutil
import stat
import subprocess

from testlib import ROOT, ROUTE, check, ev, main, track, wait_for

FIXDIR = os.path.join(ROOT, "tests", "daemon", "config-fixtures")
EXAMPLE = os.path.join(ROOT, "guide", "daemon", "vehicle.yaml")


def guided(env, *args, cwd=None, timeout=60):
    r = subprocess.run([env.guided_exe] + list(args), capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL, cwd=cwd)
    return r.returncode, r.stdout, r.stderr


def expect(env, path, want_rc, want, what, check_only=True):
    """guided --config PATH [--check] exits want_rc and prints exactly the
    diagnostics want ('LINE:COL: error: message'), in this order."""
    rc, out, err = guided(env, "--config", path, *(["--check"] if check_only else []))
    got = [line[len(path) + 1:] for line in err.splitlines() if line.startswith(path + ":")]
    ok = check(rc == want_rc, "%s: exit %d, want %d\n%s" % (what, rc, want_rc, err))
    ok &= check(got == want, "%s: diagnostics\n  %s\nwant\n  %s"
                % (what, "\n  ".join(got), "\n  ".join(want)))
    if ok:
        print("ok   %s" % what)


def fixtures(env):
    paths = sorted(glob.glob(os.path.join(FIXDIR, "*.yaml")))
    check(len(paths) >= 5, "the config fixtures are there: %s" % paths)
    for path in paths:
        with open(path, encoding="utf-8") as f:
            lines = [line.rstrip("\n")[len("# expect: "):] for line in f
                     if line.startswith("# expect: ")]
        rcs = [int(x.split()[-1]) for x in lines if x.startswith("exit ")]
        check(len(rcs) == 1, "%s: one '# expect: exit N'" % path)
        want = [x for x in lines if not x.startswith("exit ")]
        expect(env, path, rcs[0], want, os.path.basename(path))
    # without --check the same file stops guided before it starts anything
    path = os.path.join(FIXDIR, "schema.yaml")
    rc, out, err = guided(env, "--config", path)
    check(rc == 2 and "schema.yaml:4:1: error: unknown key 'lang'" in err
          and "not started" in err, "a broken config is refused at start: %d %s" % (rc, err))
    # files that cannot hold their expectations
    empty = env.path("empty.yaml")
    open(empty, "w").close()
    expect(env, empty, 2, ["1:1: error: the file is empty: a vehicle configuration needs at "
                           "least 'route:'"], "an empty file")
    missing = env.path("missing.yaml")
    expect(env, missing, 2, ["1:1: error: cannot open the vehicle configuration: No such file "
                             "or directory"], "an explicit --config that is missing")
    expect(env, missing, 2, ["1:1: error: cannot open the vehicle configuration: No such file "
                             "or directory"], "... also without --check", check_only=False)
    expect(env, env.dir, 2, ["1:1: error: is a directory, not a vehicle configuration"],
           "a directory")


def example(env):
    """The shipped example for the 798/751 cart is valid (its group swapped
    for one this machine has)."""
    with open(EXAMPLE) as f:
        text = f.read()
    check("group: guide" in text, "the example names the guide group")
    mine = grp.getgrgid(os.getgid()).gr_name
    path = env.path("example.yaml")
    with open(path, "w") as f:
        f.write(text.replace("group: guide", "group: " + mine))
    rc, out, err = guided(env, "--config", path, "--check")
    check(rc == 0 and out == "%s: valid vehicle configuration\n" % path and err == "",
          "the shipped example passes --check: %d %r %r" % (rc, out, err))
    # and the unit runs guided from the file
    with open(os.path.join(ROOT, "guide", "daemon", "guided.service")) as f:
        unit = f.read()
    check(re.search(r"^ExecStart=\S*guided --config /etc/guide/vehicle.yaml$", unit, re.M),
          "guided.service runs guided --config /etc/guide/vehicle.yaml")


def events_of(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def from_file(env):
    """An offline replay from a file alone, with paths relative to the
    file's folder (guided runs elsewhere); then the command line overrides."""
    folder = env.path("cart")
    os.mkdir(folder)
    shutil.copy(ROUTE, os.path.join(folder, "route.yaml"))
    os.symlink(os.path.join(os.path.dirname(ROUTE), "clips"), os.path.join(folder, "clips"))
    shutil.copy(track("clean.nmea"), os.path.join(folder, "drive.nmea"))
    cfg = os.path.join(folder, "vehicle.yaml")
    with open(cfg, "w") as f:
        f.write("route: route.yaml\ngps: nmea:drive.nmea\naudio: null\nlangs: [en]\n"
                "events: log.jsonl\n")
    rc, out, err = guided(env, "--config", cfg, "--offline", "--start", cwd="/", timeout=120)
    check(rc == 0, "guided from the file alone: exit %d\n%s" % (rc, err[-2000:]))
    log = os.path.join(folder, "log.jsonl")
    evs = events_of(log) if os.path.exists(log) else []
    starts = [e for e in evs if e["event"] == "tour_start"]
    check(len(starts) == 1 and starts[0].get("lang") == ["en"],
          "the file's langs and events path took effect: %s" % starts)
    check(any(e["event"] == "tour_end" for e in evs), "the replay ran to its end")
    if os.path.exists(log):
        os.unlink(log)

    # the command line wins over the file, field by field
    other = env.path("other.jsonl")
    rc, out, err = guided(env, "--config", cfg, "--offline", "--start", "--lang", "zh",
                          "--events", other, cwd="/", timeout=120)
    check(rc == 0, "guided with overrides: exit %d\n%s" % (rc, err[-2000:]))
    check(not os.path.exists(log), "the file's events path was not used")
    starts = [e for e in events_of(other) if e["event"] == "tour_start"]
    check(len(starts) == 1 and starts[0].get("lang") == ["zh"],
          "--lang and --events override the file: %s" % starts)
    # a broken route path in the file does not matter when --route is given
    with open(cfg, "a") as f:
        f.write("tour: loop\n")
    bad = env.path("bad-route.yaml")
    with open(bad, "w") as f:
        f.write("route: /nonexistent/route.yaml\ngps: nmea:%s\naudio: null\n"
                % os.path.join(folder, "drive.nmea"))
    rc, out, err = guided(env, "--config", bad, "--route", os.path.join(folder, "route.yaml"),
                          "--offline", "--start", timeout=120)
    check(rc == 0, "--route overrides the file's route: exit %d\n%s" % (rc, err[-2000:]))


def edit(path, old, new):
    with open(path) as f:
        text = f.read()
    if old not in text:
        raise AssertionError("%r not in %s" % (old, path))
    with open(path, "w") as f:
        f.write(text.replace(old, new, 1))


def reload(env):
    """A running guide re-reads its file on reload: a broken file is refused
    with its line and column, nothing changes; a valid one switches the
    route and says what needs a restart.  control.group owns the socket."""
    route = env.route_copy()
    other = env.path("route-b.yaml")
    with open(route) as f:
        text = f.read()
    with open(other, "w") as f:
        f.write(text.replace("id: 798-751", "id: 798-751-b", 1))
    check("id: 798-751-b" in open(other).read(), "the second route has its own id")
    drive = env.make_track("drive.nmea", "--seed", 5, "--noise", 0, "--wait", 200)
    d = env.guided("nmea:" + drive, route=route, speed=20, lang="en",
                   config={"control": {"group": "nogroup"}})
    d.wait_ready()
    st = os.stat(d.control)
    check(st.st_gid == grp.getgrnam("nogroup").gr_gid and stat.S_IMODE(st.st_mode) == 0o660,
          "control.group: the socket is group nogroup, mode 0660: gid %d mode %o"
          % (st.st_gid, stat.S_IMODE(st.st_mode)))

    cfg = d.config_path
    with open(cfg) as f:
        good = f.read()
    with open(cfg, "a") as f:
        f.write("lang: [zh]\n")
    bad_line = good.count("\n") + 1
    rc, out, err = d.ctl("reload")
    check(rc == 1, "reload of a broken config: exit %d, want 1" % rc)
    check("%s:%d:1: error: unknown key 'lang' in the vehicle configuration; did you mean "
          "'langs'?" % (cfg, bad_line) in err, "the reply points at the line: %r" % err)
    check("keeping the old configuration and route" in err, "the old stays: %r" % err)
    d.wait_event(lambda e: e["event"] == "error" and "vehicle configuration" in e["message"],
                 10, "an error event for the refused config")
    st = d.status()
    check(st and st["route"] == "798-751", "still the old route: %s" % st)

    # a valid file: a new route now, a new GPS source only after a restart
    with open(cfg, "w") as f:
        f.write(good.replace(json.dumps(route), json.dumps(other))
                .replace(json.dumps("nmea:" + drive), json.dumps("gpsd:localhost:2947")))
    rc, out, err = d.ctl("reload")
    check(rc == 0, "reload of a valid config: exit %d %s %s" % (rc, out, err))
    check("%s: gps changed: needs a restart" % cfg in out, "the reply names gps: %r" % out)
    wait_for(lambda: (d.status() or {}).get("route") == "798-751-b", 10,
             "the new route from the file in effect")
    _, e = d.wait_event(ev("route_reload", ok=True), 10, "route_reload ok")
    check(e.get("file") == other, "the reload read the file's new route: %s" % e)
    d.alive_or_fatal("after the reloads")
    check(d.terminate() == 0, "guided ends cleanly")


def body(env):
    fixtures(env)
    example(env)
    from_file(env)
    reload(env)


if __name__ == "__main__":
    main(body)
