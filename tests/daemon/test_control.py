#!/usr/bin/env python3
"""The running daemon's control socket survives garbage bytes, over-long
lines, a flood without newlines, 100 concurrent clients and clients that
connect and never read; guidectl status answers throughout and afterwards,
and the tour is not disturbed."""

import json
import os
import socket
import threading
import time

from testlib import check, main, recv_line, wait_for


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(path)
    return s


def ask(path, line):
    s = connect(path)
    try:
        s.sendall(line)
        return recv_line(s)
    finally:
        s.close()


def body(env):
    drive = env.make_track("drive.nmea", "--seed", 13, "--noise", 0, "--wait", 600)
    d = env.guided("nmea:" + drive, speed=20, start=True, lang="en", config=True)
    d.wait_ready()
    path = d.control
    mode = os.stat(path).st_mode & 0o777
    check(mode == 0o660, "socket mode 0660 (got %o)" % mode)

    def alive(what):
        rc, out, err = d.ctl("status", "--json")
        check(rc == 0 and json.loads(out)["ok"] is True, "status answers %s: %d %r"
              % (what, rc, err))

    # garbage: binary bytes, NUL, blank lines, unknown commands, bad arguments
    for junk, want in ((b"\x00\xff\xfe garbage\n", b'"ok":false'),
                       (b"\x01\x02\x03\x1b[31m\n", b'"ok":false'),
                       (b"frobnicate now\n", b"unknown command"),
                       (b"volume banana\n", b'"ok":false'),
                       (b"volume -1\n", b'"ok":false'),
                       (b"lang\n", b'"ok":false'),
                       (b"start nosuchtour\n", b'"ok":false'),
                       (b" ".join([b"a"] * 40) + b"\n", b"too many arguments"),
                       (b"\n\n\r\nstatus\n", b'"ok":true')):
        reply = ask(path, junk)
        check(want in reply, "reply to %r: %r" % (junk[:30], reply[:200]))
        json.loads(reply)  # every reply is one JSON object
    alive("after garbage")

    # an over-long line: an error, then the connection still works
    s = connect(path)
    s.sendall(b"status " + b"x" * 100000 + b"\nstatus\n")
    first = recv_line(s)
    check(b"line too long" in first, "over-long line refused: %r" % first[:200])
    s.close()
    alive("after an over-long line")

    # a flood with no newline for a while: the loop keeps answering others
    stop = threading.Event()

    def flood():
        f = connect(path)
        f.setblocking(False)
        chunk = b"z" * 65536
        while not stop.is_set():
            try:
                f.send(chunk)
            except BlockingIOError:
                time.sleep(0.001)
            except OSError:
                break
        f.close()
    t = threading.Thread(target=flood)
    t.start()
    try:
        for _ in range(5):
            t0 = time.monotonic()
            alive("during a flood")
            check(time.monotonic() - t0 < 5, "status during a flood within 5 s")
    finally:
        stop.set()
        t.join(30)

    # clients that connect and never read (nor close): 40 idle ones, and 20
    # that keep asking for status without reading a byte: those are dropped
    # once their unread replies pile up
    idle = [connect(path) for _ in range(40)]
    dropped = []

    def greedy():
        g = connect(path)
        g.setblocking(False)
        end = time.monotonic() + 20
        res = "never dropped"
        while time.monotonic() < end:
            try:
                g.send(b"status\n" * 64)
            except BlockingIOError:
                time.sleep(0.002)
            except OSError:
                res = True
                break
        with lock:
            dropped.append((res, g))
    lock = threading.Lock()
    gs = [threading.Thread(target=greedy) for _ in range(20)]
    for th in gs:
        th.start()
    alive("with clients that never read")
    for th in gs:
        th.join(60)
    check(len(dropped) == 20 and all(r is True for r, _ in dropped),
          "clients that never read are dropped: %s" % [r for r, _ in dropped])
    check("does not read its replies" in d.stderr(), "the drop is logged")
    greedy_socks = [g for _, g in dropped]
    alive("after dropping them")

    # 100 concurrent clients, each asking for status and reading the answer
    results = []

    def client():
        try:
            r = json.loads(ask(path, b"status\n"))
            ok = r.get("ok") is True and r.get("tour") == "loop"
        except (OSError, ValueError) as e:
            ok = "error: %s" % e
        with lock:
            results.append(ok)
    threads = [threading.Thread(target=client) for _ in range(100)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    check(len(results) == 100 and all(r is True for r in results),
          "100 concurrent clients answered: %s" % [r for r in results if r is not True][:5])

    # readers that vanish before their answer arrives
    for _ in range(50):
        s = connect(path)
        s.sendall(b"status\n")
        s.close()
    alive("after clients that vanished")

    for s in idle + greedy_socks:
        s.close()
    alive("after the idle clients left")
    rc, out, err = d.ctl("status")
    check(rc == 0 and "loop (running)" in out, "human status at the end: %r" % out)
    check(d.proc.poll() is None, "guided is still running")
    wait_for(lambda: d.status()["state"] == "running", 5, "the tour still running")

    d.check_exit(d.terminate(), "guided on SIGTERM")
    check(not os.path.exists(path), "the socket is removed at exit")


main(body)
