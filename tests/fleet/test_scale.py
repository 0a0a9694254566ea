#!/usr/bin/env python3
"""20 carts report to one broker, through a broker restart, an agent's
kill -9 and 60 s with the broker unreachable: every event line of every
cart arrives exactly once after de-duplication by (cart, log, seq).

Each cart is a guided replaying its own drive (`guide-route track --seed
N`) at --speed SPEED with the null sink, its own event log and control
socket, and its guide-fleet with its own spool, login (make-certs.sh) and
the shipped broker configuration's loopback listener (the ACL applies: each
agent writes as its cart).  The depot is a test subscriber with a durable
session.  The faults, in this order, each once every cart has sent more:
the broker stopped (SIGTERM: it saves its sessions) and started on the same
ports; cart 3's agent killed with SIGKILL and started again on its spool;
the broker stopped for 60 s of real time (the tours may end meanwhile: the
agents spool) and started.  Then every agent must drain its backlog.

Arguments after the three programs: GUIDE_FLEET [CARTS [SPEED [OUTAGE_S]]].
"""

import os
import time

from fleetlib import (Agent, Broker, Subscriber, compare_cart, credentials, fleet_exe,
                      make_certs, need, read_log, received_events)
from testlib import Deadline, Fatal, check, main, wait_for

F = "798"


def body(env):
    need("mosquitto")
    exe = fleet_exe(env)
    n = int(env.args[1]) if len(env.args) > 1 else 20
    speed = float(env.args[2]) if len(env.args) > 2 else 50
    outage_s = float(env.args[3]) if len(env.args) > 3 else 60
    carts = ["c%02d" % (i + 1) for i in range(n)]
    certs = make_certs(env, carts)
    broker = Broker(env, certs).start()
    depot = Subscriber(broker, *credentials(os.path.join(certs, "depot.credentials")),
                       ["guide/v1/%s/+/events" % F])
    t0 = time.monotonic()
    guided, agents = {}, {}
    for i, c in enumerate(carts):
        drive = env.make_track(c + ".nmea", "--seed", i + 1)
        guided[c] = env.guided("nmea:" + drive, name=c, speed=speed, start=True)
    for c in carts:
        agents[c] = Agent(env, exe, broker.url(), F, c, guided[c].events_path, guided[c].control,
                          creds=os.path.join(certs, c + ".credentials"))

    def per_cart():
        got = received_events(depot.take(), F)
        return {c: sum(len(v) for v in got.get(c, {}).values()) for c in carts}

    def every_cart_more(base, more, what, timeout=60):
        def ok():
            for c in carts:
                if not agents[c].alive():
                    raise Fatal("%s's agent exited with %s %s:\n%s"
                                % (c, agents[c].proc.returncode, what, agents[c].stderr()[-2000:]))
            now = per_cart()
            return all(now[c] >= base[c] + more for c in carts) and now
        return wait_for(ok, timeout, "every cart's events to reach the depot " + what, step=0.1)

    zero = {c: 0 for c in carts}
    seen = every_cart_more(zero, 20, "at the start")
    print("%.1f s: every cart has sent 20 events; broker restart" % (time.monotonic() - t0))
    broker.stop()
    broker.start()
    seen = every_cart_more(seen, 30, "after the broker's restart")
    print("%.1f s: after the restart; kill -9 of c03's agent" % (time.monotonic() - t0))
    victim = carts[2 % n]
    agents[victim].kill9()
    others = [c for c in carts if c != victim]
    wait_for(lambda: all(per_cart()[c] >= seen[c] + 10 for c in others), 60,
             "the other carts to go on")
    agents[victim].start()
    seen = every_cart_more(seen, 30, "after the agent's kill -9")
    print("%.1f s: c03's agent back; broker down for %g s" % (time.monotonic() - t0, outage_s))
    broker.stop()
    outage = Deadline(outage_s, "the outage")
    while not outage.expired():  # the outage is real time: watch the agents meanwhile
        for c in carts:
            if not agents[c].alive():
                raise Fatal("%s's agent exited with %s while the broker was down:\n%s"
                            % (c, agents[c].proc.returncode, agents[c].stderr()[-2000:]))
        time.sleep(min(0.5, outage.left()))
    tours_over = sum(1 for c in carts if guided[c].proc.poll() is not None)
    print("%.1f s: broker back (%d of %d tours over)" % (time.monotonic() - t0, tours_over, n))
    broker.start()
    back = time.monotonic()
    for c in carts:
        check(guided[c].wait(240) == 0, "%s: guided exits 0 at the end of its drive" % c)
    print("%.1f s: every tour over" % (time.monotonic() - t0))

    logs = {c: read_log(guided[c].events_path) for c in carts}

    def drained():
        got = received_events(depot.take(), F)
        quiet = lambda cond, what: bool(cond)  # noqa: E731 (no check while waiting)
        if all(compare_cart(c, logs[c], got.get(c, {}), quiet)[2] == 0 for c in carts):
            return got
        return None
    try:
        got = wait_for(drained, 120, "every cart's backlog at the depot", step=0.5)
    except Fatal as e:
        check(False, str(e))
        got = received_events(depot.take(), F)
    print("%.1f s: drained %.1f s after the broker came back"
          % (time.monotonic() - t0, time.monotonic() - back))
    total = copies = 0
    for c in carts:
        e, k, _ = compare_cart(c, logs[c], got.get(c, {}), check)
        total += e
        copies += k
    print("%d carts: %d lines expected, %d messages (%d duplicates), %d log lines in all"
          % (n, total, copies, copies - total, sum(len(v) for v in logs.values())))
    for c in carts:
        rc = agents[c].stop()
        check(rc == 0, "%s's agent exits 0 on SIGTERM (got %s)" % (c, rc))
    depot.close()


main(body)
