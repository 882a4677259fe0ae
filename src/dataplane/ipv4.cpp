// IPv4 in on a worker: header and checksum (or the NIC's verdict), one of our addresses, padding trimmed,
// fragments reassembled (RFC 791, rte_ipv4_frag_reassemble_packet), then UDP to our SIP port
// checked and handed to handle_sip (sip.cpp), or an ICMP echo to handle_icmp (icmp.cpp).
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>

#include "packet.hpp"
#include "udp_in.hpp"
#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/net/checksum.hpp"
#include "sipshunt/net/headers.hpp"

namespace sipshunt::dataplane {

void Worker::handle_ipv4(rte_mbuf* m, std::uint16_t network, std::uint64_t now, const proxy::Snapshot* snap) noexcept {
  const PortContext& pc = shared_.ports[shared_.networks[network].port];
  auto* l3 = rte_pktmbuf_mtod_offset(m, unsigned char*, net::kEthernetHeaderLen);
  bool verify = true;
  if (pc.rx_ipv4_checksum) {
    const std::uint64_t f = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
    if (f == RTE_MBUF_F_RX_IP_CKSUM_BAD) return drop(m, Drop::kBadIpv4Checksum);
    verify = f != RTE_MBUF_F_RX_IP_CKSUM_GOOD;
  }
  net::Ipv4 ip;
  switch (net::parse_ipv4(l3, m->data_len - net::kEthernetHeaderLen, verify, ip)) {
    case net::Ipv4Check::kOk: break;
    case net::Ipv4Check::kBadChecksum: return drop(m, Drop::kBadIpv4Checksum);
    default: return drop(m, Drop::kBadIpv4);
  }
  if (SIPSHUNT_UNLIKELY(!is_ours(ip.dst, network))) return drop(m, Drop::kNotOurAddress);
  // Ethernet padding beyond the IP datagram is not part of it.
  const std::uint32_t frame = net::kEthernetHeaderLen + ip.total_len;
  if (m->pkt_len > frame) rte_pktmbuf_trim(m, static_cast<std::uint16_t>(m->pkt_len - frame));

  if (SIPSHUNT_UNLIKELY(ip.is_fragment())) {
    bump(counters_.fragments_in);
    m->l2_len = net::kEthernetHeaderLen;
    m->l3_len = ip.header_len;
    rte_mbuf* whole = rte_ipv4_frag_reassemble_packet(frag_table_, death_row_.get(), m, now,
                                                      reinterpret_cast<rte_ipv4_hdr*>(l3));
    if (whole == nullptr) return;  // kept until the rest arrives (or on death row)
    bump(counters_.reassembled);
    m = whole;
    l3 = rte_pktmbuf_mtod_offset(m, unsigned char*, net::kEthernetHeaderLen);
    ip.total_len = static_cast<std::uint16_t>(m->pkt_len - net::kEthernetHeaderLen);
    ip.header_len = static_cast<std::uint8_t>((l3[0] & 0x0f) * 4);
  }

  if (ip.protocol == net::kIpProtoUdp) {
    return handle_udp(m, l3, ip.header_len, static_cast<std::uint32_t>(ip.total_len - ip.header_len), ip.src, network,
                      now, snap);
  }
  if (ip.protocol == net::kIpProtoIcmp && m->nb_segs == 1 && detail::writable(m)) {
    return handle_icmp(m, network, l3, ip.header_len, ip.total_len);
  }
  drop(m, ip.protocol == net::kIpProtoIcmp ? Drop::kIcmpIgnored : Drop::kUnsupportedProtocol);
}

}  // namespace sipshunt::dataplane
