"""The one library of the Python tests: checks, waits, and one launcher for
the processes a test starts (guided, gpsfake and its gpsd, a busy loop).

Every Python test is called by meson as

    SCRIPT GUIDED GUIDECTL GUIDE_ROUTE [ARGS...]

with this folder on PYTHONPATH (tests/meson.build sets it in test_env); by
hand:  PYTHONPATH=tests tests/sim/test-tour.py build/guide/guided
build/guide/guidectl build/guide/guide-route clean.  A test is a function
body(env) given to main(): main() parses the command line, gives the body an
Env (the programs, a private temp dir, the processes it started), turns a
Fatal into a failed check, always ends what the test started by PID, and
exits through finish(): 0 when every check held, 1 otherwise, 77 skipped.

Nothing here waits a fixed time and hopes: every wait polls a condition
until a deadline and fails the test (Fatal) when the deadline passes.
"""

import datetime
import fcntl
import json
import math
import os
import pwd
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

# the source tree: this file lives in its tests/ folder
ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
ROUTE_DIR = os.path.join(ROOT, "routes", "798-751")
ROUTE = os.path.join(ROUTE_DIR, "route.yaml")
TRACKS = os.path.join(ROUTE_DIR, "tracks")
# the shipped route's tour "loop", in the order the cart passes its stops
TOUR = ["gate", "space798", "ucca", "chimney", "locomotive", "carriages",
        "power_square", "tank79", "furnace", "sky_corridor", "workshops", "street_art"]


def track(name):
    """A shipped drive of routes/798-751/tracks/."""
    return os.path.join(TRACKS, name)


# ---- checks ----------------------------------------------------------------

_checks = 0
_failures = []


def check(cond, what):
    """Record one expectation; a failed one is printed and the test goes on
    (like CHECK in tests/test.h).  Returns whether it held."""
    global _checks
    _checks += 1
    if not cond:
        _failures.append(what)
        print("FAIL: " + what, file=sys.stderr, flush=True)
    return bool(cond)


def failed():
    """How many checks failed so far."""
    return len(_failures)


class Fatal(Exception):
    """The test cannot go on (a deadline passed, a process died): main()
    counts it as one failed check, cleans up and finishes."""


class Skip(Exception):
    """The test cannot run here (a program missing, not root): exit 77."""


def finish(name=None):
    """Exit: 0 when every check held, 1 otherwise; prints the count."""
    name = name or " ".join([os.path.basename(sys.argv[0])] + sys.argv[4:])
    print("%s: %d of %d checks passed" % (name, _checks - len(_failures), _checks), flush=True)
    sys.exit(1 if _failures else 0)


# ---- time ------------------------------------------------------------------

class Deadline:
    """A point in monotonic time by which `what` must have happened."""

    def __init__(self, seconds, what):
        self.seconds, self.what = seconds, what
        self.end = time.monotonic() + seconds

    def left(self):
        return max(0.0, self.end - time.monotonic())

    def expired(self):
        return time.monotonic() > self.end

    def check(self):
        if self.expired():
            raise Fatal("timed out after %g s waiting for %s" % (self.seconds, self.what))


def wait_for(pred, timeout, what, step=0.02):
    """Poll pred() every `step` seconds until it returns a true value (which
    is returned); Fatal once `timeout` seconds have passed.  pred may raise
    Fatal itself (a process it watches died)."""
    deadline = Deadline(timeout, what)
    while True:
        v = pred()
        if v:
            return v
        deadline.check()
        time.sleep(step)


def iso_time(text):
    """The datetime (UTC) of an event's "time"."""
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)


def event_time(e):
    return iso_time(e["time"])


def check_time_order(evs, what):
    """The event log's time never decreases (DESIGN.md; issue 11)."""
    back = [(a["time"], b["time"], b["event"]) for a, b in zip(evs, evs[1:])
            if event_time(b) < event_time(a)]
    return check(not back, f"{what}: event time goes back: {back[:3]}")


def secs_of_day(dt):
    return dt.hour * 3600 + dt.minute * 60 + dt.second + dt.microsecond / 1e6


