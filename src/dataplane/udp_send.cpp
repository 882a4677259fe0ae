// UDP out on a worker: routes a SIP payload, writes fresh UDP and IPv4 headers (checksums
// offloaded when the port offers it) in front of it, and cuts it into fragments above the
// port's MTU (RFC 791); each frame then goes to send_frame (neighbour.cpp).
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <cstring>

#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/net/checksum.hpp"
#include "sipshunt/net/fragment.hpp"
#include "sipshunt/net/headers.hpp"

namespace sipshunt::dataplane {

void Worker::send_udp(rte_mbuf* m, bool payload_in_m, char* payload, std::uint32_t length, std::uint32_t dst_ip,
                      std::uint16_t dst_port, std::uint64_t now) noexcept {
  const auto nh = shared_.routes.lookup(IpAddress::v4(dst_ip));
  if (SIPSHUNT_UNLIKELY(!nh)) {
    bump(counters_.drops[static_cast<std::size_t>(Drop::kNoRoute)]);
    if (m != nullptr) rte_pktmbuf_free(m);
    return;
  }
  const std::uint16_t port = shared_.routes.networks()[nh->network].port;
  const std::uint32_t next_hop = nh->address.v4_host_order();
  const PortContext& pc = shared_.ports[port];
  const std::uint32_t udp_len = net::kUdpHeaderLen + length;
  const net::FragmentPlan plan = net::plan_fragments(udp_len, pc.mtu);
  if (SIPSHUNT_UNLIKELY(plan.count == 0)) {
    bump(counters_.drops[static_cast<std::size_t>(Drop::kTooBig)]);
    if (m != nullptr) rte_pktmbuf_free(m);
    return;
  }
  if (SIPSHUNT_LIKELY(plan.count == 1)) {
    if (!payload_in_m) {
      if (m == nullptr) m = rte_pktmbuf_alloc(shared_.pool);
      if (SIPSHUNT_UNLIKELY(m == nullptr)) {
        bump(counters_.drops[static_cast<std::size_t>(Drop::kNoMbuf)]);
        return;
      }
      char* dst = rte_pktmbuf_mtod_offset(m, char*, net::kUdpFrameOverhead);
      std::memcpy(dst, payload, length);
      payload = dst;
    }
    auto* udp = reinterpret_cast<unsigned char*>(payload) - net::kUdpHeaderLen;
    auto* l3 = udp - net::kIpv4HeaderLen;
    auto* eth = l3 - net::kEthernetHeaderLen;
    net::write_udp(udp, shared_.sip_port, dst_port, static_cast<std::uint16_t>(udp_len));
    net::Ipv4Out h;
    h.src = pc.address;
    h.dst = dst_ip;
    h.total_len = static_cast<std::uint16_t>(net::kIpv4HeaderLen + udp_len);
    h.id = next_ip_id();
    net::write_ipv4(l3, h, !pc.tx_ipv4_checksum);
    std::uint64_t flags = 0;
    if (pc.tx_udp_checksum) {
      flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM | (pc.tx_ipv4_checksum ? RTE_MBUF_F_TX_IP_CKSUM : 0);
      const std::uint16_t ph = rte_ipv4_phdr_cksum(reinterpret_cast<const rte_ipv4_hdr*>(l3), flags);
      std::memcpy(udp + 6, &ph, 2);
    } else {
      const std::uint16_t c = net::udp_checksum(l3 + 12, l3 + 16, udp, udp_len);
      std::memcpy(udp + 6, &c, 2);
      if (pc.tx_ipv4_checksum) flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
    }
    m->ol_flags = flags;
    m->l2_len = net::kEthernetHeaderLen;
    m->l3_len = net::kIpv4HeaderLen;
    m->data_off = static_cast<std::uint16_t>(eth - static_cast<unsigned char*>(m->buf_addr));
    m->data_len = static_cast<std::uint16_t>(net::kEthernetHeaderLen + net::kIpv4HeaderLen + udp_len);
    m->pkt_len = m->data_len;
    return send_frame(m, port, next_hop, now);
  }

  // Above the MTU: checksum the whole UDP datagram once, then cut it into fragments (RFC 791).
  auto* udp = reinterpret_cast<unsigned char*>(payload) - net::kUdpHeaderLen;
  net::write_udp(udp, shared_.sip_port, dst_port, static_cast<std::uint16_t>(udp_len));
  unsigned char src_be[4], dst_be[4];
  net::store_be32(src_be, pc.address);
  net::store_be32(dst_be, dst_ip);
  const std::uint16_t c = net::udp_checksum(src_be, dst_be, udp, udp_len);
  std::memcpy(udp + 6, &c, 2);
  const std::uint16_t id = next_ip_id();
  for (std::uint32_t i = 0; i < plan.count; ++i) {
    const net::FragmentPlan::Slice s = plan.slice(i);
    rte_mbuf* f = rte_pktmbuf_alloc(shared_.pool);
    if (SIPSHUNT_UNLIKELY(f == nullptr)) {
      bump(counters_.drops[static_cast<std::size_t>(Drop::kNoMbuf)], plan.count - i);
      break;
    }
    auto* eth = reinterpret_cast<unsigned char*>(
        rte_pktmbuf_append(f, static_cast<std::uint16_t>(net::kEthernetHeaderLen + net::kIpv4HeaderLen + s.length)));
    net::Ipv4Out h;
    h.src = pc.address;
    h.dst = dst_ip;
    h.total_len = static_cast<std::uint16_t>(net::kIpv4HeaderLen + s.length);
    h.id = id;
    h.fragment_offset = static_cast<std::uint16_t>(s.offset);
    h.more_fragments = s.more;
    net::write_ipv4(eth + net::kEthernetHeaderLen, h, true);
    std::memcpy(eth + net::kEthernetHeaderLen + net::kIpv4HeaderLen, udp + s.offset, s.length);
    bump(counters_.fragments_out);
    send_frame(f, port, next_hop, now);
  }
  if (m != nullptr) rte_pktmbuf_free(m);
}

}  // namespace sipshunt::dataplane
