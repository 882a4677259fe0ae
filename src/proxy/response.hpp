// hot path
// Routing a response (DESIGN.md proxy rule 3): a reply to our health probe is handed over, any
// other must carry our Via on top; that Via is removed and the response goes to the next Via's
// received/rport, else its sent-by.
#pragma once

#include "rewrite.hpp"
#include "steps.hpp"

namespace sipshunt::proxy::detail {

inline void response(Context& c, Outcome& r) noexcept {
  const sip::Message& m = c.m;
  r.kind = Kind::kResponse;
  const std::string_view local = c.s.local_call_id_prefix;
  if (!local.empty() && m.call_id.substr(0, local.size()) == local) {
    r.verdict = Verdict::kLocal;
    r.reason = Reason::kLocalReply;
    r.status = m.status_code;
    return;
  }
  const sip::Via& top = m.vias[0];
  // Ours: any of our networks' addresses (the request may have left by any of them), our port.
  if (via_port(top) != c.s.self.port || our_network(c.s, top.host) < 0) return drop(r, Reason::kForeignVia);
  if (m.decoded_vias < 2) return drop(r, Reason::kNoNextVia);
  const sip::Via& next = m.vias[1];
  // maddr is not honoured: a stateless proxy over UDP answers where the request came from.
  // `received` is read with or without brackets around an IPv6 address (RFC 5118 §4.5).
  Endpoint dest;
  if (!(next.has_received && parse_ip_literal(next.received, dest.ip)) && !parse_ip_literal(next.host, dest.ip))
    return drop(r, Reason::kUnresolvableNextHop);
  if (!(next.has_rport && parse_port(next.rport, dest.port))) dest.port = via_port(next);
  if (dest.ip.is_unsendable()) return drop(r, Reason::kUnsendableDestination);
  net::NextHop hop;
  if (!route_to(c.s, dest.ip, hop)) return drop(r, Reason::kNoRoute);

  Edits::Slots edit_slots;
  Edits edits(edit_slots);
  remove_first_value(edits, c.data, m, top.value, top.header, &next.value, next.header);
  std::size_t length;
  if (!edits.apply(c.data, framed_end(c), c.out, c.cap, length)) return drop(r, Reason::kTooLarge);
  r.verdict = Verdict::kForward;
  r.reason = Reason::kResponse;
  r.next_hop = dest;
  r.route = hop;
  r.length = static_cast<std::uint32_t>(length);
}

}  // namespace sipshunt::proxy::detail
