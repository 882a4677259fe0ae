#!/usr/bin/env bash
# Benchmark (b) of perf/README.md "Data plane": the af_packet topology (a bridge, a client, the
# proxy host, three backends in network namespaces) driven by sipgen (sendmmsg, distinct Call-IDs,
# bounded in time), first through sipshunt (one worker on the unaddressed veth of the proxy host,
# with net_af_packet, then with net_af_xdp), then through Kamailio (Debian's package: dispatcher
# algorithm 0, stateless forward(), -x tlsf) on a kernel address of the same veth, all on the
# machine's two CPUs, in one run. For each, the offered rate climbs a ladder; the result is the
# highest forwarded rate (datagrams counted by sinks on the three backends) with under 1% loss,
# and its ratio to Kamailio's.
#
#   scripts/bench-afpacket.sh [SECONDS_PER_STEP]      (default 5)
#   SIPSHUNT_BENCH_DEVICES="af_packet af_xdp"         sipshunt's port devices, in this order
#   SIPSHUNT_BENCH_RATES="50000 100000 ..."           offered rates for sipshunt
#   SIPSHUNT_BENCH_KAM_RATES="20000 40000 ..."        offered rates for Kamailio
#   SIPSHUNT_BENCH_KAM_CHILDREN=2                     Kamailio UDP worker processes
#   SIPSHUNT_BENCH_IDLE_SLEEP_US="0 50"               sipshunt variants: pure busy polling (0) and
#                                                     adaptive polling (--idle-sleep-us 50)
#   SIPSHUNT_BENCH_WORKERS=1                          sipshunt worker lcores (2: both CPUs poll; the
#                                                     af_packet queues form one fanout group)
#   SIPSHUNT_BENCH_GENERATORS=1                       sipgen processes sharing the offered rate
#   SIPSHUNT_BENCH_RAW=1                              sipgen writes whole frames on an AF_PACKET socket
#                                                     (sendmmsg) instead of UDP sockets: the client's
#                                                     UDP/IP stack is skipped so it is not the bottleneck
#   SIPSHUNT_BUILD_DIR=build
# Traffic stays inside the namespaces it creates (198.18.0.0/24); everything is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
STEP=${1:-5}
BUILD=${SIPSHUNT_BUILD_DIR:-build}
RATES=${SIPSHUNT_BENCH_RATES:-"50000 75000 100000 125000 150000 175000 200000 250000 300000"}
KAM_RATES=${SIPSHUNT_BENCH_KAM_RATES:-"10000 20000 30000 40000 50000 60000 70000 80000 100000"}
KAM_CHILDREN=${SIPSHUNT_BENCH_KAM_CHILDREN:-2}
IDLE_VARIANTS=${SIPSHUNT_BENCH_IDLE_SLEEP_US:-"0 50"}
DEVICES=${SIPSHUNT_BENCH_DEVICES:-"af_packet af_xdp"}
GENERATORS=${SIPSHUNT_BENCH_GENERATORS:-1}
WORKERS=${SIPSHUNT_BENCH_WORKERS:-1}
RAW=${SIPSHUNT_BENCH_RAW:-1}
[ "$(id -u)" -eq 0 ] || { echo "bench-afpacket: run as root (namespaces)" >&2; exit 1; }
ninja -C "$BUILD" src/app/sipshunt perf/dataplane/sipgen >/dev/null
SIPSHUNT=$ROOT/$BUILD/src/app/sipshunt
SIPGEN=$ROOT/$BUILD/perf/dataplane/sipgen
command -v kamailio >/dev/null || { echo "bench-afpacket: kamailio not installed (scripts/setup.sh)" >&2; exit 1; }

