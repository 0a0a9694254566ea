#!/usr/bin/env python3
"""guided refuses what cannot work before it does anything (issue 12, item 9):
--offline without --start (nothing would start the tour: 17 minutes of
silence, exit 0), a --lang the tour or route does not narrate, a --tour
the route lacks.  Each exits 2 at once with a message that names the
problem, writes no WAV and no event."""

import os
import subprocess

from testlib import ROUTE, check, main, track


def run(env, name, *args):
    """guided on the clean drive with args; (exit status, stderr, wav, log).
    A guided that does not refuse plays the drive: at most 20 s here."""
    wav, log = env.path(name + ".wav"), env.path(name + ".jsonl")
    argv = [env.guided_exe, "--route", ROUTE, "--gps", "nmea:" + track("clean.nmea"),
            "--events", log] + list(args)
    argv = [a.replace("WAV", wav) for a in argv]
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=20,
                           stdin=subprocess.DEVNULL)
        rc, err = r.returncode, r.stderr
    except subprocess.TimeoutExpired as e:  # run() has killed it
        rc, err = "still running after 20 s", (e.stderr or b"").decode(errors="replace")
    lines = open(log).read().splitlines() if os.path.exists(log) else []
    return rc, err, os.path.exists(wav), lines


def body(env):
    cases = [  # name, arguments, what stderr says
        ("offline-no-start", ["--offline", "--audio", "wav:WAV"],
         "--offline renders a tour from its start: add --start"),
        ("offline-no-start-lang", ["--offline", "--audio", "wav:WAV", "--lang", "fr"],
         "--offline renders a tour from its start: add --start"),
        ("lang-start", ["--offline", "--start", "--audio", "wav:WAV", "--lang", "zh,fr"],
         "--lang zh,fr: language 'fr' is not narrated by tour loop (it has zh, en)"),
        ("lang-empty", ["--offline", "--start", "--audio", "wav:WAV", "--lang", ","],
         "--lang ,: an empty language in the list"),
        # no --start: a driver may start any tour later; still, no tour of
        # the route narrates Korean
        ("lang-idle", ["--audio", "wav:WAV", "--lang", "ko", "--control",
                       env.path("c.sock")],
         "--lang ko: language 'ko' is not narrated on route 798-751 "
         "(it has zh, en, fr, de, es, ru)"),
        ("tour", ["--offline", "--start", "--audio", "wav:WAV", "--tour", "night"],
         "--tour night: " + ROUTE + " has no such tour (it has loop, all)"),
    ]
    for name, args, says in cases:
        rc, err, wav, lines = run(env, name, *args)
        check(rc == 2 and says in err and not wav and not lines,
              f"{name}: exit {rc} (want 2), WAV written: {wav}, {len(lines)} events, "
              f"stderr:\n{err[-600:]}")
    # what works still works: --lang en alone, offline with --start
    rc, err, wav, lines = run(env, "ok", "--offline", "--start", "--audio", "wav:WAV",
                              "--lang", "en")
    check(rc == 0 and wav and '"lang":["en"]' in lines[1],  # after log_open
          f"--offline --start --lang en: exit {rc}\n{err[-600:]}")


main(body)
