// Unit tests of the DPDK-free part of `net`: checksums against a naive reference, header
// builders and parsers, fragment plans, routes, the neighbour table's states, the hold queue,
// virtual-device arguments.
#include <gtest/gtest.h>

#include <random>
#include <thread>
#include <vector>

#include "sipshunt/common/address.hpp"
#include "sipshunt/net/checksum.hpp"
#include "sipshunt/net/devargs.hpp"
#include "sipshunt/net/fragment.hpp"
#include "sipshunt/net/headers.hpp"
#include "sipshunt/net/hold_queue.hpp"
#include "sipshunt/net/neighbour.hpp"
#include "sipshunt/net/route.hpp"

using namespace sipshunt::net;

namespace {

// RFC 1071 the slow way: big-endian 16-bit words, end-around carry after every add.
std::uint16_t naive_checksum(const std::vector<unsigned char>& d) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < d.size(); i += 2) {
    const std::uint32_t w = (std::uint32_t{d[i]} << 8) | (i + 1 < d.size() ? d[i + 1] : 0u);
    sum += w;
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

std::uint16_t stored(std::uint16_t native) {  // the checksum as two bytes in memory, read big-endian
  unsigned char b[2];
  std::memcpy(b, &native, 2);
  return static_cast<std::uint16_t>((b[0] << 8) | b[1]);
}

sipshunt::IpAddress ip(const char* text) { return *sipshunt::IpAddress::parse(text); }
// The IPv4 address `i` after `text`.
sipshunt::IpAddress ip_plus(const char* text, std::uint32_t i) {
  return sipshunt::IpAddress::v4(ip(text).v4_host_order() + i);
}

}  // namespace

TEST(Checksum, MatchesNaiveReferenceOnEveryLengthAndAlignment) {
  std::mt19937 rng(7);
  for (std::size_t len = 0; len < 300; ++len) {
    for (std::size_t shift = 0; shift < 4; ++shift) {
      std::vector<unsigned char> buf(len + shift);
      for (auto& b : buf) b = static_cast<unsigned char>(rng());
      std::vector<unsigned char> d(buf.begin() + static_cast<long>(shift), buf.end());
      EXPECT_EQ(stored(checksum_fold(checksum_add(buf.data() + shift, len))), naive_checksum(d)) << len << "/" << shift;
    }
  }
}

// checksum_fold against the fold of RFC 1071 §4.1 (add the carries back until none is left), on
// 64-bit sums whose halves and quarters sit at the carry edges, and on random ones.
TEST(Checksum, FoldMatchesTheEndAroundCarryLoop) {
  const auto reference = [](std::uint64_t s) {
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return static_cast<std::uint16_t>(~s & 0xffff);
  };
  const std::uint32_t edges[] = {0, 1, 0x7fff, 0x8000, 0xfffe, 0xffff, 0x10000, 0x1fffe, 0xfffe0001,
                                 0xffff0000, 0xffff0001, 0xfffffffe, 0xffffffff};
  for (const std::uint32_t hi : edges)
    for (const std::uint32_t lo : edges) {
      const std::uint64_t s = (std::uint64_t{hi} << 32) | lo;
      EXPECT_EQ(checksum_fold(s), reference(s)) << std::hex << s;
    }
  std::mt19937_64 rng(11);
  for (int i = 0; i < 200000; ++i) {
    const std::uint64_t s = rng() >> (i % 40);
    ASSERT_EQ(checksum_fold(s), reference(s)) << std::hex << s;
  }
}

TEST(Checksum, LargestDatagramOfAllOnesDoesNotOverflow) {
  std::vector<unsigned char> d(65535, 0xff);
  EXPECT_EQ(stored(checksum_fold(checksum_add(d.data(), d.size()))), naive_checksum(d));
  std::mt19937 rng(3);
  for (auto& b : d) b = static_cast<unsigned char>(rng());
  EXPECT_EQ(stored(checksum_fold(checksum_add(d.data(), d.size()))), naive_checksum(d));
  // The AVX2 sum biases each word by 0x8000: words at the edges of that bias, all sizes of tail.
  for (const unsigned char fill : {0x00, 0x7f, 0x80, 0xfe}) {
    for (std::size_t len : {65535u, 65534u, 65533u, 65532u, 65500u}) {
      std::vector<unsigned char> e(len, fill);
      EXPECT_EQ(stored(checksum_fold(checksum_add(e.data(), e.size()))), naive_checksum(e)) << int{fill} << "/" << len;
    }
  }
}

