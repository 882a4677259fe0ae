// The header template (frame_template.hpp) against the field-by-field writers it replaces on the
// send path, byte for byte, for each shape a network gives it (IPv4, IPv6, untagged or tagged),
// and the per-reader neighbour memo (neighbour_cache.hpp) against the table it remembers.
#include <gtest/gtest.h>

#include <vector>

#include "sipshunt/common/address.hpp"
#include "sipshunt/net/checksum.hpp"
#include "sipshunt/net/frame_template.hpp"
#include "sipshunt/net/headers.hpp"
#include "sipshunt/net/ipv6.hpp"
#include "sipshunt/net/neighbour.hpp"
#include "sipshunt/net/neighbour_cache.hpp"

using namespace sipshunt::net;
using sipshunt::Family;
using sipshunt::IpAddress;

namespace {

const MacAddress kOurs{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddress kTheirs{{0x02, 0, 0, 0, 0, 0x99}};

// The frame as the general send path builds it: each header written field by field.
std::vector<unsigned char> by_fields(std::uint16_t vlan, const IpAddress& src, const IpAddress& dst,
                                     std::uint16_t dst_port, std::uint16_t id, const std::vector<unsigned char>& payload,
                                     std::uint16_t src_port = 5060) {
  const bool v6 = src.family == Family::kIPv6;
  const std::size_t l2 = kEthernetHeaderLen + (vlan != 0 ? kVlanTagLen : 0);
  const std::size_t l3 = v6 ? kIpv6HeaderLen : kIpv4HeaderLen;
  std::vector<unsigned char> f(l2 + l3 + kUdpHeaderLen + payload.size());
  const std::uint16_t type = v6 ? kEtherTypeIpv6 : kEtherTypeIpv4;
  write_ethernet(f.data(), kTheirs, kOurs, vlan != 0 ? kEtherTypeVlan : type);
  if (vlan != 0) {
    store_be16(f.data() + 14, vlan);
    store_be16(f.data() + 16, type);
  }
  unsigned char* ip = f.data() + l2;
  unsigned char* udp = ip + l3;
  const auto udp_len = static_cast<std::uint16_t>(kUdpHeaderLen + payload.size());
  std::copy(payload.begin(), payload.end(), udp + kUdpHeaderLen);
  write_udp(udp, src_port, dst_port, udp_len);
  if (v6) {
    Ipv6Out h;
    h.src = src;
    h.dst = dst;
    h.payload_len = udp_len;
    write_ipv6(ip, h);
    const std::uint16_t c = udp6_checksum(ip + 8, ip + 24, udp, udp_len);
    std::memcpy(udp + 6, &c, 2);
  } else {
    Ipv4Out h;
    h.src = src;
    h.dst = dst;
    h.total_len = static_cast<std::uint16_t>(kIpv4HeaderLen + udp_len);
    h.id = id;
    write_ipv4(ip, h);
    const std::uint16_t c = udp_checksum(ip + 12, ip + 16, udp, udp_len);
    std::memcpy(udp + 6, &c, 2);
  }
  return f;
}

std::vector<unsigned char> from_template(const FrameTemplate& t, const IpAddress& dst, std::uint16_t dst_port,
                                         std::uint16_t id, const std::vector<unsigned char>& payload,
                                         bool checksums = true) {
  std::vector<unsigned char> buf(FrameTemplate::kRoom + payload.size());
  unsigned char* p = buf.data() + FrameTemplate::kRoom;
  std::copy(payload.begin(), payload.end(), p);
  const unsigned char* frame = t.write(p, payload.size(), kTheirs, dst, dst_port, id, checksums, checksums);
  EXPECT_EQ(frame, p - t.size());
  return std::vector<unsigned char>(frame, static_cast<const unsigned char*>(p + payload.size()));
}

std::vector<unsigned char> payload_of(std::size_t n) {
  std::vector<unsigned char> p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<unsigned char>(i * 37 + 11);
  return p;
}

}  // namespace

TEST(FrameTemplate, SameBytesAsTheHeadersWrittenFieldByField) {
  struct Shape {
    std::uint16_t vlan;
    IpAddress src, dst;
  };
  const Shape shapes[] = {
      {0, *IpAddress::parse("198.18.0.1"), *IpAddress::parse("198.19.0.21")},
      {100, *IpAddress::parse("198.19.0.1"), *IpAddress::parse("203.0.113.250")},
      {0, *IpAddress::parse("2001:db8::1"), *IpAddress::parse("2001:db8:1::ffff:21")},
      {4094, *IpAddress::parse("2001:db8::1"), *IpAddress::parse("2001:db8::2")},
      // All-ones words: partial sums past 32 bits must carry, not wrap.
      {4095, *IpAddress::parse("255.255.255.254"), *IpAddress::parse("255.255.255.253")},
  };
  for (const Shape& s : shapes) {
    for (std::uint16_t port : {std::uint16_t{5060}, std::uint16_t{0xffff}}) {
      const FrameTemplate t(kOurs, s.vlan, s.src, port);
      for (std::size_t n : {0, 1, 2, 3, 7, 899, 1400, 1401}) {
        for (std::uint16_t id : {0, 1, 0xffff, 0x1234}) {
          const auto payload = payload_of(n);
          EXPECT_EQ(from_template(t, s.dst, port, id, payload), by_fields(s.vlan, s.src, s.dst, port, id, payload, port))
              << s.src.to_string() << " vlan " << s.vlan << " length " << n << " id " << id << " port " << port;
        }
      }
    }
  }
}

TEST(FrameTemplate, ChecksumsLeftZeroWhenOffloaded) {
  const IpAddress src = *IpAddress::parse("198.18.0.1"), dst = *IpAddress::parse("198.19.0.21");
  const FrameTemplate t(kOurs, 0, src, 5060);
  const auto f = from_template(t, dst, 5060, 7, payload_of(100), false);
  EXPECT_EQ(load_be16(f.data() + kEthernetHeaderLen + 10), 0);  // IPv4 header checksum
  EXPECT_EQ(load_be16(f.data() + kEthernetHeaderLen + kIpv4HeaderLen + 6), 0);  // UDP checksum
  // Everything else as when computed.
  auto whole = by_fields(0, src, dst, 5060, 7, payload_of(100));
  whole[kEthernetHeaderLen + 10] = whole[kEthernetHeaderLen + 11] = 0;
  whole[kEthernetHeaderLen + kIpv4HeaderLen + 6] = whole[kEthernetHeaderLen + kIpv4HeaderLen + 7] = 0;
  EXPECT_EQ(f, whole);
}

TEST(NeighbourCache, FollowsTheTableThroughAMacChange) {
  NeighbourTable table(64);
  NeighbourCache cache;
  const IpAddress hop = *IpAddress::parse("198.19.0.21");
  MacAddress mac;
  EXPECT_FALSE(cache.lookup(table, 0, hop, mac));  // unknown
  ASSERT_TRUE(table.confirm(0, hop, kTheirs, 1));
  ASSERT_TRUE(cache.lookup(table, 0, hop, mac));  // not remembered as unknown
  EXPECT_EQ(mac, kTheirs);
  const std::uint64_t before = table.changes();
  ASSERT_TRUE(table.confirm(0, hop, kTheirs, 2));  // a refresh with the same MAC
  EXPECT_EQ(table.changes(), before);
  const MacAddress moved{{0x02, 0, 0, 0, 0, 0x42}};
  ASSERT_TRUE(table.confirm(0, hop, moved, 3));  // the next hop moved (RFC 826 / RFC 4861 §7.2.5)
  ASSERT_TRUE(cache.lookup(table, 0, hop, mac));
  EXPECT_EQ(mac, moved);
  // Same address on another network (a VLAN): another neighbour, not the remembered one.
  EXPECT_FALSE(cache.lookup(table, 1, hop, mac));
}

TEST(NeighbourCache, KeepsNextHopsThatShareASlotApart) {
  NeighbourTable table(256);
  NeighbourCache cache;
  // 198.19.0.21 and 198.19.0.85 differ only above the slot's bits of their last octet (0x15, 0x55).
  const IpAddress a = *IpAddress::parse("198.19.0.21"), b = *IpAddress::parse("198.19.0.85");
  const MacAddress mb{{0x02, 0, 0, 0, 0, 0x55}};
  ASSERT_TRUE(table.confirm(0, a, kTheirs, 1));
  ASSERT_TRUE(table.confirm(0, b, mb, 1));
  MacAddress mac;
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(cache.lookup(table, 0, a, mac));
    EXPECT_EQ(mac, kTheirs);
    ASSERT_TRUE(cache.lookup(table, 0, b, mac));
    EXPECT_EQ(mac, mb);
  }
}
