#!/usr/bin/env python3
"""HEP v3 mirroring: sipshunt sends every SIP message in and out to a collector on 127.0.0.1:9060
in its own namespace (the kernel's loopback: the collector is never reached through the DPDK
port). tshark captures the HEP stream; sngrep, an independent HEP3 decoder (Homer's), turns the
capture back into SIP datagrams with the addresses and ports the HEP chunks carry, and tshark's
SIP dissector reads those. Checked: every call's INVITE, 200, ACK and BYE appear in both
directions (client -> proxy -> backend and back) with the right endpoints, the backend in the
mirror is the one whose sipp log has the call, each forwarded INVITE has the size the backend
received, and the proxy's counters say every message was mirrored, none dropped. Then with
sample = 0.5: some calls but not all are mirrored, each with all its messages or none.

Debian 12's tshark (Wireshark 4.0) has no HEP dissector of its own, hence sngrep for the HEP
layer; tshark still does the capture and the SIP decoding.
"""
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict

from harness import CLIENT_IP, PROXY_IP, Env, Failure, call_legs, check, main, sipplog

CALLS = 20
SAMPLED_CALLS = 30
RATE = 10
COLLECTOR = "127.0.0.1:9060"
AGENT_ID = 2001

SINK = ("import socket\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "s.bind(('127.0.0.1', 9060))\n"
        "while True:\n"
        "    s.recv(70000)\n")


def wait_for(path, text, proc, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if os.path.exists(path) and text in open(path, errors="replace").read():
            return
        if proc.poll() is not None:
            raise Failure(f"{proc.args} exited with {proc.returncode}")
        time.sleep(0.1)
    raise Failure(f"no '{text}' in {path} within {seconds} s")


def sip_rows(pcap):
    """(src, sport, dst, dport, call_id, method or status, cseq method, udp payload size, Unix time) per
    SIP datagram. sngrep 1.6 writes each message it decodes from HEP twice in a row: one is kept."""
    out = subprocess.run(["tshark", "-r", pcap, "-Y", "sip", "-T", "fields", "-E", "separator=\t",
                          "-e", "ip.src", "-e", "udp.srcport", "-e", "ip.dst", "-e", "udp.dstport",
                          "-e", "sip.Call-ID", "-e", "sip.Method", "-e", "sip.Status-Code",
                          "-e", "sip.CSeq.method", "-e", "udp.length", "-e", "frame.time_epoch", "-e", "udp.payload"],
                         check=True, capture_output=True, text=True).stdout
    rows = []
    previous = None
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) < 11 or f == previous:
            continue
        previous = f
        what = f[5] or f[6]
        rows.append((f[0], int(f[1]), f[2], int(f[3]), f[4], what, f[7], int(f[8]) - 8, float(f[9])))
    return rows


def mirrored_run(env, sample, cid, calls, name):
    """sipshunt with [hep] at `sample`, `calls` calls from the caller, the HEP stream captured with
    tshark: returns the proxy's final counters, the capture's HEP datagrams (hex) and the SIP
    rows sngrep decoded from them, after checking that none was lost on the way."""
    px = env.ns("proxy")
    capture = env.path(f"{name}.pcapng")
    tshark = env.popen(px, ["tshark", "-i", "lo", "-f", "udp dst port 9060", "-w", capture], f"tshark-{name}.log")
    wait_for(env.path(f"tshark-{name}.log"), "Capturing on", tshark, 30)
    if os.path.exists(env.stats_path):
        os.unlink(env.stats_path)  # start_proxy waits for a fresh one
    env.start_proxy(hep={"address": COLLECTOR, "sample": sample, "agent_id": AGENT_ID})
    rc, created, ok, failed = env.run_caller("uac.xml", calls, RATE, cid=cid)
    check(rc == 0 and ok == calls and failed == 0, f"sample {sample}: all {calls} calls succeeded at the caller")
    stats = env.stop_proxy()
    time.sleep(1)
    tshark.send_signal(signal.SIGINT)
    tshark.wait(timeout=30)

    hep = stats["hep"]
    print("hep counters:", hep)
    check(hep["enabled"] and hep["queue_full"] == 0 and hep["too_large"] == 0 and hep["send_errors"] == 0,
          "nothing dropped on the way to the collector")
    frames = subprocess.run(["tshark", "-r", capture, "-T", "fields", "-e", "udp.payload"],
                            check=True, capture_output=True, text=True).stdout.split()
    check(len(frames) == hep["mirrored"], f"the capture holds the {len(frames)} HEP datagrams sipshunt sent")
    decoded = env.path(f"{name}-decoded.pcap")
    subprocess.run(["sngrep", "-N", "-q", "-E", "-I", capture, "-O", decoded], check=True, timeout=60,
                   stdin=subprocess.DEVNULL, capture_output=True)
    rows = sip_rows(decoded)
    check(len(rows) == hep["mirrored"], f"sngrep decoded {len(rows)} SIP messages from the HEP stream")
    return stats, frames, rows