TEST(Checksum, KnownIpv4Header) {
  // A classic example header (checksum 0xb861).
  unsigned char h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                         0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  const std::uint16_t c = ipv4_header_checksum(h, 20);
  EXPECT_EQ(stored(c), 0xb861);
  std::memcpy(h + 10, &c, 2);
  EXPECT_EQ(checksum_fold(checksum_add(h, 20)), 0);
}

TEST(Checksum, UdpRoundTripAndCorruptionDetected) {
  std::mt19937 rng(11);
  for (std::size_t payload = 0; payload < 200; payload += 7) {
    std::vector<unsigned char> udp(8 + payload);
    for (auto& b : udp) b = static_cast<unsigned char>(rng());
    write_udp(udp.data(), 5060, 5070, static_cast<std::uint16_t>(udp.size()));
    unsigned char src[4] = {198, 18, 0, 10}, dst[4] = {198, 18, 0, 1};
    const std::uint16_t c = udp_checksum(src, dst, udp.data(), udp.size());
    EXPECT_NE(c, 0);
    std::memcpy(udp.data() + 6, &c, 2);
    EXPECT_TRUE(udp_checksum_ok(src, dst, udp.data(), udp.size()));
    if (payload > 0) {
      udp[8] ^= 0x10;
      EXPECT_FALSE(udp_checksum_ok(src, dst, udp.data(), udp.size()));
      udp[8] ^= 0x10;
    }
    dst[3] = 2;  // the pseudo header counts
    EXPECT_FALSE(udp_checksum_ok(src, dst, udp.data(), udp.size()));
    udp[6] = udp[7] = 0;  // zero: not computed by the sender
    EXPECT_TRUE(udp_checksum_ok(src, dst, udp.data(), udp.size()));
  }
}

TEST(Headers, MacParseFormat) {
  const auto m = MacAddress::parse("02:00:c6:12:00:0A");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->to_string(), "02:00:c6:12:00:0a");
  EXPECT_EQ(MacAddress::from_u64(m->to_u64()), *m);
  EXPECT_FALSE(MacAddress::parse("02:00:c6:12:00"));
  EXPECT_FALSE(MacAddress::parse("02:00:c6:12:00:0g"));
  EXPECT_TRUE(MacAddress::broadcast().is_multicast());
  EXPECT_FALSE(m->is_multicast());
}

TEST(Headers, ArpRequestThenReply) {
  const MacAddress ours = *MacAddress::parse("02:00:00:00:00:01");
  const MacAddress theirs = *MacAddress::parse("02:00:00:00:00:02");
  unsigned char frame[64] = {};
  ASSERT_EQ(build_arp_request(frame, theirs, ip("198.18.0.10"), ip("198.18.0.1")), 42u);
  EXPECT_EQ(load_be16(frame + 12), kEtherTypeArp);
  EXPECT_TRUE(std::equal(frame, frame + 6, MacAddress::broadcast().bytes.begin()));
  Arp req;
  ASSERT_TRUE(parse_arp(frame + 14, 28, req));
  EXPECT_EQ(req.op, kArpRequest);
  EXPECT_EQ(req.sender_ip, ip("198.18.0.10"));
  EXPECT_EQ(req.target_ip, ip("198.18.0.1"));
  EXPECT_EQ(req.sender_mac, theirs);
  arp_request_to_reply(frame, req, ours);
  Arp rep;
  ASSERT_TRUE(parse_arp(frame + 14, 28, rep));
  EXPECT_EQ(rep.op, kArpReply);
  EXPECT_EQ(rep.sender_mac, ours);
  EXPECT_EQ(rep.sender_ip, ip("198.18.0.1"));
  EXPECT_EQ(rep.target_mac, theirs);
  EXPECT_EQ(rep.target_ip, ip("198.18.0.10"));
  EXPECT_TRUE(std::equal(frame, frame + 6, theirs.bytes.begin()));
  EXPECT_TRUE(std::equal(frame + 6, frame + 12, ours.bytes.begin()));
  EXPECT_FALSE(parse_arp(frame + 14, 27, rep));
  frame[14 + 4] = 8;  // hardware length other than 6
  EXPECT_FALSE(parse_arp(frame + 14, 28, rep));
}

