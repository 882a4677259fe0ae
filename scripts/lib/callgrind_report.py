#!/usr/bin/env python3
"""Instructions per call from a callgrind output file (scripts/callgrind-per-call.sh,
scripts/callgrind-pcap.sh): the collected total (the run's collection was toggled on inside one
function) divided by the number of calls made into COUNTED (a function name prefix, e.g.
'sipshunt::proxy::process('), and with --top N the N functions of highest own cost per call.

  callgrind_report.py CALLGRIND_OUT COUNTED [--top N]
"""
import argparse
import os
import re
import subprocess
import sys


def annotate(out, *args):
    # Run from / : under a directory that holds the sources, callgrind_annotate shortens file names
    # and then leaves out the callers of a function built with debug info (its call counts).
    return subprocess.run(["callgrind_annotate", "--auto=no", *args, os.path.abspath(out)], check=True,
                          capture_output=True, text=True, cwd="/").stdout


def counts(line, counted):
    at = line.find(counted)
    return at >= 0 and "{lambda" not in line[at:] and "::$_" not in line[at:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("counted")
    ap.add_argument("--top", type=int, default=0)
    a = ap.parse_args()
    total, pending, calls = 0, [], 0
    # The caller tree: each function's callers, "(Nx)" each, above its own "* function" line.
    for line in annotate(a.out, "--tree=caller").splitlines():
        m = re.match(r"\s*([\d,]+) .*PROGRAM TOTALS", line)
        if m:
            total = int(m.group(1).replace(",", ""))
        m = re.match(r"\s*[\d,]+ \([^)]*\)\s+<.*\(([\d,]+)x\)", line)
        if m:
            pending.append(int(m.group(1).replace(",", "")))
        elif re.match(r"\s*[\d,]+ \([^)]*\)\s+\*", line):
            # The function itself, not a lambda defined in it (GCC "{lambda", clang "::$_"), whose
            # name begins the same way and whose calls are not the function's.
            # With debug info the function is listed once per source file its lines came from
            # (inlined headers); the calls into it are under one of those entries: sum them all.
            if counts(line, a.counted):
                calls += sum(pending)
            pending = []
        elif not line.strip():
            pending = []
    if calls == 0:
        sys.exit(f"callgrind_report: no call into {a.counted} in {a.out}")
    print(f"{total / calls:.0f} instructions per call ({total} over {calls} calls)")
    # Own cost per function, summed over the source files its lines came from (with debug info a
    # function is listed once per file it inlined code from).
    own = {}
    listing = annotate(a.out, "--inclusive=no", "--threshold=100")
    for line in listing[listing.find("file:function"):].splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+\S*?:(.*?) \[", line) or re.match(r"\s*([\d,]+) \([^)]*\)\s+\S*?:(.*)$", line)
        if m:
            own[m.group(2)] = own.get(m.group(2), 0) + int(m.group(1).replace(",", ""))
    for name, cost in sorted(own.items(), key=lambda kv: -kv[1])[: a.top]:
        print(f"{cost / calls:8.0f}  {name[:110]}")

if __name__ == "__main__":
    main()
