#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every suite:
# unit + RFC 4475 conformance (release and ASan/UBSan), the parser fuzzer (bounded), and the
# network integration suite (namespaces + sipp) when the data plane is built.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "== release build and unit/conformance suites"
ninja -C build
meson test -C build --print-errorlogs --no-rebuild --suite unit

echo "== ASan/UBSan build of the unit/conformance suites"
ninja -C build-san
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-san --print-errorlogs --no-rebuild --suite unit

if [ -x scripts/fuzz.sh ]; then
  echo "== parser fuzzing (bounded)"
  scripts/fuzz.sh "${SIPSHUNT_FUZZ_SECONDS:-60}"
fi

if meson test -C build --list --no-rebuild 2>/dev/null | grep -q '^sipshunt:integration'; then
  echo "== network integration suite (namespaces, DPDK af_packet, sipp)"
  meson test -C build --print-errorlogs --no-rebuild --suite integration
fi
echo "== all suites passed"
