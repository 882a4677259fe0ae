#!/usr/bin/env python3
"""CANCEL reaches the backend that has its INVITE (and so does the ACK for the 487): the proxy keeps
no transaction state, so this holds only if the CANCEL hashes and routes exactly like its INVITE.
Checked in the backends' own logs, per Call-ID."""
import sys

from harness import Env, Failure, check, main, sipplog

CALLS = 150


def test(sipshunt):
    with Env(sipshunt, "cancel") as env:
        env.start_proxy()
        env.start_backends("uas_cancel.xml")
        rc, created, ok, failed = env.run_caller("uac_cancel.xml", CALLS, 30, cid="cancel-%u@%s")
        check(rc == 0 and ok == CALLS and failed == 0, f"all {CALLS} cancelled calls completed at the caller (487 + ACK)")
        env.stop_proxy()
        where = {}
        for name, log in env.backend_logs().items():
            for cid, methods in sipplog.received_requests(log).items():
                check_one = (methods["INVITE"] >= 1, methods["CANCEL"] >= 1, methods["ACK"] >= 1)
                if cid in where:
                    raise Failure(f"{cid} at {where[cid][0]} and {name}")
                where[cid] = (name, check_one)
        check(len(where) == CALLS, f"{len(where)} Call-IDs at the backends, one per call")
        bad = [cid for cid, (_, c) in where.items() if c != (True, True, True)]
        check(not bad, f"every CANCEL (and the ACK of its 487) reached its INVITE's backend ({len(bad)} exceptions)")
        per = {}
        for name, _ in where.values():
            per[name] = per.get(name, 0) + 1
        check(len(per) == env.nbackends, f"the calls were spread over every backend: {per}")


if __name__ == "__main__":
    sys.exit(main(test))