def nmea_secs(line):
    """Seconds of the day of an RMC or GGA sentence, or None for others."""
    if not line.startswith(("$GPRMC,", "$GNRMC,", "$GPGGA,", "$GNGGA,")):
        return None
    t = line.split(",", 2)[1]
    if len(t) < 6:
        return None
    return int(t[0:2]) * 3600 + int(t[2:4]) * 60 + float(t[4:])


# ---- outputs ---------------------------------------------------------------

SANITIZER_MARKS = ("runtime error", "AddressSanitizer", "LeakSanitizer")


def sanitizer_clean(text):
    """True when no sanitizer reported anything in this stderr."""
    return not any(s in text for s in SANITIZER_MARKS)


def check_exit(rc, stderr, what, want=0):
    """The exit status is `want` and no sanitizer spoke."""
    check(rc == want, "%s: exit %s, want %d:\n%s" % (what, rc, want, stderr[-3000:]))
    check(sanitizer_clean(stderr), "%s: sanitizer report:\n%s" % (what, stderr[-5000:]))


def is_asan(path):
    """Whether a program was built with AddressSanitizer."""
    with open(path, "rb") as f:
        return b"__asan_init" in f.read()


def wav_info(path):
    """A WAV file's header: RIFF size, format tag, channels, rate, block
    align and data size in bytes (None for what is missing)."""
    info = {"riff": None, "tag": None, "channels": None, "rate": None, "block": None,
            "data": None}
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return info
        info["riff"] = int.from_bytes(head[4:8], "little")
        while True:
            hdr = f.read(8)
            if len(hdr) < 8:
                break
            cid, size = hdr[:4], int.from_bytes(hdr[4:], "little")
            if cid == b"fmt ":
                fmt = f.read(size)
                info["tag"] = int.from_bytes(fmt[0:2], "little")
                info["channels"] = int.from_bytes(fmt[2:4], "little")
                info["rate"] = int.from_bytes(fmt[4:8], "little")
                info["block"] = int.from_bytes(fmt[12:14], "little")
                if size & 1:
                    f.seek(1, 1)
            elif cid == b"data":
                info["data"] = size
                break
            else:
                f.seek(size + (size & 1), 1)
    return info


# ---- a private sound server ------------------------------------------------

