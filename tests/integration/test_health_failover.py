#!/usr/bin/env python3
"""A backend killed during traffic, and how soon it is taken out of the pool.

    test_health_failover.py SIPSHUNT fast      interval 100 ms, fall 3, timeout 100 ms: <= 0.4 s
    test_health_failover.py SIPSHUNT default   interval 1 s,    fall 3, timeout 500 ms: <= 3.5 s

Three sipp backends answer calls and, with -aa, our OPTIONS probes. A sipp caller places calls at
a steady rate. Backend b2's sipp is SIGKILLed mid-run; the test polls GET /status (from a thread
inside the proxy's namespace) until b2 is reported down. The status answer is built from the
published snapshot after every worker has switched to it, so "reported down" means "no worker
sends it new calls any more": the time from the kill to that answer is the detection time (an
upper bound: it includes the polling period). Checked: that time is within fall x interval +
timeout; b2's forwarded counter stops growing; new calls go to b1 and b3; no Call-ID of b1 or b3
moved (each is complete on one backend, none seen on two survivors); b2 started again returns
to rotation within rise x interval (+ slack) and receives new calls.
"""
import sys
import time

from harness import Failure, check, main
from health_lib import HealthEnv, backend_states, received_calls, sample, wait_until

PROFILES = {
    # name: interval_ms, timeout_ms, fall, rise, target seconds, rate, seconds before kill, after
    "fast": (100, 100, 3, 2, 0.4, 60, 3.0, 2.5),
    "default": (1000, 500, 3, 2, 3.5, 40, 4.0, 6.0),
}


