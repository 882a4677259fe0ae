# shellcheck shell=bash
# Network-namespace topology for the demo, the integration tests and the benchmarks. Source it.
#
#   topo_up SUFFIX NBACKENDS     creates, with a per-run SUFFIX (keep it <= 8 characters):
#     sw-SUFFIX     a bridge br0 that connects every host (its own namespace: nothing else
#                   on the machine sees the traffic)
#     cli-SUFFIX    the client host   198.18.0.10/24  (eth0)
#     px-SUFFIX     the proxy host: eth0 up WITHOUT any address (IPv6 off too), for sipshunt's
#                   net_af_packet port; the kernel neither answers ARP nor sends ICMP for it
#     be1-SUFFIX .. beN-SUFFIX   backend hosts 198.18.0.21.. /24
#   topo_down                    deletes every namespace topo_up created (and so their links)
#
# Addresses come from 198.18.0.0/15 (RFC 2544). Transmit checksum offload is turned off on the
# hosts' veths: af_packet would otherwise hand the proxy UDP datagrams whose checksum the
# kernel never filled in (CHECKSUM_PARTIAL).

TOPO_NAMESPACES=()
TOPO_PROXY_IP=198.18.0.1
TOPO_CLIENT_IP=198.18.0.10
TOPO_PREFIX=24

topo_backend_ip() { echo "198.18.0.$((20 + $1))"; }

topo_ns_add() {
  ip netns add "$1"
  TOPO_NAMESPACES+=("$1")
  ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  # A bridge here is a plain switch: bridged frames skip iptables (br_netfilter), where present.
  ip netns exec "$1" sh -c 'for f in /proc/sys/net/bridge/bridge-nf-call-*; do [ -w "$f" ] && echo 0 >"$f"; done; true'
  ip -n "$1" link set lo up
}

# topo_host NS ADDRESS|"" : a host namespace with eth0 on the bridge.
topo_host() {
  local ns=$1 addr=$2 port="p${#TOPO_NAMESPACES[@]}"
  topo_ns_add "$ns"
  ip link add eth0 netns "$ns" type veth peer name "$port" netns "$TOPO_SW"
  ip -n "$TOPO_SW" link set "$port" master br0 up
  ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null 2>&1 || true
  if [ -n "$addr" ]; then
    ip -n "$ns" addr add "$addr/$TOPO_PREFIX" dev eth0
  fi
  ip -n "$ns" link set eth0 up
}

topo_up() {
  local sfx=$1 n=$2 i
  TOPO_SUFFIX=$sfx
  TOPO_SW="sw-$sfx"
  TOPO_CLIENT="cli-$sfx"
  TOPO_PROXY="px-$sfx"
  TOPO_BACKENDS=()
  topo_ns_add "$TOPO_SW"
  ip -n "$TOPO_SW" link add br0 type bridge forward_delay 0 stp_state 0
  ip -n "$TOPO_SW" link set br0 up
  topo_host "$TOPO_CLIENT" "$TOPO_CLIENT_IP"
  topo_host "$TOPO_PROXY" ""
  for ((i = 1; i <= n; i++)); do
    TOPO_BACKENDS+=("be$i-$sfx")
    topo_host "be$i-$sfx" "$(topo_backend_ip "$i")"
  done
}

topo_down() {
  local ns
  for ns in "${TOPO_NAMESPACES[@]}"; do
    ip netns del "$ns" 2>/dev/null || true
  done
  TOPO_NAMESPACES=()
}

# A fresh suffix: short, unique per run.
topo_suffix() { printf '%04x%02x' "$$" "$((RANDOM % 256))" | tail -c 6; }
