#!/usr/bin/env python3
"""Calls through sipshunt in each deployment shape (README.md "Deployment shapes"; the topologies
are in shapes.py): test_shapes.py SIPSHUNT SHAPE, SHAPE one of one-armed, two-armed,
two-armed-v6-v4, two-armed-v6, vlan-trunk.

1. The routing proof, with user agents that route as RFC 3261 requires (sipua.py: responses to
   the top Via, in-dialog requests through the Record-Route set): calls the caller hangs up, calls
   the backend hangs up, calls the caller cancels while they ring. Every call completes at both
   ends, every Call-ID stays on one backend, the backends see our farm-side address in the Via on
   top and in the Record-Route (two entries when the request crossed networks, farm side on top,
   both with the backend's pin: RFC 3261 §16.6 step 4, RFC 5658), the client sees our client-side
   address (its ACK and BYE go there, the backend's BYE comes with it in Via), and each side hears
   from us only from our address on its side.
2. Load with sipp (which answers to the packet's source, so it would hide a wrong Via): a few
   calls each of the caller hanging up, the backend hanging up, and CANCEL; every call succeeds
   and each Call-ID's requests reach one backend (the backends' own message logs).
A few calls per case, tight timeouts: each case takes well under a minute.
"""
import json
import os
import sys
import time

from harness import Failure, check, main, sipplog
from shapes import SHAPES, ShapeEnv, hostport, same_address

SIPUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sipua.py")
PLANS = ["answer", "hangup", "ring"] * 3
SIPP_PHASES = [  # backend scenario, caller scenario, calls
    ("uas.xml", "uac.xml", 9),
    ("uas_bye.xml", "uac_bye_in.xml", 6),
    ("uas_cancel.xml", "uac_cancel.xml", 6),
]


def stop(procs):
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        p.wait(timeout=15)


def load(path):
    with open(path) as f:
        return json.load(f)


def expected_record_route(env, backend):
    """What our Record-Route must say, top first, as the backend receives it."""
    sides = [env.proxy_hostport("farm"), env.proxy_hostport("client")] if env.two_armed else [env.proxy_hostport("client")]
    return [{"hostport": s, "lr": True, "pin": backend} for s in sides]


def rr_equal(got, want):
    return len(got) == len(want) and all(
        same_address(g["hostport"], w["hostport"]) and g["lr"] == w["lr"] and g["pin"] == w["pin"]
        for g, w in zip(got, want))


