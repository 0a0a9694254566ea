#!/usr/bin/env python3
"""Large routes (issue 12): `guide-route check` and guided's start-up on
synthetic city-wide routes of 1,000 and 10,000 stops (tests/bigroute.py:
one tour, every clip its own file), and the offline tour of the 1,000-stop
route.  Prints key=value lines (tests/bench/run reads them):

    check_<N>_s, check_<N>_rss_mb       check, best of 3 wall seconds; peak RSS
    check_<N>_cpu_s, startup_<N>_cpu_s  CPU seconds of that best run
    startup_<N>_s, startup_<N>_rss_mb   guided --offline on the drive's first
                                        fix (load, check, trigger set-up, one fix)
    tour_1000_speed, tour_1000_rss_mb   the whole 1,000-stop drive, x real time
    tour_1000_cpu_speed                 the same by CPU time (a busy machine)

usage: route-scale.py GUIDE_ROUTE GUIDED [N...]   (default N: 1000 10000)
"""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import bigroute  # noqa: E402  (tests/bigroute.py)


def timed(cmd):
    """Wall seconds, peak RSS in MB, the exit status and CPU seconds
    (/usr/bin/time: a forked child's own ru_maxrss would count this Python)."""
    fd, tfile = tempfile.mkstemp()
    os.close(fd)
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-o", tfile, "-f", "%U %S %M"] + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.monotonic() - t0
    with open(tfile) as f:
        words = f.read().split()
    os.unlink(tfile)
    rss = int(words[-1]) / 1024 if words and words[-1].isdigit() else 0
    cpu = float(words[-3]) + float(words[-2]) if len(words) >= 3 else 0
    return wall, rss, p.returncode, cpu


def best(cmd, runs=3):
    results = [timed(cmd) for _ in range(runs)]
    if any(r[2] != 0 for r in results):
        print(f"route-scale: {' '.join(cmd)} exited {results[0][2]}", file=sys.stderr)
        return None
    return min(results)


def nmea_seconds(lines):
    times = [line.split(",")[1] for line in lines if line.startswith("$GPRMC,")]
    secs = [int(t[0:2]) * 3600 + int(t[2:4]) * 60 + float(t[4:]) for t in times]
    return secs[-1] - secs[0] if secs else 0


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    guide_route, guided = sys.argv[1:3]
    sizes = [int(a) for a in sys.argv[3:]] or [1000, 10000]
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            route = bigroute.write(os.path.join(tmp, str(n)), n)
            r = best([guide_route, "check", route])
            if r:
                print(f"check_{n}_s={r[0]:.3f}\ncheck_{n}_cpu_s={r[3]:.3f}\n"
                      f"check_{n}_rss_mb={r[1]:.1f}", flush=True)
            track = subprocess.run([guide_route, "track", route, "--seed", "1"],
                                   stdout=subprocess.PIPE, text=True, check=True).stdout
            lines = track.splitlines()
            first = os.path.join(tmp, f"first{n}.nmea")
            with open(first, "w") as f:  # the first fix: RMC + GGA
                f.write("\n".join(lines[:2]) + "\n")
            r = best([guided, "--route", route, "--gps", "nmea:" + first, "--offline",
                      "--audio", "null", "--start"])
            if r:
                print(f"startup_{n}_s={r[0]:.3f}\nstartup_{n}_cpu_s={r[3]:.3f}\n"
                      f"startup_{n}_rss_mb={r[1]:.1f}", flush=True)
            if n == 1000:
                drive = os.path.join(tmp, "drive1000.nmea")
                with open(drive, "w") as f:
                    f.write(track)
                r = best([guided, "--route", route, "--gps", "nmea:" + drive, "--offline",
                          "--audio", "null", "--start"], runs=1)
                if r:
                    secs = nmea_seconds(lines)
                    print(f"tour_1000_speed={secs / r[0]:.0f}\n"
                          f"tour_1000_cpu_speed={secs / r[3]:.0f}\n"
                          f"tour_1000_min={secs / 60:.0f}\n"
                          f"tour_1000_rss_mb={r[1]:.1f}", flush=True)


if __name__ == "__main__":
    main()