TEST(Headers, GratuitousArpAnnouncesOurAddress) {
  unsigned char frame[64] = {};
  const MacAddress ours = *MacAddress::parse("02:00:00:00:00:01");
  build_gratuitous_arp(frame, ours, ip("198.18.0.1"));
  Arp a;
  ASSERT_TRUE(parse_arp(frame + 14, 28, a));
  EXPECT_EQ(a.sender_ip, a.target_ip);
  EXPECT_EQ(a.op, kArpRequest);
}

TEST(Headers, Ipv4WriteParseAndEveryError) {
  unsigned char p[64] = {};
  Ipv4Out o;
  o.src = ip("198.18.0.1");
  o.dst = ip("198.18.0.21");
  o.total_len = 40;
  o.id = 0x1234;
  o.fragment_offset = 1480;
  o.more_fragments = true;
  write_ipv4(p, o);
  Ipv4 v;
  ASSERT_EQ(parse_ipv4(p, 64, true, v), Ipv4Check::kOk);  // 64 bytes: Ethernet padding allowed
  EXPECT_EQ(v.total_len, 40);
  EXPECT_EQ(v.header_len, 20);
  EXPECT_EQ(v.id, 0x1234);
  EXPECT_EQ(v.fragment_offset, 1480);
  EXPECT_TRUE(v.more_fragments);
  EXPECT_TRUE(v.is_fragment());
  EXPECT_EQ(v.src, o.src);
  EXPECT_EQ(v.dst, o.dst);
  EXPECT_EQ(v.protocol, kIpProtoUdp);
  EXPECT_EQ(parse_ipv4(p, 19, true, v), Ipv4Check::kTooShort);
  EXPECT_EQ(parse_ipv4(p, 39, true, v), Ipv4Check::kBadTotalLength);
  p[8] = 3;  // TTL changed without the checksum
  EXPECT_EQ(parse_ipv4(p, 64, true, v), Ipv4Check::kBadChecksum);
  EXPECT_EQ(parse_ipv4(p, 64, false, v), Ipv4Check::kOk);
  p[0] = 0x44;
  EXPECT_EQ(parse_ipv4(p, 64, false, v), Ipv4Check::kBadHeaderLength);
  p[0] = 0x65;
  EXPECT_EQ(parse_ipv4(p, 64, false, v), Ipv4Check::kBadVersion);
  p[0] = 0x4f;  // 60-byte header in 40 bytes of total length
  EXPECT_EQ(parse_ipv4(p, 64, false, v), Ipv4Check::kBadTotalLength);
}

TEST(Headers, IcmpEchoRequestBecomesReply) {
  std::vector<unsigned char> icmp = {8, 0, 0, 0, 0x12, 0x34, 0x00, 0x01, 'p', 'i', 'n', 'g', '!'};
  const std::uint16_t c = checksum_fold(checksum_add(icmp.data(), icmp.size()));
  std::memcpy(icmp.data() + 2, &c, 2);
  ASSERT_TRUE(icmp_echo_to_reply(icmp.data(), icmp.size()));
  EXPECT_EQ(icmp[0], 0);
  EXPECT_EQ(checksum_fold(checksum_add(icmp.data(), icmp.size())), 0);
  EXPECT_EQ(icmp[4], 0x12);
  EXPECT_FALSE(icmp_echo_to_reply(icmp.data(), icmp.size()));  // a reply is not a request
  icmp[0] = 8;  // request with a stale checksum
  EXPECT_FALSE(icmp_echo_to_reply(icmp.data(), icmp.size()));
}

TEST(Fragment, FitsInOne) {
  const auto p = plan_fragments(1480, 1500);
  EXPECT_EQ(p.count, 1u);
  EXPECT_EQ(p.slice(0).length, 1480u);
  EXPECT_FALSE(p.slice(0).more);
}

