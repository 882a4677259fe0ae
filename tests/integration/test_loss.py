#!/usr/bin/env python3
"""Loss is never invisible (src/control/README.md, "Where loss shows"): with sipshunt paused
(SIGSTOP: its worker reads nothing), a burst larger than the af_packet rx ring is sent to a closed
UDP port. After SIGCONT, what the worker read is in sipshunt_drops_total{reason="closed-port"},
and the rest, dropped by the kernel at the full ring, must be in
sipshunt_port_rx_ring_dropped_total: sent - read = ring drops, within 0.5% + 5 datagrams (the
kernel may drop a few elsewhere, e.g. an IPv6 neighbour solicitation lands in the same ring)."""
import signal
import subprocess
import sys
import time

from harness import PROXY_IP, Env, check, main
from health_lib import Admin, sample, wait_until

BURST = 6000      # the ring holds 2048 frames (framecnt, net/port.cpp)
WARMUP = 20
CLOSED_PORT = 5999

SENDER = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sent = 0
for i in range(int(sys.argv[3])):
    sent += s.sendto(b"loss %d" % i, (sys.argv[1], int(sys.argv[2]))) > 0
print(sent)
"""


def send(env, count):
    r = subprocess.run(["ip", "netns", "exec", env.ns("client"), sys.executable, "-c", SENDER, PROXY_IP,
                        str(CLOSED_PORT), str(count)], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, f"sender ran ({r.stderr.strip()[-300:]})")
    return int(r.stdout)


def test(sipshunt):
    with Env(sipshunt, "loss", backends=1) as env:
        env.start_proxy(admin={"address": "127.0.0.1", "port": 8080})
        admin = Admin(env.ns("proxy"))
        admin.wait_ready()
        closed = lambda: sample(admin.metrics(), "sipshunt_drops_total", reason="closed-port")  # noqa: E731
        ring = lambda: sample(admin.metrics(), "sipshunt_port_rx_ring_dropped_total", port="lan")  # noqa: E731
        check(ring() == 0, "sipshunt_port_rx_ring_dropped_total is present from the start, at 0")
        # The client learns our MAC while we can still answer ARP.
        send(env, WARMUP)
        check(wait_until(lambda: closed() == WARMUP, 10) is not None, f"the {WARMUP} warm-up datagrams were read")
        read0, ring0 = closed(), ring()

        env.proxy.send_signal(signal.SIGSTOP)
        try:
            time.sleep(0.2)
            sent = send(env, BURST)
            time.sleep(0.3)
        finally:
            env.proxy.send_signal(signal.SIGCONT)
        # Read until the counter stops moving (the ring is drained within milliseconds).
        last = None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            now = closed()
            if now == last:
                break
            last = now
            time.sleep(0.5)
        read = closed() - read0
        dropped = ring() - ring0
        lost = sent - read
        tolerance = 5 + sent // 200
        print(f"sent {sent}, read {read}, ring drops counted {dropped}, lost {lost}")
        check(sent == BURST, f"the sender sent all {BURST} datagrams")
        check(dropped > 0, f"the kernel's ring drops show in /metrics: {dropped}")
        check(abs(dropped - lost) <= tolerance,
              f"ring drops {dropped} = sent {sent} - read {read} = {lost} (tolerance {tolerance})")
        m = admin.metrics()
        for other in ("rx_missed", "rx_nombuf", "rx_errors"):
            check(sample(m, f"sipshunt_port_{other}_total", port="lan") >= 0,
                  f"sipshunt_port_{other}_total is exposed ({sample(m, f'sipshunt_port_{other}_total', port='lan'):.0f})")
        st = env.stats()
        check(st["ports"][0]["nic"]["ring_dropped"] == ring(), "the stats file agrees")
        admin.close()
        env.stop_proxy()


if __name__ == "__main__":
    sys.exit(main(test))
