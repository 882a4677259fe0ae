// hot path
// Private to the sip module: the From / To grammar (RFC 3261 §20.20, §20.39, §25.1): name-addr
// or addr-spec, *( SEMI from-param ), delimited and searched for its tag.
// Internal linkage, in a header: the driver's calls stay local (README.md, "Grammars are headers").
#pragma once

#include "element.hpp"
#include "header_names.hpp"
#include "lexical.hpp"

namespace sipshunt::sip::detail {

namespace {  // see the opening comment

// Inside "<...>": 1 for the '>' that ends it, 2 for the octets that cannot stand in it ('<', '"'),
// 0 for the rest (one table load per delimiter instead of three compares).
struct AngleEnd {
  std::uint8_t v[256];
};
constexpr AngleEnd make_angle_end() {
  AngleEnd t{};
  t.v[static_cast<unsigned char>('>')] = 1;
  t.v[static_cast<unsigned char>('<')] = 2;
  t.v[static_cast<unsigned char>('"')] = 2;
  return t;
}
inline constexpr AngleEnd kAngleEnd = make_angle_end();

// From / To of the usual shapes under 128 octets ("Name <uri>;tag=x", "\"A Name\" <uri>;tag=x",
// "<uri>;tag=x", "uri;tag=x"; no quoted-pair, no LWS among the parameters), from one delimiter
// mask. Returns p + n, or kNpos: use the general decoder.
template <class M>
SIPSHUNT_ALWAYS_INLINE std::size_t addr_fast(const Blocks& b, const char* d, std::size_t p, std::size_t n,
                                             std::string_view& tag) noexcept {
  M m;
  if (n == 0 || n > kWindowMax<M> || !window(b, p, n, m)) return kNpos;
  const char* s = d + p;  // s[n] is LWS or CR
  std::size_t t;
  for (;;) {  // display-name or addr-spec, up to '<' or the first ';'
    t = pop(m);
    if (t >= n) return p + n;  // no parameters
    const char ch = s[t];
    if (ch == '"') {  // a quoted display name: everything up to the closing quote is its text
      do {
        t = pop(m);
        if (t >= n || s[t] == '\\') return kNpos;  // unterminated, or a quoted-pair
      } while (s[t] != '"');
      continue;
    }
    if (ch == '<') {
      const std::size_t lt = t;
      for (;;) {  // to the '>', through the URI's other delimiters (':', '@', ';', '=', ...)
        t = pop(m);
        if (t >= n) return kNpos;
        if (const std::uint8_t k = kAngleEnd.v[static_cast<unsigned char>(s[t])]; k != 0) {
          if (k != 1) return kNpos;
          break;
        }
      }
      if (t == lt + 1) return kNpos;
      const std::size_t a = t + 1;
      if (a == n) return p + n;
      if (s[a] != ';') return kNpos;
      t = pop(m);  // the ';' right after '>'
      break;
    }
    if (ch == ';') break;
    if (ch == '>') return kNpos;
  }
  t = fast_params(m, s, n, t, [&](std::size_t nb, std::size_t ne, std::size_t vb, std::size_t ve) {
    if (ne - nb == 3 && name_is<"tag">(s + nb)) tag = sv(s, vb, ve);
  });
  if (t != n) return kNpos;  // an empty parameter, or more after the parameters (',', '>', ...)
  return p + n;
}

// Any From / To value: quoted display names, LWS and folding anywhere LWS may be. Returns e, or
// kNpos when the value cannot be delimited (empty parameter, unbalanced <> or quotes).
__attribute__((noinline)) std::size_t addr_general(Cursor& c, const char* d, std::size_t p,
                                                   std::size_t e, std::string_view& tag) noexcept {
  tag = {};  // the fast path may have recorded a tag before it gave up
  std::size_t q = p;
  std::size_t params;
  for (;;) {
    const std::size_t t = c.next(q, e);
    if (t == e) return e;  // addr-spec (or <...>-less text) without parameters
    const char ch = d[t];
    if (ch == '"') {
      q = quoted_end(c, d, t, e);
      if (q == kNpos) return kNpos;
      continue;
    }
    if (ch == '<') {
      std::size_t u = t + 1;
      for (;; ++u) {
        u = c.next(u, e);
        if (u == e) return kNpos;
        if (d[u] == '>') break;
      }
      if (u == t + 1) return kNpos;
      q = skip_lws(d, u + 1, e);
      if (q == e) return e;
      if (d[q] != ';') return kNpos;
      params = q;
      break;
    }
    if (ch == ';') {
      params = t;
      break;
    }
    if (ch == '>') return kNpos;
    q = t + 1;
  }
  const std::size_t last = parse_params(c, d, params, e, [&](std::size_t nb, std::size_t ne, std::size_t vb, std::size_t ve) {
    if (ne - nb == 3 && name_is<"tag">(d + nb)) tag = sv(d, vb, ve);
  });
  if (last == kNpos || skip_lws(d, last, e) != e) return kNpos;
  return e;
}

// From / To: `tag` gets the tag parameter; `bad` (kBadFrom or kBadTo) when the value cannot be
// delimited.
Status decode_addr(const Blocks& b, const char* d, std::size_t p, std::size_t e, std::string_view& tag,
                   Status bad) noexcept {
  if (p == e) return bad;
  const std::size_t q = decode_with_fast_path<addr_fast<std::uint64_t>, addr_fast<Mask128>, addr_general>(
      b, d, p, e, tag);
  return q == kNpos ? bad : Status::kOk;
}

}  // namespace

}  // namespace sipshunt::sip::detail
