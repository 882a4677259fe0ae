// The header template of a network's outgoing UDP datagrams (frame_template.hpp): built from the
// same writers as a header written field by field (headers.hpp, ipv6.hpp), so both agree.
#include "sipshunt/net/frame_template.hpp"

#include "sipshunt/net/ipv6.hpp"

namespace sipshunt::net {

FrameTemplate::FrameTemplate(const MacAddress& src_mac, std::uint16_t vlan, const IpAddress& src,
                             std::uint16_t src_port) noexcept
    : family_(src.family) {
  const bool v6 = src.family == Family::kIPv6;
  l2_len_ = static_cast<std::uint8_t>(kEthernetHeaderLen + (vlan != 0 ? kVlanTagLen : 0));
  l3_len_ = static_cast<std::uint8_t>(v6 ? kIpv6HeaderLen : kIpv4HeaderLen);
  size_ = static_cast<std::uint8_t>(l2_len_ + l3_len_ + kUdpHeaderLen);
  unsigned char* frame = bytes_.data() + kRoom - size_;
  const std::uint16_t type = v6 ? kEtherTypeIpv6 : kEtherTypeIpv4;
  if (vlan != 0) {
    write_ethernet(frame, MacAddress{}, src_mac, kEtherTypeVlan);
    store_be16(frame + 14, vlan);  // TCI: priority 0, the VLAN id (IEEE 802.1Q-2018 9.6)
    store_be16(frame + 16, type);
  } else {
    write_ethernet(frame, MacAddress{}, src_mac, type);
  }
  unsigned char* l3 = frame + l2_len_;
  if (v6) {
    Ipv6Out h;
    h.src = src;
    h.dst = IpAddress{Family::kIPv6, {}};
    write_ipv6(l3, h);
  } else {
    Ipv4Out h;
    h.src = src;
    h.dst = IpAddress{Family::kIPv4, {}};
    write_ipv4(l3, h, false);
    // Words 0-3: version, TOS, flags, TTL, protocol, source; the length, id, checksum and
    // destination are zero here and added per datagram.
    ipv4_sum_ = std::uint64_t{load4(l3)} + load4(l3 + 4) + load4(l3 + 8) + load4(l3 + 12);
  }
  write_udp(l3 + l3_len_, src_port, 0, 0);
  const unsigned char proto[2] = {0, kIpProtoUdp};
  pseudo_sum_ = checksum_add(proto, 2, checksum_add(l3 + (v6 ? 8 : 12), v6 ? 16 : 4)) + load4(l3 + l3_len_);  // + source port
}

}  // namespace sipshunt::net