TEST(Fragment, SlicesCoverThePayloadInMultiplesOfEight) {
  for (std::uint16_t mtu : {68, 576, 1280, 1500, 9000}) {
    for (std::size_t payload = 1; payload <= 20000; payload += 997) {
      const auto p = plan_fragments(payload, mtu);
      ASSERT_GE(p.count, 1u);
      std::uint32_t next = 0;
      for (std::uint32_t i = 0; i < p.count; ++i) {
        const auto s = p.slice(i);
        EXPECT_EQ(s.offset, next);
        EXPECT_EQ(s.offset % 8, 0u);
        EXPECT_LE(s.length + kIpv4HeaderLen, mtu);
        EXPECT_GT(s.length, 0u);
        EXPECT_EQ(s.more, i + 1 < p.count);
        if (s.more) {
          EXPECT_EQ(s.length % 8, 0u);
        }
        next += s.length;
      }
      EXPECT_EQ(next, payload);
    }
  }
  EXPECT_EQ(plan_fragments(65516, 1500).count, 0u);  // beyond an IPv4 datagram
  EXPECT_EQ(plan_fragments(3008, 1500).count, 3u);   // 1480 + 1480 + 48
}

sipshunt::config::Network network(std::uint16_t port, const char* name, const char* address, std::uint8_t len,
                        std::optional<sipshunt::IpAddress> gateway = std::nullopt, std::uint16_t vlan = 0) {
  sipshunt::config::Network n;
  n.name = name;
  n.port = port;
  n.vlan = vlan;
  n.address = *sipshunt::IpAddress::parse(address);
  n.prefix_len = len;
  n.gateway = gateway;
  return n;
}

sipshunt::IpAddress addr(const char* text) { return *sipshunt::IpAddress::parse(text); }

TEST(Route, ConnectedStaticAndGatewayLongestPrefixFirst) {
  std::vector<sipshunt::config::Network> nets = {network(0, "a", "198.18.0.1", 24, addr("198.18.0.254")),
                                       network(1, "b", "198.19.0.1", 16)};
  std::vector<sipshunt::config::Route> routes = {{addr("198.18.128.0"), 17, addr("198.19.0.9")},
                                       {addr("198.18.7.0"), 24, addr("198.19.0.7")}};
  auto r = RouteTable::build(nets, routes);
  ASSERT_TRUE(r) << r.error().message;
  const auto& t = *r;
  auto nh = t.lookup(addr("198.18.0.21"));  // connected /24 beats nothing else
  ASSERT_TRUE(nh);
  EXPECT_EQ(nh->network, 0);
  EXPECT_EQ(nh->address, addr("198.18.0.21"));
  nh = t.lookup(addr("198.19.3.4"));
  ASSERT_TRUE(nh);
  EXPECT_EQ(nh->network, 1);
  EXPECT_EQ(nh->address, addr("198.19.3.4"));
  nh = t.lookup(addr("198.18.200.1"));  // static /17
  ASSERT_TRUE(nh);
  EXPECT_EQ(nh->network, 1);
  EXPECT_EQ(nh->address, addr("198.19.0.9"));
  nh = t.lookup(addr("198.18.7.7"));  // static /24 wins over the /17... and over nothing connected
  ASSERT_TRUE(nh);
  EXPECT_EQ(nh->address, addr("198.19.0.7"));
  nh = t.lookup(addr("203.0.113.5"));  // default gateway of network 0
  ASSERT_TRUE(nh);
  EXPECT_EQ(nh->network, 0);
  EXPECT_EQ(nh->address, addr("198.18.0.254"));
  EXPECT_FALSE(t.lookup(addr("2001:db8::1")));  // no IPv6 network, no IPv6 default
}

