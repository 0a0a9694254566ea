#!/usr/bin/env python3
"""guide-panel (issue 18) against a real guided: the real panel under a
private Xvfb, driven with xdotool like a driver's finger and keypad; the
daemon's event log proves what each button did.

    test_panel.py GUIDED GUIDECTL GUIDE_ROUTE GUIDE_PANEL CASE

CASE: buttons (clicks and keys, a guided restart, --screenshot), controls
(Talk, Language, Mark, Stop, Escape), retry (--screenshot without guided), layout
(--layout-json at the three screen sizes), glyphs (the font draws every
name of the shipped route; a Latin-only font does not)."""

import json
import os
import shutil
import struct
import subprocess
import sys
import zlib

from testlib import (ROUTE, Fatal, Skip, check, ev, main, track, wait_for)

PANEL = os.path.abspath(sys.argv[4])
CASE = sys.argv[5]
del sys.argv[4:6]


def layout(w, h):
    r = subprocess.run([PANEL, "--layout-json", "--window", "%dx%d" % (w, h)],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, "--layout-json exit 0: %s" % r.stderr)
    return json.loads(r.stdout)


def case_layout(env):
    for w, h in ((800, 480), (1024, 600), (1280, 800)):
        L = layout(w, h)
        bs = L["buttons"]
        check(sorted(b["name"] for b in bs) == sorted(
            ["start", "pause", "skip", "replay", "vol_down", "vol_up", "lang", "mark",
             "talk", "stop"]), "%dx%d: every button" % (w, h))
        for b in bs:
            check(b["w"] >= 80 and b["h"] >= 80, "%dx%d %s >= 80 px: %r" % (w, h, b["name"], b))
            check(b["x"] >= 0 and b["y"] >= 0 and b["x"] + b["w"] <= w and b["y"] + b["h"] <= h,
                  "%dx%d %s inside the window" % (w, h, b["name"]))
        for i, a in enumerate(bs):
            for b in bs[i + 1:]:
                apart = (a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"] or
                         a["y"] + a["h"] <= b["y"] or b["y"] + b["h"] <= a["y"])
                check(apart, "%dx%d: %s and %s do not overlap" % (w, h, a["name"], b["name"]))


def case_glyphs(env):
    r = subprocess.run([PANEL, "--check-font", ROUTE], capture_output=True, text=True,
                       timeout=60)
    print(r.stdout.strip())
    check(r.returncode == 0 and " 0 missing" in r.stdout,
          "the CJK font draws every name of the route: %s%s" % (r.stdout, r.stderr))
    latin = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    if os.path.exists(latin):  # the check can fail: a Latin-only font misses the Chinese
        r = subprocess.run([PANEL, "--check-font", ROUTE, "--font", latin],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 1 and "missing U+" in r.stdout,
              "DejaVu Sans lacks the Chinese names: %s" % r.stdout[-300:])


def read_png(path):
    """Our own PNGs: 8-bit RGB, filter 0 on every row."""
    with open(path, "rb") as f:
        data = f.read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "a PNG signature")
    pos, idat, w, h = 8, b"", 0, 0
    while pos < len(data):
        n, t = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if t == b"IHDR":
            w, h = struct.unpack(">II", body[:8])
        elif t == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    rows = [raw[y * (w * 3 + 1) + 1:(y + 1) * (w * 3 + 1)] for y in range(h)]
    return w, h, rows


def colours(rows, x0, y0, x1, y1):
    return {bytes(rows[y][x * 3:x * 3 + 3]) for y in range(y0, y1) for x in range(x0, x1)}


def panel_env(display):
    """The panel's environment: SDL's software renderer (what a board without
    GL gets; Mesa's GL driver would be loaded otherwise), and LeakSanitizer
    told about libdbus's blocks (tests/panel/lsan-panel.supp) for the ASan
    build."""
    supp = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lsan-panel.supp")
    lsan = os.environ.get("LSAN_OPTIONS", "")
    # ... and, under ASan, no leak report at exit: X11's and SDL's dlopen'ed
    # modules leave blocks whose stacks end in unloaded code ("<unknown
    # module>"), which no suppression can name.  ASan's memory-error checks
    # stay on; the panel's own frees were checked with leak reports on (a
    # queued line freed in panel_net_destroy came of it).
    asan = os.environ.get("ASAN_OPTIONS", "")
    return dict(os.environ, DISPLAY=display, SDL_RENDER_DRIVER="software",
                LSAN_OPTIONS=(lsan + ":" if lsan else "") + "suppressions=" + supp,
                ASAN_OPTIONS=(asan + ":" if asan else "") + "detect_leaks=0")


