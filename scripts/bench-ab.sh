#!/usr/bin/env bash
# Interleaved A/B of Google Benchmark binaries on a noisy machine: runs each binary in turn,
# ROUNDS times (3 repetitions of >= 0.1 s each per turn), and prints, per benchmark and binary,
# the min and the median of the per-turn medians. Host noise comes in slow waves, so binaries
# compared within one interleaved run see the same waves; compare the ratios, not the figures.
#
#   scripts/bench-ab.sh ROUNDS FILTER BINARY...
#   e.g. scripts/bench-ab.sh 8 invite ../old/build/perf/sip/sip_bench build/perf/sip/sip_bench
set -euo pipefail
[ $# -ge 3 ] || { sed -n 2,8p "$0" >&2; exit 2; }
rounds=$1 filter=$2
shift 2
for _ in $(seq "$rounds"); do
  for b in "$@"; do
    "$b" --benchmark_filter="$filter" --benchmark_min_time=0.1 --benchmark_repetitions=3 \
      --benchmark_report_aggregates_only=true 2>/dev/null | awk -v b="$b" '/_median / {print b, $1, $2}'
  done
done | python3 -c '
import collections, statistics, sys
d = collections.defaultdict(list)
for line in sys.stdin:
    b, name, ns = line.split()
    d[(name.removesuffix("_median"), b)].append(float(ns))
for (name, b), v in sorted(d.items()):
    print(f"{name:45s} {b:50s} min {min(v):8.1f}  median {statistics.median(v):8.1f}  turns {len(v)}")
'