TEST(Route, BothFamiliesAndVlans) {
  std::vector<sipshunt::config::Network> nets = {network(0, "v4", "198.18.0.1", 24, addr("198.18.0.254")),
                                       network(0, "v6", "2001:db8:1::1", 64, addr("2001:db8:1::fe")),
                                       network(1, "farm", "198.19.0.1", 24, std::nullopt, 200)};
  std::vector<sipshunt::config::Route> routes = {{addr("2001:db8:9::"), 48, addr("2001:db8:1::7")}};
  auto r = RouteTable::build(nets, routes);
  ASSERT_TRUE(r) << r.error().message;
  auto nh = r->lookup(addr("2001:db8:1::99"));
  ASSERT_TRUE(nh);
  EXPECT_EQ(nh->network, 1);
  EXPECT_EQ(nh->address, addr("2001:db8:1::99"));
  nh = r->lookup(addr("2001:db8:9:1::5"));
  ASSERT_TRUE(nh);
  EXPECT_EQ(nh->network, 1);
  EXPECT_EQ(nh->address, addr("2001:db8:1::7"));
  nh = r->lookup(addr("2001:db8:77::5"));  // the IPv6 default
  ASSERT_TRUE(nh);
  EXPECT_EQ(nh->address, addr("2001:db8:1::fe"));
  nh = r->lookup(addr("198.19.0.40"));
  ASSERT_TRUE(nh);
  EXPECT_EQ(nh->network, 2);
  nh = r->lookup(addr("8.8.8.8"));  // the IPv4 default, not the IPv6 one
  ASSERT_TRUE(nh);
  EXPECT_EQ(nh->address, addr("198.18.0.254"));
}

TEST(Route, NoGatewayNoRoute) {
  auto r = RouteTable::build({network(0, "a", "198.18.0.1", 24)}, {});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->lookup(addr("10.0.0.1")));
}

TEST(Route, Errors) {
  auto r = RouteTable::build({network(0, "a", "198.18.0.1", 24, addr("198.19.0.1"))}, {});
  EXPECT_FALSE(r);
  EXPECT_NE(r.error().message.find("gateway 198.19.0.1"), std::string::npos) << r.error().message;
  r = RouteTable::build({network(0, "a", "198.18.0.1", 24)}, {{addr("10.0.0.0"), 8, addr("10.1.1.1")}});
  EXPECT_FALSE(r);
  EXPECT_NE(r.error().message.find("via 10.1.1.1"), std::string::npos) << r.error().message;
  r = RouteTable::build({network(0, "a", "198.18.0.1", 24), network(1, "b", "198.18.0.2", 24)}, {});
  EXPECT_FALSE(r);
  EXPECT_NE(r.error().message.find("a second entry for 198.18.0.0/24"), std::string::npos) << r.error().message;
}

namespace {
constexpr std::uint64_t kS = 1'000'000'000;
const MacAddress kMac1 = *MacAddress::parse("02:00:00:00:00:21");
const MacAddress kMac2 = *MacAddress::parse("02:00:00:00:00:22");
}  // namespace

TEST(Neighbour, DemandThenConfirm) {
  NeighbourTable t(64);
  MacAddress m;
  EXPECT_FALSE(t.lookup(0, ip("198.18.0.21"), m));
  EXPECT_TRUE(t.demand(0, ip("198.18.0.21"), 0));   // new: broadcast now
  EXPECT_FALSE(t.demand(0, ip("198.18.0.21"), 1));  // already being resolved
  EXPECT_FALSE(t.lookup(0, ip("198.18.0.21"), m));  // incomplete: no MAC yet
  EXPECT_TRUE(t.confirm(0, ip("198.18.0.21"), kMac1, 2));
  ASSERT_TRUE(t.lookup(0, ip("198.18.0.21"), m));
  EXPECT_EQ(m, kMac1);
  EXPECT_FALSE(t.lookup(1, ip("198.18.0.21"), m));  // per network (port or VLAN)
  EXPECT_FALSE(t.confirm(0, ip("198.18.0.22"), MacAddress::broadcast(), 2));  // never learn broadcast
}

TEST(Neighbour, IncompleteRetriesThenFailsThenForgets) {
  NeighbourTable t(64);
  std::vector<NeighbourProbe> out;
  ASSERT_TRUE(t.demand(0, ip("198.18.0.30"), 0));
  t.age(kS / 2, out);
  EXPECT_TRUE(out.empty());
  t.age(kS, out);  // second request
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].unicast);
  EXPECT_EQ(out[0].ip, ip("198.18.0.30"));
  t.age(2 * kS, out);  // third
  EXPECT_EQ(out.size(), 2u);
  t.age(3 * kS, out);  // max_probes reached: failed, no more requests
  EXPECT_EQ(out.size(), 2u);
  EXPECT_FALSE(t.demand(0, ip("198.18.0.30"), 4 * kS));  // failed entries are not re-demanded
  t.age(8 * kS + 1, out);  // failed_hold over: forgotten
  EXPECT_TRUE(t.entries().empty());
  EXPECT_TRUE(t.demand(0, ip("198.18.0.30"), 9 * kS));  // and can be resolved again
}

