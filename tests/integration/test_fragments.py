#!/usr/bin/env python3
"""A datagram larger than the MTU arrives in fragments and is forwarded: a 4 KB INVITE crosses the
1500-byte link in fragments, sipshunt forwards it (fragmenting it again towards the backend), the
backend's kernel reassembles it and sipp answers; the body arrives byte for byte.

Note: with net_af_packet the proxy host's kernel reassembles inbound fragments in front of the
socket (the PMD joins a PACKET_FANOUT group with PACKET_FANOUT_FLAG_DEFRAG), so the proxy's own
reassembly (rte_ip_frag, on other PMDs) is covered by the dataplane unit tests instead; the
ReasmOKs counter of the proxy namespace shows the fragments arrived."""
import json
import os
import subprocess
import sys

from harness import Env, check, main

BODY = 4000


def reasm(ns):
    text = subprocess.run(["ip", "netns", "exec", ns, "cat", "/proc/net/snmp"], capture_output=True, text=True).stdout
    lines = [l.split() for l in text.splitlines() if l.startswith("Ip:")]
    return dict(zip(lines[0][1:], map(int, lines[1][1:])))


def test(sipshunt):
    with Env(sipshunt, "frag", backends=1) as env:
        env.start_proxy()
        env.start_backends("uas.xml")
        before_px, before_be = reasm(env.ns("proxy")), reasm(env.ns(1))
        r = subprocess.run(["ip", "netns", "exec", env.ns("client"), sys.executable,
                            os.path.join(os.path.dirname(os.path.abspath(__file__)), "bigcall.py"), "198.18.0.1",
                            str(BODY), "big-call-1@198.18.0.10"], capture_output=True, text=True, timeout=60)
        print(r.stdout.strip(), r.stderr.strip()[-500:])
        res = json.loads(r.stdout.strip().splitlines()[-1])
        check(res["invite_bytes"] + 8 > 2 * 1480, f"the INVITE is {res['invite_bytes']} bytes: three fragments at MTU 1500")
        check(res["got_200"], "the caller got the backend's 200 for the large INVITE")
        check(res["bye_200"], "ACK and BYE followed the Record-Route and the BYE was answered")
        after_px, after_be = reasm(env.ns("proxy")), reasm(env.ns(1))
        check(after_px["ReasmOKs"] > before_px["ReasmOKs"], "the INVITE reached the proxy host in fragments")
        check(after_be["ReasmOKs"] > before_be["ReasmOKs"], "the backend's kernel reassembled the proxy's fragments")
        stats = env.stop_proxy()
        check(stats["dataplane"]["fragments_out"] >= 3, f"sipshunt sent {stats['dataplane']['fragments_out']} fragments")
        with open(env.backend_logs()["b1"], errors="replace") as f:
            log = f.read().replace("\r", "")
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from bigcall import body_of
        check(body_of(BODY).replace("\r", "") in log, "the backend received the body byte for byte")


if __name__ == "__main__":
    sys.exit(main(test))
