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
    """(username, password) of a credentials file."""
    kv = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                kv[k.strip()] = v.strip()
    return kv["username"], kv["password"]


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
