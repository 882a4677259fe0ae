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
# The calls made into FUNCTION and the collected total (scripts/lib/callgrind_report.py).
python3 "$(dirname "$0")/lib/callgrind_report.py" "$out" "$func" --top "${CALLGRIND_TOP:-0}"
