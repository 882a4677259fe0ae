// IPv4 in on a worker: header and checksum (or the NIC's verdict), one of our addresses, padding trimmed,
// fragments reassembled (RFC 791, rte_ipv4_frag_reassemble_packet), then UDP to our SIP port
// checked and handed to handle_sip (sip.cpp), or an ICMP echo to handle_icmp (icmp.cpp).
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>

#include <cstring>

#include "packet.hpp"
#include "udp_in.hpp"
#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/net/checksum.hpp"
#include "sipshunt/net/headers.hpp"

namespace sipshunt::dataplane {

void Worker::handle_ipv4(rte_mbuf* m, std::uint16_t network) noexcept {
  const PortContext& pc = shared_.ports[shared_.networks[network].port];
  auto* l3 = rte_pktmbuf_mtod_offset(m, unsigned char*, net::kEthernetHeaderLen);
  bool verify = true;
  if (pc.rx_ipv4_checksum) {
    const std::uint64_t f = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
    if (f == RTE_MBUF_F_RX_IP_CKSUM_BAD) return drop(m, Drop::kBadIpv4Checksum);
    verify = f != RTE_MBUF_F_RX_IP_CKSUM_GOOD;
  }
  // The usual datagram, decoded in place: a header without options, not a fragment, UDP, to the
  // arrival network's SIP address, in one segment, its total length within the frame. Anything
  // else (or in doubt) takes the general path below, which counts the same drops.
  const std::uint32_t avail = m->data_len - net::kEthernetHeaderLen;
  if (SIPSHUNT_LIKELY(avail >= net::kIpv4HeaderLen && l3[0] == 0x45 && l3[9] == net::kIpProtoUdp &&
                      (net::load_be16(l3 + 6) & 0x3fff) == 0 && m->nb_segs == 1 &&
                      std::memcmp(l3 + 16, shared_.networks[network].sip_address.bytes.data(), 4) == 0)) {
    const std::uint16_t total = net::load_be16(l3 + 2);
    if (SIPSHUNT_LIKELY(total >= net::kIpv4HeaderLen && total <= avail)) {
      if (verify && net::ipv4_header_checksum(l3, net::kIpv4HeaderLen) != 0) return drop(m, Drop::kBadIpv4Checksum);
      if (m->pkt_len > net::kEthernetHeaderLen + total) {
        rte_pktmbuf_trim(m, static_cast<std::uint16_t>(m->pkt_len - net::kEthernetHeaderLen - total));
      }
      return handle_udp(m, l3, net::kIpv4HeaderLen, total - net::kIpv4HeaderLen, Family::kIPv4, pc, network);
    }
  }
  net::Ipv4 ip;
  switch (net::parse_ipv4(l3, avail, verify, ip)) {
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
    rte_mbuf* whole = rte_ipv4_frag_reassemble_packet(frag_table_, death_row_.get(), m, last_tsc_,
                                                      reinterpret_cast<rte_ipv4_hdr*>(l3));
    if (whole == nullptr) return;  // kept until the rest arrives (or on death row)
    bump(counters_.reassembled);
    m = whole;
    l3 = rte_pktmbuf_mtod_offset(m, unsigned char*, net::kEthernetHeaderLen);
    ip.total_len = static_cast<std::uint16_t>(m->pkt_len - net::kEthernetHeaderLen);
    ip.header_len = static_cast<std::uint8_t>((l3[0] & 0x0f) * 4);
  }

  if (ip.protocol == net::kIpProtoUdp) {
    return handle_udp(m, l3, ip.header_len, static_cast<std::uint32_t>(ip.total_len - ip.header_len), Family::kIPv4, pc,
                      network);
  }
  if (ip.protocol == net::kIpProtoIcmp && m->nb_segs == 1 && detail::writable(m)) {
    return handle_icmp(m, network, l3, ip.header_len, ip.total_len);
  }
  drop(m, ip.protocol == net::kIpProtoIcmp ? Drop::kIcmpIgnored : Drop::kUnsupportedProtocol);
}

}  // namespace sipshunt::dataplane