def test(sipshunt):
    for tool in ("tshark", "sngrep"):
        if shutil.which(tool) is None:
            print(f"SKIP: {tool} not installed (scripts/setup.sh installs it)")
            sys.exit(77)
    with Env(sipshunt, "hep") as env:
        px = env.ns("proxy")
        subprocess.run(["ip", "-n", px, "link", "set", "lo", "up"], check=True)
        # A listener, so the kernel does not answer the HEP datagrams with port-unreachable.
        env.popen(px, [sys.executable, "-c", SINK], "sink.log")
        env.start_backends("uas.xml")

        # Everything mirrored.
        started = time.time()
        stats, frames, rows = mirrored_run(env, 1.0, "hep-%u@%s", CALLS, "all")
        ended = time.time()
        hep, dp = stats["hep"], stats["dataplane"]
        mirrored_expected = dp["sip_in"] + dp["sip_forwarded"] + dp["sip_replied"]
        check(hep["mirrored"] == mirrored_expected,
              f"every SIP datagram in ({dp['sip_in']}) and out ({dp['sip_forwarded'] + dp['sip_replied']}) mirrored: "
              f"{hep['mirrored']}")
        check(all(f.startswith("48455033") for f in frames), "each HEP datagram starts with \"HEP3\"")
        check(all(f"000c000a{AGENT_ID:08x}" in f for f in frames), f"each carries capture agent id {AGENT_ID}")
        check(all(started <= r[8] <= ended for r in rows), "their HEP timestamps fall within the test's run")

        backend_of = env.backend_of_calls()
        invite_size = {}
        for name, log in env.backend_logs().items():
            for m in sipplog.parse(log):
                if m.direction == "received" and m.method == "INVITE":
                    invite_size[m.call_id] = m.size
        seen = defaultdict(set)
        sizes = {}
        for src, sport, dst, dport, cid, what, cseq, size, _ in rows:
            seen[cid].add((what, cseq, src, dst))
            if what == "INVITE" and src == PROXY_IP:
                sizes[cid] = size
        cids = [f"hep-{i}@{CLIENT_IP}" for i in range(1, CALLS + 1)]
        check(set(seen) == set(cids), f"the mirror holds exactly the {CALLS} Call-IDs the caller used")
        missing = []
        for cid in cids:
            b = backend_of.get(cid)
            if b is None:
                raise Failure(f"{cid} reached no backend")
            want = call_legs(b) | {("200", "BYE", b, PROXY_IP), ("200", "BYE", PROXY_IP, CLIENT_IP)}
            if not want <= seen[cid]:
                missing.append((cid, sorted(want - seen[cid])))
        check(not missing, "each call's INVITE, 200, ACK, BYE and 200 appear in both directions, to and from its "
              f"backend{': ' + str(missing[:2]) if missing else ''}")
        wrong = [cid for cid in cids if sizes.get(cid) != invite_size.get(cid)]
        check(not wrong, "each mirrored outgoing INVITE has the size its backend received"
              f"{': ' + str([(c, sizes.get(c), invite_size.get(c)) for c in wrong[:3]]) if wrong else ''}")

        # Half the calls, by Call-ID: each call is in the mirror whole (its 12 messages) or not at all.
        _, _, rows = mirrored_run(env, 0.5, "hs-%u@%s", SAMPLED_CALLS, "half")
        per_call = defaultdict(int)
        for r in rows:
            per_call[r[4]] += 1
        kept = len(per_call)
        check(0 < kept < SAMPLED_CALLS, f"sample 0.5 kept {kept} of {SAMPLED_CALLS} calls")
        partial = {cid: n for cid, n in per_call.items() if n != 12}
        check(not partial,
              f"each kept call has all its 12 messages, in and out{': ' + str(partial) if partial else ''}")


if __name__ == "__main__":
    sys.exit(main(test))
