// hot path
// Private to the sip module: the URI grammar (RFC 3261 §19.1.1, §25.1 SIP-URI / SIPS-URI and
// absoluteURI), inline because the Route decoder runs it per value and parse_uri() on one text.
#pragma once

#include <cstddef>
#include <cstring>

#include "header_names.hpp"
#include "lexical.hpp"
#include "scan.hpp"
#include "sipshunt/sip/message.hpp"

namespace sipshunt::sip::detail {

// A URI that is not sip/sips: a scheme and something after the colon, no forbidden octet.
// [b, end) where end is the first Term octet or e. Returns end, or kNpos.
template <char Term>
std::size_t parse_other_uri(Cursor& c, const char* d, std::size_t b, std::size_t e, Uri& u) noexcept {
  const std::size_t t = c.next(b, e);
  if (t == b || t == e || d[t] != ':') return kNpos;
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  if (static_cast<unsigned char>((d[b] | 0x20) - 'a') >= 26) return kNpos;
  for (std::size_t i = b + 1; i < t; ++i) {
    const char ch = d[i];
    if (!(is_digit(ch) || static_cast<unsigned char>((ch | 0x20) - 'a') < 26 || ch == '+' || ch == '-' ||
          ch == '.'))
      return kNpos;
  }
  u.scheme = sv(d, b, t);
  const bool sip = (t - b == 3 && ieq(d + b, "sip")) || (t - b == 4 && ieq(d + b, "sips"));
  if (sip) return kNpos;  // "sip:" / "sips:" themselves are handled by the caller; this is "SIP :"...
  std::size_t q = t + 1;
  if (q == e || (Term != 0 && d[q] == Term)) return kNpos;
  for (;; ++q) {
    q = c.next(q, e);
    if (q == e || (Term != 0 && d[q] == Term)) break;
    if (kUriBad[d[q]]) return kNpos;
  }
  u.raw = sv(d, b, q);
  return q;
}

// Clears the fields of u that follow its host (the decoders set the others as they go).
SIPSHUNT_ALWAYS_INLINE void clear_after_host(Uri& u) noexcept {
  u.password = {};
  u.params = {};
  u.headers = {};
  u.port = 0;
  u.has_port = false;
  u.lr = false;
}

// A SIP/SIPS URI (or any absolute URI) starting at b and ending at the first Term octet (Term 0:
// none) or at e. Fills u and returns the end, or kNpos when malformed.
//   SIP-URI = "sip:" [ user [ ":" password ] "@" ] host [ ":" port ] *( ";" param ) [ "?" headers ]
template <char Term>
SIPSHUNT_ALWAYS_INLINE std::size_t parse_uri_at(Cursor& c, const char* d, std::size_t b, std::size_t e,
                                                Uri& u) noexcept {
  const auto at_end = [&](std::size_t q) { return q == e || (Term != 0 && d[q] == Term); };
  u.user = {};
  u.host = {};
  u.is_sip = false;
  clear_after_host(u);
  std::size_t r;
  if (SIPSHUNT_LIKELY(e - b > 4 && is_sip_colon(d + b))) {  // "sip:"
    r = b + 4;
  } else if (e - b > 5 && ieq(d + b, "sips:")) {
    r = b + 5;
  } else {
    return parse_other_uri<Term>(c, d, b, e, u);
  }
  u.scheme = sv(d, b, r - 1);
  u.is_sip = true;

  // userinfo ends at the first '@' (it cannot appear unescaped after the host).
  std::size_t first = kNpos, at = kNpos, end = kNpos;
  for (std::size_t q = r;; ++q) {
    q = c.next(q, e);
    if (at_end(q)) {
      end = q;
      break;
    }
    if (kUriBad[d[q]]) return kNpos;
    if (d[q] == '@') {
      at = q;
      break;
    }
    if (first == kNpos) first = q;
  }
  std::size_t h = r, he;
  if (at == kNpos) {
    he = first == kNpos ? end : first;  // the host ends at the first delimiter
  } else {
    std::size_t ue = at;
    if (first != kNpos) {  // user with delimiters (";", "?", ...) or a password
      const void* colon = std::memchr(d + r, ':', at - r);
      if (colon) {
        ue = static_cast<std::size_t>(static_cast<const char*>(colon) - d);
        u.password = sv(d, ue + 1, at);
      }
    }
    if (ue == r) return kNpos;
    u.user = sv(d, r, ue);
    h = at + 1;
    he = kNpos;
  }
  if (at_end(h)) return kNpos;
  if (SIPSHUNT_UNLIKELY(d[h] == '[')) {
    he = ipv6_ref_end(d, h, e);
    if (he == kNpos) return kNpos;
  } else if (he == kNpos) {
    he = c.next(h, e);
  }
  if (he == h) return kNpos;
  u.host = sv(d, h, he);
  std::size_t q = he;
  if (q < e && d[q] == ':') {
    q = parse_port(d, q + 1, e, u.port);
    if (q == kNpos) return kNpos;
    u.has_port = true;
  }
  if (q < e && d[q] == ';') {
    const std::size_t pb = q;
    while (q < e && d[q] == ';') {
      const std::size_t nb = q + 1;
      std::size_t t = c.next(nb, e);
      if (t - nb == 2 && name_is<"lr">(d + nb)) u.lr = true;
      while (!at_end(t) && d[t] != ';' && d[t] != '?') {
        if (kUriBad[d[t]]) return kNpos;
        t = c.next(t + 1, e);
      }
      q = t;
    }
    u.params = sv(d, pb, q);
  }
  if (q < e && d[q] == '?') {
    const std::size_t hb = q + 1;
    for (q = hb;; ++q) {
      q = c.next(q, e);
      if (at_end(q)) break;
      if (kUriBad[d[q]]) return kNpos;
    }
    u.headers = sv(d, hb, q);
  }
  if (!at_end(q)) return kNpos;  // e.g. a second '@', or LWS
  u.raw = sv(d, b, q);
  return q;
}

}  // namespace sipshunt::sip::detail
