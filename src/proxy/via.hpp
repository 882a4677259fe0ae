// hot path
// The Via work of a forward or a reply: completing the client's top Via with received/rport
// (RFC 3261 §18.2.1, RFC 3581 §4; parameter positions from sip::find_param where the parser's
// views do not give them), and the branch of the Via we put on top. Inline: both forward.cpp
// and reply.cpp call it once per datagram. Private to src/proxy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "context.hpp"
#include "hash.hpp"
#include "rewrite.hpp"
#include "sipshunt/common/octets.hpp"
#include "sipshunt/sip/params.hpp"
#include "sipshunt/sip/writer.hpp"

namespace sipshunt::proxy::detail {

// RFC 3261 §18.2.1 and RFC 3581 §4: `received` when the sent-by host is not the source address
// (and always when rport was asked for, as RFC 3581 requires); a bare `rport` gets the source port.
// An IPv6 source is written without brackets (RFC 3261 via-received is IPv6address; RFC 5118 §4.5:
// accept `received` with or without them, never send them); a bracketed one naming the source stays.
SIPSHUNT_ALWAYS_INLINE void add_top_via_edits(const Context& c, Edits& edits, Text& text) noexcept {
  const sip::Via& v = c.m.vias[0];
  const char* rport_end = nullptr;  // where a bare rport's value goes
  if (v.has_rport && v.rport.empty()) {
    // The parser's empty value view sits right after the name; check that before trusting it.
    // The name in any case (RFC 3261 §7.3.1) by one word and one octet: its octets are all
    // letters, so OR 0x20 folds exactly their two cases ("rpor" is 0x726f7072 little-endian).
    const char* name_end = v.rport.data();
    const char* params = v.params.data();
    if (name_end == nullptr || name_end < params + 6 || name_end > params + v.params.size() ||
        (load4(name_end - 5) | 0x20202020u) != 0x726f7072u || (name_end[-1] | 0x20) != 't') {
      sip::Param rport;
      name_end = sip::find_param(v.params, "rport", rport) ? rport.name.data() + rport.name.size() : nullptr;
    }
    rport_end = name_end;
  }
  // With rport, received is written whatever the sent-by says: the host is read only without it.
  if (!v.has_rport && host_is(v.host, c.src.ip)) return;
  const std::size_t end = c.offset_end(v.value);
  if (!v.has_received && rport_end == v.value.data() + v.value.size()) {
    // A bare rport as the last parameter (the usual softphone Via): its value and the received
    // parameter after it are one text, so one edit and one copy.
    edits.add(end, 0, text.decimal_ip(c.src.port, "=", c.src.ip, ";received="));
    return;
  }
  if (rport_end != nullptr) edits.add(c.offset(rport_end), 0, text.decimal(c.src.port, "="));
  if (v.has_received) {
    if (!v.received.empty()) {
      if (host_is(v.received, c.src.ip)) return;
      edits.add(c.offset(v.received.data()), v.received.size(), text.ip(c.src.ip));
      return;
    }
    sip::Param received;  // a bare ";received": give it a value
    if (sip::find_param(v.params, "received", received)) {
      edits.add(c.offset(received.name.data() + received.name.size()), 0, text.ip(c.src.ip, "="));
      return;
    }
  }
  edits.add(end, 0, text.ip(c.src.ip, ";received="));
}


// Our branch: a hash of the received branch when it carries the magic cookie (plus sent-by),
// else of the RFC 2543 transaction fields. The To-tag is left out on purpose: a non-2xx ACK
// carries the response's To-tag and must still get its INVITE's branch.
[[nodiscard]] inline std::uint64_t branch_hash(const sip::Message& m) noexcept {
  const sip::Via& v = m.vias[0];
  constexpr std::string_view kCookie = sip::kBranchCookie;
  std::uint64_t h;
  if (v.has_branch && v.branch.size() > kCookie.size() && same_octets(v.branch.data(), kCookie.data(), kCookie.size())) {
    h = hash_branch(v.branch, v.host, via_port(v));
  } else {
    h = hash_text(m.request_uri, 0x2543);
    std::string_view from_tag;  // decoded here only: parse() does not (empty when malformed)
    if (sip::decode_from_tag(m, from_tag) != sip::Status::kOk) from_tag = {};
    h = hash_text(from_tag, h);
    h = hash_text(m.call_id, h);
    const std::uint32_t cseq = m.cseq;
    h = hash_bytes(&cseq, sizeof cseq, h);
    h = hash_text(v.value, h);
  }
  return h;
}

}  // namespace sipshunt::proxy::detail