source scripts/lib/netns.sh
WORK=$(mktemp -d /tmp/sipshunt-bench-afp.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  topo_down
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SFX=$(topo_suffix)
topo_up "$SFX" 3

# One step: sinks on the backends, sipgen at RATE for STEP seconds; prints "rate sent received".
step() {
  local rate=$1 i
  local sinks=()
  for i in 1 2 3; do
    ip netns exec "${TOPO_BACKENDS[$((i - 1))]}" "$SIPGEN" sink --bind "$(topo_backend_ip "$i"):5060" \
      --seconds $((STEP + 20)) --idle 1500 >"$WORK/sink$i.json" 2>&1 &
    sinks+=("$!")
  done
  for i in 1 2 3; do
    for _ in $(seq 50); do grep -q listening "$WORK/sink$i.json" 2>/dev/null && break; sleep 0.1; done
  done
  local gens=() g
  rm -f "$WORK"/gen*.json
  local raw=()
  if [ "$RAW" = 1 ]; then
    raw=(--raw-iface eth0 --dst-mac "${PORT_MAC:-$(ip -n "$TOPO_PROXY" -br link show eth0 | awk '{print $3}')}")
  fi
  for ((g = 0; g < GENERATORS; g++)); do
    # Each generator its own source ports (distinct Call-IDs come from the port in the Call-ID).
    ip netns exec "$TOPO_CLIENT" "$SIPGEN" send --from "$TOPO_CLIENT_IP" --to "$TOPO_PROXY_IP:5060" \
      --rate $((rate / GENERATORS)) --seconds "$STEP" --port-base $((20000 + 100 * g)) "${raw[@]}" >"$WORK/gen$g.json" &
    gens+=("$!")
  done
  for p in "${gens[@]}"; do wait "$p" || true; done
  for p in "${sinks[@]}"; do wait "$p" || true; done
  python3 - "$rate" "$WORK"/sink?.json -- "$WORK"/gen*.json <<'PY'
import json, sys
rate = int(sys.argv[1])
args = sys.argv[2:]
sep = args.index("--")
recv = 0
for p in args[:sep]:
    lines = [l for l in open(p) if l.startswith("{") and "received" in l]
    recv += json.loads(lines[-1])["received"] if lines else 0
gens = [json.load(open(p)) for p in args[sep + 1:]]
print(rate, sum(g["sent"] for g in gens), max(g["seconds"] for g in gens), recv)
PY
}

# Climbs the ladder; prints each step and the best lossless forwarded rate as "BEST <rate>".
ladder() {
  local label=$1; shift
  local best=0 fails=0 r line
  printf '%-9s %12s %12s %12s %8s\n' "$label" "offered/s" "sent/s" "forwarded/s" "loss"
  for r in "$@"; do
    line=$(step "$r")
    read -r rate sent secs recv <<<"$line"
    python3 - "$rate" "$sent" "$secs" "$recv" <<'PY'
import sys
rate, sent, secs, recv = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
loss = 1 - recv / sent if sent else 1
print(f"{'':<9} {rate:>12} {sent / secs:>12.0f} {recv / secs:>12.0f} {100 * loss:>7.2f}%")
PY
    ok=$(python3 -c "import sys; s,r=int(sys.argv[1]),int(sys.argv[2]); print(1 if s and r >= 0.99*s else 0)" "$sent" "$recv")
    if [ "$ok" = 1 ]; then
      best=$(python3 -c "import sys; print(max(int(sys.argv[1]), round(int(sys.argv[2]) / float(sys.argv[3]))))" "$best" "$recv" "$secs")
      fails=0
    else
      fails=$((fails + 1))
      [ $fails -ge 2 ] && break
    fi
  done
  echo "BEST $best"
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; load: $(uptime | sed 's/.*load average: //')"
echo "steps of ${STEP}s; loss = 1 - (datagrams at the three backend sinks) / (datagrams sipgen sent)"

# ---- sipshunt
declare -A SIP_BEST
PROXY_MAC=$(ip -n "$TOPO_PROXY" -br link show eth0 | awk '{print $3}')
for device in $DEVICES; do
case "$device" in
  af_packet | af_xdp) ;;
  *) echo "bench-afpacket: unknown device $device (af_packet, af_xdp)" >&2; exit 2 ;;
esac
# The veth gets its own MAC back: an AF_XDP port takes the interface's MAC as its own.
ip -n "$TOPO_PROXY" link set eth0 address "$PROXY_MAC"
python3 scripts/lib/sipshunt_config.py --address "$TOPO_PROXY_IP" --port 5060 \
  --rules "$ROOT/dispatch-rules/default.rules" --no-health \
  --backend b1 "$(topo_backend_ip 1)" --backend b2 "$(topo_backend_ip 2)" --backend b3 "$(topo_backend_ip 3)" \
  --log-level warn --eal-args="--no-huge -m 512" --workers "$WORKERS" --mbufs $((WORKERS == 1 ? 8191 : 16383)) \
  --dpdk-port lan "net_${device}0" iface=eth0 "$TOPO_PROXY_IP" "$TOPO_PREFIX" >"$WORK/sipshunt.toml"
