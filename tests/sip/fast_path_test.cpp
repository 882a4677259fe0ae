// The Via and Route fast paths against their general decoders, called directly (the grammars are
// private headers with internal linkage, compiled into this test as into message.cpp): every
// value a fast path takes must decode exactly as the general decoder decodes it, and the shapes
// it must refuse (LWS, malformed or unterminated IPv6 references, bracketed parameter values) must
// be handed on. Each value is placed at every offset of a 64-octet block, in a 64- and a 128-octet
// window.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"  // the list decoders of the headers
#include "../../src/sip/route.hpp"
#include "../../src/sip/via.hpp"
#pragma GCC diagnostic pop

namespace sipshunt::sip::detail {
namespace {

// A value placed after `pad` octets and followed by CRLF, with the delimiter masks the driver stores.
struct Placed {
  std::string text;
  std::vector<std::uint64_t> sp;
  Blocks blocks;
  std::size_t p;
  std::size_t e;

  Placed(std::string_view value, std::size_t pad) : text(std::string(pad, 'x') + std::string(value) + "\r\n") {
    for (std::size_t off = 0; off < text.size(); off += 64) {
      sp.push_back(special_mask(text.data() + off, text.size() - off, text.size() - off));
    }
    blocks = Blocks{text.data(), text.size(), sp.data(), sp.size()};
    p = pad;
    e = pad + value.size();
  }
};

// The decoders' way to choose the window (element.hpp decode_with_fast_path).
template <auto Fast64, auto Fast128, class Out>
std::size_t fast(const Placed& v, Out& out) {
  return v.e - v.p < 64 ? Fast64(v.blocks, v.text.data(), v.p, v.e - v.p, out)
                        : Fast128(v.blocks, v.text.data(), v.p, v.e - v.p, out);
}

template <auto General, class Out>
std::size_t general(const Placed& v, Out& out) {
  Cursor c(v.blocks, v.p, v.e);
  return General(c, v.text.data(), v.p, v.e, out);
}

// Each case alone and with a parameter after it that makes it 110 octets long (the 128-octet window).
std::vector<std::string> shapes(std::string_view value) {
  const std::size_t fill = value.size() < 100 ? 100 - value.size() : 1;
  return {std::string(value), std::string(value) + ";x-long=" + std::string(fill, 'l')};
}

struct Case {
  std::string_view value;
  bool fast;  // the fast path takes it
};

// One value at one offset: whether the fast path takes it; what it takes must end where the
// general decoder ends and decode as `same` compares.
template <auto Fast64, auto Fast128, auto General, class Out, class Same>
bool taken_as_general(std::string_view value, std::size_t pad, Same same) {
  SCOPED_TRACE(std::string(value) + " at " + std::to_string(pad));
  const Placed v(value, pad);
  Out f{}, g{};
  const std::size_t qf = fast<Fast64, Fast128>(v, f);
  if (qf == kNpos) return false;
  EXPECT_EQ(qf, general<General>(v, g));
  same(f, g);
  return true;
}

void same_via(const Via& f, const Via& g) {
  EXPECT_EQ(f.value, g.value);
  EXPECT_EQ(f.protocol, g.protocol);
  EXPECT_EQ(f.version, g.version);
  EXPECT_EQ(f.transport, g.transport);
  EXPECT_EQ(f.host, g.host);
  EXPECT_EQ(f.port, g.port);
  EXPECT_EQ(f.has_port, g.has_port);
  EXPECT_EQ(f.has_branch, g.has_branch);
  EXPECT_EQ(f.branch, g.branch);
  EXPECT_EQ(f.has_received, g.has_received);
  EXPECT_EQ(f.received, g.received);
  EXPECT_EQ(f.has_rport, g.has_rport);
  EXPECT_EQ(f.rport, g.rport);
  EXPECT_EQ(f.has_maddr, g.has_maddr);
  EXPECT_EQ(f.maddr, g.maddr);
  EXPECT_EQ(f.params, g.params);
}

void same_route(const RouteValue& f, const RouteValue& g) {
  EXPECT_EQ(f.value, g.value);
  EXPECT_EQ(f.uri.raw, g.uri.raw);
  EXPECT_EQ(f.uri.scheme, g.uri.scheme);
  EXPECT_EQ(f.uri.user, g.uri.user);
  EXPECT_EQ(f.uri.password, g.uri.password);
  EXPECT_EQ(f.uri.host, g.uri.host);
  EXPECT_EQ(f.uri.port, g.uri.port);
  EXPECT_EQ(f.uri.has_port, g.uri.has_port);
  EXPECT_EQ(f.uri.is_sip, g.uri.is_sip);
  EXPECT_EQ(f.uri.lr, g.uri.lr);
  EXPECT_EQ(f.uri.params, g.uri.params);
  EXPECT_EQ(f.uri.headers, g.uri.headers);
}

// Random octets from an alphabet (a fixed linear congruential sequence: the same every run).
struct RandomText {
  std::uint32_t seed;
  std::uint32_t next() {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
  }
  std::string text(std::string_view alphabet, std::size_t len) {
    std::string out;
    for (std::size_t k = 0; k < len; ++k) out += alphabet[next() % alphabet.size()];
    return out;
  }
};

// Every case in both shapes at every offset: the fast path takes it or not as the case says, and
// what it takes ends where the general decoder ends and decodes as `same` compares.
template <auto Fast64, auto Fast128, auto General, class Out, std::size_t N, class Same>
void check_against_general(const Case (&cases)[N], Same same) {
  int taken = 0, refused = 0;
  for (const Case& c : cases) {
    for (const std::string& value : shapes(c.value)) {
      for (std::size_t pad = 0; pad < 64; ++pad) {
        SCOPED_TRACE(value + " at " + std::to_string(pad));
        const Placed v(value, pad);
        Out f{}, g{};
        const std::size_t qf = fast<Fast64, Fast128>(v, f);
        const std::size_t qg = general<General>(v, g);
        ASSERT_EQ(qf != kNpos, c.fast);
        if (qf == kNpos) {
          ++refused;
          continue;
        }
        ++taken;
        ASSERT_EQ(qf, qg);
        same(f, g);
      }
    }
  }
  EXPECT_GT(taken, 0);
  EXPECT_GT(refused, 0);
}

TEST(ViaFastPath, Ipv6SentByDecodesAsTheGeneralDecoderDoes) {
  const Case cases[] = {
      {"SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1;rport", true},
      {"SIP/2.0/UDP [2001:db8:18::10]:5060;branch=z9hG4bK776asdhds.1;rport", true},
      {"SIP/2.0/UDP [2001:db8::1];branch=z9hG4bK1", true},
      {"SIP/2.0/UDP [::1]", true},
      {"SIP/2.0/UDP [::1]:5062", true},
      {"SIP/2.0/TCP [2001:DB8::A]:5061;branch=z9hG4bKa;received=198.18.0.1;maddr=x", true},
      {"SIP/2.0/UDP [::ffff:192.0.2.1]:5060;branch=z9hG4bKq", true},  // RFC 5118 §4.9 (a quad in the reference)
      {"SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1, SIP/2.0/UDP [2001:db8::2]", true},  // stops at ','
      {"SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK1", true},                                // IPv4 as before
      // RFC 3261 §20.42 via-received: an IPv6 address, unbracketed.
      {"SIP/2.0/UDP [2001:db8::1]:5060;received=2001:db8::2", true},
      {"SIP/2.0/UDP [2001:db8:18::10]:5060;branch=z9hG4bK1;rport=5060;received=2001:db8:18::10", true},
      {"SIP/2.0/UDP 198.18.0.1:5060;received=::ffff:198.18.0.1;rport=5060", true},
      {"SIP/2.0/UDP [2001:db8::1];received=::;branch=z9hG4bK1", true},
      {"SIP/2.0/UDP [2001:db8::1];received=2001:db8::2, SIP/2.0/UDP [::2]", true},
      {"SIP/2.0/UDP [2001:db8::1];received=2001:, SIP/2.0/UDP [::2]", true},  // as the general decoder reads it
      // Handed to the general decoder, which accepts or refuses them.
      {"SIP/2.0/UDP [2001:db8::1]:5060;received=[2001:db8::2]", false},
      {"SIP/2.0/UDP [2001:db8::1]:5060;received=2001:db8::[2]", false},
      {"SIP/2.0/UDP [2001:db8::1]:5060;received=:2", true},  // as the general decoder reads it
      {"SIP/2.0/UDP [2001:db8::1]:5060;received=2001:db8::2 ;rport", false},
      {"SIP/2.0/UDP [2001:db8::1]:5060;received=2001:db8::2/x", false},
      {"SIP/2.0/UDP [2001:db8::1]:5060;a:b=2001:db8::2", false},     // ':' in a name
      {"SIP/2.0/UDP [2001:db8::1] :5060;branch=z9hG4bK1", false},  // LWS after the host
      {"SIP/2.0/UDP [2001:db8::1]:5060 ;branch=z9hG4bK1", false},
      {"SIP/2.0/UDP [2001:db8::1", false},                          // unterminated
      {"SIP/2.0/UDP [2001:db8::1;branch=z9hG4bK1", false},
      {"SIP/2.0/UDP []:5060", false},                               // empty
      {"SIP/2.0/UDP [2001:db8::g]:5060", false},                    // not hex
      {"SIP/2.0/UDP [2001:db8::1]x;branch=z9hG4bK1", false},        // no delimiter after ']'
      {"SIP/2.0/UDP [2001:db8::1]]", false},
      {"SIP/2.0/UDP [2001:db8::1]:;branch=z9hG4bK1", false},        // empty port
      {"SIP/2.0/UDP [2001:db8::1]:65536", false},
      {"SIP/2.0/UDP [[2001:db8::1]]", false},
      {"SIP/2.0/UDP  [2001:db8::1]", false},                        // two SP
  };
  check_against_general<via_fast<std::uint64_t>, via_fast<Mask2x64>, via_general, Via>(cases, same_via);
}

// Parameter values drawn from the octets that end or continue a value (':' '[' ']' ',' ';' '=' SP
// '"' '/' and hex digits), 20 000 of them: whatever the fast path takes decodes as the general
// decoder decodes it.
TEST(ViaFastPath, ParameterValuesWithColonsDecodeAsTheGeneralDecoderDoes) {
  RandomText random{0x5eed15u};
  int taken = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string value = "SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1;received=" +
                              random.text("0123456789abcdefABCDEF:::::..[],;= \"/x", 1 + random.next() % 40) +
                              (random.next() % 2 == 0 ? ";rport" : "");
    taken += taken_as_general<via_fast<std::uint64_t>, via_fast<Mask2x64>, via_general, Via>(value, random.next() % 64,
                                                                                            same_via);
  }
  EXPECT_GT(taken, 1000);
}

// IPv6 references drawn from the octets that may stand in one and those that end or break it
// (fast_ipv6_ref: with SIMD, classified 16 at a time by their nibbles, so the neighbours of the
// accepted ranges are among them), 20 000 Via and 20 000 Route values at random offsets: whatever
// the fast path takes decodes as the general decoder decodes it, and the usual shapes are taken.
TEST(FastPaths, RandomIpv6ReferencesDecodeAsTheGeneralDecodersDo) {
  RandomText random{0x5118u};
  int via_taken = 0, route_taken = 0;
  for (int i = 0; i < 40000; ++i) {
    std::string ref(1, '[');
    ref += random.text("0123456789abcdefABCDEF::::::....gG-_~]]]][ ;,/@`\x0e\x1a\x80\xff", random.next() % 48);
    if (random.next() % 4 != 0) ref += "]";
    if (random.next() % 2 == 0) ref += ":5060";
    if (i % 2 == 0) {
      via_taken += taken_as_general<via_fast<std::uint64_t>, via_fast<Mask2x64>, via_general, Via>(
          "SIP/2.0/UDP " + ref + ";branch=z9hG4bK1;rport", random.next() % 64, same_via);
    } else {
      route_taken += taken_as_general<route_fast<std::uint64_t>, route_fast<Mask128>, route_general, RouteValue>(
          "<sip:" + ref + ";lr>", random.next() % 64, same_route);
    }
  }
  EXPECT_GT(via_taken, 100);
  EXPECT_GT(route_taken, 100);
  for (std::string_view ref : {"[2001:db8::32:60]", "[::1]", "[2001:db8:18:0:0:0:0:10]", "[::ffff:198.18.0.1]",
                               "[2001:0db8:0000:0000:0000:ff00:0042:8329]"}) {
    const Placed v("SIP/2.0/UDP " + std::string(ref) + ":5064;branch=z9hG4bK1;rport", 5);
    Via f{};
    ASSERT_NE((fast<via_fast<std::uint64_t>, via_fast<Mask2x64>>(v, f)), kNpos) << ref;
    EXPECT_EQ(f.host, ref);
  }
}

TEST(ViaFastPath, Ipv6ReceivedIsTakenWhole) {
  const Placed v("SIP/2.0/UDP [2001:db8:18::10]:5060;branch=z9hG4bK1;rport=5060;received=2001:db8:18::10", 3);
  Via f{};
  ASSERT_NE((fast<via_fast<std::uint64_t>, via_fast<Mask2x64>>(v, f)), kNpos);
  EXPECT_EQ(f.received, "2001:db8:18::10");
  EXPECT_EQ(f.rport, "5060");
}

TEST(ViaFastPath, Ipv6HostKeepsItsBrackets) {
  const Placed v("SIP/2.0/UDP [2001:db8:18::10]:5060;branch=z9hG4bK776asdhds.1;rport", 7);
  Via f{};
  ASSERT_NE((fast<via_fast<std::uint64_t>, via_fast<Mask2x64>>(v, f)), kNpos);
  EXPECT_EQ(f.host, "[2001:db8:18::10]");
  EXPECT_EQ(f.port, 5060);
  EXPECT_EQ(f.branch, "z9hG4bK776asdhds.1");
  EXPECT_TRUE(f.has_rport);
}

TEST(RouteFastPath, Ipv6HostDecodesAsTheGeneralDecoderDoes) {
  const Case cases[] = {
      {"<sip:[2001:db8::7]:5080;lr>", true},
      {"<sip:[2001:db8::7];lr;sipshunt-b=b2>", true},
      {"<sip:alice@[2001:db8::7]:5080;lr>", true},
      {"<sip:[2001:db8::7]:5080;lr>;x=1", true},
      {"<sip:[::1]>", true},
      {"<sip:[2001:db8::7]:5080;lr>,<sip:198.18.0.1;lr>", true},
      {"<sip:198.18.0.1:5060;lr;sipshunt-b=b2>", true},  // IPv4 as before
      // Handed to the general decoder.
      {"<sip:[2001:db8::7>", false},
      {"<sip:[2001:db8::7]x;lr>", false},
      {"<sip:[2001:db8::7]@h>", false},
      {"<sip:[]:5080>", false},
      {"<sip:[2001:db8::7];maddr=[2001:db8::8]>", false},
      {"<sip:[2001:db8::7];maddr=2001:db8::8>", false},
      {"<sip:[2001:db8::z]>", false},
      {"<sip:[2001:db8::7]?subject=x>", false},
      {"<sip:[2001:db8::7]:5080 ;lr>", false},
  };
  check_against_general<route_fast<std::uint64_t>, route_fast<Mask128>, route_general, RouteValue>(cases,
                                                                                           same_route);
}

// The fast paths' four-octet port (lexical.hpp port4) against the octet loop (parse_port), over
// every four-octet string of digits and the octets around the digit range and the word's carries
// and borrows.
TEST(FastPaths, FourOctetPortDecodesAsTheOctetLoop) {
  const unsigned char octets[] = {0x00, ' ', '/', '0', '1', '2', '3', '4', '5', '6', '7',
                                  '8', '9', ':', ';', 'a', 0x7f, 0x80, 0xb9, 0xba, 0xc9, 0xff};
  char s[4];
  for (unsigned char a : octets)
    for (unsigned char b : octets)
      for (unsigned char c : octets)
        for (unsigned char d : octets) {
          s[0] = static_cast<char>(a), s[1] = static_cast<char>(b), s[2] = static_cast<char>(c), s[3] = static_cast<char>(d);
          std::uint16_t want = 0, got = 0;
          const bool loop = parse_port(s, 0, 4, want) == 4;
          ASSERT_EQ(port4(s, got), loop) << std::string(s, 4);
          if (loop) {
            ASSERT_EQ(got, want) << std::string(s, 4);
          }
        }
}

}  // namespace
}  // namespace sipshunt::sip::detail
