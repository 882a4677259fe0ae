#!/usr/bin/env bash
# Byte-for-byte comparison of two `sipshunt explain` binaries: both explain every datagram of the
# proxy test data (tests/proxy/data/*.sip), every fuzz seed (tests/fuzz/corpus) and every message
# of the RFC 4475 corpus (read in place from the conformance directory), and each of them again
# turned into a response to us; under the test configs, several sources (--from: a client as the
# tests use, a backend on its own port and on another, an IPv6 client) and --down sets. Exits 1 on
# any difference and prints the first ones.
#
#   scripts/explain-diff.sh OLD_SIPSHUNT NEW_SIPSHUNT
#   e.g. scripts/explain-diff.sh /work/old/build/src/app/sipshunt build/src/app/sipshunt
# The corpus is ${SIPSHUNT_CONFORMANCE_DIR:-../shared/conformance}/rfc4475 (as scripts/fuzz.sh).
set -euo pipefail
[ $# -eq 2 ] || { sed -n 2,10p "$0" >&2; exit 2; }
old=$(realpath "$1") new=$(realpath "$2")
for b in "$old" "$new"; do [ -x "$b" ] || { echo "explain-diff: $b is not executable" >&2; exit 2; }; done
cd "$(dirname "$0")/.."

data=tests/proxy/data
rfc=${SIPSHUNT_CONFORMANCE_DIR:-$(cd .. && pwd)/shared/conformance}/rfc4475
[ -d "$rfc" ] || { echo "explain-diff: $rfc missing" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/explain-diff.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The example config with a [proxy.hosts] name, so backend requests to a host name (as the fuzz
# seed backend_invite_hostname.sip sends) take the mapped path too. Its rule files stay where they are.
sed "s|rules/example.rules|$PWD/$data/rules/example.rules|" "$data/example.toml" > "$work/hosts.toml"
printf '\n[proxy.hosts]\n"carrier.example.com" = "203.0.113.5:5070"\n' >> "$work/hosts.toml"

mapfile -t inputs < <( (ls "$data"/*.sip; find tests/fuzz/corpus -type f | sort; ls "$rfc"/*.dat) )
# Every input again as a response to one of our forwards (its start line replaced by a status
# line and our Via on top), so the response path runs on the same header fields.
mkdir "$work/responses"
python3 - "$work/responses" "${inputs[@]}" <<'PY'
import os, sys
out = sys.argv[1]
for i, path in enumerate(sys.argv[2:]):
    data = open(path, "rb").read()
    end = data.find(b"\n")
    rest = data[end + 1:] if end >= 0 else b""
    with open(os.path.join(out, f"{i:03d}-{os.path.basename(path)}"), "wb") as f:
        f.write(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK0ceb3bdea2a8d6e5\r\n" + rest)
PY
files=("${inputs[@]}" "$work"/responses/*)
printf '%s\n' "${files[@]}" > "$work/files"

# config | --down names (space-separated, may be empty)
runs=(
  "$data/example.toml|"
  "$data/example.toml|b1"
  "$data/example.toml|b1 b2 b3"
  "$data/rfc4475.toml|"
  "$work/hosts.toml|b2"
)
sources=(198.18.0.2:5060 198.18.0.77:4000 198.19.0.11:5060 198.19.0.13:40123 "[2001:db8::2]:5060")

compared=0 differing=0 invocations=0
for run in "${runs[@]}"; do
  config=${run%%|*} down=()
  for d in ${run#*|}; do down+=(--down "$d"); done
  for from in "${sources[@]}"; do
    args=(explain -c "$config" "${down[@]}" --from "$from" "${files[@]}")
    rc_old=0 rc_new=0
    "$old" "${args[@]}" > "$work/old.out" 2> "$work/old.err" || rc_old=$?
    "$new" "${args[@]}" > "$work/new.out" 2> "$work/new.err" || rc_new=$?
    invocations=$((invocations + 1))
    lines=$(wc -l < "$work/old.out")
    compared=$((compared + lines))
    label="-c ${config#"$work/"} ${down[*]} --from $from"
    if [ "$rc_old" -ne 0 ] || [ "$lines" -ne "${#files[@]}" ]; then
      echo "explain-diff: the old binary failed on $label (exit $rc_old, $lines lines):" >&2
      head -5 "$work/old.err" >&2
      exit 2
    fi
    if [ "$rc_old" != "$rc_new" ] || ! cmp -s "$work/old.err" "$work/new.err"; then
      echo "DIFF $label: exit $rc_old vs $rc_new, stderr differs"
      differing=$((differing + 1))
    fi
    if ! cmp -s "$work/old.out" "$work/new.out"; then
      # Line i is the i-th file: name the datagrams whose lines differ (first five per run).
      paste -d '\n' "$work/files" "$work/old.out" "$work/new.out" |
        awk -v label="$label" 'NR % 3 == 1 {f = $0} NR % 3 == 2 {o = $0}
          NR % 3 == 0 && $0 != o && ++n <= 5 {printf "DIFF %s: %s\n  old %.300s\n  new %.300s\n", label, f, o, $0}'
      differing=$((differing + 1))
    fi
  done
done
echo "explain-diff: ${#inputs[@]} datagrams (+ ${#inputs[@]} as responses) x $invocations runs = $compared explain lines compared," \
  "$differing runs differ"
[ "$differing" -eq 0 ]
