// hot path
// Private to the sip module: how one value of a decoded header is taken. Each grammar with a
// usual shape (Via, From/To, Route) has a fast path reading one delimiter mask and a general
// decoder for everything else; the choice between them, and the comma-list loop of the headers
// whose values are lists (RFC 3261 §7.3.1), are written here once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "lexical.hpp"
#include "scan.hpp"
#include "sipshunt/sip/message.hpp"

namespace sipshunt::sip::detail {

// Widest value a fast path takes with mask type M: 63 octets in one register, 127 in two.
template <class M>
inline constexpr std::size_t kWindowMax = sizeof(M) * 8 - 1;

// One element starting at p, its value ending at e: Fast64 / Fast128 (the grammar's fast path
// over a window of 64 or 128 octets, by the value's length) when it takes the shape, else General.
//   Fast*(const Blocks&, const char* d, std::size_t p, std::size_t n, Out&): position after the
//     element, or kNpos to fall back (it may have written to Out);
//   General(Cursor& over [p, e), const char* d, std::size_t p, std::size_t e, Out&): position
//     after the element and its trailing LWS, or kNpos when malformed. Or General(const Blocks&,
//     ...) making the Cursor itself: an out-of-line caller (decode_via) then keeps the Cursor's
//     set-up, which may classify a block into an aligned stack copy, out of its own frame.
template <auto Fast64, auto Fast128, auto General, class Out>
SIPSHUNT_ALWAYS_INLINE std::size_t decode_with_fast_path(const Blocks& b, const char* d, std::size_t p,
                                                         std::size_t e, Out& out) noexcept {
  const std::size_t q = e - p < 64 ? Fast64(b, d, p, e - p, out) : Fast128(b, d, p, e - p, out);
  if (SIPSHUNT_LIKELY(q != kNpos)) return q;
  if constexpr (std::is_invocable_v<decltype(General), const Blocks&, const char*, std::size_t, std::size_t, Out&>) {
    return General(b, d, p, e, out);
  } else {
    Cursor c(b, p, e);
    return General(c, d, p, e, out);
  }
}

// 1#element over [p, e): each element decoded as above into out[count], tagged with the index of
// its header field; LWS around ','. kOk; `bad` for a malformed or empty element (a trailing
// comma); `too_many` when there are more than `max` (count is then max).
template <auto Fast64, auto Fast128, auto General, class Out>
SIPSHUNT_ALWAYS_INLINE Status decode_list(const Blocks& b, const char* d, std::size_t p, std::size_t e,
                                          Out* out, std::uint8_t& count, std::size_t max,
                                          std::uint16_t hidx, Status bad, Status too_many) noexcept {
  if (p == e) return bad;
  for (;;) {
    if (count == max) return too_many;
    Out& o = out[count];
    const std::size_t q = decode_with_fast_path<Fast64, Fast128, General>(b, d, p, e, o);
    if (SIPSHUNT_UNLIKELY(q == kNpos)) return bad;
    o.header = hidx;
    ++count;
    if (q == e) return Status::kOk;
    if (d[q] != ',') return bad;
    p = skip_lws(d, q + 1, e);
    if (p == e) return bad;  // trailing comma: an empty element
  }
}

// The on-demand decoders' loop (decode_vias, decode_record_routes): every field with id `id` of a
// parsed message, in order, handed to decode(blocks, value begin, value end, field index); the
// first status other than kOk stops it. The first-pass masks are gone: Blocks without stored
// masks classifies the values again.
template <class F>
Status decode_fields(const Message& m, HeaderId id, F&& decode) noexcept {
  const Blocks blocks{m.data, m.size, nullptr, 0};
  for (std::uint16_t i = 0; i < m.header_count; ++i) {
    const Header& h = m.headers[i];
    if (h.id != id) continue;
    const Status s = decode(blocks, h.value_begin, h.value_end, i);  // offsets into m.data
    if (s != Status::kOk) return s;
  }
  return Status::kOk;
}

// In a fast path over the value at s (n octets), t at the delimiter ending a host: an optional
// ":port", its end the next delimiter of the window m. Moves t past it; false when it is not a
// port.
template <class M>
SIPSHUNT_ALWAYS_INLINE bool fast_port(M& m, const char* s, std::size_t n, std::size_t& t,
                                      std::uint16_t& port, bool& has_port) noexcept {
  if (s[t] == ':' && t < n) {
    const std::size_t q = pop(m);
    if (q - t == 5) {  // four digits (the octets up to q are in the value)
      if (!port4(s + t + 1, port)) return false;
    } else if (parse_port(s, t + 1, q, port) != q) {
      return false;
    }
    has_port = true;
    t = q;
  }
  return true;
}

// ipv6_ref_end(s, h, n) in a fast path: with SIMD, 16 octets classified at once by their two
// nibbles (two table shuffles) against the octets a reference holds (lexical.hpp kIpv6RefChar:
// 0x30-0x3a digits and ':', 0x2e '.', 0x41-0x46 and 0x61-0x66 hex letters), the last load ending
// at s[n] (the LWS or CR after the value, in the buffer); the same position as the octet loop,
// which the scalar build keeps.
SIPSHUNT_ALWAYS_INLINE std::size_t fast_ipv6_ref_end(const char* s, std::size_t h, std::size_t n) noexcept {
#if SIPSHUNT_SIP_SIMD > 0
  if (n >= 16) {
    // Bit 1: high nibble 3, low 0..a; bit 2: high 2, low e; bit 4: high 4 or 6, low 1..6. An
    // octet from 0x80 up has high nibble 8..f: no bit.
    const __m128i by_low = _mm_setr_epi8(1, 5, 5, 5, 5, 5, 5, 1, 1, 1, 1, 0, 0, 0, 2, 0);
    const __m128i by_high = _mm_setr_epi8(0, 0, 2, 1, 4, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m128i nibble = _mm_set1_epi8(0x0f);
    std::size_t q = h + 1;  // then the first octet that cannot stand in the reference
    for (;;) {
      const std::size_t at = q + 16 <= n + 1 ? q : n + 1 - 16;
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + at));
      const __m128i cls = _mm_and_si128(_mm_shuffle_epi8(by_low, _mm_and_si128(x, nibble)),
                                        _mm_shuffle_epi8(by_high, _mm_and_si128(_mm_srli_epi16(x, 4), nibble)));
      const unsigned beyond = n - at < 16 ? 0xffffu << (n - at) : 0;  // from s[n] on: the value's end
      const unsigned outside =
          (static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(cls, _mm_setzero_si128()))) | beyond) &
          (0xffffu << (q - at));
      if (outside != 0) {
        q = at + static_cast<std::size_t>(__builtin_ctz(outside));
        break;
      }
      q = at + 16;
    }
    if (q == h + 1 || q == n || s[q] != ']') return kNpos;
    return q + 1;
  }
