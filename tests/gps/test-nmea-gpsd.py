#!/usr/bin/env python3
"""Our NMEA parser against gpsd on the 88 real receiver logs (issue 14).

tests/gps/data/gpsd-chk/*.chk are gpsd's regression outputs for the logs of
tests/data/gpsd-nmea/ (test/daemon/*.log.chk of gpsd's repository, BSD-2,
COPYING beside them): each sentence of the log followed by the TPV reports
gpsd made of it.  nmea-gpsd-dump replays each log through our nmea: source
and the fix filter (as the daemon does) and prints our fixes.

An epoch is a time of day.  gpsd's epoch is the time of its TPV, or for a TPV
without a time (gpsd had no date yet) the time of the last sentence before
it; its positions are those of all its TPVs of that epoch.  Ours is the time
of our fix.  Times written at different resolutions (Magellan's GLL in ms,
RMC in cs) are one epoch within 5 ms, as in hal/nmea.h.

Every epoch where gpsd reports a fix (mode >= 2) from sentences that are
not void (some RMC/GLL 'A' or GGA quality > 0 with that time) must be
 - ours too, one fix (no split epoch), within 1 m of one of gpsd's
   positions of that epoch, and the filter's decision on it is a rule of
   guide/fix_filter.h other than "time" (that one would mean an epoch split
   or a clock step not recovered), or
 - one of DOCUMENTED below, for the rule named there.
Our fixes that gpsd does not report must be at an edge: among the first two
of a log (gpsd learns which sentence starts a cycle first), the last of a
log or of a segment before a clock step or a gap of more than 10 s (gpsd
reports an epoch when the next begins), or in OURS_ONLY below.

Usage (meson): test-nmea-gpsd.py GUIDED GUIDECTL GUIDE_ROUTE NMEA_GPSD_DUMP
"""

import bisect
import collections
import json
import math
import os
import re
import subprocess

from testlib import ROOT, check, main

LOGS = os.path.join(ROOT, "tests", "data", "gpsd-nmea")
CHK = os.path.join(ROOT, "tests", "gps", "data", "gpsd-chk")

# (log, epoch hh:mm:ss[.sss]) -> the documented rule that makes us differ
DOCUMENTED = {
    # hal/nmea.h "Void": an RMC/GLL 'V' voids the epoch; these are Garmin
    # units in simulator mode (RMC 'V' mode 'S', GGA quality 8), which gpsd
    # reports as fixes.  A simulated position must not drive a tour.
    ("GPSmap-76S.log", "12:51:06"): "void",
    ("garmin-geko201.log", "21:43:50"): "void",
    # hal/nmea.h (reader): sentences without a checksum are skipped; this
    # receiver sends none, gpsd takes them.
    ("hp58534a.log", "22:24:49"): "no_checksum",
    ("hp58534a.log", "22:24:50"): "no_checksum",
    # hal/nmea.h "Position": RMC wins over a GGA of the same time that
    # disagrees; gpsd's last word there is the GGA's (2.8 m and 8.1 m away).
    ("bundg_zeus_9.log", "09:48:34"): "rmc_wins",
    ("ch-4701.log", "12:34:59"): "rmc_wins",
    # hal/gps.h HAL_GPS_STEP_BACK_MS: the receiver's clock steps back 0.3 s
    # (105153.71 then 105153.408); a step that small is left to the filter,
    # which rejects the one fix as "time".
    ("telit-he910.log", "10:51:53.408"): "small_step_back",
}

# (log, epoch) -> rule: fixes we keep and gpsd does not, besides the edges
OURS_ONLY = {
    # hal/nmea.h: a GGA with fewer than 3 satellites gives no position but
    # does not void a valid RMC of the same second; gpsd ends on the GGA
    # and reports no fix.  (garmin25lp: GSA says 2D on 3 satellites.)
    ("garmin25lp.log", "12:03:26"): "gga_few_sats",
    ("haicom-305N.log", "09:53:04.802"): "gga_few_sats",
    # gpsd reports an epoch at the sentence it learned ends a cycle (GLL
    # here); when the receiver drops that one, gpsd skips the epoch.
    ("gp-320fw-2019-03-28.log", "16:45:19.990"): "gpsd_cycle",
    ("gp-320fw-2019-04-06-overflow.log", "23:57:26.020"): "gpsd_cycle",
}

