#!/usr/bin/env python3
"""The sound device is closed while nothing plays (issue 11), and nothing is
lost by it: a driver's volume presses between stories go to the mixer's
bounded command queue, which no audio thread reads while the device is
closed.  Regression: 300 presses with the device closed filled the queue,
and the first clip of the tour then failed ("mixer command queue full").
SDL's dummy driver (the test environment's SDL_AUDIODRIVER)."""

import json
import socket

from testlib import check, ev, main, recv_line


def body(env):
    drive = env.make_track("drive.nmea", "--seed", 5, "--noise", 0, "--wait", 600)
    d = env.guided("nmea:" + drive, audio="sdl", lang="en")
    d.wait_ready()
    # the driver's volume presses, many, before any tour: one connection,
    # one reply a line (the daemon answers each before it reads the next)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(d.control)
    ok = 0
    for i in range(300):
        s.sendall(b"volume %d\n" % (40 + i % 60))
        ok += json.loads(recv_line(s)).get("ok") is True
    s.close()
    check(ok == 300, "300 volume presses answered ok (%d)" % ok)
    d.ok("start")
    _, e = d.wait_event(ev("clip_start", poi="welcome"), 30, "the welcome plays")
    errors = [x for x in d.read_events() if x["event"] in ("error", "clip_skip")]
    check(not errors, "no clip lost after the presses: %s" % errors[:3])
    rc = d.terminate()
    check(rc == 0, "guided exits 0 on SIGTERM (got %d)" % rc)


main(body)
