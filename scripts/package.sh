#!/usr/bin/env bash
# Builds the Debian package (README "Install as a package"): a portable sipshunt binary
# (-Dnative=false), the systemd unit, /etc/sipshunt/sipshunt.toml and the default rules, the
# man page sipshunt(8); Depends from the linked shared libraries (dpkg-shlibdeps).
#   scripts/package.sh              -> build/package/sipshunt_<version>-<rev>_amd64.deb
#   SIPSHUNT_PACKAGE_DIR=DIR        build there instead
# The packaging files live in scripts/debian/ (the top level has no debian/): the source tree is
# copied to DIR/sipshunt-<version>/ with scripts/debian/ as its debian/, and built there with
# dpkg-buildpackage; the meson build directory (DIR/obj) is kept, so a rerun recompiles only
# what changed. Needs the packages scripts/setup.sh installs (debhelper, dpkg-dev, the -dev ones).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${SIPSHUNT_PACKAGE_DIR:-$root/build/package}
mkdir -p "$out"
out=$(cd "$out" && pwd)

version=$(dpkg-parsechangelog -l scripts/debian/changelog -S Version)
upstream=${version%-*}
stage=$out/sipshunt-$upstream

# The tree as git sees it (tracked files and new ones not ignored), modification times kept so
# that ninja sees unchanged files as unchanged.
rm -rf "$stage"
mkdir -p "$stage"
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  tar --null -T - -cf - | tar -C "$stage" -xf -
rm -rf "$stage/debian"
cp -a scripts/debian "$stage/debian"
scripts/revision.sh "$root" >"$stage/REVISION"

echo "package: building sipshunt $version (revision $(cat "$stage/REVISION")) in $stage"
(cd "$stage" && BUILDDIR="$out/obj" nice dpkg-buildpackage -b -us -uc -j2 >"$out/build.log" 2>&1) || {
  tail -n 60 "$out/build.log"
  echo "package: dpkg-buildpackage failed (full log: $out/build.log)" >&2
  exit 1
}
deb=$out/sipshunt_${version}_amd64.deb
[ -f "$deb" ] || { echo "package: $deb was not produced" >&2; exit 1; }
echo "package: $deb"
dpkg-deb --field "$deb" Package Version Depends Recommends