#endif
  return ipv6_ref_end(s, h, n);
}

// In a fast path over the value at s (n octets), h at a '[' opening a host: an IPv6 reference
// (RFC 3261 §25.1 IPv6reference, RFC 5118 §4), bounded by the same ipv6_ref_end() as the general
// decoders. Its ':' are delimiters of the window m; they are forgotten, and t is set to the
// delimiter ending the host right after ']' (popped, as after any other host). False when it is not
// a reference or an octet that is not a delimiter follows ']': the general decoder then decides.
template <class M>
__attribute__((noinline)) bool fast_ipv6_ref(M& m, const char* s, std::size_t n, std::size_t h,
                                          std::size_t& t) noexcept {
  const std::size_t q = fast_ipv6_ref_end(s, h, n);
  if (q == kNpos) return false;
  forget_below(m, q);  // q <= n < the window's width; the bits from n up stay set
  t = pop(m);
  return t == q;
}

// In a fast path, t at the delimiter after what precedes the parameters: the parameters
// *( ";" token [ "=" token ] ) read from the window, f(name_begin, name_end, value_begin, value_end) for each (an empty value range
// without '='). Returns the position of the first octet after them that is not ';' (n, or a
// delimiter the caller checks), or kNpos when a name or a value is empty. With kColonValues a
// value also runs over ':' (an unbracketed IPv6 address: RFC 3261 §20.42 via-received), as the
// general decoders' parameter value does (lexical.hpp param_value_end).
template <bool kColonValues = false, class M, class F>
SIPSHUNT_ALWAYS_INLINE std::size_t fast_params(M& m, const char* s, std::size_t n, std::size_t t,
                                               F&& f) noexcept {
  while (s[t] == ';' && t < n) {
    const std::size_t nb = t + 1;
    const std::size_t ne = pop(m);
    if (ne == nb) return kNpos;
    std::size_t vb = ne, ve = ne;
    if (s[ne] == '=' && ne < n) {
      vb = ne + 1;
      ve = pop(m);
      if constexpr (kColonValues) {
        while (s[ve] == ':' && ve < n) ve = pop(m);
      }
      if (ve == vb) return kNpos;
    }
    f(nb, ne, vb, ve);
    t = ve;
  }
  return t;
}

}  // namespace sipshunt::sip::detail
