#!/usr/bin/env python3
"""Calls through sipshunt to three equal backends: every call succeeds; each Call-ID's INVITE, ACK
and BYE reach one and the same backend (checked in the backends' own message logs); each backend
gets its third of the calls within +-5%.

6000 calls: with three equal backends a backend's count is binomial, sd = sqrt(2/N) of its share,
so +-5% is about 2.7 sd at N = 6000 (at the 600 calls of a quick run it would be under 1 sd and
the check would be a coin toss). Call-IDs are fixed (-cid_str), so a run is reproducible.
"""
import os
import sys

from harness import Env, check, main

CALLS = int(os.environ.get("SIPSHUNT_IT_CALLS", "6000"))
RATE = int(os.environ.get("SIPSHUNT_IT_RATE", "400"))
WORKERS = int(os.environ.get("SIPSHUNT_IT_WORKERS", "1"))  # 2: RSS (af_packet fanout) over two queues
SHARES = os.environ.get("SIPSHUNT_IT_SHARES", "1") == "1"  # the +-5% check (needs ~6000 calls)


def test(sipshunt):
    with Env(sipshunt, "calls") as env:
        env.start_proxy(workers=WORKERS)
        env.start_backends("uas.xml")
        rc, created, ok, failed = env.run_caller("uac.xml", CALLS, RATE)
        check(rc == 0 and created == CALLS and ok == CALLS and failed == 0, f"all {CALLS} calls succeeded at the caller")
        stats = env.stop_proxy()

        per_backend = env.check_calls_at_backends(CALLS)
        share = CALLS / env.nbackends
        for name, n in sorted(per_backend.items()):
            if SHARES:
                check(abs(n - share) <= 0.05 * share, f"{name} got {n} calls, within 5% of {share:.0f}")
            else:
                print(f"{name} got {n} calls ({100.0 * n / CALLS:.1f}%)")
        dp = stats["dataplane"]
        check(dp["sip_in"] == dp["sip_forwarded"], f"proxy forwarded every SIP datagram it received ({dp['sip_in']})")
        print("per-backend forwarded counters:", stats["sip"]["backends"])
        print("SIP datagrams per worker:", [w["sip_in"] for w in stats["workers"]])
        check(len(stats["workers"]) == WORKERS, f"{WORKERS} worker(s) ran")


if __name__ == "__main__":
    sys.exit(main(test))
