// hot path
// The datagram parser: start line, header table, typed decoding of the fields the proxy and the
// rules act on, and body framing, in one forward pass. Decoders jump between the delimiters that
// the Scanner finds (SIMD), so most octets are never looked at one by one.
#include <cstring>

#include "header_names.hpp"
#include "scan.hpp"
#include "sipshunt/sip/message.hpp"

namespace sipshunt::sip {

namespace {

using detail::is_digit;
using detail::is_lws;
using detail::kNpos;
using detail::kToken;
using detail::kUriBad;
using detail::Scanner;
using detail::skip_lws;
using detail::sv;

// p at '"'. Position after the closing quote, or kNpos when the string is unterminated.
SIPSHUNT_ALWAYS_INLINE std::size_t quoted_end(Scanner& sc, const char* d, std::size_t p,
                                              std::size_t e) noexcept {
  std::size_t q = p + 1;
  for (;;) {
    const std::size_t t = sc.next_special(q, e);
    if (t == e) return kNpos;
    if (d[t] == '"') return t + 1;
    q = t + (d[t] == '\\' ? 2 : 1);  // quoted-pair: the escaped octet is skipped whatever it is
  }
}

// A parameter value starting at p (token, host, IPv6 reference or quoted-string). Position after
// it, or kNpos when it is empty or an unterminated quoted-string.
SIPSHUNT_ALWAYS_INLINE std::size_t param_value_end(Scanner& sc, const char* d, std::size_t p,
                                                   std::size_t e) noexcept {
  if (p >= e) return kNpos;
  if (d[p] == '"') return quoted_end(sc, d, p, e);
  std::size_t q = p;
  for (;;) {
    const std::size_t t = sc.next_special(q, e);
    if (t == e) return t;
    const char c = d[t];
    if (c == ';' || c == ',' || is_lws(c)) return t > p ? t : kNpos;
    q = t + 1;  // ':' '[' ']' '/' '@' and the like belong to the value (IPv6, hosts)
  }
}

// Generic parameters: *( SEMI name [ EQUAL value ] ) with LWS allowed around ';' and '='.
// p is at the first ';'. Calls f(name_begin, name_end, value_begin, value_end) for each (an empty
// value range when there is no '='). Returns the end of the last parameter, kNpos when one is
// empty (";;", "name=" without a value) or unterminated.
template <class F>
SIPSHUNT_ALWAYS_INLINE std::size_t parse_params(Scanner& sc, const char* d, std::size_t p,
                                                std::size_t e, F&& f) noexcept {
  std::size_t last = p;
  while (p < e && d[p] == ';') {
    const std::size_t nb = skip_lws(d, p + 1, e);
    const std::size_t ne = sc.next_special(nb, e);
    if (ne == nb) return kNpos;
    const std::size_t q = skip_lws(d, ne, e);
    std::size_t vb = ne, ve = ne;
    if (q < e && d[q] == '=') {
      vb = skip_lws(d, q + 1, e);
      ve = param_value_end(sc, d, vb, e);
      if (ve == kNpos) return kNpos;
      last = ve;
    } else {
      last = ne;
    }
    f(nb, ne, vb, ve);
    p = skip_lws(d, last, e);
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

// SIP/SIPS URI (or any absolute URI) in [b, e). Fills u; false when malformed.
bool parse_uri_impl(Scanner& sc, const char* d, std::size_t b, std::size_t e, Uri& u) noexcept {
  u = Uri{};
  u.raw = sv(d, b, e);
  const std::size_t t = sc.next_special(b, e);
  if (t == b || t == e || d[t] != ':') return false;
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  if (static_cast<unsigned char>((d[b] | 0x20) - 'a') >= 26) return false;
  for (std::size_t i = b + 1; i < t; ++i) {
    const char c = d[i];
    if (!(is_digit(c) || static_cast<unsigned char>((c | 0x20) - 'a') < 26 || c == '+' || c == '-' ||
          c == '.'))
      return false;
  }
  u.scheme = sv(d, b, t);
  const std::size_t r = t + 1;
  const std::size_t sl = t - b;
  const bool sip = (sl == 3 && detail::ieq(d + b, "sip")) || (sl == 4 && detail::ieq(d + b, "sips"));
  if (!sip) {
    if (r == e) return false;
    for (std::size_t q = r;; ++q) {
      q = sc.next_special(q, e);
      if (q == e) return true;
      if (kUriBad[d[q]]) return false;
    }
  }
  u.is_sip = true;

  // userinfo "@": the first '@' (it cannot appear unescaped after the host).
  std::size_t at = kNpos;
  for (std::size_t q = r;; ++q) {
    q = sc.next_special(q, e);
    if (q == e) break;
    if (kUriBad[d[q]]) return false;
    if (d[q] == '@') {
      at = q;
      break;
    }
  }
  std::size_t h = r;
  if (at != kNpos) {
    const void* colon = std::memchr(d + r, ':', at - r);
    const std::size_t ue = colon ? static_cast<std::size_t>(static_cast<const char*>(colon) - d) : at;
    if (ue == r) return false;
    u.user = sv(d, r, ue);
    if (colon) u.password = sv(d, ue + 1, at);
    h = at + 1;
  }
  if (h == e) return false;
  std::size_t q;
  if (d[h] == '[') {
    q = ipv6_ref_end(d, h, e);
    if (q == kNpos) return false;
  } else {
    q = sc.next_special(h, e);
    if (q == h) return false;
  }
  u.host = sv(d, h, q);
  if (q < e && d[q] == ':') {
    q = parse_port(d, q + 1, e, u.port);
    if (q == kNpos) return false;
    u.has_port = true;
  }
  if (q < e && d[q] == ';') {
    const std::size_t pb = q;
    while (q < e && d[q] == ';') {
      const std::size_t nb = q + 1;
      std::size_t t2 = sc.next_special(nb, e);
      if (t2 - nb == 2 && detail::ieq(d + nb, "lr")) u.lr = true;
      while (t2 < e && d[t2] != ';' && d[t2] != '?') {
        if (kUriBad[d[t2]]) return false;
        t2 = sc.next_special(t2 + 1, e);
      }
      q = t2;
    }
    u.params = sv(d, pb, q);
  }
  if (q < e && d[q] == '?') {
    u.headers = sv(d, q + 1, e);
    for (std::size_t s = q + 1;; ++s) {
      s = sc.next_special(s, e);
      if (s == e) break;
      if (kUriBad[d[s]]) return false;
    }
    q = e;
  }
  return q == e;
}

// Via: 1#( sent-protocol LWS sent-by *( SEMI via-params ) ), every value decoded.
Status decode_via(Scanner& sc, const char* d, std::size_t p, std::size_t e, Message& m,
                  std::uint16_t hidx) noexcept {
  if (p == e) return Status::kBadVia;
  for (;;) {
    if (m.via_count == kMaxVias) return Status::kTooManyVias;
    Via& v = m.vias[m.via_count];
    v = Via{};
    v.header = hidx;
    const std::size_t start = p;
    // sent-protocol = protocol-name SLASH protocol-version SLASH transport; SLASH = SWS "/" SWS
    std::size_t t = sc.next_special(p, e);
    if (t == p) return Status::kBadVia;
    v.protocol = sv(d, p, t);
    p = skip_lws(d, t, e);
    if (p == e || d[p] != '/') return Status::kBadVia;
    p = skip_lws(d, p + 1, e);
    t = sc.next_special(p, e);
    if (t == p) return Status::kBadVia;
    v.version = sv(d, p, t);
    p = skip_lws(d, t, e);
    if (p == e || d[p] != '/') return Status::kBadVia;
    p = skip_lws(d, p + 1, e);
    t = sc.next_special(p, e);
    if (t == p) return Status::kBadVia;
    v.transport = sv(d, p, t);
    p = skip_lws(d, t, e);
    if (p == t || p == e) return Status::kBadVia;
    // sent-by = host [ COLON port ]
    if (d[p] == '[') {
      t = ipv6_ref_end(d, p, e);
      if (t == kNpos) return Status::kBadVia;
    } else {
      t = sc.next_special(p, e);
      if (t == p) return Status::kBadVia;
    }
    v.host = sv(d, p, t);
    std::size_t last = t;
    p = skip_lws(d, t, e);
    if (p < e && d[p] == ':') {
      p = parse_port(d, skip_lws(d, p + 1, e), e, v.port);
      if (p == kNpos) return Status::kBadVia;
      v.has_port = true;
      last = p;
      p = skip_lws(d, p, e);
    }
    if (p < e && d[p] == ';') {
      const std::size_t pb = p;
      const std::size_t pe = parse_params(sc, d, p, e, [&](std::size_t nb, std::size_t ne, std::size_t vb, std::size_t ve) {
        switch (ne - nb) {
          case 5:
            if (detail::ieq(d + nb, "rport")) {
              v.has_rport = true;
              v.rport = sv(d, vb, ve);
            } else if (detail::ieq(d + nb, "maddr")) {
              v.has_maddr = true;
              v.maddr = sv(d, vb, ve);
            }
            break;
          case 6:
            if (detail::ieq(d + nb, "branch")) {
              v.has_branch = true;
              v.branch = sv(d, vb, ve);
            }
            break;
          case 8:
            if (detail::ieq(d + nb, "received")) {
              v.has_received = true;
              v.received = sv(d, vb, ve);
            }
            break;
          default:
            break;
        }
      });
      if (pe == kNpos) return Status::kBadVia;
      v.params = sv(d, pb, pe);
      last = pe;
      p = skip_lws(d, pe, e);
    }
    v.value = sv(d, start, last);
    ++m.via_count;
    if (p == e) return Status::kOk;
    if (d[p] != ',') return Status::kBadVia;
    p = skip_lws(d, p + 1, e);
    if (p == e) return Status::kBadVia;  // trailing comma: an empty via-parm
  }
}

// From / To: ( name-addr / addr-spec ) *( SEMI from-param ). Finds the tag.
Status decode_addr(Scanner& sc, const char* d, std::size_t p, std::size_t e, std::string_view& tag,
                   Status bad) noexcept {
  if (p == e) return bad;
  std::size_t q = p;
  std::size_t params;
  for (;;) {
    const std::size_t t = sc.next_special(q, e);
    if (t == e) return Status::kOk;  // addr-spec (or <...>-less text) without parameters
    const char c = d[t];
    if (c == '"') {
      q = quoted_end(sc, d, t, e);
      if (q == kNpos) return bad;
      continue;
    }
    if (c == '<') {
      std::size_t u = t + 1;
      for (;; ++u) {
        u = sc.next_special(u, e);
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
    if (c == ';') {
      params = t;
      break;
    }
    if (c == '>') return bad;
    q = t + 1;
  }
  const std::size_t last = parse_params(sc, d, params, e, [&](std::size_t nb, std::size_t ne, std::size_t vb, std::size_t ve) {
    if (ne - nb == 3 && detail::ieq(d + nb, "tag")) tag = sv(d, vb, ve);
  });
  if (last == kNpos || skip_lws(d, last, e) != e) return bad;
  return Status::kOk;
}

// CSeq = 1*DIGIT LWS Method
Status decode_cseq(Scanner& sc, const char* d, std::size_t p, std::size_t e, Message& m) noexcept {
  std::uint64_t v = 0;
  std::size_t q = p;
  while (q < e && is_digit(d[q])) {
    if (v <= 0x7fffffff) v = v * 10 + static_cast<std::uint64_t>(d[q] - '0');
    ++q;
  }
  if (q == p || v > 0x7fffffff) return Status::kBadCSeq;
  const std::size_t r = skip_lws(d, q, e);
  if (r == q || r == e) return Status::kBadCSeq;
  if (sc.next_special(r, e) != e) return Status::kBadCSeq;  // the method is one token to the end
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

// Route / Record-Route: 1#( name-addr *( SEMI rr-param ) ), the URI inside <> decoded.
Status decode_routes(Scanner& sc, const char* d, std::size_t p, std::size_t e, RouteValue* out,
                     std::uint8_t& count, std::size_t max, std::uint16_t hidx) noexcept {
  if (p == e) return Status::kBadRoute;
  for (;;) {
    if (count == max) return Status::kTooManyRoutes;
    const std::size_t start = p;
    std::size_t q = p;
    std::size_t lt;
    for (;;) {  // optional display-name, then '<'
      const std::size_t t = sc.next_special(q, e);
      if (t == e) return Status::kBadRoute;
      const char c = d[t];
      if (c == '<') {
        lt = t;
        break;
      }
      if (c == '"') {
        q = quoted_end(sc, d, t, e);
        if (q == kNpos) return Status::kBadRoute;
        continue;
      }
      if (c == ',' || c == ';' || c == '>') return Status::kBadRoute;
      q = t + 1;
    }
    std::size_t gt = lt + 1;
    for (;; ++gt) {
      gt = sc.next_special(gt, e);
      if (gt == e) return Status::kBadRoute;
      if (d[gt] == '>') break;
    }
    RouteValue& r = out[count];
    if (!parse_uri_impl(sc, d, lt + 1, gt, r.uri)) return Status::kBadRoute;
    std::size_t last = gt + 1;
    q = skip_lws(d, last, e);
    if (q < e && d[q] == ';') {
      last = parse_params(sc, d, q, e, [](std::size_t, std::size_t, std::size_t, std::size_t) {});
      if (last == kNpos) return Status::kBadRoute;
      q = skip_lws(d, last, e);
    }
    r.value = sv(d, start, last);
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
Status parse_start_line(Scanner& sc, const char* d, std::size_t b, std::size_t e, Message& m) noexcept {
  m.start_line = sv(d, b, e);
  if (e - b >= 4 && detail::ieq(d + b, "sip/")) {
    std::size_t sp = b + 4;
    while (sp < e && (is_digit(d[sp]) || d[sp] == '.')) ++sp;
    const int vk = version_kind(d, b, sp);
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
  const std::size_t t = sc.next_special(b, e);
  if (t == b || t == e) return Status::kBadStartLine;
  if (d[t] != ' ') return d[t] == '\t' ? Status::kBadStartLine : Status::kBadMethod;
  if (d[e - 1] == ' ' || d[e - 1] == '\t') return Status::kBadStartLine;  // trailing whitespace
  std::size_t v = e;
  while (d[v - 1] != ' ') --v;  // stops at t + 1 at the latest
  if (v - 1 == t) return Status::kBadStartLine;  // two elements only
  const int vk = version_kind(d, v, e);
  if (vk == 0) return Status::kBadStartLine;
  const std::size_t ub = t + 1, ue = v - 1;
  if (ue == ub || d[ub] == ' ' || d[ub] == '\t' || d[ue - 1] == ' ' || d[ue - 1] == '\t')
    return Status::kBadStartLine;  // more than one SP between elements
  if (d[ub] == '<') return Status::kBadRequestUri;
  for (std::size_t q = ub;; ++q) {
    q = sc.next_special(q, ue);
    if (q == ue) break;
    if (kUriBad[d[q]]) return Status::kBadRequestUri;  // LWS, controls, <>, non-ASCII, ...
  }
  m.is_request = true;
  m.method = sv(d, b, t);
  m.request_uri = sv(d, ub, ue);
  return vk == 1 ? Status::kOk : Status::kBadVersion;
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
  m.record_route_count = 0;
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

}  // namespace

Status parse(const char* data, std::size_t size, Message& m) noexcept {
  static_assert(kNoHeader == 0xffff, "first[] is reset with 0xff octets");
  reset(data, size, m);
  const char* d = data;
  std::size_t pos = 0;
  while (pos + 1 < size && d[pos] == '\r' && d[pos + 1] == '\n') pos += 2;  // RFC 3261 §7.5
  if (pos >= size) return Status::kEmpty;

  Scanner sc(d, size);
  std::size_t nl = sc.next_nl(pos);
  if (nl == size) {
    const Status s = parse_start_line(sc, d, pos, size, m);
    return s == Status::kOk ? Status::kHeadersUnterminated : s;
  }
  if (nl == pos || d[nl - 1] != '\r') return Status::kBadStartLine;
  Status err = parse_start_line(sc, d, pos, nl - 1, m);
  if (err != Status::kOk && err != Status::kBadVersion) return err;
  // A version other than 2.0 is answered with a 505 built from the headers, so they are still
  // parsed; kBadVersion then outranks every later finding except a broken header section.
  const bool bad_version = err == Status::kBadVersion;
  err = Status::kOk;

  pos = nl + 1;
  for (;;) {
    if (pos >= size) return Status::kHeadersUnterminated;
    if (d[pos] == '\r') {
      if (pos + 1 == size) return Status::kHeadersUnterminated;
      if (d[pos + 1] != '\n') return Status::kBadHeaderLine;
      m.headers_end = pos;
      break;
    }
    // field-name HCOLON: token, optional SP/HT, ':'
    const std::size_t ne = sc.next_special(pos, size);
    if (ne == pos) return Status::kBadHeaderLine;  // e.g. folding right after the start line
    std::size_t q = ne;
    while (q < size && (d[q] == ' ' || d[q] == '\t')) ++q;
    if (q == size) return Status::kHeadersUnterminated;
    if (d[q] != ':') return Status::kBadHeaderLine;
    // The field ends at the first CRLF not followed by SP/HT (folding continues it).
    std::size_t le = sc.next_nl(q + 1);
    for (;;) {
      if (le + 1 >= size) return Status::kHeadersUnterminated;
      if (d[le - 1] != '\r') return Status::kBadHeaderLine;  // bare LF
      if (d[le + 1] != ' ' && d[le + 1] != '\t') break;
      le = sc.next_nl(le + 2);
    }
    std::size_t vb = q + 1, ve = le - 1;
    while (vb < ve && is_lws(d[vb])) ++vb;
    while (ve > vb && is_lws(d[ve - 1])) --ve;

    if (m.header_count == kMaxHeaders) return Status::kTooManyHeaders;
    const std::uint16_t idx = m.header_count++;
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
        s = decode_via(sc, d, vb, ve, m, idx);
        break;
      case HeaderId::kCallId:
        if (dup)
          s = Status::kDuplicateCallId;
        else if (vb == ve)
          s = Status::kBadCallId;
        else
          m.call_id = h.value;
        break;
      case HeaderId::kCSeq:
        s = dup ? Status::kDuplicateCSeq : decode_cseq(sc, d, vb, ve, m);
        break;
      case HeaderId::kFrom:
        s = dup ? Status::kDuplicateFrom : decode_addr(sc, d, vb, ve, m.from_tag, Status::kBadFrom);
        break;
      case HeaderId::kTo:
        s = dup ? Status::kDuplicateTo : decode_addr(sc, d, vb, ve, m.to_tag, Status::kBadTo);
        break;
      case HeaderId::kMaxForwards:
        // No duplicate status of its own: two Max-Forwards fields are as bad as an unreadable one.
        s = dup ? Status::kBadMaxForwards : decode_max_forwards(d, vb, ve, m);
        break;
      case HeaderId::kContentLength:
        s = dup ? Status::kDuplicateContentLength : decode_content_length(d, vb, ve, m);
        break;
      case HeaderId::kRoute:
        s = decode_routes(sc, d, vb, ve, m.routes, m.route_count, kMaxRoutes, idx);
        break;
      case HeaderId::kRecordRoute:
        s = decode_routes(sc, d, vb, ve, m.record_routes, m.record_route_count, kMaxRecordRoutes, idx);
        break;
      default:
        break;
    }
    note(err, s);
    pos = le + 1;
  }

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
  if (m.is_request && m.cseq_method != m.method) return Status::kCSeqMethodMismatch;
  if (m.has_content_length && m.content_length > avail) return Status::kContentLengthBeyondDatagram;
  return Status::kOk;
}

// ---------------------------------------------------------------------------------------------
// Standalone helpers (control plane and proxy use them on single values).

bool parse_uri(std::string_view text, Uri& out) noexcept {
  Scanner sc(text.data(), text.size());
  return parse_uri_impl(sc, text.data(), 0, text.size(), out);
}

bool find_param(std::string_view params, std::string_view name, std::string_view& value) noexcept {
  const char* d = params.data();
  const std::size_t e = params.size();
  std::size_t p = skip_lws(d, 0, e);
  while (p < e) {
    if (d[p] != ';') {  // skip anything that is not a parameter (e.g. a leading URI or junk)
      ++p;
      continue;
    }
    const std::size_t nb = skip_lws(d, p + 1, e);
    std::size_t ne = nb;
    while (ne < e && kToken[d[ne]]) ++ne;
    std::size_t q = skip_lws(d, ne, e);
    std::size_t vb = q, ve = q;
    if (q < e && d[q] == '=') {
      vb = skip_lws(d, q + 1, e);
      ve = vb;
      if (ve < e && d[ve] == '"') {
        ++ve;
        while (ve < e && d[ve] != '"') ve += d[ve] == '\\' ? 2 : 1;
        ve = ve < e ? ve + 1 : e;
      } else {
        while (ve < e && d[ve] != ';' && d[ve] != ',' && !is_lws(d[ve])) ++ve;
      }
      q = ve;
    } else {
      vb = ve = ne;
    }
    if (ne > nb && ne - nb == name.size()) {
      bool eq = true;
      for (std::size_t i = 0; i < name.size() && eq; ++i) {
        char a = d[nb + i], b = name[i];
        if (a >= 'A' && a <= 'Z') a = static_cast<char>(a | 0x20);
        if (b >= 'A' && b <= 'Z') b = static_cast<char>(b | 0x20);
        eq = a == b;
      }
      if (eq) {
        value = sv(d, vb, ve);
        return true;
      }
    }
    p = q > p ? q : p + 1;
  }
  return false;
}

bool ListIterator::next(std::string_view& element) noexcept {
  while (!done_) {
    const char* d = rest_.data();
    const std::size_t e = rest_.size();
    std::size_t p = skip_lws(d, 0, e);
    if (p == e) {
      done_ = true;
      return false;
    }
    bool quoted = false, angle = false;
    std::size_t q = p;
    for (; q < e; ++q) {
      const char c = d[q];
      if (quoted) {
        if (c == '\\') {
          ++q;
        } else if (c == '"') {
          quoted = false;
        }
      } else if (c == '"') {
        quoted = true;
      } else if (angle) {
        if (c == '>') angle = false;
      } else if (c == '<') {
        angle = true;
      } else if (c == ',') {
        break;
      }
    }
    if (quoted || angle) {
      malformed_ = true;
      done_ = true;
      return false;
    }
    std::size_t end = q < e ? q : e;
    rest_ = q < e ? rest_.substr(q + 1) : std::string_view();
    if (q >= e) done_ = true;
    while (end > p && is_lws(d[end - 1])) --end;
    if (end > p) {
      element = sv(d, p, end);
      return true;
    }
  }
  return false;
}

}  // namespace sipshunt::sip
