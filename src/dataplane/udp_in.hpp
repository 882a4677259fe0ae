// UDP in on a worker, both families (RFC 768; RFC 8200 §8.1, where the checksum is mandatory):
// length, our SIP port, the checksum (in software unless the port's verdict is in the mbuf), then
// handle_sip. Private to src/dataplane; an inline member so that ipv4.cpp and ipv6.cpp share it
// without a call on the per-packet path.
#pragma once

#include <rte_mbuf.h>

#include <cstring>

#include "packet.hpp"
#include "sipshunt/common/octets.hpp"
#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/net/checksum.hpp"
#include "sipshunt/net/headers.hpp"

namespace sipshunt::dataplane {

SIPSHUNT_ALWAYS_INLINE void Worker::handle_udp(rte_mbuf* m, const unsigned char* l3, std::uint32_t l3_len, std::uint32_t l4_avail,
                               Family family, const PortContext& pc, std::uint16_t network) noexcept {
  if (SIPSHUNT_UNLIKELY(l4_avail < net::kUdpHeaderLen)) return drop(m, Drop::kBadUdp);
  const std::uint32_t l4_offset = net::kEthernetHeaderLen + l3_len;
  unsigned char udp_hdr[net::kUdpHeaderLen];
  // One segment (all but a reassembled datagram): the header is in place, no copy to ask for.
  // Read once: the stores into datagram_.source below could alias the mbuf for the compiler.
  const bool one_segment = m->nb_segs == 1;
  const auto* udp = SIPSHUNT_LIKELY(one_segment)
                        ? l3 + l3_len
                        : static_cast<const unsigned char*>(rte_pktmbuf_read(m, l4_offset, net::kUdpHeaderLen, udp_hdr));
  const std::uint16_t ulen = net::load_be16(udp + 4);
  if (SIPSHUNT_UNLIKELY(ulen < net::kUdpHeaderLen || ulen > l4_avail)) return drop(m, Drop::kBadUdp);
  if (net::load_be16(udp + 2) != shared_.sip_port) return drop(m, Drop::kClosedPort);
  bool check = true;
  if (pc.rx_udp_checksum && one_segment) {
    const std::uint64_t f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
    if (f == RTE_MBUF_F_RX_L4_CKSUM_BAD) return drop(m, Drop::kBadUdpChecksum);
    check = f != RTE_MBUF_F_RX_L4_CKSUM_GOOD;
  }
  // The pseudo-header's addresses sit at their family's offsets in the IP header.
  const bool v6 = family == Family::kIPv6;
  const auto checksum_ok = [&](const unsigned char* u) {
    return v6 ? net::udp6_checksum_ok(l3 + 8, l3 + 24, u, ulen) : net::udp_checksum_ok(l3 + 12, l3 + 16, u, ulen);
  };
  // The source goes from the headers straight into datagram_.source (no Endpoint built and copied), before
  // the checksum call, so it is not kept across it; an IPv4 address leaves the rest zero.
  datagram_.source.ip.family = family;
  if (v6) {
    std::memcpy(datagram_.source.ip.bytes.data(), l3 + 8, 16);
  } else {
    const std::uint64_t a = load4(l3 + 12), none = 0;
    std::memcpy(datagram_.source.ip.bytes.data(), &a, 8);
    std::memcpy(datagram_.source.ip.bytes.data() + 8, &none, 8);
  }
  datagram_.source.port = net::load_be16(udp);
  if (SIPSHUNT_LIKELY(one_segment)) {
    const unsigned char* u = l3 + l3_len;
    if (check && !checksum_ok(u)) return drop(m, Drop::kBadUdpChecksum);
    return handle_sip(m, reinterpret_cast<const char*>(u + net::kUdpHeaderLen), ulen - net::kUdpHeaderLen, network);
  }
  // A reassembled datagram spans segments: copy it out once (any UDP length fits).
  static_assert(detail::kLinearSize >= 0xffff, "linear_in_ holds the largest UDP datagram");
  const auto* u = static_cast<const unsigned char*>(rte_pktmbuf_read(m, l4_offset, ulen, linear_in_.get()));
  if (u == nullptr) return drop(m, Drop::kBadUdp);
  if (check && !checksum_ok(u)) return drop(m, Drop::kBadUdpChecksum);
  rte_pktmbuf_free(m);
  handle_sip(nullptr, reinterpret_cast<const char*>(u + net::kUdpHeaderLen), ulen - net::kUdpHeaderLen, network);
}

}  // namespace sipshunt::dataplane
