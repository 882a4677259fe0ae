#!/usr/bin/env bash
# Benchmark (a) of perf/README.md "Data plane": one worker reading a capture of many distinct
# INVITEs through net_pcap (infinite_rx=1: the capture is replayed from memory, as fast as the
# worker takes it) and forwarding them to three backends behind a net_null port. Reports forwarded
# INVITEs per second with the default rules (one catch-all) and with a 100-rule set (99 rules over
# the Request-URI, To, User-Agent and source that do not match, then the catch-all).
#
#   scripts/bench-pcap.sh [SECONDS]       (default 10; the first 2 s are warm-up)
#   SIPSHUNT_BENCH_INVITES=16384          distinct INVITEs in the capture
#   SIPSHUNT_BUILD_DIR=build              build directory
#   SIPSHUNT_BENCH_FAMILY=6               IPv6 datagrams (clients, proxy and backends), else IPv4
#   SIPSHUNT_BENCH_BIN=path/to/sipshunt   another binary (an A/B against an older build)
# No network is used at all: net_pcap reads a file, net_null discards.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECONDS_RUN=${1:-10}
N=${SIPSHUNT_BENCH_INVITES:-16384}
BUILD=${SIPSHUNT_BUILD_DIR:-build}
[ "$(id -u)" -eq 0 ] || { echo "bench-pcap: run as root (DPDK memory)" >&2; exit 1; }
FAMILY=${SIPSHUNT_BENCH_FAMILY:-4}
if [ -n "${SIPSHUNT_BENCH_BIN:-}" ]; then
  SIPSHUNT=$SIPSHUNT_BENCH_BIN
else
  ninja -C "$BUILD" src/app/sipshunt >/dev/null
  SIPSHUNT=$ROOT/$BUILD/src/app/sipshunt
fi
if [ "$FAMILY" = 6 ]; then
  PROXY=2001:db8::1 IN_LEN=64 OUT=2001:db8:1:: OUT_SELF=2001:db8:1::1 OUT_LEN=64
else
  PROXY=198.18.0.1 IN_LEN=16 OUT=198.19.0. OUT_SELF=198.19.0.1 OUT_LEN=24
fi

