// hot path
// Private to the sip module: the Route / Record-Route grammar (RFC 3261 §20.30, §20.34, §25.1):
// 1#( name-addr *( SEMI rr-param ) ), the URI inside <> decoded.
// Internal linkage, in a header: the driver's calls stay local (README.md, "Grammars are headers").
#pragma once

#include "element.hpp"
#include "header_names.hpp"
#include "lexical.hpp"
#include "uri.hpp"

namespace sipshunt::sip::detail {

namespace {  // see the opening comment

// A Route / Record-Route element of the usual shape, "<sip:[user@]host[:port][;params]>[;params]"
// with token parameters and no LWS, the value under 128 octets, from one delimiter mask; the host
// may be an IPv6 reference (RFC 5118 §4). Returns
// the position after the element (',' or e), or kNpos: use the general decoder.
template <class M>
SIPSHUNT_ALWAYS_INLINE std::size_t route_fast(const Blocks& b, const char* d, std::size_t p,
                                              std::size_t n, RouteValue& r) noexcept {
  M m;
  if (n < 7 || n > kWindowMax<M> || d[p] != '<' || !is_sip_colon(d + p + 1) || !window(b, p, n, m))
    return kNpos;  // not "<sip:..."
  const char* s = d + p;  // s[n] is LWS or CR
  Uri& u = r.uri;
  m &= ~M{0x1f};  // '<' and the ':' of "sip:"
  std::size_t t = pop(m);
  std::size_t h = 5;
  u.user = {};
  if (s[t] == '@' && t < n) {
    if (t == 5) return kNpos;
    u.user = sv(s, 5, t);
    h = t + 1;
    t = pop(m);
  }
  if (t == h && (s[h] != '[' || !fast_ipv6_ref(m, s, n, h, t))) return kNpos;
  u.host = sv(s, h, t);
  clear_after_host(u);
  if (!fast_port(m, s, n, t, u.port, u.has_port)) return kNpos;
  const std::size_t pb = t;
  while (s[t] == ';' && t < n) {
    const std::size_t nb = t + 1;
    t = pop(m);
    if (t - nb == 2 && name_is<"lr">(s + nb)) u.lr = true;
    if (s[t] == '=' && t < n) t = pop(m);
  }
  if (t >= n || s[t] != '>') return kNpos;  // '?', '@', LWS, ...: the general decoder
  if (t > pb) u.params = sv(s, pb, t);
  u.raw = sv(s, 1, t);
  u.scheme = sv(s, 1, 4);
  u.is_sip = true;
  const std::size_t a = t + 1;  // after '>'
  if (a < n && s[a] != ',') {
    if (s[a] != ';') return kNpos;
    t = pop(m);  // that ';'
    t = fast_params(m, s, n, t, [](std::size_t, std::size_t, std::size_t, std::size_t) {});  // rr-params
    if (t == kNpos || (t < n && s[t] != ',')) return kNpos;
    r.value = sv(s, 0, t);
    return p + t;
  }
  r.value = sv(s, 0, a);
  return p + a;
}

// Any Route / Record-Route element: [display-name] <URI> *( SEMI rr-param ), LWS allowed.
// Returns the position after it and its trailing LWS (',' or e), or kNpos when malformed.
__attribute__((noinline)) std::size_t route_general(Cursor& c, const char* d, std::size_t p,
                                                    std::size_t e, RouteValue& r) noexcept {
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

// Route / Record-Route: 1#( name-addr *( SEMI rr-param ) ), appended to out[count, max) and
// tagged with the field index.
Status decode_routes(const Blocks& b, const char* d, std::size_t p, std::size_t e, RouteValue* out,
                     std::uint8_t& count, std::size_t max, std::uint16_t hidx) noexcept {
  return decode_list<route_fast<std::uint64_t>, route_fast<Mask128>, route_general>(
      b, d, p, e, out, count, max, hidx, Status::kBadRoute, Status::kTooManyRoutes);
}

}  // namespace

}  // namespace sipshunt::sip::detail

