#!/usr/bin/env python3
"""The fleet link's costs at the depot's broker (issue 19), key=value on
stdout (tests/bench/README.md's convention), then a summary.

  bench_fleet.py GUIDED GUIDECTL GUIDE_ROUTE GUIDE_FLEET [SPEED [IDLE_S]]

The shipped broker configuration (fleetlib.Broker), the cart over mqtts
through a byte-counting TCP proxy (both directions, TLS records and all;
TCP/IP headers are estimated: 52 B a segment, a proxy read taken as one
segment, and as many pure ACKs again):

1. bytes: the shipped tour (tracks/clean.nmea, 17 min of driving) replayed
   at SPEED (default 10), guided and guide-fleet beside it, until the depot
   has every line; a shift = 30 tours + 90 min parked: 30 x the tour's
   bytes, plus state messages as if at 1x (at most one per 10 s of a tour:
   a sped-up replay publishes fewer), the parked cart's fixes (one a
   minute) and state, MQTT keepalives (PINGREQ/PINGRESP each 60 s) and 10
   TLS (re)connects (one measured: mosquitto_pub through the proxy).
   Target <= 10 MB per cart per 10-hour shift.
2. cpu: guide-fleet's CPU time (utime + stime of /proc/PID/stat) over that
   tour per message, and over IDLE_S (default 120) seconds of real time with
   guided waiting (its 100 ms loop, guided's status every 2 s): per hour of
   driving = idle rate x 3600 + per-message x the messages of an hour
   (/proc counts in 10 ms ticks: the idle window is long for that).
3. drain: an hour of backlog (guided --offline, the shipped tour 4 times
   into one log with --state: about 70 min of driving) written before the
   agent starts; the time until the depot has every line, over TLS, and the
   agent's CPU for it.
"""

import os
import socket
import subprocess
import sys
import threading
import time

from fleetlib import (Agent, Broker, Subscriber, compare_cart, credentials, fleet_exe,
                      make_certs, need, read_log, received_events)
from testlib import ROUTE, check, main, track, wait_for

F = "798"
TOURS_PER_SHIFT = 30
PARKED_MIN = 90
RECONNECTS = 10
TCPIP = 52  # IPv4 20 + TCP 20 + timestamps 12


