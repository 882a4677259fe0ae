#!/usr/bin/env bash
# Benchmark (a6) of perf/README.md: whole calls through one worker, both sides replayed through
# net_pcap (perf/dataplane/make_calls.py): the clients' INVITE, ACK and BYE on the client-side
# port, the backends' 100, 180, 200 and the BYE's 200 on the backend-side port (each capture
# replayed from memory as fast as the worker takes it; the datagrams sent are dropped by the
# PMD). The mix of a plain call, where scripts/bench-pcap.sh replays only INVITEs: requests
# pinned by the Record-Route and responses sent on by their second Via take other paths through
# the parser and the proxy. 100 rules (perf/rules/pcap100.rules). Reports forwarded datagrams
# per worker CPU-second. Also the training run of scripts/build-pgo.sh.
#
#   scripts/bench-calls.sh [SECONDS]      (default 6; the first 2 s are warm-up)
#   SIPSHUNT_BENCH_CALLS=4096             distinct calls in the captures
#   SIPSHUNT_BENCH_BIN=path/to/sipshunt   the binary (default build/src/app/sipshunt)
# Ordinary memory (--no-huge), main lcore on CPU 0 and the worker on CPU 1. No network is used:
# net_pcap reads files.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECS=${1:-6}
CALLS=${SIPSHUNT_BENCH_CALLS:-4096}
SIPSHUNT=${SIPSHUNT_BENCH_BIN:-$ROOT/build/src/app/sipshunt}
[ "$(id -u)" -eq 0 ] || { echo "bench-calls: run as root (DPDK memory)" >&2; exit 1; }
[ "$SECS" -ge 3 ] || { echo "bench-calls: at least 3 seconds" >&2; exit 2; }

WORK=$(mktemp -d /tmp/sipshunt-bench-calls.XXXXXX)
PX=""
cleanup() {
  [ -n "$PX" ] && kill -TERM "$PX" 2>/dev/null && wait "$PX" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

python3 perf/dataplane/make_calls.py "$CALLS" "$WORK/client.pcap" "$WORK/backend.pcap" \
  198.18.0.1 198.19.0.1 198.19.0.21 198.19.0.22 198.19.0.23 >/dev/null
lcores="-l 0-$(($(nproc) > 1 ? 1 : 0))"
# The clients sit behind a router on the client side (one static neighbour for all of them), so
# the responses to them take the usual send path, not a neighbour resolution.
python3 - "$WORK" "$ROOT/perf/rules/pcap100.rules" "--no-huge -m 1024 $lcores" $((8 * CALLS + 16384)) \
  >"$WORK/calls.toml" <<'PY'
import shlex, sys
sys.path.insert(0, "scripts/lib")
from sipshunt_config import dpdk_port, pool, render
work, rules, eal, mbufs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
backends = [(f"b{k}", f"198.19.0.2{k}") for k in (1, 2, 3)]
sys.stdout.write(render(
    "198.18.0.1", port=5060, rules=[rules], pools=[pool("core", backends, {"enabled": False})],
    log_level="warn", dpdk={"eal_args": shlex.split(eal), "workers": 1, "mbufs": mbufs},
    dpdk_ports=[dpdk_port("in", "net_pcap0", f"rx_pcap={work}/client.pcap,infinite_rx=1", "198.18.0.1", 24,
                          gateway="198.18.0.254"),
                dpdk_port("out", "net_pcap1", f"rx_pcap={work}/backend.pcap,infinite_rx=1", "198.19.0.1", 24)]))
PY
printf '[admin]\nenabled = false\n' >>"$WORK/calls.toml"
neigh=(--static-neighbour in,198.18.0.254,02:00:00:00:00:fe)
for b in 21 22 23; do neigh+=(--static-neighbour "out,198.19.0.$b,02:00:00:00:00:$b"); done
"$SIPSHUNT" run -c "$WORK/calls.toml" --stats-file "$WORK/stats.json" --stats-interval 0.25 \
  "${neigh[@]}" >"$WORK/run.log" 2>&1 &
PX=$!
for _ in $(seq 300); do [ -s "$WORK/stats.json" ] && break; sleep 0.1; done
[ -s "$WORK/stats.json" ] || { cat "$WORK/run.log"; exit 1; }
sleep 2
worker_cpu() {  # CPU ticks of the worker threads
  local sum=0 t
  for t in /proc/"$PX"/task/*; do
    grep -q worker "$t/comm" && sum=$((sum + $(awk '{print $14 + $15}' "$t/stat")))
  done
  echo "$sum"
}
cpu0=$(worker_cpu)
cp "$WORK/stats.json" "$WORK/s0.json"
sleep "$((SECS - 2))"
cp "$WORK/stats.json" "$WORK/s1.json"
cpu1=$(worker_cpu)
kill -TERM "$PX"
rc=0
wait "$PX" || rc=$?
PX=""
[ "$rc" = 0 ] || { cat "$WORK/run.log"; echo "bench-calls: sipshunt exited with $rc" >&2; exit 1; }
python3 - "$WORK" "$((cpu1 - cpu0))" "$(getconf CLK_TCK)" <<'PY'
import json, sys
work, ticks, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
a, b = (json.load(open(f"{work}/s{k}.json")) for k in (0, 1))
dt = b["uptime_s"] - a["uptime_s"]
if dt <= 0:
    sys.exit(print("bench-calls: no rate: the stats file was not rewritten in the window") or 0)
fwd = (b["dataplane"]["sip_forwarded"] - a["dataplane"]["sip_forwarded"]) / dt
drops = {k: v for k, v in b["dataplane"]["drops"].items() if v}
cpu = ticks / hz
print(f"calls 1w {fwd / 1e6:6.3f} M forwarded datagrams/s wall clock, "
      f"{fwd * dt / cpu / 1e6 if cpu else 0:6.3f} M per worker CPU-second "
      f"(worker ran {cpu:.1f} CPU-s of about {dt:.1f}; drops {drops or 'none'})")
if b["dataplane"]["sip_forwarded"] < 1000:
    sys.exit("bench-calls: too little forwarded")
PY
