#!/usr/bin/env python3
"""Every seat its own channel (issue 16): the sdl sink opened with N
discrete channels, a tone on each channel in turn (tests/audio/sink-tone.c:
channel c plays a square wave of amplitude (c + 1) / 16 during its 0.25 s,
every other channel silent), and what comes out of the device checked
channel by channel: the tone of channel c on channel c only, at its
amplitude (a square wave: an LFE low-pass or a remix would show), nothing
elsewhere.

  disk         SDL's disk driver (SDL_DISKAUDIOFILE: the raw float32 stream
               as the device took it), 8 channels: sample-exact.
  pulse8       a private PulseAudio server (testlib.Pulse) whose sink has 8
               channels in SDL's order (channel_map=front-left,...,
               front-right-of-center; README: On the cart), recorded from its monitor
               with parec --channels=8.
  pulse6on8    6 channels asked of that 8-channel sink: opened with the
               sink's 8 (SDL's order), channels 7 and 8 silent.
  pulse-stereo 6 channels asked of a stereo sink: refused (exit 3, the
               reason said), not mixed into two.  Before issue 16 SDL's
               stream was remixed by the server: 6 languages in 2 speakers.
  pulse-aux    8 channels asked of a sink with channel_map=aux0,...,aux7:
               refused (no channel position matches SDL's stream: the
               server plays it as silence).

Without pulseaudio, pactl and parec the pulse cases are skipped."""

import array
import os
import subprocess
import time

from testlib import Fatal, Pulse, check, main, wait_for

SEG = 12000  # frames per channel's tone (250 ms)
# SDL's pulseaudio driver: PulseAudio's WAVEEX map for 8 channels
SDL_ORDER = ("front-left,front-right,front-center,lfe,rear-left,rear-right,"
             "front-left-of-center,front-right-of-center")
TONE = None  # the sink-tone program (argv)


def channel_report(samples, ch, want, exact):
    """Checks interleaved float samples of ch channels: channel c < want
    carries its tone (exact: in one span of SEG frames right after channel
    c - 1's; else at least 80% of it, after channel c - 1's), nothing else
    is heard anywhere, at any frame.  Returns the first frame of channel 0's
    tone."""
    frames = len(samples) // ch
    tol = 0.0 if exact else 1e-3
    loud = [[] for _ in range(ch)]
    for t in range(frames):
        row = samples[t * ch:(t + 1) * ch]
        hot = [c for c in range(ch) if abs(row[c]) > 0.01]
        check(len(hot) <= 1, "frame %d: more than one channel sounds: %s"
              % (t, ["%.3f" % x for x in row]))
        if len(hot) > 1:
            raise Fatal("channels mixed together")
        for c in hot:
            loud[c].append(t)
            amp = (c + 1) / 16
            if abs(abs(row[c]) - amp) > tol:
                raise Fatal("frame %d channel %d: %.6f, want +-%.6f" % (t, c, row[c], amp))
        for k in range(ch):
            if k not in hot and abs(row[k]) > tol:
                raise Fatal("frame %d channel %d: %.6f where silence" % (t, k, row[k]))
    start = loud[0][0] if loud[0] else None
    prev_end = -1
    for c in range(ch):
        span = loud[c]
        if c >= want:
            check(not span, "channel %d (above the %d asked for) silent: %d frames sound"
                  % (c + 1, want, len(span)))
            continue
        if not span:
            check(False, "channel %d: its tone is heard" % (c + 1))
            continue
        if exact:  # the device's own stream: every frame in place
            check(len(span) == SEG and span[-1] - span[0] + 1 == SEG,
                  "channel %d: its tone in one span of %d frames (%d frames, %d..%d)"
                  % (c + 1, SEG, len(span), span[0], span[-1]))
            check(span[0] == start + c * SEG,
                  "channel %d's tone right after channel %d's" % (c + 1, c))
        else:  # a real server: a start may underrun (a gap, frames lost)
            check(SEG * 0.8 <= len(span) <= SEG,
                  "channel %d: %d frames of its tone (%d, 80%% at least)"
                  % (c + 1, len(span), SEG))
            check(span[0] > prev_end, "channel %d's tone after channel %d's" % (c + 1, c))
        prev_end = span[-1]
    print("%d channels, %d asked for: each tone on its own channel only, at frame %s"
          % (ch, want, start))
    return start


