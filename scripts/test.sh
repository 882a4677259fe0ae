#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every suite:
# unit + RFC 4475 conformance (release and ASan/UBSan), the parser and proxy fuzzers (bounded), the
# network integration suite (namespaces + sipp) and the profile-guided build (scripts/build-pgo.sh:
# it must decide as the plain build does) when the data plane is built, and the Debian
# package (built, lintian, installed into a debootstrap root: scripts/package-test.sh).
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
  echo "== parser and proxy fuzzing (bounded)"
  scripts/fuzz.sh "${SIPSHUNT_FUZZ_SECONDS:-60}"
fi

has_suite() {  # build dir, suite: is a test of that suite registered?
  meson introspect "$1" --tests | python3 -c 'import json,sys; sys.exit(0 if any(sys.argv[1] in t["suite"] or "sipshunt:"+sys.argv[1] in t["suite"] for t in json.load(sys.stdin)) else 1)' "$2"
}

if has_suite build integration; then
  echo "== network integration suite (namespaces, DPDK af_packet, sipp)"
  meson test -C build --print-errorlogs --no-rebuild --suite integration
fi
if has_suite build integration && [ "$(id -u)" -eq 0 ]; then
  echo "== profile-guided build (scripts/build-pgo.sh): trained on whole calls, decides as the plain build"
  scripts/build-pgo.sh build-pgo
  scripts/explain-diff.sh build/src/app/sipshunt build-pgo/src/app/sipshunt
fi
if [ "$(id -u)" -eq 0 ] && [ "${SIPSHUNT_TEST_PACKAGE:-1}" = 1 ]; then
  echo "== Debian package: build, lintian, install into a fresh Debian 12 root"
  scripts/package-test.sh
fi
echo "== all suites passed"
