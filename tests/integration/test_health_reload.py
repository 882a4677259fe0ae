#!/usr/bin/env python3
"""Hot reload, on four backend hosts of which the config first lists three:

1. A broken rule file, by POST /reload and by SIGHUP: 422 with file:line:col, the failure in
   /metrics and /status, and routing unchanged (the same Call-IDs reach the same backends as
   before, checked on the backends).
2. A reload that adds b4: about 1/4 of the same Call-IDs now go to b4, nearly all the calls that
   moved went to b4, and b1..b3 keep their health state.
3. Reloads under a steady load of calls (rule sets that differ, so the workers' Hyperscan
   scratch is grown each time): every call succeeds and no message is lost (no retransmission,
   no drop).
"""
import csv
import os
import re
import signal
import sys
import time

from harness import ROOT, check, main
from health_lib import HealthEnv, backend_states, received_calls, sample, wait_until

BATCH = 600
RATE = 150
DEADCALL = ("-deadcall_wait", "100")


def owners(env, since, until, names):
    out = {}
    for name in names:
        for cid, v in received_calls(env.path(f"{name}.messages"), since, until).items():
            if "INVITE" in v["methods"]:
                out.setdefault(cid, set()).add(name)
    return out


def retransmissions(csv_path):
    with open(csv_path, newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    col = {name: i for i, name in enumerate(rows[0])}
    return int(rows[-1][col["Retransmissions(C)"]])


def test(sipshunt):
    with HealthEnv(sipshunt, "hr", backends=4) as env:
        env.pool_backends = [1, 2, 3]
        default_rules = open(os.path.join(ROOT, "dispatch-rules", "default.rules")).read()
        env.rules_path = env.path("main.rules")
        with open(env.rules_path, "w") as f:
            f.write(default_rules)
        names = [f"b{i}" for i in range(1, 5)]
        # Batches reuse their Call-IDs: sipp must not treat them as the dead calls of the last
        # batch (it remembers ended Call-IDs for 33 s by default).
        env.start_backends(extra=DEADCALL)
        admin = env.start_proxy_until_up()

        def batch(tag):
            t0 = time.time()
            rc, created, ok, failed = env.run_caller("uac.xml", BATCH, RATE, cid="rl-%u@%s", extra=DEADCALL)
            check(ok == BATCH and failed == 0, f"batch {tag}: all {BATCH} calls succeeded")
            time.sleep(0.2)
            return owners(env, t0, time.time(), names)

        a = batch("A")
        check(len(a) == BATCH and all(len(v) == 1 for v in a.values()), "batch A: one backend per Call-ID")
        version = admin.status()["version"]

        # 1. Broken rule file.
        with open(env.rules_path, "w") as f:
            f.write("# broken on purpose\nrule everything: any => pool nowhere\n")
        status, body, _ = admin.request("POST", "/reload")
        check(status == 422, f"POST /reload with a broken rule file: {status}")
        m = re.search(r'"error":"([^"]*)"', body)
        check(m and m.group(1).startswith(f"{env.rules_path}:2:"), f"the error names file:line:col: {m and m.group(1)}")
        env.proxy.send_signal(signal.SIGHUP)
        check(wait_until(lambda: sample(admin.metrics(), "sipshunt_reloads_total", result="failed") == 2, 10)
              is not None, "SIGHUP with the broken file: a second failed reload in /metrics")
        metrics = admin.metrics()
        info = metrics["sipshunt_last_reload_error_info"]["samples"]
        check(len(info) == 1 and dict(next(iter(info))) == {"file": env.rules_path, "line": "2"},
              "sipshunt_last_reload_error_info names the file and line, and nothing more (the message is in /status)")
        check(sample(metrics, "sipshunt_last_reload_successful") == 0, "sipshunt_last_reload_successful is 0")
        st = admin.status()
        check(st["version"] == version and st["generation"] == 1 and st["reloads"]["last_error"]["line"] == 2,
              "/status: same snapshot, same generation, the error with its line")
        check(env.log_time(r"reload failed.*main\.rules:2:") is not None, "the log has the error with file:line:col")
        b = batch("B")
        same = sum(1 for cid, o in a.items() if b.get(cid) == o)
        check(same == BATCH, f"routing unchanged after the failed reloads: {same} of {BATCH} Call-IDs on the same backend")

        # 2. Add b4.
        with open(env.rules_path, "w") as f:
            f.write(default_rules)
        env.pool_backends = [1, 2, 3, 4]
        env.write_config()
        status, body, _ = admin.request("POST", "/reload")
        check(status == 200 and '"generation":2' in body, f"POST /reload adding b4: {status} {body.strip()}")
        states = backend_states(admin.status())
        check(set(states) == set(names) and states["b4"]["up"], "b4 is in the pool and up")
        p1, p4 = states["b1"]["health"]["probes_sent"], states["b4"]["health"]["probes_sent"]
        check(p1 >= 8 and p4 <= 2, f"b1 kept its probe history across the reload ({p1} probes; new b4: {p4})")
        c = batch("C")
        moved = [cid for cid, o in a.items() if c.get(cid) != o]
        to_b4 = [cid for cid in moved if c.get(cid) == {"b4"}]
        share = len(moved) / BATCH
        print(f"MEASURED reload adding a 4th backend: {share:.3f} of Call-IDs moved, "
              f"{len(to_b4) / BATCH:.3f} to b4 (ideal 0.25)")
        check(0.17 <= share <= 0.33, f"about 1/4 of the calls moved ({share:.3f})")
        check(len(to_b4) >= 0.9 * len(moved), f"nearly all of them to the new backend ({len(to_b4)} of {len(moved)})")

        # 3. Reloads under load.
        variants = [default_rules,
                    "rule never: header X-Never ~ /^never$/ => drop\n" + default_rules,
                    "rule also-never: ruri ~ /^sip:never@/ => drop\nrule never: header X-Never ~ /^x/ => drop\n"
                    + default_rules]
        before = admin.metrics()
        calls = 1000
        caller = env.run_caller("uac.xml", calls, 100, cid="rs-%u@%s", wait=False)
        time.sleep(1.0)
        reloads = 0
        for i in range(8):
            with open(env.rules_path, "w") as f:
                f.write(variants[(i + 1) % len(variants)])
            status, body, _ = admin.request("POST", "/reload")
            check(status == 200, f"reload {i + 1} under load: {status}")
            reloads += 1
            time.sleep(0.8)
        rc, created, ok, failed = env.wait_caller(caller, 120)
        check(created == calls and ok == calls and failed == 0, f"all {calls} calls under reloads succeeded")
        rtx = retransmissions(env.path("caller.csv"))
        check(rtx == 0, f"no message lost: the caller retransmitted nothing ({rtx})")
        after = admin.metrics()

        def delta(name, **labels):
            return sample(after, name, **labels) - sample(before, name, **labels)
        check(delta("sipshunt_reloads_total", result="succeeded") == reloads, f"{reloads} successful reloads counted")
        check(delta("sipshunt_sip_messages_total", verdict="drop") == 0 and
              delta("sipshunt_sip_messages_total", verdict="reply") == 0, "no SIP message dropped or answered by the proxy")
        lossy = ("no-mbuf", "tx-full", "hold-overflow", "neighbour-timeout", "no-route", "too-big",
                 "fragment-dropped", "probe-mailbox-full", "no-snapshot", "bad-udp", "bad-udp-checksum")
        drops = {r: delta("sipshunt_drops_total", reason=r) for r in lossy}
        check(not any(drops.values()), f"no data-plane drop that loses a message ({drops})")
        check(delta("sipshunt_port_rx_missed_total", port="lan") == 0, "the port missed nothing")
        check(delta("sipshunt_sip_messages_total", verdict="forward") == 6 * calls,
              f"{6 * calls} messages forwarded (INVITE, 180, 200, ACK, BYE, 200 per call)")
        admin.close()
        env.stop_proxy()


if __name__ == "__main__":
    sys.exit(main(test))
