"""guided under test, held by its event log (a named pipe) -- see soak.py."""
import datetime
import fcntl
import json
import os
import select
import socket
import subprocess
import sys
import time

F_SETPIPE_SZ = 1031
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what, file=sys.stderr)


def is_asan(path):
    with open(path, "rb") as f:
        return b"__asan_init" in f.read()


# ---- guided, held by its event pipe ----------------------------------------

class Guided:
    def __init__(self, guided, guidectl, route, tmp, nmea, extra=("--start",), deadline=1500):
        self.guidectl_exe = guidectl
        self.control = os.path.join(tmp, "control")
        self.state = os.path.join(tmp, "state")
        fifo = os.path.join(tmp, "events")
        os.mkfifo(fifo)
        # open our end first (non-blocking), so guided's open does not wait
        self.fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        fcntl.fcntl(self.fd, F_SETPIPE_SZ, 4096)
        self.err = open(os.path.join(tmp, "stderr"), "w+")
        self.proc = subprocess.Popen(
            [guided, "--route", route, "--gps", "nmea:" + nmea, "--offline", "--audio", "null",
             "--events", fifo, "--control", self.control, "--state", self.state, *extra],
            stdout=subprocess.PIPE, stderr=self.err, text=True)
        self.buf = b""
        self.events = []
        self.eof = False
        self.deadline = time.monotonic() + deadline

    def read_events(self, timeout):
        """Reads what the pipe holds (waiting up to timeout); returns new events."""
        if self.eof:
            return []
        check(time.monotonic() < self.deadline, "the soak took too long")
        if time.monotonic() > self.deadline:
            raise SystemExit(1)
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return []
        chunk = os.read(self.fd, 4096)
        if not chunk:
            if self.proc.poll() is not None:
                self.eof = True
            else:
                time.sleep(0.001)  # no writer yet
            return []
        self.buf += chunk
        *lines, self.buf = self.buf.split(b"\n")
        new = [json.loads(line) for line in lines if line]
        self.events += new
        return new

    def request(self, line):
        """Sends one command over the control socket now, even while guided
        is blocked on the pipe, and drains the pipe until the reply comes.
        Returns (reply, events read meanwhile)."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.control)
        s.sendall(line.encode() + b"\n")
        reply, got = b"", []
        while not reply.endswith(b"\n"):
            r, _, _ = select.select([s], [], [], 0)
            if r:
                data = s.recv(65536)
                check(data, f"'{line}': connection closed without a reply")
                if not data:
                    break
                reply += data
            else:
                got += self.read_events(0.01)
                check(not self.eof, f"'{line}': guided ended before answering")
                if self.eof:
                    break
        s.close()
        return (json.loads(reply) if reply else None), got

    def guidectl(self, *args):
        """Runs guidectl; returns (rc, stdout, events read meanwhile).
        The pipe is held (guided soon blocks) until guidectl has sent its
        line and waits in poll() for the answer, so that the command lands
        within the pipe's bound of now in virtual time, however slowly
        guidectl starts (ASan); then the pipe is drained until it exits."""
        p = subprocess.Popen([self.guidectl_exe, "--control", self.control, *args],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        give_up = time.monotonic() + 20
        while p.poll() is None and time.monotonic() < give_up:
            try:
                with open(f"/proc/{p.pid}/wchan") as f:
                    if "poll" in f.read():
                        break
            except OSError:
                break
            time.sleep(0.002)
        got = []
        while p.poll() is None:
            got += self.read_events(0.005)
        out, err = p.communicate()
        return p.returncode, out + err, got

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return -1

    def sample(self, what):
        st, got = self.request("status")
        c = st["counters"]
        s = {"heap": c["heap_bytes"], "fds": c["open_fds"], "rss_kib": self.rss_kib()}
        print(f"{what}: heap {s['heap']} B, rss {s['rss_kib']} KiB, fds {s['fds']}")
        return s, got


def when(e):
    return datetime.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)


