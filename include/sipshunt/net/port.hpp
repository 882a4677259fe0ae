// Control plane. DPDK ports: attach a PCI device or create a virtual device (net_af_packet,
// net_af_xdp, net_tap, net_pcap, net_ring, net_null), configure one rx and one tx queue per
// worker with RSS and checksum offloads where the device offers them, start, stop.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sipshunt/common/result.hpp"
#include "sipshunt/net/headers.hpp"

struct rte_mempool;

namespace sipshunt::net {

// Bytes of packet data per mbuf (after DPDK's headroom). Large enough for a jumbo frame, for a
// datagram the kernel reassembled in front of af_packet (PACKET_FANOUT_FLAG_DEFRAG), and for the
// proxy to write its output behind the input in the same buffer.
inline constexpr std::uint16_t kMbufDataRoom = 8192;
// Per-mbuf private area (a multiple of 8): what the control lcore tells worker 0 about a packet.
inline constexpr std::uint16_t kMbufPrivSize = 32;

struct PortSpec {
  std::string name;      // ours, for logs and metrics
  std::string device;    // PCI address or vdev name ("net_af_packet0")
  std::string devargs;   // vdev arguments
  std::uint16_t mtu = 1500;   // IP MTU of each of its networks
  // Multicast MACs to receive (IPv6: all-nodes and our solicited-node groups, RFC 4861 §7.2.1):
  // set as the port's filter, or all multicast where the device has no filter list.
  std::vector<MacAddress> multicast;
};

struct PortOptions {
  std::uint16_t queues = 1;       // rx and tx queues (one each per worker)
  std::uint16_t rx_ring = 1024;
  std::uint16_t tx_ring = 1024;
  rte_mempool* pool = nullptr;    // rx buffers (an AF_XDP port's own pool, see af_xdp.hpp)
  bool single_pool = true;        // every mbuf any port sends comes from one pool (fast free)
};

struct PortInfo {
  std::string name;
  std::string device;
  std::string driver;
  std::uint16_t id = 0;           // DPDK port id
  MacAddress mac;
  std::uint16_t queues = 0;
  bool rss = false;
  bool rx_ipv4_checksum = false;  // offloads in use
  bool rx_udp_checksum = false;
  bool tx_ipv4_checksum = false;
  bool tx_udp_checksum = false;
  bool allmulticast = false;      // no multicast filter list: every multicast frame is received
  bool started = false;
  bool attached = false;
  int af_packet_sockets = 0;      // af_packet: sockets whose send buffer was enlarged (see port.cpp)
  std::vector<int> af_packet_fds; // af_packet: the PMD's sockets on the interface (rx + tx per queue)
};

// af_packet: packets the kernel dropped because an rx ring of the port was full, since the last
// call (PACKET_STATISTICS resets on read: one reader, the control lcore, accumulates). DPDK
// 22.11's af_packet PMD does not read it, so its imissed stays 0 whatever the loss. 0 for
// other drivers.
[[nodiscard]] std::uint64_t af_packet_ring_drops(const PortInfo& port) noexcept;

// The vdev arguments actually used: for net_af_packet, qpairs=<queues> and frame/block sizes that
// fit kMbufDataRoom are added unless given (so a reassembled datagram is not truncated); for
// net_af_xdp, queue_count=<queues> and busy_budget=0 (no preferred busy polling, see port.cpp).
[[nodiscard]] std::string effective_devargs(const PortSpec& spec, std::uint16_t queues);

// Attaches and starts the port; `out` filled on success. On failure `out` still says how far it
// got (attached, started), so that close_port() can undo it: hence an out parameter.
[[nodiscard]] Result<void> open_port(const PortSpec& spec, const PortOptions& options, PortInfo& out);
// Stops and closes (idempotent).
void close_port(PortInfo& port) noexcept;

// The mbuf pool every queue shares.
[[nodiscard]] Result<rte_mempool*> create_mbuf_pool(const std::string& name, std::uint32_t count);

}  // namespace sipshunt::net
