#!/usr/bin/env python3
"""Reads what sipp saw: its -trace_msg message logs (per backend) and -trace_stat CSV (caller).

Used by scripts/demo.sh for the summary and by tests/integration for the checks: routing is
verified on the backend side (sipp answers an unknown BYE with 200, so success at the caller
proves nothing about where a request went).

  sipplog.py summary --uac-csv FILE --stats FILE NAME=LOG...   print the demo summary
"""
import argparse
import csv
import json
import re
import sys
from collections import Counter, defaultdict

_SEP = re.compile(r"^-{20,} \d{4}-\d\d-\d\d ", re.M)
_HDR = re.compile(r"^(?:Call-ID|i)\s*:\s*(.*?)\s*$", re.M | re.I)
_DIR = re.compile(r"^(\w+) message (received|sent)", re.M)
_VIA = re.compile(r"^(?:Via|v)\s*:\s*SIP\s*/\s*2\.0\s*/\s*\w+\s+([^;,\s]+)", re.M | re.I)


class Message:
    __slots__ = ("direction", "start_line", "method", "status", "call_id", "size", "cseq_method", "top_via")

    def __init__(self, direction, start_line, call_id, size, cseq_method, top_via=""):
        self.direction = direction          # "received" or "sent"
        self.start_line = start_line
        parts = start_line.split(" ", 2)
        if start_line.startswith("SIP/2.0"):
            self.method, self.status = None, int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        else:
            self.method, self.status = parts[0], None
        self.call_id = call_id
        self.size = size
        self.cseq_method = cseq_method
        self.top_via = top_via              # sent-by of the first Via ("198.18.0.1:5060", "[v6]:port")


def parse(path):
    """Every message in a sipp -message_file, in order."""
    with open(path, "r", errors="replace") as f:
        text = f.read()
    out = []
    for chunk in _SEP.split(text)[1:]:
        d = _DIR.search(chunk)
        if not d:
            continue
        direction = d.group(2)
        m = re.search(r"[\[(](\d+)[\])] bytes", chunk)
        size = int(m.group(1)) if m else 0
        lines = chunk.split("\n")
        # the SIP message starts after the first empty line following the header line
        i = 0
        while i < len(lines) and not _DIR.match(lines[i]):
            i += 1
        i += 1
        while i < len(lines) and lines[i].strip() == "":
            i += 1
        if i >= len(lines):
            continue
        start_line = lines[i].strip()
        c = _HDR.search(chunk)
        cs = re.search(r"^CSeq\s*:\s*\d+\s+(\S+)", chunk, re.M | re.I)
        v = _VIA.search(chunk)
        out.append(Message(direction, start_line, c.group(1) if c else "", size, cs.group(1) if cs else "",
                           v.group(1) if v else ""))
    return out


def received_requests(path):
    """{call_id: Counter(method)} of the requests a backend received."""
    calls = defaultdict(Counter)
    for m in parse(path):
        if m.direction == "received" and m.method:
            calls[m.call_id][m.method] += 1
    return calls


def uac_totals(csv_path):
    """(created, successful, failed) from the last row of a sipp -trace_stat file."""
    with open(csv_path, newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    head, last = rows[0], rows[-1]
    col = {name: i for i, name in enumerate(head)}
    return (int(last[col["TotalCallCreated"]]), int(last[col["SuccessfulCall(C)"]]), int(last[col["FailedCall(C)"]]))


def summary(args):
    created, ok, failed = uac_totals(args.uac_csv)
    print(f"calls attempted {created}, succeeded {ok}, failed {failed}")
    owner = {}
    split = 0
    total_invites = 0
    rows = []
    for spec in args.logs:
        name, path = spec.split("=", 1)
        calls = received_requests(path)
        invites = sum(1 for c in calls.values() if c["INVITE"])
        total_invites += invites
        rows.append((name, invites, sum(c["ACK"] for c in calls.values()), sum(c["BYE"] for c in calls.values())))
        for cid in calls:
            if cid in owner and owner[cid] != name:
                split += 1
            owner[cid] = name
    print("calls per backend (counted by each backend from the INVITEs it received):")
    for name, invites, acks, byes in rows:
        share = 100.0 * invites / total_invites if total_invites else 0.0
        print(f"  {name:<10} {invites:>6} calls ({share:5.1f}%)  ACK {acks:>6}  BYE {byes:>6}")
    print(f"  Call-IDs seen at more than one backend: {split}")
    with open(args.stats) as f:
        s = json.load(f)
    dp = s["dataplane"]
    print("proxy counters:")
    for p in s["ports"]:
        print(f"  port {p['name']}: rx {p['rx_packets']} packets, tx {p['tx_packets']} packets")
    print(f"  SIP in {dp['sip_in']}, forwarded {dp['sip_forwarded']}, stateless replies {dp['sip_replied']}, "
          f"dropped {dp['sip_dropped']}")
    reasons = {k: v for k, v in s["sip"]["reasons"].items() if v}
    print("  by reason: " + ", ".join(f"{k} {v}" for k, v in reasons.items()))
    print("  forwarded per backend: " + ", ".join(f"{k} {v}" for k, v in s["sip"]["backends"].items()))
    drops = {k: v for k, v in dp["drops"].items() if v}
    print("  data-plane drops: " + (", ".join(f"{k} {v}" for k, v in drops.items()) or "none"))
    print(f"  ARP: {dp['arp_in']} in, {dp['arp_replies']} replies, {dp['arp_requests']} requests; "
          f"{dp['held']} packets waited for ARP")
    return 0 if failed == 0 and ok == created and split == 0 else 1


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("summary")
    s.add_argument("--uac-csv", required=True)
    s.add_argument("--stats", required=True)
    s.add_argument("logs", nargs="+", help="NAME=sipp message log")
    args = ap.parse_args()
    return summary(args)


if __name__ == "__main__":
    sys.exit(main())
