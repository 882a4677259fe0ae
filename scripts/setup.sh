#!/usr/bin/env bash
# Installs every Debian package that the build, the tests, the fuzzer and the demo need, then
# configures the build directories. Idempotent and non-interactive; run as root on Debian 12.
#   scripts/setup.sh            packages + build/ (release) + build-san/ (ASan/UBSan)
#   SIPSHUNT_SETUP_NO_BUILD=1   packages only
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  meson ninja-build pkg-config g++ clang libclang-rt-14-dev llvm
  dpdk libdpdk-dev libhyperscan-dev libjemalloc-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  libtomlplusplus-dev libspdlog-dev libfmt-dev libcli11-dev libcpp-httplib-dev libxxhash-dev
  sip-tester kamailio iproute2 iputils-ping libpcap-dev tcpdump python3 procps ethtool
  prometheus  # promtool: the admin tests check /metrics with `promtool check metrics`
  tshark sngrep  # the HEP test: tshark captures and reads SIP, sngrep decodes HEP3
  dpdk-dev       # dpdk-dumpcap, for the packet-capture test
  libsystemd-dev systemd  # sd_notify for `sipshunt run`; systemd-analyze verify on the unit
  debhelper dpkg-dev fakeroot lintian debootstrap binutils man-db  # scripts/package.sh, package-test.sh
  bird2          # BGP speakers and the router of the scale-out test (scripts/bgp/)
)

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -q
  # wireshark-common (tshark) asks whether non-root users may capture: no, and no prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi

[ "${SIPSHUNT_SETUP_NO_BUILD:-0}" = 1 ] && exit 0

configure() {  # dir, args...
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@"
  fi
}
configure build --buildtype=release
# Sanitizer build for the unit and conformance suites (no DPDK: its pkg-config flags and
# hugepage allocator do not mix with ASan).
configure build-san --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
  -Ddpdk=disabled -Dbenchmarks=disabled