class Pulse:
    """A private PulseAudio server in its own folder (tests/daemon: the
    speaker unplugged, the seats' channels).  modules: what it loads at
    start, as "module-name arg=value ..." strings.  As root it runs as the
    'pulse' user (or 'nobody'): pulseaudio refuses root unless --system,
    which would use the machine's own /run/pulse."""

    def __init__(self, env, modules):
        for exe in ("pulseaudio", "pactl", "parec"):
            if not shutil.which(exe):
                raise Skip("%s is not installed (Debian: pulseaudio, pulseaudio-utils)" % exe)
        self.env = env
        self.modules = modules
        self.dir = env.path("pulse")
        os.mkdir(self.dir)
        self.socket = os.path.join(self.dir, "native")
        self.user = None
        if os.geteuid() == 0:
            for name in ("pulse", "nobody"):
                try:
                    self.user = pwd.getpwnam(name)
                    break
                except KeyError:
                    pass
            if not self.user:
                raise Skip("running as root and no 'pulse' or 'nobody' user to run the server")
            os.chmod(env.dir, 0o711)  # the server's user reaches its folder
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)
        conf = env.path("client.conf")
        with open(conf, "w") as f:
            f.write("autospawn = no\n")  # a client never starts a server of its own
        # for guided, pactl and parec
        os.environ.update(PULSE_SERVER="unix:" + self.socket, PULSE_CLIENTCONFIG=conf,
                          SDL_AUDIODRIVER="pulseaudio")
        # the ASan build: SDL's pulseaudio driver leaks (see the file)
        supp = os.path.join(ROOT, "tests", "daemon", "lsan-pulse.supp")
        lsan = os.environ.get("LSAN_OPTIONS", "")
        os.environ["LSAN_OPTIONS"] = (lsan + ":" if lsan else "") + "suppressions=" + supp
        self.proc = None
        self.starts = 0

    def _drop(self):
        if self.user:
            os.setgroups([])
            os.setgid(self.user.pw_gid)
            os.setuid(self.user.pw_uid)

    def start(self):
        """Starts the server with its sinks loaded; returns once it answers."""
        self.starts += 1
        log = open(self.env.path("pulse-%d.log" % self.starts), "wb")
        argv = ["pulseaudio", "--daemonize=no", "-n", "--exit-idle-time=-1",
                "--use-pid-file=no", "--disable-shm=yes", "--log-target=stderr",
                "--load=module-native-protocol-unix auth-anonymous=1 socket=" + self.socket]
        argv += ["--load=" + m for m in self.modules]
        senv = dict(os.environ, HOME=self.dir, XDG_RUNTIME_DIR=self.dir,
                    XDG_CONFIG_HOME=self.dir, XDG_STATE_HOME=self.dir)
        for k in ("PULSE_SERVER", "PULSE_CLIENTCONFIG"):
            senv.pop(k, None)
        self.proc = self.env.spawn(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                   env=senv, preexec_fn=self._drop)
        log.close()

        def up():
            if self.proc.poll() is not None:
                raise Fatal("pulseaudio exited with %d:\n%s" % (
                    self.proc.returncode,
                    open(self.env.path("pulse-%d.log" % self.starts)).read()[-2000:]))
            return subprocess.run(["pactl", "info"], capture_output=True,
                                  timeout=10).returncode == 0
        wait_for(up, 30, "pulseaudio to answer", step=0.05)

    def crash(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def pactl(self, *args):
        r = subprocess.run(["pactl"] + list(args), capture_output=True, text=True, timeout=20)
        if r.returncode != 0:
            raise Fatal("pactl %s: %s" % (" ".join(args), r.stderr.strip()))
        return r.stdout.strip()

    def speaker_module(self):
        for line in self.pactl("list", "short", "modules").splitlines():
            f = line.split("\t")
            if len(f) > 2 and f[1] == "module-null-sink" and "sink_name=speaker" in f[2]:
                return f[0]
        return None


# ---- geometry (WGS-84, GeoJSON order: [lon, lat]) --------------------------

EARTH_RADIUS_M = 6371008.8  # the mean radius, GEO_EARTH_RADIUS_M of routes/geo.h


def distance_m(a, b):
    """Great-circle (haversine) distance in metres between [lon, lat] points."""
    (lon1, lat1), (lon2, lat2) = a, b
    k = math.pi / 180
    h = (math.sin((lat2 - lat1) * k / 2) ** 2
         + math.cos(lat1 * k) * math.cos(lat2 * k) * math.sin((lon2 - lon1) * k / 2) ** 2)
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def fence_distance_m(point, feature):
    """Metres from a [lon, lat] point to a stop's geofence, a feature of
    `guide-route export --geojson` (WGS-84 whatever the route's datum): 0
    inside.  A circle by its centre and radius (haversine); a polygon by its
    nearest edge, in a plane tangent at the point (exact to centimetres over
    the few hundred metres of a stop)."""
    p = feature["properties"]
    if p.get("fence") == "circle":
        return max(0.0, distance_m(point, p["center"]) - p["radius_m"])
    k = math.pi / 180
    lon0, lat0 = point
    ring = [((lon - lon0) * k * math.cos(lat0 * k) * EARTH_RADIUS_M,
             (lat - lat0) * k * EARTH_RADIUS_M)
            for lon, lat in feature["geometry"]["coordinates"][0]]
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        if (y1 > 0) != (y2 > 0) and 0 < x1 + (0 - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    if inside:
        return 0.0
    best = math.inf
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        dx, dy = x2 - x1, y2 - y1
        t = max(0.0, min(1.0, -(x1 * dx + y1 * dy) / (dx * dx + dy * dy)))
        best = min(best, math.hypot(x1 + t * dx, y1 + t * dy))
    return best


# ---- the launcher ----------------------------------------------------------

def free_port():
    """A TCP port nobody listens on now, chosen by the kernel: parallel runs
    (two builds, another checkout's CI) do not collide."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def recv_line(sock):
    """Bytes from a socket up to its first newline (without it), or to EOF."""
    buf = b""
    while b"\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf.split(b"\n", 1)[0]


def _proc_stat(pid):
    """(parent PID, command name, start time) of a process, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            text = f.read()
    except OSError:
        return None
    comm = text[text.index("(") + 1:text.rindex(")")]
    rest = text[text.rindex(")") + 2:].split()
    if rest[0] == "Z":  # a zombie has ended
        return None
    return int(rest[1]), comm, rest[19]


class Env:
    """The programs under test, a private temp dir, and every process the
    test started: each kept by PID and ended by PID in cleanup()."""

    def __init__(self, argv):
        if len(argv) < 4:
            print("usage: %s GUIDED GUIDECTL GUIDE_ROUTE [ARGS...]" % argv[0], file=sys.stderr)
            sys.exit(2)
        self.guided_exe, self.guidectl_exe, self.guide_route_exe = \
            [os.path.abspath(a) for a in argv[1:4]]
        self.args = argv[4:]
        self.dir = tempfile.mkdtemp(prefix="guide-test-%s-" % os.path.basename(argv[0]))
        self.procs = []   # Popen objects of our children
        self.others = []  # (pid, start time) of their children we must end too

    def path(self, name):
        return os.path.join(self.dir, name)

    # -- programs that run to their end --
    def guide_route(self, *args, timeout=120):
        """guide-route ARGS; returns the CompletedProcess (text)."""
        return subprocess.run([self.guide_route_exe] + [str(a) for a in args],
                              capture_output=True, text=True, errors="replace", timeout=timeout)

    def make_track(self, name, *args, route=ROUTE):
        """A synthetic NMEA drive (guide-route track ROUTE ARGS) in the temp
        dir; returns its path."""
        out = self.path(name)
        with open(out, "w") as f:
            subprocess.run([self.guide_route_exe, "track", route] + [str(a) for a in args],
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

    # -- processes that run beside the test --
    def spawn(self, argv, **kw):
        """Popen, kept for cleanup()."""
        p = subprocess.Popen(argv, **kw)
        self.procs.append(p)
        return p

    def guided(self, gps, **kw):
        """A guided process (see Guided)."""
        return Guided(self, gps, **kw)

    def busy_loop(self):
        """A process that keeps one CPU busy until cleanup() or stop()."""
        return self.spawn([sys.executable, "-c", "while True: pass"])

    def gpsfake(self, port, log, name="gpsfake"):
        """gpsfake serving the NMEA file `log` through a gpsd of its own on
        `port`; the gpsd's PID is kept beside gpsfake's, so that stop() and
        cleanup() end both."""
        out = open(self.path(name + ".log"), "wb")
        # 2 sentences an epoch: 0.05 s between them replays the drive at 10x
        # -t: gpsd reads gpsfake over TCP, not a pty it may not open once it
        # has dropped root (a fresh Debian chroot's devpts is mode 600)
        # TMPDIR: gpsfake's control socket goes to our temp dir
        p = self.spawn(["gpsfake", "-t", "-q", "-1", "-c", "0.05", "-P", str(port), log],
                       stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                       env=dict(os.environ, TMPDIR=self.dir))
        out.close()

        def gpsd_child():
            if p.poll() is not None:
                raise Fatal("gpsfake exited with %d before starting gpsd:\n%s"
                            % (p.returncode, open(self.path(name + ".log"), errors="replace")
                               .read()[-2000:]))
            for d in os.listdir("/proc"):
                if d.isdigit():
                    st = _proc_stat(int(d))
                    if st and st[0] == p.pid and st[1] == "gpsd":
                        return (int(d), st[2])
            return None
        p.gpsd = wait_for(gpsd_child, 20, "gpsfake's gpsd")
        self.others.append(p.gpsd)
        return p

    def _end_other(self, other, timeout=10):
        pid, start = other
        st = _proc_stat(pid)
        if st is None or st[2] != start:  # gone (or the PID is someone else's now)
            return
        os.kill(pid, signal.SIGTERM)
        try:
            wait_for(lambda: (_proc_stat(pid) or (0, 0, None))[2] != start, timeout,
                     "PID %d to exit" % pid)
        except Fatal:
            os.kill(pid, signal.SIGKILL)

    def stop(self, p, timeout=20):
        """End one process we started (and gpsfake's gpsd) by PID: SIGTERM,
        then SIGKILL after `timeout` s.  Returns its exit status."""
        if p.poll() is None:
            p.terminate()
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)
        if getattr(p, "gpsd", None):
            self._end_other(p.gpsd, timeout)
        return p.returncode

    def cleanup(self):
        for p in reversed(self.procs):
            self.stop(p, 10)
        for other in self.others:
            self._end_other(other)
        if os.environ.get("KEEP_TEST_DIR") or _failures:
            print("files kept in " + self.dir, file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


F_SETPIPE_SZ = 1031


def write_vehicle_config(path, cfg):
    """A vehicle configuration (guide/daemon/CONFIG.md) from a dict: values
    written as JSON, which is YAML."""
    with open(path, "w") as f:
        f.write("# written by tests/testlib.py\n")
        for k, v in cfg.items():
            if isinstance(v, dict):
                f.write("%s:\n" % k)
                for k2, v2 in v.items():
                    f.write("  %s: %s\n" % (k2, json.dumps(v2)))
            elif k == "speed":
                f.write("speed: %s\n" % float(v))
            else:
                f.write("%s: %s\n" % (k, json.dumps(v)))


def vehicle_config_argv(cfg):
    """The guided options that say what the configuration cfg says."""
    argv = []
    for k, opt in (("route", "--route"), ("gps", "--gps"), ("audio", "--audio"),
                   ("speed", "--speed"), ("state", "--state"), ("events", "--events")):
        if k in cfg:
            argv += [opt, str(cfg[k])]
    if "langs" in cfg:
        argv += ["--lang", ",".join(cfg["langs"])]
    if "control" in cfg:
        argv += ["--control", cfg["control"]["path"]]
    return argv


class Guided:
    """One guided process of an Env, with its control socket, its event log
    and its stdout and stderr in files of the temp dir.

    events="file": the log is a file, read as it grows (read_events,
    wait_event).  events="pipe": the log is a named pipe with a 4 KiB
    buffer that the test reads (pump): while the test does not read,
    guided blocks after a few KiB of events, which paces an offline run
    against the test (see tests/soak/soak.py).  events=None: no log.

    config=True (or a dict of more fields): route, gps, audio, speed, lang,
    state, control and events go into a vehicle configuration (self.config_path, see
    guide/daemon/CONFIG.md) and guided runs with `--config FILE` and only
    the run-mode flags (--offline, --start) and extra on its command line."""

    def __init__(self, env, gps, *, route=ROUTE, name="guided", audio="null", speed=None,
                 offline=False, start=False, lang=None, state=None, control=True,
                 events="file", extra=(), deadline=None, config=False):
        self.env = env
        self.name = name
        self.control = env.path(name + ".sock") if control else None
        self.state = state
        self.stderr_path = env.path(name + ".stderr")
        self.stdout_path = env.path(name + ".stdout")
        self.events = []    # every event read so far, in order
        self.eof = False    # pipe: guided closed it
        self._buf = b""
        self._pos = 0       # file: bytes read so far
        self.deadline = Deadline(deadline, "guided to finish") if deadline else None
        cfg = {"route": route, "gps": gps, "audio": audio}
        argv = [env.guided_exe]
        if offline:
            argv.append("--offline")
        if speed is not None:
            cfg["speed"] = speed
        if start:
            argv.append("--start")
        if lang:
            cfg["langs"] = lang.split(",")
        if state:
            cfg["state"] = state
        if self.control:
            cfg["control"] = {"path": self.control}
        self.fd = None
        self.events_path = None
        if events == "pipe":
            self.events_path = env.path(name + ".events")
            os.mkfifo(self.events_path)
            # our end first (non-blocking), so that guided's open does not wait
            self.fd = os.open(self.events_path, os.O_RDONLY | os.O_NONBLOCK)
            fcntl.fcntl(self.fd, F_SETPIPE_SZ, 4096)
        elif events:
            self.events_path = env.path(name + ".events.jsonl")
        if self.events_path:
            cfg["events"] = self.events_path
        self.config_path = None
        if config:
            for k, v in (config.items() if isinstance(config, dict) else ()):
                if isinstance(v, dict) and isinstance(cfg.get(k), dict):
                    cfg[k].update(v)
                else:
                    cfg[k] = v
            self.config_path = env.path(name + ".vehicle.yaml")
            write_vehicle_config(self.config_path, cfg)
            argv += ["--config", self.config_path]
        else:
            argv += vehicle_config_argv(cfg)
        argv += list(extra)
        self.argv = argv
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = env.spawn(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        self.pid = self.proc.pid

    # -- control --
    def ctl(self, *args, timeout=30, exe=None, preexec_fn=None):
        """Run guidectl on this guided's socket; returns (exit status,
        stdout, stderr)."""
        r = subprocess.run([exe or self.env.guidectl_exe, "--control", self.control]
                           + list(args), capture_output=True, text=True, timeout=timeout,
                           preexec_fn=preexec_fn)
        return r.returncode, r.stdout, r.stderr

    def ok(self, *args):
        """guidectl ARGS, which must succeed; returns its stdout."""
        rc, out, err = self.ctl(*args)
        if rc != 0:
            raise Fatal("guidectl %s: exit %d: %s%s" % (" ".join(args), rc, out, err))
        return out

    def status(self):
        """`guidectl status --json` as a dict, None when it fails."""
        rc, out, err = self.ctl("status", "--json")
        if rc != 0:
            return None
        return json.loads(out)

    def alive_or_fatal(self, what):
        if self.proc.poll() is not None:
            raise Fatal("guided exited with %d %s:\n%s"
                        % (self.proc.returncode, what, self.stderr()[-3000:]))

    def wait_ready(self, timeout=30):
        """Until the control socket answers; returns the first status."""
        def ready():
            self.alive_or_fatal("before it was ready")
            return os.path.exists(self.control) and self.status()
        return wait_for(ready, timeout, "the control socket", step=0.05)

    # -- the event log --
    def _take(self, data):
        self._buf += data
        *lines, self._buf = self._buf.split(b"\n")
        new = [json.loads(line) for line in lines if line]
        self.events += new
        return new

    def pump(self, timeout):
        """Pipe: read what the pipe holds, waiting up to `timeout` s for it;
        returns the new events.  Fatal past the run's deadline."""
        if self.eof:
            return []
        if self.deadline:
            self.deadline.check()
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return []
        chunk = os.read(self.fd, 4096)
        if not chunk:
            if self.proc.poll() is not None:
                self.eof = True
                os.close(self.fd)
            else:
                time.sleep(0.001)  # guided has not opened its end yet
            return []
        return self._take(chunk)

    def follow(self, step=0.05):
        """Pipe: yields every event in order as guided writes them, until it
        closes the log.  While the caller works on one event, the pipe is not
        read and guided is soon held (request() and ctl_paced() read on; what
        they read is yielded in its turn)."""
        pos = 0
        while not self.eof or pos < len(self.events):
            if pos == len(self.events):
                self.pump(step)
                continue
            pos += 1
            yield self.events[pos - 1]

    def read_events(self):
        """Every complete event line so far (a copy of self.events)."""
        if self.fd is not None:
            while not self.eof and self.pump(0):
                pass
        elif self.events_path:
            try:
                with open(self.events_path, "rb") as f:
                    f.seek(self._pos)
                    data = f.read()
            except FileNotFoundError:
                data = b""
            self._pos += len(data)
            self._take(data)
        return list(self.events)

    def wait_event(self, pred, timeout=60, what="an event", after=0):
        """Wait for an event (index >= after) matching pred; returns (index,
        event)."""
        def find():
            self.alive_or_fatal("while waiting for " + what)
            evs = self.read_events()
            for i in range(after, len(evs)):
                if pred(evs[i]):
                    return (i, evs[i])
            return None
        return wait_for(find, timeout, what)

    def request(self, line):
        """Pipe: sends one command over the control socket now, even while
        guided is blocked on the pipe, and drains the pipe until the reply
        comes.  Returns (reply, events read meanwhile)."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.control)
        s.sendall(line.encode() + b"\n")
        reply, got = b"", []
        while not reply.endswith(b"\n"):
            r, _, _ = select.select([s], [], [], 0)
            if r:
                data = s.recv(65536)
                check(data, "'%s': connection closed without a reply" % line)
                if not data:
                    break
                reply += data
            else:
                got += self.pump(0.01)
                check(not self.eof, "'%s': guided ended before answering" % line)
                if self.eof:
                    break
        s.close()
        return (json.loads(reply) if reply else None), got

    def ctl_paced(self, *args):
        """Pipe: runs guidectl; returns (rc, stdout + stderr, events read
        meanwhile).  The pipe is held (guided soon blocks) until guidectl has
        sent its line and waits in poll() for the answer, so that the command
        lands within the pipe's bound of now in virtual time, however slowly
        guidectl starts (ASan); then the pipe is drained until it exits."""
        p = subprocess.Popen([self.env.guidectl_exe, "--control", self.control, *args],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        give_up = Deadline(20, "guidectl to send its line")
        while p.poll() is None and not give_up.expired():
            try:
                with open("/proc/%d/wchan" % p.pid) as f:
                    if "poll" in f.read():
                        break
            except OSError:
                break
            time.sleep(0.002)
        got = []
        while p.poll() is None:
            got += self.pump(0.005)
        out, err = p.communicate()
        return p.returncode, out + err, got

    def rss_kib(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return -1

    def sample(self, what):
        """Live heap, open descriptors (from the status) and VmRSS, printed."""
        st, got = self.request("status")
        c = st["counters"]
        s = {"heap": c["heap_bytes"], "fds": c["open_fds"], "rss_kib": self.rss_kib()}
        print("%s: heap %d B, rss %d KiB, fds %d" % (what, s["heap"], s["rss_kib"], s["fds"]))
        return s, got

    # -- output --
    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stdout(self):
        with open(self.stdout_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def check_exit(self, rc, what, want=0):
        check_exit(rc, self.stderr(), what, want)

    # -- life --
    def signal(self, sig):
        os.kill(self.pid, sig)

    def wait(self, timeout):
        """Until guided exits by itself; returns the exit status."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Fatal("guided did not finish within %d s" % timeout)

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

    def kill9(self):
        os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


# ---- the fleet: a private MQTT broker, a subscriber, the agent ----------------

class Mosquitto:
    """A mosquitto broker of the test's own on a free loopback port, with
    its own config file and persistence folder (a graceful restart keeps the
    sessions and their queued messages).  extra: more config lines."""

    def __init__(self, env, name="mosquitto", extra=""):
        if not shutil.which("mosquitto"):
            raise Skip("mosquitto is not installed (Debian: mosquitto)")
        self.env, self.name = env, name
        self.port = free_port()
        self.dir = env.path(name)
        os.mkdir(self.dir)
        self.conf = env.path(name + ".conf")
        user = pwd.getpwuid(os.geteuid()).pw_name  # as root it would switch to 'mosquitto'
        with open(self.conf, "w") as f:
            f.write("user %s\nlistener %d 127.0.0.1\nallow_anonymous true\n"
                    "persistence true\npersistence_location %s/\n"
                    "max_queued_messages 100000\n%s" % (user, self.port, self.dir, extra))
        self.proc = None
        self.starts = 0
        self.url = "mqtt://127.0.0.1:%d" % self.port

    def start(self):
        self.starts += 1
        log = open(self.env.path("%s-%d.log" % (self.name, self.starts)), "wb")
        self.proc = self.env.spawn(["mosquitto", "-c", self.conf], stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=log)
        log.close()

        def up():
            if self.proc.poll() is not None:
                raise Fatal("mosquitto exited with %d:\n%s" % (self.proc.returncode, open(
                    self.env.path("%s-%d.log" % (self.name, self.starts))).read()[-2000:]))
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.port)) == 0
        wait_for(up, 20, "mosquitto to listen", step=0.05)

    def stop(self):
        """SIGTERM: mosquitto saves its persistence file and exits."""
        return self.env.stop(self.proc)


class MqttSub:
    """A paho client in a thread with a persistent session (it gets what was
    published for it while it or the broker was away), keeping every message
    it receives as (topic, payload text, retain)."""

    def __init__(self, broker, topic="guide/v1/#", client_id="test-sub"):
        try:
            import paho.mqtt.client as mqtt
        except ImportError:
            # a python3 of its own (pyenv) ahead of Debian's: Debian's package
            sys.path.append("/usr/lib/python3/dist-packages")
            try:
                import paho.mqtt.client as mqtt
            except ImportError:
                raise Skip("paho-mqtt is not installed (Debian: python3-paho-mqtt)")
        import threading
        self.lock = threading.Lock()
        self.msgs = []
        self.c = mqtt.Client(client_id=client_id, clean_session=False)
        self.c.reconnect_delay_set(min_delay=0.1, max_delay=0.5)
        self.c.on_connect = lambda c, u, f, rc: c.subscribe(topic, qos=1)
        self.c.on_message = self._on_message
        self.c.connect("127.0.0.1", broker.port, keepalive=30)
        self.c.loop_start()

    def _on_message(self, c, u, m):
        with self.lock:
            self.msgs.append((m.topic, m.payload.decode("utf-8", "replace"), bool(m.retain)))

    def publish(self, topic, payload, qos=1):
        self.c.publish(topic, payload, qos=qos).wait_for_publish(10)

    def messages(self, suffix=None):
        """(topic, payload, retain) so far; suffix: only topics ending so."""
        with self.lock:
            return [m for m in self.msgs if suffix is None or m[0].endswith(suffix)]

    def json(self, suffix):
        """The payloads (parsed) of the topics ending with suffix."""
        return [json.loads(p) for t, p, r in self.messages(suffix)]

    def wait(self, suffix, pred, timeout=30, what="a message"):
        """The first payload (parsed) on a topic ending with suffix matching pred."""
        def find():
            for e in self.json(suffix):
                if pred(e):
                    return e
            return None
        return wait_for(find, timeout, what)

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


def dedup_events(payloads):
    """The events topic's payloads de-duplicated as a depot does, by (cart,
    log, seq), first occurrence kept, in arrival order."""
    seen, out = set(), []
    for e in payloads:
        k = (e.get("cart"), e.get("log"), e.get("seq"))
        if k not in seen:
            seen.add(k)
            out.append(e)
    return out


def guide_fleet(env, exe, guided, broker, *, spool="spool", fleet="f1", cart="c1", extra=(),
                name="fleet", environ=None):
    """guide-fleet beside a Guided (its event log and control socket);
    stderr in NAME.stderr (appended: the test restarts it)."""
    routes = env.path("routes")
    os.makedirs(routes, exist_ok=True)
    argv = [exe, "--events", guided.events_path, "--control", guided.control,
            "--broker", broker.url if hasattr(broker, "url") else broker,
            "--fleet", fleet, "--cart", cart, "--spool", env.path(spool),
            "--routes", routes] + list(extra)
    with open(env.path(name + ".stderr"), "ab") as err:
        return env.spawn(argv, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                         env=dict(os.environ, **(environ or {})))


def ev(name, **keys):
    """Predicate: event `name` with the given key values."""
    def pred(e):
        return e.get("event") == name and all(e.get(k) == v for k, v in keys.items())
    return pred


def _sigterm(signum, frame):
    raise SystemExit(128 + signum)  # meson's timeout: clean up on the way out


def main(body):
    """Run body(env); a Fatal is a failed check, a Skip exits 77; whatever
    the test started is always ended; then finish()."""
    signal.signal(signal.SIGTERM, _sigterm)
    env = Env(sys.argv)
    skipped = None
    try:
        body(env)
    except Fatal as e:
        check(False, str(e))
    except Skip as e:
        skipped = str(e)
    finally:
        env.cleanup()
    if skipped is not None:
        print("skipped: " + skipped, file=sys.stderr)
        sys.exit(77)
    finish()
