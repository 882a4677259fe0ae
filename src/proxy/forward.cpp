// hot path
// Forwarding a request (README.md "Rewrites of a forwarded request"): our Via on top, the
// client's top Via completed, Max-Forwards decremented or added, our Route popped or a strict
// router's Request-URI restored, our Record-Route added when asked; the body as it came.
#include "rewrite.hpp"
#include "steps.hpp"
#include "via.hpp"

namespace sipshunt::proxy::detail {

void forward_request(Context& c, const Endpoint& dest, bool pop_route, const std::string* record_route,
                     const StrictRoute& strict, Outcome& r) noexcept {
  if (dest.ip.is_unsendable()) return drop(r, Reason::kUnsendableDestination);
  const sip::Message& m = c.m;
  Edits edits;
  Text text;

  const std::size_t via_at = c.offset(m.find(sip::HeaderId::kVia)->line.data());
  edits.add(via_at, 0, c.s.via_prefix, text.hex(branch_hash(m)), "\r\n");
  if (record_route != nullptr) {
    const sip::Header* rr = m.find(sip::HeaderId::kRecordRoute);
    edits.add(rr != nullptr ? c.offset(rr->line.data()) : via_at, 0, *record_route);
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
  if (pop_route) {
    const bool has_next = m.route_count > 1;
    remove_first_value(edits, c.data, m, m.routes[0].value, m.routes[0].header,
                       has_next ? &m.routes[1].value : nullptr, has_next ? m.routes[1].header : sip::kNoHeader);
  } else if (strict.active && strict.last != nullptr) {
    add_strict_route_edits(c, strict, edits);
  }

  const std::size_t end = framed_end(c);
  sip::Writer w(c.out, c.cap);
  edits.emit(c.data, 0, end, w, true);
  if (w.overflow() || edits.full()) return drop(r, Reason::kTooLarge);
  r.verdict = Verdict::kForward;
  r.next_hop = dest;
  r.length = static_cast<std::uint32_t>(w.size());
}

}  // namespace sipshunt::proxy::detail
