// hot path
// The rewrite engine: a rewrite is a short list of Edits (position in the input, octets deleted,
// pieces inserted) applied in one pass, so every byte the proxy does not own is copied as it came
// (README.md "Rewrites of a forwarded request"). Text holds the formatted pieces. Private to src/proxy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "sipshunt/common/address.hpp"
#include "sipshunt/common/compiler.hpp"
#include "sipshunt/sip/message.hpp"
#include "sipshunt/sip/writer.hpp"

namespace sipshunt::proxy::detail {

inline constexpr std::size_t kMaxEdits = 12;
inline constexpr std::size_t kMaxPieces = 4;

// Plain members without initialisers (std::string_view has them): an Edits' array of edits is
// left as it is until written, not zeroed piece by piece on every forward.
struct Piece {
  const char* data;
  std::uint32_t size;
};

struct Edit {
  std::uint32_t pos;    // offset in the input
  std::uint32_t del;    // input octets replaced
  std::uint32_t count;  // pieces inserted at pos, in order (some may be empty)
  Piece pieces[kMaxPieces];
};

// Up to kMaxEdits edits, applied in position order (equal positions: insertion order). They are
// stored in that order, so apply() walks them as they lie (no index to follow per edit).
// The work a rewrite can do once is done while adding, not per piece while copying: an edit
// after every other (the usual order of the callers) costs one comparison to place, one before
// (rare) moves those after it up a slot; overlap is checked against its neighbours in the order
// (so every two consecutive edits are disjoint, and the output is the input's length less the
// octets deleted plus those inserted); the octets deleted and inserted are summed, so apply()
// checks the capacity once and copies unchecked.
// The edits themselves are the caller's Edits::Slots, a separate object from the list: only the
// slots' address escapes (to apply's copy loop), so the compiler keeps the list's cursor, sums and
// refusal in registers while adding, and knows how many slots are taken (no room checks for the
// first edits).
class Edits {
 public:
  using Slots = Edit[1 + kMaxEdits];
  explicit Edits(Slots& slots) noexcept : e_(slots), end_(slots + 1) {
    e_[0].pos = 0;  // the sentinel: ends at 0, takes no piece (add_insertion)
    e_[0].del = 0;
    e_[0].count = kMaxPieces;
  }
  Edits(const Edits&) = delete;
  Edits& operator=(const Edits&) = delete;

  void add(std::size_t pos, std::size_t del) noexcept {
    if (Edit* e = place(pos, del)) e->count = 0;
  }
  void add(std::size_t pos, std::size_t del, std::string_view a) noexcept {
    if (Edit* e = place(pos, del)) {
      e->count = 1;
      e->pieces[0] = piece(a);
    }
  }
  void add(std::size_t pos, std::size_t del, std::string_view a, std::string_view b) noexcept {
    if (Edit* e = place(pos, del)) {
      e->count = 2;
      e->pieces[0] = piece(a);
      e->pieces[1] = piece(b);
    }
  }
  void add(std::size_t pos, std::size_t del, std::string_view a, std::string_view b, std::string_view c) noexcept {
    if (Edit* e = place(pos, del)) {
      e->count = 3;
      e->pieces[0] = piece(a);
      e->pieces[1] = piece(b);
      e->pieces[2] = piece(c);
    }
  }
  // `a` inserted at `pos` after the pieces of the last edit in the order when that one inserts at
  // `pos` without deleting and has room (one edit less to place and to apply: our Via and
  // Record-Routes before the first Via), else as a new edit: the same output either way, since
  // a new edit at `pos` would come right after it.
  void add_insertion(std::size_t pos, std::string_view a) noexcept {
    Edit& e = end_[-1];  // the sentinel when there is none: it has no room
    if (e.pos == pos && e.del == 0 && e.count < kMaxPieces) {
      e.pieces[e.count++] = piece(a);
      return;
    }
    add(pos, 0, a);
  }
  [[nodiscard]] bool full() const noexcept { return (refused_ & kFull) != 0; }

