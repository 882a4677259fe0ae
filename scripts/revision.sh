#!/bin/sh
# The source revision sipshunt is built from (meson's vcs_tag, `sipshunt --version`): git's
# describe in a checkout, else the REVISION file scripts/package.sh writes into the copy it
# builds from, else "unknown".
root=${1:-.}
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1 && [ -d "$root/.git" -o -f "$root/.git" ]; then
  exec git -C "$root" describe --always --dirty --abbrev=12
fi
if [ -s "$root/REVISION" ]; then
  exec head -n 1 "$root/REVISION"
fi
echo unknown
