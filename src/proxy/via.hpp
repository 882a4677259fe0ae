// hot path
// The Via work of a forward or a reply: completing the client's top Via with received/rport
// (via.cpp) and the branch of the Via we put on top. Private to src/proxy.
#pragma once

#include <cstdint>

#include "context.hpp"
#include "hash.hpp"
#include "rewrite.hpp"
#include "sipshunt/sip/writer.hpp"

namespace sipshunt::proxy::detail {

// RFC 3261 §18.2.1 and RFC 3581 §4: `received` when the sent-by host is not the source address
// (and always when rport was asked for, as RFC 3581 requires); a bare `rport` gets the source port.
void add_top_via_edits(const Context& c, Edits& edits, Text& text) noexcept;

// Our branch: a hash of the received branch when it carries the magic cookie (plus sent-by),
// else of the RFC 2543 transaction fields. The To-tag is left out on purpose: a non-2xx ACK
// carries the response's To-tag and must still get its INVITE's branch.
[[nodiscard]] inline std::uint64_t branch_hash(const sip::Message& m) noexcept {
  const sip::Via& v = m.vias[0];
  constexpr std::string_view kCookie = sip::kBranchCookie;
  std::uint64_t h;
  if (v.has_branch && v.branch.size() > kCookie.size() && v.branch.substr(0, kCookie.size()) == kCookie) {
    h = hash_text(v.branch, 0x3261);
    h = hash_text(v.host, h);
    const std::uint16_t port = via_port(v);
    h = hash_bytes(&port, sizeof port, h);
  } else {
    h = hash_text(m.request_uri, 0x2543);
    h = hash_text(m.from_tag, h);
    h = hash_text(m.call_id, h);
    const std::uint32_t cseq = m.cseq;
    h = hash_bytes(&cseq, sizeof cseq, h);
    h = hash_text(v.value, h);
  }
  return h;
}

}  // namespace sipshunt::proxy::detail
