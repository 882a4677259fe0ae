#!/usr/bin/env bash
# Instructions per forwarded INVITE of a whole worker, counted by callgrind: scripts/bench-pcap.sh's
# run (net_pcap replay -> Ethernet/IP/UDP checks -> proxy::process -> headers and checksums ->
# net_null) under valgrind, collection on only inside Worker::poll_once (the worker's loop: the
# main lcore is not counted), divided by the number of proxy::process calls (every datagram of the
# capture is an INVITE that is forwarded). The stable figure on hosts without hardware counters,
# where `perf stat` would give it and the wall-clock rate moves by tens of percent between runs.
#
#   scripts/callgrind-pcap.sh [SECONDS]       (default 40: valgrind runs ~50x slower)
#   SIPSHUNT_BENCH_FAMILY=4|6, SIPSHUNT_BENCH_RULESETS="100" (one), SIPSHUNT_BENCH_INVITES=4096
#   SIPSHUNT_CG_BUILD=build-cgd               build directory (or another tree's, absolute), made when missing (no AVX-512:
#                                             valgrind cannot run it; AVX2 as the SIMD code has a path for it)
#   CALLGRIND_TOP=N                           also the N functions of highest own cost per INVITE
# Includes the benchmark's own PMD (copying each frame out of the capture) and net_null.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_RUN=${1:-40}
BUILD=${SIPSHUNT_CG_BUILD:-build-cgd}
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" --buildtype=release -Dnative=false \
  -Dcpp_args=-march=x86-64-v3 -Dtests=disabled -Dbenchmarks=disabled >/dev/null
ninja -C "$BUILD" src/app/sipshunt >/dev/null
case "$BUILD" in /*) bin=$BUILD/src/app/sipshunt ;; *) bin=$(pwd)/$BUILD/src/app/sipshunt ;; esac
work=$(mktemp -d /tmp/sipshunt-callgrind-pcap.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat >"$work/sipshunt" <<WRAP
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file=$work/callgrind.out \
  --toggle-collect='sipshunt::dataplane::Worker::poll_once*' $bin "\$@"
WRAP
chmod +x "$work/sipshunt"
SIPSHUNT_BENCH_BIN=$work/sipshunt SIPSHUNT_BENCH_START_S=120 SIPSHUNT_BENCH_INVITES=${SIPSHUNT_BENCH_INVITES:-4096} \
  SIPSHUNT_BENCH_RULESETS=${SIPSHUNT_BENCH_RULESETS:-100} SIPSHUNT_BENCH_WORKERS=1 \
  scripts/bench-pcap.sh "$SECONDS_RUN" >"$work/bench.log" 2>&1 || { cat "$work/bench.log"; exit 1; }
grep -E "^(captures|default|100 rules)" "$work/bench.log" | sed 's/^/bench-pcap (under valgrind): /'
python3 scripts/lib/callgrind_report.py "$work/callgrind.out" 'sipshunt::proxy::process(' --top "${CALLGRIND_TOP:-0}"
