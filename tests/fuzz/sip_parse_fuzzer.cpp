// libFuzzer target for the SIP parser: any octets in, no crash, no read outside the datagram
// (ASan: the input is a heap block of exactly `size` octets), no undefined behaviour (UBSan),
// and every invariant of tests/sip/invariants.hpp holds. The helpers (parse_uri, find_param,
// ListIterator) run over the same input and over every header value the parser found.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "invariants.hpp"
#include "sipshunt/sip/message.hpp"

namespace {

using namespace sipshunt::sip;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "sip fuzzer: invariant broken: %s\n", what);
  std::abort();
}

bool inside(std::string_view v, std::string_view whole) {
  return v.empty() || (v.data() >= whole.data() && v.data() + v.size() <= whole.data() + whole.size());
}

void helpers(std::string_view text) {
  Uri u;
  if (parse_uri(text, u)) {
    if (u.raw != text) fail("parse_uri: raw is not the whole text");
    for (std::string_view v : {u.scheme, u.user, u.password, u.host, u.params, u.headers})
      if (!inside(v, text)) fail("parse_uri: view outside the text");
    if (u.scheme.empty()) fail("parse_uri: ok without a scheme");
    if (u.is_sip && u.host.empty()) fail("parse_uri: sip URI without host");
  }
  std::string_view v;
  if (find_param(text, "lr", v) && !inside(v, text)) fail("find_param: view outside the text");
  if (find_param(text, "tag", v) && !inside(v, text)) fail("find_param: view outside the text");
  std::string_view e;
  int n = 0;
  for (ListIterator it(text); it.next(e); ++n) {
    if (e.empty() || !inside(e, text)) fail("ListIterator: empty element or view outside the text");
    if (n > static_cast<int>(text.size())) fail("ListIterator: more elements than octets");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Message m;
  const char* p = reinterpret_cast<const char*>(data);
  const Status st = parse(p, size, m);
  if (static_cast<unsigned>(st) >= static_cast<unsigned>(Status::kCount)) fail("status out of range");
  if (to_string(st).empty() || to_string(st) == "unknown") fail("status without a name");
  if (const char* bad = testing::check_invariants(m, p, size, st)) fail(bad);

  // Deterministic: a second parse into the same (now dirty) Message gives the same answer.
  const std::uint16_t headers = m.header_count;
  const std::uint8_t vias = m.decoded_vias;
  if (parse(p, size, m) != st || m.header_count != headers || m.decoded_vias != vias) fail("not deterministic");

  const std::string_view whole(p, size);
  helpers(whole);
  for (std::size_t i = 0; i < m.header_count; ++i) helpers(m.headers[i].value());
  if (m.is_request && !m.request_uri.empty()) helpers(m.request_uri);
  for (std::size_t i = 0; i < m.header_count; ++i)
    if (header_id(m.headers[i].name()) != m.headers[i].id) fail("header_id disagrees with the table");
  return 0;
}
