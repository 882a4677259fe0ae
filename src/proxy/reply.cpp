// hot path
// Stateless replies (RFC 3261 §16.6 / §8.2.6): the status line, the request's Via fields (top Via
// completed), From, To (tag added when absent), Call-ID and CSeq copied as they came, then
// Unsupported or Retry-After, then Content-Length: 0. Bound by the worker's reply budget.
#include <cstddef>

#include "hash.hpp"
#include "reply_bucket.hpp"
#include "rewrite.hpp"
#include "steps.hpp"
#include "via.hpp"

namespace sipshunt::proxy::detail {

namespace {

// The header parameters of a From/To value: after the last '>' (name-addr), else after the
// first ';' (addr-spec, whose own parameters would be header parameters).
[[nodiscard]] std::string_view header_params(std::string_view value) noexcept {
  const std::size_t gt = value.rfind('>');
  const std::size_t start = gt != std::string_view::npos ? gt + 1 : value.find(';');
  return start == std::string_view::npos || start > value.size() ? std::string_view{} : value.substr(start);
}

}  // namespace

void reply(Context& c, std::uint16_t status, std::string_view phrase, Reason reason, Extra extra,
           Outcome& r) noexcept {
  r.reason = reason;
  if (is_ack(c.m)) return drop(r, c.parsed ? Reason::kAckNotAnswered : reason);
  const sip::Header* from = nullptr;
  const sip::Header* to = nullptr;
  const sip::Header* call_id = nullptr;
  const sip::Header* cseq = nullptr;
  const sip::Header* first_via = nullptr;
  for (std::size_t i = 0; i < c.m.header_count; ++i) {
    const sip::Header& h = c.m.headers[i];
    switch (h.id) {
      case sip::HeaderId::kVia: if (first_via == nullptr) first_via = &h; break;
      case sip::HeaderId::kFrom: if (from == nullptr) from = &h; break;
      case sip::HeaderId::kTo: if (to == nullptr) to = &h; break;
      case sip::HeaderId::kCallId: if (call_id == nullptr) call_id = &h; break;
      case sip::HeaderId::kCSeq: if (cseq == nullptr) cseq = &h; break;
      default: break;
    }
  }
  if (first_via == nullptr || from == nullptr || to == nullptr || call_id == nullptr || cseq == nullptr)
    return drop(r, reason);

  // Destination (RFC 3261 §18.2.2, RFC 3581 §4): the source address; the source port when
  // rport was asked for, else the sent-by port. Undecoded Via (parse failure): the source.
  Endpoint dest = c.src;
  if (c.parsed && !c.m.vias[0].has_rport) dest.port = via_port(c.m.vias[0]);
  if (dest.ip.is_unsendable()) return drop(r, Reason::kUnsendableDestination);
  net::NextHop hop;
  if (!route_to(c.s, dest.ip, hop)) return drop(r, Reason::kNoRoute);
  if (!take_reply_token(c.s, c.w.replies, c.now)) return drop(r, Reason::kReplyRateLimited);

  Edits::Slots edit_slots;
  Edits edits(edit_slots);
  Text::Buffer text_octets;
  Text text(text_octets);
  if (c.parsed) add_top_via_edits(c, edits, text);
  // To-tag: deterministic, so a retransmitted request gets the same reply.
  bool has_tag = false;
  if (c.parsed) {
    has_tag = !c.m.to_tag.empty();
  } else {
    std::string_view tag;
    has_tag = sip::find_param(header_params(to->value()), "tag", tag);
  }
  if (!has_tag) {
    std::uint64_t h = hash_text(call_id->value(), 0x7a6);
    h = hash_text(from->value(), h);
    h = hash_text(cseq->value(), h);
    h = hash_text(first_via->value(), h);
    edits.add(c.offset_end(to->value()), 0, text.hex(h, ";tag="));
  }

  sip::Writer w(c.out, c.cap);
  w.put("SIP/2.0 ");
  char code[4] = {static_cast<char>('0' + status / 100), static_cast<char>('0' + status / 10 % 10),
                  static_cast<char>('0' + status % 10), ' '};
  w.put(code, sizeof code);
  w.put(phrase);
  w.put("\r\n");
  for (std::size_t i = 0; i < c.m.header_count; ++i) {
    const sip::Header& h = c.m.headers[i];
    if (h.id == sip::HeaderId::kVia || &h == from || &h == to || &h == call_id || &h == cseq) {
      edits.emit(c.data, h.begin, h.end, w, false);
    }
  }
  if (extra == Extra::kUnsupported) {
    w.put("Unsupported: ");
    bool first = true;
    for (std::size_t i = 0; i < c.m.header_count; ++i) {
      if (c.m.headers[i].id != sip::HeaderId::kProxyRequire) continue;
      std::string_view tag;
      for (sip::ListIterator it(c.m.headers[i].value()); it.next(tag);) {
        if (tag.empty()) continue;
        if (!first) w.put(", ");
        w.put(tag);
        first = false;
      }
    }
    w.put("\r\n");
  } else if (extra == Extra::kRetryAfter) {
    w.put("Retry-After: ");
    w.put(text.decimal(kRetryAfterSeconds));
    w.put("\r\n");
  }
  w.put("Content-Length: 0\r\n\r\n");
  if (w.overflow() || edits.full()) return drop(r, Reason::kTooLarge);
  r.verdict = Verdict::kReply;
  r.status = status;
  r.next_hop = dest;
  r.route = hop;
  r.length = static_cast<std::uint32_t>(w.size());
}

}  // namespace sipshunt::proxy::detail
