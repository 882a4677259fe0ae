// IPv6 in on a worker (RFC 8200): the fixed header, one of our addresses (or, for neighbour
// discovery, our solicited-node group or all nodes), padding trimmed, fragments reassembled
// (rte_ipv6_frag_reassemble_packet: a fragment header right behind the fixed one, as every sender
// of UDP puts it), then UDP to our SIP port with its mandatory checksum (§8.1) handed to
// handle_sip, ICMPv6 echo to handle_icmpv6_echo, neighbour discovery to handle_nd.
// Other extension headers are not followed: such packets count as unsupported-protocol.
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>

#include <cstring>

#include "packet.hpp"
#include "udp_in.hpp"
#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/net/checksum.hpp"
#include "sipshunt/net/headers.hpp"
#include "sipshunt/net/ipv6.hpp"

namespace sipshunt::dataplane {

void Worker::handle_ipv6(rte_mbuf* m, std::uint16_t network) noexcept {
  const NetworkContext& nc = shared_.networks[network];
  auto* l3 = rte_pktmbuf_mtod_offset(m, unsigned char*, net::kEthernetHeaderLen);
  // The usual datagram, decoded in place: UDP right behind the fixed header, to the arrival
  // network's SIP address, in one segment, its payload within the frame. Anything else (or in
  // doubt) takes the general path below, which counts the same drops.
  const std::uint32_t avail = m->data_len - net::kEthernetHeaderLen;
  if (SIPSHUNT_LIKELY(avail >= net::kIpv6HeaderLen && (l3[0] >> 4) == 6 && l3[6] == net::kIpProtoUdp &&
                      m->nb_segs == 1 && std::memcmp(l3 + 24, nc.sip_address.bytes.data(), 16) == 0)) {
    const std::uint16_t payload = net::load_be16(l3 + 4);
    if (SIPSHUNT_LIKELY(payload != 0 && payload <= avail - net::kIpv6HeaderLen)) {
      const std::uint32_t frame = net::kEthernetHeaderLen + net::kIpv6HeaderLen + payload;
      if (m->pkt_len > frame) rte_pktmbuf_trim(m, static_cast<std::uint16_t>(m->pkt_len - frame));
      return handle_udp(m, l3, net::kIpv6HeaderLen, payload, Family::kIPv6, shared_.ports[nc.port], network);
    }
  }
  net::Ipv6 ip;
  if (net::parse_ipv6(l3, avail, ip) != net::Ipv6Check::kOk) {
    return drop(m, Drop::kBadIpv6);
  }
  const bool multicast = net::is_multicast_v6(ip.dst);
  if (SIPSHUNT_UNLIKELY(multicast)) {
    // Only neighbour discovery is taken from a group: our solicited-node group or all nodes.
    if (ip.dst != net::solicited_node(nc.address) && ip.dst != net::all_nodes()) return drop(m, Drop::kNotOurAddress);
    if (ip.next_header != net::kIpProtoIcmpv6) return drop(m, Drop::kNotOurAddress);
  } else if (SIPSHUNT_UNLIKELY(!is_ours(ip.dst, network))) {
    return drop(m, Drop::kNotOurAddress);
  }
  const std::uint32_t frame = net::kEthernetHeaderLen + net::kIpv6HeaderLen + ip.payload_len;
  if (m->pkt_len > frame) rte_pktmbuf_trim(m, static_cast<std::uint16_t>(m->pkt_len - frame));

  std::uint8_t next = ip.next_header;
  if (SIPSHUNT_UNLIKELY(next == net::kIpProtoIpv6Fragment)) {
    if (multicast || ip.payload_len < net::kIpv6FragmentHeaderLen) return drop(m, Drop::kBadIpv6);
    bump(counters_.fragments_in);
    m->l2_len = net::kEthernetHeaderLen;
    m->l3_len = net::kIpv6HeaderLen + net::kIpv6FragmentHeaderLen;
    rte_mbuf* whole = rte_ipv6_frag_reassemble_packet(
        frag_table_, death_row_.get(), m, last_tsc_, reinterpret_cast<rte_ipv6_hdr*>(l3),
        reinterpret_cast<rte_ipv6_fragment_ext*>(l3 + net::kIpv6HeaderLen));
    if (whole == nullptr) return;  // kept until the rest arrives (or on death row)
    bump(counters_.reassembled);
    m = whole;
    l3 = rte_pktmbuf_mtod_offset(m, unsigned char*, net::kEthernetHeaderLen);
    ip.payload_len = static_cast<std::uint16_t>(m->pkt_len - net::kEthernetHeaderLen - net::kIpv6HeaderLen);
    next = l3[6];
  }

  if (SIPSHUNT_LIKELY(next == net::kIpProtoUdp)) {
    return handle_udp(m, l3, net::kIpv6HeaderLen, ip.payload_len, Family::kIPv6, shared_.ports[nc.port], network);
  }
  if (next == net::kIpProtoIcmpv6 && m->nb_segs == 1 && ip.payload_len >= 4) {
    const std::uint8_t type = l3[net::kIpv6HeaderLen];
    if (type == net::kIcmpv6NeighbourSolicitation || type == net::kIcmpv6NeighbourAdvertisement) {
      return handle_nd(m, network, l3, ip);
    }
    if (type == net::kIcmpv6EchoRequest && !multicast && detail::writable(m)) {
      return handle_icmpv6_echo(m, network, l3, ip.payload_len);
    }
    return drop(m, Drop::kIcmpIgnored);
  }
  drop(m, next == net::kIpProtoIcmpv6 ? Drop::kIcmpIgnored : Drop::kUnsupportedProtocol);
}

}  // namespace sipshunt::dataplane
