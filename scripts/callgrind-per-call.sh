#!/usr/bin/env bash
# Instructions per call of one function inside a Google Benchmark program, counted by callgrind:
# the stable figure on hosts without hardware counters, where wall-clock moves by tens of percent.
# Collection is on only inside FUNCTION (a callgrind --toggle-collect pattern), so the benchmark's
# own loop and set-up are not counted; the count is the inclusive cost over the calls made.
#
#   scripts/callgrind-per-call.sh BINARY FILTER FUNCTION
#   e.g. scripts/callgrind-per-call.sh build-cg/perf/proxy/proxy_bench 'BM_ProcessInviteIpv6$' 'sipshunt::proxy::process('
#   CALLGRIND_TOP=N   also the N functions of highest own cost, in instructions per call
# Build BINARY without AVX-512 (valgrind cannot run it): meson setup build-cg --buildtype=release
# -Dnative=false -Ddpdk=disabled -Dcpp_args=-march=x86-64-v3 (AVX2, as the SIMD code has a path for it).
set -euo pipefail
[ $# -eq 3 ] || { sed -n 2,9p "$0" >&2; exit 2; }
bin=$1 filter=$2 func=$3
out=$(mktemp /tmp/callgrind-per-call.XXXXXX)
trap 'rm -f "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect="$func*" \
  "$bin" --benchmark_filter="$filter" --benchmark_min_time=0.2 >/dev/null 2>&1
# The caller tree gives the calls made into FUNCTION ("(Nx)"); the totals are its inclusive cost.
callgrind_annotate --tree=caller "$out" 2>/dev/null | python3 -c '
import re, sys
func, total, pending = sys.argv[1], 0, []
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+) .*PROGRAM TOTALS", line)
    if m:
        total = int(m.group(1).replace(",", ""))
    m = re.match(r"\s*[\d,]+ \([^)]*\)\s+<.*\(([\d,]+)x\)", line)
    if m:
        pending.append(int(m.group(1).replace(",", "")))
    elif re.match(r"\s*[\d,]+ \([^)]*\)\s+\*", line):
        if func in line:
            break
        pending = []
    elif not line.strip():
        pending = []
calls = sum(pending)
print(f"{total / calls:.0f} instructions per call ({total} over {calls} calls)")
print(calls, file=open(sys.argv[2], "w"))
' "$func" "$out.calls"
if [ "${CALLGRIND_TOP:-0}" -gt 0 ]; then
  callgrind_annotate --inclusive=no "$out" 2>/dev/null | sed -n '/file:function/,$p' | python3 -c '
import re, sys
calls, top = int(open(sys.argv[1]).read()), int(sys.argv[2])
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+) \([^)]*\)\s+\S*?:(.*?) \[", line)
    if m and top > 0:
        top -= 1
        ir = int(m.group(1).replace(",", ""))
        print(f"{ir / calls:8.0f}  {m.group(2)[:110]}")
' "$out.calls" "$CALLGRIND_TOP"
fi
rm -f "$out.calls"
