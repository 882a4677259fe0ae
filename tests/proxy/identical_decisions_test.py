#!/usr/bin/env python3
"""Identical decisions on every instance (README.md "Running several instances"): two instance
configs that differ only in what is per instance (the data port's interface address and gateway,
the admin port) and share the service address (VIP), the pools and the rules make the same
decision for every one of 10,000 varied datagrams (one pcap written here: INVITEs and other
client requests, in-dialog requests with our Record-Route pins, responses from the backends,
requests from the backends, malformed ones; thousands of Call-IDs), compared field by field on
`sipshunt explain --pcap` of both, with our Via and Record-Route naming the VIP on both. With
`--down b2` on one instance only, the datagrams whose backend differs are exactly those the
other instance sends to b2 (Maglev's minimal disruption).
The test checks that it can fail: a third config that differs from the first in one shared key
(a backend's weight) must make the comparison report differences.

usage: identical_decisions_test.py SIPSHUNT
"""
import json
import os
import random
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
import sipshunt_config  # noqa: E402
from capture import ipv4_udp, pcap  # noqa: E402

SIPSHUNT = sys.argv[1]
RULES = os.path.join(ROOT, "tests", "proxy", "data", "rules", "example.rules")
VIP = "198.18.100.1"
PORT = 5060
COUNT = 10000
BACKENDS = {"b1": "198.19.0.11", "b2": "198.19.0.12", "b3": "198.19.0.13", "r1": "198.19.1.11", "r2": "198.19.1.12"}
DECISION = ["kind", "verdict", "status", "reason", "rule", "pool", "backend", "next_hop"]
failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, file=sys.stderr if not cond else sys.stdout)
    if not cond:
        failures.append(what)


def instance_config(i, weight_b3=2):
    """Instance i's config: everything shared but the data port's address and gateway and the
    admin port. `weight_b3`: the shared key the self-check changes on one side."""
    return sipshunt_config.render(
        VIP, port=PORT, proxy={"record_route": True, "default_pool": "core"}, rules=[RULES],
        pools=[sipshunt_config.pool("core", [("b1", BACKENDS["b1"]), ("b2", BACKENDS["b2"]),
                                             ("b3", BACKENDS["b3"], None, weight_b3)], None),
               sipshunt_config.pool("registrar", [("r1", BACKENDS["r1"]), ("r2", BACKENDS["r2"])], None)],
        admin={"address": "127.0.0.1", "port": 8080 + i},
        dpdk_ports=[sipshunt_config.dpdk_port("data", "net_af_packet0", "iface=eth0", f"198.18.{i}.1", 24,
                                              gateway=f"198.18.{i}.254", service_address=VIP)],
        comment=f"instance {i} of identical_decisions_test.py")


# ---- datagrams

def sip(lines, body=""):
    return ("\r\n".join(lines) + f"\r\nContent-Length: {len(body)}\r\n\r\n" + body).encode()


SDP = "v=0\r\no=- 1 1 IN IP4 198.18.0.10\r\ns=-\r\nc=IN IP4 198.18.0.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
METHODS = ["INVITE"] * 6 + ["REGISTER"] * 2 + ["OPTIONS", "MESSAGE", "SUBSCRIBE", "CANCEL", "ACK"]
AGENTS = ["sipp"] * 3 + ["Linphone/5.0", "Asterisk PBX 20"] * 2 + ["friendly-scanner", "SIPVicious 0.3"]


def client_request(rng, n):
    src = (f"198.18.0.{rng.randrange(2, 250)}", rng.choice([5060, 5062, rng.randrange(10000, 60000)]))
    method = rng.choice(METHODS)
    cseq = rng.randrange(1, 100)
    user = rng.choice(["alice", "bob", "carol", "100", "+15550100", "voicemail"])
    lines = [f"{method} sip:{user}@example.com SIP/2.0",
             f"Via: SIP/2.0/UDP {src[0]}:{src[1]};branch=z9hG4bK{rng.getrandbits(48):x}" + (";rport" if n % 3 else ""),
             f"From: <sip:caller{n % 97}@example.org>;tag={rng.getrandbits(32):x}",
             f"To: <sip:{user}@example.com>", f"Call-ID: {rng.getrandbits(64):016x}-{n}@{src[0]}",
             f"CSeq: {cseq} {method}", f"Contact: <sip:caller@{src[0]}:{src[1]}>",
             f"User-Agent: {rng.choice(AGENTS)}"]
    if n % 11 == 0:
        lines.append(f"Max-Forwards: {rng.choice([0, 1, 70])}")
    return src, sip(lines, SDP if method == "INVITE" and n % 2 else "")


