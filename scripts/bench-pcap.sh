#!/usr/bin/env bash
# Benchmark (a) of perf/README.md "Data plane": workers reading captures of many distinct INVITEs
# through net_pcap (infinite_rx=1: each capture is replayed from memory, as fast as its worker
# takes it) and forwarding them to three backends behind a net_null port. Reports forwarded
# INVITEs per second with the default rules (one catch-all) and with a 100-rule set (99 rules over
# the Request-URI, To, User-Agent and source that do not match, then the catch-all).
#
#   scripts/bench-pcap.sh [SECONDS]       (default 10; the first 2 s are warm-up)
#   SIPSHUNT_BENCH_INVITES=16384          distinct INVITEs per capture
#   SIPSHUNT_BENCH_WORKERS="1"            worker counts to run, e.g. "1 2": N workers read N rx
#                                         queues of the net_pcap port (one capture of distinct
#                                         INVITEs per queue: rx_pcap=a,rx_pcap=b) and send on N
#                                         tx queues of net_null; every count in each round. "2p":
#                                         two sipshunt processes of one worker each (nothing
#                                         shared but the machine: the control for "2")
#   SIPSHUNT_BENCH_ROUNDS=1               rounds (interleaved: 1w, 2w, 1w, 2w, ...)
#   SIPSHUNT_BENCH_RULESETS="default 100" which rule sets
#   SIPSHUNT_BUILD_DIR=build              build directory
# Placement: one worker runs on CPU 1 and the main lcore on CPU 0 (-l 0-1); with N > 1 workers
# worker i runs on CPU (i mod CPUs) and the main lcore (which sleeps 200 us per loop) floats over
# all CPUs (with "Np", each process's main lcore floats). On a machine with no more CPUs than workers the main lcore and everything else on the
# host take time from the workers: the "per worker CPU-second" column (forwarded over the CPU
# time the worker threads actually got) is the figure to compare across worker counts there.
#   SIPSHUNT_BENCH_FAMILY=6               IPv6 datagrams (clients, proxy and backends), else IPv4
#   SIPSHUNT_BENCH_BIN=path/to/sipshunt   another binary (an A/B against an older build), or a
#                                         wrapper that runs one (scripts/callgrind-pcap.sh)
#   SIPSHUNT_BENCH_START_S=10             seconds a process may take to write its first stats
#   SIPSHUNT_BENCH_CPU=1                  CPU of the (first) worker; two scripts side by side with
#                                         CPU 1 and CPU 0 compare two binaries or families under
#                                         the same host load at the same time (perf/README.md)
# No network is used at all: net_pcap reads files, net_null discards.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECONDS_RUN=${1:-10}
N=${SIPSHUNT_BENCH_INVITES:-16384}
BUILD=${SIPSHUNT_BUILD_DIR:-build}
WORKER_COUNTS=${SIPSHUNT_BENCH_WORKERS:-1}
ROUNDS=${SIPSHUNT_BENCH_ROUNDS:-1}
RULESETS=${SIPSHUNT_BENCH_RULESETS:-"default 100"}
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
PXS=()
HUGE_FILE=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
HUGE_BEFORE=""
cleanup() {
  local p
  for p in "${PXS[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  [ -n "$HUGE_BEFORE" ] && echo "$HUGE_BEFORE" >"$HUGE_FILE"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

MAX_WORKERS=1
for w in $WORKER_COUNTS; do [ "${w%p}" -gt "$MAX_WORKERS" ] && MAX_WORKERS=${w%p}; done
for ((q = 0; q < MAX_WORKERS; q++)); do
  python3 perf/dataplane/make_invites.py "$N" "$WORK/invites$q.pcap" "$PROXY" $((q * N))
done

# 100 rules: 99 that an ordinary INVITE does not match, over several scanned fields, then `any`
# (one file, also read by perf/rules' benchmarks).
RULES100=$ROOT/perf/rules/pcap100.rules

# Memory per process: hugepages when the script can reserve them (400 MB per worker), else 4 KiB
# pages.
MEM_PER_WORKER="--no-huge -m 1024"
if [ -w "$HUGE_FILE" ]; then
  cur=$(cat "$HUGE_FILE")
  if [ "$cur" -lt 512 ]; then HUGE_BEFORE=$cur; echo 512 >"$HUGE_FILE" || true; fi
  [ "$(cat "$HUGE_FILE")" -ge 400 ] && MEM_PER_WORKER=400
fi

PXS=()
# One sipshunt process: index, workers, first capture, CPU of its first worker; sets PX.
start_process() {
  local i=$1 workers=$2 first=$3 cpu=$4 rules=$5 rx="" lcores q eal
  for ((q = first; q < first + workers; q++)); do rx+="${rx:+,}rx_pcap=$WORK/invites$q.pcap"; done
  lcores="--lcores=0@(0-$(($(nproc) - 1)))"
  for ((q = 1; q <= workers; q++)); do lcores+=",$q@$(((cpu + q - 1) % $(nproc)))"; done
  [ "$workers" = 1 ] && [ "$cpu" = 1 ] && [ "$(nproc)" -ge 2 ] && [ -z "${SIPSHUNT_BENCH_CPU:-}" ] && lcores="-l 0-1"
  if [ "$MEM_PER_WORKER" = 400 ]; then eal="-m $((400 * workers))"; else eal=$MEM_PER_WORKER; fi
  python3 scripts/lib/sipshunt_config.py --address $PROXY --port 5060 --rules "$rules" \
    --backend b1 ${OUT}21 --backend b2 ${OUT}22 --backend b3 ${OUT}23 --no-health \
    --log-level warn --eal-args="$eal $lcores" --workers "$workers" --mbufs $((workers * (N + 16384))) \
    --dpdk-port in net_pcap0 "$rx,infinite_rx=1" $PROXY $IN_LEN \
    --dpdk-port out net_null0 no-rx=1 $OUT_SELF $OUT_LEN >"$WORK/bench$i.toml"
  printf '[admin]\nenabled = false\n' >>"$WORK/bench$i.toml"  # several processes side by side
  rm -f "$WORK/stats$i.json"
  "$SIPSHUNT" run -c "$WORK/bench$i.toml" --stats-file "$WORK/stats$i.json" --stats-interval 0.25 \
    --static-neighbour out,${OUT}21,02:00:00:00:00:21 --static-neighbour out,${OUT}22,02:00:00:00:00:22 \
    --static-neighbour out,${OUT}23,02:00:00:00:00:23 >"$WORK/sipshunt$i.log" 2>&1 &
  PX=$!
  PXS+=("$PX")
}

run_one() {  # label rules-file workers processes
  local label=$1 rules=$2 workers=$3 procs=$4 i
  PXS=()
  for ((i = 0; i < procs; i++)); do
    start_process "$i" $((workers / procs)) $((i * workers / procs)) $(((${SIPSHUNT_BENCH_CPU:-1} + i * workers / procs) % $(nproc))) "$rules"
  done
  for ((i = 0; i < procs; i++)); do
    for _ in $(seq $((${SIPSHUNT_BENCH_START_S:-10} * 10))); do [ -s "$WORK/stats$i.json" ] && break; sleep 0.1; done
    [ -s "$WORK/stats$i.json" ] || { cat "$WORK/sipshunt$i.log"; exit 1; }
  done
  sleep 2
  # The worker threads' own CPU time too: on a shared machine the wall-clock rate understates a
  # worker that was descheduled; forwarded per CPU-second does not.
  local tids=() t p
  for p in "${PXS[@]}"; do
    for t in /proc/"$p"/task/*; do grep -q worker "$t/comm" && tids+=("$p/task/${t##*/}"); done
  done
  cpu_of() { local sum=0 x; for x in "$@"; do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$x/stat"))); done; echo "$sum"; }
  local cpu0 cpu1 all0 all1 t0 t1
  cpu0=$(cpu_of "${tids[@]}")
  all0=$(cpu_of "${PXS[@]}")
  t0=$(date +%s.%N)
  for ((i = 0; i < procs; i++)); do cp "$WORK/stats$i.json" "$WORK/s0-$i.json"; done
  sleep "$((SECONDS_RUN - 2))"
  for ((i = 0; i < procs; i++)); do cp "$WORK/stats$i.json" "$WORK/s1-$i.json"; done
  t1=$(date +%s.%N)
  cpu1=$(cpu_of "${tids[@]}")
  all1=$(cpu_of "${PXS[@]}")
  for p in "${PXS[@]}"; do kill -TERM "$p"; done
  for p in "${PXS[@]}"; do wait "$p"; done
  PXS=()
  python3 - "$WORK" "$procs" "$label" "$((cpu1 - cpu0))" "$((all1 - all0))" "$(getconf CLK_TCK)" "$workers" \
    "${#tids[@]}" "$t0" "$t1" <<'PY'
import json, sys
work, procs, label = sys.argv[1], int(sys.argv[2]), sys.argv[3]
hz = int(sys.argv[6])
cpu, others = int(sys.argv[4]) / hz, (int(sys.argv[5]) - int(sys.argv[4])) / hz  # others: main lcore, stats
workers, threads = int(sys.argv[7]), int(sys.argv[8])
window = float(sys.argv[10]) - float(sys.argv[9])  # where the CPU times were taken
fwd = out = 0
per, drops, dts = [], {}, []
for i in range(procs):
    a, b = (json.load(open(f"{work}/s{k}-{i}.json")) for k in (0, 1))
    dt = b["uptime_s"] - a["uptime_s"]
    if dt <= 0:  # a starved stats writer (e.g. under valgrind, scripts/callgrind-pcap.sh)
        sys.exit(print(f"{label:<10} no rate: process {i} did not rewrite its stats file in the window") or 0)
    dts.append(dt)
    fwd += (b["dataplane"]["sip_forwarded"] - a["dataplane"]["sip_forwarded"]) / dt
    out += (b["ports"][1]["tx_packets"] - a["ports"][1]["tx_packets"]) / dt
    per += [(w1["sip_in"] - w0["sip_in"]) / dt / 1e6 for w0, w1 in zip(a["workers"], b["workers"])]
    drops.update({k: v for k, v in b["dataplane"]["drops"].items() if v})
# The stats file is rewritten every 0.25 s by the control lcore; on a loaded host a copy can be
# older than that. Rates come from the files' own uptimes; CPU time is scaled to the same span.
dt = max(dts)
if window > 0:
    cpu, others = cpu * dt / window, others * dt / window
shape = f"{workers}w" if procs == 1 else f"{procs}x{workers // procs}w"
print(f"{label:<10} {shape:<5} {fwd / 1e6:6.3f} M forwarded INVITEs/s wall clock "
      f"(per worker {', '.join(f'{x:.3f}' for x in per)}), {fwd * dt / cpu / 1e6 if cpu else 0:6.3f} M per worker "
      f"CPU-second (workers ran {cpu:.1f} CPU-s of {workers * dt:.1f}, other threads {others:.1f}; "
      f"{out / 1e6:.3f} M/s out on net_null; "
      f"drops {drops or 'none'}{'' if threads == workers else f'; {threads} worker threads found'})")
PY
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; load: $(uptime | sed 's/.*load average: //')"
echo "captures: $N distinct IPv$FAMILY INVITEs per worker; $SIPSHUNT; workers: $WORKER_COUNTS; $ROUNDS round(s); $SECONDS_RUN s per run"
for ((round = 1; round <= ROUNDS; round++)); do
  for set in $RULESETS; do
    for w in $WORKER_COUNTS; do
      procs=1
      case "$w" in *p) procs=${w%p}; w=${w%p} ;; esac
      case "$set" in
        default) run_one "default" "$ROOT/dispatch-rules/default.rules" "$w" "$procs" ;;
        100) run_one "100 rules" "$RULES100" "$w" "$procs" ;;
        *) echo "bench-pcap: unknown rule set $set (default, 100)" >&2; exit 2 ;;
      esac
    done
  done
done
