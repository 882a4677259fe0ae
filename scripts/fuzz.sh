#!/usr/bin/env bash
# Fuzzes the SIP parser and then the whole proxy step, each for a bounded time: builds
# tests/fuzz/sip_parse_fuzzer and tests/fuzz/proxy_fuzzer with clang (libFuzzer + ASan + UBSan)
# in build-fuzz/, runs each on a writable copy of the seed corpus (tests/fuzz/corpus) plus the
# read-only RFC 4475 corpus, and fails on any crash, sanitizer report or broken invariant (the
# crashing input is kept in build-fuzz/fuzz-artifacts/).
#   scripts/fuzz.sh [SECONDS]     default 60, per fuzzer
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-60}
case "$secs" in (''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
dir=build-fuzz
opts=(-Dfuzz=true -Ddpdk=disabled -Dtests=disabled -Dbenchmarks=disabled --buildtype=debug -Db_lundef=false)

# The fuzzer needs clang: a build-fuzz configured with another compiler is wiped.
if [ -f "$dir/build.ninja" ] && grep -q '"id": "clang"' "$dir/meson-info/intro-compilers.json" 2>/dev/null; then
  meson setup --reconfigure "$dir" "${opts[@]}" >/dev/null
else
  rm -rf "$dir"
  CC=clang CXX=clang++ meson setup "$dir" "${opts[@]}" >/dev/null
fi
ninja -C "$dir" tests/fuzz/sip_parse_fuzzer tests/fuzz/proxy_fuzzer

rfc=${SIPSHUNT_CONFORMANCE_DIR:-$(cd .. && pwd)/shared/conformance}/rfc4475
corpora=()
if [ -d "$rfc" ]; then corpora+=("$rfc"); else echo "fuzz: $rfc missing, seeds only" >&2; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sip-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$dir/fuzz-artifacts"

for fuzzer in sip_parse_fuzzer proxy_fuzzer; do
  rm -rf "${work:?}/$fuzzer"
  mkdir -p "$work/$fuzzer"
  cp tests/fuzz/corpus/* "$work/$fuzzer/"
  echo "fuzz: $fuzzer ${secs}s on $(ls "$work/$fuzzer" | wc -l) seeds${corpora:+ + $rfc}"
  # -max_total_time bounds the run; timeout(1) bounds it again should the process wedge.
  ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:allocator_may_return_null=0 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    timeout --signal=KILL $((secs + 120)) \
    "$dir/tests/fuzz/$fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -max_len=8192 -dict=tests/fuzz/sip.dict -print_final_stats=1 \
      -artifact_prefix="$dir/fuzz-artifacts/$fuzzer-" "$work/$fuzzer" "${corpora[@]}"
  echo "fuzz: $fuzzer: no crash, no sanitizer report, no broken invariant in ${secs}s"
done
