#!/usr/bin/env bash
# The Debian package as an operator gets it (README "Install as a package"):
#   1. scripts/package.sh builds it;
#   2. lintian reports no error (warnings are printed);
#   3. the binary holds no AVX2/AVX-512 instruction (-Dnative=false: no SIGILL on older CPUs);
#   4. apt installs it, dependencies from the Debian archive, into a fresh Debian 12 root
#      (debootstrap --variant=minbase bookworm; the bootstrapped root is cached as a tarball under
#      build/package/, so only the first run pays for it), where `sipshunt --version` and
#      `sipshunt check -c /etc/sipshunt/sipshunt.toml` (the shipped config and rules) succeed, the
#      units, the BGP glue (runs: --help) and its defaults, the BIRD and monitoring examples are there.
# Root only (debootstrap, chroot; exit 77 otherwise). Needs the Debian archive.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "package-test: SKIP: needs root (debootstrap, chroot)"; exit 77; }
dir=$PWD/build/package
mirror=${SIPSHUNT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${SIPSHUNT_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}

scripts/package.sh
version=$(dpkg-parsechangelog -l scripts/debian/changelog -S Version)
deb=$dir/sipshunt_${version}_amd64.deb

echo "== lintian"
lintian --fail-on error --info "$deb"
echo "package-test: lintian: no errors"

echo "== portable binary"
work=$(mktemp -d)
rootfs=$dir/rootfs
cleanup() {
  for m in var/cache/apt/archives proc; do
    mountpoint -q "$rootfs/$m" && umount "$rootfs/$m"
  done
  rm -rf "$work" "$rootfs"
}
trap cleanup EXIT
dpkg-deb -x "$deb" "$work"
wide=$(objdump -d --no-show-raw-insn "$work/usr/bin/sipshunt" | grep -cE '%[yz]mm[0-9]' || true)
if [ "$wide" -ne 0 ]; then
  echo "package-test: FAIL: /usr/bin/sipshunt uses $wide AVX2/AVX-512 instructions" >&2
  exit 1
fi
echo "package-test: no ymm/zmm register in /usr/bin/sipshunt"

echo "== install into a fresh Debian 12 root"
cache=$dir/bookworm-minbase.tar
if [ ! -s "$cache" ]; then
  rm -rf "$dir/bootstrap"
  debootstrap --variant=minbase bookworm "$dir/bootstrap" "$mirror" >"$dir/debootstrap.log" 2>&1 || {
    tail -n 30 "$dir/debootstrap.log"; exit 1; }
  tar -C "$dir/bootstrap" -cf "$cache.tmp" . && mv "$cache.tmp" "$cache"
  rm -rf "$dir/bootstrap"
fi
rm -rf "$rootfs"
mkdir -p "$rootfs" "$dir/apt-archives/partial"
tar -C "$rootfs" -xf "$cache"
mount -t proc proc "$rootfs/proc"
mount --bind "$dir/apt-archives" "$rootfs/var/cache/apt/archives"
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
SOURCES
cp "$deb" "$rootfs/tmp/"
in_root() { chroot "$rootfs" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
in_root apt-get update -q >"$dir/apt.log" 2>&1 || { tail -n 20 "$dir/apt.log"; exit 1; }
DEBIAN_FRONTEND=noninteractive in_root apt-get install -y -q --no-install-recommends "/tmp/$(basename "$deb")" \
  >>"$dir/apt.log" 2>&1 || { tail -n 30 "$dir/apt.log"; exit 1; }
echo "package-test: installed: $(in_root dpkg-query -W -f='${Package} ${Version} ${Status}' sipshunt)"

echo "$ sipshunt --version"
in_root sipshunt --version
echo "$ sipshunt check -c /etc/sipshunt/sipshunt.toml"
in_root sipshunt check -c /etc/sipshunt/sipshunt.toml
for f in /lib/systemd/system/sipshunt.service /etc/sipshunt/rules/default.rules /usr/share/man/man8/sipshunt.8.gz \
  /lib/systemd/system/sipshunt-announce.service /etc/default/sipshunt-announce \
  /usr/share/man/man8/sipshunt-announce.8.gz /usr/share/doc/sipshunt/examples/bird-instance.conf \
  /usr/share/doc/sipshunt/examples/monitoring/sipshunt-alerts.yml; do
  [ -f "$rootfs$f" ] || { echo "package-test: FAIL: $f not installed" >&2; exit 1; }
done
echo "$ sipshunt-announce --help >/dev/null"
in_root sipshunt-announce --help >/dev/null
in_root dpkg-query -W -f='${Conffiles}\n' sipshunt | grep -q /etc/sipshunt/sipshunt.toml ||
  { echo "package-test: FAIL: /etc/sipshunt/sipshunt.toml is not a conffile" >&2; exit 1; }
echo "package-test: passed"
