#!/usr/bin/env python3
"""gps_fix under gpsd by the rule of a replay (issue 13): the first fix after
a loss, then at most one a second of the fixes' own time, which on a 1 Hz
receiver is every fix.  A gpsd of the test's own (a thread speaking gpsd's
JSON protocol, so that every report and its time are exact) serves what a
real gpsd sends on a cold start: a report without a time, three whose date
gpsd guessed (GGA before the first RMC), then the receiver's own, reported
faster than real time as gpsfake does.  Pacing gps_fix by the guide's clock
(which holds still for a late fix and jumps with a receiver that runs
ahead) dropped fixes there.  The human log says each loss once."""

import json
import socket
import threading

from testlib import Fatal, check, ev, free_port, main, wait_for

N_REAL = 40  # the receiver's own fixes, 1 s apart


def tpv(k, time=None):
    """A 3D fix k metres north of the gate, moving north at 1 m/s."""
    r = {"class": "TPV", "device": "/dev/fake", "mode": 3, "lat": 39.98353 + k * 9e-6,
         "lon": 116.48384, "altMSL": 45.0, "speed": 1.0, "track": 0.0, "eph": 5.0}
    if time:
        r["time"] = time
    return r


def cold_start():
    reports = [tpv(0)]  # gpsd's first report: no time yet
    reports += [tpv(k, "2025-05-01T02:00:%02d.000Z" % k) for k in (1, 2, 3)]  # a guessed date
    reports += [tpv(k, "2024-05-01T02:%02d:%02d.000Z" % divmod(k, 60))
                for k in range(4, 4 + N_REAL)]
    return reports


class FakeGpsd:
    """Listens on 127.0.0.1:port; the first client gets VERSION, and once it
    sends ?WATCH the reports, `pace` seconds apart; close() hangs up."""

    def __init__(self, port, reports, pace=0.05):
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", port))
        self.srv.listen(1)
        self.reports, self.pace = reports, pace
        self.sent = 0
        self.done = threading.Event()
        self.conn = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _send(self, obj):
        self.conn.sendall((json.dumps(obj, separators=(",", ":")) + "\r\n").encode())

    def _serve(self):
        try:
            self.conn, _ = self.srv.accept()
            self._send({"class": "VERSION", "release": "3.22", "rev": "3.22",
                        "proto_major": 3, "proto_minor": 14})
            got = b""
            while b"?WATCH" not in got:
                data = self.conn.recv(4096)
                if not data:
                    return
                got += data
            self._send({"class": "DEVICES", "devices": [{"class": "DEVICE", "path": "/dev/fake"}]})
            self._send({"class": "WATCH", "enable": True, "json": True})
            for r in self.reports:
                if self.done.wait(self.pace):
                    return
                self._send(r)
                self.sent += 1
        except OSError:
            pass

    def close(self):
        self.done.set()
        if self.conn:
            self.conn.close()
        self.srv.close()
        self.thread.join(10)


def body(env):
    port = free_port()
    reports = cold_start()
    gpsd = FakeGpsd(port, reports)
    try:
        d = env.guided("gpsd:127.0.0.1:%d" % port, start=True, lang="en")
        d.wait_ready()
        wait_for(lambda: gpsd.sent == len(reports) or None, 30, "the fake gpsd's reports sent")
        wait_for(lambda: d.status()["counters"]["fixes"] == len(reports) or None, 10,
                 "guided's fixes")
        counters = d.status()["counters"]
        i_last = len(d.read_events())
    finally:
        gpsd.close()
    d.wait_event(ev("gps_lost"), 20, "gps_lost when gpsd goes", after=i_last)
    d.check_exit(d.terminate(), "guided on SIGTERM")

    evs = d.read_events()
    fixes = [e for e in evs if e["event"] == "gps_fix"]
    time_rejected = [e for e in evs if e["event"] == "fix_rejected" and e["reason"] == "time"]
    check(not time_rejected, "no fix refused for its time after the date was corrected: %d"
          % len(time_rejected))
    accepted = counters["fixes"] - sum(counters["rejected"].values())
    check(len(fixes) == accepted and accepted >= N_REAL,
          "a gps_fix for each of the %d accepted fixes of a 1 Hz receiver: %d (%s)"
          % (accepted, len(fixes), counters))
    lost = [ln for ln in d.stderr().splitlines() if "lost" in ln]
    n_lost = sum(1 for e in evs if e["event"] == "gps_lost")
    check(len(lost) == n_lost, "one line for each of the %d losses: %s" % (n_lost, lost))


main(body)
