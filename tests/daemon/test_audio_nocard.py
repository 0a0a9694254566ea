#!/usr/bin/env python3
"""No sound card (issue 13, item 10): guided's log says so in one clear
warning, without alsa-lib's eight lines of noise before it ("ALSA lib
confmisc.c:855:(parse_card) cannot find card '0'" ... "Unknown PCM
default"), and without them again at each look for a device while the tour
plays on SDL's dummy driver.  alsa-lib's messages go to guided's log at
debug level (--verbose shows them, prefixed "alsa-lib:").

SDL picks its driver itself, as on a cart: PulseAudio first (no server
here: PULSE_SERVER names a socket that is not there), then ALSA, whose
configuration (tests/audio/data/no-card.conf) points "default" at a card
that does not exist, whatever cards this machine has."""

import os

from testlib import ROOT, check, ev, main, wait_for

NOISE = "Unknown PCM default"  # alsa-lib's last line of the eight


def body(env):
    conf = env.path("client.conf")
    with open(conf, "w") as f:
        f.write("autospawn = no\n")
    os.environ.pop("SDL_AUDIODRIVER", None)
    os.environ.update(PULSE_SERVER="unix:" + env.path("no-server"), PULSE_CLIENTCONFIG=conf,
                      ALSA_CONFIG_PATH=os.path.join(ROOT, "tests", "audio", "data",
                                                    "no-card.conf"))
    drive = env.make_track("drive.nmea", "--seed", 5, "--noise", 0, "--wait", 600)

    # as the cart runs it: the warning, and nothing of alsa-lib
    d = env.guided("nmea:" + drive, audio="sdl", lang="en", name="quiet")
    d.wait_ready()
    rc = d.terminate()
    check(rc == 0, "guided exits 0 on SIGTERM (got %d)" % rc)
    err = d.stderr()
    print("guided's log with no sound card:\n" + err)
    check("ALSA lib" not in err and "alsa-lib" not in err, "no alsa-lib lines in the log")
    check(err.count("falling back to 'dummy'") == 1, "one warning: no sound will be heard")

    # --verbose, a tour playing on "dummy": the sink looks for a device again
    # and again; alsa-lib's lines are debug lines each time, never raw
    d = env.guided("nmea:" + drive, audio="sdl", lang="en", name="verbose",
                   extra=("--verbose",))
    d.wait_ready()
    d.ok("start")
    d.wait_event(ev("clip_start", poi="welcome"), 30, "the welcome starts")
    wait_for(lambda: d.stderr().count(NOISE) >= 4, 20,
             "three looks for a device after the first open (alsa-lib's lines at debug)")
    rc = d.terminate()
    check(rc == 0, "guided exits 0 on SIGTERM (got %d)" % rc)
    err = d.stderr()
    lines = [x for x in err.splitlines() if NOISE in x]
    check(all(x.startswith("debug: ") and "alsa-lib: " in x for x in lines),
          "alsa-lib's lines are debug lines: %s" % lines[:2])
    check("ALSA lib" not in err, "no raw alsa-lib line")
    check(err.count("falling back to 'dummy'") == 1,
          "the warning once, not at every look for a device")


main(body)
