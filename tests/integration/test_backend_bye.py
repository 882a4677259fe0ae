#!/usr/bin/env python3
"""A BYE sent by a backend reaches the caller: the backend routes it by the Record-Route it got
(our pin), the proxy removes its own Route and forwards by Request-URI (the caller's Contact).
The caller's scenario only completes when that BYE arrives; the backend's log must show the
caller's 200 for it, and the proxy's counters the outbound requests."""
import sys

from harness import Env, check, main, sipplog

CALLS = 150


def test(sipshunt):
    with Env(sipshunt, "bye") as env:
        env.start_proxy()
        env.start_backends("uas_bye.xml")
        rc, created, ok, failed = env.run_caller("uac_bye_in.xml", CALLS, 30, cid="bye-%u@%s")
        check(rc == 0 and ok == CALLS and failed == 0, f"all {CALLS} callers received their backend's BYE and answered")
        stats = env.stop_proxy()
        answered = 0
        for name, log in env.backend_logs().items():
            for m in sipplog.parse(log):
                if m.direction == "received" and m.status == 200 and m.cseq_method == "BYE":
                    answered += 1
        check(answered >= CALLS, f"the backends received the caller's 200 for each BYE they sent ({answered})")
        outbound = stats["sip"]["reasons"]["outbound"]
        check(outbound >= CALLS, f"the proxy routed {outbound} backend-originated requests outward")


if __name__ == "__main__":
    sys.exit(main(test))
