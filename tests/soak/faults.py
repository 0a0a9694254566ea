#!/usr/bin/env python3
"""Fault injection at the daemon level (issue 8).

usage: faults.py GUIDED GUIDECTL GUIDE_ROUTE CASE
Cases:
  state   a damaged state file (truncated mid-line, garbage bytes, empty,
          a running tour without its id, over-long lines): guided warns,
          starts clean, the tour runs to its end, exit 0, and the file is
          rewritten valid
  disk    the WAV sink on a full disk: /dev/full (the header cannot be
          written) and, when we may mount, a 1 MiB tmpfs that fills after
          a few seconds of audio: exit 1, one clear error naming the file
          and "No space left on device", no crash
"""
import os
import subprocess

from testlib import check, main, sanitizer_clean, track


def guided(env, name, **kw):
    """The clean drive offline to its end; returns (guided, exit status, stderr)."""
    g = env.guided("nmea:" + track("clean.nmea"), name=name, offline=True, start=True,
                   control=False, **kw)
    rc, err = g.wait(600), g.stderr()
    check(sanitizer_clean(err), f"{name}: sanitizer report: {err[-1500:]}")
    check(rc >= 0, f"{name}: guided died of signal {-rc}")
    return g, rc, err


VALID = b"guide-state 1\nroute 798-751\ntour loop\nstate running\nlangs zh,en\nplayed gate\n"
DAMAGED = {
    "truncated": VALID[:-5],                       # cut mid-line by a power loss
    "garbage": bytes(range(256)) * 8,
    "empty": b"",
    "nul": b"guide-state 1\nroute 798\x00-751\n",
    "no-tour": b"guide-state 1\nroute 798-751\nstate running\n",
    "long-line": b"guide-state 1\nroute " + b"x" * 5000 + b"\n",
    "bad-version": b"guide-state 99\nstate idle\n",
}


def case_state(env):
    for name, data in DAMAGED.items():
        st = env.path(name + ".state")
        with open(st, "wb") as f:
            f.write(data)
        g, rc, err = guided(env, name, state=st)
        check(rc == 0, f"{name}: exit {rc}: {err[-800:]}")
        check("starting clean" in err and st in err,
              f"{name}: no warning naming the file: {err[:800]}")
        evs = g.read_events()
        # a clean start: the welcome plays (a restored tour has none), the tour completes
        check(any(e.get("poi") == "welcome" for e in evs), f"{name}: the tour did not start clean")
        check(any(e.get("reason") == "completed" for e in evs),
              f"{name}: the tour did not complete")
        with open(st, "rb") as f:
            after = f.read()
        check(after.startswith(b"guide-state 1\n") and b"state idle\n" in after,
              f"{name}: state file not rewritten valid: {after[:200]!r}")
    # the valid file is taken: the tour is resumed, without the welcome
    st = env.path("valid.state")
    with open(st, "wb") as f:
        f.write(VALID)
    g, rc, err = guided(env, "valid", state=st)
    check(rc == 0 and "back in tour loop" in err, f"valid: {err[-800:]}")
    check(not any(e.get("poi") == "welcome" for e in g.read_events()),
          "valid: a resumed tour has no welcome")


def disk_full(env, name, path):
    g, rc, err = guided(env, name, audio="wav:" + path, events=None)
    check(rc == 1, f"{path}: exit {rc}, want 1: {err[-800:]}")
    errs = [line for line in err.splitlines() if "No space left on device" in line]
    check(errs and path in errs[0], f"{path}: no error naming {path}: {err[-800:]}")
    check(len(errs) <= 2, f"{path}: the error repeats {len(errs)} times")
    return err


def case_disk(env):
    disk_full(env, "dev-full", "/dev/full")
    mnt = env.path("mnt")
    os.mkdir(mnt)
    m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt],
                       capture_output=True, text=True)
    if m.returncode != 0:
        print(f"tmpfs not mountable here ({m.stderr.strip()}): only /dev/full tested")
        return
    try:
        wav = os.path.join(mnt, "tour.wav")
        err = disk_full(env, "tmpfs", wav)
        check("ready:" in err, "full tmpfs: the failure comes during the tour")
        # what was written before the disk filled is a valid WAV header + data
        with open(wav, "rb") as f:
            head = f.read(12)
        check(head[:4] == b"RIFF" and head[8:12] == b"WAVE", f"full tmpfs: header {head!r}")
    finally:
        subprocess.run(["umount", mnt])


main(lambda env: {"state": case_state, "disk": case_disk}[env.args[0]](env))
