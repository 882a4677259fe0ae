// hot path
// Private to the sip module: the lexical pieces every grammar shares (RFC 3261 §25.1
// quoted-string, generic-param, port, IPv6reference); word loads come from common/octets.hpp. Inline, so a
// decoder that uses them costs no call per octet run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "scan.hpp"
#include "sipshunt/common/octets.hpp"

namespace sipshunt::sip::detail {

using ::sipshunt::load4;  // common/octets.hpp
using ::sipshunt::load8;

// The 4 octets at s are "sip:" in any case (the three letters folded with 0x20).
SIPSHUNT_ALWAYS_INLINE bool is_sip_colon(const char* s) noexcept {
  return (load4(s) | 0x00202020u) == 0x3a706973u;
}

// p at '"'. Position after the closing quote, or kNpos when the string is unterminated.
SIPSHUNT_ALWAYS_INLINE std::size_t quoted_end(Cursor& c, const char* d, std::size_t p,
                                              std::size_t e) noexcept {
  std::size_t q = p + 1;
  for (;;) {
    const std::size_t t = c.next(q, e);
    if (t == e) return kNpos;
    if (d[t] == '"') return t + 1;
    q = t + (d[t] == '\\' ? 2 : 1);  // quoted-pair: the escaped octet is skipped whatever it is
  }
}

// A parameter value starting at p (token, host, IPv6 reference or quoted-string). Position after
// it, or kNpos when it is empty or an unterminated quoted-string.
SIPSHUNT_ALWAYS_INLINE std::size_t param_value_end(Cursor& c, const char* d, std::size_t p,
                                                   std::size_t e) noexcept {
  if (p >= e) return kNpos;
  if (SIPSHUNT_UNLIKELY(d[p] == '"')) return quoted_end(c, d, p, e);
  std::size_t q = p;
  for (;;) {
    const std::size_t t = c.next(q, e);
    if (t == e || d[t] == ';' || d[t] == ',' || is_lws(d[t])) return t > p ? t : kNpos;
    q = t + 1;  // ':' '[' ']' '/' '@' and the like belong to the value (IPv6, hosts)
  }
}

// Generic parameters: *( SEMI name [ EQUAL value ] ) with LWS allowed around ';' and '='.
// p is at the first ';'. Calls f(name_begin, name_end, value_begin, value_end) for each (an empty
// value range when there is no '='). Returns the end of the last parameter, kNpos when one is
// empty (";;", "name=" without a value) or unterminated.
template <class F>
SIPSHUNT_ALWAYS_INLINE std::size_t parse_params(Cursor& c, const char* d, std::size_t p,
                                                std::size_t e, F&& f) noexcept {
  std::size_t last = p;
  while (p < e && d[p] == ';') {
    std::size_t nb = p + 1;
    if (SIPSHUNT_UNLIKELY(nb < e && is_lws(d[nb]))) nb = skip_lws(d, nb, e);
    const std::size_t ne = c.next(nb, e);
    if (ne == nb) return kNpos;
    std::size_t q = ne;
    if (SIPSHUNT_UNLIKELY(q < e && is_lws(d[q]))) q = skip_lws(d, q, e);
    std::size_t vb = ne, ve = ne;
    if (q < e && d[q] == '=') {
      vb = q + 1;
      if (SIPSHUNT_UNLIKELY(vb < e && is_lws(d[vb]))) vb = skip_lws(d, vb, e);
      ve = param_value_end(c, d, vb, e);
      if (ve == kNpos) return kNpos;
      last = ve;
    } else {
      last = ne;
    }
    f(nb, ne, vb, ve);
    p = last;
    if (SIPSHUNT_UNLIKELY(p < e && is_lws(d[p]))) p = skip_lws(d, p, e);
  }
  return last;
}

// Up to 5 digits, at most 65535. Position after them, or kNpos.
SIPSHUNT_ALWAYS_INLINE std::size_t parse_port(const char* d, std::size_t p, std::size_t e,
                                              std::uint16_t& port) noexcept {
  std::uint32_t v = 0;
  std::size_t q = p;
  while (q < e && is_digit(d[q]) && q - p < 6) v = v * 10 + static_cast<std::uint32_t>(d[q++] - '0');
  if (q == p || q - p > 5 || v > 65535) return kNpos;
  port = static_cast<std::uint16_t>(v);
  return q;
}

// A port of exactly four digits at s ("5060", "5061": the usual sent-by and URI port), decoded
// as one 32-bit word: every octet tested for a digit at once, then digit pairs and the two pairs
// combined by two multiplications. False when an octet is not a digit.
SIPSHUNT_ALWAYS_INLINE bool port4(const char* s, std::uint16_t& port) noexcept {
  const std::uint32_t x = load4(s);
  // An octet below '0' sets its top bit in x - '0'; one above '9' in x + 0x46 (an octet from
  // 0xba up wraps there, but is caught by the first term; a borrow or carry only follows an
  // octet already caught).
  if ((((x + 0x46464646u) | (x - 0x30303030u)) & 0x80808080u) != 0) return false;
  const std::uint32_t y = x - 0x30303030u;                   // the digits, first one lowest
  const std::uint32_t pairs = (y * 10 + (y >> 8)) & 0x00ff00ffu;  // d0 d1 and d2 d3
  port = static_cast<std::uint16_t>((pairs & 0xff) * 100 + (pairs >> 16));
  return true;
}

// The octets inside an IPv6 reference's brackets (RFC 3261 §25.1 IPv6reference): hex digits, ':'
// and '.' (the embedded dotted quad). A table: one load and one test per octet.
constexpr CharTable make_ipv6_ref_table() {
  CharTable t{};
  for (char c : std::string_view("0123456789abcdefABCDEF:.")) t.v[static_cast<unsigned char>(c)] = true;
  return t;
}
inline constexpr CharTable kIpv6RefChar = make_ipv6_ref_table();

// "[" IPv6 "]" starting at p. Position after ']', or kNpos.
inline std::size_t ipv6_ref_end(const char* d, std::size_t p, std::size_t e) noexcept {
  std::size_t q = p + 1;
  while (q < e && kIpv6RefChar[d[q]]) ++q;
  if (q == e || d[q] != ']' || q == p + 1) return kNpos;
  return q + 1;
}

}  // namespace sipshunt::sip::detail
