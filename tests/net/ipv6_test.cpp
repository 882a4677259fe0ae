// Unit tests of IPv6 and ICMPv6 in `net`: the UDP checksum and a neighbour solicitation against
// frames the Linux kernel sent (captured on a veth with checksum offload off), neighbour
// discovery parsing as RFC 4861 §7.1 asks, advertisements, echo, fragment plans, and the
// neighbour table keyed by (network, address) over both families.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "sipshunt/common/address.hpp"
#include "sipshunt/net/checksum.hpp"
#include "sipshunt/net/fragment.hpp"
#include "sipshunt/net/headers.hpp"
#include "sipshunt/net/ipv6.hpp"
#include "sipshunt/net/neighbour.hpp"

using namespace sipshunt;
using namespace sipshunt::net;

namespace {

IpAddress addr(const char* text) { return *IpAddress::parse(text); }

// tcpdump -xx of a datagram the kernel sent from 2001:db8::a port 5070 to 2001:db8::1 port 5060
// (veth, tx checksum offload off, so the kernel computed the checksum: 0xc10f).
const std::vector<unsigned char> kKernelUdp6 = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x86, 0xdd, 0x60, 0x0f, 0xe2, 0x2c,
    0x00, 0x21, 0x11, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x0a, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x13, 0xce, 0x13, 0xc4, 0x00, 0x21, 0xc1, 0x0f, 'O',  'P',  'T',  'I',  'O',  'N',  'S',  ' ',  's',  'i',
    'p',  ':',  'x',  ' ',  'S',  'I',  'P',  '/',  '2',  '.',  '0',  '\r', '\n', '\r', '\n'};

// The kernel's solicitation from 2001:db8::a (02:00:00:00:00:0a) for 2001:db8::77.
const std::vector<unsigned char> kKernelNs = {
    0x33, 0x33, 0xff, 0x00, 0x00, 0x77, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x86, 0xdd, 0x60, 0x00, 0x00, 0x00,
    0x00, 0x20, 0x3a, 0xff, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x0a, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0x00, 0x00, 0x77,
    0x87, 0x00, 0x1b, 0x2b, 0x00, 0x00, 0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x77, 0x01, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};

const MacAddress kMacA = *MacAddress::parse("02:00:00:00:00:0a");
const MacAddress kMacB = *MacAddress::parse("02:00:00:00:00:0b");

// Parses the IPv6 header and ND message of a whole frame.
bool parse_nd_frame(const std::vector<unsigned char>& f, Ipv6& ip, NeighbourMessage& nd) {
  if (parse_ipv6(f.data() + kEthernetHeaderLen, f.size() - kEthernetHeaderLen, ip) != Ipv6Check::kOk) return false;
  return parse_neighbour_message(ip, f.data() + kEthernetHeaderLen + kIpv6HeaderLen, ip.payload_len, nd);
}

}  // namespace

TEST(Ipv6Checksum, UdpMatchesTheKernel) {
  const unsigned char* l3 = kKernelUdp6.data() + 14;
  std::vector<unsigned char> udp(l3 + 40, l3 + 40 + 33);
  EXPECT_TRUE(udp6_checksum_ok(l3 + 8, l3 + 24, udp.data(), udp.size()));
  udp[6] = udp[7] = 0;
  const std::uint16_t c = udp6_checksum(l3 + 8, l3 + 24, udp.data(), udp.size());
  unsigned char b[2];
  std::memcpy(b, &c, 2);
  EXPECT_EQ(b[0], 0xc1);
  EXPECT_EQ(b[1], 0x0f);
  // Zero means "not computed" over IPv4 only; over IPv6 it is an error (RFC 8200 §8.1).
  EXPECT_FALSE(udp6_checksum_ok(l3 + 8, l3 + 24, udp.data(), udp.size()));
  std::memcpy(udp.data() + 6, &c, 2);
  udp[10] ^= 1;
  EXPECT_FALSE(udp6_checksum_ok(l3 + 8, l3 + 24, udp.data(), udp.size()));
}

