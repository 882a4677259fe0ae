// Control plane. What the control lcore transmits: whole Ethernet frames (ARP requests,
// gratuitous ARP) and UDP datagrams (health probes). It owns no tx queue: each goes as an mbuf
// through the control_tx ring to worker 0, which sends it (see src/runtime/README.md).
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <cstring>

#include "sipshunt/runtime/runtime.hpp"

namespace sipshunt::runtime {

void Runtime::send_frame(std::uint16_t port, const unsigned char* frame, std::size_t length) {
  rte_mbuf* m = rte_pktmbuf_alloc(shared_->pool);
  if (m == nullptr) return;
  char* d = rte_pktmbuf_append(m, static_cast<std::uint16_t>(length));
  std::memcpy(d, frame, length);
  dataplane::ControlTxMeta meta;
  meta.kind = dataplane::ControlTxMeta::Kind::kFrame;
  meta.port = static_cast<std::uint8_t>(port);
  std::memcpy(rte_mbuf_to_priv(m), &meta, sizeof meta);
  if (rte_ring_sp_enqueue(shared_->control_tx, m) != 0) rte_pktmbuf_free(m);
}

bool Runtime::send_udp(const Endpoint& to, std::string_view payload) {
  if (to.ip.family != Family::kIPv4 || payload.size() > net::kMbufDataRoom - net::kUdpFrameOverhead) return false;
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
  meta.dst_ip = to.ip.v4_host_order();
  meta.dst_port = to.port;
  std::memcpy(rte_mbuf_to_priv(m), &meta, sizeof meta);
  if (rte_ring_sp_enqueue(shared_->control_tx, m) != 0) {
    rte_pktmbuf_free(m);
    return false;
  }
  return true;
}

void Runtime::send_arp_request(const net::ArpRequestOut& r) {
  if (r.port >= ports_.size()) return;
  unsigned char frame[60] = {};
  const auto& pc = shared_->ports[r.port];
  net::build_arp_request(frame, pc.mac, pc.address, r.ip, r.unicast ? &*r.unicast : nullptr);
  send_frame(r.port, frame, sizeof frame);
  ++arp_requests_;
}

}  // namespace sipshunt::runtime
