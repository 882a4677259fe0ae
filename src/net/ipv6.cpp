// IPv6 and ICMPv6 headers: the fixed and fragment headers (RFC 8200), echo (RFC 4443 §4) and
// neighbour discovery messages (RFC 4861 §4.3, §4.4, §7.1), and the multicast addresses ND uses.
#include "sipshunt/net/ipv6.hpp"

#include <cstring>

#include "sipshunt/net/checksum.hpp"

namespace sipshunt::net {

Ipv6Check parse_ipv6(const unsigned char* p, std::size_t avail, Ipv6& out) noexcept {
  if (avail < kIpv6HeaderLen) return Ipv6Check::kTooShort;
  if ((p[0] >> 4) != 6) return Ipv6Check::kBadVersion;
  const std::uint16_t payload = load_be16(p + 4);
  if (payload == 0 || payload > avail - kIpv6HeaderLen) return Ipv6Check::kBadPayloadLength;
  out.payload_len = payload;
  out.next_header = p[6];
  out.hop_limit = p[7];
  out.src = load_ipv6(p + 8);
  out.dst = load_ipv6(p + 24);
  return Ipv6Check::kOk;
}

void write_ipv6(unsigned char* p, const Ipv6Out& h) noexcept {
  p[0] = 0x60;  // version 6, traffic class 0, flow label 0
  p[1] = p[2] = p[3] = 0;
  store_be16(p + 4, h.payload_len);
  p[6] = h.next_header;
  p[7] = h.hop_limit;
  std::memcpy(p + 8, h.src.bytes.data(), 16);
  std::memcpy(p + 24, h.dst.bytes.data(), 16);
}

void write_ipv6_fragment_header(unsigned char* p, std::uint8_t next_header, std::uint32_t offset, bool more,
                                std::uint32_t id) noexcept {
  p[0] = next_header;
  p[1] = 0;
  store_be16(p + 2, static_cast<std::uint16_t>((offset & ~std::uint32_t{7}) | (more ? 1u : 0u)));
  store_be32(p + 4, id);
}

IpAddress all_nodes() noexcept {
  IpAddress a{Family::kIPv6, {}};
  a.bytes[0] = 0xff;
  a.bytes[1] = 0x02;
  a.bytes[15] = 0x01;
  return a;
}

IpAddress solicited_node(const IpAddress& addr) noexcept {
  IpAddress a{Family::kIPv6, {}};
  a.bytes[0] = 0xff;
  a.bytes[1] = 0x02;
  a.bytes[11] = 0x01;
  a.bytes[12] = 0xff;
  a.bytes[13] = addr.bytes[13];
  a.bytes[14] = addr.bytes[14];
  a.bytes[15] = addr.bytes[15];
  return a;
}

MacAddress multicast_mac(const IpAddress& group) noexcept {
  return MacAddress{{0x33, 0x33, group.bytes[12], group.bytes[13], group.bytes[14], group.bytes[15]}};
}

bool icmpv6_echo_to_reply(unsigned char* l3, std::size_t len) noexcept {
  unsigned char* icmp = l3 + kIpv6HeaderLen;
  if (len < 8 || icmp[0] != kIcmpv6EchoRequest || icmp[1] != 0) return false;
  if (checksum_fold(checksum_add(icmp, len, ipv6_pseudo_sum(l3 + 8, l3 + 24, static_cast<std::uint32_t>(len),
                                                             kIpProtoIcmpv6))) != 0) {
    return false;
  }
  unsigned char tmp[16];
  std::memcpy(tmp, l3 + 8, 16);
  std::memcpy(l3 + 8, l3 + 24, 16);
  std::memcpy(l3 + 24, tmp, 16);
  l3[7] = kDefaultHopLimit;
  icmp[0] = kIcmpv6EchoReply;  // identifier, sequence and data are returned unchanged
  icmp[2] = icmp[3] = 0;
  const std::uint16_t c = icmpv6_checksum(l3 + 8, l3 + 24, icmp, len);
  std::memcpy(icmp + 2, &c, 2);
  return true;
}

bool parse_neighbour_message(const Ipv6& ip, const unsigned char* icmp, std::size_t len,
                             NeighbourMessage& out) noexcept {
  if (len < kNdMessageLen || ip.hop_limit != kNdHopLimit || icmp[1] != 0) return false;
  if (icmp[0] != kIcmpv6NeighbourSolicitation && icmp[0] != kIcmpv6NeighbourAdvertisement) return false;
  if (checksum_fold(checksum_add(icmp, len, ipv6_pseudo_sum(ip.src.bytes.data(), ip.dst.bytes.data(),
                                                             static_cast<std::uint32_t>(len), kIpProtoIcmpv6))) != 0) {
    return false;
  }
  out = NeighbourMessage{};
  out.type = icmp[0];
  out.target = load_ipv6(icmp + 8);
  if (is_multicast_v6(out.target)) return false;
  if (out.type == kIcmpv6NeighbourAdvertisement) {
    out.router = (icmp[4] & 0x80) != 0;
    out.solicited = (icmp[4] & 0x40) != 0;
    out.override_ = (icmp[4] & 0x20) != 0;
    if (out.solicited && is_multicast_v6(ip.dst)) return false;
  }
  // Options: type, length in units of 8 bytes (0 is invalid), value.
  const std::uint8_t wanted = out.type == kIcmpv6NeighbourSolicitation ? 1 : 2;  // source / target link-layer
  for (std::size_t at = kNdMessageLen; at < len;) {
    if (len - at < 2) return false;
    const std::size_t olen = std::size_t{icmp[at + 1]} * 8;
    if (olen == 0 || olen > len - at) return false;
    if (icmp[at] == wanted && olen >= kNdLinkLayerOptionLen) {
      out.has_link_layer = true;
      std::memcpy(out.link_layer.bytes.data(), icmp + at + 2, 6);
    }
    at += olen;
  }
  if (out.type == kIcmpv6NeighbourSolicitation && is_unspecified_v6(ip.src)) {
    if (out.has_link_layer || ip.dst != solicited_node(out.target)) return false;
  }
  return true;
}

namespace {

// Ethernet + IPv6 + an NS or NA with one link-layer option (`option` 1: source, 2: target).
std::size_t build_nd(unsigned char* frame, const MacAddress& eth_dst, const MacAddress& our_mac,
                     const IpAddress& src, const IpAddress& dst, std::uint8_t type, std::uint8_t flags,
                     const IpAddress& target, std::uint8_t option) noexcept {
  write_ethernet(frame, eth_dst, our_mac, kEtherTypeIpv6);
  unsigned char* l3 = frame + kEthernetHeaderLen;
  Ipv6Out h;
  h.src = src;
  h.dst = dst;
  h.payload_len = kNdMessageLen + kNdLinkLayerOptionLen;
  h.next_header = kIpProtoIcmpv6;
  h.hop_limit = kNdHopLimit;
  write_ipv6(l3, h);
  unsigned char* icmp = l3 + kIpv6HeaderLen;
  std::memset(icmp, 0, kNdMessageLen + kNdLinkLayerOptionLen);
  icmp[0] = type;
  icmp[4] = flags;
  std::memcpy(icmp + 8, target.bytes.data(), 16);
  icmp[kNdMessageLen] = option;
  icmp[kNdMessageLen + 1] = 1;
  std::memcpy(icmp + kNdMessageLen + 2, our_mac.bytes.data(), 6);
  const std::uint16_t c = icmpv6_checksum(l3 + 8, l3 + 24, icmp, kNdMessageLen + kNdLinkLayerOptionLen);
  std::memcpy(icmp + 2, &c, 2);
  return kNdFrameLen;
}

}  // namespace

std::size_t build_neighbour_solicitation(unsigned char* frame, const MacAddress& our_mac, const IpAddress& our_ip,
                                         const IpAddress& target, const MacAddress* unicast) noexcept {
  const IpAddress dst = unicast != nullptr ? target : solicited_node(target);
  return build_nd(frame, unicast != nullptr ? *unicast : multicast_mac(dst), our_mac, our_ip, dst,
                  kIcmpv6NeighbourSolicitation, 0, target, 1);
}

std::size_t build_neighbour_advertisement(unsigned char* frame, const MacAddress& our_mac, const IpAddress& our_ip,
                                          const MacAddress& dst_mac, const IpAddress& dst_ip, bool solicited) noexcept {
  const std::uint8_t flags = static_cast<std::uint8_t>((solicited ? 0x40 : 0) | 0x20);  // S, O
  return build_nd(frame, dst_mac, our_mac, our_ip, dst_ip, kIcmpv6NeighbourAdvertisement, flags, our_ip, 2);
}

std::size_t build_unsolicited_advertisement(unsigned char* frame, const MacAddress& our_mac,
                                            const IpAddress& our_ip) noexcept {
  const IpAddress all = all_nodes();
  return build_neighbour_advertisement(frame, our_mac, our_ip, multicast_mac(all), all, false);
}

}  // namespace sipshunt::net