TIME_FIELD = {"RMC": 1, "GGA": 1, "GLL": 5, "ZDA": 1, "GNS": 1, "GST": 1, "GBS": 1}


def tod_ms(hhmmss):
    m = re.match(r"^(\d\d)(\d\d)(\d\d(?:\.\d*)?)$", hhmmss)
    if not m:
        return None
    return round(((int(m[1]) * 60 + int(m[2])) * 60 + float(m[3] or 0)) * 1000)


def iso_tod_ms(iso):
    m = re.search(r"T(\d\d):(\d\d):(\d\d(?:\.\d+)?)Z", iso)
    return round(((int(m[1]) * 60 + int(m[2])) * 60 + float(m[3])) * 1000)


def fmt_tod(ms):
    s = "%02d:%02d:%02d" % (ms // 3600000, ms // 60000 % 60, ms // 1000 % 60)
    return s + (".%03d" % (ms % 1000) if ms % 1000 else "")


def fields(line):
    return line.split("*")[0].split(",")


def sentence_time(f):
    i = TIME_FIELD.get(f[0][3:6])
    return tod_ms(f[i]) if i is not None and len(f) > i else None


def vouches(f):
    """The sentence says it has a fix (not void)."""
    t = f[0][3:6]
    if t == "RMC":
        return len(f) > 3 and f[2] == "A" and f[3] != ""
    if t == "GGA":
        return len(f) > 6 and f[2] != "" and f[6] not in ("", "0")
    if t == "GLL":
        return len(f) > 1 and f[1] != "" and (len(f) < 7 or f[6] in ("A", ""))
    return False


def read_chk(path):
    """gpsd's epochs with a fix: {tod: [(lat, lon), ...]}, and the set of
    times some sentence vouches for."""
    epochs = collections.OrderedDict()
    valid = set()
    last = None
    with open(path, errors="replace") as fh:
        for line in fh:
            line = line.rstrip("\r\n")
            if line[:1] in ("$", "!"):
                f = fields(line)
                t = sentence_time(f)
                if t is not None:
                    last = t
                if vouches(f):
                    valid.add(t if t is not None else last)
            elif line.startswith("{"):
                try:
                    o = json.loads(line)
                except ValueError:
                    continue
                if o.get("class") != "TPV" or o.get("mode", 0) < 2 or "lat" not in o:
                    continue
                k = iso_tod_ms(o["time"]) if "time" in o else last
                epochs.setdefault(k, []).append((o["lat"], o["lon"]))
    return epochs, valid


def distance_m(a, b):
    r = 6371008.8
    x = math.radians(b[1] - a[1]) * math.cos(math.radians((a[0] + b[0]) / 2))
    y = math.radians(b[0] - a[0])
    return r * math.hypot(x, y)


def near(keys, t, tol=5):
    """The key of keys (sorted) within tol ms of t, or None."""
    i = bisect.bisect_left(keys, t - tol)
    return keys[i] if i < len(keys) and keys[i] <= t + tol else None


def body(env):
    dump = env.args[0]
    logs = sorted(n for n in os.listdir(LOGS) if n.endswith(".log"))
    check(len(logs) == 88, "88 logs (%d)" % len(logs))
    out = subprocess.run([dump] + [os.path.join(LOGS, n) for n in logs], capture_output=True,
                         text=True, timeout=60)
    check(out.returncode == 0, "nmea-gpsd-dump: %s" % out.stderr.strip())
    ours = collections.defaultdict(list)
    for line in out.stdout.splitlines():
        e = json.loads(line)
        ours[e["log"]].append(e)

    fig = collections.Counter()
    reasons = collections.Counter()
    seen_documented = set()
    max_d = 0.0
    for log in logs:
        chk = os.path.join(CHK, log + ".chk")
        if not check(os.path.exists(chk), "gpsd's output for " + log):
            continue
        epochs, valid = read_chk(chk)
        evs = ours[log]
        fixes = collections.defaultdict(list)  # tod -> our fixes
        for i, e in enumerate(evs):
            if e["ev"] == "fix":
                check(e["t"] is not None, "%s: our fixes have a time" % log)
                if e["t"] is not None:
                    fixes[e["t"] % 86400000].append((i, e))
        keys = sorted(fixes)
        matched = set()
        for t, positions in epochs.items():
            fig["gpsd_epochs"] += 1
            if t not in valid:
                fig["gpsd_void"] += 1
                continue
            fig["gpsd_valid"] += 1
            k = near(keys, t)
            doc = DOCUMENTED.get((log, fmt_tod(t)))
            if doc:
                seen_documented.add((log, fmt_tod(t)))
                fig["documented_" + doc] += 1
                if k is not None:
                    matched.add(k)
                continue
            if not check(k is not None, "%s %s: gpsd's fix is ours too" % (log, fmt_tod(t))):
                continue
            matched.add(k)
            mine = fixes[k]
            check(len(mine) == 1, "%s %s: one fix, not %d (split epoch)"
                  % (log, fmt_tod(t), len(mine)))
            e = mine[0][1]
            d = min(distance_m((e["lat"], e["lon"]), p) for p in positions)
            max_d = max(max_d, d)
            check(d <= 1.0, "%s %s: %.2f m from gpsd's" % (log, fmt_tod(t), d))
            check(e["why"] != "time", "%s %s: the filter rejects it as \"time\""
                  % (log, fmt_tod(t)))
            fig["matched"] += 1
            reasons[e["why"]] += 1
        # ours that gpsd has not: at an edge, or documented
        order = [i for i, e in enumerate(evs) if e["ev"] == "fix"]
        for k in keys:
            if k in matched:
                continue
            for i, e in fixes[k]:
                fig["ours_only"] += 1
                doc = OURS_ONLY.get((log, fmt_tod(k)))
                if doc:
                    seen_documented.add((log, fmt_tod(k)))
                    fig["ours_only_" + doc] += 1
                    continue
                nxt = evs[i + 1] if i + 1 < len(evs) else None
                edge = (order.index(i) < 2 or nxt is None or nxt["ev"] == "lost"
                        or abs(nxt["t"] - e["t"]) > 10000)
                check(edge, "%s %s: our fix that gpsd does not report" % (log, fmt_tod(k)))
    for key in list(DOCUMENTED) + list(OURS_ONLY):
        check(key in seen_documented, "documented case %s %s still differs" % key)

    valid = fig["gpsd_valid"]
    doc = sum(v for k, v in fig.items() if k.startswith("documented_"))
    print("gpsd: %d epochs with a fix in %d logs, %d from void sentences (not compared), "
          "%d from valid ones" % (fig["gpsd_epochs"], len(logs), fig["gpsd_void"], valid))
    print("ours: %d of them at the same position (max %.3f m; filter: %s), %d documented "
          "differences (%s), %d of ours gpsd reports not (%d at the edges of a log or segment)"
          % (fig["matched"], max_d, ", ".join("%s %d" % kv for kv in sorted(reasons.items())),
             doc, ", ".join("%s %d" % (k[11:], v) for k, v in sorted(fig.items())
                            if k.startswith("documented_")), fig["ours_only"],
             fig["ours_only"] - sum(v for k, v in fig.items() if k.startswith("ours_only_"))))
    if valid:
        print("kept at gpsd's position: %.2f%%" % (100.0 * fig["matched"] / valid))


main(body)
