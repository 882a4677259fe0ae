#!/usr/bin/env python3
"""DPDK's packet capture against a running sipshunt: dpdk-dumpcap, a DPDK secondary process,
attaches to sipshunt (which registers the capture service, rte_pdump_init) and writes what
crosses the port, both directions, to a pcapng file; tshark reads it back. Checked: dumpcap
lists the port, every call's INVITE, 200, ACK and BYE are in the capture on both legs
(client <-> proxy and proxy <-> backend), and sipshunt stops cleanly after dumpcap detached.

A secondary process needs hugepages in a mounted hugetlbfs and a shared --file-prefix (with
--no-huge it cannot attach: README.md "Seeing the traffic"). The test reserves 256 x 2 MiB
pages and mounts a hugetlbfs of its own, and gives both back at the end; it is skipped (77)
when the kernel does not grant the pages.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

from harness import CLIENT_IP, Env, Failure, call_legs, check, main

CALLS = 10
RATE = 5
PAGES = 256
HUGE = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"


def free_pages():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("HugePages_Free:"):
                return int(line.split()[1])
    return 0


def wait_for_file(path, proc, seconds):
    """dpdk-dumpcap creates its output file once the capture is set up (its "Capturing on" line
    is buffered until it exits)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if os.path.exists(path):
            time.sleep(0.5)
            return
        if proc.poll() is not None:
            raise Failure(f"{proc.args} exited with {proc.returncode}")
        time.sleep(0.1)
    raise Failure(f"dpdk-dumpcap did not create {path} within {seconds} s")


def with_hugepages(sipshunt, body):
    with open(HUGE) as f:
        before = int(f.read())
    mount = tempfile.mkdtemp(prefix="sipshunt-huge-")
    prefix = f"sipshunt-pdump-{os.getpid()}"
    mounted = False
    try:
        with open(HUGE, "w") as f:
            f.write(str(before + PAGES))
        if free_pages() < PAGES // 2 + 32:
            print(f"SKIP: the kernel granted {free_pages()} free hugepages, want {PAGES // 2 + 32}")
            sys.exit(77)
        subprocess.run(["mount", "-t", "hugetlbfs", "-o", "pagesize=2M", "nodev", mount], check=True)
        mounted = True
        body(sipshunt, prefix, mount)
    finally:
        if mounted:
            subprocess.run(["umount", mount], check=False)
        os.rmdir(mount)
        shutil.rmtree(os.path.join("/var/run/dpdk", prefix), ignore_errors=True)
        with open(HUGE, "w") as f:
            f.write(str(before))


def capture_calls(sipshunt, prefix, mount):
    with Env(sipshunt, "pdump") as env:
        px = env.ns("proxy")
        env.start_proxy(eal_args=["-m", "256", f"--file-prefix={prefix}", f"--huge-dir={mount}"])
        listing = subprocess.run(["ip", "netns", "exec", px, "dpdk-dumpcap", f"--file-prefix={prefix}", "-D"],
                                 capture_output=True, text=True, timeout=60)
        check("net_af_packet0" in listing.stdout, f"dpdk-dumpcap -D lists sipshunt's port: {listing.stdout.strip()!r}")
        capture = env.path("sip.pcapng")
        dumpcap = env.popen(px, ["dpdk-dumpcap", f"--file-prefix={prefix}", "-i", "net_af_packet0", "-w", capture],
                            "dumpcap.log")
        wait_for_file(capture, dumpcap, 60)
        env.start_backends("uas.xml")
        rc, created, ok, failed = env.run_caller("uac.xml", CALLS, RATE, cid="pd-%u@%s")
        check(rc == 0 and ok == CALLS and failed == 0, f"all {CALLS} calls succeeded while dpdk-dumpcap captured")
        time.sleep(0.5)
        dumpcap.send_signal(signal.SIGINT)
        check(dumpcap.wait(timeout=30) == 0, "dpdk-dumpcap stopped cleanly on SIGINT")
        time.sleep(0.5)
        env.stop_proxy()

        out = subprocess.run(["tshark", "-r", capture, "-Y", "sip", "-T", "fields", "-E", "separator=\t",
                              "-e", "ip.src", "-e", "ip.dst", "-e", "sip.Call-ID", "-e", "sip.Method",
                              "-e", "sip.Status-Code", "-e", "sip.CSeq.method"],
                             check=True, capture_output=True, text=True).stdout
        seen = defaultdict(set)
        for line in out.splitlines():
            src, dst, cid, method, status, cseq = (line.split("\t") + [""] * 6)[:6]
            seen[cid].add((method or status, cseq, src, dst))
        backend_of = env.backend_of_calls()
        missing = []
        for i in range(1, CALLS + 1):
            cid = f"pd-{i}@{CLIENT_IP}"
            b = backend_of.get(cid)
            if b is None:
                raise Failure(f"{cid} reached no backend")
            want = call_legs(b)
            if not want <= seen[cid]:
                missing.append((cid, sorted(want - seen[cid])))
        check(not missing, "the capture holds every call's INVITE, 200, ACK and BYE on both legs"
              f"{': ' + str(missing[:2]) if missing else ''}")


def test(sipshunt):
    for tool in ("dpdk-dumpcap", "tshark"):
        if shutil.which(tool) is None:
            print(f"SKIP: {tool} not installed (scripts/setup.sh installs it)")
            sys.exit(77)
    if not os.path.exists(HUGE):
        print("SKIP: no 2 MiB hugepages on this kernel")
        sys.exit(77)
    with_hugepages(sipshunt, capture_calls)


if __name__ == "__main__":
    sys.exit(main(test))
