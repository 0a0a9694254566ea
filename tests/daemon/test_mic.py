#!/usr/bin/env python3
"""The cabin microphone (issue 22): guided --mic wav:FILE hears a file as the
cabin from the tour's start, on the offline clock, and the narration follows
the noise.  The shipped tour (clean drive, zh) is rendered offline three
times, each with its own microphone file (made here: Gaussian noise with
Python's random, the guide's own voice mixed in with sox):

  quiet   noise at -45 dBFS all along
  road    -45 dBFS in the first half, -22 dBFS from the middle on
  echo    the quiet render's own narration (left channel: the narration is
          the same on both) plus the quiet noise: the microphone hears the
          guide as loud as it plays

Measured on the rendered WAVs, per clip (from its clip_start to its
clip_end): with the road noise every clip of the second half (the first
that starts 10 s after the change and later) is >= 3 dB louder than in the
quiet render, the first half within 0.1 dB of it, and no sample passes
the limiter's -1 dBFS; with the echo every clip is within 1 dB of the quiet render
(the estimate never chases the guide's voice).  The events: mic_noise with
the quiet level first, the loud one after the middle, no more than one a
3 dB step.  Also: the status's "mic" object, and a bad --mic exits 2."""

import array
import json
import math
import operator
import os
import random
import struct
import subprocess
import wave

from testlib import ROUTE, check, main, track

RATE = 48000
QUIET_DB, LOUD_DB = -45.0, -22.0
LIMIT = 10 ** (-1 / 20) + 1e-6  # audio/limiter.h LIMITER_THRESHOLD_DB


def noise_second(db, seed):
    """One second of Gaussian noise at db dBFS RMS, 16-bit."""
    r = random.Random(seed)
    a = 32767 * 10 ** (db / 20)
    return struct.pack("<%dh" % RATE,
                       *[max(-32768, min(32767, round(r.gauss(0, a)))) for _ in range(RATE)])


def write_noise(path, parts):
    """parts: (seconds, dB) in order; a second of noise repeated (its level
    is what counts, not its variety)."""
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        for i, (secs, db) in enumerate(parts):
            w.writeframes(noise_second(db, i + 1) * secs)


def wav_data(path):
    """(offset of the data, its size, channels) of a float WAV."""
    with open(path, "rb") as f:
        head = f.read(12)
        at, ch = 12, None
        while True:
            hdr = f.read(8)
            cid, size = hdr[:4], int.from_bytes(hdr[4:8], "little")
            if cid == b"fmt ":
                ch = int.from_bytes(f.read(size)[2:4], "little")
                f.seek(at + 8 + size + (size & 1))
            elif cid == b"data":
                return at + 8, size, ch
            else:
                f.seek(size + (size & 1), 1)
            at += 8 + size + (size & 1)


def seconds(e):
    """Seconds after the drive's first fix (2024-05-01T02:00:00Z), which is
    the WAV's first frame."""
    hms = e["time"][11:23]
    return int(hms[0:2]) * 3600 + int(hms[3:5]) * 60 + float(hms[6:]) - 7200


def clip_levels(wav, events):
    """[(start s, end s, RMS dB, peak)] of every clip, from the WAV."""
    off, size, ch = wav_data(wav)
    starts, out = {}, []
    with open(wav, "rb") as f:
        for e in events:
            if e["event"] == "clip_start":
                starts[e["clip"]] = seconds(e)
            elif e["event"] == "clip_end" and e["clip"] in starts:
                t0, t1 = starts.pop(e["clip"]), seconds(e)
                f0, f1 = round(t0 * RATE), round(t1 * RATE)
                f.seek(off + f0 * ch * 4)
                a = array.array("f")
                a.frombytes(f.read((f1 - f0) * ch * 4))
                p = sum(map(operator.mul, a, a)) / max(1, len(a))
                out.append((t0, t1, 10 * math.log10(p) if p > 0 else -200,
                            max(max(a), -min(a))))
    return out


