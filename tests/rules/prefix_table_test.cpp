// The longest-prefix-match table against a brute-force reference, over random nested prefixes.
#include <gtest/gtest.h>

#include <random>

#include "sipshunt/common/prefix.hpp"

namespace sipshunt::rules {
namespace {

Prefix P(std::string_view text) {
  auto p = parse_prefix(text);
  if (!p) throw std::runtime_error(p.error().to_string());
  return *p;
}

// The message of a refused prefix ("" when it parses).
std::string refusal(std::string_view text) {
  auto p = parse_prefix(text);
  return p ? std::string() : p.error().to_string();
}

IpAddress A(std::string_view text) { return *IpAddress::parse(text); }

TEST(PrefixParse, AcceptsCidrAndBareAddresses) {
  EXPECT_EQ(P("198.18.0.0/15").length, 15);
  EXPECT_EQ(P("198.18.0.1").length, 32);
  EXPECT_EQ(P("2001:db8::/32").length, 32);
  EXPECT_EQ(P("2001:db8::1").length, 128);
  EXPECT_EQ(P("0.0.0.0/0").length, 0);
  EXPECT_EQ(P("::/0").length, 0);
  EXPECT_EQ(to_string(P("2001:db8::/32")), "2001:db8::/32");
  EXPECT_EQ(refusal("10.0.0.0/"), "prefix length '' is not a number");
  EXPECT_FALSE(parse_prefix("10.0.0.0/-1"));
  EXPECT_FALSE(parse_prefix("10.0.0.0/0032"));
  EXPECT_EQ(refusal("2001:db8::1/64"), "prefix 2001:db8::1/64 has host bits set (the network is 2001:db8::/64)");
  EXPECT_EQ(refusal("10.1.2.3/12"), "prefix 10.1.2.3/12 has host bits set (the network is 10.0.0.0/12)");
}

TEST(PrefixTable, LongestMatchWins) {
  const PrefixTable::Entry entries[] = {
      {P("10.0.0.0/8"), 1}, {P("10.1.0.0/16"), 2}, {P("10.1.2.0/24"), 3}, {P("10.1.2.3"), 4},
      {P("10.2.0.0/16"), 5}, {P("2001:db8::/32"), 6}, {P("2001:db8:1::/48"), 7}, {P("0.0.0.0/0"), 8},
  };
  const PrefixTable t(entries);
  EXPECT_EQ(t.lookup(A("10.1.2.3")), 4u);
  EXPECT_EQ(t.lookup(A("10.1.2.4")), 3u);
  EXPECT_EQ(t.lookup(A("10.1.3.0")), 2u);
  EXPECT_EQ(t.lookup(A("10.1.255.255")), 2u);
  EXPECT_EQ(t.lookup(A("10.2.0.0")), 5u);
  EXPECT_EQ(t.lookup(A("10.3.0.0")), 1u);
  EXPECT_EQ(t.lookup(A("10.255.255.255")), 1u);
  EXPECT_EQ(t.lookup(A("11.0.0.0")), 8u);
  EXPECT_EQ(t.lookup(A("255.255.255.255")), 8u);
  EXPECT_EQ(t.lookup(A("2001:db8:1:2::3")), 7u);
  EXPECT_EQ(t.lookup(A("2001:db8:2::")), 6u);
  EXPECT_EQ(t.lookup(A("2001:db9::")), PrefixTable::kNoMatch);
  EXPECT_EQ(t.lookup(IpAddress{}), PrefixTable::kNoMatch);
  const PrefixTable empty;
  EXPECT_EQ(empty.lookup(A("10.1.2.3")), PrefixTable::kNoMatch);
}

TEST(PrefixTable, TopOfTheAddressSpace) {
  const PrefixTable::Entry entries[] = {
      {P("::/0"), 1}, {P("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124"), 2},
      {P("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 3}, {P("255.255.255.0/24"), 4}};
  const PrefixTable t(entries);
  EXPECT_EQ(t.lookup(A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")), 3u);
  EXPECT_EQ(t.lookup(A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe")), 2u);
  EXPECT_EQ(t.lookup(A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffef")), 1u);
  EXPECT_EQ(t.lookup(A("::")), 1u);
  EXPECT_EQ(t.lookup(A("255.255.255.255")), 4u);
  EXPECT_EQ(t.lookup(A("255.255.254.255")), PrefixTable::kNoMatch);
}

// Random prefixes clustered so that many nest; addresses drawn near them.
TEST(PrefixTable, AgreesWithBruteForceOnRandomPrefixes) {
  std::mt19937_64 rng(20240611);
  for (int round = 0; round < 40; ++round) {
    std::vector<PrefixTable::Entry> entries;
    const bool v6 = round % 2 == 1;
    const std::size_t bytes = v6 ? 16 : 4;
    const unsigned bits = v6 ? 128 : 32;
    const auto random_address = [&] {
      IpAddress a;
      a.family = v6 ? Family::kIPv6 : Family::kIPv4;
      for (std::size_t i = 0; i < bytes; ++i) a.bytes[i] = static_cast<std::uint8_t>(rng());
      // Cluster: the first bytes come from a small set.
      a.bytes[0] = static_cast<std::uint8_t>(rng() % 3);
      a.bytes[1] = static_cast<std::uint8_t>(rng() % 4);
      return a;
    };
    const std::size_t count = 1 + rng() % 200;
    while (entries.size() < count) {
      IpAddress a = random_address();
      const auto len = static_cast<std::uint8_t>(rng() % (bits + 1));
      for (unsigned b = len; b < bits; ++b) a.bytes[b / 8] &= static_cast<std::uint8_t>(~(0x80u >> (b % 8)));
      const Prefix p{a, len};
      bool dup = false;
      for (const auto& e : entries) dup |= e.prefix == p;
      if (!dup) entries.push_back({p, static_cast<std::uint32_t>(entries.size())});
    }
    const PrefixTable t(entries);
    for (int q = 0; q < 2000; ++q) {
      IpAddress addr = random_address();
      if (q % 3 == 0) {  // inside or at the edge of a random prefix
        const auto& e = entries[rng() % entries.size()];
        addr = e.prefix.address;
        for (unsigned b = e.prefix.length; b < bits; ++b) {
          if ((q & 4) != 0 || (rng() & 1) != 0) addr.bytes[b / 8] |= static_cast<std::uint8_t>(0x80u >> (b % 8));
        }
      }
      std::uint32_t want = PrefixTable::kNoMatch;
      int best = -1;
      for (const auto& e : entries) {
        if (contains(e.prefix, addr) && e.prefix.length > best) {
          best = e.prefix.length;
          want = e.value;
        }
      }
      ASSERT_EQ(t.lookup(addr), want) << "round " << round << " query " << q << " " << addr.to_string();
    }
  }
}

}  // namespace
}  // namespace sipshunt::rules
