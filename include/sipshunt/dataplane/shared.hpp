// The state every worker reads and the control lcore owns: ports, networks (a port's untagged
// link or one of its VLANs, with an address of either family), routes, the neighbour table,
// the published proxy snapshot (RCU), and the rings between workers and control. Set up by the
// control module before the workers start; afterwards workers only read it (the snapshot
// pointer and neighbour entries change underneath them, lock-free).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "sipshunt/common/address.hpp"

#include "sipshunt/dataplane/counters.hpp"
#include "sipshunt/net/eal.hpp"
#include "sipshunt/net/headers.hpp"
#include "sipshunt/net/neighbour.hpp"
#include "sipshunt/net/port.hpp"
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
inline constexpr std::uint16_t kNoNetwork = 0xffff;

// One link of a port: untagged (vlan 0) or one 802.1Q VLAN, with its network of each family.
struct PortLink {
  std::uint16_t vlan = 0;
  std::uint16_t v4 = kNoNetwork;     // index into Shared::networks
  std::uint16_t v6 = kNoNetwork;
};

struct PortContext {
  std::uint16_t id = 0;              // DPDK port id
  net::MacAddress mac;
  bool rx_ipv4_checksum = false;     // the NIC verifies (mbuf flags say good/bad)
  bool rx_udp_checksum = false;
  bool tx_ipv4_checksum = false;     // the NIC computes
  bool tx_udp_checksum = false;
  // The arrival network of a frame from its (VLAN, family): a few links per port, scanned in order
  // (the untagged link first, where there is one).
  std::uint8_t link_count = 0;
  std::array<PortLink, kMaxLinksPerPort> links{};
  // The network of an untagged frame of each family (the untagged link's, first in `links`),
  // kNoNetwork when there is none: Worker::handle's short way tests these alone. Set by settle()
  // once the links are; left kNoNetwork, every frame takes the general path, which decides the same.
  std::uint16_t untagged_v4 = kNoNetwork;
  std::uint16_t untagged_v6 = kNoNetwork;

  // After the links are set (the untagged one first): untagged_v4 and untagged_v6 from them.
  void settle() noexcept {
    const bool untagged = link_count != 0 && links[0].vlan == 0;
    untagged_v4 = untagged ? links[0].v4 : kNoNetwork;
    untagged_v6 = untagged ? links[0].v6 : kNoNetwork;
  }

  [[nodiscard]] const PortLink* link(std::uint16_t vlan) const noexcept {
    for (std::uint8_t i = 0; i < link_count; ++i) {
      if (links[i].vlan == vlan) return &links[i];
    }
    return nullptr;
  }
};

// A network as the data plane uses it (config::Network plus its port's MTU): where frames for it
// leave (port, VLAN tag) and the address we send from and answer for.
struct NetworkContext {
  std::uint16_t port = 0;
  std::uint16_t vlan = 0;            // 0: untagged
  IpAddress address;                 // the interface address: ARP/ND, ICMP, health probes
  IpAddress sip_address;             // config Network::sip_address(): SIP in and out (may be `address`)
  std::uint8_t prefix_len = 24;
  std::uint16_t mtu = 1500;          // IP MTU (the VLAN tag does not count against it)
};

// Worker -> control: what ARP or neighbour discovery taught a worker, or a next hop it needs.
// 32 bytes, by value (an IPv6 address does not fit the 16 an IPv4 one did).
struct NeighbourEvent {
  enum class Kind : std::uint8_t { kLearn = 0, kUpdate = 1, kDemand = 2 };
  Kind kind = Kind::kLearn;          // kLearn: create or refresh; kUpdate: refresh only (gratuitous)
  std::uint16_t network = 0;
  IpAddress ip;
  std::uint64_t mac = 0;             // MacAddress::to_u64 (kLearn / kUpdate)
};
static_assert(sizeof(NeighbourEvent) == 32);

// Control -> worker 0: an mbuf to transmit, described by its private area.
struct ControlTxMeta {
  enum class Kind : std::uint8_t { kFrame = 0, kUdp = 1 };
  Kind kind = Kind::kFrame;          // kFrame: a complete untagged Ethernet frame for `network`
  std::uint16_t network = 0;         //   (ARP requests, solicitations, announcements), tagged on send
  std::uint16_t dst_port = 0;        // kUdp: the mbuf data is a UDP payload, sent from our SIP
  IpAddress dst_ip;                  //   port to dst_ip:dst_port like any forwarded datagram
};
static_assert(sizeof(ControlTxMeta) <= net::kMbufPrivSize);

struct Shared {
  std::array<PortContext, kMaxPorts> ports{};
  std::uint16_t port_count = 0;
  std::array<NetworkContext, kMaxNetworks> networks{};  // config Dpdk::networks, same order
  std::uint16_t network_count = 0;
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