for idle in $IDLE_VARIANTS; do
  rm -f "$WORK/stats.json"
  ip netns exec "$TOPO_PROXY" "$SIPSHUNT" run -c "$WORK/sipshunt.toml" --stats-file "$WORK/stats.json" \
    --idle-sleep-us "$idle" >"$WORK/sipshunt.log" 2>&1 &
  PX=$!
  PIDS+=("$PX")
  for _ in $(seq 100); do [ -s "$WORK/stats.json" ] && break; sleep 0.1; done
  PORT_MAC=$(python3 -c "import json; print(json.load(open('$WORK/stats.json'))['ports'][0]['mac'])")
  if [ "$device" = af_packet ] && [ "${SIPSHUNT_BENCH_OTHERHOST:-1}" = 1 ]; then
    # The kernel of the proxy host keeps its hands off the DPDK port's traffic: with another MAC
    # on eth0, frames for the port's MAC arrive as PACKET_OTHERHOST, which af_packet still gets
    # and the IP stack drops at once (instead of a route lookup per datagram).
    ip -n "$TOPO_PROXY" link set eth0 address 02:00:00:00:ee:01
  fi
  step 1000 >/dev/null  # warm-up: ARP for the backends
  label=$([ "$device" = af_packet ] && echo "sip/afp" || echo "sip/xdp")
  [ "$idle" = 0 ] || label="$label/nap$idle"
  [ "$WORKERS" = 1 ] || label="$label/${WORKERS}w"
  # shellcheck disable=SC2086
  SIP_OUT=$(ladder "$label" $RATES)
  echo "$SIP_OUT" | grep -v '^BEST'
  SIP_BEST[$device/$idle]=$(echo "$SIP_OUT" | sed -n 's/^BEST //p')
  kill -TERM "$PX"; wait "$PX" || true
  python3 -c "import json; d=json.load(open('$WORK/stats.json'))['dataplane']; print('  sipshunt drops:', {k: v for k, v in d['drops'].items() if v} or 'none')"
done
done
ip -n "$TOPO_PROXY" link set eth0 address "$PROXY_MAC"

# ---- Kamailio on the same veth, now with a kernel address
PORT_MAC=
ip -n "$TOPO_PROXY" addr add "$TOPO_PROXY_IP/$TOPO_PREFIX" dev eth0
printf '1 sip:%s:5060\n1 sip:%s:5060\n1 sip:%s:5060\n' "$(topo_backend_ip 1)" "$(topo_backend_ip 2)" "$(topo_backend_ip 3)" \
  >"$WORK/dispatcher.list"
sed -e "s|@LISTEN@|$TOPO_PROXY_IP|" -e "s|@CHILDREN@|$KAM_CHILDREN|" -e "s|@LIST@|$WORK/dispatcher.list|" \
  perf/dataplane/kamailio.cfg >"$WORK/kamailio.cfg"
ip netns exec "$TOPO_PROXY" kamailio -f "$WORK/kamailio.cfg" -DD -E -x tlsf -m 256 -M 16 -P "$WORK/kamailio.pid" \
  >"$WORK/kamailio.log" 2>&1 &
KM=$!
PIDS+=("$KM")
sleep 2
kill -0 "$KM" 2>/dev/null || { cat "$WORK/kamailio.log"; exit 1; }
step 1000 >/dev/null
# shellcheck disable=SC2086
KAM_OUT=$(ladder kamailio $KAM_RATES)
echo "$KAM_OUT" | grep -v '^BEST'
KAM_BEST=$(echo "$KAM_OUT" | sed -n 's/^BEST //p')
kill -TERM "$KM"; wait "$KM" || true

echo
for device in $DEVICES; do
for idle in $IDLE_VARIANTS; do
  python3 - "${SIP_BEST[$device/$idle]}" "$KAM_BEST" "$idle" "$WORKERS" "$device" <<'PY'
import sys
s, k, idle = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
mode = ("busy polling" if idle == 0 else f"adaptive polling, {idle} us naps") + f", {sys.argv[4]} worker(s)"
print(f"highest forwarded rate with <1% loss: sipshunt on {sys.argv[5]} ({mode}) {s}/s, Kamailio {k}/s, "
      f"ratio {s / k if k else float('inf'):.2f}x")
PY
done
done
