#!/usr/bin/env python3
"""Cost that carries to the board (issue 15): instructions, not seconds, per
second of audio, counted by valgrind's callgrind (Ir: instructions executed;
`perf stat -e instructions` needs a PMU, which virtual machines often lack).
Prints key=value lines (tests/bench/run reads them):

    decode_ir_per_s     one Opus stream decoded through audio/clip.c (open,
                        decode, close), the shipped clips one after another:
                        the decoder thread's work (audio-bench count-decode)
    decode_audio_s      the seconds of audio those clips hold
    mix<N>_ir_per_s     mixer_render() only, N voices with a gain ramp every
                        512 frames (audio-bench count-mix N 10): the audio
                        thread's work, the decoding feeding it left out
    tour_ir             the whole daemon, every instruction of the process:
                        guided --offline --start --audio null on the shipped
                        clean drive (set-up, fixes, trigger, tour, event log,
                        decoding, mixing)
    tour_drive_s        the drive's length (first to last RMC)
    tour_speech_s       seconds of narration played (clip_start to clip_end)
    tour_decode_ir, tour_mix_ir   of tour_ir: inside mixer_decoder_pump()
                        (decoding) and mixer_render() (mixing)

Offline the daemon never sleeps and mixes every second of the drive
(silence between stories too); at 1x the device closes 5 s after the last
clip, so tour_ir / tour_drive_s is an upper bound of its average per
second on the cart.  SDL's own work on the cart (its audio thread,
converting to the device's format) is not in it.

usage: instructions.py AUDIO_BENCH GUIDED
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime

ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
ROUTE_DIR = os.path.join(ROOT, "routes", "798-751")
ENV = dict(os.environ, GUIDE_SOURCE_ROOT=ROOT, SDL_AUDIODRIVER="dummy")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def callgrind(tmp, name, cmd, toggle=()):
    """Runs cmd under callgrind; returns (its stdout, the profile's path,
    the instructions counted: all, or only inside the toggle functions)."""
    out = os.path.join(tmp, name + ".cg")
    vg = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out]
    vg += ["--toggle-collect=" + f for f in toggle]
    log("instructions: " + " ".join(os.path.basename(c) if c.startswith(ROOT) else c
                                      for c in cmd))
    p = subprocess.run(vg + cmd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, cwd=tmp)
    if p.returncode != 0:
        log(p.stderr[-2000:])
        raise RuntimeError(f"{name}: exited {p.returncode}")
    with open(out) as f:
        m = re.search(r"^summary:\s*(\d+)", f.read(), re.M)
    if not m:
        raise RuntimeError(f"{name}: no summary in {out}")
    return p.stdout, out, int(m.group(1))


def inclusive(profile, function):
    """Instructions inside function and all it calls (callgrind_annotate)."""
    p = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", profile],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True)
    for line in p.stdout.splitlines():
        m = re.match(r"^\s*([\d,]+)\s+\([\s\d.]+%\)\s+\S*:" + re.escape(function) + r"\s", line)
        if m:
            return int(m.group(1).replace(",", ""))
    return None


def kv(text):
    return {m.group(1): float(m.group(2))
            for m in re.finditer(r"^(\w+)=([-0-9.e+]+)", text, re.M)}


def nmea_duration_s(path):
    first = last = None
    with open(path) as f:
        for line in f:
            if line.startswith(("$GPRMC,", "$GNRMC,")):
                t = line.split(",")[1]
                s = int(t[0:2]) * 3600 + int(t[2:4]) * 60 + float(t[4:])
                first = s if first is None else first
                last = s
    return (last - first) if first is not None else 0


def speech_s(events):
    total, start = 0.0, None
    with open(events) as f:
        for line in f:
            e = json.loads(line)
            t = datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() \
                if "time" in e else None
            if e.get("event") == "clip_start":
                start = t
            elif e.get("event") == "clip_end" and start is not None:
                total += t - start
                start = None
    return total


def main():
    if len(sys.argv) != 3:
        print(__doc__.split("usage: ")[1].strip(), file=sys.stderr)
        return 2
    bench, guided = (os.path.realpath(a) for a in sys.argv[1:])
    if not shutil.which("valgrind") or not shutil.which("callgrind_annotate"):
        log("instructions: valgrind is missing (apt-get install valgrind)")
        return 77
    clips = sorted(os.path.join(ROUTE_DIR, "clips", f)
                   for f in os.listdir(os.path.join(ROUTE_DIR, "clips")) if f.endswith(".opus"))
    with tempfile.TemporaryDirectory() as tmp:
        text, _, ir = callgrind(tmp, "decode", [bench, "count-decode"] + clips,
                                ["count_decode_clip"])
        secs = kv(text)["count_decode_audio_seconds"]
        print(f"decode_audio_s={secs:.3f}")
        print(f"decode_ir_per_s={ir / secs:.0f}")
        for n in (1, 4, 16):
            text, _, ir = callgrind(tmp, f"mix{n}", [bench, "count-mix", str(n), "10"],
                                    ["mixer_render"])
            print(f"mix{n}_ir_per_s={ir / kv(text)['count_mix_audio_seconds']:.0f}")
        drive = os.path.join(ROUTE_DIR, "tracks", "clean.nmea")
        events = os.path.join(tmp, "events.jsonl")
        _, prof, ir = callgrind(tmp, "tour", [guided, "--route",
                                              os.path.join(ROUTE_DIR, "route.yaml"),
                                              "--gps", "nmea:" + drive, "--offline", "--audio",
                                              "null", "--start", "--events", events])
        print(f"tour_ir={ir}")
        print(f"tour_drive_s={nmea_duration_s(drive):.1f}")
        print(f"tour_speech_s={speech_s(events):.1f}")
        for key, fn in (("tour_decode_ir", "mixer_decoder_pump"), ("tour_mix_ir", "mixer_render")):
            v = inclusive(prof, fn)
            if v is not None:
                print(f"{key}={v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
