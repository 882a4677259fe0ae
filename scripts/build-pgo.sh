#!/usr/bin/env bash
# A profile-guided build of sipshunt (perf/README.md "Profile-guided build"): GCC's
# -fprofile-generate / -fprofile-use through meson's b_pgo. Builds an instrumented sipshunt,
# trains it on whole calls replayed through its data plane (scripts/bench-calls.sh: INVITE, ACK
# and BYE from clients on one net_pcap port, the backends' 100, 180 and 200s on another, 100
# rules; ordinary memory, no network, no hugepages), then rebuilds with the profile. Decisions
# and output are the compiler's business only: scripts/explain-diff.sh against
# a plain build must give 0 differ (the tests run it).
#
#   scripts/build-pgo.sh [BUILD_DIR [MESON_OPTION...]]   (default build-pgo; made or reconfigured;
#                                             e.g. -Dnative=false "-Dcpp_args=-march=x86-64-v3 -g")
#   SIPSHUNT_PGO_SECONDS=4                    training run
#   SIPSHUNT_PGO_CALLS=4096                   distinct calls in the captures
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${1:-build-pgo}
EXTRA=("${@:2}")
SECS=${SIPSHUNT_PGO_SECONDS:-4}  # 3 or more
CALLS=${SIPSHUNT_PGO_CALLS:-4096}
[ "$(id -u)" -eq 0 ] || { echo "build-pgo: run as root (DPDK memory)" >&2; exit 1; }

if [ -f "$BUILD/build.ninja" ]; then
  meson configure "$BUILD" -Db_pgo=generate "${EXTRA[@]}" >/dev/null
else
  meson setup "$BUILD" --buildtype=release -Dtests=disabled -Dbenchmarks=disabled -Db_pgo=generate \
    "${EXTRA[@]}" >/dev/null
fi
find "$BUILD" -name '*.gcda' -delete  # a profile of older code would only be refused file by file
ninja -C "$BUILD" src/app/sipshunt >/dev/null
echo "build-pgo: instrumented build in $BUILD"

# Training: whole calls (scripts/bench-calls.sh), not the INVITEs alone that bench-pcap.sh replays
# (perf/README.md "Profile-guided build": a profile of those fits that benchmark, not traffic).
case "$BUILD" in /*) bin=$BUILD/src/app/sipshunt ;; *) bin=$ROOT/$BUILD/src/app/sipshunt ;; esac
SIPSHUNT_BENCH_BIN=$bin SIPSHUNT_BENCH_CALLS=$CALLS scripts/bench-calls.sh "$SECS" |
  sed 's/^/build-pgo: training: /'
[ -n "$(find "$BUILD" -name '*.gcda' -print -quit)" ] || { echo "build-pgo: no profile written" >&2; exit 1; }

meson configure "$BUILD" -Db_pgo=use >/dev/null
ninja -C "$BUILD" src/app/sipshunt >/dev/null
echo "build-pgo: $BUILD/src/app/sipshunt built with the profile"
