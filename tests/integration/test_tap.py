#!/usr/bin/env python3
"""The same calls with the port on net_tap, which offers IPv4 and UDP checksum offloads: the worker
trusts the rx checksum flags and leaves tx checksums to the device (pseudo-header sum only).
Every call succeeds and each Call-ID stays on one backend, so the offloaded checksums are right."""
import sys

from harness import Env, Failure, check, main, sipplog

CALLS = 300


def test(sipshunt):
    with Env(sipshunt, "tap") as env:
        env.start_proxy(tap=True)
        env.start_backends("uas.xml")
        rc, created, ok, failed = env.run_caller("uac.xml", CALLS, 60, cid="tap-%u@%s")
        check(rc == 0 and ok == CALLS and failed == 0, f"all {CALLS} calls succeeded over net_tap")
        stats = env.stop_proxy()
        port = stats["ports"][0]
        check(port["driver"] == "net_tap", "the port was a net_tap device")
        check(port["offloads"]["tx_udp_checksum"] and port["offloads"]["rx_udp_checksum"],
              f"checksum offloads in use: {port['offloads']}")
        owner = {}
        for name, log in env.backend_logs().items():
            for cid, methods in sipplog.received_requests(log).items():
                if cid in owner:
                    raise Failure(f"{cid} at {owner[cid]} and {name}")
                owner[cid] = name
                if not (methods["INVITE"] and methods["ACK"] and methods["BYE"]):
                    raise Failure(f"{cid}: {dict(methods)} at {name}")
        check(len(owner) == CALLS, "each Call-ID's INVITE, ACK and BYE reached one backend")
        check(stats["dataplane"]["drops"]["bad-udp-checksum"] == 0, "no checksum failures")


if __name__ == "__main__":
    sys.exit(main(test))
