#!/usr/bin/env python3
"""Two sipshunt instances behind a router's ECMP, the service address (VIP) announced over BGP by
BIRD while each instance is ready (README.md "Running several instances"; topology in
scale_out.py). sipp calls of 3 s at a steady rate, one socket per call so that the router's L4
hash spreads them over both instances. Phases:
  a. steady state: both next hops in the router's route, both instances get traffic, no call fails;
  b. POST /instance/drain on instance 1: its glue withdraws the VIP, the router's route loses
     instance 1; then SIGTERM (stop_grace_ms 3000: it keeps forwarding while it stops): no call
     fails, the traffic moves to instance 2;
  c. instance 1 started again, its next hop back; kill -9 of instance 2: calls set up before go
     on through instance 1 (their ACK/BYE reach the backend that holds them, by our Record-Route
     pin); the only losses are messages sent during the failover (from the kill to the route's
     change at the router): the failover time is bounded by the glue's timers, the callers'
     retransmissions by the messages in that window, and the failed calls (a backend's 200 lost
     in the window: sipp's backends do not send it again on a retransmitted INVITE) by the calls
     started in it, and each failed call started in it.
Prints calls started/completed/failed and retransmissions per phase, and the failover time.
"""
import csv
import datetime
import os
import re
import shutil
import signal
import sys
import time

from harness import ROOT, SKIP, Failure, check, main, sipplog
from health_lib import sample
from scale_out import RECV_TIMEOUT, ScaleEnv, data_addr

RATE = 20          # calls per second
HOLD_MS = 3000     # each call lasts 3 s
T1 = 0.5           # sipp's first retransmission (uac.xml: retrans="500")
T2 = 4.0           # the interval retransmissions double up to (RFC 3261 §17.1.2.2, sipp's default)
# Retransmissions of one message never answered, before the receive timeout fails its call:
# T1 doubling up to T2 (0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5 s: 7 within 20 s).
MAX_RETRANS = next(k for k in range(1, 100) if sum(min(T1 * 2 ** i, T2) for i in range(k)) >= RECV_TIMEOUT) - 1
PHASES = {"a": 60, "b": 200, "c": 200}   # calls per phase


def long_caller(env):
    with open(os.path.join(ROOT, "scripts", "sipp", "uac.xml")) as f:
        scenario = f.read()
    scenario, n = re.subn(r'<pause milliseconds="\d+"/>', f'<pause milliseconds="{HOLD_MS}"/>', scenario)
    check(n == 1, f"caller scenario with a {HOLD_MS} ms call")
    path = env.path("uac_long.xml")
    with open(path, "w") as f:
        f.write(scenario)
    return path