def test_profile(sipshunt, profile):
    interval, timeout, fall, rise, target, rate, before, after = PROFILES[profile]
    bound = (fall * interval + timeout) / 1000.0
    check(bound <= target, f"{profile}: fall x interval + timeout = {bound:.3f} s is within the target {target} s")
    with HealthEnv(sipshunt, f"hf{profile[0]}", interval_ms=interval, timeout_ms=timeout, fall=fall, rise=rise) as env:
        env.start_backends()
        admin = env.start_proxy_until_up()

        # Calls long enough to cover: before the kill, detection, restart, rise, a while after.
        duration = before + target + 1.0 + rise * interval / 1000.0 + after
        calls = int(rate * duration)
        caller = env.run_caller("uac.xml", calls, rate, cid="hf-%u@%s", wait=False)
        time.sleep(before)

        fwd_before = sample(admin.metrics(), "sipshunt_backend_forwarded_total", pool="core", backend="b2")
        check(fwd_before > 0, f"b2 took calls before the kill ({fwd_before:.0f} requests)")
        t_kill, wall_kill = env.kill_backend(2)
        t_down = wait_until(lambda: not backend_states(admin.status())["b2"]["up"], bound + 5, interval=0.005)
        check(t_down is not None, "b2 is reported down")
        polled = t_down - t_kill
        # The proxy's own log line (millisecond timestamps) says when it took b2 out; the poll
        # above adds up to one polling period and an HTTP round trip on top.
        logged = env.log_time(r"backend b2 .* is down", after=wall_kill)
        check(logged is not None, "the proxy logged b2 going down")
        detected = logged - wall_kill
        print(f"MEASURED {profile}: interval {interval} ms, fall {fall}, timeout {timeout} ms: "
              f"b2 out of rotation {detected * 1000:.0f} ms after the kill by the proxy's log, "
              f"{polled * 1000:.0f} ms by polling GET /status (bound {bound * 1000:.0f} ms, target {target * 1000:.0f} ms)")
        # + 5 ms: the control loop's tick (1 ms) and the log's millisecond resolution
        check(detected <= bound + 0.005, f"detected within fall x interval + timeout: {detected:.3f} s")
        check(polled <= bound + 0.05, f"reported by GET /status within the bound + 50 ms: {polled:.3f} s")
        check(detected <= target + 0.005, f"dead backend stops receiving new calls within the target {target} s")
        fwd_down = sample(admin.metrics(), "sipshunt_backend_forwarded_total", pool="core", backend="b2")
        st = admin.status()
        check(backend_states(st)["b2"]["usable"] is False and st["pools"][0]["usable"] == 2,
              "the pool has two usable backends")

        # Restart b2 after a while; it must come back.
        time.sleep(1.0)
        fwd_quiet = sample(admin.metrics(), "sipshunt_backend_forwarded_total", pool="core", backend="b2")
        check(fwd_quiet == fwd_down, f"nothing forwarded to b2 while it is down ({fwd_down:.0f} -> {fwd_quiet:.0f})")
        wall_restart = time.time()
        env.start_backend(2, log_suffix="-again")
        t_restart = time.monotonic()
        t_up = wait_until(lambda: backend_states(admin.status())["b2"]["up"], rise * interval / 1000.0 + 5, 0.005)
        check(t_up is not None, "b2 is reported up again after its restart")
        back = t_up - t_restart
        print(f"MEASURED {profile}: b2 back in rotation {back * 1000:.0f} ms after its restart "
              f"(rise {rise} x interval {interval} ms)")
        check(back <= (rise + 1) * interval / 1000.0 + 0.5, f"b2 returned within (rise + 1) x interval + 0.5 s")
        wall_up = time.time()

        rc, created, ok, failed = env.wait_caller(caller, duration + 120)
        check(created == calls, f"the caller placed its {calls} calls ({ok} succeeded, {failed} failed)")
        # Failures only among b2's calls: in progress at the kill or sent to it before detection.
        allowance = rate / 3.0 * (detected + 1.5) + 5
        check(failed <= allowance, f"failed calls ({failed}) limited to b2's share around the kill (<= {allowance:.0f})")
        env.stop_proxy()

        b1 = received_calls(env.path("b1.messages"))
        b3 = received_calls(env.path("b3.messages"))
        b2 = received_calls(env.path("b2.messages"))
        b2_again = received_calls(env.path("b2-again.messages"))
        both = set(b1) & set(b3)
        check(not both, f"no Call-ID reached both surviving backends ({len(both)})")
        survivors = {**{c: ("b1", v) for c, v in b1.items()}, **{c: ("b3", v) for c, v in b3.items()}}
        incomplete = [c for c, (_, v) in survivors.items() if c not in b2 and c not in b2_again and
                      not all(m in v["methods"] for m in ("INVITE", "ACK", "BYE"))]
        check(not incomplete, f"every call of b1 and b3 is complete on its backend ({len(incomplete)} exceptions "
              f"{incomplete[:3]})")
        started_before = [c for c, (_, v) in survivors.items() if v["first"] < wall_kill and c not in b2]
        check(len(started_before) > 0, f"{len(started_before)} calls of b1/b3 were under way or done before the kill "
              "and none of them moved")
        moved = set(b2) & set(survivors)
        print(f"b2's calls retried on a survivor after the failover: {len(moved)}")
        late_b2 = [c for c, v in b2.items() if v["first"] > wall_kill + 0.01]
        check(not late_b2, "b2's dead sipp logged nothing after the kill")
        new_on_b2 = [c for c, v in b2_again.items() if "INVITE" in v["methods"] and v["first"] >= wall_restart]
        check(len(new_on_b2) > 0, f"new calls reach b2 after its return ({len(new_on_b2)} INVITEs)")
        after_up = {c for c, v in {**b1, **b3}.items() if v["first"] > wall_up + 0.1}
        check(len(after_up) > 0 and len(new_on_b2) >= 0.15 * (len(after_up) + len(new_on_b2)),
              f"b2 gets its share again ({len(new_on_b2)} vs {len(after_up)} on b1+b3 since it came back)")
        admin.close()


def test(sipshunt):
    profile = sys.argv[2] if len(sys.argv) > 2 else "fast"
    if profile not in PROFILES:
        raise Failure(f"unknown profile {profile}")
    test_profile(sipshunt, profile)


if __name__ == "__main__":
    sys.exit(main(test))
