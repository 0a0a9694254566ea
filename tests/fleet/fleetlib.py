"""The fleet tests' own pieces, on top of tests/testlib.py: a private
mosquitto made from the shipped configuration (guide/fleet/broker/), the
depot's side as a test subscriber, and the agent guide-fleet beside a guided.

Broker: guide/fleet/broker/mosquitto.conf with its paths and ports
rewritten into the test's temp dir (free loopback ports), the shipped ACL
file as it is, and the CA, server certificate and accounts made by the
shipped make-certs.sh.  Its PID is kept by the Env; stop() and start()
restart it on the same ports with its persistence (durable sessions and
queued messages survive, as on a depot).
"""

import json
import os
import pwd
import socket
import subprocess
import sys
import threading

from testlib import ROOT, Fatal, Skip, free_port, wait_for

BROKER_DIR = os.path.join(ROOT, "guide", "fleet", "broker")

try:
    import paho.mqtt.client as mqtt
except ImportError:  # a Python of its own (pyenv) beside Debian's python3-paho-mqtt
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        import paho.mqtt.client as mqtt
    except ImportError:
        mqtt = None


def need(*programs):
    """Skip the test when a program or paho is missing."""
    import shutil
    for p in programs:
        if not shutil.which(p) and not os.path.exists("/usr/sbin/" + p):
            raise Skip(p + " not installed (setup.sh PACKAGES)")
    if mqtt is None:
        raise Skip("python3-paho-mqtt not installed")


