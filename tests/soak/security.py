#!/usr/bin/env python3
"""The control socket refuses peers of other users with --control-same-user (issue 8).

usage: security.py GUIDED GUIDECTL SOURCE_ROOT
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
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import guidedrun  # noqa: E402
from guidedrun import check  # noqa: E402

GUIDED, GUIDECTL, ROOT = sys.argv[1:4]
ROUTE = os.path.join(ROOT, "routes/798-751/route.yaml")
IDLE = os.path.join(ROOT, "routes/798-751/tracks/idle.nmea")


def as_nobody():
    pw = pwd.getpwnam("nobody")
    os.setgroups([])
    os.setgid(pw.pw_gid)
    os.setuid(pw.pw_uid)


def ctl(exe, control, user_fn=None):
    return subprocess.run([exe, "--control", control, "--json", "status"], capture_output=True,
                          text=True, timeout=20, preexec_fn=user_fn)


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
                while not reply.endswith(b"\n"):
                    chunk = c.recv(4096)
                    if not chunk:
                        break
                    reply += chunk
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


def session(tmp, exe, same_user):
    control = os.path.join(tmp, "control")
    args = [GUIDED, "--route", ROUTE, "--gps", "nmea:" + IDLE, "--audio", "null",
            "--control", control]
    if same_user:
        args.append("--control-same-user")
    d = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(200):
            if os.path.exists(control):
                break
            time.sleep(0.05)
        check(os.path.exists(control), "no control socket")
        os.chmod(control, 0o666)
        root = ctl(exe, control)
        check(root.returncode == 0 and '"ok":true' in root.stdout,
              f"root: {root.returncode} {root.stdout} {root.stderr}")
        raw = raw_as_nobody(control)
        if same_user:
            check('"refused"' in raw, f"nobody not refused: {raw!r}")
        else:
            check('"ok":true' in raw, f"nobody without the option: {raw!r}")
        # guidectl itself, where nobody may run it from here
        try:
            nobody = ctl(exe, control, as_nobody)
        except PermissionError:
            nobody = None
        if nobody is not None and same_user:
            check(nobody.returncode == 1 and "refused" in nobody.stdout + nobody.stderr,
                  f"nobody not refused: {nobody.returncode} {nobody.stdout} {nobody.stderr}")
        elif nobody is not None:
            check(nobody.returncode == 0 and '"ok":true' in nobody.stdout,
                  f"nobody without the option: {nobody.returncode} {nobody.stdout} "
                  f"{nobody.stderr}")
        # the daemon is unharmed by the refusal
        again = ctl(exe, control)
        check(again.returncode == 0, f"root after nobody: {again.returncode}")
    finally:
        d.terminate()
        _, err = d.communicate(timeout=30)
    check(d.returncode == 0, f"guided exit {d.returncode}: {err[-800:]}")
    for bad in ("runtime error", "AddressSanitizer", "LeakSanitizer"):
        check(bad not in err, f"sanitizer report: {err[-1500:]}")


def main():
    if os.geteuid() != 0:
        print("not root: cannot run a client as another user; skipped")
        return 77
    tmp = tempfile.mkdtemp(prefix="guide-sec-")
    try:
        os.chmod(tmp, 0o755)
        # a copy nobody may run, whatever the permissions of the build tree
        exe = os.path.join(tmp, "guidectl")
        shutil.copy(GUIDECTL, exe)
        os.chmod(exe, 0o755)
        session(tmp, exe, True)
        session(tmp, exe, False)
    finally:
        shutil.rmtree(tmp)
    if guidedrun.failures:
        print(f"{guidedrun.failures} failure(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
