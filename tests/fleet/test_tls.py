#!/usr/bin/env python3
"""One cart over mqtts: guide-fleet with the test CA (--ca) and its login
(--credentials) through the shipped broker configuration's TLS listener.

- credentials readable by the group: the agent refuses to start (exit 1,
  "readable by others") and the broker never sees a login of the cart;
- mode 600: every event line of a tour reaches the depot (a test
  subscriber on the loopback listener), the broker's log shows the cart
  logged in on the TLS port as itself;
- a CA that did not sign the broker's certificate: no login (the TLS
  handshake fails; the broker logs it), nothing reaches the depot.
"""

import os
import re

from fleetlib import (Agent, Broker, Subscriber, compare_cart, credentials, fleet_exe,
                      make_certs, need, read_log, received_events)
from testlib import check, main, wait_for

F = "798"


def body(env):
    need("mosquitto")
    exe = fleet_exe(env)
    certs = make_certs(env, ["c01", "c02"])
    other = make_certs(env, [], "other-ca")
    broker = Broker(env, certs).start()
    depot = Subscriber(broker, *credentials(os.path.join(certs, "depot.credentials")),
                       ["guide/v1/%s/#" % F])
    drive = env.make_track("drive.nmea", "--seed", 7)
    g = env.guided("nmea:" + drive, name="c01", speed=100, start=True)
    creds = os.path.join(certs, "c01.credentials")
    ca = os.path.join(certs, "ca.crt")

    # group-readable credentials: refused before any connection
    os.chmod(creds, 0o640)
    a = Agent(env, exe, broker.url(tls=True), F, "c01", g.events_path, g.control, creds=creds,
              ca=ca)
    rc = a.proc.wait(timeout=30)
    check(rc == 1, "guide-fleet with a group-readable --credentials exits 1 (got %d)" % rc)
    check("readable by others" in a.stderr(), "it says why:\n" + a.stderr()[-1000:])
    check("u'c01'" not in broker.log_text(), "the broker never saw c01 log in")

    # mode 600: over TLS, every line
    os.chmod(creds, 0o600)
    a.start()
    check(g.wait(120) == 0, "guided's tour ends")
    log = read_log(g.events_path)

    def all_in():
        got = received_events(depot.take(), F).get("c01", {})
        quiet = lambda cond, what: bool(cond)  # noqa: E731
        return compare_cart("c01", log, got, quiet)[2] == 0 and got
    got = wait_for(all_in, 60, "c01's events over TLS", step=0.2)
    e, k, _ = compare_cart("c01", log, got, check)
    print("c01 over TLS: %d lines expected, %d messages" % (e, k))
    text = broker.log_text()
    m = re.search(r"New connection from 127\.0\.0\.1:(\d+) on port (\d+)\.\n"
                  r"New client connected from 127\.0\.0\.1:\1 as (\S+) \(p\d, c\d, k\d+, "
                  r"u'c01'\)", text)
    check(m and int(m.group(2)) == broker.tls_port,
          "the broker logs c01's login on its TLS port %d:\n%s" % (broker.tls_port, text[-1500:]))
    state = [p for t, p, r in depot.take() if t == "guide/v1/%s/c01/state" % F]
    check(state, "c01's state reached the depot over TLS")
    check(a.stop() == 0, "guide-fleet exits 0 on SIGTERM")

    # a CA that did not sign the broker's certificate: the handshake fails
    g2 = env.guided("nmea:" + drive, name="c02", speed=100, start=True)
    before = len(broker.log_text())
    b = Agent(env, exe, broker.url(tls=True), F, "c02", g2.events_path, g2.control,
              creds=os.path.join(certs, "c02.credentials"), ca=os.path.join(other, "ca.crt"))

    def refused():
        new = broker.log_text()[before:]
        return "New connection from" in new and ("OpenSSL Error" in new or "failed" in new)
    wait_for(refused, 30, "the broker to see c02's TLS handshake fail")
    print("the broker on c02's handshake:\n" + broker.log_text()[before:][:600])
    # (the agent's own log says nothing of the failed handshake yet: see the
    # fleet helper's notes; not checked here)
    check(g2.wait(120) == 0, "c02's tour ends")
    check(b.alive(), "guide-fleet keeps trying (and spooling) with a CA that does not match")
    text = broker.log_text()
    check("u'c02'" not in text, "c02 never logged in with the wrong CA")
    check(not received_events(depot.take(), F).get("c02"), "nothing of c02 at the depot")
    b.stop()
    depot.close()


main(body)