def mosquitto_exe():
    import shutil
    return shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def make_certs(env, carts, dirname="certs"):
    """The shipped make-certs.sh into the temp dir: CA, server cert,
    passwd, CART.credentials and depot.credentials.  Returns the dir."""
    d = env.path(dirname)
    r = subprocess.run(["sh", os.path.join(BROKER_DIR, "make-certs.sh"), d] + list(carts),
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise Fatal("make-certs.sh: exit %d: %s" % (r.returncode, r.stderr))
    return d


def credentials(path):
    """(username, password) of a credentials file: one line USER:PASSWORD
    (guide-fleet --credentials)."""
    with open(path) as f:
        user, password = f.readline().rstrip("\n").split(":", 1)
    return user, password


class Broker:
    """A mosquitto of the test, from the shipped configuration."""

    def __init__(self, env, certs, name="broker"):
        self.env, self.certs, self.name = env, certs, name
        self.tls_port, self.port = free_port(), free_port()
        self.db = env.path(name + "-db")
        os.makedirs(self.db, exist_ok=True)
        self.conf = env.path(name + ".conf")
        self.log = env.path(name + ".log")
        self.proc = None
        self.starts = 0
        with open(os.path.join(BROKER_DIR, "mosquitto.conf")) as f:
            shipped = f.read()
        with open(self.conf, "w") as f:
            f.write(self.rewrite(shipped))

    def rewrite(self, text):
        """The shipped file, line for line, with our paths and ports; every
        line it expects must be there (a change to the shipped file that
        this does not follow fails the test rather than testing something
        else)."""
        certs = self.certs
        subst = {
            "password_file": "password_file " + os.path.join(certs, "passwd"),
            "acl_file": "acl_file " + os.path.join(BROKER_DIR, "acl"),
            "listener 8883": "listener %d 127.0.0.1" % self.tls_port,
            "listener 1883 127.0.0.1": "listener %d 127.0.0.1" % self.port,
            "cafile": "cafile " + os.path.join(certs, "ca.crt"),
            "certfile": "certfile " + os.path.join(certs, "server.crt"),
            "keyfile": "keyfile " + os.path.join(certs, "server.key"),
            "persistence_location": "persistence_location " + self.db + "/",
        }
        seen = set()
        out = []
        for line in text.splitlines():
            s = line.strip()
            for key, repl in subst.items():
                if s == key or s.startswith(key + " "):
                    if key.startswith("listener") and s != key:
                        continue
                    line = repl
                    seen.add(key)
                    break
            out.append(line)
        missing = set(subst) - seen
        if missing:
            raise Fatal("the shipped mosquitto.conf lacks: " + ", ".join(sorted(missing)))
        # as root, mosquitto drops to its own user, which may not read our
        # temp dir; as anyone else the line has no effect
        out.append("user " + pwd.getpwuid(os.getuid()).pw_name)
        return "\n".join(out) + "\n"

    def start(self, timeout=20):
        with open(self.log, "ab") as log:
            log.write(b"--- start %d\n" % (self.starts + 1))
            log.flush()
            self.proc = self.env.spawn([mosquitto_exe(), "-c", self.conf],
                                       stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        self.starts += 1

        def up():
            if self.proc.poll() is not None:
                raise Fatal("mosquitto exited with %d:\n%s" % (self.proc.returncode,
                                                               self.log_text()[-2000:]))
            for port in (self.port, self.tls_port):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                except OSError:
                    return False
            return True
        wait_for(up, timeout, "mosquitto to listen", step=0.05)
        return self

    def stop(self):
        """SIGTERM (mosquitto saves its persistence file) and wait."""
        rc = self.env.stop(self.proc, timeout=20)
        self.proc = None
        return rc

    def log_text(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def url(self, tls=False):
        return "%s://127.0.0.1:%d" % ("mqtts" if tls else "mqtt",
                                       self.tls_port if tls else self.port)


class Subscriber:
    """An MQTT client (paho, its own thread) that keeps every message it
    gets: the depot's side in a test.  Durable session (clean session off,
    a fixed client id) and QoS 1: what the broker accepted while it was
    away comes when it is back; it reconnects by itself."""

    def __init__(self, broker, username, password, topics, client_id="test-depot",
                 protocol=None, clean=False):
        self.messages = []   # (topic, payload bytes, retain)
        self.lock = threading.Lock()
        self.connects = 0
        proto = protocol or mqtt.MQTTv311
        self.c = mqtt.Client(client_id=client_id, clean_session=clean, protocol=proto)
        self.c.username_pw_set(username, password)
        self.c.reconnect_delay_set(min_delay=1, max_delay=1)
        self.topics = topics
        self.c.on_connect = self._on_connect
        self.c.on_message = self._on_message
        self.subscribed = threading.Event()
        self.c.on_subscribe = lambda c, u, mid, granted: self.subscribed.set()
        self.c.connect("127.0.0.1", broker.port, keepalive=10)
        self.c.loop_start()
        wait_for(self.subscribed.is_set, 20, "the subscriber's SUBACK")

    def _on_connect(self, c, userdata, flags, rc):
        if rc == 0:
            self.connects += 1
            c.subscribe([(t, 1) for t in self.topics])

    def _on_message(self, c, userdata, msg):
        with self.lock:
            self.messages.append((msg.topic, msg.payload, msg.retain))

    def take(self):
        with self.lock:
            return list(self.messages)

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


# ---- the agent beside a guided, and what the depot must get ----------------

def _fleet_h():
    """The agent's thinning constants, FLEET_FIX_* of guide/fleet/fleet.h."""
    import re
    vals = {}
    with open(os.path.join(ROOT, "guide", "fleet", "fleet.h")) as f:
        for m in re.finditer(r"#define (FLEET_FIX_\w+) ([0-9.]+)", f.read()):
            vals[m.group(1)] = float(m.group(2))
    return vals


_H = _fleet_h()
FIX_MIN_MS = _H["FLEET_FIX_MIN_MS"]        # one gps_fix per 5 s when moving ...
FIX_MIN_M = _H["FLEET_FIX_MIN_M"]          # ... or per 50 m moved ...
FIX_PARKED_M = _H["FLEET_FIX_PARKED_M"]    # ... (less is not moving) ...
FIX_PARKED_MS = _H["FLEET_FIX_PARKED_MS"]  # ... and one a minute when parked
EARTH_M = 6371008.8  # routes/geo.h GEO_EARTH_RADIUS_M


def fleet_exe(env):
    """guide-fleet: the test's first extra argument (tests/fleet/meson.build)."""
    if not env.args or not os.path.exists(env.args[0]):
        raise Skip("guide-fleet not built")
    return os.path.abspath(env.args[0])


class Agent:
    """guide-fleet for one cart: its spool and routes folders, its stdout and
    stderr in files of the temp dir."""

    def __init__(self, env, exe, broker_url, fleet, cart, events, control, *, creds=None,
                 ca=None, spool=None, extra=()):
        self.env, self.cart = env, cart
        self.spool = spool or env.path(cart + "-spool")
        self.routes = env.path(cart + "-routes")
        for d in (self.spool, self.routes):
            os.makedirs(d, exist_ok=True)
        self.argv = [exe, "--events", events, "--control", control, "--broker", broker_url,
                     "--fleet", fleet, "--cart", cart, "--spool", self.spool,
                     "--routes", self.routes]
        if creds:
            self.argv += ["--credentials", creds]
        if ca:
            self.argv += ["--ca", ca]
        self.argv += list(extra)
        self.stderr_path = env.path(cart + "-fleet.stderr")
        self.proc = None
        self.start()

    def start(self):
        with open(self.stderr_path, "ab") as err:
            self.proc = self.env.spawn(self.argv, stdin=subprocess.DEVNULL, stdout=err,
                                       stderr=err)
        return self

    def alive(self):
        return self.proc.poll() is None

    def kill9(self):
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self):
        return self.env.stop(self.proc)

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


def _ms(text):
    from testlib import iso_time
    return int(iso_time(text).timestamp() * 1000)


def _dist(a, b):
    import math
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp, dl = p2 - p1, math.radians(b[1] - a[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_M * math.asin(min(1.0, math.sqrt(h)))


def read_log(path):
    """Every line of an event log as (line's object, raw text)."""
    out = []
    with open(path, "rb") as f:
        for raw in f.read().split(b"\n"):
            if raw:
                out.append(json.loads(raw))
    return out


def received_events(messages, fleet):
    """{cart: {(log, seq): [object, ...]}} of the events messages (every copy)."""
    got = {}
    for topic, payload, retain in messages:
        parts = topic.split("/")
        if len(parts) != 5 or parts[:3] != ["guide", "v1", fleet] or parts[4] != "events":
            continue
        o = json.loads(payload)
        got.setdefault(parts[3], {}).setdefault((o.get("log"), o.get("seq")), []).append(o)
    return got


def compare_cart(cart, log_lines, got, check):
    """Checks one cart: every line of its log arrived (after de-duplication
    by (log, seq)) unless the agent's thinning leaves it out, no copy differs
    from the line, nothing arrived that the log lacks.  The thinning
    (guide/fleet/fleet.c keep_line): fix_rejected never; gps_fix the first,
    the first after gps_lost, then one when it is 50 m from the last one
    sent, or 5 s (event time) and 10 m from it, or a minute after it.  Judged against the fixes that did
    arrive, with 0.5 m of slack at the 50 m line (float rounding).  Returns
    (lines expected, copies received, missing count).  A message may say
    "skipped_before": N, the lines thinned since the one sent before it
    (absent when 0)."""
    log_id = next((o["log"] for o in log_lines if o.get("event") == "log_open"), None)
    by_seq = {o["seq"]: o for o in log_lines}
    missing, wrong, extra, thinning = [], [], [], []
    last_fix, fix_next, expected, thinned_run = None, True, 0, 0
    for o in log_lines:
        key = (log_id, o["seq"])
        copies = got.get(key, [])
        for c in copies:
            c2 = dict(c)
            c2.pop("skipped_before", None)  # the agent's count of thinned lines (below)
            ok = c2.pop("cart", None) == cart and c2.get("log") == log_id
            if "log" not in o:
                c2.pop("log", None)
            if not ok or c2 != o:
                wrong.append((o["seq"], c))
            elif c.get("skipped_before", 0) != thinned_run:
                wrong.append((o["seq"], "skipped_before %s, %d lines thinned before it"
                              % (c.get("skipped_before"), thinned_run)))
        if copies:
            thinned_run = 0
        else:
            thinned_run += 1
        ev = o.get("event")
        if ev == "fix_rejected":
            if copies:
                thinning.append("fix_rejected seq %d sent" % o["seq"])
            continue
        if ev == "gps_lost":
            fix_next = True
        if ev != "gps_fix":
            expected += 1
            if not copies:
                missing.append(o["seq"])
            continue
        t, pos = _ms(o["time"]), (o["lat"], o["lon"])
        if last_fix is None or fix_next:
            must, may = True, True
        else:
            dt, d = t - last_fix[0], _dist(last_fix[1], pos)

            def rule(slack):
                return (dt < 0 or d >= FIX_MIN_M + slack or dt >= FIX_PARKED_MS
                        or (dt >= FIX_MIN_MS and d >= FIX_PARKED_M + slack))
            must, may = rule(0.5), rule(-0.5)
        if copies:
            expected += 1
            if not may:
                thinning.append("gps_fix seq %d sent against the rule" % o["seq"])
            last_fix, fix_next = (t, pos), False
        elif must:
            expected += 1
            missing.append(o["seq"])
    for key, cs in got.items():
        if isinstance(key[0], str) and key[0].startswith("fleet-"):
            # the agent's own lines (guide/fleet/README.md): a dropped spool
            # is loss
            for c in cs:
                if c.get("event") == "fleet_spool_dropped":
                    wrong.append((key, c))
        elif key[0] != log_id or key[1] not in by_seq:
            extra.append(key)
    copies = sum(len(v) for v in got.values())
    check(not missing, "%s: %d of %d lines never arrived (seq %s)"
          % (cart, len(missing), expected, missing[:20]))
    check(not wrong, "%s: %d copies differ from the log's line: %s" % (cart, len(wrong), wrong[:3]))
    check(not extra, "%s: %d messages the log does not have: %s" % (cart, len(extra), extra[:5]))
    check(not thinning, "%s: thinning: %s" % (cart, thinning[:5]))
    return expected, copies, len(missing)
