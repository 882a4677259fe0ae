// The HEP3 encoder, byte for byte: every chunk's vendor, type, length and value as the HEP
// specification and Wireshark's HEP dissector read them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sipshunt/mirror/hep.hpp"

namespace sipshunt::mirror {
namespace {

Endpoint ep(const char* text) {
  auto e = Endpoint::parse(text);
  EXPECT_TRUE(e.has_value()) << text;
  return e.value_or(Endpoint{});
}

std::vector<unsigned char> bytes(const std::string& s) { return {s.begin(), s.end()}; }

TEST(Hep3, Ipv4MessageIsByteExact) {
  HepMessage m;
  m.source = ep("198.18.0.2:5061");
  m.destination = ep("198.18.0.1:5060");
  m.seconds = 0x01020304;
  m.microseconds = 999999;  // 0x000f423f
  m.agent_id = 2001;        // 0x000007d1
  m.payload = "OPTIONS";
  std::string out;
  ASSERT_TRUE(encode_hep3(m, out));
  const std::vector<unsigned char> want = {
      'H', 'E', 'P', '3', 0x00, 0x6a,                         // total length 106
      0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x02,                // family: AF_INET
      0x00, 0x00, 0x00, 0x02, 0x00, 0x07, 0x11,                // protocol: UDP
      0x00, 0x00, 0x00, 0x03, 0x00, 0x0a, 198, 18, 0, 2,       // IPv4 source
      0x00, 0x00, 0x00, 0x04, 0x00, 0x0a, 198, 18, 0, 1,       // IPv4 destination
      0x00, 0x00, 0x00, 0x07, 0x00, 0x08, 0x13, 0xc5,          // source port 5061
      0x00, 0x00, 0x00, 0x08, 0x00, 0x08, 0x13, 0xc4,          // destination port 5060
      0x00, 0x00, 0x00, 0x09, 0x00, 0x0a, 0x01, 0x02, 0x03, 0x04,  // seconds
      0x00, 0x00, 0x00, 0x0a, 0x00, 0x0a, 0x00, 0x0f, 0x42, 0x3f,  // microseconds
      0x00, 0x00, 0x00, 0x0b, 0x00, 0x07, 0x01,                // protocol type: SIP
      0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x00, 0x07, 0xd1,  // capture agent id
      0x00, 0x00, 0x00, 0x0f, 0x00, 0x0d, 'O', 'P', 'T', 'I', 'O', 'N', 'S',  // payload
  };
  EXPECT_EQ(bytes(out), want);
  EXPECT_EQ(out.size(), 106u);
}

TEST(Hep3, Ipv6AddressesAndOptionalChunks) {
  HepMessage m;
  m.source = ep("[2001:db8::1]:5060");
  m.destination = ep("[2001:db8::2]:5070");
  m.agent_id = 1;
  m.auth_key = "pw";
  m.correlation_id = "c1";
  m.payload = "X";
  std::string out;
  ASSERT_TRUE(encode_hep3(m, out));
  const std::vector<unsigned char> head = {'H', 'E', 'P', '3', 0x00, 0x8c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x0a};
  ASSERT_GE(out.size(), head.size());
  EXPECT_EQ(std::vector<unsigned char>(out.begin(), out.begin() + 13), head);
  const std::vector<unsigned char> src = {0x00, 0x00, 0x00, 0x05, 0x00, 0x16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                          0,    0,    0,    0,    0,    0,    0,    1};
  EXPECT_EQ(std::vector<unsigned char>(out.begin() + 20, out.begin() + 42), src);
  EXPECT_EQ(static_cast<unsigned char>(out[42 + 3]), 0x06);  // IPv6 destination follows
  EXPECT_EQ(static_cast<unsigned char>(out[42 + 21]), 0x02);
  // The optional chunks come before the payload, the payload last.
  const std::string tail = out.substr(out.size() - (6 + 2) - (6 + 2) - (6 + 1));
  const std::vector<unsigned char> want_tail = {0x00, 0x00, 0x00, 0x0e, 0x00, 0x08, 'p', 'w',
                                                0x00, 0x00, 0x00, 0x11, 0x00, 0x08, 'c', '1',
                                                0x00, 0x00, 0x00, 0x0f, 0x00, 0x07, 'X'};
  EXPECT_EQ(bytes(tail), want_tail);
  EXPECT_EQ(out.size(), 140u);
}

TEST(Hep3, MixedFamiliesAreWrittenAsIpv4MappedIpv6) {
  HepMessage m;
  m.source = ep("198.18.0.2:5060");
  m.destination = ep("[2001:db8::2]:5060");
  m.payload = "X";
  std::string out;
  ASSERT_TRUE(encode_hep3(m, out));
  EXPECT_EQ(static_cast<unsigned char>(out[12]), 10);  // AF_INET6
  const std::vector<unsigned char> mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 18, 0, 2};
  EXPECT_EQ(std::vector<unsigned char>(out.begin() + 26, out.begin() + 42), mapped);
}

TEST(Hep3, RefusesWhatDoesNotFitOrHasNoAddress) {
  HepMessage m;
  m.source = ep("198.18.0.2:5060");
  m.destination = ep("198.18.0.1:5060");
  const std::string big(70000, 'x');
  m.payload = big;
  std::string out = "stale";
  EXPECT_FALSE(encode_hep3(m, out));
  EXPECT_TRUE(out.empty());
  m.payload = "X";
  m.destination = Endpoint{};
  EXPECT_FALSE(encode_hep3(m, out));
}

}  // namespace
}  // namespace sipshunt::mirror
