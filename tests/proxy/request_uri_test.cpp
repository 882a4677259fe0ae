// The Request-URI checks of src/proxy/request_uri.hpp (RFC 5118 §4.2 unbracketed IPv6 host, the
// '@' strict routing tests) against a plain reading of the rule, for every shape of URI, with the
// URI placed where the vector loads run (octets after it that are ':' and '@', which must not
// count) and at the very end of its buffer (the octet scans).
#include <gtest/gtest.h>

#include <cctype>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "request_uri.hpp"

namespace sipshunt::proxy::test {
namespace {

bool lower_prefix(std::string_view s, std::string_view p) {
  if (s.size() < p.size()) return false;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (static_cast<char>(std::tolower(static_cast<unsigned char>(s[i]))) != p[i]) return false;
  return true;
}

// The rule read plainly: a sip/sips URI whose host (after the last '@' before the first ';' or
// '?') is not bracketed and holds more than one ':'.
bool reference_unbracketed(std::string_view uri) {
  std::size_t at;
  if (lower_prefix(uri, "sip:") && uri.size() > 4) {
    at = 4;
  } else if (lower_prefix(uri, "sips:") && uri.size() > 5) {
    at = 5;
  } else {
    return false;
  }
  std::string_view rest = uri.substr(at);
  rest = rest.substr(0, std::min(rest.find(';'), rest.find('?')));
  if (const auto a = rest.rfind('@'); a != std::string_view::npos) rest = rest.substr(a + 1);
  if (!rest.empty() && rest[0] == '[') return false;
  std::size_t colons = 0;
  for (char ch : rest) colons += ch == ':';
  return colons > 1;
}

struct Placed {
  detail::RequestUriShape vector_path, end_of_buffer;
};

Placed shapes(const std::string& uri) {
  // Followed by 64 octets of ':' and '@': the loads see them and must leave them out.
  std::string roomy = uri + std::string(32, ':') + std::string(32, '@');
  Placed p;
  p.vector_path = detail::request_uri_shape(std::string_view(roomy.data(), uri.size()), roomy.data() + roomy.size());
  auto exact = std::make_unique<char[]>(uri.size() + 1);
  std::memcpy(exact.get(), uri.data(), uri.size());
  p.end_of_buffer = detail::request_uri_shape(std::string_view(exact.get(), uri.size()), exact.get() + uri.size());
  return p;
}

void expect(const std::string& uri, bool unbracketed, bool has_at) {
  const Placed p = shapes(uri);
  EXPECT_EQ(p.vector_path.unbracketed_ipv6, unbracketed) << uri;
  EXPECT_EQ(p.vector_path.has_at, has_at) << uri;
  EXPECT_EQ(p.end_of_buffer.unbracketed_ipv6, unbracketed) << uri;
  EXPECT_EQ(p.end_of_buffer.has_at, has_at) << uri;
}

TEST(RequestUri, Rfc5118Shapes) {
  expect("sip:2001:db8::10", true, false);
  expect("SIP:2001:db8::10", true, false);
  expect("sips:2001:db8::10", true, false);
  expect("SiPs:2001:db8::10;transport=tls", true, false);
  expect("sip:alice@2001:db8::10", true, true);
  expect("sip:alice:secret@2001:db8::10", true, true);
  expect("sip:alice@2001:db8::10;user=phone", true, true);
  expect("sip:alice@2001:db8::10?subject=x", true, true);
  expect("sip:alice@[2001:db8::10]", false, true);
  expect("sip:alice@[2001:db8::10]:5060;maddr=[2001:db8::1]", false, true);
  expect("sip:[2001:db8::10]:5060", false, false);
  expect("sips:[2001:db8::10]", false, false);
  expect("sip:alice:secret@198.18.0.1:5060", false, true);
  expect("sip:bob@biloxi.example.com", false, true);
  expect("sip:+13105550000@198.18.0.1:5060;user=phone", false, true);
  expect("sip:198.18.0.1:5060;lr;sipshunt-b=a", false, false);
  expect("sip:host;a=1:2:3", false, false);  // the ':' are in a parameter
  expect("sip:host?h=1:2:3", false, false);  // in a header
  expect("tel:+1:2:3", false, false);
  expect("urn:service:sos", false, false);
  expect("sipx:2001:db8::10", false, false);
  expect("sip:", false, false);
  expect("s", false, false);
  // Around the 32- and 64-octet loads: the IPv6 host's last ':' at octet 31, 32, 63, 64 ...
  for (std::size_t pad = 0; pad < 70; ++pad) {
    const std::string user(pad, 'u');
    expect("sip:" + user + "@2001:db8::10", true, true);
    expect("sip:" + user + "@[2001:db8::10]:5060", false, true);
    expect("sip:" + user + "@198.18.0.1:5060", false, true);
    expect("sip:" + user + "x:1", false, false);
    expect("sip:2001:db8::" + user, true, false);
  }
}

TEST(RequestUri, RandomAgainstTheRule) {
  std::mt19937 rng(5118);
  const char alphabet[] = "::::@@;?[]aS1.";
  const char* const schemes[] = {"sip:", "SIPS:", "sips:", "tel:", "sip", ""};
  for (int round = 0; round < 40000; ++round) {
    std::string uri = schemes[rng() % 6];
    const std::size_t n = rng() % 80;
    for (std::size_t i = 0; i < n; ++i) uri += alphabet[rng() % (sizeof alphabet - 1)];
    if (uri.empty()) continue;
    const Placed p = shapes(uri);
    const bool want = reference_unbracketed(uri), at = uri.find('@') != std::string::npos;
    ASSERT_EQ(p.vector_path.unbracketed_ipv6, want) << uri;
    ASSERT_EQ(p.end_of_buffer.unbracketed_ipv6, want) << uri;
    ASSERT_EQ(p.vector_path.has_at, at) << uri;
    ASSERT_EQ(p.end_of_buffer.has_at, at) << uri;
  }
}

}  // namespace
}  // namespace sipshunt::proxy::test
