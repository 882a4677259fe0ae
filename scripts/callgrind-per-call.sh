#!/usr/bin/env bash
# Instructions per call of one function inside a Google Benchmark program, counted by callgrind:
# the stable figure on hosts without hardware counters, where wall-clock moves by tens of percent.
# Collection is on only inside FUNCTION (its full names with that prefix, not the lambdas defined in it), so the benchmark's
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
# Collection toggles on entry to and exit from FUNCTION itself, named in full (with its clones):
# a pattern FUNCTION* would also match the lambdas defined inside it, whose names begin with
# FUNCTION's, and entering one would turn collection off for its whole cost.
toggles=()
while IFS= read -r name; do
  toggles+=("--toggle-collect=$name")
done < <(nm -C --defined-only "$bin" | cut -d' ' -f3- | awk -v f="$func" 'index($0, f) == 1 && index($0, "{lambda") == 0' | sort -u)
[ ${#toggles[@]} -gt 0 ] || { echo "callgrind-per-call: no function named $func... in $bin" >&2; exit 1; }
valgrind --tool=callgrind --callgrind-out-file="$out" "${toggles[@]}" \
  "$bin" --benchmark_filter="$filter" --benchmark_min_time=0.2 >/dev/null 2>&1
# The calls made into FUNCTION and the collected total (scripts/lib/callgrind_report.py).
python3 "$(dirname "$0")/lib/callgrind_report.py" "$out" "$func" --top "${CALLGRIND_TOP:-0}"
