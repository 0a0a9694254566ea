#!/usr/bin/env python3
"""guided --status (issue 13): the live line and the log lines never share a
line.  On a terminal (a pty here) the live line is cleared before a log line
and drawn again after it; when stderr is a file there are no escape codes
and no carriage returns, each status a whole line of its own.  A real-time
replay at 20x: a cold start (position, lost, position again) logs lines
while the welcome plays in the live line."""

import os
import pty
import re
import select
import signal

from testlib import Deadline, Fatal, check, main, nmea_secs

# 20:50:11  running      0/3247  m  welcome                    [en]
STATUS = re.compile(r"^\d\d:\d\d:\d\d  \S+ +\d+/\d+ +m  \S+( +\[[a-z]*\])?$")
LOG = re.compile(r"^(gps: |ready: |event log |SIGTERM: |warning: |audio: |summary)")


def head_of_drive(env, secs):
    """The first secs seconds of a drive: a fix, the cold start's no-fix
    epochs, fixes again."""
    drive = env.make_track("drive.nmea", "--seed", 11, "--noise", 0, "--wait", 60)
    out = env.path("head.nmea")
    with open(drive) as f, open(out, "w") as o:
        lines = [ln for ln in f if nmea_secs(ln) is not None]
        t0 = nmea_secs(lines[0])
        o.writelines(ln for ln in lines if nmea_secs(ln) - t0 < secs)
    return out


def argv(env, head, tag):
    return [env.guided_exe, "--route", env_route(), "--gps", "nmea:" + head, "--audio", "null",
            "--speed", "20", "--start", "--lang", "en", "--status",
            "--control", env.path(tag + ".sock")]


def env_route():
    from testlib import ROUTE
    return ROUTE


def screen_rows(data):
    """What a terminal shows: \\r goes to column 0, ESC[K clears to the end
    of the line, \\n ends a row."""
    rows, row, col, i = [], [], 0, 0
    while i < len(data):
        c = data[i]
        if data.startswith("\x1b[K", i):
            del row[col:]
            i += 3
            continue
        if c == "\r":
            col = 0
        elif c == "\n":
            rows.append("".join(row))
            row, col = [], 0
        else:
            if col < len(row):
                row[col] = c
            else:
                row.append(c)
            col += 1
        i += 1
    if row:
        rows.append("".join(row))
    return rows


def run_until_replay_end(proc, read, what):
    """Collect what guided writes until the replay ends, then SIGTERM it."""
    out, sent = "", False
    dl = Deadline(60, what)
    while True:
        chunk = read(0.2)
        if chunk is None:
            break
        out += chunk
        if not sent and "end of the replay" in out:
            os.kill(proc.pid, signal.SIGTERM)
            sent = True
        if dl.expired():
            raise Fatal("%s: no end of the replay within 60 s:\n%r" % (what, out[-2000:]))
    proc.wait(timeout=30)
    return out


def check_rows(rows, what):
    mixed = [r for r in rows if r and not STATUS.match(r.rstrip()) and not LOG.match(r)]
    check(not mixed, "%s: a status and a log message share a line: %r" % (what, mixed[:3]))
    check(any(STATUS.match(r.rstrip()) for r in rows), "%s: status lines shown: %r" % (what, rows[:5]))
    check(sum(r.startswith("gps: position") for r in rows) >= 2,
          "%s: the log lines shown: %r" % (what, rows[:10]))


def body(env):
    head = head_of_drive(env, 200)

    # stderr a file: plain lines
    path = env.path("file.stderr")
    with open(path, "wb") as err:
        p = env.spawn(argv(env, head, "file"), stdin=open(os.devnull), stdout=open(os.devnull, "w"),
                      stderr=err)
    pos = [0]

    def read_file(timeout):
        if p.poll() is not None:
            with open(path, "rb") as f:
                f.seek(pos[0])
                rest = f.read().decode()
            pos[0] += len(rest)
            return rest or None
        select.select([], [], [], timeout)
        with open(path, "rb") as f:
            f.seek(pos[0])
            data = f.read()
        pos[0] += len(data)
        return data.decode("utf-8", "replace")

    text = run_until_replay_end(p, read_file, "stderr a file")
    check(p.returncode == 0, "guided exit %s" % p.returncode)
    check("\x1b" not in text and "\r" not in text,
          "no escape codes or carriage returns in a file: %r" % text[:300])
    rows = text.split("\n")
    check_rows(rows, "stderr a file")
    n_status = sum(bool(STATUS.match(r)) for r in rows)
    check(n_status < 12, "a file gets a status line on a change or every 10 s, "
          "not twice a second: %d lines" % n_status)

    # stderr a terminal: the live line is cleared for a log line, then redrawn
    master, slave = pty.openpty()
    p = env.spawn(argv(env, head, "tty"), stdin=open(os.devnull), stdout=open(os.devnull, "w"),
                  stderr=slave)
    os.close(slave)

    def read_pty(timeout):
        r, _, _ = select.select([master], [], [], timeout)
        if not r:
            return "" if p.poll() is None else None
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the other end is closed
            return None
        return data.decode("utf-8", "replace") if data else None

    text = run_until_replay_end(p, read_pty, "stderr a terminal")
    os.close(master)
    check(p.returncode == 0, "guided exit %s" % p.returncode)
    rows = screen_rows(text)
    check_rows(rows, "stderr a terminal")
    # each log line printed while the status showed: cleared before, redrawn after
    for m in re.finditer(r"gps: position[^\r\n]*\r?\n", text):
        before, after = text[:m.start()], text[m.end():]
        if "\x1b[K" in before:
            check(before.endswith("\r\x1b[K"), "the status cleared before %r: %r"
                  % (m.group(0), before[-80:]))
            check(STATUS.match(after.split("\r")[0].split("\x1b")[0].rstrip() or "-")
                  or after.startswith("\r"),
                  "the status drawn again after %r: %r" % (m.group(0), after[:80]))


main(body)
