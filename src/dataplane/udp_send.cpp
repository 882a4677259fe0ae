// UDP out on a worker: a SIP payload leaves by a route (its network's port, VLAN and address):
// fresh UDP and IPv4 or IPv6 headers in front of it (checksums offloaded when the port offers
// it; over IPv6 the UDP checksum is mandatory, RFC 8200 §8.1), cut into fragments above the
// network's MTU (IPv4: RFC 791; IPv6: a fragment header in each, RFC 8200 §4.5); each frame then
// goes to send_frame (neighbour.cpp).
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <cstring>

#include "packet.hpp"
#include "udp_send.hpp"
#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/net/checksum.hpp"
#include "sipshunt/net/fragment.hpp"
#include "sipshunt/net/headers.hpp"
#include "sipshunt/net/ipv6.hpp"

namespace sipshunt::dataplane {

namespace {

void discard(rte_mbuf* m) noexcept {
  if (m != nullptr) rte_pktmbuf_free(m);
}

}  // namespace

void Worker::send_udp_routed(rte_mbuf* m, bool payload_in_m, char* payload, std::uint32_t length, const Endpoint& dst,
                             std::uint64_t now) noexcept {
  const auto route = shared_.routes.lookup(dst.ip);
  if (SIPSHUNT_UNLIKELY(!route)) {
    detail::count_drop(counters_, Drop::kNoRoute);
    return discard(m);
  }
  send_udp(m, payload_in_m, payload, length, dst, *route, From::kInterfaceAddress, now);
}

void Worker::build_templates(const proxy::Snapshot* snap) noexcept {
  templates_ = {};  // no template (no family): the general path
  template_neighbours_ = shared_.neighbours;
  for (std::uint16_t i = 0; shared_.neighbours != nullptr && i < shared_.network_count; ++i) {
    const NetworkContext& nc = shared_.networks[i];
    const PortContext& pc = shared_.ports[nc.port];
    const net::FrameTemplate t(pc.mac, nc.vlan, nc.sip_address, shared_.sip_port);
    if (t.l3_len() + net::kUdpHeaderLen > nc.mtu) continue;
    templates_[i].frame = t;
    TemplateUse& u = templates_[i].use;
    const bool v6 = t.family() == Family::kIPv6;
    u.max_length = static_cast<std::uint32_t>(nc.mtu - t.l3_len() - net::kUdpHeaderLen);
    u.port = nc.port;
    u.vlan = nc.vlan;
    u.ipv4_checksum = !pc.tx_ipv4_checksum;
    u.udp_offload = pc.tx_udp_checksum;
    u.ol_flags = detail::udp_tx_flags(pc, v6);
    u.tx_offload = rte_mbuf_tx_offload(t.l2_len(), t.l3_len(), 0, 0, 0, 0, 0);  // one store, not two bit fields
  }
  templates_for_ = snap;
}

void Worker::send_udp(rte_mbuf* m, bool payload_in_m, char* payload, std::uint32_t length, const Endpoint& dst,
                      const net::NextHop& route, From from, std::uint64_t now) noexcept {
  if (SIPSHUNT_UNLIKELY(route.network >= shared_.network_count ||
                        shared_.networks[route.network].address.family != dst.ip.family)) {
    detail::count_drop(counters_, Drop::kNoRoute);
    return discard(m);
  }
  const NetworkContext& nc = shared_.networks[route.network];
  const IpAddress& src = from == From::kSipAddress ? nc.sip_address : nc.address;
  const PortContext& pc = shared_.ports[nc.port];
  const bool v6 = dst.ip.family == Family::kIPv6;
  const std::size_t ip_len = v6 ? net::kIpv6HeaderLen : net::kIpv4HeaderLen;
  const std::uint32_t udp_len = net::kUdpHeaderLen + length;
  const net::FragmentPlan plan = net::plan_fragments(udp_len, nc.mtu, dst.ip.family);
  if (SIPSHUNT_UNLIKELY(plan.count == 0)) {
    detail::count_drop(counters_, Drop::kTooBig);
    return discard(m);
  }
  if (SIPSHUNT_LIKELY(plan.count == 1)) {
    if (!payload_in_m) {
      if (m == nullptr) m = rte_pktmbuf_alloc(shared_.pool);
      if (SIPSHUNT_UNLIKELY(m == nullptr)) return detail::count_drop(counters_, Drop::kNoMbuf);
      char* to = rte_pktmbuf_mtod_offset(m, char*, net::kMaxUdpFrameOverhead);
      std::memcpy(to, payload, length);
      payload = to;
    }
    auto* udp = reinterpret_cast<unsigned char*>(payload) - net::kUdpHeaderLen;
    auto* l3 = udp - ip_len;
    auto* eth = l3 - net::kEthernetHeaderLen;
    net::write_udp(udp, shared_.sip_port, dst.port, static_cast<std::uint16_t>(udp_len));
    const std::uint64_t flags = detail::udp_tx_flags(pc, v6);
    if (SIPSHUNT_LIKELY(!v6)) {
      net::Ipv4Out h;
      h.src = src;
      h.dst = dst.ip;
      h.total_len = static_cast<std::uint16_t>(net::kIpv4HeaderLen + udp_len);
      h.id = next_ip_id();
      net::write_ipv4(l3, h, !pc.tx_ipv4_checksum);
      if (pc.tx_udp_checksum) {
        const std::uint16_t ph = rte_ipv4_phdr_cksum(reinterpret_cast<const rte_ipv4_hdr*>(l3), flags);
        std::memcpy(udp + 6, &ph, 2);
      } else {
        const std::uint16_t c = net::udp_checksum(l3 + 12, l3 + 16, udp, udp_len);
        std::memcpy(udp + 6, &c, 2);
      }
    } else {
      net::Ipv6Out h;
      h.src = src;
      h.dst = dst.ip;
      h.payload_len = static_cast<std::uint16_t>(udp_len);
      net::write_ipv6(l3, h);
      if (pc.tx_udp_checksum) {
        const std::uint16_t ph = rte_ipv6_phdr_cksum(reinterpret_cast<const rte_ipv6_hdr*>(l3), flags);
        std::memcpy(udp + 6, &ph, 2);
      } else {
        const std::uint16_t c = net::udp6_checksum(l3 + 8, l3 + 24, udp, udp_len);
        std::memcpy(udp + 6, &c, 2);
      }
    }
    m->ol_flags = flags;
    m->l2_len = net::kEthernetHeaderLen;
    m->l3_len = static_cast<std::uint16_t>(ip_len) & 0x1ff;
    m->data_off = static_cast<std::uint16_t>(eth - static_cast<unsigned char*>(m->buf_addr));
    m->data_len = static_cast<std::uint16_t>(net::kEthernetHeaderLen + ip_len + udp_len);
    m->pkt_len = m->data_len;
    return send_frame(m, route.network, route.address, now);
  }

  // Above the MTU: checksum the whole UDP datagram once, then cut it into fragments.
  auto* udp = reinterpret_cast<unsigned char*>(payload) - net::kUdpHeaderLen;
  net::write_udp(udp, shared_.sip_port, dst.port, static_cast<std::uint16_t>(udp_len));
  const std::uint16_t c =
      v6 ? net::udp6_checksum(src.bytes.data(), dst.ip.bytes.data(), udp, udp_len)
         : net::udp_checksum(src.bytes.data(), dst.ip.bytes.data(), udp, udp_len);
  std::memcpy(udp + 6, &c, 2);
  const std::uint16_t id = v6 ? 0 : next_ip_id();
  const std::uint32_t id6 = v6 ? next_ipv6_id() : 0;
  const std::size_t headers = v6 ? net::kIpv6HeaderLen + net::kIpv6FragmentHeaderLen : net::kIpv4HeaderLen;
  for (std::uint32_t i = 0; i < plan.count; ++i) {
    const net::FragmentPlan::Slice s = plan.slice(i);
    rte_mbuf* f = rte_pktmbuf_alloc(shared_.pool);
    if (SIPSHUNT_UNLIKELY(f == nullptr)) {
      detail::count_drop(counters_, Drop::kNoMbuf, plan.count - i);
      break;
    }
    auto* eth = reinterpret_cast<unsigned char*>(
        rte_pktmbuf_append(f, static_cast<std::uint16_t>(net::kEthernetHeaderLen + headers + s.length)));
    unsigned char* l3 = eth + net::kEthernetHeaderLen;
    if (v6) {
      net::Ipv6Out h;
      h.src = src;
      h.dst = dst.ip;
      h.payload_len = static_cast<std::uint16_t>(net::kIpv6FragmentHeaderLen + s.length);
      h.next_header = net::kIpProtoIpv6Fragment;
      net::write_ipv6(l3, h);
      net::write_ipv6_fragment_header(l3 + net::kIpv6HeaderLen, net::kIpProtoUdp, s.offset, s.more, id6);
    } else {
      net::Ipv4Out h;
      h.src = src;
      h.dst = dst.ip;
      h.total_len = static_cast<std::uint16_t>(net::kIpv4HeaderLen + s.length);
      h.id = id;
      h.fragment_offset = static_cast<std::uint16_t>(s.offset);
      h.more_fragments = s.more;
      net::write_ipv4(l3, h, true);
    }
    std::memcpy(l3 + headers, udp + s.offset, s.length);
    bump(counters_.fragments_out);
    send_frame(f, route.network, route.address, now);
  }
  discard(m);
}

}  // namespace sipshunt::dataplane