def in_dialog(rng, n):
    """An in-dialog request from a client, through the route set our Record-Route made."""
    src = (f"198.18.0.{rng.randrange(2, 250)}", 5060)
    method = rng.choice(["ACK", "BYE", "BYE", "INVITE", "INFO", "UPDATE"])
    pin = rng.choice(["b1", "b2", "b3", "b1", "b2", "b3", "r1", "r2", "b9"])   # b9: no such backend
    backend = BACKENDS.get(pin, "198.19.0.99")
    lines = [f"{method} sip:callee@{backend}:5060 SIP/2.0",
             f"Via: SIP/2.0/UDP {src[0]}:{src[1]};branch=z9hG4bK{rng.getrandbits(48):x};rport",
             f"Route: <sip:{VIP}:{PORT};lr;sipshunt-b={pin}>",
             f"From: <sip:caller@example.org>;tag={rng.getrandbits(32):x}",
             f"To: <sip:callee@example.com>;tag={rng.getrandbits(32):x}",
             f"Call-ID: dlg-{rng.getrandbits(64):016x}-{n}", f"CSeq: {rng.randrange(2, 50)} {method}",
             "Max-Forwards: 70"]
    return src, sip(lines)


def response(rng, n):
    """A backend's response to a request we forwarded (our Via on top), or a stray one."""
    name = rng.choice(["b1", "b2", "b3", "r1"])
    src = (BACKENDS[name], 5060)
    status, phrase = rng.choice([(100, "Trying"), (180, "Ringing"), (200, "OK"), (200, "OK"), (486, "Busy Here")])
    client = f"198.18.0.{rng.randrange(2, 250)}"
    ours = f"{VIP}:{PORT}" if n % 17 else "203.0.113.9:5060"   # every 17th: not our Via
    lines = [f"SIP/2.0 {status} {phrase}",
             f"Via: SIP/2.0/UDP {ours};branch=z9hG4bK{rng.getrandbits(64):016x}",
             f"Via: SIP/2.0/UDP {client}:5060;branch=z9hG4bK{rng.getrandbits(48):x};rport=5060;received={client}",
             f"Record-Route: <sip:{VIP}:{PORT};lr;sipshunt-b={name}>",
             f"From: <sip:caller@example.org>;tag={rng.getrandbits(32):x}",
             f"To: <sip:callee@example.com>;tag={rng.getrandbits(32):x}",
             f"Call-ID: rsp-{rng.getrandbits(64):016x}-{n}", f"CSeq: 1 {rng.choice(['INVITE', 'BYE'])}"]
    return src, sip(lines)


def backend_request(rng, n):
    """A request from a backend towards a client (its BYE), through our route."""
    name = rng.choice(["b1", "b2", "b3"])
    client = f"198.18.0.{rng.randrange(2, 250)}"
    lines = [f"BYE sip:caller@{client}:5060 SIP/2.0",
             f"Via: SIP/2.0/UDP {BACKENDS[name]}:5060;branch=z9hG4bK{rng.getrandbits(48):x}",
             f"Route: <sip:{VIP}:{PORT};lr;sipshunt-b={name}>",
             f"From: <sip:callee@example.com>;tag={rng.getrandbits(32):x}",
             f"To: <sip:caller@example.org>;tag={rng.getrandbits(32):x}",
             f"Call-ID: bbye-{rng.getrandbits(64):016x}-{n}", "CSeq: 9 BYE", "Max-Forwards: 70"]
    return (BACKENDS[name], 5060), sip(lines)


def malformed(rng, n):
    src = (f"198.18.0.{rng.randrange(2, 250)}", 5060)
    _, good = client_request(rng, n)
    cut = rng.randrange(1, len(good))
    return src, rng.choice([good[:cut], good.replace(b"Call-ID", b"Call-XD"), good.replace(b"SIP/2.0\r", b"SIP/3.0\r", 1)])


def datagrams():
    rng = random.Random(13)
    kinds = [(client_request, 45), (in_dialog, 25), (response, 20), (backend_request, 5), (malformed, 5)]
    table = [k for k, w in kinds for _ in range(w)]
    return [rng.choice(table)(rng, n) for n in range(COUNT)]


def write_pcap(path, items):
    """Raw-IPv4 pcap (link type 101): each datagram from its source to VIP:PORT."""
    with open(path, "wb") as f:
        f.write(pcap([ipv4_udp(src, sport, VIP, PORT, payload) for (src, sport), payload in items], 101))


