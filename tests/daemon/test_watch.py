#!/usr/bin/env python3
"""Live events (issue 18): `watch` answers with the status object, then
pushes every event line (as the event log has it, even without --events)
and a fresh status after each change.  50 watchers at once each get every
event in order (seq consecutive); watchers that never read are dropped
while the daemon goes on and the others keep receiving; a watcher that
leaves mid-line does no harm.  guidectl watch prints events and status
changes, --json the lines as received, and exits 1 when guided goes away."""

import json
import os
import selectors
import socket
import subprocess

from testlib import Deadline, Fatal, check, main, recv_line, wait_for

N_WATCHERS = 50
N_SILENT = 3
BATCH = 50  # a status after each command is 50 kB a batch for every reader


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(path)
    return s


class Watchers:
    """Many watch connections read by one selector: each keeps its lines."""

    def __init__(self, path, n):
        self.sel = selectors.DefaultSelector()
        self.socks = []
        self.bufs = {}
        self.lines = {}
        for _ in range(n):
            s = connect(path)
            s.sendall(b"watch\n")
            s.setblocking(False)
            self.socks.append(s)
            self.bufs[s] = b""
            self.lines[s] = []
            self.sel.register(s, selectors.EVENT_READ)
        self.closed = set()

    def pump(self, timeout=0.05):
        for key, _ in self.sel.select(timeout):
            s = key.fileobj
            try:
                data = s.recv(1 << 20)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                self.sel.unregister(s)
                self.closed.add(s)
                continue
            *done, self.bufs[s] = (self.bufs[s] + data).split(b"\n")
            self.lines[s] += [json.loads(x) for x in done]

    def all_saw(self, pred):
        return all(any(pred(o) for o in reversed(self.lines[s][-400:])) for s in self.socks)

    def wait(self, pred, timeout, what):
        dl = Deadline(timeout, what)
        while not self.all_saw(pred):
            if self.closed:
                raise Fatal("a reading watcher was dropped (%d were)" % len(self.closed))
            dl.check()
            self.pump()


def is_volume(v):
    return lambda o: o.get("event") == "volume" and abs(o.get("volume", -1) - v / 100) < 1e-6


