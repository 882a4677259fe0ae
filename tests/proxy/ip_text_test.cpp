// format_ip's text against libc's inet_ntop, both families. Built twice (meson.build): into
// proxy_test at the build's instruction set, and with SSSE3 (so AVX2) off (its own copy of
// src/common/address.cpp), so the AVX2 and the table-load forms of the IPv6 groups are both
// checked (the Debian package is built for plain x86-64).
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "sipshunt/common/address.hpp"

namespace sipshunt::test {
namespace {

// format_ip writes IPv6 by hand (RFC 5952): the same text as libc's inet_ntop for random
// addresses whose 16-bit groups are mostly zero (every zero-run shape), and the special forms.
TEST(IpText, Ipv6AgreesWithInetNtop) {
  std::mt19937 rng(5952);
  for (int round = 0; round < 200000; ++round) {
    IpAddress ip;
    ip.family = Family::kIPv6;
    for (std::size_t g = 0; g < 8; ++g) {
      const unsigned r = rng();
      const unsigned word = (r & 3) != 0 ? 0 : (r >> 2) % 5 == 0 ? 0xffff : (r >> 8) & ((1u << ((r >> 4) % 17)) - 1);
      ip.bytes[2 * g] = static_cast<std::uint8_t>(word >> 8);
      ip.bytes[2 * g + 1] = static_cast<std::uint8_t>(word);
    }
    char expected[INET6_ADDRSTRLEN];
    ASSERT_NE(inet_ntop(AF_INET6, ip.bytes.data(), expected, sizeof expected), nullptr);
    char ours[64];
    ASSERT_EQ(std::string(ours, format_ip(ip, ours)), expected);
  }
  for (int round = 0; round < 100000; ++round) {  // uniform groups
    IpAddress ip;
    ip.family = Family::kIPv6;
    for (auto& octet : ip.bytes) octet = static_cast<std::uint8_t>(rng());
    char expected[INET6_ADDRSTRLEN];
    ASSERT_NE(inet_ntop(AF_INET6, ip.bytes.data(), expected, sizeof expected), nullptr);
    char ours[64];
    ASSERT_EQ(std::string(ours, format_ip(ip, ours)), expected);
  }
  for (const char* text : {"::", "::1", "::ffff:198.18.0.1", "::198.18.0.1", "2001:db8::", "1::", "2001:db8:0:1:1:1:1:1",
                           "2001:0:0:1::1", "fe80::1:0:0:1", "1:2:3:4:5:6:7:8"}) {
    EXPECT_EQ(IpAddress::parse(text)->to_string(), text);
  }
}

// IPv4 text from a table of octets: the same as inet_ntop for every value of each octet.
TEST(IpText, Ipv4AgreesWithInetNtop) {
  std::mt19937 rng(791);
  for (int round = 0; round < 100000; ++round) {
    const std::uint32_t a = round < 256 ? static_cast<std::uint32_t>(round) * 0x01010101u : rng();
    const IpAddress ip = IpAddress::v4(a);
    char expected[INET_ADDRSTRLEN];
    ASSERT_NE(inet_ntop(AF_INET, ip.bytes.data(), expected, sizeof expected), nullptr);
    char ours[64];
    ASSERT_EQ(std::string(ours, format_ip(ip, ours)), expected);
  }
}

}  // namespace
}  // namespace sipshunt::test