TEST(Neighbour, ReachableRefreshedByUnicastAndKeptWhileAnswered) {
  NeighbourTable t(64);
  std::vector<NeighbourProbe> out;
  t.confirm(0, ip("198.18.0.21"), kMac1, 0);
  t.age(29 * kS, out);
  EXPECT_TRUE(out.empty());
  t.age(30 * kS, out);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].unicast);
  EXPECT_EQ(*out[0].unicast, kMac1);
  MacAddress m;
  EXPECT_TRUE(t.lookup(0, ip("198.18.0.21"), m));  // stale still forwards
  t.confirm(0, ip("198.18.0.21"), kMac2, 30 * kS + 1000);  // answered (new MAC)
  EXPECT_TRUE(t.lookup(0, ip("198.18.0.21"), m));
  EXPECT_EQ(m, kMac2);
  t.age(31 * kS, out);
  EXPECT_EQ(out.size(), 1u);
}

TEST(Neighbour, StaleUnansweredIsRemoved) {
  NeighbourTable t(64);
  std::vector<NeighbourProbe> out;
  t.confirm(0, ip("198.18.0.21"), kMac1, 0);
  for (std::uint64_t s = 30; s <= 34; ++s) t.age(s * kS, out);
  EXPECT_EQ(out.size(), 3u);
  MacAddress m;
  EXPECT_FALSE(t.lookup(0, ip("198.18.0.21"), m));
  EXPECT_TRUE(t.entries().empty());
}

TEST(Neighbour, StaticEntriesNeverAgeNorChange) {
  NeighbourTable t(64);
  std::vector<NeighbourProbe> out;
  ASSERT_TRUE(t.add_static(1, ip("198.19.0.9"), kMac1));
  t.confirm(1, ip("198.19.0.9"), kMac2, 5);
  t.age(1000 * kS, out);
  EXPECT_TRUE(out.empty());
  MacAddress m;
  ASSERT_TRUE(t.lookup(1, ip("198.19.0.9"), m));
  EXPECT_EQ(m, kMac1);
}

TEST(Neighbour, ManyEntriesAndBoundedProbing) {
  NeighbourTable t(1024);
  std::size_t stored_count = 0;
  for (std::uint32_t i = 0; i < 900; ++i) stored_count += t.confirm(0, ip_plus("198.18.0.0", i), kMac1, 0) ? 1 : 0;
  // Some may not fit within kMaxProbe slots of their home; most must.
  EXPECT_GT(stored_count, 850u);
  EXPECT_EQ(stored_count + t.full_count(), 900u);
  MacAddress m;
  std::size_t found = 0;
  for (std::uint32_t i = 0; i < 900; ++i) found += t.lookup(0, ip_plus("198.18.0.0", i), m) ? 1 : 0;
  EXPECT_EQ(found, stored_count);
}

TEST(Neighbour, ReadersNeverSeeAnotherAddressesMac) {
  // One writer recycles slots between two keys with distinct MACs; a reader must only ever see
  // the MAC that belongs to the key it asked for.
  NeighbourTable t(64, NeighbourTiming{1, 1, 1, 1});
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> wrong{0}, hits{0};
  const sipshunt::IpAddress a = ip("198.18.0.21"), b = ip("198.18.0.22");
  std::thread reader([&] {
    MacAddress m;
    while (!stop.load(std::memory_order_relaxed)) {
      if (t.lookup(0, a, m)) {
        hits.fetch_add(1, std::memory_order_relaxed);
        if (m != kMac1) wrong.fetch_add(1);
      }
      if (t.lookup(0, b, m) && m != kMac2) wrong.fetch_add(1);
    }
  });
  std::vector<NeighbourProbe> out;
  std::uint64_t now = 0;
  for (int i = 0; i < 200000; ++i) {
    t.confirm(0, (i & 1) ? a : b, (i & 1) ? kMac1 : kMac2, now);
    now += 10;
    t.age(now, out);  // quickly stale and removed: slots get recycled
    out.clear();
  }
  stop = true;
  reader.join();
  EXPECT_EQ(wrong.load(), 0u);
}

