// Next-hop resolution on a worker: an outgoing IP frame gets the next hop's MAC on its network
// from the neighbour table (read lock-free), or waits in the bounded hold queue while the control
// lcore resolves it (ARP or neighbour discovery); neighbour events (learned, refreshed, needed) go
// to the control lcore's ring.
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <cstring>

#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/net/headers.hpp"

namespace sipshunt::dataplane {

void Worker::post(NeighbourEvent::Kind kind, std::uint16_t network, const IpAddress& ip, std::uint64_t mac) noexcept {
  if (shared_.events == nullptr) return;
  NeighbourEvent e;
  e.kind = kind;
  e.network = network;
  e.ip = ip;
  e.mac = mac;
  if (rte_ring_mp_enqueue_elem(shared_.events, &e, sizeof e) != 0) bump(counters_.events_lost);
}

void Worker::send_frame(rte_mbuf* m, std::uint16_t network, const IpAddress& next_hop, std::uint64_t now) noexcept {
  auto* eth = rte_pktmbuf_mtod(m, unsigned char*);
  const net::MacAddress& ours = shared_.ports[shared_.networks[network].port].mac;
  const std::uint16_t type = next_hop.family == Family::kIPv6 ? net::kEtherTypeIpv6 : net::kEtherTypeIpv4;
  net::MacAddress mac;
  if (SIPSHUNT_LIKELY(shared_.neighbours != nullptr && neighbour_cache_.lookup(*shared_.neighbours, network, next_hop, mac))) {
    net::write_ethernet(eth, mac, ours, type);
    return transmit(network, m);
  }
  // Unresolved: hold it (bounded) and ask the control lcore to resolve, once per next hop.
  net::write_ethernet(eth, net::MacAddress{}, ours, type);
  if (!hold_.waiting_for(network, next_hop)) post(NeighbourEvent::Kind::kDemand, network, next_hop, 0);
  if (!hold_.push({m, next_hop, network, now + shared_.hold_cycles})) return drop(m, Drop::kHoldOverflow);
  bump(counters_.held);
}

// On the timer: send what has resolved since, drop what waited past its deadline.
void Worker::service_hold(std::uint64_t now) noexcept {
  hold_.sweep([&](auto& item) {
    net::MacAddress mac;
    if (shared_.neighbours->lookup(item.network, item.next_hop, mac)) {
      std::memcpy(rte_pktmbuf_mtod(item.packet, unsigned char*), mac.bytes.data(), 6);
      bump(counters_.released);
      transmit(item.network, item.packet);
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
