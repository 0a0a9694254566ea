#!/usr/bin/env python3
"""One honest event log across restarts (issue 13, DESIGN.md "Event
numbering"): the log opens with log_open and a random id, every line carries
seq (1, 2, ...), and a guided that appends to the same file after a restart
goes on with the same id and the next seq, its time never going back, even
when the file's tail was lost in a power cut (the state file kept the seq)
or the last line was cut short.  A new file is a new log.  Offline replays:
no wall clock."""

import json
import os

from testlib import check, check_exit, check_time_order, main


def life(env, drive, events, state, tag):
    """guided --offline on the drive to its end, appending to `events`."""
    g = env.guided("nmea:" + drive, name=tag, offline=True, start=True, control=False,
                   state=state, events=None, extra=["--events", events])
    check_exit(g.wait(300), g.stderr(), tag)
    return g


def read_log(path):
    """(the parsed lines, the lines that are not JSON objects)"""
    good, bad = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                good.append(json.loads(line))
            except ValueError:
                bad.append(line)
    return good, bad


def body(env):
    drive = env.make_track("drive.nmea", "--seed", 5, "--noise", 0)
    events, state = env.path("events.jsonl"), env.path("guide.state")

    # first life: a new log
    life(env, drive, events, state, "life1")
    evs1, _ = read_log(events)
    check(evs1 and evs1[0]["event"] == "log_open", "the log opens with log_open: %s" % evs1[:1])
    log_id = evs1[0].get("log", "")
    check(len(log_id) == 32 and all(c in "0123456789abcdef" for c in log_id),
          "a random 128-bit id: %r" % log_id)
    check([e.get("seq") for e in evs1] == list(range(1, len(evs1) + 1)),
          "seq 1, 2, ... on every line")
    check("seq %d\n" % len(evs1) in open(state).read(), "the state keeps the last seq")

    # second life, same file: the same drive again, so its clock starts
    # before the log's last line (as a board's clock without a battery does)
    life(env, drive, events, state, "life2")
    evs2, _ = read_log(events)
    check(sum(e["event"] == "log_open" for e in evs2) == 1, "no second log_open")
    check([e.get("seq") for e in evs2] == list(range(1, len(evs2) + 1)),
          "seq goes on across the restart: %s" % [e.get("seq") for e in evs2[len(evs1) - 1:len(evs1) + 2]])
    check(len(evs2) > len(evs1) + 100, "the second life logged")
    check_time_order(evs2, "across a restart")

    # a power cut: the log lost its last 5 lines (not yet on the card) and
    # the line being written was cut; the state file (fsynced) kept the seq
    with open(events, "rb") as f:
        lines = f.read().splitlines(keepends=True)
    last_seq = len(lines)
    with open(events, "wb") as f:
        f.writelines(lines[:-5])
        f.write(lines[-5][:30])
    life(env, drive, events, state, "life3")
    evs3, bad = read_log(events)
    cut = lines[-5][:30].decode() + "\n"
    check(bad == [cut], "the cut line is ended, nothing glued to it: %r" % bad)
    seqs = [e.get("seq") for e in evs3]
    new = seqs[last_seq - 5:]
    check(new and new[0] == last_seq + 1 and new == list(range(last_seq + 1, last_seq + 1 + len(new))),
          "seq goes on from the state's %d, never repeating a lost one: %s" % (last_seq, new[:3]))
    check(len(set(seqs)) == len(seqs), "no seq twice in the log")
    check(evs3[0].get("log") == log_id and sum(e["event"] == "log_open" for e in evs3) == 1,
          "the same log")
    check_time_order(evs3, "after a power cut")

    # a new card: a new file is a new log, whatever the state says
    events2 = env.path("events-new.jsonl")
    life(env, drive, events2, state, "life4")
    evs4, _ = read_log(events2)
    check(evs4[0]["event"] == "log_open" and evs4[0].get("seq") == 1 and evs4[0].get("log") != log_id,
          "a new file: log_open, seq 1, a new id: %s" % evs4[:1])
    check([e.get("seq") for e in evs4] == list(range(1, len(evs4) + 1)), "numbered from 1")
    # an empty file too
    open(events, "w").close()
    life(env, drive, events, state, "life5")
    evs5, _ = read_log(events)
    check(evs5[0]["event"] == "log_open" and evs5[0].get("seq") == 1
          and evs5[0].get("log") not in (log_id, evs4[0].get("log")), "an emptied file: a new log")


main(body)
