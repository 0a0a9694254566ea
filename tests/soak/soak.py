#!/usr/bin/env python3
"""An 8-hour shift of the 798/751 shuttle through one guided process (issue 8).

usage: soak.py GUIDED GUIDECTL GUIDE_ROUTE [DRIVES]

The shift: DRIVES (default 26) synthetic drives of the shipped loop, each
with its own seed (noise, multipath jumps, dropouts), each starting with
three minutes of boarding at the gate, shifted in time so that they follow
one another: one NMEA file of ~8 h 10 min.  The last drive ends with a
quarter of an hour parked.  guided replays it under the virtual clock
(--offline --audio null) with a control socket and a state file; the test
drives it like a driver would: `start` after every tour_end, and during
the tours pause/resume, skip, replay, volume, lang, `reload` and SIGHUP.

Pacing (why this is deterministic enough to mean something): offline,
guided runs as fast as the CPU allows, ~50000x real time while no tour
runs, so a command sent "after tour_end" could land anywhere in the next
drive.  The event log is therefore a named pipe with a 4 KiB buffer that
this script reads: when the script stops reading, guided blocks in its
event write after at most a few KiB of events (a few tens of virtual
seconds).  Time-critical commands (start after tour_end, the memory
samples) go over the control socket while guided is held that way: the
kernel queues the connection and the line, and guided handles them at its
next loop turn, within a bounded virtual time of the event, whatever the
speed of the machine or the sanitizer.  The test checks that bound: every
tour starts during its boarding wait and completes.  The other actions go
through guidectl itself while the pipe is drained.

Asserted: exit 0, 26 tours completed, commands answered, no sanitizer
report, and flat memory: live heap (mallinfo2, from `guidectl --json
status`) and VmRSS at the end within +512 KiB / +2 MiB of the sample
after the first tour, open descriptors equal.  Under ASan mallinfo2 and
RSS say nothing about our allocations (ASan's allocator and quarantine);
there the memory bound is skipped and LeakSanitizer at exit checks leaks.
"""
import datetime
import json
import signal
import subprocess
import time

from testlib import ROUTE, check, event_time, failed, is_asan, main

WAIT_S = 180          # boarding at the gate before each drive
FINAL_PARK_S = 900    # the cart parked after the last tour: time for the last sample
START_BOUND_S = 150   # a start after tour_end lands within this (virtual) time
HEAP_BOUND = 512 * 1024
RSS_BOUND = 2 * 1024 * 1024


# ---- the shift's NMEA ------------------------------------------------------

def nmea_checksum(body):
    c = 0
    for ch in body.encode():
        c ^= ch
    return "%02X" % c


def parse_time(hms, dmy):
    return datetime.datetime.strptime(dmy + hms, "%d%m%y%H%M%S.%f").replace(
        tzinfo=datetime.timezone.utc)