def tone(env, spec, ch, extra_env=None):
    e = dict(os.environ, **(extra_env or {}))
    r = subprocess.run(TONE + [spec, str(ch)], capture_output=True, text=True, timeout=120,
                       env=e)
    print("sink-tone %s %d: exit %d\n%s%s" % (spec, ch, r.returncode, r.stdout, r.stderr))
    return r


def case_disk(env):
    raw = env.path("disk.raw")
    r = tone(env, "sdl", 8, {"SDL_AUDIODRIVER": "disk", "SDL_DISKAUDIOFILE": raw})
    check(r.returncode == 0 and "channels 8" in r.stdout, "sink-tone on the disk driver")
    a = array.array("f")
    with open(raw, "rb") as f:
        a.frombytes(f.read())
    check(len(a) % 8 == 0, "whole 8-channel frames in the disk file")
    channel_report(a, 8, 8, exact=True)


class Ear:
    """parec of a sink's monitor into a file, float32."""

    def __init__(self, env, ch, cmap):
        self.path = env.path("parec.raw")
        self.ch = ch
        self.p = env.spawn(["parec", "-d", "seats.monitor", "--raw", "--format=float32le",
                            "--rate=48000", "--channels=%d" % ch, "--channel-map=" + cmap,
                            "--latency-msec=20"],
                           stdin=subprocess.DEVNULL, stdout=open(self.path, "wb"),
                           stderr=open(env.path("parec.log"), "wb"))
        wait_for(lambda: os.path.getsize(self.path) > 0, 15, "parec's first block")

    def samples(self):
        a = array.array("f")
        with open(self.path, "rb") as f:
            data = f.read()
        a.frombytes(data[:len(data) // (4 * self.ch) * 4 * self.ch])
        return a


def pulse_case(env, sink_ch, sink_map, ask):
    pulse = Pulse(env, ["module-null-sink sink_name=seats rate=48000 channels=%d "
                        "channel_map=%s" % (sink_ch, sink_map)])
    pulse.start()
    pulse.pactl("set-default-sink", "seats")
    ear = Ear(env, sink_ch, sink_map)
    r = tone(env, "sdl", ask)
    return pulse, ear, r


def played(env, sink_ch, ask):
    pulse, ear, r = pulse_case(env, sink_ch, SDL_ORDER, ask)
    check(r.returncode == 0 and "channels %d" % ask in r.stdout, "sink-tone on PulseAudio")
    # the whole tone (and the 0.3 s of silence after it) reached the monitor
    end = ask * SEG + 48000 * 3 // 10

    def whole():
        a = ear.samples()
        return len(a) // sink_ch >= end and a
    wait_for(whole, 15, "the recording to hold the tones", step=0.1)
    time.sleep(0.3)  # parec's last 20 ms blocks (a fixed drain, checked below anyway)
    env.stop(ear.p)
    channel_report(ear.samples(), sink_ch, ask, exact=False)


def refused(env, sink_ch, sink_map, ask, what):
    pulse, ear, r = pulse_case(env, sink_ch, sink_map, ask)
    check(r.returncode == 3, "%d channels on %s: refused (exit 3, got %d)"
          % (ask, what, r.returncode))
    check("PulseAudio sink 'seats' has %d channels" % sink_ch in r.stderr and
          "refused" in r.stderr and "channel_map=" + SDL_ORDER[:len("front-left")] in r.stderr,
          "the reason names the sink, its channels and the map to set:\n" + r.stderr)
    env.stop(ear.p)


def body(env):
    global TONE
    case = env.args[0]
    TONE = [env.args[1]]
    if case == "disk":
        case_disk(env)
    elif case == "pulse8":
        played(env, 8, 8)
    elif case == "pulse6on8":
        played(env, 8, 6)
    elif case == "pulse-stereo":
        refused(env, 2, "front-left,front-right", 6, "a stereo sink")
    elif case == "pulse-aux":
        refused(env, 8, ",".join("aux%d" % i for i in range(8)), 8, "an aux-mapped sink")
    else:
        raise Fatal("unknown case " + case)


main(body)
