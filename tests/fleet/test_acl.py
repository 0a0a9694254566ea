#!/usr/bin/env python3
"""The depot's broker as shipped (guide/fleet/broker/): a cart's login
writes only its own topics and reads only what is meant for it.

A private mosquitto from the shipped mosquitto.conf and acl (paths and
ports rewritten, fleetlib.Broker) with the accounts of the shipped
make-certs.sh.  The depot is a test subscriber on the loopback listener
(the depot's account, `guide/v1/#`).  Cart c01 publishes to c02's topics
and to the depot's (assign, routes, its own cmd): with MQTT 5 each PUBACK
says 135 (not authorized), with 3.1.1 the broker acknowledges and drops it;
in both cases the depot never gets it: it gets c01's own marker published
after them (one publisher's messages arrive in order), and nothing else.
"""

import os
import subprocess

from fleetlib import Broker, Subscriber, credentials, make_certs, mqtt, need
from testlib import check, main, wait_for

F = "798"


def pub(broker, creds, topic, payload, version="mqttv5", tls=False, retain=False,
        client_id="c01-test"):
    """mosquitto_pub -d, QoS 1: (exit status, the PUBACK's reason code or
    None, CONNACK's code or None, output)."""
    u, p = creds
    argv = ["mosquitto_pub", "-d", "-V", version, "-q", "1", "-h", "127.0.0.1",
            "-i", client_id, "-t", topic, "-m", payload]
    if u is not None:
        argv += ["-u", u, "-P", p]
    if tls:
        argv += ["-p", str(broker.tls_port), "--cafile", os.path.join(broker.certs, "ca.crt")]
    else:
        argv += ["-p", str(broker.port)]
    if retain:
        argv.append("-r")
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    out = r.stdout + r.stderr
    rc_puback = rc_connack = None
    for line in out.splitlines():
        if "received PUBACK" in line and "RC:" in line:
            rc_puback = int(line.split("RC:")[1].rstrip(")"))
        elif "received PUBACK" in line:
            rc_puback = 0
        if "received CONNACK" in line:
            rc_connack = int(line.split("(")[1].split(")")[0])
    return r.returncode, rc_puback, rc_connack, out


