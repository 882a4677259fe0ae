// Control plane. What the control lcore transmits: whole Ethernet frames (ARP requests and
// neighbour solicitations, announcements) and UDP datagrams (health probes). It owns no tx queue: each goes as an mbuf
// through the control_tx ring to worker 0, which sends it (see src/runtime/README.md).
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <cstring>

#include "sipshunt/net/ipv6.hpp"
#include "sipshunt/runtime/runtime.hpp"

namespace sipshunt::runtime {

void Runtime::send_frame(std::uint16_t network, const unsigned char* frame, std::size_t length) {
  rte_mbuf* m = rte_pktmbuf_alloc(shared_->pool);
  if (m == nullptr) return;
  char* d = rte_pktmbuf_append(m, static_cast<std::uint16_t>(length));
  std::memcpy(d, frame, length);
  dataplane::ControlTxMeta meta;
  meta.kind = dataplane::ControlTxMeta::Kind::kFrame;
  meta.network = network;
  std::memcpy(rte_mbuf_to_priv(m), &meta, sizeof meta);
  if (rte_ring_sp_enqueue(shared_->control_tx, m) != 0) rte_pktmbuf_free(m);
}

bool Runtime::send_udp(const Endpoint& to, std::string_view payload) {
  if (to.ip.family == Family::kNone || payload.size() > net::kMbufDataRoom - net::kMaxUdpFrameOverhead) return false;
  rte_mbuf* m = rte_pktmbuf_alloc(shared_->pool);
  if (m == nullptr) return false;
  char* d = rte_pktmbuf_append(m, static_cast<std::uint16_t>(payload.size()));
  if (d == nullptr) {
    rte_pktmbuf_free(m);
    return false;
  }
  std::memcpy(d, payload.data(), payload.size());
  dataplane::ControlTxMeta meta;
  meta.kind = dataplane::ControlTxMeta::Kind::kUdp;
  meta.dst_ip = to.ip;
  meta.dst_port = to.port;
  std::memcpy(rte_mbuf_to_priv(m), &meta, sizeof meta);
  if (rte_ring_sp_enqueue(shared_->control_tx, m) != 0) {
    rte_pktmbuf_free(m);
    return false;
  }
  return true;
}

void Runtime::send_neighbour_probe(const net::NeighbourProbe& r) {
  if (r.network >= shared_->network_count) return;
  const dataplane::NetworkContext& nc = shared_->networks[r.network];
  if (nc.address.family != r.ip.family) return;
  const net::MacAddress& mac = shared_->ports[nc.port].mac;
  const net::MacAddress* unicast = r.unicast ? &*r.unicast : nullptr;
  unsigned char frame[net::kNdFrameLen] = {};
  if (r.ip.family == Family::kIPv6) {
    send_frame(r.network, frame, net::build_neighbour_solicitation(frame, mac, nc.address, r.ip, unicast));
    ++solicitations_;
  } else {
    net::build_arp_request(frame, mac, nc.address, r.ip, unicast);
    send_frame(r.network, frame, 60);  // padded to the Ethernet minimum
    ++arp_requests_;
  }
}

}  // namespace sipshunt::runtime
