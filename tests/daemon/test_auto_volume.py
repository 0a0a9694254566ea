#!/usr/bin/env python3
"""Volume that follows the road (issue 22), on the virtual clock: every
drive is rendered offline twice, with the vehicle configuration's
auto_volume (or the route's max_volume) and without, to a WAV each; the
mixer's output is deterministic, so the level of one over the other in a
window is the auto gain there (the clips and their times are the same).

- speed: a drive with stops and starts (--wait, --halt): the gain rises
  towards the curve's value at cruising speed and falls back at each halt,
  slowly (volume_auto events), and the WAV follows the event log.
- place: a stop with max_volume 40: the effective volume is capped at 40
  between its zone_enter and zone_exit, released after.
- time: a drive whose fixes cross 19:00 local (+08:00): quiet_hours
  19:00-22:00 max 60 caps from 19:00 on, not before.
- status: "volume" stays the driver's, "auto_volume" says what plays."""

import array
import math
import os

from testlib import ROUTE, check, event_time, main, wait_for

RATE = 48000
CRUISE_KMH = 15
CURVE = [[0, 0], [10, 2], [20, 4]]  # 15 km/h: 3 dB


def read_wav(path):
    """Float32 stereo samples of a wav: sink file."""
    with open(path, "rb") as f:
        data = f.read()
    check(data[:4] == b"RIFF" and data[8:12] == b"WAVE", "a RIFF/WAVE file")
    at = 12
    while at + 8 <= len(data):
        cid, size = data[at:at + 4], int.from_bytes(data[at + 4:at + 8], "little")
        if cid == b"data":
            s = array.array("f")
            body = data[at + 8:at + 8 + size]
            s.frombytes(body[:len(body) - len(body) % 4])
            return s
        at += 8 + size + (size & 1)
    check(False, "a data chunk in " + path)
    return array.array("f")


