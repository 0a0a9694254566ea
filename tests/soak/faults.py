#!/usr/bin/env python3
"""Fault injection at the daemon level (issue 8).

usage: faults.py GUIDED SOURCE_ROOT CASE
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
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import guidedrun  # noqa: E402
from guidedrun import check  # noqa: E402

GUIDED, ROOT, CASE = sys.argv[1:4]
ROUTE = os.path.join(ROOT, "routes/798-751/route.yaml")
CLEAN = os.path.join(ROOT, "routes/798-751/tracks/clean.nmea")


def guided(*args):
    p = subprocess.run([GUIDED, "--route", ROUTE, "--gps", "nmea:" + CLEAN, "--offline",
                        "--start", *args], capture_output=True, text=True, timeout=600)
    for bad in ("runtime error", "AddressSanitizer", "LeakSanitizer"):
        check(bad not in p.stderr, f"sanitizer report: {p.stderr[-1500:]}")
    check(p.returncode >= 0, f"guided died of signal {-p.returncode}")
    return p


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


def case_state(tmp):
    for name, data in DAMAGED.items():
        st = os.path.join(tmp, name + ".state")
        ev = os.path.join(tmp, name + ".jsonl")
        with open(st, "wb") as f:
            f.write(data)
        p = guided("--audio", "null", "--state", st, "--events", ev)
        check(p.returncode == 0, f"{name}: exit {p.returncode}: {p.stderr[-800:]}")
        check("starting clean" in p.stderr and st in p.stderr,
              f"{name}: no warning naming the file: {p.stderr[:800]}")
        with open(ev) as f:
            log = f.read()
        # a clean start: the welcome plays (a restored tour has none), the tour completes
        check('"poi":"welcome"' in log, f"{name}: the tour did not start clean")
        check('"reason":"completed"' in log, f"{name}: the tour did not complete")
        with open(st, "rb") as f:
            after = f.read()
        check(after.startswith(b"guide-state 1\n") and b"state idle\n" in after,
              f"{name}: state file not rewritten valid: {after[:200]!r}")
    # the valid file is taken: the tour is resumed, without the welcome
    st = os.path.join(tmp, "valid.state")
    ev = os.path.join(tmp, "valid.jsonl")
    with open(st, "wb") as f:
        f.write(VALID)
    p = guided("--audio", "null", "--state", st, "--events", ev)
    check(p.returncode == 0 and "back in tour loop" in p.stderr, f"valid: {p.stderr[-800:]}")
    with open(ev) as f:
        check('"poi":"welcome"' not in f.read(), "valid: a resumed tour has no welcome")


def disk_full(path, what):
    p = guided("--audio", "wav:" + path)
    check(p.returncode == 1, f"{what}: exit {p.returncode}, want 1: {p.stderr[-800:]}")
    errs = [l for l in p.stderr.splitlines() if "No space left on device" in l]
    check(errs and path in errs[0], f"{what}: no error naming {path}: {p.stderr[-800:]}")
    check(len(errs) <= 2, f"{what}: the error repeats {len(errs)} times")
    return p


def case_disk(tmp):
    disk_full("/dev/full", "/dev/full")
    mnt = os.path.join(tmp, "mnt")
    os.mkdir(mnt)
    m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt],
                       capture_output=True, text=True)
    if m.returncode != 0:
        print(f"tmpfs not mountable here ({m.stderr.strip()}): only /dev/full tested")
        return
    try:
        wav = os.path.join(mnt, "tour.wav")
        p = disk_full(wav, "full tmpfs")
        check("ready:" in p.stderr, "full tmpfs: the failure comes during the tour")
        # what was written before the disk filled is a valid WAV header + data
        with open(wav, "rb") as f:
            head = f.read(12)
        check(head[:4] == b"RIFF" and head[8:12] == b"WAVE", f"full tmpfs: header {head!r}")
    finally:
        subprocess.run(["umount", mnt])


def main():
    with tempfile.TemporaryDirectory(prefix="guide-faults-") as tmp:
        {"state": case_state, "disk": case_disk}[CASE](tmp)
    if guidedrun.failures:
        print(f"{guidedrun.failures} failure(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