class Panel:
    def __init__(self, env, display, control, *args):
        self.log = env.path("panel.stderr")
        self.out = env.path("panel.stdout")
        with open(self.log, "wb") as err, open(self.out, "wb") as out:
            self.proc = env.spawn([PANEL, "--control", control, "--route", ROUTE] + list(args),
                                  stdout=out, stderr=err, env=panel_env(display))

    def text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def wait_log(self, what, count=1, timeout=30):
        def seen():
            if self.proc.poll() is not None:
                raise Fatal("guide-panel exited with %d:\n%s" % (self.proc.returncode,
                                                                 self.text()[-2000:]))
            return self.text().count(what) >= count
        wait_for(seen, timeout, "panel log '%s' x%d" % (what, count))


def case_buttons(env):
    for prog in ("Xvfb", "xdotool"):
        if not shutil.which(prog):
            raise Skip("no %s (apt-get install xvfb xdotool)" % prog)
    # a display of our own: Xvfb picks a free number and tells it on a pipe
    r, w = os.pipe()
    env.spawn(["Xvfb", "-displayfd", str(w), "-screen", "0", "1024x768x24", "-nolisten",
               "tcp"], pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    with os.fdopen(r) as f:
        display = ":" + f.readline().strip()
    check(display != ":", "Xvfb told its display")
    xenv = panel_env(display)

    def xdo(*args):
        subprocess.run(["xdotool"] + [str(a) for a in args], env=xenv, check=True, timeout=30)

    L = layout(800, 480)
    centre = {b["name"]: (b["x"] + b["w"] // 2, b["y"] + b["h"] // 2) for b in L["buttons"]}

    g = env.guided("nmea:" + track("clean.nmea"), speed=4)
    g.wait_ready()
    p = Panel(env, display, g.control, "--window", "800x480")
    p.wait_log("status: tour")
    r = subprocess.run(["xdotool", "search", "--sync", "--pid", str(p.proc.pid)], env=xenv,
                       capture_output=True, text=True, timeout=30)
    win = r.stdout.split()[0]
    n_cmd = [0]

    def click(name, at=None):
        x, y = at or centre[name]
        n_cmd[0] = p.text().count("command ")
        xdo("mousemove", "--window", win, x, y, "click", 1)

    def answered():
        p.wait_log("command ", n_cmd[0] + 1)

    # Start: the route has two tours, so the panel asks which
    click("start")
    p.wait_log("choose a tour")
    t0 = L["tours"][0]
    click(None, (t0["x"] + t0["w"] // 2, t0["y"] + t0["h"] // 2))
    answered()
    g.wait_event(ev("tour_start", tour="loop"), 30, "tour_start from the Start button")
    n = len(g.read_events())
    click("pause")
    g.wait_event(ev("tour_state", state="paused"), 30, "paused by the button", after=n)
    p.wait_log("command pause: ok")
    # the status push (or poll) says paused: the same button now resumes
    wait_for(lambda: (g.status() or {}).get("state") == "paused", 10, "state paused")
    p.wait_log("event tour_state")
    n = len(g.read_events())
    click("pause")
    g.wait_event(ev("tour_state", state="running"), 30, "resumed by the button", after=n)
    n = len(g.read_events())
    click("vol_down")
    g.wait_event(lambda e: e.get("event") == "volume" and abs(e.get("volume", -1) - 0.9) < 1e-6, 30,
                 "volume 90 by the button", after=n)
    n = len(g.read_events())
    click("skip")
    g.wait_event(lambda e: e.get("event") == "clip_skip", 30, "skip by the button", after=n)
    # keys: the window has the pointer, so the focus (no window manager)
    p.wait_log("volume 90")
    wait_for(lambda: (g.status() or {}).get("volume") == 90, 10, "volume 90")
    n = len(g.read_events())
    xdo("key", "--clearmodifiers", "plus")  # Shift+'=' : SDL sees '='
    g.wait_event(lambda e: e.get("event") == "volume" and abs(e.get("volume", -1) - 1.0) < 1e-6, 30,
                 "volume 100 by the + key", after=n)
    n = len(g.read_events())
    xdo("key", "space")
    g.wait_event(ev("tour_state", state="paused"), 30, "paused by the space key", after=n)
    # replay: answered by the daemon (done, or "nothing to replay" so early)
    click("replay")
    p.wait_log("command replay:")

    # --screenshot of the live screen, mid-tour
    shot = env.path("panel.png")
    r = subprocess.run([PANEL, "--control", g.control, "--route", ROUTE, "--screenshot", shot,
                        "--window", "800x480"], env=xenv, capture_output=True, text=True,
                       timeout=60)
    check(r.returncode == 0, "--screenshot exit 0: %s" % r.stderr)
    w, h, rows = read_png(shot)
    check((w, h) == (800, 480), "screenshot 800x480, not %dx%d" % (w, h))
    m = L["map"]
    check(len(colours(rows, m["x"], m["y"], m["x"] + m["w"], m["y"] + m["h"])) > 4,
          "the mini-map is drawn")
    check(len(colours(rows, 0, 0, 400, 40)) > 8, "the header's text is drawn")
    if os.environ.get("PANEL_SCREENSHOT"):
        shutil.copy(shot, os.environ["PANEL_SCREENSHOT"])

    # guided goes away: the retry screen; back: the panel reconnects by itself
    g.terminate()
    p.wait_log("guide not running, retrying")
    g2 = env.guided("nmea:" + track("clean.nmea"), speed=4)  # the same socket path
    g2.wait_ready()
    p.wait_log("connected to", 2)
    p.wait_log("status: tour", 2)


def start_xvfb(env):
    for prog in ("Xvfb", "xdotool"):
        if not shutil.which(prog):
            raise Skip("no %s (apt-get install xvfb xdotool)" % prog)
    r, w = os.pipe()
    env.spawn(["Xvfb", "-displayfd", str(w), "-screen", "0", "1024x768x24", "-nolisten",
               "tcp"], pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    with os.fdopen(r) as f:
        return ":" + f.readline().strip()


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")


def case_bench(env):
    """Benchmark: the panel at 800x480 on SDL's software renderer during a
    tour at real time (CPU, event line -> frame presented), and idle."""
    display = start_xvfb(env)
    secs = float(os.environ.get("PANEL_BENCH_SECONDS", "30"))
    g = env.guided("nmea:" + track("clean.nmea"))
    g.wait_ready()
    p = Panel(env, display, g.control, "--window", "800x480", "--renderer", "software",
              "--bench")
    p.wait_log("status: tour")
    import time
    c0, t0 = cpu_s(p.proc.pid), time.monotonic()
    wait_for(lambda: time.monotonic() - t0 > min(secs, 10), secs + 5, "idle period", step=0.5)
    idle = (cpu_s(p.proc.pid) - c0) / (time.monotonic() - t0)
    g.ok("start", "loop")
    c0, t0 = cpu_s(p.proc.pid), time.monotonic()
    wait_for(lambda: time.monotonic() - t0 > secs, secs + 5, "tour period", step=0.5)
    tour = (cpu_s(p.proc.pid) - c0) / (time.monotonic() - t0)
    with open(p.out) as f:
        lat = sorted(int(line.split()[2]) for line in f if line.startswith("bench "))
    check(len(lat) > 10, "latencies measured (%d)" % len(lat))
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] / 1000.0 if lat else -1
    print("panel_cpu_idle_pct %.2f" % (idle * 100))
    print("panel_cpu_tour_pct %.2f" % (tour * 100))
    print("panel_event_to_frame_p50_ms %.2f" % (lat[len(lat) // 2] / 1000.0 if lat else -1))
    print("panel_event_to_frame_p99_ms %.2f (%d lines)" % (p99, len(lat)))
    check(0 <= p99 <= 100, "event -> frame p99 %.1f ms <= 100 ms" % p99)


def case_controls(env):
    """The buttons and keys case_buttons does not press: Talk held (button
    and t key), Language (button and l), Mark (button and m), Stop (twice
    within 3 s: one press stops nothing), Escape twice within 2 s."""
    display = start_xvfb(env)
    xenv = panel_env(display)

    def xdo(*args):
        subprocess.run(["xdotool"] + [str(a) for a in args], env=xenv, check=True, timeout=30)

    L = layout(800, 480)
    centre = {b["name"]: (b["x"] + b["w"] // 2, b["y"] + b["h"] // 2) for b in L["buttons"]}
    g = env.guided("nmea:" + track("clean.nmea"), lang="zh,en", start=True)
    g.wait_ready()
    g.wait_event(ev("tour_start"), 30, "the tour started by --start")
    p = Panel(env, display, g.control, "--window", "800x480")
    p.wait_log("status: tour")
    r = subprocess.run(["xdotool", "search", "--sync", "--pid", str(p.proc.pid)], env=xenv,
                       capture_output=True, text=True, timeout=30)
    win = r.stdout.split()[0]

    def at(name):
        x, y = centre[name]
        xdo("mousemove", "--window", win, x, y)

    def click(name):
        at(name)
        xdo("click", 1)

    def talk(on):
        return lambda e: e.get("event") == "talk" and e.get("on") is on

    # Talk: on while the button is held, off when let go
    n = len(g.read_events())
    at("talk")
    xdo("mousedown", 1)
    g.wait_event(talk(True), 30, "talk on while the Talk button is held", after=n)
    p.wait_log("command talk on: ok")
    check(not any(talk(False)(e) for e in g.read_events()[n:]), "no talk off while held")
    n = len(g.read_events())
    xdo("mouseup", 1)
    g.wait_event(talk(False), 30, "talk off when the Talk button is let go", after=n)
    # ... and the t key: on while down, off on key up
    n = len(g.read_events())
    xdo("keydown", "t")
    g.wait_event(talk(True), 30, "talk on while t is down", after=n)
    p.wait_log("command talk on: ok", 2)
    n = len(g.read_events())
    xdo("keyup", "t")
    g.wait_event(talk(False), 30, "talk off on t's key up", after=n)

    # Language: the next language leads (zh,en -> en,zh), and l back
    wait_for(lambda: (g.status() or {}).get("langs") == ["zh", "en"], 10, "langs zh,en")
    n = len(g.read_events())
    click("lang")
    g.wait_event(lambda e: e.get("event") == "lang" and e.get("lang") == ["en", "zh"], 30,
                 "lang en,zh by the Language button", after=n)
    p.wait_log('langs ["en","zh"]')  # the panel's status has the new order
    n = len(g.read_events())
    xdo("key", "l")
    g.wait_event(lambda e: e.get("event") == "lang" and e.get("lang") == ["zh", "en"], 30,
                 "lang zh,en by the l key", after=n)

    # Mark: the button and the m key each mark where the cart is
    def mark(e):
        return e.get("event") == "mark" and "lat" in e and "lon" in e
    n = len(g.read_events())
    click("mark")
    g.wait_event(mark, 30, "a mark by the Mark button", after=n)
    n = len(g.read_events())
    xdo("key", "m")
    g.wait_event(mark, 30, "a mark by the m key", after=n)

    def ended(e):
        return e.get("event") == "tour_end"

    # Stop: one press only arms it (a mark pressed after it comes through,
    # the tour goes on); the second within 3 s stops the tour
    n = len(g.read_events())
    click("stop")
    p.wait_log("stop: press again to confirm")
    xdo("key", "m")
    g.wait_event(mark, 30, "a mark after one Stop press", after=n)
    check(not any(ended(e) for e in g.read_events()[n:]), "one Stop press: no tour_end")
    check((g.status() or {}).get("state") == "running", "one Stop press: still running")
    click("stop")
    g.wait_event(lambda e: ended(e) and e.get("reason") == "stopped", 30,
                 "tour_end stopped by the second Stop press", after=n)

    # Escape: once arms, twice within 2 s stops
    g.ok("start", "loop")
    g.wait_event(ev("tour_start", tour="loop"), 30, "the tour again", after=n)
    wait_for(lambda: (g.status() or {}).get("state") == "running", 10, "running again")
    p.wait_log("event tour_start")
    n = len(g.read_events())
    xdo("key", "Escape")
    p.wait_log("Escape again within 2 s stops the tour")
    xdo("key", "m")
    g.wait_event(mark, 30, "a mark after one Escape", after=n)
    check(not any(ended(e) for e in g.read_events()[n:]), "one Escape: no tour_end")
    xdo("key", "Escape")
    g.wait_event(lambda e: ended(e) and e.get("reason") == "stopped", 30,
                 "tour_end stopped by Escape twice", after=n)


def case_retry(env):
    """--screenshot without a guide: after 2 s of "not running" it saves the
    retry screen and exits 0 (a picture of what the driver sees)."""
    display = start_xvfb(env)
    shot = env.path("retry.png")
    import time
    t0 = time.monotonic()
    r = subprocess.run([PANEL, "--control", env.path("nobody.sock"), "--route", ROUTE,
                        "--screenshot", shot, "--window", "800x480", "--lang", "en"],
                       env=panel_env(display), capture_output=True, text=True,
                       timeout=60)
    took = time.monotonic() - t0
    check(r.returncode == 0, "--screenshot without a guide: exit 0, not %d: %s"
          % (r.returncode, r.stderr[-500:]))
    check("guide not running, retrying" in r.stderr, "it says so: %s" % r.stderr[-500:])
    check("wrote %s (guide not running)" % shot in r.stderr, "the retry screen saved")
    check(2 <= took < 20, "after 2 s without the guide, not 30: %.1f s" % took)
    w, h, rows = read_png(shot)
    check((w, h) == (800, 480), "screenshot 800x480, not %dx%d" % (w, h))
    check(len(colours(rows, 0, 0, w, h)) > 4, "the retry screen has text")
    if os.environ.get("PANEL_SCREENSHOT"):
        shutil.copy(shot, os.environ["PANEL_SCREENSHOT"])


def body(env):
    {"layout": case_layout, "glyphs": case_glyphs, "buttons": case_buttons,
     "controls": case_controls, "retry": case_retry, "bench": case_bench}[CASE](env)


main(body)
