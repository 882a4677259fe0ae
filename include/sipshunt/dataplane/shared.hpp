// The state every worker reads and the control lcore owns: ports, routes, the neighbour table,
// the published proxy snapshot (RCU), and the rings between workers and control. Set up by the
// control module before the workers start; afterwards workers only read it (the snapshot
// pointer and neighbour entries change underneath them, lock-free).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "sipshunt/dataplane/counters.hpp"
#include "sipshunt/net/eal.hpp"
#include "sipshunt/net/headers.hpp"
#include "sipshunt/net/neighbour.hpp"
#include "sipshunt/net/route.hpp"

struct rte_ring;
struct rte_mempool;
struct rte_rcu_qsbr;

namespace sipshunt::proxy {
struct Snapshot;
}
namespace sipshunt::health {
class ProbeCodec;
template <typename T>
class Mailbox;
struct ReplyEvent;
}  // namespace sipshunt::health
namespace sipshunt::mirror {
class Tap;
}

namespace sipshunt::dataplane {

inline constexpr std::uint16_t kBurst = 32;

struct PortContext {
  std::uint16_t id = 0;              // DPDK port id
  net::MacAddress mac;
  std::uint32_t address = 0;         // host order
  std::uint8_t prefix_len = 24;
  std::uint16_t mtu = 1500;
  bool rx_ipv4_checksum = false;     // the NIC verifies (mbuf flags say good/bad)
  bool rx_udp_checksum = false;
  bool tx_ipv4_checksum = false;     // the NIC computes
  bool tx_udp_checksum = false;
};

// Worker -> control: what ARP taught a worker, or a next hop it needs. 16 bytes, by value.
struct NeighbourEvent {
  enum class Kind : std::uint8_t { kLearn = 0, kUpdate = 1, kDemand = 2 };
  Kind kind = Kind::kLearn;          // kLearn: create or refresh; kUpdate: refresh only (gratuitous)
  std::uint8_t reserved = 0;
  std::uint16_t port = 0;
  std::uint32_t ip = 0;              // host order
  std::uint64_t mac = 0;             // MacAddress::to_u64 (kLearn / kUpdate)
};
static_assert(sizeof(NeighbourEvent) == 16);

// Control -> worker 0: an mbuf to transmit, described by its private area.
struct ControlTxMeta {
  enum class Kind : std::uint8_t { kFrame = 0, kUdp = 1 };
  Kind kind = Kind::kFrame;          // kFrame: a complete Ethernet frame for `port`
  std::uint8_t port = 0;             //   (ARP requests, gratuitous ARP)
  std::uint16_t dst_port = 0;        // kUdp: the mbuf data is a UDP payload, sent from our SIP
  std::uint32_t dst_ip = 0;          //   port to dst_ip:dst_port like any forwarded datagram
};
static_assert(sizeof(ControlTxMeta) <= 16);

struct Shared {
  std::array<PortContext, kMaxPorts> ports{};
  std::uint16_t port_count = 0;
  std::uint32_t workers = 1;
  net::RouteTable routes;
  net::NeighbourTable* neighbours = nullptr;
  rte_ring* events = nullptr;        // NeighbourEvent, multi-producer / single-consumer
  rte_ring* control_tx = nullptr;    // rte_mbuf*, single-producer / single-consumer (worker 0)
  rte_mempool* pool = nullptr;
  rte_rcu_qsbr* qsbr = nullptr;      // one thread id per worker (its index)

  std::atomic<const proxy::Snapshot*> snapshot{nullptr};
  std::atomic<bool> quit{false};

  std::atomic<const health::ProbeCodec*> probe_codec{nullptr};
  std::atomic<health::Mailbox<health::ReplyEvent>*> probe_mailbox{nullptr};

  // HEP mirroring (src/mirror/README.md): one Tap per worker, indexed by worker; null when off.
  mirror::Tap* const* mirror_taps = nullptr;

  std::uint16_t sip_port = 5060;     // UDP port we accept SIP on (and send from)
  net::TscClock clock;
  std::uint64_t drain_cycles = 0;    // tx drain / hold service period (~100 us)
  std::uint64_t hold_cycles = 0;     // longest a packet waits for ARP (~3 s)
  std::uint64_t reassembly_cycles = 0;  // a fragment's lifetime in the reassembly table
  // Adaptive polling (0: off, pure busy polling). After `idle_polls` empty polls in a row a
  // worker sleeps `idle_sleep_ns` (offline for RCU meanwhile): on a host where the worker shares
  // its CPUs with the kernel's packet path or other programs it gives the CPU back when there is
  // nothing to do. It never sleeps while packets arrive, so peak throughput is unchanged.
  std::uint64_t idle_sleep_ns = 0;
  std::uint32_t idle_polls = 256;
};

}  // namespace sipshunt::dataplane