TEST(Ipv6Header, WriteParseAndEveryError) {
  Ipv6 ip;
  ASSERT_EQ(parse_ipv6(kKernelUdp6.data() + 14, kKernelUdp6.size() - 14, ip), Ipv6Check::kOk);
  EXPECT_EQ(ip.payload_len, 33);
  EXPECT_EQ(ip.next_header, kIpProtoUdp);
  EXPECT_EQ(ip.hop_limit, 64);
  EXPECT_EQ(ip.src, addr("2001:db8::a"));
  EXPECT_EQ(ip.dst, addr("2001:db8::1"));
  unsigned char p[80] = {};
  Ipv6Out o;
  o.src = addr("2001:db8::1");
  o.dst = addr("2001:db8:1::2");
  o.payload_len = 40;
  write_ipv6(p, o);
  ASSERT_EQ(parse_ipv6(p, 80, ip), Ipv6Check::kOk);
  EXPECT_EQ(ip.src, o.src);
  EXPECT_EQ(ip.dst, o.dst);
  EXPECT_EQ(parse_ipv6(p, 39, ip), Ipv6Check::kTooShort);
  EXPECT_EQ(parse_ipv6(p, 79, ip), Ipv6Check::kBadPayloadLength);
  p[0] = 0x40;
  EXPECT_EQ(parse_ipv6(p, 80, ip), Ipv6Check::kBadVersion);
}

TEST(Multicast, SolicitedNodeGroupAndItsMac) {
  EXPECT_EQ(solicited_node(addr("2001:db8::12:3456:789a")), addr("ff02::1:ff56:789a"));
  EXPECT_EQ(multicast_mac(addr("ff02::1:ff56:789a")).to_string(), "33:33:ff:56:78:9a");
  EXPECT_EQ(multicast_mac(all_nodes()).to_string(), "33:33:00:00:00:01");
  EXPECT_TRUE(is_multicast_v6(all_nodes()));
  EXPECT_FALSE(is_multicast_v6(addr("2001:db8::1")));
}

TEST(NeighbourDiscovery, OurSolicitationIsTheKernelsByteForByte) {
  std::vector<unsigned char> frame(kNdFrameLen);
  ASSERT_EQ(build_neighbour_solicitation(frame.data(), kMacA, addr("2001:db8::a"), addr("2001:db8::77")), kNdFrameLen);
  EXPECT_EQ(frame, kKernelNs);
}

TEST(NeighbourDiscovery, KernelSolicitationParses) {
  Ipv6 ip;
  NeighbourMessage nd;
  ASSERT_TRUE(parse_nd_frame(kKernelNs, ip, nd));
  EXPECT_EQ(nd.type, kIcmpv6NeighbourSolicitation);
  EXPECT_EQ(nd.target, addr("2001:db8::77"));
  ASSERT_TRUE(nd.has_link_layer);
  EXPECT_EQ(nd.link_layer, kMacA);
}

TEST(NeighbourDiscovery, InvalidMessagesAreRefused) {
  Ipv6 ip;
  NeighbourMessage nd;
  auto f = kKernelNs;
  f[14 + 7] = 64;  // hop limit other than 255: it came from off-link (RFC 4861 §7.1.1)
  EXPECT_FALSE(parse_nd_frame(f, ip, nd));
  f = kKernelNs;
  f[f.size() - 3] ^= 1;  // checksum no longer matches
  EXPECT_FALSE(parse_nd_frame(f, ip, nd));
  f = kKernelNs;
  f[14 + 40 + 1] = 1;  // code other than 0
  EXPECT_FALSE(parse_nd_frame(f, ip, nd));
  // An option of length zero.
  std::vector<unsigned char> g(kNdFrameLen);
  build_neighbour_solicitation(g.data(), kMacA, addr("2001:db8::a"), addr("2001:db8::77"));
  g[14 + 40 + 25] = 0;
  unsigned char* icmp = g.data() + 54;
  icmp[2] = icmp[3] = 0;
  const std::uint16_t c = icmpv6_checksum(g.data() + 22, g.data() + 38, icmp, 32);
  std::memcpy(icmp + 2, &c, 2);
  EXPECT_FALSE(parse_nd_frame(g, ip, nd));
  // Duplicate address detection (from ::) with a source link-layer option.
  std::vector<unsigned char> dad(kNdFrameLen);
  build_neighbour_solicitation(dad.data(), kMacA, IpAddress{Family::kIPv6, {}}, addr("2001:db8::77"));
  EXPECT_FALSE(parse_nd_frame(dad, ip, nd));
}

