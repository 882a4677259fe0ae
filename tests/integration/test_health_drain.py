#!/usr/bin/env python3
"""Drain through the admin API (README.md "Health probes, drain, hot reload and metrics"): POST
/backends/b1/drain during traffic stops new calls to b1 while the in-dialog requests of its calls
(ACK, BYE: pinned by our Record-Route) still reach it; POST /backends/b1/enable brings new calls
back. Calls last 3 s so that many are in progress when the drain starts. Checked on the backends'
own message logs."""
import os
import re
import sys
import time

from harness import ROOT, check, main
from health_lib import HealthEnv, backend_states, received_calls, sample

RATE = 30
HOLD_MS = 3000


def test(sipshunt):
    with HealthEnv(sipshunt, "hd") as env:
        # The standard caller with a 3 s call instead of 300 ms.
        with open(os.path.join(ROOT, "scripts", "sipp", "uac.xml")) as f:
            scenario = f.read()
        scenario, n = re.subn(r'<pause milliseconds="\d+"/>', f'<pause milliseconds="{HOLD_MS}"/>', scenario)
        check(n == 1, "caller scenario with a 3 s call")
        long_uac = env.path("uac_long.xml")
        with open(long_uac, "w") as f:
            f.write(scenario)

        env.start_backends()
        admin = env.start_proxy_until_up()

        calls = RATE * 10
        caller = env.run_caller(long_uac, calls, RATE, cid="hd-%u@%s", wait=False, timeout=60)
        time.sleep(3.5)
        wall_drain = time.time()
        status, body, _ = admin.request("POST", "/backends/b1/drain")
        check(status == 200 and '"admin":"drained"' in body, f"POST /backends/b1/drain: {status} {body.strip()}")
        st = backend_states(admin.status())["b1"]
        check(st["admin"] == "drained" and st["up"] and not st["usable"], "b1 is drained: up, not usable for new calls")
        m = admin.metrics()
        check(sample(m, "sipshunt_backend_admin_state", pool="core", backend="b1", state="drained") == 1,
              "/metrics shows b1 drained")

        time.sleep(3.5)
        wall_enable = time.time()
        status, body, _ = admin.request("POST", "/backends/b1/enable")
        check(status == 200, f"POST /backends/b1/enable: {status}")
        status, body, _ = admin.request("POST", "/backends/b9/drain")
        check(status == 404, f"an unknown backend is 404 ({body.strip()})")

        rc, created, ok, failed = env.wait_caller(caller, 120)
        check(created == calls and ok == calls and failed == 0, f"all {calls} calls succeeded ({failed} failed)")
        env.stop_proxy()

        b1 = received_calls(env.path("b1.messages"))
        slack = 0.05  # an INVITE already on the wire when the drain was published
        during = [c for c, v in b1.items() if "INVITE" in v["methods"] and wall_drain + slack < v["first"] < wall_enable]
        check(not during, f"no new call reached b1 while it was drained ({len(during)})")
        pinned = [c for c, v in b1.items() if v["first"] < wall_drain and
                  any(wall_drain < t < wall_enable for t in v["methods"].get("BYE", []))]
        check(len(pinned) >= RATE, f"{len(pinned)} calls set up on b1 before the drain got their BYE there during it")
        incomplete = [c for c, v in b1.items() if not all(k in v["methods"] for k in ("INVITE", "ACK", "BYE"))]
        check(not incomplete, f"every call of b1 is complete on b1 ({len(incomplete)} exceptions)")
        after = [c for c, v in b1.items() if v["first"] > wall_enable + slack]
        check(len(after) > 0, f"new calls reach b1 again after enable ({len(after)})")
        others = {**received_calls(env.path("b2.messages")), **received_calls(env.path("b3.messages"))}
        split = set(b1) & set(others)
        check(not split, f"no Call-ID reached b1 and another backend ({len(split)})")
        admin.close()


if __name__ == "__main__":
    sys.exit(main(test))