def body(env):
    drive = env.make_track("drive.nmea", "--seed", 18, "--noise", 0, "--wait", 600)
    # no --events: the lines reach the watchers all the same
    d = env.guided("nmea:" + drive, speed=10, start=True, lang="en", events=None)
    d.wait_ready()
    path = d.control

    # the first line is the status reply, with the new fields
    s = connect(path)
    s.sendall(b"watch\n")
    first = json.loads(recv_line(s))
    status = d.status()
    check(first.get("ok") is True and "event" not in first, "watch begins with a status: %r"
          % str(first)[:300])
    check(set(first) == set(status), "the watch status has the status reply's keys: %s vs %s"
          % (sorted(first), sorted(status)))
    rf = first.get("route_file")
    check(isinstance(rf, str) and os.path.isabs(rf) and os.path.exists(rf),
          "route_file is the route's absolute path: %r" % rf)
    check("speed_limit_kmh" in first and first.get("speeding") is False,
          "speed_limit_kmh and speeding in the status: %r" % str(first)[:300])
    s.close()

    # a watcher that leaves mid-line, and one mid-command
    m = connect(path)
    m.sendall(b"watch\n")
    m.recv(10)
    m.close()
    m = connect(path)
    m.sendall(b"wat")
    m.close()

    # silent watchers (never read) and 50 reading ones
    silent = []
    for _ in range(N_SILENT):
        q = connect(path)
        q.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        q.sendall(b"watch\n")
        silent.append(q)
    w = Watchers(path, N_WATCHERS)
    w.wait(lambda o: o.get("ok") is True, 30, "every watcher's first status")
    check(all(w.lines[s][0].get("ok") is True and "event" not in w.lines[s][0]
              for s in w.socks), "each watcher's first line is the status")

    # a flood of changes, paced by the readers, until the silent ones are dropped
    cmd = connect(path)
    dl = Deadline(120, "the silent watchers to be dropped")
    n = 0
    while d.stderr().count("a watcher does not read its events") < N_SILENT:
        dl.check()
        d.alive_or_fatal("during the flood")
        # the batch's last value is not among the last 400 lines' (pacing)
        vols = [40 + (n + i) % 2 for i in range(BATCH - 1)] + [60 + (n // BATCH) % 30]
        cmd.sendall(b"".join(b"volume %d\n" % v for v in vols))
        n += BATCH
        got = 0
        buf = b""
        while got < BATCH:
            buf += cmd.recv(1 << 16)
            got = buf.count(b"\n")
        check(buf.count(b'"ok":true') == BATCH, "every volume command done")
        w.wait(is_volume(vols[-1]), 30, "the readers to keep up")
    for q in silent:  # they see the end of their stream once they read
        q.settimeout(20)
        while q.recv(1 << 20):
            pass
    status = d.status()
    check(status is not None and status["ok"], "status answers after the drops")
    d.alive_or_fatal("after the drops")

    # a last change: every reader gets it, and every event on the way in order
    d.ok("volume", "77")
    w.wait(is_volume(77), 30, "the last volume event at every watcher")
    seqs = None
    for s in w.socks:
        evs = [o for o in w.lines[s] if "event" in o]
        got = [o["seq"] for o in evs]
        check(got == list(range(got[0], got[0] + len(got))),
              "a watcher's events are consecutive (%d events)" % len(got))
        last = [i for i, o in enumerate(evs) if is_volume(77)(o)][-1]
        tail = got[last - 50:last + 1]
        if seqs is None:
            seqs = tail
        check(tail == seqs, "every watcher has the same last events")
        stats = [o for o in w.lines[s] if "event" not in o]
        check(len(stats) >= 2 and all(x.get("ok") is True and set(x) == set(status)
                                       for x in stats),
              "status objects pushed (%d), each the status reply's shape" % len(stats))
        check(any("event" not in o for o in w.lines[s][w.lines[s].index(evs[last]):]),
              "a status follows the last volume event")
    print("flood: %d volume commands, %d events per watcher" % (n, len(got)))

    # guidectl watch: human and --json, then guided goes away
    outs = {}
    procs = {}
    for mode in ("human", "json"):
        outs[mode] = open(env.path("watch-%s.out" % mode), "w+")
        argv = [env.guidectl_exe, "--control", path, "watch"] + (["--json"] if mode == "json"
                                                                   else [])
        procs[mode] = env.spawn(argv, stdout=outs[mode], stderr=subprocess.PIPE, text=True)

    def printed(mode, text):
        outs[mode].seek(0)
        return text in outs[mode].read()
    wait_for(lambda: printed("human", "status ") and printed("json", '"ok":true'), 30,
             "guidectl watch's first status")
    d.ok("volume", "55")
    # the event, then the status after it (a line of its own, written a
    # moment later: wait for both, the test must not race guidectl)
    wait_for(lambda: printed("human", " volume 0.55") and printed("json", '"event":"volume"')
             and printed("human", "volume 55"), 30,
             "the volume event and the status after it in guidectl watch")
    outs["human"].seek(0)
    text = outs["human"].read()
    line = [ln for ln in text.splitlines() if " volume 0.55" in ln][0]
    check(len(line.split()[0]) == 8 and line.split()[0][2] == ":",
          "an event line begins with its time of day: %r" % line)
    check("volume 55" in text, "a status change line: %r" % text[-500:])
    outs["json"].seek(0)
    for ln in outs["json"].read().splitlines():
        json.loads(ln)
    env.stop(d.proc)
    for mode, p in procs.items():
        rc = p.wait(timeout=30)
        err = p.stderr.read()
        check(rc == 1 and "guided went away" in err,
              "guidectl watch %s: exit %d %r when guided goes away" % (mode, rc, err))


if __name__ == "__main__":
    main(body)
