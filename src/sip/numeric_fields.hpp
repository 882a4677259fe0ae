// hot path
// Private to the sip module: the fields whose value is a number (RFC 3261 §25.1): CSeq
// (§20.16), Max-Forwards (§20.22, at most 255 here) and Content-Length (§20.14).
// Internal linkage, in a header: the driver's calls stay local (README.md, "Grammars are headers").
#pragma once

#include "scan.hpp"
#include "sipshunt/sip/message.hpp"

namespace sipshunt::sip::detail {

namespace {  // see the opening comment

// The value of the digits [p, q), as digits() below gives it, for a run of more than 19.
template <std::uint64_t Max>
__attribute__((noinline, cold)) std::uint64_t bounded_value(const char* d, std::size_t p, std::size_t q) noexcept {
  std::uint64_t v = 0;
  for (; p < q; ++p)
    if (v <= Max) v = v * 10 + static_cast<std::uint64_t>(d[p] - '0');
  return v;
}

// *DIGIT from p in a field value [p, e). Returns the position after the digits; v is their
// value while it is at most Max, and some value above Max once it passed it. The loop tests
// neither e nor Max: d[e] is not a digit (parse() trims a value back to the LWS or CR after
// it), and 19 digits fit in 64 bits; a longer run (leading zeros, or a number far past Max) is
// read again with the bound.
template <std::uint64_t Max>
SIPSHUNT_ALWAYS_INLINE std::size_t digits(const char* d, std::size_t p, [[maybe_unused]] std::size_t e,
                                          std::uint64_t& v) noexcept {
  v = 0;
  std::size_t q = p;
  for (;; ++q) {
    const unsigned digit = static_cast<unsigned char>(d[q]) - unsigned{'0'};
    if (digit > 9) break;
    v = v * 10 + digit;
  }
  if (SIPSHUNT_UNLIKELY(q - p > 19)) v = bounded_value<Max>(d, p, q);
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
