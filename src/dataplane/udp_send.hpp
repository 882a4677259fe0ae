// The usual datagram out on a worker (from a network's SIP address, one frame, next hop resolved):
// its headers from the network's template (net/frame_template.hpp). Private to src/dataplane; an
// inline member so that handle_sip (sip.cpp) sends it without a call (the general path, header by
// header, is send_udp in udp_send.cpp).
#pragma once

#include <rte_ip.h>
#include <rte_mbuf.h>

#include <cstring>

#include "packet.hpp"
#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/net/frame_template.hpp"
#include "sipshunt/net/headers.hpp"

namespace sipshunt::dataplane {

namespace detail {
// The mbuf's offload flags for a UDP datagram out of port `pc`: the checksums the device computes
// (DPDK's TX_*_CKSUM, with the family's TX_IPV4/TX_IPV6), none when it computes neither.
SIPSHUNT_ALWAYS_INLINE std::uint64_t udp_tx_flags(const PortContext& pc, bool v6) noexcept {
  if (pc.tx_udp_checksum) {
    return v6 ? (RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM)
              : (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM | (pc.tx_ipv4_checksum ? RTE_MBUF_F_TX_IP_CKSUM : 0));
  }
  return !v6 && pc.tx_ipv4_checksum ? RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM : 0;
}
}  // namespace detail

SIPSHUNT_ALWAYS_INLINE bool Worker::send_udp_templated(rte_mbuf* m, bool payload_in_m, char* payload, std::uint32_t length,
                                const Endpoint& dst, const net::NextHop& route) noexcept {
  if (SIPSHUNT_UNLIKELY(route.network >= kMaxNetworks)) return false;
  const net::FrameTemplate& t = templates_[route.network].frame;
  const TemplateUse& u = templates_[route.network].use;
  // Of the route's family (a network without a template has none) and one frame (else fragments:
  // the general path).
  if (SIPSHUNT_UNLIKELY(t.family() != dst.ip.family || length > u.max_length)) return false;
  // Unresolved: the general path holds the frame while the control lcore resolves the next hop.
  // The MAC is copied from the memo straight into the frame.
  const net::MacAddress* mac = neighbour_cache_.find(*template_neighbours_, route.network, route.address);
  if (SIPSHUNT_UNLIKELY(mac == nullptr)) return false;
  if (!payload_in_m) {
    if (m == nullptr) m = rte_pktmbuf_alloc(shared_.pool);
    if (SIPSHUNT_UNLIKELY(m == nullptr)) {
      detail::count_drop(counters_, Drop::kNoMbuf);
      return true;
    }
    char* to = rte_pktmbuf_mtod_offset(m, char*, net::kMaxUdpFrameOverhead);
    std::memcpy(to, payload, length);
    payload = to;
  }
  const bool v6 = dst.ip.family == Family::kIPv6;
  auto* eth = t.write(reinterpret_cast<unsigned char*>(payload), length, *mac, dst.ip, dst.port,
                      v6 ? 0 : next_ip_id(), u.ipv4_checksum, !u.udp_offload);
  if (SIPSHUNT_UNLIKELY(u.udp_offload)) {
    // The device sums the datagram; it wants the pseudo header's sum in the field (DPDK's rule).
    unsigned char* l3 = eth + t.l2_len();
    const std::uint16_t ph = v6 ? rte_ipv6_phdr_cksum(reinterpret_cast<const rte_ipv6_hdr*>(l3), u.ol_flags)
                                : rte_ipv4_phdr_cksum(reinterpret_cast<const rte_ipv4_hdr*>(l3), u.ol_flags);
    std::memcpy(l3 + t.l3_len() + 6, &ph, 2);
  }
  m->ol_flags = u.ol_flags;
  m->tx_offload = u.tx_offload;
  m->vlan_tci = u.vlan;  // as rte_vlan_insert leaves it (the tag is in the frame)
  m->data_off = static_cast<std::uint16_t>(eth - static_cast<unsigned char*>(m->buf_addr));
  const auto frame_len = static_cast<std::uint16_t>(t.size() + length);
  m->data_len = frame_len;
  m->pkt_len = frame_len;
  PortCounters& c = counters_.networks[route.network];
  bump(c.tx_packets);
  bump(c.tx_bytes, frame_len);
  tx(u.port, m);
  return true;
}

}  // namespace sipshunt::dataplane
