// hot path
// Private to the sip module: the fields whose value is a number (RFC 3261 §25.1): CSeq
// (§20.16), Max-Forwards (§20.22, at most 255 here) and Content-Length (§20.14).
// Internal linkage, in a header: the driver's calls stay local (README.md, "Grammars are headers").
#pragma once

#include "scan.hpp"
#include "sipshunt/sip/message.hpp"

namespace sipshunt::sip::detail {

namespace {  // see the opening comment

// *DIGIT from p. Returns the position after the digits; v is their value while it is at most
// Max, and some value above Max once it passed it (the digits go on being consumed, no overflow).
template <std::uint64_t Max>
SIPSHUNT_ALWAYS_INLINE std::size_t digits(const char* d, std::size_t p, std::size_t e,
                                          std::uint64_t& v) noexcept {
  v = 0;
  std::size_t q = p;
  while (q < e && is_digit(d[q])) {
    if (v <= Max) v = v * 10 + static_cast<std::uint64_t>(d[q] - '0');
    ++q;
  }
  return q;
}

// CSeq = 1*DIGIT LWS Method
Status decode_cseq(const Blocks& b, const char* d, std::size_t p, std::size_t e, Message& m) noexcept {
  std::uint64_t v;
  const std::size_t q = digits<0x7fffffff>(d, p, e, v);
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
  std::uint64_t v;
  const std::size_t q = digits<255>(d, p, e, v);
  if (q == p || q != e || v > 255) return Status::kBadMaxForwards;
  m.max_forwards = static_cast<int>(v);
  return Status::kOk;
}

Status decode_content_length(const char* d, std::size_t p, std::size_t e, Message& m) noexcept {
  std::uint64_t v;
  const std::size_t q = digits<0xffffffff>(d, p, e, v);
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

}  // namespace

}  // namespace sipshunt::sip::detail
