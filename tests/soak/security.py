#!/usr/bin/env python3
"""The control socket refuses peers of other users with --control-same-user (issue 8).

usage: security.py GUIDED GUIDECTL GUIDE_ROUTE
Needs root (to run a client as `nobody`); exits 77 (skipped) otherwise.
guided runs as root in real time on the idle drive with --audio null; its
socket is opened to everyone (chmod 0666), so that only the peer check
stands between `nobody` and the daemon:
  --control-same-user   nobody: refused (guidectl exit 1); root: answered
  without it            nobody: answered (the refusal above is the option's)
The other security items are covered elsewhere: clip paths leaving the
route folder by tests/routes/fixtures/clip-*.yaml, lines over 1 KiB by
tests/test-control.c, -D_FORTIFY_SOURCE=2 -fstack-protector-strong in
meson.build.
"""
import os
import pwd
import shutil
import socket

from testlib import Skip, check, main, recv_line, track


def as_nobody():
    pw = pwd.getpwnam("nobody")
    os.setgroups([])
    os.setgid(pw.pw_gid)
    os.setuid(pw.pw_uid)


def raw_as_nobody(control):
    """The protocol spoken by a forked child that became nobody.  It connects
    by a path relative to the socket's folder, so that nobody needs no right
    on the folders above (a fresh Debian root's / is mode 700), and it needs
    no exec.  Returns the daemon's reply line ('' if it hung up)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        reply = b""
        try:
            os.chdir(os.path.dirname(control))
            as_nobody()
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
                c.settimeout(10)
                c.connect(os.path.basename(control))
                try:
                    c.sendall(b"status\n")
                except OSError:
                    pass  # refused and closed before our line: read the refusal
                reply = recv_line(c)
        except OSError as e:
            reply = ("error: %s" % e).encode()
        os.write(w, reply)
        os._exit(0)
    os.close(w)
    out = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        out += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return out.decode(errors="replace")


def session(env, exe, same_user):
    """guided with or without --control-same-user, asked by root and nobody;
    exe: a guidectl that nobody may run."""
    name = "same-user" if same_user else "any-user"
    d = env.guided("nmea:" + track("idle.nmea"), name=name, events=None,
                   extra=["--control-same-user"] if same_user else [])
    d.wait_ready()
    os.chmod(d.control, 0o666)
    rc, out, err = d.ctl("--json", "status", exe=exe, timeout=20)
    check(rc == 0 and '"ok":true' in out, f"root: {rc} {out} {err}")
    raw = raw_as_nobody(d.control)
    if same_user:
        check('"refused"' in raw, f"nobody not refused: {raw!r}")
    else:
        check('"ok":true' in raw, f"nobody without the option: {raw!r}")
    # guidectl itself, where nobody may run it from here
    try:
        nobody = d.ctl("--json", "status", exe=exe, timeout=20, preexec_fn=as_nobody)
    except PermissionError:
        nobody = None
    if nobody is not None and same_user:
        check(nobody[0] == 1 and "refused" in nobody[1] + nobody[2],
              f"nobody not refused: {nobody}")
    elif nobody is not None:
        check(nobody[0] == 0 and '"ok":true' in nobody[1],
              f"nobody without the option: {nobody}")
    # the daemon is unharmed by the refusal
    rc, out, err = d.ctl("--json", "status", exe=exe, timeout=20)
    check(rc == 0, f"root after nobody: {rc} {err}")
    d.check_exit(d.terminate(), name)


def body(env):
    if os.geteuid() != 0:
        raise Skip("not root: cannot run a client as another user")
    os.chmod(env.dir, 0o755)
    # a copy nobody may run, whatever the permissions of the build tree
    exe = env.path("guidectl")
    shutil.copy(env.guidectl_exe, exe)
    os.chmod(exe, 0o755)
    session(env, exe, True)
    session(env, exe, False)


main(body)
