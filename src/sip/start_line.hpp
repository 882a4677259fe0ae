// hot path
// Private to the sip module: the start line (RFC 3261 §7.1, §7.2, §25.1): Request-Line = Method
// SP Request-URI SP SIP-Version, Status-Line = SIP-Version SP Status-Code SP Reason-Phrase.
// Internal linkage, in a header: the driver's calls stay local (README.md, "Grammars are headers").
#pragma once

#include "lexical.hpp"
#include "sipshunt/sip/message.hpp"

namespace sipshunt::sip::detail {

namespace {  // see the opening comment

// "SIP/" 1*DIGIT "." 1*DIGIT over exactly [b, e): 0 malformed, 1 SIP/2.0, 2 another version.
int version_kind(const char* d, std::size_t b, std::size_t e) noexcept {
  if (e - b < 7 || !ieq(d + b, "sip/")) return 0;
  std::size_t q = b + 4;
  const std::size_t s1 = q;
  while (q < e && is_digit(d[q])) ++q;
  if (q == s1 || q == e || d[q] != '.') return 0;
  const std::size_t s2 = ++q;
  while (q < e && is_digit(d[q])) ++q;
  if (q == s2 || q != e) return 0;
  return (e - b == 7 && d[b + 4] == '2' && d[b + 6] == '0') ? 1 : 2;
}

// Any start line (parse_start_line() below takes the usual request line itself): the Status-Line,
// and the Request-Line in every other shape. Sets m.start_line too.
__attribute__((noinline)) Status start_line_general(const Blocks& blocks, const char* d, std::size_t b,
                                                    std::size_t e, Message& m) noexcept {
  m.start_line = sv(d, b, e);
  if (e - b >= 4 && ieq(d + b, "sip/")) {
    std::size_t sp = b + 4;
    int vk;
    if (SIPSHUNT_LIKELY(e - b >= 8 && load8(d + b) == 0x20302e322f504953ull)) {
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
  Cursor c(blocks, b, e);
  const std::size_t t = c.next(b, e);
  if (t == b || t == e) return Status::kBadStartLine;
  if (d[t] != ' ') return d[t] == '\t' ? Status::kBadStartLine : Status::kBadMethod;
  std::size_t v;
  int vk;
  if (SIPSHUNT_LIKELY(e - t >= 9 && load8(d + e - 8) == 0x302e322f50495320ull)) {
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

// The usual request line, the line at s (len octets, starting at b in the datagram): under 64
// octets, ending in " SIP/2.0", a token method, one SP and a URI without kUriBad delimiters. t is
// then the method's end. False for every other line (start_line_general() decides those).
SIPSHUNT_ALWAYS_INLINE bool usual_request_line(const Blocks& blocks, const char* s, std::size_t b, std::size_t len,
                                               std::size_t& t) noexcept {
  if (len >= 64 || len <= 9 || load8(s + len - 8) != 0x302e322f50495320ull) return false;
  const std::size_t n = len - 8;  // up to the SP before "SIP/2.0"
#if SIPSHUNT_SIP_SIMD > 0
  // The line's octets classified here (uri_bad_bits), which reads the 64 from b. s[n] is the SP
  // before "SIP/2.0": not a token, and an octet of kUriBad, so the first of either kind is at n at
  // the latest. A Status-Line never passes: its first delimiter is the '/' of "SIP/". n for the
  // URI when it holds no kUriBad octet: the same answer as the loop below, since kUriBad's octets
  // other than '`' (which uri_bad_bits leaves out) are all delimiters, and '`' is a token.
  if (blocks.size - b < 64) return false;
  std::uint64_t nontoken;
  const std::uint64_t bad = uri_bad_bits(s, nontoken);
  t = static_cast<std::size_t>(__builtin_ctzll(nontoken));
  return t != 0 && t < n && s[t] == ' ' && t + 1 < n &&
         static_cast<std::size_t>(__builtin_ctzll(bad & (~std::uint64_t{0} << (t + 1)))) == n;
#else
  // The delimiters from the driver's stored masks, each after the method's SP tested.
  std::uint64_t mk;
  if (!window(blocks, b, n, mk)) return false;
  t = pop(mk);
  // A Status-Line never passes: its first delimiter is the '/' of "SIP/".
  if (t == 0 || t >= n || s[t] != ' ' || t + 1 >= n || s[t + 1] == '<') return false;
  std::size_t q = pop(mk);
  while (q < n && !kUriBad[s[q]]) q = pop(mk);
  return q == n;
#endif
}

// Request-Line = Method SP Request-URI SP SIP-Version; Status-Line = SIP-Version SP
// Status-Code SP Reason-Phrase. [b, e) excludes the CRLF. kBadVersion still fills the fields.
// The usual request line is taken here (usual_request_line); any other line goes to
// start_line_general(), so this part needs few registers.
Status parse_start_line(const Blocks& blocks, const char* d, std::size_t b, std::size_t e, Message& m) noexcept {
  if (std::size_t t; usual_request_line(blocks, d + b, b, e - b, t)) {
    m.start_line = sv(d, b, e);
    m.is_request = true;
    m.method = sv(d, b, b + t);
    m.request_uri = sv(d, b + t + 1, e - 8);
    return Status::kOk;
  }
  return start_line_general(blocks, d, b, e, m);
}

}  // namespace

}  // namespace sipshunt::sip::detail
