// hot path
// The datagram parser: start line, header table, typed decoding of the fields the proxy and the
// rules act on, and body framing. A first pass indexes the line ends of the header section (SIMD,
// 64 octets at a time); the decoders then jump between delimiters found by a Cursor (a 64-bit
// mask of non-token octets), so most octets are never looked at one by one.
#include <cstring>

#include "header_names.hpp"
#include "scan.hpp"
#include "sipshunt/sip/message.hpp"

namespace sipshunt::sip {

namespace {

using detail::is_digit;
using detail::kNpos;
using detail::kToken;
using detail::kUriBad;
using detail::Cursor;
using detail::skip_lws;
using detail::sv;

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

// "[" IPv6 "]" starting at p. Position after ']', or kNpos.
std::size_t ipv6_ref_end(const char* d, std::size_t p, std::size_t e) noexcept {
  std::size_t q = p + 1;
  while (q < e && (is_digit(d[q]) || d[q] == ':' || d[q] == '.' ||
                   static_cast<unsigned char>((d[q] | 0x20) - 'a') < 6))
    ++q;
  if (q == e || d[q] != ']' || q == p + 1) return kNpos;
  return q + 1;
}

SIPSHUNT_ALWAYS_INLINE std::uint32_t load4(const char* s) noexcept {
  std::uint32_t v;
  std::memcpy(&v, s, 4);
  return v;
}

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
  const bool sip = (t - b == 3 && detail::ieq(d + b, "sip")) || (t - b == 4 && detail::ieq(d + b, "sips"));
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

// A SIP/SIPS URI (or any absolute URI) starting at b and ending at the first Term octet (Term 0:
// none) or at e. Fills u and returns the end, or kNpos when malformed.
//   SIP-URI = "sip:" [ user [ ":" password ] "@" ] host [ ":" port ] *( ";" param ) [ "?" headers ]
template <char Term>
SIPSHUNT_ALWAYS_INLINE std::size_t parse_uri_at(Cursor& c, const char* d, std::size_t b, std::size_t e,
                                                Uri& u) noexcept {
  const auto at_end = [&](std::size_t q) { return q == e || (Term != 0 && d[q] == Term); };
  u.user = {};
  u.password = {};
  u.host = {};
  u.params = {};
  u.headers = {};
  u.port = 0;
  u.has_port = false;
  u.lr = false;
  u.is_sip = false;
  std::size_t r;
  if (SIPSHUNT_LIKELY(e - b > 4 && (load4(d + b) | 0x00202020u) == 0x3a706973u)) {  // "sip:"
    r = b + 4;
  } else if (e - b > 5 && detail::ieq(d + b, "sips:")) {
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
      if (t - nb == 2 && detail::name_is<"lr">(d + nb)) u.lr = true;
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

SIPSHUNT_ALWAYS_INLINE std::uint64_t load8(const char* s) noexcept {
  std::uint64_t v;
  std::memcpy(&v, s, 8);
  return v;
}

// Records one Via parameter when it is one the proxy reads.
SIPSHUNT_ALWAYS_INLINE void via_param(const char* d, std::size_t nb, std::size_t ne, std::size_t vb,
                                      std::size_t ve, Via& v) noexcept {
  switch (ne - nb) {
    case 5:
      if (detail::name_is<"rport">(d + nb)) {
        v.has_rport = true;
        v.rport = sv(d, vb, ve);
      } else if (detail::name_is<"maddr">(d + nb)) {
        v.has_maddr = true;
        v.maddr = sv(d, vb, ve);
      }
      break;
    case 6:
      if (detail::name_is<"branch">(d + nb)) {
        v.has_branch = true;
        v.branch = sv(d, vb, ve);
      }
      break;
    case 8:
      if (detail::name_is<"received">(d + nb)) {
        v.has_received = true;
        v.received = sv(d, vb, ve);
      }
      break;
    default:
      break;
  }
}

SIPSHUNT_ALWAYS_INLINE void via_reset_params(Via& v) noexcept {
  v.port = 0;
  v.has_port = false;
  v.has_branch = false;
  v.has_received = false;
  v.has_rport = false;
  v.has_maddr = false;
  v.branch = {};
  v.received = {};
  v.rport = {};
  v.maddr = {};
  v.params = {};
}

// Widest value a fast path takes with mask type M: 63 octets in one register, 127 in two.
template <class M>
inline constexpr std::size_t kWindowMax = sizeof(M) * 8 - 1;

// The common shape, "SIP/2.0/T host[:port][;token[=token]]*" under 128 octets, with no LWS but
// the one SP and no quoted or IPv6 values, decoded from one delimiter mask. Returns the position
// after the via-parm (',' or e), or kNpos when it needs the general decoder (which also reports
// the errors).
template <class M>
SIPSHUNT_ALWAYS_INLINE std::size_t via_fast(const detail::Blocks& b, const char* d, std::size_t p,
                                            std::size_t n, Via& v) noexcept {
  M m;
  if (n < 13 || n > kWindowMax<M> || load8(d + p) != 0x2f302e322f504953ull || !detail::window(b, p, n, m))
    return kNpos;  // not "SIP/2.0/..."
  const char* s = d + p;  // offsets below are relative to the value; s[n] is LWS or CR
  m &= ~M{0xff};  // the two '/'
  std::size_t t = detail::pop(m);
  if (t == 8 || t + 1 >= n || s[t] != ' ') return kNpos;
  v.protocol = sv(s, 0, 3);
  v.version = sv(s, 4, 7);
  v.transport = sv(s, 8, t);
  const std::size_t h = t + 1;
  t = detail::pop(m);
  if (t == h) return kNpos;  // '[', LWS, ...
  v.host = sv(s, h, t);
  via_reset_params(v);
  if (s[t] == ':' && t < n) {
    const std::size_t q = detail::pop(m);
    if (parse_port(s, t + 1, q, v.port) != q) return kNpos;
    v.has_port = true;
    t = q;
  }
  const std::size_t pb = t;
  while (s[t] == ';' && t < n) {
    const std::size_t nb = t + 1;
    const std::size_t ne = detail::pop(m);
    if (ne == nb) return kNpos;
    std::size_t vb = ne, ve = ne;
    if (s[ne] == '=' && ne < n) {
      vb = ne + 1;
      ve = detail::pop(m);
      if (ve == vb) return kNpos;
    }
    if (ve < n && s[ve] != ';' && s[ve] != ',') return kNpos;
    via_param(s, nb, ne, vb, ve, v);
    t = ve;
  }
  if (t < n && s[t] != ',') return kNpos;
  if (t > pb) v.params = sv(s, pb, t);
  v.value = sv(s, 0, t);
  return p + t;
}

// Any via-parm: sent-protocol LWS sent-by *( SEMI via-params ), LWS (folding included) allowed
// around '/', ':', ';', '='. Returns the position after it and its trailing LWS (',' or e), or
// kNpos when it is malformed.
__attribute__((noinline)) std::size_t via_general(Cursor& c, const char* d, std::size_t p, std::size_t e,
                                                  Via& v) noexcept {
  const std::size_t start = p;
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport; SLASH = SWS "/" SWS
  std::size_t t = c.next(p, e);
  if (t == p) return kNpos;
  v.protocol = sv(d, p, t);
  p = skip_lws(d, t, e);
  if (p == e || d[p] != '/') return kNpos;
  p = skip_lws(d, p + 1, e);
  t = c.next(p, e);
  if (t == p) return kNpos;
  v.version = sv(d, p, t);
  p = skip_lws(d, t, e);
  if (p == e || d[p] != '/') return kNpos;
  p = skip_lws(d, p + 1, e);
  t = c.next(p, e);
  if (t == p) return kNpos;
  v.transport = sv(d, p, t);
  p = skip_lws(d, t, e);
  if (p == t || p == e) return kNpos;
  // sent-by = host [ COLON port ]
  if (d[p] == '[') {
    t = ipv6_ref_end(d, p, e);
    if (t == kNpos) return kNpos;
  } else {
    t = c.next(p, e);
    if (t == p) return kNpos;
  }
  v.host = sv(d, p, t);
  via_reset_params(v);
  std::size_t last = t;
  p = skip_lws(d, t, e);
  if (p < e && d[p] == ':') {
    p = parse_port(d, skip_lws(d, p + 1, e), e, v.port);
    if (p == kNpos) return kNpos;
    v.has_port = true;
    last = p;
    p = skip_lws(d, p, e);
  }
  if (p < e && d[p] == ';') {
    const std::size_t pb = p;
    const std::size_t pe = parse_params(c, d, p, e, [&](std::size_t nb, std::size_t ne, std::size_t vb, std::size_t ve) {
      via_param(d, nb, ne, vb, ve, v);
    });
    if (pe == kNpos) return kNpos;
    v.params = sv(d, pb, pe);
    last = pe;
    p = skip_lws(d, pe, e);
  }
  v.value = sv(d, start, last);
  return p;
}

// Via: 1#( sent-protocol LWS sent-by *( SEMI via-params ) ), every value decoded.
Status decode_via(const detail::Blocks& b, const char* d, std::size_t p, std::size_t e, Message& m,
                  std::uint16_t hidx) noexcept {
  if (p == e) return Status::kBadVia;
  for (;;) {
    if (m.via_count == kMaxVias) return Status::kTooManyVias;
    Via& v = m.vias[m.via_count];
    std::size_t q = e - p < 64 ? via_fast<std::uint64_t>(b, d, p, e - p, v)
                               : via_fast<detail::Mask128>(b, d, p, e - p, v);
    if (SIPSHUNT_UNLIKELY(q == kNpos)) {
      Cursor c(b, p, e);
      q = via_general(c, d, p, e, v);
      if (q == kNpos) return Status::kBadVia;
    }
    v.header = hidx;
    ++m.via_count;
    if (q == e) return Status::kOk;
    if (d[q] != ',') return Status::kBadVia;
    p = skip_lws(d, q + 1, e);
    if (p == e) return Status::kBadVia;  // trailing comma: an empty via-parm
  }
}

// From / To: ( name-addr / addr-spec ) *( SEMI from-param ). Finds the tag.
// From / To of the usual shapes under 128 octets ("Name <uri>;tag=x", "\"A Name\" <uri>;tag=x",
// "<uri>;tag=x", "uri;tag=x"; no quoted-pair, no LWS among the parameters), from one delimiter
// mask. False: use the general decoder.
template <class M>
SIPSHUNT_ALWAYS_INLINE bool addr_fast(const detail::Blocks& b, const char* d, std::size_t p, std::size_t n,
                                      std::string_view& tag) noexcept {
  M m;
  if (n == 0 || n > kWindowMax<M> || !detail::window(b, p, n, m)) return false;
  const char* s = d + p;  // s[n] is LWS or CR
  std::size_t t;
  for (;;) {  // display-name or addr-spec, up to '<' or the first ';'
    t = detail::pop(m);
    if (t >= n) return true;  // no parameters
    const char ch = s[t];
    if (ch == '"') {  // a quoted display name: everything up to the closing quote is its text
      do {
        t = detail::pop(m);
        if (t >= n || s[t] == '\\') return false;  // unterminated, or a quoted-pair
      } while (s[t] != '"');
      continue;
    }
    if (ch == '<') {
      const std::size_t lt = t;
      do {
        t = detail::pop(m);
        if (t >= n || s[t] == '<' || s[t] == '"') return false;
      } while (s[t] != '>');
      if (t == lt + 1) return false;
      const std::size_t a = t + 1;
      if (a == n) return true;
      if (s[a] != ';') return false;
      t = detail::pop(m);  // the ';' right after '>'
      break;
    }
    if (ch == ';') break;
    if (ch == '>') return false;
  }
  while (t < n) {  // s[t] == ';'
    const std::size_t nb = t + 1;
    const std::size_t ne = detail::pop(m);
    if (ne == nb) return false;
    std::size_t vb = ne, ve = ne;
    if (ne < n && s[ne] == '=') {
      vb = ne + 1;
      ve = detail::pop(m);
      if (ve == vb) return false;
    }
    if (ve < n && s[ve] != ';') return false;
    if (ne - nb == 3 && detail::name_is<"tag">(s + nb)) tag = sv(s, vb, ve);
    t = ve;
  }
  return true;
}

Status addr_general(const detail::Blocks& b, const char* d, std::size_t p, std::size_t e,
                    std::string_view& tag, Status bad) noexcept;

Status decode_addr(const detail::Blocks& b, const char* d, std::size_t p, std::size_t e,
                   std::string_view& tag, Status bad) noexcept {
  if (p == e) return bad;
  const bool fast = e - p < 64 ? addr_fast<std::uint64_t>(b, d, p, e - p, tag)
                               : addr_fast<detail::Mask128>(b, d, p, e - p, tag);
  if (SIPSHUNT_LIKELY(fast)) return Status::kOk;
  tag = {};
  return addr_general(b, d, p, e, tag, bad);
}

// Any From / To value: quoted display names, LWS and folding anywhere LWS may be.
__attribute__((noinline)) Status addr_general(const detail::Blocks& b, const char* d, std::size_t p,
                                              std::size_t e, std::string_view& tag, Status bad) noexcept {
  Cursor c(b, p, e);
  std::size_t q = p;
  std::size_t params;
  for (;;) {
    const std::size_t t = c.next(q, e);
    if (t == e) return Status::kOk;  // addr-spec (or <...>-less text) without parameters
    const char ch = d[t];
    if (ch == '"') {
      q = quoted_end(c, d, t, e);
      if (q == kNpos) return bad;
      continue;
    }
    if (ch == '<') {
      std::size_t u = t + 1;
      for (;; ++u) {
        u = c.next(u, e);
        if (u == e) return bad;
        if (d[u] == '>') break;
      }
      if (u == t + 1) return bad;
      q = skip_lws(d, u + 1, e);
      if (q == e) return Status::kOk;
      if (d[q] != ';') return bad;
      params = q;
      break;
    }
    if (ch == ';') {
      params = t;
      break;
    }
    if (ch == '>') return bad;
    q = t + 1;
  }
  const std::size_t last = parse_params(c, d, params, e, [&](std::size_t nb, std::size_t ne, std::size_t vb, std::size_t ve) {
    if (ne - nb == 3 && detail::name_is<"tag">(d + nb)) tag = sv(d, vb, ve);
  });
  if (last == kNpos || skip_lws(d, last, e) != e) return bad;
  return Status::kOk;
}

// CSeq = 1*DIGIT LWS Method
Status decode_cseq(const detail::Blocks& b, const char* d, std::size_t p, std::size_t e, Message& m) noexcept {
  std::uint64_t v = 0;
  std::size_t q = p;
  while (q < e && is_digit(d[q])) {
    if (v <= 0x7fffffff) v = v * 10 + static_cast<std::uint64_t>(d[q] - '0');
    ++q;
  }
  if (q == p || v > 0x7fffffff) return Status::kBadCSeq;
  const std::size_t r = skip_lws(d, q, e);
  if (r == q || r == e) return Status::kBadCSeq;
  Cursor c(b, r, e);
  if (c.next(r, e) != e) return Status::kBadCSeq;  // the method is one token to the end
  m.cseq = static_cast<std::uint32_t>(v);
  m.cseq_method = sv(d, r, e);
  return Status::kOk;
}

Status decode_max_forwards(const char* d, std::size_t p, std::size_t e, Message& m) noexcept {
  std::uint32_t v = 0;
  std::size_t q = p;
  while (q < e && is_digit(d[q])) {
    if (v <= 255) v = v * 10 + static_cast<std::uint32_t>(d[q] - '0');
    ++q;
  }
  if (q == p || q != e || v > 255) return Status::kBadMaxForwards;
  m.max_forwards = static_cast<int>(v);
  return Status::kOk;
}

Status decode_content_length(const char* d, std::size_t p, std::size_t e, Message& m) noexcept {
  std::uint64_t v = 0;
  std::size_t q = p;
  while (q < e && is_digit(d[q])) {
    if (v <= 0xffffffff) v = v * 10 + static_cast<std::uint64_t>(d[q] - '0');
    ++q;
  }
  if (q != e) {
    const std::size_t r = skip_lws(d, q, e);
    if (q != p && r < e && d[r] == ',') return Status::kDuplicateContentLength;
    return Status::kBadContentLength;
  }
  if (q == p || v > 0xffffffff) return Status::kBadContentLength;
  m.has_content_length = true;
  m.content_length = static_cast<std::uint32_t>(v);
  return Status::kOk;
}

// A Route / Record-Route element of the usual shape, "<sip:[user@]host[:port][;params]>[;params]"
// with token parameters and no LWS, the value under 128 octets, from one delimiter mask. Returns
// the position after the element (',' or e), or kNpos: use the general decoder.
template <class M>
SIPSHUNT_ALWAYS_INLINE std::size_t route_fast(const detail::Blocks& b, const char* d, std::size_t p,
                                              std::size_t n, RouteValue& r) noexcept {
  M m;
  if (n < 7 || n > kWindowMax<M> || d[p] != '<' || (load4(d + p + 1) | 0x00202020u) != 0x3a706973u ||
      !detail::window(b, p, n, m))
    return kNpos;  // not "<sip:..."
  const char* s = d + p;  // s[n] is LWS or CR
  Uri& u = r.uri;
  m &= ~M{0x1f};  // '<' and the ':' of "sip:"
  std::size_t t = detail::pop(m);
  std::size_t h = 5;
  u.user = {};
  if (s[t] == '@' && t < n) {
    if (t == 5) return kNpos;
    u.user = sv(s, 5, t);
    h = t + 1;
    t = detail::pop(m);
  }
  if (t == h) return kNpos;
  u.host = sv(s, h, t);
  u.password = {};
  u.params = {};
  u.headers = {};
  u.port = 0;
  u.has_port = false;
  u.lr = false;
  if (s[t] == ':' && t < n) {
    const std::size_t q = detail::pop(m);
    if (parse_port(s, t + 1, q, u.port) != q) return kNpos;
    u.has_port = true;
    t = q;
  }
  const std::size_t pb = t;
  while (s[t] == ';' && t < n) {
    const std::size_t nb = t + 1;
    t = detail::pop(m);
    if (t - nb == 2 && detail::name_is<"lr">(s + nb)) u.lr = true;
    if (s[t] == '=' && t < n) t = detail::pop(m);
  }
  if (t >= n || s[t] != '>') return kNpos;  // '?', '@', LWS, ...: the general decoder
  if (t > pb) u.params = sv(s, pb, t);
  u.raw = sv(s, 1, t);
  u.scheme = sv(s, 1, 4);
  u.is_sip = true;
  const std::size_t a = t + 1;  // after '>'
  if (a < n && s[a] != ',') {
    if (s[a] != ';') return kNpos;
    t = detail::pop(m);  // that ';'
    while (t < n && s[t] == ';') {
      const std::size_t nb = t + 1;
      t = detail::pop(m);
      if (t == nb) return kNpos;
      if (s[t] == '=' && t < n) {
        const std::size_t vb = t + 1;
        t = detail::pop(m);
        if (t == vb) return kNpos;
      }
    }
    if (t < n && s[t] != ',') return kNpos;
    r.value = sv(s, 0, t);
    return p + t;
  }
  r.value = sv(s, 0, a);
  return p + a;
}

// Any Route / Record-Route element: [display-name] <URI> *( SEMI rr-param ), LWS allowed.
// Returns the position after it and its trailing LWS (',' or e), or kNpos when malformed.
__attribute__((noinline)) std::size_t route_general(const detail::Blocks& b, const char* d, std::size_t p,
                                                    std::size_t e, RouteValue& r) noexcept {
  Cursor c(b, p, e);
  const std::size_t start = p;
  std::size_t q = p;
  std::size_t lt;
  for (;;) {  // optional display-name, then '<'
    const std::size_t t = c.next(q, e);
    if (t == e) return kNpos;
    const char ch = d[t];
    if (ch == '<') {
      lt = t;
      break;
    }
    if (ch == '"') {
      q = quoted_end(c, d, t, e);
      if (q == kNpos) return kNpos;
      continue;
    }
    if (ch == ',' || ch == ';' || ch == '>') return kNpos;
    q = t + 1;
  }
  const std::size_t gt = parse_uri_at<'>'>(c, d, lt + 1, e, r.uri);
  if (gt == kNpos || gt == e) return kNpos;
  std::size_t last = gt + 1;
  q = skip_lws(d, last, e);
  if (q < e && d[q] == ';') {
    last = parse_params(c, d, q, e, [](std::size_t, std::size_t, std::size_t, std::size_t) {});
    if (last == kNpos) return kNpos;
    q = skip_lws(d, last, e);
  }
  r.value = sv(d, start, last);
  return q;
}

// Route / Record-Route: 1#( name-addr *( SEMI rr-param ) ), the URI inside <> decoded.
Status decode_routes(const detail::Blocks& b, const char* d, std::size_t p, std::size_t e, RouteValue* out,
                     std::uint8_t& count, std::size_t max, std::uint16_t hidx) noexcept {
  if (p == e) return Status::kBadRoute;
  for (;;) {
    if (count == max) return Status::kTooManyRoutes;
    RouteValue& r = out[count];
    std::size_t q = e - p < 64 ? route_fast<std::uint64_t>(b, d, p, e - p, r)
                               : route_fast<detail::Mask128>(b, d, p, e - p, r);
    if (SIPSHUNT_UNLIKELY(q == kNpos)) {
      q = route_general(b, d, p, e, r);
      if (q == kNpos) return Status::kBadRoute;
    }
    r.header = hidx;
    ++count;
    if (q == e) return Status::kOk;
    if (d[q] != ',') return Status::kBadRoute;
    p = skip_lws(d, q + 1, e);
    if (p == e) return Status::kBadRoute;
  }
}

// "SIP/" 1*DIGIT "." 1*DIGIT over exactly [b, e): 0 malformed, 1 SIP/2.0, 2 another version.
int version_kind(const char* d, std::size_t b, std::size_t e) noexcept {
  if (e - b < 7 || !detail::ieq(d + b, "sip/")) return 0;
  std::size_t q = b + 4;
  const std::size_t s1 = q;
  while (q < e && is_digit(d[q])) ++q;
  if (q == s1 || q == e || d[q] != '.') return 0;
  const std::size_t s2 = ++q;
  while (q < e && is_digit(d[q])) ++q;
  if (q == s2 || q != e) return 0;
  return (e - b == 7 && d[b + 4] == '2' && d[b + 6] == '0') ? 1 : 2;
}

// Request-Line = Method SP Request-URI SP SIP-Version; Status-Line = SIP-Version SP
// Status-Code SP Reason-Phrase. [b, e) excludes the CRLF. kBadVersion still fills the fields.
Status parse_start_line(Cursor& c, const char* d, std::size_t b, std::size_t e, Message& m) noexcept {
  m.start_line = sv(d, b, e);
  if (e - b >= 4 && detail::ieq(d + b, "sip/")) {
    std::size_t sp = b + 4;
    int vk;
    std::uint64_t head;
    if (SIPSHUNT_LIKELY(e - b >= 8 && (std::memcpy(&head, d + b, 8), head == 0x20302e322f504953ull))) {
      sp = b + 7;  // "SIP/2.0 ", the usual case
      vk = 1;
    } else {
      while (sp < e && (is_digit(d[sp]) || d[sp] == '.')) ++sp;
      vk = version_kind(d, b, sp);
    }
    if (vk == 0 || sp == e || d[sp] != ' ') return Status::kBadStartLine;
    const std::size_t c = sp + 1;
    if (c < e && d[c] == ' ') return Status::kBadStartLine;
    if (e - c < 3 || !is_digit(d[c]) || !is_digit(d[c + 1]) || !is_digit(d[c + 2]) || d[c] < '1' ||
        d[c] > '6')
      return Status::kBadStatusCode;
    if (c + 3 == e) return Status::kBadStartLine;  // SP before the (possibly empty) reason
    if (d[c + 3] != ' ') return Status::kBadStatusCode;  // e.g. more than three digits
    m.is_request = false;
    m.status_code = static_cast<std::uint16_t>((d[c] - '0') * 100 + (d[c + 1] - '0') * 10 + (d[c + 2] - '0'));
    m.reason = sv(d, c + 4, e);
    return vk == 1 ? Status::kOk : Status::kBadVersion;
  }
  // The usual request line, under 64 octets and ending in " SIP/2.0": method and URI checked
  // from one delimiter mask.
  if (std::uint64_t mk; e - b < 64 && e - b > 9 && load8(d + e - 8) == 0x302e322f50495320ull &&
                        detail::window(*c.blocks(), b, e - b - 8, mk)) {
    const char* s = d + b;
    const std::size_t n = e - b - 8;  // up to the SP before "SIP/2.0"
    const std::size_t t = detail::pop(mk);
    if (t != 0 && t < n && s[t] == ' ' && t + 1 < n && s[t + 1] != '<') {
      std::size_t q = detail::pop(mk);
      while (q < n && !kUriBad[s[q]]) q = detail::pop(mk);
      if (q == n) {
        m.is_request = true;
        m.method = sv(s, 0, t);
        m.request_uri = sv(s, t + 1, n);
        return Status::kOk;
      }
    }
  }
  const std::size_t t = c.next(b, e);
  if (t == b || t == e) return Status::kBadStartLine;
  if (d[t] != ' ') return d[t] == '\t' ? Status::kBadStartLine : Status::kBadMethod;
  std::size_t v;
  int vk;
  std::uint64_t tail;
  if (SIPSHUNT_LIKELY(e - t >= 9 && (std::memcpy(&tail, d + e - 8, 8), tail == 0x302e322f50495320ull))) {
    v = e - 7;  // " SIP/2.0", the usual case
    vk = 1;
  } else {
    if (d[e - 1] == ' ' || d[e - 1] == '\t') return Status::kBadStartLine;  // trailing whitespace
    v = e;
    while (d[v - 1] != ' ') --v;  // stops at t + 1 at the latest
    if (v - 1 == t) return Status::kBadStartLine;  // two elements only
    vk = version_kind(d, v, e);
    if (vk == 0) return Status::kBadStartLine;
  }
  const std::size_t ub = t + 1, ue = v - 1;
  if (ue == ub || d[ub] == ' ' || d[ub] == '\t' || d[ue - 1] == ' ' || d[ue - 1] == '\t')
    return Status::kBadStartLine;  // more than one SP between elements
  if (d[ub] == '<') return Status::kBadRequestUri;
  for (std::size_t q = ub;; ++q) {
    q = c.next(q, ue);
    if (q == ue) break;
    if (kUriBad[d[q]]) return Status::kBadRequestUri;  // LWS, controls, <>, non-ASCII, ...
  }
  m.is_request = true;
  m.method = sv(d, b, t);
  m.request_uri = sv(d, ub, ue);
  return vk == 1 ? Status::kOk : Status::kBadVersion;
}

// Equality of two short strings (method names) without a call to memcmp.
SIPSHUNT_ALWAYS_INLINE bool same(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  std::size_t i = 0;
  for (; i + 8 <= a.size(); i += 8)
    if (load8(a.data() + i) != load8(b.data() + i)) return false;
  for (; i < a.size(); ++i)
    if (a[i] != b[i]) return false;
  return true;
}

SIPSHUNT_ALWAYS_INLINE void note(Status& err, Status s) noexcept {
  if (err == Status::kOk) err = s;
}

void reset(const char* data, std::size_t size, Message& m) noexcept {
  m.data = data;
  m.size = size;
  m.is_request = false;
  m.start_line = {};
  m.method = {};
  m.request_uri = {};
  m.status_code = 0;
  m.reason = {};
  m.header_count = 0;
  std::memset(m.first, 0xff, sizeof m.first);
  m.via_count = 0;
  m.route_count = 0;
  m.call_id = {};
  m.cseq = 0;
  m.cseq_method = {};
  m.max_forwards = -1;
  m.from_tag = {};
  m.to_tag = {};
  m.has_content_length = false;
  m.content_length = 0;
  m.headers_end = 0;
  m.body = {};
}


// Field index of the header section, from one SIMD pass: the offset of the '\n' ending the start
// line and each header field (folded lines already joined: a '\n' followed by SP/HT is skipped),
// up to the one followed by CR (the empty line; a lone CR there is caught later), and the
// delimiter mask of every 64-octet block up to there. A bare LF stops the index: its entry is
// the last, flagged `bare_lf`, so the fields before it are still decoded. The decoders then work
// field by field without a serial search.
constexpr std::size_t kMaxLines = 4 * kMaxHeaders;
constexpr std::size_t kMaxBlocks = 128;  // masks kept for the first 8 KiB

struct LineIndex {
  std::uint32_t count;
  bool overflow;  // more than kMaxLines fields before the end of the headers
  bool bare_lf;   // at[count - 1] is a LF without CR
  std::uint32_t at[kMaxLines];
  std::uint64_t sp[kMaxBlocks];
};

SIPSHUNT_ALWAYS_INLINE std::size_t index_lines(const char* d, std::size_t from, std::size_t size,
                                               LineIndex& li) noexcept {
  std::uint32_t k = 0;
  std::size_t blk = 0;
  li.overflow = false;
  li.bare_lf = false;
  for (std::size_t off = 0; off < size; off += 64, ++blk) {
    std::uint64_t m, sp;
    detail::classify_block(d + off, size - off, m, sp);
    if (blk < kMaxBlocks) li.sp[blk] = sp;
    if (SIPSHUNT_UNLIKELY(off < from)) m = off + 64 <= from ? 0 : m & (~std::uint64_t{0} << (from - off));
    while (m != 0) {
      const std::size_t q = off + static_cast<std::size_t>(__builtin_ctzll(m));
      m &= m - 1;
      const char next = q + 1 < size ? d[q + 1] : '\0';
      const bool bare = q == from || d[q - 1] != '\r';
      if (SIPSHUNT_LIKELY(!bare) && (next == ' ' || next == '\t') && k > 0) continue;  // folding
      if (SIPSHUNT_UNLIKELY(k == kMaxLines)) {
        li.overflow = true;
        li.count = k;
        return blk < kMaxBlocks ? blk + 1 : kMaxBlocks;
      }
      li.at[k++] = static_cast<std::uint32_t>(q);
      if (SIPSHUNT_UNLIKELY(bare) || next == '\r') {
        li.bare_lf = bare;
        li.count = k;
        return blk < kMaxBlocks ? blk + 1 : kMaxBlocks;
      }
    }
  }
  li.count = k;
  return blk < kMaxBlocks ? blk : kMaxBlocks;
}

}  // namespace

Status parse(const char* data, std::size_t size, Message& m) noexcept {
  static_assert(kNoHeader == 0xffff, "first[] is reset with 0xff octets");
  reset(data, size, m);
  const char* d = data;
  std::size_t pos = 0;
  while (pos + 1 < size && d[pos] == '\r' && d[pos + 1] == '\n') pos += 2;  // RFC 3261 §7.5
  if (pos >= size) return Status::kEmpty;

  LineIndex li;  // not zeroed: only at[0, count) and sp[0, blocks.count) are read
  const detail::Blocks blocks{d, size, li.sp, index_lines(d, pos, size, li)};
  if (li.count == 0) {
    Cursor c(blocks, pos, size);
    const Status s = parse_start_line(c, d, pos, size, m);
    return s == Status::kOk ? Status::kHeadersUnterminated : s;
  }
  const std::size_t nl = li.at[0];
  if (li.count == 1 && li.bare_lf) return Status::kBadStartLine;
  Status err;
  {
    Cursor c(blocks, pos, nl - 1);
    err = parse_start_line(c, d, pos, nl - 1, m);
  }
  if (err != Status::kOk && err != Status::kBadVersion) return err;
  // A version other than 2.0 is answered with a 505 built from the headers, so they are still
  // parsed; kBadVersion then outranks every later finding except a broken header section.
  const bool bad_version = err == Status::kBadVersion;
  err = Status::kOk;

  // Each index entry after the start line ends one field (folding already joined) with CRLF;
  // what follows the last one is checked after the loop: the empty line, or an error.
  const std::uint32_t fields_end = li.count - (li.bare_lf ? 1 : 0);
  std::uint16_t count = 0;  // m.header_count, kept in a register
  pos = nl + 1;
  for (std::uint32_t line = 1; line < fields_end; ++line) {
    const std::size_t le = li.at[line];
    const std::size_t cr = le - 1;
    // field-name HCOLON: token, optional SP/HT, ':'. The name ends at the first delimiter,
    // usually inside the block the line starts in.
    std::size_t ne;
    {
      const std::size_t blk = pos >> 6;
      const std::uint64_t mk = blk < blocks.count ? blocks.sp[blk] >> (pos & 63) : 0;
      if (SIPSHUNT_LIKELY(mk != 0)) {
        ne = pos + static_cast<std::size_t>(__builtin_ctzll(mk));
        if (ne > cr) ne = cr;
      } else {
        Cursor c(blocks, pos, cr);
        ne = c.next(pos);
      }
    }
    if (ne == pos) return Status::kBadHeaderLine;  // e.g. folding right after the start line
    std::size_t q = ne;
    if (SIPSHUNT_UNLIKELY(d[q] != ':')) {
      while (d[q] == ' ' || d[q] == '\t') ++q;  // stops at the CR at the latest
      if (d[q] != ':') return Status::kBadHeaderLine;
    }
    // Trim LWS (folding included); usually exactly one SP after the colon and none at the end.
    std::size_t vb = q + 1, ve = cr;
    if (d[vb] == ' ') ++vb;  // vb <= cr, and d[cr] is CR
    if (SIPSHUNT_UNLIKELY(is_lws(d[vb])))
      while (vb < ve && is_lws(d[vb])) ++vb;
    if (SIPSHUNT_UNLIKELY(ve > vb && is_lws(d[ve - 1])))
      while (ve > vb && is_lws(d[ve - 1])) --ve;

    if (count == kMaxHeaders) return Status::kTooManyHeaders;
    const std::uint16_t idx = count++;
    m.header_count = count;
    const HeaderId id = detail::lookup_header(d + pos, ne - pos);
    Header& h = m.headers[idx];
    h.id = id;
    h.name = sv(d, pos, ne);
    h.value = sv(d, vb, ve);
    h.line = sv(d, pos, le + 1);
    std::uint16_t& first = m.first[static_cast<std::size_t>(id)];
    const bool dup = first != kNoHeader;
    if (!dup) first = idx;

    Status s = Status::kOk;
    switch (id) {
      case HeaderId::kVia:
        s = decode_via(blocks, d, vb, ve, m, idx);
        break;
      case HeaderId::kCallId:
        if (dup)
          s = Status::kDuplicateCallId;
        else if (vb == ve)
          s = Status::kBadCallId;
        else
          m.call_id = sv(d, vb, ve);  // not h.value: reading back a fresh 16-octet store stalls
        break;
      case HeaderId::kCSeq:
        s = dup ? Status::kDuplicateCSeq : decode_cseq(blocks, d, vb, ve, m);
        break;
      case HeaderId::kFrom:
        s = dup ? Status::kDuplicateFrom : decode_addr(blocks, d, vb, ve, m.from_tag, Status::kBadFrom);
        break;
      case HeaderId::kTo:
        s = dup ? Status::kDuplicateTo : decode_addr(blocks, d, vb, ve, m.to_tag, Status::kBadTo);
        break;
      case HeaderId::kMaxForwards:
        // No duplicate status of its own: two Max-Forwards fields are as bad as an unreadable one.
        s = dup ? Status::kBadMaxForwards : decode_max_forwards(d, vb, ve, m);
        break;
      case HeaderId::kContentLength:
        s = dup ? Status::kDuplicateContentLength : decode_content_length(d, vb, ve, m);
        break;
      case HeaderId::kRoute:
        s = decode_routes(blocks, d, vb, ve, m.routes, m.route_count, kMaxRoutes, idx);
        break;
      default:
        break;
    }
    if (SIPSHUNT_UNLIKELY(s != Status::kOk)) note(err, s);
    pos = le + 1;
  }
  if (li.bare_lf) return Status::kBadHeaderLine;  // the next line ends with a LF without CR
  if (li.overflow) return Status::kTooManyHeaders;
  if (pos + 1 >= size || d[pos] != '\r') return Status::kHeadersUnterminated;
  if (d[pos + 1] != '\n') return Status::kBadHeaderLine;
  m.headers_end = pos;

  // Body framing over a datagram: Content-Length governs; without it the body is the rest.
  const std::size_t body_at = m.headers_end + 2;
  const std::size_t avail = size - body_at;
  if (m.has_content_length && m.content_length <= avail) {
    m.body = sv(d, body_at, body_at + m.content_length);
  } else {
    m.body = sv(d, body_at, size);
  }

  if (bad_version) return Status::kBadVersion;
  if (err != Status::kOk) return err;
  if (m.first[static_cast<std::size_t>(HeaderId::kVia)] == kNoHeader) return Status::kMissingVia;
  if (m.first[static_cast<std::size_t>(HeaderId::kCallId)] == kNoHeader) return Status::kMissingCallId;
  if (m.first[static_cast<std::size_t>(HeaderId::kFrom)] == kNoHeader) return Status::kMissingFrom;
  if (m.first[static_cast<std::size_t>(HeaderId::kTo)] == kNoHeader) return Status::kMissingTo;
  if (m.first[static_cast<std::size_t>(HeaderId::kCSeq)] == kNoHeader) return Status::kMissingCSeq;
  if (m.is_request && !same(m.cseq_method, m.method)) return Status::kCSeqMethodMismatch;
  if (m.has_content_length && m.content_length > avail) return Status::kContentLengthBeyondDatagram;
  return Status::kOk;
}

// ---------------------------------------------------------------------------------------------
// Standalone helpers (control plane and proxy use them on single values).

bool parse_uri(std::string_view text, Uri& out) noexcept {
  const detail::Blocks blocks{text.data(), text.size(), nullptr, 0};
  Cursor c(blocks, 0, text.size());
  const std::size_t end = parse_uri_at<'\0'>(c, text.data(), 0, text.size(), out);
  out.raw = text;
  return end == text.size();
}

Status decode_record_routes(const Message& m, RouteValue* out, std::size_t max, std::uint8_t& count) noexcept {
  count = 0;
  const detail::Blocks blocks{m.data, m.size, nullptr, 0};  // no stored masks: classified on demand
  for (std::uint16_t i = 0; i < m.header_count; ++i) {
    const Header& h = m.headers[i];
    if (h.id != HeaderId::kRecordRoute) continue;
    const std::size_t b = static_cast<std::size_t>(h.value.data() - m.data);
    const Status s = decode_routes(blocks, m.data, b, b + h.value.size(), out, count, max, i);
    if (s != Status::kOk) return s;
  }
  return Status::kOk;
}

}  // namespace sipshunt::sip