def render(env, name, mic):
    wav = env.path(name + ".wav")
    extra = ["--mic", "wav:" + mic] if mic else []
    g = env.guided("nmea:" + track("clean.nmea"), name=name, offline=True, start=True,
                   control=False, lang="zh", audio="wav:" + wav, extra=extra)
    g.check_exit(g.wait(120), "guided --mic (%s)" % name)
    return wav, g.read_events()


def body(env):
    # the length of the tour: a render without a microphone
    plain, pev = render(env, "plain", None)
    off, size, ch = wav_data(plain)
    total = size // (4 * ch) // RATE + 2
    half = total // 2

    quiet_mic = env.path("quiet-mic.wav")
    write_noise(quiet_mic, [(total, QUIET_DB)])
    quiet, qev = render(env, "quiet", quiet_mic)
    road_mic = env.path("road-mic.wav")
    write_noise(road_mic, [(half, QUIET_DB), (total - half, LOUD_DB)])
    road, rev = render(env, "road", road_mic)

    # the guide's own voice as the microphone hears it, plus the quiet noise
    voice = env.path("voice.wav")
    subprocess.run(["sox", quiet, "-b", "16", voice, "remix", "1"], check=True, timeout=120)
    echo_mic = env.path("echo-mic.wav")
    subprocess.run(["sox", "-m", "-v", "1", voice, "-v", "1", quiet_mic, "-b", "16", echo_mic], check=True,
                   timeout=120)
    echo, eev = render(env, "echo", echo_mic)

    lp, lq, lr, le = (clip_levels(w, e) for w, e in
                      ((plain, pev), (quiet, qev), (road, rev), (echo, eev)))
    check(len(lq) >= 10 and len(lq) == len(lr) == len(le) == len(lp),
          "every render tells the same clips: %d %d %d %d" % (len(lp), len(lq), len(lr), len(le)))
    check([x[:2] for x in lq] == [x[:2] for x in lr] == [x[:2] for x in le],
          "the clips play at the same times in every render")

    # the quiet gain: noise at -45 dBFS between -50 and -25 -> 12 * 5 / 25 = 2.4 dB
    # on the narration, which already peaks at the limiter's threshold (-1
    # dBFS): the limiter takes some of it
    later = [(q, p) for q, p in zip(lq, lp) if q[0] > 60]
    for q, p in later:
        check(1.2 <= q[2] - p[2] <= 2.5,
              "quiet cabin: the clip at %.0f s is up by 2.4 dB less what the limiter takes: "
              "%+.2f dB" % (q[0], q[2] - p[2]))

    first, second = [], []
    for q, r in zip(lq, lr):
        d = r[2] - q[2]
        if r[1] <= half:
            first.append(d)
            check(abs(d) < 0.1, "road: the clip at %.0f s (first half) is as loud as in the "
                  "quiet cabin: %+.2f dB" % (r[0], d))
        elif r[0] >= half + 10:
            second.append(d)
            check(d >= 3, "road: the clip at %.0f s (second half) is >= 3 dB louder than in "
                  "the quiet cabin: %+.2f dB" % (r[0], d))
        check(r[3] <= LIMIT, "road: no sample above the limiter's -1 dBFS in the clip at "
              "%.0f s: peak %.4f"
              % (r[0], r[3]))
    check(len(first) >= 4 and len(second) >= 4,
          "clips in both halves: %d and %d" % (len(first), len(second)))
    print("road: second half %+.2f .. %+.2f dB over the quiet cabin"
          % (min(second or [0]), max(second or [0])))

    for q, e in zip(lq, le):
        d = e[2] - q[2]
        check(abs(d) <= 1.0, "echo: the clip at %.0f s stays within 1 dB of the quiet cabin "
              "although the microphone hears it: %+.2f dB" % (e[0], d))
    print("echo: %+.2f .. %+.2f dB from the quiet cabin"
          % (min(e[2] - q[2] for q, e in zip(lq, le)),
             max(e[2] - q[2] for q, e in zip(lq, le))))

    # events: the quiet level, then the loud one once, from the middle on
    mq = [e for e in qev if e["event"] == "mic_noise"]
    check(len(mq) == 1 and abs(mq[0]["noise_db"] - QUIET_DB) <= 0.5,
          "quiet: one mic_noise at -45 dB: %s" % mq)
    mr = [e for e in rev if e["event"] == "mic_noise"]
    check(len(mr) == 2 and abs(mr[0]["noise_db"] - QUIET_DB) <= 0.5
          and abs(mr[1]["noise_db"] - LOUD_DB) <= 0.5 and seconds(mr[1]) >= half,
          "road: mic_noise at -45 then at -22 dB after the middle (%d s): %s" % (half, mr))
    me = [e for e in eev if e["event"] == "mic_noise"]
    check(all(abs(e["noise_db"] - QUIET_DB) <= 3 for e in me) and me,
          "echo: every mic_noise near the quiet level: %s" % me)
    check(not [e for e in pev if e["event"] == "mic_noise"], "no --mic: no mic_noise")

    # the status, on a real clock: the source, and no estimate before the tour
    g = env.guided("nmea:" + track("clean.nmea"), name="live", speed=1,
                   extra=["--mic", "wav:" + quiet_mic])
    st = g.wait_ready()
    check(st.get("mic") == {"source": "wav:" + quiet_mic, "noise_db": None, "gain_db": 0.0},
          "status mic before the tour: %s" % st.get("mic"))
    g.check_exit(g.terminate(), "guided --mic on SIGTERM")
    st = None

    # vehicle.yaml: mic: and auto_volume.noise (-45 dBFS between -60 and -30:
    # 12 * 15 / 30 = 6 dB), which daemon_volume.c hands to the mixer
    g = env.guided("nmea:" + track("clean.nmea"), name="conf", offline=True, start=True,
                   control=False, lang="zh", audio="null",
                   config={"mic": "wav:" + quiet_mic,
                           "auto_volume": {"noise": {"quiet_db": -60, "loud_db": -30}}})
    g.check_exit(g.wait(120), "guided with mic: in vehicle.yaml")
    va = [e for e in g.read_events() if e["event"] == "volume_auto"]
    # (volume_auto is logged a 1 dB step: the last one within 1 dB of 6; the
    # defaults would give 2.4)
    check(va and 5.0 <= va[-1]["gain_db"] <= 6.0,
          "mic: and auto_volume.noise from vehicle.yaml: the gain goes to 6 dB: %s"
          % va[-3:])
    bad = env.path("bad.vehicle.yaml")
    with open(bad, "w") as f:
        f.write("route: %s\nmic: sdl\nauto_volume:\n  noise:\n    quiet_db: -20\n"
                "    loud_db: -30\n    max_gain_db: 30\n" % json.dumps(ROUTE))
    r = subprocess.run([env.guided_exe, "--config", bad, "--check"], capture_output=True,
                       text=True, timeout=60)
    check(r.returncode == 2 and ":6:" in r.stderr and "loud_db" in r.stderr
          and ":7:" in r.stderr and "max_gain_db" in r.stderr,
          "a bad auto_volume.noise: exit 2, each error at its line: %d %s"
          % (r.returncode, r.stderr))

    # a bad source is the user's mistake
    stereo = env.path("stereo.wav")
    with wave.open(stereo, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"\0" * 4 * RATE)
    for spec, what in (("nosuch:x", "an unknown source"), ("wav:" + stereo, "a stereo file"),
                       ("wav:" + env.path("missing.wav"), "a missing file")):
        g = env.guided("nmea:" + track("clean.nmea"), name="bad", offline=True, start=True,
                       control=False, audio="null", extra=["--mic", spec])
        rc = g.wait(60)
        g.check_exit(rc, "--mic with %s" % what, want=2)
        check("microphone" in g.stderr(), "--mic with %s: says why: %s" % (what, g.stderr()))


main(body)
