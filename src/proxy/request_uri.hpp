// hot path
// What the request checks read of the Request-URI before routing: whether its host is an IPv6
// address without brackets (RFC 5118 §4.2, a 400) and whether it holds a '@' (strict routing's
// cheap test, strict_route.hpp). One pass over the URI's octets answers both.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__AVX2__) || defined(__SSE2__)
#include <immintrin.h>
#endif

#include "sipshunt/common/compiler.hpp"
#include "sipshunt/common/octets.hpp"

namespace sipshunt::proxy::detail {

struct RequestUriShape {
  bool unbracketed_ipv6 = false;  // RFC 5118 §4.2: answered 400
  bool has_at = false;            // a '@' anywhere in the URI
};

// The general test: the hostport of a sip/sips Request-URI (after any userinfo, before any
// parameter or header) that is not bracketed and holds more than one ':'. `at`: the offset after
// the scheme's ':'. Reached only for URIs longer than the 64-octet window below (or within 64
// octets of the datagram's end), and on builds without SSE2.
[[nodiscard]] inline bool unbracketed_ipv6_host_after(std::string_view uri, std::size_t at) noexcept {
  const char* const end = uri.data() + uri.size();
  const auto* first = static_cast<const char*>(std::memchr(uri.data() + at, ':', uri.size() - at));
  if (first == nullptr || std::memchr(first + 1, ':', static_cast<std::size_t>(end - first - 1)) == nullptr) return false;
  // The host starts after the last '@' before the first ';' or '?'; a bracketed one is settled
  // there (every RFC 5118 Request-URI), else its colons are counted up to that ';' or '?'.
  const char* const begin = uri.data() + at;
  const char* stop = static_cast<const char*>(std::memchr(begin, ';', static_cast<std::size_t>(end - begin)));
  if (stop == nullptr) stop = end;
  if (const auto* q = static_cast<const char*>(std::memchr(begin, '?', static_cast<std::size_t>(stop - begin)))) stop = q;
  const auto* last_at = static_cast<const char*>(memrchr(begin, '@', static_cast<std::size_t>(stop - begin)));
  const char* const host = last_at != nullptr ? last_at + 1 : begin;
  if (host == end || *host == '[') return false;
  unsigned colons = 0;
  for (const char* p = host; p != stop; ++p) colons += *p == ':';
  return colons > 1;
}

// The offset after "sip:" or "sips:" (any case, RFC 3261 §19.1.1), 0 for any other scheme. The
// scheme's letters are compared as one word with their case bit set; ':' is compared as it is.
[[nodiscard]] SIPSHUNT_ALWAYS_INLINE std::size_t sip_scheme_end(std::string_view uri) noexcept {
  if (uri.size() > 4 && (load4(uri.data()) | 0x00202020u) == 0x3a706973u) return 4;  // "sip:"
  if (uri.size() > 5 && (load4(uri.data()) | 0x20202020u) == 0x73706973u && uri[4] == ':') return 5;  // "sips:"
  return 0;
}

#if defined(__AVX2__) || defined(__SSE2__)
// The octets equal to `c` among the 64 at p (bit i: octet i); `n` > 32 reads them all, else the
// first 32 only (the bits above stay clear). Called for two octet values on the same p, the
// compiler loads each half once.
SIPSHUNT_ALWAYS_INLINE std::uint64_t marks(const char* p, std::size_t n, char c) noexcept {
  const auto half = [c](const char* q) {
#if defined(__AVX2__)
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q));
    return static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(c))));
#else
    const __m128i k = _mm_set1_epi8(c);
    return static_cast<std::uint32_t>(
               _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q)), k))) |
           static_cast<std::uint32_t>(
               _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 16)), k)))
               << 16;
#endif
  };
  std::uint64_t m = half(p);
  if (n > 32) m |= std::uint64_t{half(p + 32)} << 32;
  return m;
}

// The RFC 5118 §4.2 test for a URI of 1 to 64 octets with 64 readable from its first, its ':'
// and '@' already marked: the rule of unbracketed_ipv6_host_after on masks, no scan (every IPv6
// Request-URI, bracketed or not, has three ':' or more and comes here).
[[nodiscard]] inline bool unbracketed_ipv6_host_in_window(std::string_view uri, std::uint64_t colons,
                                                          std::uint64_t ats) noexcept {
  const std::size_t at = sip_scheme_end(uri);  // < n <= 64
  if (at == 0) return false;
  const std::size_t n = uri.size();
  const std::uint64_t after_scheme = (~std::uint64_t{0} >> (64 - n)) & (~std::uint64_t{0} << at);
  const std::uint64_t ends = (marks(uri.data(), n, ';') | marks(uri.data(), n, '?')) & after_scheme;
  const std::size_t stop = ends != 0 ? static_cast<std::size_t>(__builtin_ctzll(ends)) : n;  // <= 64
  const std::uint64_t hostport = after_scheme & (stop == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << stop) - 1);
  const std::uint64_t last_ats = ats & hostport;
  const std::size_t host = last_ats != 0 ? 64 - static_cast<std::size_t>(__builtin_clzll(last_ats)) : at;
  if (host >= stop || uri[host] == '[') return false;  // host < stop <= 64 below
  return __builtin_popcountll(colons & hostport & (~std::uint64_t{0} << host)) > 1;
}
#endif

// Both answers for a Request-URI. `readable_end`: the end of the datagram holding it. Most
// Request-URIs are 64 octets or shorter: their ':' and '@' are found with one or two 32-octet
// loads and two compares each (16-octet loads without AVX2), and only a URI with three ':' or
// more takes the window test above (two compares more). The loads read the 64 octets from the URI's first: only
// when those are inside the datagram, which the length check below makes sure of. For a parsed
// request (sip::parse returned kOk) the Request-URI is followed by " SIP/2.0", the line end and
// the header lines the parser requires (Via, From, To, Call-ID and CSeq), so it holds for any
// usual request; a longer URI, or a datagram too short, takes the octet scans (memchr) as before.
[[nodiscard]] SIPSHUNT_ALWAYS_INLINE RequestUriShape request_uri_shape(std::string_view uri,
                                                                       const char* readable_end) noexcept {
  const char* const p = uri.data();
  const std::size_t n = uri.size();
#if defined(__AVX2__) || defined(__SSE2__)
  if (SIPSHUNT_LIKELY(n - 1 < 64 && readable_end - p >= 64)) {  // 1 to 64 octets
    const std::uint64_t in_uri = ~std::uint64_t{0} >> (64 - n);
    const std::uint64_t colons = marks(p, n, ':') & in_uri, ats = marks(p, n, '@') & in_uri;
    RequestUriShape shape;
    shape.has_at = ats != 0;
    // With two ':' at most in the whole URI the host cannot be an unbracketed IPv6 address: a
    // sip/sips scheme takes one.
    const std::uint64_t after_first = colons & (colons - 1);
    if (SIPSHUNT_UNLIKELY((after_first & (after_first - 1)) != 0))
      shape.unbracketed_ipv6 = unbracketed_ipv6_host_in_window(uri, colons, ats);
    return shape;
  }
#endif
  RequestUriShape shape;
  shape.has_at = uri.find('@') != std::string_view::npos;
  if (const std::size_t at = sip_scheme_end(uri); at != 0) shape.unbracketed_ipv6 = unbracketed_ipv6_host_after(uri, at);
  return shape;
}

}  // namespace sipshunt::proxy::detail