  // The whole input [0, end) with every edit applied, into out[0, cap): the length written, or
  // false (nothing usable written) when an edit was refused (more than kMaxEdits, overlapping
  // another, reaching past `end`) or the output would exceed `cap`.
  [[nodiscard]] bool apply(const char* in, std::size_t end, char* out, std::size_t cap,
                           std::size_t& length) const noexcept {
    if (refused_ != 0 || end_[-1].pos + end_[-1].del > end) return false;  // the last edit (or the sentinel)
    const std::size_t total = end - deleted_ + inserted_;  // deleted_ <= end: the edits are disjoint, inside [0, end)
    if (total > cap) return false;
    copy_edited(e_ + 1, end_, in, end, out);
    length = total;
    return true;
  }
  // apply()'s copy, out of line: the input [0, end) with the edits [first, last) applied, into out.
  // The edits by pointers to non-const: GCC takes a pointer-to-const argument for a read of the
  // whole array, and would warn of the slots never written (-Wmaybe-uninitialized).
  [[gnu::noinline]] static void copy_edited(Edit* first, Edit* last, const char* in, std::size_t end,
                                            char* out) noexcept {
    // Everything an edit's copies need is read before they start: the output's stores may alias
    // the edits as far as the compiler knows, and would make it read each field again.
    char* o = out;
    const char* from = in;
    for (const Edit* e = first; e != last; ++e) {
      const char* at = in + e->pos;
      const char* next = at + e->del;
      const Piece* p = e->pieces;
      const Piece* pieces_end = p + e->count;
      o = copy(o, from, static_cast<std::size_t>(at - from));
      for (; p != pieces_end; ++p) o = copy(o, p->data, p->size);
      from = next;
    }
    copy(o, from, static_cast<std::size_t>(in + end - from));
  }

  // Copies input [begin, end) to `w`, applying the edits positioned in that range (and, when
  // `last`, the insertions at `end` itself): the stateless reply's copy of selected header lines.
  void emit(const char* in, std::size_t begin, std::size_t end, sip::Writer& w, bool last) const noexcept {
    if ((refused_ & kOverlap) != 0) {  // overlapping edits: never built, never sent
      w.fail();
      return;
    }
    std::size_t cursor = begin;
    for (const Edit* p = e_ + 1; p != end_; ++p) {
      const Edit& e = *p;
      if (e.pos < begin || e.pos > end || (e.pos == end && !last)) continue;
      if (e.pos + e.del > end) {  // an edit across the end of the range: never built, never sent
        w.fail();
        return;
      }
      w.put(in + cursor, e.pos - cursor);
      for (std::uint32_t k = 0; k < e.count; ++k) w.put(e.pieces[k].data, e.pieces[k].size);
      cursor = e.pos + e.del;
    }
    if (cursor < end) w.put(in + cursor, end - cursor);
  }

 private:
  Piece piece(std::string_view s) noexcept {
    inserted_ += static_cast<std::uint32_t>(s.size());
    return {s.data(), static_cast<std::uint32_t>(s.size())};
  }
  SIPSHUNT_ALWAYS_INLINE static char* copy(char* o, const char* s, std::size_t n) noexcept {
    sip::copy_bytes_wide(o, s, n);
    return o + n;
  }

  // The slot of a new edit at `pos` deleting `del` octets, placed in the order; null when full.
  Edit* place(std::size_t pos, std::size_t del) noexcept {
    if (end_ == e_ + 1 + kMaxEdits) {
      refused_ |= kFull;
      return nullptr;
    }
    const auto p = static_cast<std::uint32_t>(pos);
    const auto d = static_cast<std::uint32_t>(del);
    deleted_ += d;
    const Edit& last = end_[-1];  // the last edit in the order, or the sentinel
    if (p < last.pos) {  // rare (the callers add in position order)
      Edit& e = *make_room(end_++, p);
      refused_ |= static_cast<std::uint8_t>((&e)[-1].pos + (&e)[-1].del > p);  // kOverlap
      refused_ |= static_cast<std::uint8_t>(p + d > (&e)[1].pos);  // there is one after: p is before the last edit's position
      e.pos = p;
      e.del = d;
      return &e;
    }
    refused_ |= static_cast<std::uint8_t>(p < last.pos + last.del);  // kOverlap: after every edit so far
    Edit& e = *end_++;
    e.pos = p;
    e.del = d;
    return &e;
  }
  // The slot for a new edit at `p` before the last one, `end` the first free slot: the edits
  // after `p` move up a slot. Out of line and given the slots, not the list: it keeps place()
  // short, and the list's address from escaping.
  [[gnu::noinline]] static Edit* make_room(Edit* end, std::uint32_t p) noexcept {
    Edit* e = end;
    while (e[-1].pos > p) {  // stops at the sentinel, at 0, at the latest
      *e = e[-1];
      --e;
    }
    return e;
  }

  // e_[0] is a sentinel at 0 deleting nothing, so the last edit is always end_[-1] (no test for
  // none); the edits follow in position order; not zeroed: only [e_ + 1, end_) is read.
  Edit* const e_;
  Edit* end_;  // a pointer, not a count: one add to take the next slot (an Edit is 80 octets)
  std::uint32_t deleted_ = 0;   // octets deleted and inserted by all the edits
  std::uint32_t inserted_ = 0;
  // Why an edit was refused, one octet: apply() tests both at once. kOverlap is bit 0, so a
  // comparison's result is or-ed in as it is.
  static constexpr std::uint8_t kOverlap = 1;  // an edit overlapping another
  static constexpr std::uint8_t kFull = 2;     // more than kMaxEdits
  std::uint8_t refused_ = 0;
};

// Small formatted texts (digits, IP literals, hashes) that edits point into. A literal joined to
// a text (`;received=` and the address, the hash and its CRLF) is one piece, so one copy in
// Edits::apply instead of two: a fixed-size store here costs less than a piece there.
// The octets are the caller's Text::Buffer, a separate object: pointers into them escape (into
// the edits, to format_ip) but the cursor's own address does not, so the compiler keeps the
// cursor in a register and, knowing how much the texts before took, drops the room checks.
class Text {
 public:
  using Buffer = char[256];
  explicit Text(Buffer& buf) noexcept : at_(buf), end_(buf + sizeof buf) {}
  Text(const Text&) = delete;
  Text& operator=(const Text&) = delete;

