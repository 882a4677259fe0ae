// hot path
// Private to the sip module: the Via grammar (RFC 3261 §20.42, §25.1): each via-parm of a Via
// field decoded, with the parameters the proxy reads (branch, received, rport, maddr).
// Internal linkage, in a header: the driver's calls stay local (README.md, "Grammars are headers").
#pragma once

#include <cstddef>
#include <cstring>

#include "element.hpp"
#include "header_names.hpp"
#include "lexical.hpp"

namespace sipshunt::sip::detail {

namespace {  // see the opening comment

// Records one Via parameter when it is one the proxy reads.
SIPSHUNT_ALWAYS_INLINE void via_param(const char* d, std::size_t nb, std::size_t ne, std::size_t vb,
                                      std::size_t ve, Via& v) noexcept {
  switch (ne - nb) {
    case 5:
      if (name_is<"rport">(d + nb)) {
        v.has_rport = true;
        v.rport = sv(d, vb, ve);
      } else if (name_is<"maddr">(d + nb)) {
        v.has_maddr = true;
        v.maddr = sv(d, vb, ve);
      }
      break;
    case 6:
      if (name_is<"branch">(d + nb)) {
        v.has_branch = true;
        v.branch = sv(d, vb, ve);
      }
      break;
    case 8:
      if (name_is<"received">(d + nb)) {
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
  // branch, received, rport, maddr, params: adjacent, cleared as one block (a few vector stores,
  // where the five assignments took ten 8-octet ones).
  static_assert(offsetof(Via, params) - offsetof(Via, branch) == 4 * sizeof(std::string_view));
  std::memset(static_cast<void*>(&v.branch), 0, 5 * sizeof(std::string_view));
}

// The common shape, "SIP/2.0/T host[:port][;token[=value]]*" under 128 octets, with no LWS but
// the one SP and no quoted or bracketed parameter values, decoded from one delimiter mask; the
// host may be an IPv6 reference ("[2001:db8::1]", RFC 5118 §4), a value an unbracketed IPv6
// address ("received=2001:db8::1", RFC 3261 §20.42). Returns the position
// after the via-parm (',' or e), or kNpos when it needs the general decoder (which also reports
// the errors).
template <class M>
SIPSHUNT_ALWAYS_INLINE std::size_t via_fast(const Blocks& b, const char* d, std::size_t p, std::size_t n,
                                            Via& v) noexcept {
  M m;
  if (n < 13 || n > kWindowMax<M> || load8(d + p) != 0x2f302e322f504953ull || !window(b, p, n, m))
    return kNpos;  // not "SIP/2.0/..."
  const char* s = d + p;  // offsets below are relative to the value; s[n] is LWS or CR
  forget_below(m, 8);  // the two '/'
  std::size_t t = pop(m);
  if (t == 8 || t + 1 >= n || s[t] != ' ') return kNpos;
  v.protocol = sv(s, 0, 3);
  v.version = sv(s, 4, 7);
  v.transport = sv(s, 8, t);
  const std::size_t h = t + 1;
  t = pop(m);
  if (t == h) {  // LWS, ... or an IPv6 reference
    // Through copies: m and t stay in registers on the usual path, not in memory for the call.
    M wm = m;
    std::size_t wt;
    if (s[h] != '[' || !fast_ipv6_ref(wm, s, n, h, wt)) return kNpos;
    m = wm;
    t = wt;
  }
  v.host = sv(s, h, t);
  via_reset_params(v);
  if (!fast_port(m, s, n, t, v.port, v.has_port)) return kNpos;
  const std::size_t pb = t;
  t = fast_params<true>(m, s, n, t, [&](std::size_t nb, std::size_t ne, std::size_t vb, std::size_t ve) {
    via_param(s, nb, ne, vb, ve, v);
  });
  if (t == kNpos || (t < n && s[t] != ',')) return kNpos;
  if (t > pb) v.params = sv(s, pb, t);
  v.value = sv(s, 0, t);
  return p + t;
}

// Any via-parm: sent-protocol LWS sent-by *( SEMI via-params ), LWS (folding included) allowed
// around '/', ':', ';', '='. Returns the position after it and its trailing LWS (',' or e), or
// kNpos when it is malformed.
__attribute__((noinline)) std::size_t via_general(Cursor& c, const char* d, std::size_t p,
                                                  std::size_t e, Via& v) noexcept {
  const std::size_t start = p;
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport; SLASH = SWS "/" SWS
  std::size_t t;
  const auto token = [&](std::string_view& out) {  // a token at p, then p past the LWS after it
    t = c.next(p, e);
    if (t == p) return false;
    out = sv(d, p, t);
    p = skip_lws(d, t, e);
    return true;
  };
  const auto slash = [&] {
    if (p == e || d[p] != '/') return false;
    p = skip_lws(d, p + 1, e);
    return true;
  };
  if (!token(v.protocol) || !slash() || !token(v.version) || !slash() || !token(v.transport)) return kNpos;
  if (p == t || p == e) return kNpos;  // LWS, then sent-by
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

// via_general() with its Cursor made here, not in decode_via's frame (element.hpp
// decode_with_fast_path).
__attribute__((noinline)) std::size_t via_general_over(const Blocks& b, const char* d, std::size_t p,
                                                       std::size_t e, Via& v) noexcept {
  Cursor c(b, p, e);
  return via_general(c, d, p, e, v);
}

// Via: 1#via-parm, the values decoded into out[count, max) and tagged with their field index.
// At `max`: `too_many`, or with kOk the values after it are left undecoded (parse() decodes
// only the ones a decision reads: Message::vias).
Status decode_via(const Blocks& b, const char* d, std::size_t p, std::size_t e, Via* out,
                  std::uint8_t& count, std::size_t max, std::uint16_t hidx, Status too_many) noexcept {
  return decode_list<via_fast<std::uint64_t>, via_fast<Mask2x64>, via_general_over>(
      b, d, p, e, out, count, max, hidx, Status::kBadVia, too_many);
}

}  // namespace

}  // namespace sipshunt::sip::detail
