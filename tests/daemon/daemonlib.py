"""Helpers for the daemon integration tests: start the real guided in a temp
dir, drive it through guidectl and signals, read its event log.

Every test script is called as  SCRIPT GUIDED GUIDECTL GUIDE_ROUTE  by meson.
Nothing here waits a fixed time: every wait polls a condition with a deadline.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SRC = os.environ.get("GUIDE_SOURCE_ROOT",
                     os.path.join(os.path.dirname(__file__), "..", ".."))
ROUTE_DIR = os.path.join(SRC, "routes", "798-751")
ROUTE = os.path.join(ROUTE_DIR, "route.yaml")

failures = []


def check(cond, what):
    """Record a failed expectation and go on (like CHECK in tests/test.h)."""
    if not cond:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr, flush=True)
    return cond


def finish():
    """Exit status of the test: 0 when every check held."""
    if failures:
        print("%d check(s) failed" % len(failures), file=sys.stderr)
        sys.exit(1)
    print("ok")
    sys.exit(0)


class Fatal(Exception):
    pass


def wait_for(pred, timeout, what, step=0.02):
    """Poll pred() until it returns a true value (returned) or fail."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise Fatal("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(step)


class Env:
    """Program paths and a private temp dir; kills what it started."""

    def __init__(self, argv):
        if len(argv) < 4:
            print("usage: %s GUIDED GUIDECTL GUIDE_ROUTE" % argv[0], file=sys.stderr)
            sys.exit(2)
        self.guided, self.guidectl, self.guide_route = [os.path.abspath(a) for a in argv[1:4]]
        self.dir = tempfile.mkdtemp(prefix="guide-daemon-test-")
        self.procs = []

    def path(self, name):
        return os.path.join(self.dir, name)

    def track(self, name, *args, route=ROUTE):
        """A synthetic NMEA drive of the route's tour; returns its path."""
        out = self.path(name)
        with open(out, "w") as f:
            subprocess.run([self.guide_route, "track", route] + [str(a) for a in args],
                           stdout=f, check=True, timeout=60)
        return out

    def route_copy(self, name="route.yaml"):
        """A copy of the shipped route beside a symlink to its clips."""
        dst = self.path(name)
        shutil.copy(ROUTE, dst)
        link = self.path("clips")
        if not os.path.exists(link):
            os.symlink(os.path.join(ROUTE_DIR, "clips"), link)
        return dst

    def spawn(self, argv, **kw):
        p = subprocess.Popen(argv, **kw)
        self.procs.append(p)
        return p

    def cleanup(self):
        for p in self.procs:
            if p.poll() is not None:
                continue
            # by PID: SIGTERM first (timeout passes it on to gpsfake and gpsd)
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
        if os.environ.get("KEEP_TEST_DIR"):
            print("kept " + self.dir, file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


class Daemon:
    """One guided process with its control socket, event log and stderr file."""

    def __init__(self, env, route, gps, *, name="d", speed=20, start=False, lang=None,
                 state=None, audio="null", events=None, extra=()):
        self.env = env
        self.control = env.path(name + ".sock")
        self.events = events or env.path(name + ".events.jsonl")
        self.stderr_path = env.path(name + ".stderr")
        argv = [env.guided, "--route", route, "--gps", gps, "--audio", audio,
                "--events", self.events, "--control", self.control]
        if gps.startswith(("nmea:", "gpx:")):
            argv += ["--speed", str(speed)]
        if start:
            argv.append("--start")
        if lang:
            argv += ["--lang", lang]
        if state:
            argv += ["--state", state]
        argv += list(extra)
        self.argv = argv
        self.err = open(self.stderr_path, "wb")
        self.proc = env.spawn(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=self.err)
        self.pid = self.proc.pid

    # -- control --
    def ctl(self, *args, timeout=30):
        """Run guidectl; returns (exit status, stdout, stderr)."""
        r = subprocess.run([self.env.guidectl, "--control", self.control] + list(args),
                           capture_output=True, text=True, timeout=timeout)
        return r.returncode, r.stdout, r.stderr

    def ok(self, *args):
        rc, out, err = self.ctl(*args)
        if rc != 0:
            raise Fatal("guidectl %s: exit %d: %s%s" % (" ".join(args), rc, out, err))
        return out

    def status(self):
        rc, out, err = self.ctl("status", "--json")
        if rc != 0:
            return None
        return json.loads(out)

    def wait_ready(self, timeout=30):
        def ready():
            if self.proc.poll() is not None:
                raise Fatal("guided exited with %d before it was ready:\n%s"
                            % (self.proc.returncode, self.stderr()))
            return os.path.exists(self.control) and self.status()
        return wait_for(ready, timeout, "the control socket", step=0.05)

    # -- output --
    def read_events(self):
        out = []
        try:
            with open(self.events) as f:
                for line in f:
                    if line.endswith("\n"):
                        out.append(json.loads(line))
        except FileNotFoundError:
            pass
        return out

    def wait_event(self, pred, timeout=60, what="an event", after=0):
        """Wait for an event (index >= after) matching pred; returns (index, event)."""
        def find():
            if self.proc.poll() is not None:
                raise Fatal("guided exited with %d while waiting for %s:\n%s"
                            % (self.proc.returncode, what, self.stderr()[-3000:]))
            evs = self.read_events()
            for i in range(after, len(evs)):
                if pred(evs[i]):
                    return (i, evs[i])
            return None
        return wait_for(find, timeout, what)

    def stderr(self):

        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    # -- life --
    def signal(self, sig):
        os.kill(self.pid, sig)

    def terminate(self, timeout=30):
        """SIGTERM and wait; returns the exit status."""
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.pid, signal.SIGKILL)
            self.proc.wait()
            raise Fatal("guided did not exit within %d s of SIGTERM" % timeout)
        finally:
            self.err.close()

    def kill9(self):
        os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.err.close()


def ev(name, **keys):
    """Predicate: event `name` with the given key values."""
    def pred(e):
        return e.get("event") == name and all(e.get(k) == v for k, v in keys.items())
    return pred


def sanitizer_clean(text):
    """True when a sanitizer reported nothing in this stderr."""
    return not any(s in text for s in ("LeakSanitizer", "AddressSanitizer", "runtime error"))


def main(body):
    """Run body(env), turning Fatal into a failure; always clean up."""
    env = Env(sys.argv)
    try:
        body(env)
    except Fatal as e:
        check(False, str(e))
    finally:
        env.cleanup()
    finish()
