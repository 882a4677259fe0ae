// hot path
// Forwarding a request (README.md "Rewrites of a forwarded request", "Networks"): our Via (the
// address of the network it leaves by) on top, the client's top Via completed, Max-Forwards
// decremented or added, our Route values popped or a strict router's Request-URI restored, our
// Record-Route added when asked (twice when it crosses networks); the body as it came. A request
// those additions would take past sip::kMaxHeaders is answered 513 instead (README.md "What is
// validated"): the next parser (ours in a second tier) would refuse what we sent.
#include "rewrite.hpp"
#include "sipshunt/common/decimal_octet.hpp"
#include "steps.hpp"
#include "via.hpp"

namespace sipshunt::proxy::detail {

void forward_request(Context& c, const Endpoint& dest, std::uint32_t pop_routes,
                     const std::vector<std::string>* record_routes, const StrictRoute& strict, Outcome& r) noexcept {
  if (dest.ip.is_unsendable()) return drop(r, Reason::kUnsendableDestination);
  // The next hop straight into the outcome (no copy at the end); a drop or a reply below leaves
  // it unread or sets its own (reply.cpp).
  net::NextHop& hop = r.route;
  if (!route_to(c.s, dest.ip, hop)) return drop(r, Reason::kNoRoute);
  const NetworkView& egress = c.s.networks[hop.network];
  const sip::Message& m = c.m;
  // The branch is hashed (a call) before the edit list and the texts exist: the compiler then
  // knows them empty when the first edit and text are added and leaves out their checks.
  const std::uint64_t branch_h = branch_hash(m);
  Edits::Slots edit_slots;
  Edits edits(edit_slots);
  Text::Buffer text_octets;
  Text text(text_octets);
  // Header fields the rewrite adds (our Via, Record-Route, Max-Forwards) and removes (our Route
  // fields, a strict router's last Route field).
  std::uint32_t added = 1;
  std::uint32_t removed = 0;

  // The edits are added in the order of their positions in the usual message (the Via,
  // Record-Route and Max-Forwards inserted before the first Via, the top Via's own edits, then
  // Max-Forwards and Record-Route where they are), so each is placed in one comparison
  // (rewrite.hpp). Only the insertions before the first Via share a position: they keep this order.
  const std::size_t via_at = m.find(sip::HeaderId::kVia)->begin;
  const std::string_view branch = text.hex(branch_h, "", "\r\n");
  // RFC 3261 §16.6 step 4, RFC 5658: leaving by another network than it came in on, the request
  // is record-routed once per side, the side it leaves by on top (the next hop's first route),
  // both with the pin, before any Record-Route already there, else after our Via (the lines then
  // the third and fourth pieces of our Via's edit: one edit).
  const sip::Header* rr = record_routes != nullptr ? m.find(sip::HeaderId::kRecordRoute) : nullptr;
  const auto record_route_ingress = [&](std::size_t at) {  // the second line, when it crosses
    if (hop.network == c.network) return;
    edits.add_insertion(at, (*record_routes)[c.network]);
    ++added;
  };
  if (record_routes != nullptr && rr == nullptr) {
    edits.add(via_at, 0, egress.via_prefix, branch, (*record_routes)[hop.network]);
    ++added;
    record_route_ingress(via_at);
  } else {
    edits.add(via_at, 0, egress.via_prefix, branch);
  }
  if (m.max_forwards < 0) {
    static_assert(kDefaultMaxForwards == 70, "the inserted text below");
    edits.add(via_at, 0, "Max-Forwards: 70\r\n");
    ++added;
  }
  add_top_via_edits(c, edits, text);
  if (m.max_forwards >= 0) {
    // 1..255 here (the parser refuses more, process() answers 0 with 483): the new value's text
    // is read from the octets' decimal table, nothing formatted.
    const sip::Header* mf = m.find(sip::HeaderId::kMaxForwards);
    const auto next = static_cast<std::uint32_t>(m.max_forwards - 1);
    edits.add(mf->value_begin, mf->value_end - mf->value_begin,
              next < 255 ? decimal_octet(static_cast<std::uint8_t>(next)) : text.decimal(next));
  }
  if (rr != nullptr) {
    const std::size_t at = rr->begin;
    edits.add_insertion(at, (*record_routes)[hop.network]);
    ++added;
    record_route_ingress(at);
  }
  if (pop_routes > 0) {
    removed = remove_leading_routes(edits, c.data, m, pop_routes);
  } else if (strict.active && strict.last != nullptr) {
    removed = add_strict_route_edits(c, strict, edits);
  }
  // RFC 3261 §21.5.14: the message is larger than we can handle, said to the sender rather than
  // sent on to a parser that refuses it (a drop would leave the client retransmitting).
  if (m.header_count + added - removed > sip::kMaxHeaders)
    return reply(c, 513, default_phrase(513), Reason::kTooLarge, Extra::kNone, r);

  std::size_t length;
  if (!edits.apply(c.data, framed_end(c), c.out, c.cap, length)) return drop(r, Reason::kTooLarge);
  r.verdict = Verdict::kForward;
  r.next_hop = dest;
  r.length = static_cast<std::uint32_t>(length);
}

}  // namespace sipshunt::proxy::detail