  char* take(std::size_t n) noexcept {
    if (n > static_cast<std::size_t>(end_ - at_)) return nullptr;
    char* p = at_;
    at_ += n;
    return p;
  }
  // `lead` (a literal), then the decimal form of `v`.
  template <std::size_t N = 1>
  std::string_view decimal(std::uint32_t v, const char (&lead)[N] = "") noexcept {
    char* p = take(N - 1 + sip::kMaxDecimal<std::uint32_t>);
    if (p == nullptr) return {};
    std::memcpy(p, lead, N - 1);
    return {p, N - 1 + sip::write_decimal(v, p + N - 1)};
  }
  // `lead`, then the 16 hex digits of `v`, then `trail` (literals).
  template <std::size_t N = 1, std::size_t M = 1>
  std::string_view hex(std::uint64_t v, const char (&lead)[N] = "", const char (&trail)[M] = "") noexcept {
    char* p = take(N - 1 + 16 + M - 1);
    if (p == nullptr) return {};
    std::memcpy(p, lead, N - 1);
    sip::write_hex16(v, p + N - 1);
    std::memcpy(p + N - 1 + 16, trail, M - 1);
    return {p, N - 1 + 16 + M - 1};
  }
  // `lead`, the decimal form of `v`, `middle` (literals), then the address as a SIP IP literal.
  template <std::size_t N, std::size_t M>
  std::string_view decimal_ip(std::uint32_t v, const char (&lead)[N], const IpAddress& a,
                              const char (&middle)[M]) noexcept {
    char* p = take(N - 1 + sip::kMaxDecimal<std::uint32_t> + M - 1 + 48);
    if (p == nullptr) return {};
    std::memcpy(p, lead, N - 1);
    std::size_t n = N - 1 + sip::write_decimal(v, p + N - 1);
    std::memcpy(p + n, middle, M - 1);
    n += M - 1;
    return {p, n + format_ip(a, p + n)};
  }
  // `lead` (a literal), then the address as a SIP IP literal.
  template <std::size_t N = 1>
  std::string_view ip(const IpAddress& a, const char (&lead)[N] = "") noexcept {
    char* p = take(N - 1 + 48);
    if (p == nullptr) return {};
    std::memcpy(p, lead, N - 1);
    return {p, N - 1 + format_ip(a, p + N - 1)};
  }

 private:
  char* at_;   // the next free octet of the buffer
  char* end_;  // the buffer's end
};

// Edit removing the first value of a comma list in `m` (parsed from `in`): the whole header field
// when it is the only value there (returns true), else the value and the separator up to the next
// value (returns false).
inline bool remove_first_value(Edits& edits, const char* in, const sip::Message& m, std::string_view first,
                               std::uint16_t header, const std::string_view* next, std::uint16_t next_header) noexcept {
  if (next != nullptr && next_header == header) {
    edits.add(static_cast<std::size_t>(first.data() - in), static_cast<std::size_t>(next->data() - first.data()));
    return false;
  }
  const sip::Header& h = m.headers[header];  // offsets into `in`, the datagram m was parsed from
  edits.add(h.begin, h.end - h.begin);
  return true;
}

}  // namespace sipshunt::proxy::detail

namespace sipshunt::proxy::detail {

// Edits removing the first `n` Route values of `m` (1 <= n <= route_count): per header field
// they occupy, the values and the separator up to the next value when one follows in that
// field, else the whole field (the values removed are always the first ones of their fields).
// Returns the number of whole header fields removed.
inline std::uint32_t remove_leading_routes(Edits& edits, const char* in, const sip::Message& m,
                                           std::uint32_t n) noexcept {
  std::uint32_t lines = 0;
  for (std::uint32_t i = 0; i < n;) {
    const std::uint16_t header = m.routes[i].header;
    std::uint32_t next = i + 1;
    while (next < n && m.routes[next].header == header) ++next;
    const bool more = next < m.route_count;
    lines += remove_first_value(edits, in, m, m.routes[i].value, header, more ? &m.routes[next].value : nullptr,
                                more ? m.routes[next].header : sip::kNoHeader);
    i = next;
  }
  return lines;
}

}  // namespace sipshunt::proxy::detail
