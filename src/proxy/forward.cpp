// hot path
// Forwarding a request (README.md "Rewrites of a forwarded request", "Networks"): our Via (the
// address of the network it leaves by) on top, the client's top Via completed, Max-Forwards
// decremented or added, our Route values popped or a strict router's Request-URI restored, our
// Record-Route added when asked (twice when it crosses networks); the body as it came.
#include "rewrite.hpp"
#include "steps.hpp"
#include "via.hpp"

namespace sipshunt::proxy::detail {

void forward_request(Context& c, const Endpoint& dest, std::uint32_t pop_routes, const std::string* pin,
                     const StrictRoute& strict, Outcome& r) noexcept {
  if (dest.ip.is_unsendable()) return drop(r, Reason::kUnsendableDestination);
  net::NextHop hop;
  if (!route_to(c.s, dest.ip, hop)) return drop(r, Reason::kNoRoute);
  const NetworkView& egress = c.s.networks[hop.network];
  const sip::Message& m = c.m;
  Edits edits;
  Text text;

  const std::size_t via_at = c.offset(m.find(sip::HeaderId::kVia)->line.data());
  edits.add(via_at, 0, egress.via_prefix, text.hex(branch_hash(m)), "\r\n");
  if (pin != nullptr) {
    // RFC 3261 §16.6 step 4, RFC 5658: leaving by another network than it came in on, the
    // request is record-routed once per side, the side it leaves by on top (the next hop's
    // first route), both with the pin; equal positions keep insertion order.
    const sip::Header* rr = m.find(sip::HeaderId::kRecordRoute);
    const std::size_t at = rr != nullptr ? c.offset(rr->line.data()) : via_at;
    edits.add(at, 0, egress.record_route_prefix, *pin, ">\r\n");
    if (hop.network != c.network) edits.add(at, 0, c.s.networks[c.network].record_route_prefix, *pin, ">\r\n");
  }
  if (m.max_forwards < 0) {
    static_assert(kDefaultMaxForwards == 70, "the inserted text below");
    edits.add(via_at, 0, "Max-Forwards: 70\r\n");
  } else {
    const sip::Header* mf = m.find(sip::HeaderId::kMaxForwards);
    edits.add(c.offset(mf->value.data()), mf->value.size(),
              text.decimal(static_cast<std::uint32_t>(m.max_forwards - 1)));
  }
  add_top_via_edits(c, edits, text);
  if (pop_routes > 0) {
    remove_leading_routes(edits, c.data, m, pop_routes);
  } else if (strict.active && strict.last != nullptr) {
    add_strict_route_edits(c, strict, edits);
  }

  const std::size_t end = framed_end(c);
  sip::Writer w(c.out, c.cap);
  edits.emit(c.data, 0, end, w, true);
  if (w.overflow() || edits.full()) return drop(r, Reason::kTooLarge);
  r.verdict = Verdict::kForward;
  r.next_hop = dest;
  r.route = hop;
  r.length = static_cast<std::uint32_t>(w.size());
}

}  // namespace sipshunt::proxy::detail