class Proxy:
    """127.0.0.1:port -> target, counting bytes and reads each way."""

    def __init__(self, target_port):
        self.target = target_port
        self.lock = threading.Lock()
        self.up = self.down = self.up_reads = self.down_reads = self.conns = 0
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(16)
        self.port = self.srv.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            try:
                u = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                c.close()
                continue
            with self.lock:
                self.conns += 1
            threading.Thread(target=self._pump, args=(c, u, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(u, c, False), daemon=True).start()

    def _pump(self, src, dst, up):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return
            with self.lock:
                if up:
                    self.up += len(data)
                    self.up_reads += 1
                else:
                    self.down += len(data)
                    self.down_reads += 1
            try:
                dst.sendall(data)
            except OSError:
                return

    def counts(self):
        with self.lock:
            return dict(up=self.up, down=self.down, up_reads=self.up_reads,
                        down_reads=self.down_reads, conns=self.conns)


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")


def wire(c):
    """(TLS bytes both ways, estimated TCP/IP header bytes incl. ACKs)."""
    return c["up"] + c["down"], 2 * TCPIP * (c["up_reads"] + c["down_reads"])


def delta(a, b):
    return {k: b[k] - a[k] for k in a}


def out(key, value):
    print("%s=%s" % (key, value), flush=True)


def body(env):
    need("mosquitto", "mosquitto_pub")
    exe = fleet_exe(env)
    speed = float(env.args[1]) if len(env.args) > 1 else 10
    idle_s = float(env.args[2]) if len(env.args) > 2 else 120
    certs = make_certs(env, ["c01", "c02", "c03"])
    ca = os.path.join(certs, "ca.crt")
    broker = Broker(env, certs).start()
    depot = Subscriber(broker, *credentials(os.path.join(certs, "depot.credentials")),
                       ["guide/v1/%s/#" % F])
    proxy = Proxy(broker.tls_port)
    url = "mqtts://127.0.0.1:%d" % proxy.port

    # one TLS connect + CONNECT + a state message + DISCONNECT
    c0 = proxy.counts()
    u, p = credentials(os.path.join(certs, "c01.credentials"))
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(proxy.port), "--cafile", ca,
                    "-u", u, "-P", p, "-i", "hs", "-q", "1", "-t", "guide/v1/%s/c01/state" % F,
                    "-m", "{}"], check=True, timeout=30)
    wait_for(lambda: proxy.counts()["down"] > c0["down"] and proxy.conns == 1, 10, "the proxy")
    hs = sum(wire(delta(c0, proxy.counts())))
    out("fleet_connect_bytes", hs)

    # 2. idle: a parked cart (tracks/idle.nmea) at 1x, guided waiting for a
    # start, the agent beside it
    gi = env.guided("nmea:" + track("idle.nmea"), name="c02", speed=1)
    gi.wait_ready()
    ai = Agent(env, exe, url, F, "c02", gi.events_path, gi.control,
               creds=os.path.join(certs, "c02.credentials"), ca=ca)
    wait_for(lambda: any(t.endswith("c02/state") and b"offline" not in pl
                         for t, pl, r in depot.take()), 30, "the parked agent's first state")
    c1, cpu1, t1 = proxy.counts(), cpu_s(ai.proc.pid), time.monotonic()
    m1 = len(depot.take())
    deadline = t1 + idle_s
    while time.monotonic() < deadline:  # real time is what is measured here
        check(ai.alive(), "the agent runs")
        time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
    c2, cpu2, t2 = proxy.counts(), cpu_s(ai.proc.pid), time.monotonic()
    idle_rate = (cpu2 - cpu1) / (t2 - t1)
    idle_bytes = sum(wire(delta(c1, c2)))
    out("fleet_idle_msgs", len(depot.take()) - m1)
    out("fleet_idle_window_s", "%.0f" % (t2 - t1))
    out("fleet_idle_cpu_ms_per_min", "%.1f" % (idle_rate * 60000))
    out("fleet_idle_bytes_per_min", "%.0f" % (idle_bytes / (t2 - t1) * 60))
    ai.stop()
    gi.terminate()

    g = env.guided("nmea:" + track("clean.nmea"), name="c01", speed=speed)
    g.wait_ready()
    a = Agent(env, exe, url, F, "c01", g.events_path, g.control,
              creds=os.path.join(certs, "c01.credentials"), ca=ca)
    wait_for(lambda: any(t.endswith("c01/state") and b"offline" not in pl
                         for t, pl, r in depot.take()), 30, "the agent's first state")
    c1, cpu2 = proxy.counts(), cpu_s(a.proc.pid)

    # 1. the tour at SPEED
    n0 = len(depot.take())
    g.ok("start")
    check(g.wait(3600 / speed * 2) == 0, "guided's tour ends")
    log = read_log(g.events_path)

    def all_in():
        got = received_events(depot.take(), F).get("c01", {})
        quiet = lambda cond, what: bool(cond)  # noqa: E731
        return compare_cart("c01", log, got, quiet)[2] == 0 and got
    got = wait_for(all_in, 120, "the tour's events at the depot", step=0.2)
    c3, cpu3 = proxy.counts(), cpu_s(a.proc.pid)
    compare_cart("c01", log, got, check)
    msgs = depot.take()[n0:]
    ev_msgs = [m for m in msgs if m[0].endswith("/events")]
    st_msgs = [m for m in msgs if m[0].endswith("/state")]
    times = [o["time"] for o in log if o.get("event") == "gps_fix"]
    from fleetlib import _ms
    drive_s = (_ms(times[-1]) - _ms(times[0])) / 1000.0
    tls_b, tcp_b = wire(delta(c1, c3))
    payload = sum(len(m[1]) + len(m[0]) for m in msgs)
    per_msg_overhead = (tls_b - payload) / max(1, len(msgs))
    out("fleet_tour_drive_s", "%.0f" % drive_s)
    out("fleet_tour_log_lines", len(log))
    out("fleet_tour_event_msgs", len(ev_msgs))
    out("fleet_tour_state_msgs", len(st_msgs))
    out("fleet_tour_payload_bytes", sum(len(m[1]) for m in ev_msgs))
    out("fleet_tour_tls_bytes", tls_b)
    out("fleet_tour_tcpip_bytes_est", tcp_b)
    out("fleet_msg_overhead_bytes", "%.0f" % per_msg_overhead)
    tour_cpu = cpu3 - cpu2
    out("fleet_tour_cpu_ms", "%.0f" % (tour_cpu * 1000))
    # per message, the idle loop's share of the sped-up tour's real time taken out
    busy = max(0.0, tour_cpu - idle_rate * (drive_s / speed))
    per_msg_cpu = busy / max(1, len(msgs))
    msgs_per_h = len(ev_msgs) / drive_s * 3600
    cpu_per_h = idle_rate * 3600 + per_msg_cpu * msgs_per_h
    out("fleet_cpu_s_per_hour_driving", "%.2f" % cpu_per_h)
    out("fleet_cpu_share_pct", "%.3f" % (cpu_per_h / 36.0))

    # the shift
    st_avg = (sum(len(m[1]) + len(m[0]) for m in st_msgs) / len(st_msgs)) if st_msgs else 200
    ev_avg = (sum(len(m[1]) + len(m[0]) for m in ev_msgs) / len(ev_msgs)) if ev_msgs else 300
    state_1x = drive_s / 10.0  # at most one per 10 s of real time
    extra_state = max(0.0, state_1x - len(st_msgs)) * (st_avg + per_msg_overhead + 2 * TCPIP * 2)
    tour_b = tls_b + tcp_b + extra_state
    # parked: what the idle window measured (fixes, state, status polls)
    parked = PARKED_MIN * 60 * idle_bytes / (t2 - t1)
    keepalive = 600 * (2 * (2 + 29) + 4 * TCPIP)  # PINGREQ + PINGRESP, each with its ACK
    shift = TOURS_PER_SHIFT * tour_b + parked + keepalive + RECONNECTS * hs
    out("fleet_tour_bytes_1x", "%.0f" % tour_b)
    out("fleet_shift_mb", "%.2f" % (shift / 1e6))
    check(shift <= 10e6, "a shift's traffic at the broker <= 10 MB (%.2f MB)" % (shift / 1e6))
    a.stop()

    # 3. an hour's backlog
    ev2 = env.path("c03.events.jsonl")
    for i in range(4):
        r = subprocess.run([env.guided_exe, "--route", ROUTE, "--gps",
                            "nmea:" + track("clean.nmea"), "--audio", "null", "--offline",
                            "--start", "--events", ev2, "--state", env.path("c03.state")],
                           capture_output=True, timeout=600)
        check(r.returncode == 0, "guided --offline, run %d" % (i + 1))
    log2 = read_log(ev2)
    out("fleet_backlog_lines", len(log2))
    out("fleet_backlog_drive_min", "%.0f" % (4 * drive_s / 60))
    t0 = time.monotonic()
    b = Agent(env, exe, broker.url(tls=True), F, "c03", ev2, env.path("none.sock"),
              creds=os.path.join(certs, "c03.credentials"), ca=ca)

    def all_in2():
        got = received_events(depot.take(), F).get("c03", {})
        quiet = lambda cond, what: bool(cond)  # noqa: E731
        return compare_cart("c03", log2, got, quiet)[2] == 0 and got
    got2 = wait_for(all_in2, 600, "the backlog at the depot", step=0.05)
    drain_s = time.monotonic() - t0
    drain_cpu = cpu_s(b.proc.pid)
    e2, k2, _ = compare_cart("c03", log2, got2, check)
    out("fleet_backlog_msgs", e2)
    out("fleet_drain_s", "%.2f" % drain_s)
    out("fleet_drain_cpu_s", "%.2f" % drain_cpu)
    b.stop()
    depot.close()
    print("\nper cart: %.2f MB at the broker per 10-h shift (30 tours + 90 min parked, TLS and "
          "estimated TCP/IP included); %.2f s of CPU per hour of driving (%.3f %% of a core); "
          "%d messages of a %d-min backlog drained in %.1f s (%.2f s CPU)"
          % (shift / 1e6, cpu_per_h, cpu_per_h / 36.0, e2, 4 * drive_s / 60, drain_s, drain_cpu))


main(body)