def csv_rows(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    col = {name: i for i, name in enumerate(rows[0])}
    return col, rows[1:]


def retransmissions(path):
    """(total, [(unix time of the period's end, retransmissions in it)]) from a -trace_stat -fd 1 file."""
    col, rows = csv_rows(path)
    periods = []
    for r in rows:
        stamp = r[col["CurrentTime"]].split("\t")[-1]
        periods.append((float(stamp), int(r[col["Retransmissions(P)"]])))
    return int(rows[-1][col["Retransmissions(C)"]]), periods


def finish(env, p, phase, results):
    rc = p.wait(timeout=PHASES[phase] / RATE + 90)
    created, ok, failed = sipplog.uac_totals(env.path(f"{phase}.csv"))
    retrans, periods = retransmissions(env.path(f"{phase}.csv"))
    results[phase] = dict(started=created, completed=ok, failed=failed, retransmissions=retrans)
    print(f"phase {phase}: sipp exit {rc}, calls started {created}, completed {ok}, failed {failed}, "
          f"retransmissions {retrans}")
    return periods


def backend_calls(env, prefix):
    """{Call-ID: (backend, Counter of methods)} of the calls whose Call-ID starts with prefix."""
    out = {}
    for name, log in env.backend_logs().items():
        for cid, methods in sipplog.received_requests(log).items():
            if cid.startswith(prefix):
                if cid in out:
                    raise Failure(f"Call-ID {cid} reached both {out[cid][0]} and {name}")
                out[cid] = (name, methods)
    return out


def failed_call_ids(err_path):
    """Call-IDs sipp's -trace_err file names (a call it aborted)."""
    if not os.path.exists(err_path):
        return set()
    with open(err_path, errors="replace") as f:
        return set(re.findall(r"Call-Id: (\S+?),", f.read()))


def call_starts(env, prefix):
    """{Call-ID: unix time its first INVITE reached a backend}."""
    starts = {}
    for log in env.backend_logs().values():
        starts.update(timed_requests(log, prefix, "INVITE"))
    return starts


def timed_requests(path, prefix, method):
    """{Call-ID: unix time of the first `method` received} from a sipp -message_file."""
    from health_lib import received_calls
    return {cid: c["methods"][method][0] for cid, c in received_calls(path).items()
            if cid.startswith(prefix) and method in c["methods"]}


def test(sipshunt):
    for tool in ("bird", "birdc"):
        if shutil.which(tool) is None:
            print(f"SKIP: {tool} not installed (Debian package bird2, scripts/setup.sh)")
            sys.exit(SKIP)
    results = {}
    with ScaleEnv(sipshunt) as env:
        scenario = long_caller(env)
        env.start_backends(extra=("-aa",))   # -aa: sipp answers sipshunt's OPTIONS probes
        env.start_routing()
        for i in (1, 2):
            env.start_instance(i)
        both = frozenset({data_addr(1), data_addr(2)})
        check(env.watch.wait_for(lambda h: h == both, 60) is not None,
              "the router's route to the VIP has both instances as next hops (BGP, ECMP)")
        bfd = env.birdc(0, "show", "bfd", "sessions")
        check(len(re.findall(r"^198\.18\.1[12]\.1\s+m[12]\s+Up\b", bfd, re.M)) == 2,
              "BFD is up on both management links")

        # a. steady state
        before = {i: env.forwarded(i) for i in (1, 2)}
        finish(env, env.start_caller(scenario, "a", PHASES["a"], RATE), "a", results)
        time.sleep(0.5)
        got = {i: env.forwarded(i) - before[i] for i in (1, 2)}
        total = sum(got.values())
        print(f"phase a: SIP messages forwarded by instance 1: {got[1]}, instance 2: {got[2]}")
        check(results["a"]["failed"] == 0 and results["a"]["completed"] == PHASES["a"], "phase a: every call completed")
        check(min(got.values()) >= 0.15 * total, "phase a: both instances carry traffic (at least 15% each)")

        # b. drain instance 1, then SIGTERM it
        caller = env.start_caller(scenario, "b", PHASES["b"], RATE)
        time.sleep(4)
        t_drain = time.monotonic()
        status, body, _ = env.admins[1].request("POST", "/instance/drain")
        check(status == 200, f"POST /instance/drain on instance 1: {status} {body.strip()[:100]}")
        status, body, _ = env.admins[1].request("GET", "/ready")
        check(status == 503 and "draining" in body, f"instance 1's /ready says 503 draining ({status} {body.strip()[:80]})")
        m = env.admins[1].metrics()
        check(sample(m, "sipshunt_draining") == 1 and sample(m, "sipshunt_ready") == 0,
              "instance 1's /metrics: sipshunt_draining 1, sipshunt_ready 0")
        only2 = frozenset({data_addr(2)})
        moved = env.watch.wait_for(lambda h: h == only2, 10)
        check(moved is not None, "the router's route lost instance 1's next hop")
        print(f"phase b: route withdrawn {moved[0] - t_drain:.3f} s after POST /instance/drain")
        in1_at_withdraw, in2_at_withdraw = env.forwarded(1), env.forwarded(2)
        t_term = time.monotonic()
        env.instances[1].send_signal(signal.SIGTERM)
        rc = env.instances[1].wait(timeout=env.stop_grace_ms / 1000 + 20)
        stopped_after = time.monotonic() - t_term
        check(rc == 0, f"instance 1 stopped cleanly on SIGTERM (exit {rc})")
        check(stopped_after >= 0.9 * env.stop_grace_ms / 1000,
              f"instance 1 kept running through its stop grace ({stopped_after:.2f} s of {env.stop_grace_ms} ms)")
        late1 = env.forwarded(1) - in1_at_withdraw
        finish(env, caller, "b", results)
        time.sleep(0.5)
        after2 = env.forwarded(2) - in2_at_withdraw
        print(f"phase b: after the withdrawal instance 1 forwarded {late1} SIP messages (in flight), instance 2 {after2}")
        check(results["b"]["failed"] == 0 and results["b"]["completed"] == PHASES["b"],
              "phase b: no call failed while instance 1 drained and stopped")
        check(late1 <= 0.05 * after2, "phase b: the traffic moved to instance 2")

        # c. instance 1 back, kill -9 instance 2
        env.start_instance(1, tag="-restarted")
        check(env.watch.wait_for(lambda h: h == both, 30) is not None, "instance 1 is back in the router's route")
        caller = env.start_caller(scenario, "c", PHASES["c"], RATE)
        time.sleep(5)
        env.instances[2].kill()
        t_kill, wall_kill = time.monotonic(), time.time()
        env.instances[2].wait()
        reaped = time.monotonic() - t_kill
        print(f"phase c: instance 2 killed at {datetime.datetime.fromtimestamp(wall_kill).strftime('%H:%M:%S.%f')[:-3]}, "
              f"ended {reaped:.3f} s later")
        only1 = frozenset({data_addr(1)})
        moved = env.watch.wait_for(lambda h: h == only1, 10)
        check(moved is not None, "the router's route lost instance 2's next hop after kill -9")
        failover = moved[0] - t_kill
        g = env.glue
        # Until the kernel has ended the process its admin socket still accepts; then the glue
        # needs `fall` refused polls `interval` apart (the first within one interval), then birdc,
        # one BGP UPDATE and the kernel route: 0.05-0.2 s on a quiet host, but once 2.7 s with
        # compiles running beside the test on this 2-core VM (no stall of the whole host seen), so
        # 3 s are allowed for those. A stall of the whole host (scale_out.STALL_WATCH) in the
        # window is added, and said.
        stalled = env.stalls(t_kill, moved[0])
        bound = reaped + (g["fall"] + 1) * g["interval_ms"] / 1000 + 3.0 + stalled
        print(f"phase c: failover time (kill -9 to the router's route change) {failover:.3f} s "
              f"(glue: {g['interval_ms']} ms x {g['fall']}; host stalled {stalled:.3f} s in it; bound {bound:.2f} s)")
        periods = finish(env, caller, "c", results)
        c = results["c"]
        check(failover <= bound, f"phase c: failover within {bound:.2f} s")
        # What the window loses: messages sent towards instance 2 between the kill and the route's
        # change. sipp's callers retransmit INVITE and BYE from T1 on, so those recover; but sipp's
        # backends answer a retransmitted INVITE as an unexpected message instead of sending their
        # 200 again (RFC 3261 §13.3.1.4), so a call whose 200 was lost in the window fails. At most
        # the calls started in the window (and one T1 before it) can fail, and only those.
        failed_calls = failed_call_ids(env.path("c.err"))
        started = call_starts(env, "c-")
        late = {cid: round(started[cid] - wall_kill, 3) if cid in started else None for cid in failed_calls
                if cid not in started or not (wall_kill - T1 <= started[cid] <= wall_kill + failover + T1)}
        call_bound = int(RATE * (failover + 2 * T1)) + 1
        print(f"phase c: failed calls {sorted(failed_calls)}, their INVITE at the backend (s after the kill): "
              f"{ {cid: round(started[cid] - wall_kill, 3) for cid in failed_calls if cid in started} }")
        check(c["failed"] == len(failed_calls) and c["completed"] + c["failed"] == PHASES["c"],
              f"phase c: every call completed or failed ({c['completed']} + {c['failed']})")
        check(c["failed"] <= call_bound and not late,
              f"phase c: {c['failed']} calls failed, at most {call_bound}, all started in the failover window "
              f"(outside it: {late})")
        # Messages lost in the window: at most the client's INVITE, ACK and BYE and the backends'
        # answers to INVITE and BYE sent in it (5 per call, RATE calls a second), each retransmitted
        # every T1 until the window closes (sipp retransmits from T1, doubling), and a failed call's
        # message (its INVITE, or its BYE when the ACK was lost in the window and the backend ended
        # the call) for the whole receive timeout (MAX_RETRANS times).
        loss_bound = int(5 * RATE * (failover + T1) * (1 + failover / T1)) + MAX_RETRANS * len(failed_calls) + 1
        check(c["retransmissions"] <= loss_bound,
              f"phase c: {c['retransmissions']} retransmissions, at most {loss_bound} (messages in the failover window)")
        outside = [(round(t - wall_kill, 1), n) for t, n in periods
                   if n and not (wall_kill - 1.0 <= t <= wall_kill + failover + 4 * T1 + 2.0)]
        # (a failed call's unanswered message goes on being retransmitted after the window)
        check(sum(n for _, n in outside) <= MAX_RETRANS * len(failed_calls),
              f"phase c: retransmissions only around the failover (outside: {outside})")

        # Calls set up before the kill ended after it, each INVITE, ACK and BYE at one backend.
        calls = backend_calls(env, "c-")
        incomplete = [cid for cid, (_, m) in calls.items()
                      if cid not in failed_calls and not (m["INVITE"] and m["ACK"] and m["BYE"])]
        check(len(calls) == PHASES["c"] and not incomplete,
              f"phase c: every completed call's INVITE, ACK and BYE reached one backend ({len(calls)} calls, "
              f"{len(incomplete)} incomplete)")
        across = 0
        for name, log in env.backend_logs().items():
            invites = timed_requests(log, "c-", "INVITE")
            byes = timed_requests(log, "c-", "BYE")
            across += sum(1 for cid, t in invites.items() if t < wall_kill and byes.get(cid, 0) > wall_kill)
        check(across >= RATE, f"phase c: {across} calls set up before the kill got their BYE at their backend after it")
        env.instances[1].send_signal(signal.SIGTERM)

    print("\nsummary         started  completed  failed  retransmissions")
    for phase in "abc":
        r = results[phase]
        print(f"  phase {phase}       {r['started']:>7}  {r['completed']:>9}  {r['failed']:>6}  {r['retransmissions']:>15}")
    print(f"  failover time {failover:.3f} s")


if __name__ == "__main__":
    sys.exit(main(test))