def body(env):
    need("mosquitto", "mosquitto_pub")
    certs = make_certs(env, ["c01", "c02"])
    broker = Broker(env, certs).start()
    c01 = credentials(os.path.join(certs, "c01.credentials"))
    c02 = credentials(os.path.join(certs, "c02.credentials"))
    depot_login = credentials(os.path.join(certs, "depot.credentials"))
    check(c01[0] == "c01" and depot_login[0] == "depot", "make-certs.sh: the logins' user names")
    depot = Subscriber(broker, *depot_login, ["guide/v1/#"])

    # what c01 may not write: another cart's topics, the depot's topics
    foreign = ["guide/v1/%s/c02/events" % F, "guide/v1/%s/c02/state" % F,
               "guide/v1/%s/c02/cmd/reply" % F, "guide/v1/%s/c02/route/status" % F,
               "guide/v1/%s/c01/cmd" % F, "guide/v1/%s/c01/assign" % F,
               "guide/v1/%s/c02/cmd" % F, "guide/v1/%s/assign" % F,
               "guide/v1/%s/routes/loop" % F, "guide/v1/other/c02/events",
               "guide/v1/%s/c02/events/x" % F]
    for t in foreign:
        for version in ("mqttv5", "mqttv311"):
            rc, puback, connack, out = pub(broker, c01, t, '{"forged":"%s %s"}' % (t, version),
                                           version)
            check(connack == 0, "%s: c01 connects (%s):\n%s" % (version, t, out))
            if version == "mqttv5":
                check(puback == 135, "MQTT 5: c01 publishing to %s: PUBACK 135 (not "
                      "authorized), got %s:\n%s" % (t, puback, out))
            else:
                check(puback == 0, "MQTT 3.1.1: c01 publishing to %s: acknowledged and "
                      "dropped (PUBACK), got %s" % (t, puback))
    # the same forged event with the retain flag (a retained lie would stay)
    pub(broker, c01, "guide/v1/%s/c02/state" % F, '{"forged":"retained"}', retain=True)
    # what c01 may write
    own = ["guide/v1/%s/c01/events" % F, "guide/v1/%s/c01/state" % F,
           "guide/v1/%s/c01/cmd/reply" % F, "guide/v1/%s/c01/route/status" % F]
    for t in own:
        rc, puback, connack, out = pub(broker, c01, t, '{"own":"%s"}' % t)
        check(rc == 0 and puback in (0, 16), "c01 publishing to its own %s: PUBACK 0 or 16 "
              "(no subscriber), got %s:\n%s" % (t, puback, out))
    # over TLS the same rules (one listener's settings for both)
    rc, puback, connack, out = pub(broker, c01, "guide/v1/%s/c02/events" % F,
                                   '{"forged":"tls"}', tls=True)
    check(connack == 0 and puback == 135, "TLS: c01 to c02's events: PUBACK 135, got %s %s"
          % (connack, puback))
    pub(broker, c01, "guide/v1/%s/c01/events" % F, '{"marker":1}', version="mqttv311")

    def marker():
        return any(m[1] == b'{"marker":1}' for m in depot.take())
    wait_for(marker, 20, "c01's marker at the depot")
    got = depot.take()
    forged = [m for m in got if b"forged" in m[1]]
    check(not forged, "the depot never gets what c01 wrote to others' topics: got %s" % forged)
    got_topics = sorted(m[0] for m in got)
    check(got_topics == sorted(own + ["guide/v1/%s/c01/events" % F]),
          "the depot gets c01's own messages and nothing else: %s" % got_topics)

    # logins: no anonymous client, no wrong password, no cart as another cart
    for tls in (False, True):
        rc, puback, connack, out = pub(broker, (None, None), "guide/v1/%s/c01/events" % F,
                                       "{}", tls=tls)
        check(rc != 0 and connack != 0 and puback is None,
              "anonymous refused on the %s listener: %s" % ("TLS" if tls else "loopback", out))
        rc, puback, connack, out = pub(broker, ("c01", c02[1]), "guide/v1/%s/c01/events" % F,
                                       "{}", tls=tls)
        check(rc != 0 and connack != 0 and puback is None,
              "c01 with c02's password refused (%s): %s" % ("TLS" if tls else "loopback", out))

    # what c01 reads: its commands, its and the fleet's assignment, the route
    # manifests; never c02's commands or events, nor the depot's other topics
    got_c01 = []
    cart = mqtt.Client(client_id="c01-reader", clean_session=True)
    cart.username_pw_set(*c01)
    cart.on_message = lambda c, u, m: got_c01.append((m.topic, m.payload))
    subacks = []
    cart.on_subscribe = lambda c, u, mid, granted: subacks.append(granted)
    cart.connect("127.0.0.1", broker.port)
    cart.loop_start()
    try:
        cart.subscribe("guide/v1/#", 1)
        wait_for(lambda: subacks, 20, "c01's SUBACK")
        pub(broker, c02, "guide/v1/%s/c02/events" % F, '{"c02":"events"}', client_id="c02-t")
        for t, retain in (("guide/v1/%s/c02/cmd" % F, False), ("guide/v1/%s/c02/assign" % F, True),
                          ("guide/v1/%s/assign" % F, True), ("guide/v1/%s/routes/loop" % F, True),
                          ("guide/v1/%s/c01/assign" % F, True), ("guide/v1/%s/c01/cmd" % F, False)):
            rc, puback, connack, out = pub(broker, depot_login, t, '{"to":"%s"}' % t,
                                           retain=retain, client_id="depot-t")
            check(rc == 0 and puback in (0, 16), "the depot writes %s: %s" % (t, out))
        wait_for(lambda: any(m[0].endswith("c01/cmd") for m in got_c01), 20, "c01's command")
        topics = sorted(m[0] for m in got_c01)
        want = sorted(["guide/v1/%s/assign" % F, "guide/v1/%s/routes/loop" % F,
                       "guide/v1/%s/c01/assign" % F, "guide/v1/%s/c01/cmd" % F])
        check(topics == want, "c01 reads its own, the fleet's and nothing of c02: %s, want %s"
              % (topics, want))
    finally:
        cart.disconnect()
        cart.loop_stop()
    depot.close()


main(body)
