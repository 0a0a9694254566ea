#!/usr/bin/env python3
"""A power cut: guided is killed with SIGKILL mid-story, then started again
with the same --state on the rest of the drive.  It comes back in the same
tour and languages without a welcome, no stop is told twice across the two
event logs, and the later stops still play."""

import collections

from testlib import check, ev, event_time, main, nmea_secs, secs_of_day, wait_for


def rest_of_drive(src, dst, from_secs):
    """The sentences at or after from_secs (the drive stays within one day)."""
    kept = 0
    with open(src) as f, open(dst, "w") as out:
        for line in f:
            t = nmea_secs(line)
            if t is not None and t >= from_secs:
                out.write(line)
                kept += 1
    return kept


def body(env):
    state = env.path("guide.state")
    drive = env.make_track("drive.nmea", "--seed", 7, "--noise", 0, "--wait", 100)

    # first life: welcome skipped, the gate skipped, 798 Space starts, power cut
    d1 = env.guided("nmea:" + drive, name="d1", speed=20, start=True, lang="en",
                    state=state)
    d1.wait_ready()
    d1.wait_event(ev("clip_start", poi="welcome", lang="en"), 10, "welcome")
    d1.ok("skip")  # the welcome, then the safety announcement
    d1.wait_event(ev("clip_start", poi="safety", lang="en"), 10, "safety")
    d1.ok("skip")
    d1.wait_event(ev("clip_start", poi="gate", lang="en"), 10, "gate")
    d1.ok("skip")
    d1.wait_event(ev("clip_end", poi="gate", completed=False), 10, "gate cut")
    d1.wait_event(ev("clip_start", poi="space798", lang="en"), 60, "798 Space")
    wait_for(lambda: "played space798" in open(state).read(), 10, "the state on disk")
    d1.kill9()
    with open(state) as f:
        saved = f.read()
    check("tour loop" in saved and "state running" in saved and "langs en" in saved,
          "the state names tour, state and languages: %r" % saved)
    check("played gate" in saved and "played space798" in saved,
          "the state lists the stops told: %r" % saved)
    evs1 = d1.read_events()
    fixes = [e for e in evs1 if e["event"] == "gps_fix"]
    check(len(fixes) > 0, "fixes before the power cut")
    cut_at = secs_of_day(event_time(evs1[-1]))

    # second life: the rest of the drive, the same state file, no --start
    rest = env.path("rest.nmea")
    check(rest_of_drive(drive, rest, cut_at) > 100, "a rest of the drive")
    d2 = env.guided("nmea:" + rest, name="d2", speed=20, state=state, config=True)
    st = d2.wait_ready()
    check(st["state"] == "running" and st["tour"] == "loop" and st["langs"] == ["en"],
          "back in the tour after the restart: %s" % st)
    wait_for(lambda: "back in tour loop after a restart (2 stops already told)" in d2.stderr(),
             10, "the restart logged")
    i_later, e_later = d2.wait_event(
        lambda e: e["event"] == "clip_start" and e["poi"] not in ("gate", "space798"), 60,
        "a later stop playing after the restart")
    check(e_later["lang"] == "en", "in the saved language: %s" % e_later)
    d2.check_exit(d2.terminate(), "guided on SIGTERM")

    evs2 = d2.read_events()
    count = collections.Counter((e["poi"], e["lang"]) for e in evs1 + evs2
                                if e["event"] == "clip_start")
    twice = [k for k, n in count.items() if n > 1]
    check(not twice, "no clip started twice across both lives: %s" % twice)
    check(not any(e["event"] == "clip_start" and e["poi"] in ("welcome", "safety")
                  for e in evs2), "no welcome after the restart")
    # the same tour goes on: tour_resume with what was heard, no second tour_start
    resumes = [e for e in evs2 if e["event"] == "tour_resume"]
    check(len(resumes) == 1 and resumes[0]["tour"] == "loop"
          and sorted(resumes[0]["played"]) == ["gate", "space798"],
          "tour_resume after the restart: %s" % resumes)
    check(not any(e["event"] == "tour_start" for e in evs2), "no tour_start after the restart")
    check(any(ev("clip_skip", poi="space798", reason="played_once")(e) for e in evs2),
          "798 Space, still around the cart, is passed over as told: %s"
          % [e for e in evs2 if e["event"] == "clip_skip"])
    told = {e["poi"] for e in evs1 if e["event"] == "clip_start"}
    wrong = [e for e in evs2 if e["event"] == "clip_skip" and e["poi"] in told
             and e["reason"] != "played_once"]
    check(not wrong, "stops told before the crash are not reported missed: %s" % wrong)


main(body)
