// Next-hop resolution on a worker: an outgoing IPv4 frame gets the next hop's MAC from the
// neighbour table (read lock-free), or waits in the bounded hold queue while the control lcore
// resolves it; neighbour events (learned, refreshed, needed) go to the control lcore's ring.
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <cstring>

#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/net/headers.hpp"

namespace sipshunt::dataplane {

void Worker::post(NeighbourEvent::Kind kind, std::uint16_t port, std::uint32_t ip, std::uint64_t mac) noexcept {
  if (shared_.events == nullptr) return;
  NeighbourEvent e;
  e.kind = kind;
  e.port = port;
  e.ip = ip;
  e.mac = mac;
  if (rte_ring_mp_enqueue_elem(shared_.events, &e, sizeof e) != 0) bump(counters_.events_lost);
}

void Worker::send_frame(rte_mbuf* m, std::uint16_t port, std::uint32_t next_hop, std::uint64_t now) noexcept {
  auto* eth = rte_pktmbuf_mtod(m, unsigned char*);
  const PortContext& pc = shared_.ports[port];
  net::MacAddress mac;
  if (SIPSHUNT_LIKELY(shared_.neighbours != nullptr && shared_.neighbours->lookup(port, next_hop, mac))) {
    net::write_ethernet(eth, mac, pc.mac, net::kEtherTypeIpv4);
    return tx(port, m);
  }
  // Unresolved: hold it (bounded) and ask the control lcore to resolve, once per next hop.
  net::write_ethernet(eth, net::MacAddress{}, pc.mac, net::kEtherTypeIpv4);
  if (!hold_.waiting_for(port, next_hop)) post(NeighbourEvent::Kind::kDemand, port, next_hop, 0);
  if (!hold_.push({m, next_hop, port, now + shared_.hold_cycles})) return drop(m, Drop::kHoldOverflow);
  bump(counters_.held);
}

// On the timer: send what has resolved since, drop what waited past its deadline.
void Worker::service_hold(std::uint64_t now) noexcept {
  hold_.sweep([&](auto& item) {
    net::MacAddress mac;
    if (shared_.neighbours->lookup(item.port, item.next_hop, mac)) {
      std::memcpy(rte_pktmbuf_mtod(item.packet, unsigned char*), mac.bytes.data(), 6);
      bump(counters_.released);
      tx(item.port, item.packet);
      return false;
    }
    if (now >= item.deadline) {
      drop(item.packet, Drop::kNeighbourTimeout);
      return false;
    }
    return true;
  });
}

}  // namespace sipshunt::dataplane