def window_levels(on, off, t0):
    """[(second since t0, dB of on over off)] per 1 s window where off
    sounds: the median ratio of the samples (left channel, every 4th) that
    sound and stay clear of the output limiter (-1 dBFS; the shipped clips
    reach it, and it would squeeze the ratio where it acts)."""
    out = []
    frames = min(len(on), len(off)) // 2
    for w in range(frames // RATE):
        a = on[2 * w * RATE:2 * (w + 1) * RATE:8]
        b = off[2 * w * RATE:2 * (w + 1) * RATE:8]
        r = sorted(abs(x) / abs(y) for x, y in zip(a, b)
                   if 0.01 < abs(y) < 0.5 and abs(x) < 0.5)
        if len(r) < 1000:  # no story here
            continue
        out.append((w, 20 * math.log10(max(r[len(r) // 2], 1e-9))))
    return out


def render(env, name, drive, route, config):
    wav = env.path(name + ".wav")
    g = env.guided("nmea:" + drive, name=name, route=route or ROUTE, offline=True, start=True,
                   control=False, audio="wav:" + wav, config=config or True)
    g.check_exit(g.wait(240), name)
    evs = g.read_events()
    t0 = event_time(evs[0])
    return evs, read_wav(wav), t0


def secs(e, t0):
    return (event_time(e) - t0).total_seconds()


def speed(env):
    drive = env.make_track("stops.nmea", "--noise", 0, "--wait", 30, "--halt", 30, "--speed",
                           CRUISE_KMH)
    evs, on, t0 = render(env, "speed", drive, None, {"auto_volume": {"speed": CURVE}})
    _, off, t0b = render(env, "speed-off", drive, None, {})
    check(t0 == t0b, "the two runs start at the same time")
    va = [e for e in evs if e["event"] == "volume_auto"]
    gains = [e["gain_db"] for e in va]
    check(len(va) >= 12, f"volume_auto follows the drive's starts and stops: {len(va)} events")
    check(all(e["why"] == ["speed"] or (e["why"] == [] and e["gain_db"] < 0.1) for e in va),
          "why: speed")
    check(2.5 <= max(gains) <= 3.0 + 1e-9,
          f"cruising at {CRUISE_KMH} km/h the gain approaches 3 dB: max {max(gains)}")
    # the gain rises and falls again at every halt: count the cycles
    cycles, high = 0, False
    for g in gains:
        if g >= 2.5:
            high = True
        elif g <= 1.0 and high:
            cycles, high = cycles + 1, False
    check(cycles >= 5, f"the gain falls back at each halt and rises again: {cycles} cycles")
    # slow: never more than 1.5 dB a second between two events, never two
    # events within a second (never pumping)
    for a, b in zip(va, va[1:]):
        dt = secs(b, t0) - secs(a, t0)
        check(dt >= 1.0 and abs(b["gain_db"] - a["gain_db"]) <= 1.5 * dt,
              f"a slow follower: {a} then {b}")
    # nothing before the cart moves (parked at the start: 0 dB)
    first_move = secs(va[0], t0)
    check(first_move >= 25, f"no gain while parked at the start: first at {first_move} s")
    # the WAV: the level over the run without auto_volume stays within 1 dB
    # of the last volume_auto's gain (the log speaks on every change of more
    # than 1 dB; the mixer glides over 1 s)
    lv = window_levels(on, off, t0)
    times = [secs(e, t0) for e in va]
    between = 0
    for w, db in lv:
        check(-0.1 <= db <= 3.1, f"window {w} s: {db:.2f} dB is within the curve's range")
        if any(w - 1 <= t <= w + 2 for t in times):
            continue
        before = [e["gain_db"] for e in va if secs(e, t0) < w]
        g0 = before[-1] if before else 0.0
        check(abs(db - g0) <= 1.3,
              f"window {w} s: {db:.2f} dB where the log says {g0} dB")
        between += 1
    check(between >= 100, f"enough windows with a story: {between}")
    hi = [db for _, db in lv if db >= 2.4]
    lo = [db for _, db in lv if db <= 1.0]
    check(hi and lo, f"stories heard both at cruising gain and near 0 dB: {len(hi)} {len(lo)}")


def zone(env):
    route = env.route_copy("zone-route.yaml")
    with open(route) as f:
        text = f.read()
    check("  - id: ucca\n" in text, "the route has ucca")
    with open(route, "w") as f:
        f.write(text.replace("  - id: ucca\n", "  - id: ucca\n    max_volume: 40\n", 1))
    drive = env.make_track("zone.nmea", "--noise", 0, "--wait", 10, "--halt", 40, route=route)
    evs, on, t0 = render(env, "zone", drive, route, {})
    _, off, _ = render(env, "zone-off", drive, env.route_copy("plain-route.yaml"), {})
    enter = next(e for e in evs if e["event"] == "zone_enter" and e["poi"] == "ucca")
    exit_ = next(e for e in evs if e["event"] == "zone_exit" and e["poi"] == "ucca")
    te, tx = secs(enter, t0), secs(exit_, t0)
    va = [e for e in evs if e["event"] == "volume_auto"]
    check(len(va) == 2, f"two volume_auto: the cap, its release: {va}")
    check(va[0]["why"] == ["zone:ucca"] and va[0]["effective"] == 40 and
          te <= secs(va[0], t0) <= te + 1.0,
          f"capped at 40 within a second of entering ucca ({te} s): {va[0]}")
    check(va[1]["why"] == [] and va[1]["effective"] == 100 and
          tx <= secs(va[1], t0) <= tx + 1.0,
          f"released within a second of leaving ucca ({tx} s): {va[1]}")
    lv = window_levels(on, off, t0)
    inside = [db for w, db in lv if te + 2 <= w and w + 1 <= tx]
    outside = [db for w, db in lv if w + 1 <= te or w >= tx + 2]
    want = 20 * math.log10(0.4)
    check(len(inside) >= 5 and all(abs(db - want) <= 0.5 for db in inside) and
          abs(sorted(inside)[len(inside) // 2] - want) <= 0.05,
          f"inside ucca the story is at 40 %: {[round(x, 2) for x in inside]}")
    check(outside and all(abs(db) <= 0.01 for db in outside),
          f"outside the zone nothing changes: {[round(x, 2) for x in outside if abs(x) > 0.01]}")


def shift_nmea(src, dst, seconds):
    """The drive's fix times (RMC, GGA) moved by `seconds` within the day."""
    def hms(t):
        h, m, s = int(t[0:2]), int(t[2:4]), float(t[4:])
        v = (h * 3600 + m * 60 + s + seconds) % 86400
        return "%02d%02d%06.3f" % (v // 3600, v % 3600 // 60, v % 60)
    with open(src) as f, open(dst, "w") as o:
        for line in f:
            body = line.strip()[1:].split("*")[0]
            fields = body.split(",")
            if fields[0] in ("GPRMC", "GPGGA") and fields[1]:
                fields[1] = hms(fields[1])
            body = ",".join(fields)
            ck = 0
            for ch in body:
                ck ^= ord(ch)
            o.write("$%s*%02X\r\n" % (body, ck))


def time_cap(env):
    base = env.make_track("evening0.nmea", "--noise", 0, "--wait", 10)
    drive = env.path("evening.nmea")
    # the track starts at 02:00:00Z; 10:58:00Z is 18:58 in Beijing
    shift_nmea(base, drive, 8 * 3600 + 58 * 60)
    cfg = {"timezone": "+08:00",
           "auto_volume": {"quiet_hours": [{"from": "07:00", "to": "09:00", "max": 50},
                                           {"from": "19:00", "to": "22:00", "max": 60}]}}
    evs, on, t0 = render(env, "evening", drive, None, cfg)
    _, off, _ = render(env, "evening-off", drive, None, {})
    check(evs[0]["time"].startswith("2024-05-01T10:58:00"), f"the drive starts at 18:58 local: "
          f"{evs[0]['time']}")
    va = [e for e in evs if e["event"] == "volume_auto"]
    check(len(va) == 1 and va[0]["why"] == ["time:19:00-22:00"] and va[0]["effective"] == 60,
          f"one volume_auto: the evening cap: {va}")
    t19 = 120.0  # 11:00:00Z
    check(t19 <= secs(va[0], t0) <= t19 + 1.0, f"from 19:00 local on: {va[0]['time']}")
    lv = window_levels(on, off, t0)
    before = [db for w, db in lv if w + 1 <= t19]
    after = [db for w, db in lv if w >= t19 + 3]
    want = 20 * math.log10(0.6)
    check(before and all(abs(db) <= 0.01 for db in before),
          f"before 19:00 the stories are as loud as without: {before}")
    check(len(after) >= 10 and all(abs(db - want) <= 0.5 for db in after) and
          abs(sorted(after)[len(after) // 2] - want) <= 0.05,
          f"after 19:00 at 60 %: {[round(x, 2) for x in after]}")


def status(env):
    """status keeps "volume" (the driver's) and adds "auto_volume"."""
    drive = env.make_track("parked.nmea", "--noise", 0, "--wait", 600)
    d = env.guided("nmea:" + drive, name="live", config={"auto_volume": {"speed": CURVE}})
    d.wait_ready()
    d.ok("volume", "50")
    st = d.status()
    check(st["volume"] == 50, f"status volume is the driver's: {st['volume']}")
    check(st.get("auto_volume") == {"driver": 50, "effective": 50, "gain_db": 0.0, "why": []},
          f"status auto_volume, parked: {st.get('auto_volume')}")
    # a reload brings quiet hours that hold now (the replay is at 10:00 local)
    with open(d.config_path) as f:
        text = f.read()
    check("  speed: " in text, "the configuration has auto_volume.speed")
    with open(d.config_path, "w") as f:
        f.write(text.replace("  speed: ", '  quiet_hours: [{"from": "10:00", "to": "11:00", '
                             '"max": 30}]\n  speed: ', 1))
    d.ok("reload")
    # (the route's reload starts a new tour at the driver's volume 100)
    want = {"driver": 100, "effective": 30, "gain_db": 0.0, "why": ["time:10:00-11:00"]}
    last = {}

    def capped():
        last["st"] = d.status().get("auto_volume")
        return last["st"] == want
    try:
        wait_for(capped, 10, "the reloaded quiet hours cap the volume at 30")
    finally:
        check(last.get("st") == want, f"status auto_volume after the reload: {last.get('st')}")


def body(env):
    speed(env)
    zone(env)
    time_cap(env)
    status(env)


main(body)