def shift_drive(lines, offset):
    """Moves RMC and GGA sentences `offset` (a timedelta) later, date included."""
    out, date = [], None
    for line in lines:
        body = line[1:line.index("*")]
        f = body.split(",")
        if f[0].endswith("RMC"):
            date = f[9]
        if f[0].endswith(("RMC", "GGA")) and f[1]:
            t = parse_time(f[1], date) + offset
            f[1] = t.strftime("%H%M%S.") + "%03d" % (t.microsecond // 1000)
            if f[0].endswith("RMC"):
                f[9] = t.strftime("%d%m%y")
        body = ",".join(f)
        out.append("$%s*%s\n" % (body, nmea_checksum(body)))
    return out


def first_last_time(lines):
    date, ts = None, []
    for line in lines:
        f = line[1:line.index("*")].split(",")
        if f[0].endswith("RMC"):
            date = f[9]
            ts.append(parse_time(f[1], date))
    return ts[0], ts[-1]


def make_shift(env, path, n):
    """Returns the list of (start, departure) UTC datetimes of each of the n
    drives, and the end of the shift."""
    drives, end = [], None
    with open(path, "w") as out:
        for i in range(n):
            args = [env.guide_route_exe, "track", ROUTE, "--seed", str(100 + i),
                    "--wait", str(WAIT_S)]
            if i == n - 1:
                args += ["--park", str(FINAL_PARK_S)]
            p = subprocess.run(args, capture_output=True, text=True, check=True)
            lines = p.stdout.splitlines()
            first, last = first_last_time(lines)
            offset = (end + datetime.timedelta(seconds=1) - first) if end else \
                datetime.timedelta(0)
            out.writelines(shift_drive(lines, offset))
            drives.append((first + offset, first + offset + datetime.timedelta(seconds=WAIT_S)))
            end = last + offset
    return drives, end


# A driver's day: what is done during tour i, and when (the n-th clip of a stop).
def driver_actions(i):
    return [
        [("pause",), ("resume",)],
        [("skip",)],
        [("volume", "40"), ("volume", "100")],
        [("lang", "en,zh"), ("lang", "zh,en")],
        [("SIGHUP",)],
        [("reload",), ("replay",)],
    ][i % 6]


def body(env):
    n_drives = int(env.args[0]) if env.args else 26
    asan = is_asan(env.guided_exe)
    nmea = env.path("shift.nmea")
    drives, end = make_shift(env, nmea, n_drives)
    hours = (end - drives[0][0]).total_seconds() / 3600
    print(f"shift: {n_drives} drives, {hours:.2f} h of NMEA")
    check(hours >= 8, f"the shift lasts {hours:.2f} h")

    state = env.path("state")
    g = env.guided("nmea:" + nmea, offline=True, start=True, state=state, events="pipe",
                   deadline=1500)
    t0 = time.monotonic()
    tours_ended = 0
    first = last = None
    clip_starts = 0
    actions_done = False
    answered = 0
    for e in g.follow():
        if e["event"] == "clip_start" and e["poi"] not in ("welcome", "safety", "goodbye"):
            clip_starts += 1
            # the fifth story clip of a tour: the driver does something
            if clip_starts == 5 and not actions_done:
                actions_done = True
                for a in driver_actions(tours_ended):
                    if a[0] == "SIGHUP":
                        g.signal(signal.SIGHUP)
                        continue
                    rc, out, _ = g.ctl_paced(*a)
                    ok = rc == 0 or ("replay" in a and "nothing" in out)
                    check(ok, f"guidectl {' '.join(a)}: exit {rc}: {out.strip()}")
                    answered += ok
        if e["event"] != "tour_end":
            continue
        tours_ended += 1
        clip_starts = 0
        actions_done = False
        check(e["reason"] == "completed", f"tour {tours_ended} ended: {e['reason']}")
        if tours_ended == 1:
            first, _ = g.sample("after the first tour")
        if tours_ended < n_drives:
            reply, _ = g.request("start")
            check(reply and reply.get("ok"), f"start after tour {tours_ended}: {reply}")
        else:
            last, _ = g.sample("at the end of the shift")
            # guidectl's own view of the same numbers
            rc, out, _ = g.ctl_paced("--json", "status")
            check(rc == 0 and "heap_bytes" in json.loads(out)["counters"],
                  f"guidectl --json status: {rc} {out[:200]}")
    wall = time.monotonic() - t0
    rc = g.wait(60)
    err = g.stderr()
    print(g.stdout().strip())
    print(f"wall time {wall:.1f} s for {hours:.2f} h ({hours * 3600 / wall:.0f}x real time)")
    g.check_exit(rc, "guided")

    evs = g.events
    ends = [e for e in evs if e["event"] == "tour_end"]
    check(len(ends) == n_drives, f"{len(ends)} tours ended, want {n_drives}")
    # the tour each `start` began: the first tour_start after each tour_end
    # (a reload mid-tour restores the tour on the new route, with a tour_start)
    starts, after_end = [], True
    for e in evs:
        if e["event"] == "tour_start" and after_end:
            starts.append(e)
        if e["event"] in ("tour_start", "tour_end"):
            after_end = e["event"] == "tour_end"
    check(len(starts) == n_drives, f"{len(starts)} tours started, want {n_drives}")
    # every tour starts while its cart boards, before it leaves the gate
    for i, s in enumerate(starts[1:n_drives], 1):
        t = event_time(s)
        board, leave = drives[i]
        check(t <= leave, f"tour {i + 1} started at {s['time']}, after the cart left ({leave})")
        since = t - event_time(ends[i - 1])
        check(since.total_seconds() <= START_BOUND_S,
              f"tour {i + 1} started {since} after the previous ended")
    # a reload mid-tour does not call the stories already told "missed"
    missed = [e for e in evs if e["event"] == "clip_skip" and e["reason"] == "missed"]
    check(not missed, f"stops missed: {missed[:5]}")
    print(f"{answered} driver commands answered")
    check(answered >= n_drives, f"only {answered} driver commands answered")
    check("SIGHUP: reloading" in err, "SIGHUP reloads")
    check(err.count("reload: new route") >= n_drives // 6,
          f"{err.count('reload: new route')} reloads took effect")
    with open(state) as f:
        saved = f.read()
    check("state idle" in saved, f"state file at the end: {saved!r}")

    if first and last:
        print(f"heap {first['heap']} -> {last['heap']} B ({last['heap'] - first['heap']:+d}), "
              f"rss {first['rss_kib']} -> {last['rss_kib']} KiB "
              f"({last['rss_kib'] - first['rss_kib']:+d}), "
              f"fds {first['fds']} -> {last['fds']}")
        check(last["fds"] == first["fds"], f"descriptors grew: {first['fds']} -> {last['fds']}")
        if asan:
            print("ASan build: heap and RSS bounds not checked (LeakSanitizer checks leaks)")
        else:
            check(last["heap"] - first["heap"] <= HEAP_BOUND,
                  f"live heap grew by {last['heap'] - first['heap']} B")
            check((last["rss_kib"] - first["rss_kib"]) * 1024 <= RSS_BOUND,
                  f"RSS grew by {last['rss_kib'] - first['rss_kib']} KiB")
    else:
        check(False, "no memory samples")

    if failed():  # the temp dir is kept: leave the log in it as a file
        with open(env.path("events.jsonl"), "w") as f:
            f.writelines(json.dumps(e) + "\n" for e in evs)


main(body)
