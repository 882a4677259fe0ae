#!/usr/bin/env python3
"""Calls through sipshunt on an AF_XDP port (net_af_xdp on the proxy host's veth, its own UMEM
pool, see src/dataplane/README.md "AF_XDP ports"): every call succeeds, each Call-ID's INVITE,
ACK and BYE reach one backend, and the frames went through the XDP socket (the port's driver is
net_af_xdp and its rx/tx counters cover every forwarded datagram).

Skipped (77) when the kernel has no XDP sockets (socket(AF_XDP) fails).
"""
import os
import socket
import sys

from harness import SKIP, Env, check, main

CALLS = int(os.environ.get("SIPSHUNT_IT_CALLS", "1500"))
RATE = int(os.environ.get("SIPSHUNT_IT_RATE", "300"))


def have_xdp_sockets():
    try:
        socket.socket(44, socket.SOCK_RAW, 0).close()  # AF_XDP
        return True
    except OSError:
        return False


def test(sipshunt):
    if not have_xdp_sockets():
        print("SKIP: no AF_XDP sockets in this kernel")
        sys.exit(SKIP)
    with Env(sipshunt, "xdp") as env:
        env.start_proxy(device="net_af_xdp0", devargs="iface=eth0")
        env.start_backends("uas.xml")
        rc, created, ok, failed = env.run_caller("uac.xml", CALLS, RATE)
        check(rc == 0 and created == CALLS and ok == CALLS and failed == 0, f"all {CALLS} calls succeeded at the caller")
        stats = env.stop_proxy()

        env.check_calls_at_backends(CALLS)
        port = stats["ports"][0]
        check(port["driver"] == "net_af_xdp", f"the port ran on the AF_XDP PMD ({port['driver']})")
        dp = stats["dataplane"]
        # Per call: INVITE, ACK, BYE from the caller; 180, 200 and the BYE's 200 back (uas.xml).
        check(dp["sip_in"] >= 6 * CALLS and dp["sip_in"] == dp["sip_forwarded"],
              f"proxy forwarded every SIP datagram it received ({dp['sip_in']})")
        check(port["rx_packets"] >= dp["sip_in"] and port["tx_packets"] >= dp["sip_forwarded"],
              f"the XDP socket carried them (rx {port['rx_packets']}, tx {port['tx_packets']})")


if __name__ == "__main__":
    sys.exit(main(test))
