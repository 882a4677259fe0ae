// The text helpers the proxy writes and reads SIP with, as tables: sip/writer.hpp (bounded
// Writer, digits, hex, host:port), the one IP literal grammar of common/address.hpp (parse_ipv4,
// parse_ip_literal, both families) and the proxy's private ip_literal.hpp (host_is, ports).
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <random>

#include <string>
#include <string_view>
#include <vector>

#include "ip_literal.hpp"
#include "ipv6_text.hpp"
#include "sipshunt/sip/writer.hpp"

namespace sipshunt::proxy::test {
namespace {

Endpoint ep(const char* text) { return *Endpoint::parse(text); }

TEST(SipWriter, DecimalAndHex) {
  char buf[32];
  EXPECT_EQ(std::string_view(buf, sip::write_decimal(0u, buf)), "0");
  EXPECT_EQ(std::string_view(buf, sip::write_decimal(4294967295u, buf)), "4294967295");
  EXPECT_EQ(std::string_view(buf, sip::write_decimal(std::uint64_t{18446744073709551615ull}, buf)),
            "18446744073709551615");
  EXPECT_EQ(std::string_view(buf, sip::write_decimal(std::uint16_t{5060}, buf)), "5060");
  // Every length and every digit pair, against the standard library.
  std::mt19937_64 rng(12);
  for (std::uint64_t i = 0; i < 200000; ++i) {
    const std::uint64_t v = i < 100000 ? i : rng() >> (rng() % 64);
    ASSERT_EQ(std::string_view(buf, sip::write_decimal(v, buf)), std::to_string(v));
    ASSERT_EQ(sip::decimal_length(v), std::to_string(v).size());
    const auto v32 = static_cast<std::uint32_t>(v);
    ASSERT_EQ(std::string_view(buf, sip::write_decimal(v32, buf)), std::to_string(v32));
  }
  sip::write_hex16(0x0123456789abcdefull, buf);
  EXPECT_EQ(std::string_view(buf, 16), "0123456789abcdef");
  // Every nibble value in every position, against printf, writing exactly 16 octets.
  for (std::uint64_t i = 0; i < 100000; ++i) {
    const std::uint64_t v = i < 256 ? 0x1111111111111111ull * (i & 15) ^ (i >> 4) << (4 * (i & 15)) : rng();
    char expected[17];
    std::snprintf(expected, sizeof expected, "%016llx", static_cast<unsigned long long>(v));
    std::memset(buf, '.', sizeof buf);
    sip::write_hex16(v, buf);
    ASSERT_EQ(std::string_view(buf, 16), std::string_view(expected, 16)) << std::hex << v;
    ASSERT_EQ(buf[16], '.');
  }
}

TEST(SipWriter, CopyBytesEveryLength) {
  char src[80], dst[96];
  for (std::size_t i = 0; i < sizeof src; ++i) src[i] = static_cast<char>('A' + i % 50);
  for (std::size_t n = 0; n <= 64; ++n) {
    std::memset(dst, '.', sizeof dst);
    sip::copy_bytes(dst + 1, src + 3, n);
    EXPECT_EQ(dst[0], '.');
    EXPECT_EQ(std::string_view(dst + 1, n), std::string_view(src + 3, n)) << n;
    EXPECT_EQ(dst[n + 1], '.') << n;
  }
}

// The rewrite's copy: every length through its 32-, 64-, 128-octet cases and the four-move turns,
// from a source that ends where the copy does (an ASan build reports any read past it), writing
// nothing outside [dst, dst + n).
TEST(SipWriter, CopyBytesWideEveryLength) {
  for (std::size_t n = 0; n <= 600; ++n) {
    std::vector<char> src(n + 1);
    for (std::size_t i = 0; i < src.size(); ++i) src[i] = static_cast<char>('A' + (i * 7 + n) % 53);
    std::vector<char> dst(n + 2, '.');
    sip::copy_bytes_wide(dst.data() + 1, src.data() + 1, n);
    ASSERT_EQ(dst[0], '.') << n;
    ASSERT_EQ(std::string_view(dst.data() + 1, n), std::string_view(src.data() + 1, n)) << n;
    ASSERT_EQ(dst[n + 1], '.') << n;
  }
}

TEST(SipWriter, HostPortBracketsIpv6) {
  char buf[kMaxEndpointText];
  EXPECT_EQ(std::string_view(buf, format_endpoint(ep("198.18.0.1:5060"), buf)), "198.18.0.1:5060");
  EXPECT_EQ(std::string_view(buf, format_endpoint(ep("[2001:db8::1]:65535"), buf)), "[2001:db8::1]:65535");
  const Endpoint longest = ep("[1111:2222:3333:4444:5555:6666:255.255.255.255]:65535");
  const std::size_t n = format_endpoint(longest, buf);
  EXPECT_LE(n, kMaxEndpointText);
  EXPECT_EQ(std::string_view(buf, n), longest.to_string());
}

TEST(SipWriter, OverflowWritesNothingMore) {
  char buf[8];
  sip::Writer w(buf, sizeof buf);
  w.put("SIP/");
  w.put_decimal(20u);
  EXPECT_FALSE(w.overflow());
  EXPECT_EQ(std::string_view(buf, w.size()), "SIP/20");
  w.put_decimal(123u);  // three digits, two octets left
  EXPECT_TRUE(w.overflow());
  w.put("x");
  EXPECT_EQ(w.size(), 6u);

  sip::Writer exact(buf, sizeof buf);
  exact.put("12345678");
  EXPECT_FALSE(exact.overflow());
  exact.fail();
  EXPECT_TRUE(exact.overflow());
}

struct LiteralCase {
  std::string_view text;
  bool ipv4;          // parse_ipv4: the whole text is a dotted quad
  const char* ip;     // parse_ip_literal: the address read (inet_pton's reading), nullptr for false
};

// One grammar for both families (common/address.hpp): the whole text is the literal, so a quad
// followed by anything, or an IPv6 address the brackets do not close, is not one.
TEST(IpLiteral, OneGrammarForBothFamilies) {
  const LiteralCase cases[] = {
      {"198.18.0.1", true, "198.18.0.1"},
      {"0.0.0.0", true, "0.0.0.0"},
      {"255.255.255.255", true, "255.255.255.255"},
      {"256.1.1.1", false, nullptr},
      {"1.2.3", false, nullptr},
      {"1.2.3.4.", false, nullptr},
      {"1..2.3", false, nullptr},
      {"1.2.3.0004", false, nullptr},
      {"", false, nullptr},
      {"1host.example.com", false, nullptr},
      {"example.com", false, nullptr},
      {"1.2.3.4:5060", false, nullptr},
      {"1.2.3.4a", false, nullptr},
      {"1.2.3.4x", false, nullptr},
      {"[198.18.0.1]", false, nullptr},
      // IPv6, bare or bracketed (RFC 3261 §25.1 IPv6reference, RFC 5118 §4).
      {"[2001:db8::1]", false, "2001:db8::1"},
      {"2001:db8::1", false, "2001:db8::1"},
      {"::1", false, "::1"},
      {"::", false, "::"},
      {"[::]", false, "::"},
      {"1::", false, "1::"},
      {"fe80::1", false, "fe80::1"},
      {"12ab::1", false, "12ab::1"},
      {"2001:DB8:0:0:0:0:0:9", false, "2001:db8::9"},
      {"1:2:3:4:5:6:7:8", false, "1:2:3:4:5:6:7:8"},
      {"2001:db8::9:255", false, "2001:db8::9:255"},
      {"2001:db8::10:5070", false, "2001:db8::10:5070"},
      {"[2001:db8::192.0.2.1]", false, "2001:db8::c000:201"},   // RFC 5118 §4.10, two colons
      {"::ffff:192.0.2.128", false, "::ffff:192.0.2.128"},       // RFC 5118 §4.9
      {"1:2:3:4:5:6:1.2.3.4", false, "1:2:3:4:5:6:102:304"},
      {"[2001:db8:::192.0.2.1]", false, nullptr},               // RFC 5118 §4.10, three colons
      {"1:2:3:4:5:6:7:8:9", false, nullptr},
      {"1:2:3:4:5:6:7::8", false, nullptr},
      {"1:2:3:4:5:6:7", false, nullptr},
      {"1:2:3:4:5:6:7:1.2.3.4", false, nullptr},
      {"12345::1", false, nullptr},
      {"1:::2", false, nullptr},
      {"1::2::3", false, nullptr},
      {":1::2", false, nullptr},
      {"1::2:", false, nullptr},
      {"::ffff:1.2.3", false, nullptr},
      {"::1.2.3.4x", false, nullptr},
      {"fe80::1%eth0", false, nullptr},
      {"[2001:db8::1", false, nullptr},
      {"2001:db8::1]", false, nullptr},
      {"[2001:db8::1]:5060", false, nullptr},
      {"g::1", false, nullptr},
  };
  for (const LiteralCase& c : cases) {
    std::uint32_t v = 0;
    EXPECT_EQ(parse_ipv4(c.text, v), c.ipv4) << c.text;
    IpAddress ip;
    const bool parsed = parse_ip_literal(c.text, ip);
    EXPECT_EQ(parsed, c.ip != nullptr) << c.text;
    EXPECT_EQ(IpAddress::parse(c.text).has_value(), c.ip != nullptr) << c.text;
    if (parsed && c.ip != nullptr) {
      EXPECT_EQ(ip.to_string(), c.ip) << c.text;
    }
    if (c.ipv4) {
      EXPECT_EQ(IpAddress::v4(v).to_string(), c.ip) << c.text;
    }
  }
}

// Random IPv6-looking texts: our reading equals inet_pton's (the libc the project used before)
// whenever no dotted quad is involved (inet_pton refuses leading zeros in a quad, SIP allows them).
TEST(IpLiteral, Ipv6AgreesWithInetPton) {
  std::mt19937 rng(5118);
  const std::string alphabet = "0123456789abcdefABCDEF::::";
  int accepted = 0;
  for (int round = 0; round < 200000; ++round) {
    std::string text;
    const std::size_t n = 2 + rng() % 24;
    for (std::size_t i = 0; i < n; ++i) text.push_back(alphabet[rng() % alphabet.size()]);
    std::array<std::uint8_t, 16> expected{};
    const bool libc = inet_pton(AF_INET6, text.c_str(), expected.data()) == 1;
    IpAddress ip;
    const bool ours = parse_ip_literal(text, ip);
    ASSERT_EQ(ours, libc) << text;
    if (ours) {
      ++accepted;
      EXPECT_EQ(ip.bytes, expected) << text;
    }
  }
  EXPECT_GT(accepted, 100);
}

// parse_ipv6() tries the usual shape first (detail::parse_ipv6_groups) and hands every other text
// to the general parser: which texts the fast path decides, and that it reads them as the general
// parser does.
TEST(IpLiteral, Ipv6FastPathTakesTheUsualShapeOnly) {
  const struct {
    std::string_view text;
    bool fast;
  } cases[] = {
      {"2001:db8::1", true},   {"[2001:db8::1]", true},     {"::", true},        {"[::]", true},
      {"::1", true},           {"1::", true},               {"1:2:3:4:5:6:7:8", true},
      {"2001:DB8:0:0:0:0:0:9", true}, {"fe80::1:0:0:1", true}, {"0000:0:0::ffff", true},
      // Left to the general parser: dotted quads, and every malformed text.
      {"::ffff:192.0.2.128", false}, {"[2001:db8::192.0.2.1]", false}, {"1:2:3:4:5:6:1.2.3.4", false},
      {"198.18.0.1", false},   {"", false},                 {":", false},        {"[]", false},
      {"12345::1", false},     {"1:::2", false},            {"1::2::3", false},  {":1::2", false},
      {"1::2:", false},        {"1:2:3:4:5:6:7", false},    {"1:2:3:4:5:6:7:8:9", false},
      {"1:2:3:4:5:6:7::8", false}, {"[2001:db8::1", false}, {"2001:db8::1]", false}, {"[[::1]]", false},
      {"g::1", false},         {"fe80::1%eth0", false},     {"[2001:db8::1]:5060", false},
  };
  for (const auto& c : cases) {
    IpAddress fast, general;
    fast.family = Family::kNone;
    const bool took = sipshunt::detail::parse_ipv6_groups(c.text, fast);
    EXPECT_EQ(took, c.fast) << c.text;
    if (!took) {
      EXPECT_EQ(fast.family, Family::kNone) << c.text << ": written although refused";
      continue;
    }
    ASSERT_TRUE(sipshunt::detail::parse_ipv6_general(c.text, general)) << c.text;
    EXPECT_EQ(fast, general) << c.text;
  }
}

TEST(IpLiteral, Ipv6FastPathAgreesWithTheGeneralParser) {
  std::mt19937 rng(4291);
  const std::string alphabet = "0123456789abcdefABCDEF:::::..[]g";
  int fast = 0;
  for (int round = 0; round < 300000; ++round) {
    std::string text;
    if (round % 2 == 0) {  // random octets of the alphabet
      const std::size_t n = rng() % 46;
      for (std::size_t i = 0; i < n; ++i) text.push_back(alphabet[rng() % alphabet.size()]);
    } else {  // an address as format_ip writes it (every zero-run shape), maybe bracketed or in capitals
      IpAddress ip;
      ip.family = Family::kIPv6;
      for (std::size_t g = 0; g < 16; ++g) ip.bytes[g] = (rng() & 1) != 0 ? 0 : static_cast<std::uint8_t>(rng());
      text = ip.to_string();
      if ((rng() & 3) == 0) text = "[" + text + "]";
      if ((rng() & 3) == 0) {
        for (char& ch : text) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      }
    }
    IpAddress a, b;
    const bool general = sipshunt::detail::parse_ipv6_general(text, a);
    if (sipshunt::detail::parse_ipv6_groups(text, b)) {
      ++fast;
      ASSERT_TRUE(general) << text;
      ASSERT_EQ(a, b) << text;
    }
    IpAddress c;
    ASSERT_EQ(parse_ipv6(text, c), general) << text;
    if (general) {
      ASSERT_EQ(c, a) << text;
    }
  }
  EXPECT_GT(fast, 100000);
}

TEST(IpLiteral, HostIsComparesTheWholeLiteral) {
  EXPECT_TRUE(detail::host_is("198.18.0.1", *IpAddress::parse("198.18.0.1")));
  EXPECT_FALSE(detail::host_is("198.18.0.1:5060", *IpAddress::parse("198.18.0.1")));
  EXPECT_FALSE(detail::host_is("198.18.0.10", *IpAddress::parse("198.18.0.1")));
  EXPECT_TRUE(detail::host_is("[2001:db8::1]", *IpAddress::parse("2001:db8::1")));
  EXPECT_FALSE(detail::host_is("[2001:db8::2]", *IpAddress::parse("2001:db8::1")));
}

TEST(IpLiteral, Port) {
  std::uint16_t p = 0;
  EXPECT_TRUE(detail::parse_port("5060", p));
  EXPECT_EQ(p, 5060);
  EXPECT_TRUE(detail::parse_port("65535", p));
  EXPECT_FALSE(detail::parse_port("0", p));
  EXPECT_FALSE(detail::parse_port("65536", p));
  EXPECT_FALSE(detail::parse_port("123456", p));
  EXPECT_FALSE(detail::parse_port("", p));
  EXPECT_FALSE(detail::parse_port("50a", p));
}

}  // namespace
}  // namespace sipshunt::proxy::test