TEST(NeighbourDiscovery, SolicitedAndUnsolicitedAdvertisements) {
  std::vector<unsigned char> f(kNdFrameLen);
  build_neighbour_advertisement(f.data(), kMacB, addr("2001:db8::1"), kMacA, addr("2001:db8::a"), true);
  EXPECT_TRUE(std::equal(f.begin(), f.begin() + 6, kMacA.bytes.begin()));
  Ipv6 ip;
  NeighbourMessage nd;
  ASSERT_TRUE(parse_nd_frame(f, ip, nd));
  EXPECT_EQ(nd.type, kIcmpv6NeighbourAdvertisement);
  EXPECT_EQ(nd.target, addr("2001:db8::1"));
  EXPECT_TRUE(nd.solicited);
  EXPECT_TRUE(nd.override_);
  EXPECT_FALSE(nd.router);
  ASSERT_TRUE(nd.has_link_layer);
  EXPECT_EQ(nd.link_layer, kMacB);
  EXPECT_EQ(ip.hop_limit, kNdHopLimit);

  build_unsolicited_advertisement(f.data(), kMacB, addr("2001:db8::1"));
  EXPECT_EQ(load_be16(f.data()), 0x3333);
  ASSERT_TRUE(parse_nd_frame(f, ip, nd));
  EXPECT_EQ(ip.dst, all_nodes());
  EXPECT_FALSE(nd.solicited);
  EXPECT_TRUE(nd.override_);

  // A solicited advertisement sent to a group is invalid (RFC 4861 §7.1.2).
  build_neighbour_advertisement(f.data(), kMacB, addr("2001:db8::1"), multicast_mac(all_nodes()), all_nodes(), true);
  EXPECT_FALSE(parse_nd_frame(f, ip, nd));
}

TEST(Icmpv6, EchoRequestBecomesReply) {
  std::vector<unsigned char> p(40 + 12);
  Ipv6Out o;
  o.src = addr("2001:db8::a");
  o.dst = addr("2001:db8::1");
  o.payload_len = 12;
  o.next_header = kIpProtoIcmpv6;
  write_ipv6(p.data(), o);
  unsigned char* icmp = p.data() + 40;
  const unsigned char msg[12] = {128, 0, 0, 0, 0x12, 0x34, 0x00, 0x01, 'p', 'i', 'n', 'g'};
  std::memcpy(icmp, msg, 12);
  const std::uint16_t c = icmpv6_checksum(p.data() + 8, p.data() + 24, icmp, 12);
  std::memcpy(icmp + 2, &c, 2);
  ASSERT_TRUE(icmpv6_echo_to_reply(p.data(), 12));
  EXPECT_EQ(icmp[0], kIcmpv6EchoReply);
  EXPECT_EQ(load_ipv6(p.data() + 8), o.dst);
  EXPECT_EQ(load_ipv6(p.data() + 24), o.src);
  EXPECT_EQ(checksum_fold(checksum_add(icmp, 12, ipv6_pseudo_sum(p.data() + 8, p.data() + 24, 12, kIpProtoIcmpv6))), 0);
  EXPECT_EQ(icmp[4], 0x12);
  EXPECT_FALSE(icmpv6_echo_to_reply(p.data(), 12));  // a reply is not a request
  icmp[0] = kIcmpv6EchoRequest;                      // stale checksum
  EXPECT_FALSE(icmpv6_echo_to_reply(p.data(), 12));
}