# ---- explain and compare

def explain(config, pcap, *args):
    p = subprocess.run([SIPSHUNT, "explain", "-c", config, "--pcap", pcap, *args], capture_output=True, timeout=300)
    if p.returncode != 0:
        print(p.stderr.decode(errors="replace")[-2000:], file=sys.stderr)
        raise SystemExit(f"explain -c {config} {' '.join(args)}: exit {p.returncode}")
    return [json.loads(line) for line in p.stdout.decode("utf-8").splitlines()]


VIA = re.compile(r"^(?:Via|v)\s*:\s*SIP/2\.0/UDP\s+([^;\s]+)", re.M | re.I)
RR = re.compile(r"^Record-Route\s*:\s*<sip:([^;>]+)", re.M | re.I)


def ours(line):
    """(our Via's sent-by, our Record-Route entries' host:port) in a forwarded request."""
    out = line.get("output") or ""
    head = out.split("\r\n\r\n", 1)[0]
    via = VIA.search(head)
    return via.group(1) if via else None, RR.findall(head)


def differences(a, b, fields):
    return [(n, f, x.get(f), y.get(f)) for n, (x, y) in enumerate(zip(a, b)) for f in fields if x.get(f) != y.get(f)]


def main():
    with tempfile.TemporaryDirectory(prefix="sipshunt-identical-") as tmp:
        configs = {}
        for name, i, weight in (("one", 1, 2), ("two", 2, 2), ("two-weight", 2, 3)):
            configs[name] = os.path.join(tmp, f"{name}.toml")
            with open(configs[name], "w") as f:
                f.write(instance_config(i, weight))
        pcap = os.path.join(tmp, "datagrams.pcap")
        write_pcap(pcap, datagrams())

        one, two = explain(configs["one"], pcap), explain(configs["two"], pcap)
        check(len(one) == COUNT and len(two) == COUNT, f"both instances explained the {COUNT} datagrams "
              f"({len(one)}, {len(two)})")
        verdicts = {}
        for line in one:
            verdicts[line["reason"]] = verdicts.get(line["reason"], 0) + 1
        print("decisions of instance one by reason:", dict(sorted(verdicts.items(), key=lambda kv: -kv[1])))
        backends = {line["backend"] for line in one if line["backend"]}
        check(len(backends) >= 5, f"the datagrams reach many backends ({sorted(backends)})")
        diff = differences(one, two, DECISION + ["output"])
        check(not diff, f"same decision (verdict, status, reason, rule, pool, backend, next hop) and the same "
              f"bytes out for every datagram ({len(diff)} differences{': ' + str(diff[:3]) if diff else ''})")
        forwarded = [n for n, line in enumerate(one) if line["kind"] == "request" and line["verdict"] == "forward"]
        bad = []
        for n in forwarded:
            for side in (one[n], two[n]):
                via, rr = ours(side)
                if via != f"{VIP}:{PORT}" or any(r != f"{VIP}:{PORT}" for r in rr):
                    bad.append((n, via, rr))
        with_rr = sum(1 for n in forwarded if ours(one[n])[1])
        check(len(forwarded) > 3000 and with_rr > 1000 and not bad,
              f"our Via and Record-Route name the VIP on both instances ({len(forwarded)} forwarded requests, "
              f"{with_rr} record-routed; {len(bad)} exceptions{': ' + str(bad[:2]) if bad else ''})")

        # One instance sees b2 down, the other does not: only b2's datagrams move.
        down = explain(configs["two"], pcap, "--down", "b2")
        moved = {n for n, (x, y) in enumerate(zip(one, down)) if x["backend"] != y["backend"]}
        at_b2 = {n for n, x in enumerate(one) if x["backend"] == "b2"}
        check(len(at_b2) > 500 and moved == at_b2,
              f"with b2 down on one instance, the datagrams whose backend differs are exactly the {len(at_b2)} that "
              f"the other sends to b2 ({len(moved - at_b2)} others moved, {len(at_b2 - moved)} of b2's did not)")
        check(all(down[n]["backend"] in ("b1", "b3") for n in at_b2), "b2's datagrams went to the other backends of core")

        # The comparison can fail: a shared key that differs (b3's weight) must show.
        weight = explain(configs["two-weight"], pcap)
        wdiff = differences(one, weight, ["backend"])
        check(len(wdiff) > 100, f"self-check: configs that differ in a backend's weight give different decisions "
              f"({len(wdiff)} datagrams)")
    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
