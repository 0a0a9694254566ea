#!/usr/bin/env python3
"""What the driver hears from guidectl (issue 13): every refusal says what
stands in the way and what there is; bad usage that guidectl can see by
itself exits 2 before the daemon is asked, a refusal by the daemon exits 1;
a language list never names a language twice (guidectl start --lang,
guidectl lang, the control socket, guided --lang)."""

import json
import socket

from testlib import check, ev, main, recv_line

NO_TOUR = "no tour is running (guidectl start begins one)"


def refused(d, args, want_err, want_rc=1):
    rc, out, err = d.ctl(*args)
    check(rc == want_rc and err == want_err and out == "",
          "guidectl %s: exit %d %r, want %d %r" % (" ".join(args), rc, err, want_rc, want_err))


def socket_refused(d, line, want):
    """A client other than guidectl (no local checks) sends `line`."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(d.control)
    try:
        s.sendall(line.encode() + b"\n")
        r = json.loads(recv_line(s))
    finally:
        s.close()
    check(r.get("ok") is False and r.get("error") == want,
          "the daemon refuses '%s': %s, want %r" % (line, r, want))


def guided_lang_checked(env, drive):
    """guided --lang: the list is checked against the route before anything
    starts; exit 2 with the reason."""
    for i, (lang, start, why) in enumerate((
            ("zh,zh", True, "--lang zh,zh: language 'zh' listed twice"),
            ("zh,,en", True, "--lang zh,,en: an empty language in the list"),
            ("fr", True, "--lang fr: language 'fr' is not narrated by tour loop (it has zh, en)"),
            ("en,en", False, "--lang en,en: language 'en' listed twice"),
            ("ja", False,
             "--lang ja: language 'ja' is not narrated on route 798-751 "
             "(it has zh, en, fr, de, es, ru)"))):
        g = env.guided("nmea:" + drive, name="lang%d" % i, start=start, lang=lang)
        rc = g.wait(30)
        check(rc == 2, "guided --lang %s%s: exit %d, want 2" % (lang, " --start" * start, rc))
        check(why in g.stderr(), "guided --lang %s says why: %r" % (lang, g.stderr()[-300:]))
        check(not any(e["event"] == "tour_start" for e in g.read_events()),
              "guided --lang %s starts no tour" % lang)


def body(env):
    drive = env.make_track("drive.nmea", "--seed", 21, "--noise", 0, "--wait", 600)

    d = env.guided("nmea:" + drive, speed=20)
    d.wait_ready()

    # idle: nothing to pause, resume, stop, skip or replay
    for cmd in ("pause", "resume", "stop", "skip", "replay"):
        refused(d, [cmd], "guidectl: %s: %s\n" % (cmd, NO_TOUR))
    # what there is: the route's tours, a tour's languages
    refused(d, ["start", "nosuchtour"],
            "guidectl: start: no tour 'nosuchtour' in route 798-751 (tours: loop, all)\n")
    refused(d, ["start", "--lang", "fr"],
            "guidectl: start: language 'fr' is not narrated by tour loop (it has zh, en)\n")
    refused(d, ["lang", "ja"],
            "guidectl: lang: language 'ja' is not narrated on route 798-751 "
            "(it has zh, en, fr, de, es, ru)\n")
    # bad usage guidectl sees by itself: exit 2, the daemon is not asked
    for bad in ("150", "-5", "abc", "101", "4x"):
        refused(d, ["volume", bad], "guidectl: volume is 0-100, not '%s'\n" % bad, 2)
    refused(d, ["lang", "zh,zh"], "guidectl: lang: language 'zh' listed twice\n", 2)
    refused(d, ["lang", "zh,,en"],
            "guidectl: lang: an empty language in the list (a list such as zh,en)\n", 2)
    refused(d, ["start", "--lang", "en,zh,en"],
            "guidectl: start --lang: language 'en' listed twice\n", 2)
    refused(d, ["start", "loop", "other"],
            "guidectl: start [TOUR] [--lang L[,L]]: unexpected 'other'\n", 2)
    # ... and the daemon refuses the same from any other client
    socket_refused(d, "volume 150", "volume is 0-100, not '150'")
    socket_refused(d, "volume abc", "volume is 0-100, not 'abc'")
    socket_refused(d, "lang zh,zh", "language 'zh' listed twice")
    socket_refused(d, "start --lang zh,zh", "language 'zh' listed twice")
    st = d.status()
    check(st["state"] == "idle" and st["langs"] == [] and st["volume"] == 100,
          "nothing changed by the refusals: %s" % st)

    # running
    check(d.ok("start", "--lang", "zh,en").strip() == "tour loop started", "start")
    d.wait_event(ev("tour_start", tour="loop", lang=["zh", "en"]), 10, "tour_start")
    refused(d, ["resume"], "guidectl: resume: not paused: tour loop is running\n")
    refused(d, ["start"], "guidectl: start: tour loop is already running; stop it first\n")
    refused(d, ["lang", "zh,en,zh"], "guidectl: lang: language 'zh' listed twice\n", 2)
    socket_refused(d, "lang en,en", "language 'en' listed twice")
    refused(d, ["lang", "fr"],
            "guidectl: lang: language 'fr' is not narrated by tour loop (it has zh, en)\n")
    check(d.ok("pause").strip() == "paused", "pause")
    refused(d, ["pause"], "guidectl: pause: already paused\n")
    refused(d, ["replay"], "guidectl: replay: paused: resume first\n")
    d.ok("resume")
    check(d.status()["langs"] == ["zh", "en"], "languages unchanged by the refusals")
    check(d.ok("stop").strip() == "tour stopped", "stop")
    refused(d, ["stop"], "guidectl: stop: %s\n" % NO_TOUR)

    evs = d.read_events()
    for e in evs:
        if e["event"] in ("tour_start", "lang"):
            check(len(set(e["lang"])) == len(e["lang"]), "no language twice: %s" % e)
    check(not any(e["event"] == "lang" for e in evs), "no lang event from the refusals")
    d.check_exit(d.terminate(), "guided on SIGTERM")

    guided_lang_checked(env, drive)


main(body)