TEST(HoldQueue, BoundedFifoWithSweep) {
  using sipshunt::IpAddress;
  const IpAddress h10 = IpAddress::v4(10), h11 = IpAddress::v4(11), h12 = IpAddress::v4(12);
  HoldQueue<int> q(3);
  EXPECT_TRUE(q.push({1, h10, 0, 100}));
  EXPECT_TRUE(q.push({2, h11, 0, 200}));
  EXPECT_TRUE(q.push({3, h10, 1, 300}));
  EXPECT_FALSE(q.push({4, h12, 0, 400}));
  EXPECT_TRUE(q.waiting_for(0, h10));
  EXPECT_FALSE(q.waiting_for(1, h11));
  std::vector<int> sent;
  q.sweep([&](auto& item) {
    if (item.next_hop == h10) {
      sent.push_back(item.packet);
      return false;
    }
    return true;
  });
  EXPECT_EQ(sent, (std::vector<int>{1, 3}));
  EXPECT_EQ(q.size(), 1u);
  EXPECT_TRUE(q.push({5, h12, 0, 500}));
  std::vector<int> rest;
  q.sweep([&](auto& item) {
    rest.push_back(item.packet);
    return false;
  });
  EXPECT_EQ(rest, (std::vector<int>{2, 5}));
  EXPECT_TRUE(q.empty());
}

TEST(Devargs, ValueOfTheFirstKeyWithOne) {
  EXPECT_EQ(devarg("iface=veth0,qpairs=2", "iface"), "veth0");
  EXPECT_EQ(devarg("iface=veth0,qpairs=2", "qpairs"), "2");
  EXPECT_EQ(devarg("rx_pcap=/tmp/a=b.pcap", "rx_pcap"), "/tmp/a=b.pcap");  // the first '=' splits
  EXPECT_EQ(devarg("iface=a,iface=b", "iface"), "a");
  EXPECT_EQ(devarg("iface,iface=b", "iface"), "b");  // an item without a value has none to give
  EXPECT_EQ(devarg("iface=", "iface"), "");
  EXPECT_EQ(devarg("ifacex=a,xiface=b", "iface"), "");  // whole names only
  EXPECT_EQ(devarg("", "iface"), "");
  EXPECT_EQ(devarg("qpairs=2,", "qpairs"), "2");
}

TEST(Devargs, PresenceWithOrWithoutAValue) {
  EXPECT_TRUE(has_devarg("no-rx=1", "no-rx"));
  EXPECT_TRUE(has_devarg("iface=veth0,infinite_rx", "infinite_rx"));
  EXPECT_TRUE(has_devarg("a,qpairs=,b", "qpairs"));
  EXPECT_FALSE(has_devarg("qpairsx=2,xqpairs=2", "qpairs"));
  EXPECT_FALSE(has_devarg("", "qpairs"));
  EXPECT_FALSE(has_devarg("iface=qpairs", "qpairs"));  // a value is not a name
}

TEST(Devargs, AfPacketDeviceNames) {
  EXPECT_TRUE(is_af_packet("net_af_packet0"));
  EXPECT_TRUE(is_af_packet("eth_af_packet1"));
  EXPECT_FALSE(is_af_packet("net_af_xdp0"));
  EXPECT_FALSE(is_af_packet("net_tap0"));
  EXPECT_FALSE(is_af_packet("0000:00:08.0"));
}

TEST(Devargs, AfXdpDeviceNames) {
  EXPECT_TRUE(is_af_xdp("net_af_xdp0"));
  EXPECT_TRUE(is_af_xdp("net_af_xdp12"));
  EXPECT_FALSE(is_af_xdp("net_af_packet0"));
  EXPECT_FALSE(is_af_xdp("xnet_af_xdp0"));
}