def user_agents(env):
    shape = env.shape
    uas = [env.popen(env.ns(i), [sys.executable, SIPUA, "uas", "--bind", env.backend_ip(i), "--name", f"b{i}",
                                 "--report", env.path(f"ua-b{i}.json"), "--duration", "60"], f"ua-b{i}.log")
           for i in range(1, env.nbackends + 1)]
    time.sleep(0.5)
    uac = env.popen(env.ns("client"), [sys.executable, SIPUA, "uac", "--bind", env.client_ip,
                                       "--proxy", hostport(env.proxy_ip), "--report", env.path("ua-client.json"),
                                       "--timeout", "15", "--call-prefix", f"ua-{shape}",
                                       *[x for p in PLANS for x in ("--plan", p)]], "ua-client.log")
    rc = uac.wait(timeout=40)
    time.sleep(0.3)  # the last ACK or 200 on its way to the backend
    stop(uas)

    client = load(env.path("ua-client.json"))
    calls = {c["call_id"]: c for c in client["calls"]}
    owner, at_backend, strays = {}, {}, []
    for i in range(1, env.nbackends + 1):
        rep = load(env.path(f"ua-b{i}.json"))
        strays += [(f"b{i}", s) for s in rep["stray"]]
        for c in rep["calls"]:
            if c["call_id"] in owner:
                raise Failure(f"Call-ID {c['call_id']} reached both {owner[c['call_id']]} and b{i}")
            owner[c["call_id"]] = f"b{i}"
            at_backend[c["call_id"]] = c
    # The addresses first: when calls fail, a wrong Via or Record-Route is the why.
    farm, client_side = env.proxy_hostport("farm"), env.proxy_hostport("client")
    wrong = [(cid, m, v) for cid, c in at_backend.items() for m, v in c["via"].items() if not same_address(v, farm)]
    check(not wrong, f"the backends saw our farm-side address {farm} in the top Via of every request"
          f"{': ' + str(wrong[:4]) if wrong else ''}")
    wrong = [(cid, m, s) for cid, c in at_backend.items() for m, s in c["sources"].items()
             if not same_address(s, farm)]
    check(not wrong, f"... and got every message from it{': ' + str(wrong[:4]) if wrong else ''}")
    wrong = [(cid, c["record_route"]) for cid, c in at_backend.items()
             if not rr_equal(c["record_route"], expected_record_route(env, owner[cid]))]
    check(not wrong, f"the backends saw our Record-Route "
          f"{[r['hostport'] for r in expected_record_route(env, 'b')]} with lr and their own pin"
          f"{': ' + str(wrong[:3]) if wrong else ''}")
    wrong = [(cid, c.get("route_left")) for cid, c in at_backend.items() if c.get("route_left")]
    check(not wrong, f"no Route of ours left in the in-dialog requests the backends got"
          f"{': ' + str(wrong[:3]) if wrong else ''}")
    wrong = [(cid, c.get("bye_sent_to")) for cid, c in at_backend.items()
             if c["plan"] == "hangup" and not same_address(c.get("bye_sent_to", ""), farm)]
    check(not wrong, f"a backend's own BYE went to the first Record-Route entry, our farm side {farm}"
          f"{': ' + str(wrong[:3]) if wrong else ''}")

    bad = [(c["call_id"], c["events"], c["errors"]) for c in calls.values() if not c["ok"] or c["errors"]]
    check(rc == 0 and len(calls) == len(PLANS) and not bad,
          f"the caller completed all {len(PLANS)} calls (hung up, hung up on, cancelled){': ' + str(bad[:4]) if bad else ''}")

    check(set(owner) == set(calls), f"each Call-ID reached exactly one backend: {sorted(set(owner.values()))}")
    check(not strays, f"no backend got a message for a call it does not have{': ' + str(strays[:3]) if strays else ''}")
    bad = [(cid, c["events"], c["errors"]) for cid, c in at_backend.items() if not c["ok"] or c["errors"]]
    check(not bad, f"every call completed at its backend (ACK, BYE from either end, CANCEL + ACK of the 487)"
          f"{': ' + str(bad[:4]) if bad else ''}")

    answered = [c for c in calls.values() if c["plan"] != "ring"]
    wrong = [(c["call_id"], c.get("record_route")) for c in answered
             if not rr_equal(c.get("record_route", []), expected_record_route(env, owner[c["call_id"]]))]
    check(not wrong, f"the client's 200s carried the same Record-Route{': ' + str(wrong[:3]) if wrong else ''}")
    wrong = [(c["call_id"], c.get("ack_sent_to"), c.get("bye_sent_to")) for c in answered
             if not same_address(c.get("ack_sent_to", ""), client_side)
             or (c["plan"] == "answer" and not same_address(c.get("bye_sent_to", ""), client_side))]
    check(not wrong, f"the client's ACKs and BYEs went to its first route, our client-side address {client_side}"
          f"{': ' + str(wrong[:3]) if wrong else ''}")
    wrong = [(c["call_id"], c["via"]) for c in calls.values() if c["plan"] == "hangup"
             and not same_address(c["via"].get("BYE", ""), client_side)]
    check(not wrong, f"the backend's BYE reached the client with our client-side address in Via"
          f"{': ' + str(wrong[:3]) if wrong else ''}")
    wrong = [(c["call_id"], k, s) for c in calls.values() for k, s in c["sources"].items()
             if not same_address(s, client_side)]
    check(not wrong, f"the client got every message from {client_side}{': ' + str(wrong[:4]) if wrong else ''}")


def sipp_load(env):
    for n, (uas, uac, calls) in enumerate(SIPP_PHASES):
        tag = f"-sipp{n}"
        procs = env.start_backends(uas, tag=tag)
        rc, created, ok, failed = env.run_caller(uac, calls, 20, cid=f"sipp{n}-%u@%s", timeout=20)
        check(rc == 0 and ok == calls and failed == 0, f"sipp {uac}: all {calls} calls succeeded at the caller")
        stop(procs)
        owner, incomplete, vias = {}, [], set()
        want = {"uac.xml": ("INVITE", "ACK", "BYE"), "uac_cancel.xml": ("INVITE", "CANCEL", "ACK"),
                "uac_bye_in.xml": ("INVITE", "ACK")}[uac]
        for name, log in env.backend_logs(tag).items():
            for cid, methods in sipplog.received_requests(log).items():
                if cid in owner:
                    raise Failure(f"{cid} reached both {owner[cid]} and {name}")
                owner[cid] = name
                if not all(methods[m] >= 1 for m in want):
                    incomplete.append((cid, name, dict(methods)))
            vias |= {m.top_via for m in sipplog.parse(log) if m.direction == "received" and m.method}
        check(len(owner) == calls and not incomplete,
              f"sipp {uac}: each Call-ID's {'/'.join(want)} reached one backend{': ' + str(incomplete[:3]) if incomplete else ''}")
        farm = env.proxy_hostport("farm")
        check(vias and all(same_address(v, farm) for v in vias),
              f"sipp {uac}: the top Via of every request at the backends was our farm side {farm} ({sorted(vias)})")


def run(sipshunt, shape):
    with ShapeEnv(sipshunt, shape) as env:
        env.start_proxy()
        try:
            user_agents(env)
            sipp_load(env)
        finally:
            st = env.stats()
            print("proxy: ports", [(p["name"], p["rx_packets"], p["tx_packets"]) for p in st["ports"]],
                  "drops", {k: v for k, v in st["dataplane"]["drops"].items() if v},
                  "sip", {k: v for k, v in st["sip"]["reasons"].items() if v})
        env.stop_proxy()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[2] not in SHAPES:
        print(f"usage: test_shapes.py SIPSHUNT {{{','.join(SHAPES)}}}")
        sys.exit(2)
    sys.exit(main(lambda sipshunt: run(sipshunt, sys.argv[2])))