TEST(Fragment, Ipv6CarriesAFragmentHeaderInEachFragment) {
  EXPECT_EQ(plan_fragments(1460, 1500, Family::kIPv6).count, 1u);
  const auto p = plan_fragments(4000, 1500, Family::kIPv6);
  EXPECT_EQ(p.chunk, (1500u - 40 - 8) & ~7u);
  EXPECT_EQ(p.count, 3u);
  std::uint32_t covered = 0;
  for (std::uint32_t i = 0; i < p.count; ++i) {
    const auto s = p.slice(i);
    EXPECT_EQ(s.offset, covered);
    EXPECT_LE(40 + 8 + s.length, 1500u);
    covered += s.length;
  }
  EXPECT_EQ(covered, 4000u);
  EXPECT_EQ(plan_fragments(1000, 1279, Family::kIPv6).count, 0u);  // below the IPv6 minimum MTU
  EXPECT_EQ(plan_fragments(65536, 1500, Family::kIPv6).count, 0u);
  unsigned char h[8];
  write_ipv6_fragment_header(h, kIpProtoUdp, 1448, true, 0x01020304);
  EXPECT_EQ(h[0], kIpProtoUdp);
  EXPECT_EQ(load_be16(h + 2), 1448 | 1);
  EXPECT_EQ(load_be32(h + 4), 0x01020304u);
}

TEST(Neighbour, KeyedByNetworkAndAddressOfBothFamilies) {
  NeighbourTable t(64);
  MacAddress m;
  const IpAddress v6 = addr("2001:db8::21"), v4 = addr("32.1.13.184");  // its first 4 bytes as IPv4
  ASSERT_TRUE(t.confirm(0, v6, kMacA, 1));
  EXPECT_FALSE(t.lookup(0, v4, m));
  ASSERT_TRUE(t.confirm(0, v4, kMacB, 1));
  ASSERT_TRUE(t.lookup(0, v6, m));
  EXPECT_EQ(m, kMacA);
  ASSERT_TRUE(t.lookup(0, v4, m));
  EXPECT_EQ(m, kMacB);
  // The same address on two VLANs of one port: two networks, two neighbours.
  ASSERT_TRUE(t.confirm(3, v6, kMacB, 1));
  ASSERT_TRUE(t.lookup(3, v6, m));
  EXPECT_EQ(m, kMacB);
  ASSERT_TRUE(t.lookup(0, v6, m));
  EXPECT_EQ(m, kMacA);
  EXPECT_EQ(t.entries().size(), 3u);
  EXPECT_FALSE(t.confirm(0, all_nodes(), kMacA, 1));  // never a group
  // Resolution of an IPv6 next hop asks for it on its network.
  std::vector<NeighbourProbe> out;
  ASSERT_TRUE(t.demand(7, addr("2001:db8::99"), 0));
  t.age(2'000'000'000, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].network, 7);
  EXPECT_EQ(out[0].ip, addr("2001:db8::99"));
  EXPECT_FALSE(out[0].unicast);
}

TEST(Neighbour, ReadersNeverSeeAnotherIpv6AddressesMac) {
  NeighbourTable t(64, NeighbourTiming{1, 1, 1, 1});
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> wrong{0};
  const IpAddress a = addr("2001:db8::21"), b = addr("2001:db8:1::21");
  std::thread reader([&] {
    MacAddress m;
    while (!stop.load(std::memory_order_relaxed)) {
      if (t.lookup(0, a, m) && m != kMacA) wrong.fetch_add(1);
      if (t.lookup(0, b, m) && m != kMacB) wrong.fetch_add(1);
    }
  });
  std::vector<NeighbourProbe> out;
  std::uint64_t now = 0;
  for (int i = 0; i < 200000; ++i) {
    t.confirm(0, (i & 1) ? a : b, (i & 1) ? kMacA : kMacB, now);
    now += 10;
    t.age(now, out);
    out.clear();
  }
  stop = true;
  reader.join();
  EXPECT_EQ(wrong.load(), 0u);
}
