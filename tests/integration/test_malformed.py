#!/usr/bin/env python3
"""Malformed datagrams mixed into calls are counted, each exactly once under its reason, and disturb
nothing: every call still succeeds and no junk reaches a backend."""
import json
import os
import subprocess
import sys

from harness import Env, check, main, sipplog

CALLS = 400
JUNK_EACH = 25
SIP_JUNK = ["garbage", "truncated", "no-call-id", "content-length-beyond", "sip-3.0", "empty"]
DATAPLANE_JUNK = ["bad-udp-checksum", "closed-port", "unsupported-protocol"]


def test(sipshunt):
    with Env(sipshunt, "junk") as env:
        env.start_proxy()
        env.start_backends("uas.xml")
        caller = env.run_caller("uac.xml", CALLS, 80, cid="mal-%u@%s", wait=False)
        junk = subprocess.run(["ip", "netns", "exec", env.ns("client"), sys.executable,
                               os.path.join(os.path.dirname(os.path.abspath(__file__)), "junk.py"), "198.18.0.1",
                               str(JUNK_EACH), "3"], capture_output=True, text=True, timeout=60)
        check(junk.returncode == 0, f"junk sender ran ({junk.stderr.strip()[-300:]})")
        sent = json.loads(junk.stdout)
        print("sent:", sent)
        rc, created, ok, failed = env.wait_caller(caller, 120)
        check(rc == 0 and ok == CALLS and failed == 0, f"all {CALLS} calls succeeded while junk was mixed in")
        stats = env.stop_proxy()
        sip = stats["sip"]
        dp = stats["dataplane"]
        want = sum(sent[k] for k in SIP_JUNK)
        check(sip["parse_errors"] == want, f"{sip['parse_errors']} parse failures counted for {want} malformed SIP datagrams")
        print("parse failure reasons:", {k: v for k, v in sip["reasons"].items() if v and k not in
                                         ("forwarded", "pinned", "response")})
        for k in DATAPLANE_JUNK:
            check(dp["drops"][k] == sent[k], f"data-plane drop '{k}' counted {dp['drops'][k]} of {sent[k]}")
        check(dp["sip_forwarded"] >= 6 * CALLS, f"{dp['sip_forwarded']} forwarded (6 per call)")
        leaked = []
        for name, log in env.backend_logs().items():
            leaked += [cid for cid in sipplog.received_requests(log) if cid.startswith("junk-")]
        check(not leaked, f"no malformed request reached a backend ({len(leaked)})")


if __name__ == "__main__":
    sys.exit(main(test))