WORK=$(mktemp -d /tmp/sipshunt-bench-pcap.XXXXXX)
PX=""
HUGE_FILE=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
HUGE_BEFORE=""
cleanup() {
  [ -n "$PX" ] && kill -TERM "$PX" 2>/dev/null && wait "$PX" 2>/dev/null
  [ -n "$HUGE_BEFORE" ] && echo "$HUGE_BEFORE" >"$HUGE_FILE"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

python3 perf/dataplane/make_invites.py "$N" "$WORK/invites.pcap" "$PROXY"

# 100 rules: 99 that an ordinary INVITE does not match, over several scanned fields, then `any`.
{
  echo "# 100 rules for bench-pcap.sh"
  for i in $(seq -w 1 30); do echo "rule ua-$i: header User-Agent ~ /scanner-$i|sipvicious-$i/i => drop"; done
  for i in $(seq -w 1 30); do echo "rule toll-$i: method INVITE and ruri ~ /^sip:\\+1800555$i[0-9]{2}@/ => pool core"; done
  for i in $(seq 1 20); do echo "rule src-$i: src 203.0.113.$i/32 and method INVITE, REGISTER => drop"; done
  for i in $(seq -w 1 19); do echo "rule ivr-$i: header To ~ /<sip:ivr-$i@/ => pool core"; done
  echo "rule rest: any => pool core"
} >"$WORK/rules100.rules"

EAL="--no-huge -m 1024"
if [ -w "$HUGE_FILE" ]; then
  cur=$(cat "$HUGE_FILE")
  if [ "$cur" -lt 512 ]; then HUGE_BEFORE=$cur; echo 512 >"$HUGE_FILE" || true; fi
  [ "$(cat "$HUGE_FILE")" -ge 400 ] && EAL="-m 800"
fi

run_one() {  # label rules-file
  local label=$1 rules=$2
  python3 scripts/lib/sipshunt_config.py --address $PROXY --port 5060 --rules "$rules" \
    --backend b1 ${OUT}21 --backend b2 ${OUT}22 --backend b3 ${OUT}23 --no-health \
    --log-level warn --eal-args="$EAL -l 0-1" --workers 1 --mbufs $((N + 16384)) \
    --dpdk-port in net_pcap0 "rx_pcap=$WORK/invites.pcap,infinite_rx=1" $PROXY $IN_LEN \
    --dpdk-port out net_null0 no-rx=1 $OUT_SELF $OUT_LEN >"$WORK/bench.toml"
  rm -f "$WORK/stats.json"
  "$SIPSHUNT" run -c "$WORK/bench.toml" --stats-file "$WORK/stats.json" --stats-interval 0.25 \
    --static-neighbour out,${OUT}21,02:00:00:00:00:21 --static-neighbour out,${OUT}22,02:00:00:00:00:22 \
    --static-neighbour out,${OUT}23,02:00:00:00:00:23 >"$WORK/sipshunt.log" 2>&1 &
  PX=$!
  for _ in $(seq 100); do [ -s "$WORK/stats.json" ] && break; sleep 0.1; done
  [ -s "$WORK/stats.json" ] || { cat "$WORK/sipshunt.log"; exit 1; }
  sleep 2
  # The worker thread's own CPU time too: on a shared machine the wall-clock rate understates a
  # worker that was descheduled; forwarded per CPU-second does not.
  local tid="" t
  for t in /proc/"$PX"/task/*; do grep -q worker "$t/comm" && tid=${t##*/}; done
  local cpu0 cpu1
  cpu0=$(awk '{print $14 + $15}' "/proc/$PX/task/$tid/stat")
  cp "$WORK/stats.json" "$WORK/s0.json"
  sleep "$((SECONDS_RUN - 2))"
  cp "$WORK/stats.json" "$WORK/s1.json"
  cpu1=$(awk '{print $14 + $15}' "/proc/$PX/task/$tid/stat")
  kill -TERM "$PX"; wait "$PX"; PX=""
  python3 - "$WORK/s0.json" "$WORK/s1.json" "$label" "$cpu0" "$cpu1" "$(getconf CLK_TCK)" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
cpu = (int(sys.argv[5]) - int(sys.argv[4])) / int(sys.argv[6])
dt = b["uptime_s"] - a["uptime_s"]
fwd = b["dataplane"]["sip_forwarded"] - a["dataplane"]["sip_forwarded"]
sip_in = b["dataplane"]["sip_in"] - a["dataplane"]["sip_in"]
w0, w1 = a["workers"][0], b["workers"][0]
busy = (w1["busy_cycles"] - w0["busy_cycles"]) / max(1, (w1["busy_cycles"] + w1["idle_cycles"]) - (w0["busy_cycles"] + w0["idle_cycles"]))
out = b["ports"][1]["tx_packets"] - a["ports"][1]["tx_packets"]
drops = {k: v for k, v in b["dataplane"]["drops"].items() if v}
print(f"{sys.argv[3]:<10} {fwd / dt / 1e6:6.3f} M forwarded INVITEs/s wall clock, {fwd / cpu / 1e6 if cpu else 0:6.3f} M per "
      f"worker CPU-second (worker ran {cpu:.1f} of {dt:.1f} s; {out / dt / 1e6:.3f} M/s out on net_null; "
      f"drops {drops or 'none'})")
PY
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; load: $(uptime | sed 's/.*load average: //')"
echo "capture: $N distinct IPv$FAMILY INVITEs; one worker (lcore 1); $SECONDS_RUN s per run; $SIPSHUNT"
run_one "default" "$ROOT/dispatch-rules/default.rules"
run_one "100 rules" "$WORK/rules100.rules"
