// hot path
// Private to the sip module: maps a header name (long or compact form, any case) to its HeaderId
// with a switch on the length and at most two word compares, no per-octet loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "sipshunt/common/compiler.hpp"
#include "sipshunt/sip/message.hpp"

namespace sipshunt::sip::detail {

// Little-endian pack of up to 8 octets of a literal, and the mask that folds the letters in it.
struct Word {
  std::uint64_t bits;
  std::uint64_t fold;
};
constexpr Word word(const char* s, std::size_t n) {
  Word w{0, 0};
  for (std::size_t i = 0; i < n && i < 8; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    w.bits |= std::uint64_t{c} << (8 * i);
    if (c >= 'a' && c <= 'z') w.fold |= std::uint64_t{0x20} << (8 * i);
  }
  return w;
}

// Loads exactly N (1..8) octets, little-endian, never reading past s + N. Built from loads of 1,
// 2, 4 or 8 octets straight into registers (a memcpy of 3, 5, 6 or 7 octets into a zeroed word
// goes through the stack and stalls store-to-load forwarding).
template <std::size_t N>
SIPSHUNT_ALWAYS_INLINE std::uint64_t load(const char* s) noexcept {
  static_assert(N >= 1 && N <= 8);
  const auto u8 = [](const char* p) { return std::uint64_t{static_cast<unsigned char>(*p)}; };
  const auto u16 = [](const char* p) {
    std::uint16_t v;
    std::memcpy(&v, p, 2);
    return std::uint64_t{v};
  };
  const auto u32 = [](const char* p) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return std::uint64_t{v};
  };
  if constexpr (N == 1) return u8(s);
  if constexpr (N == 2) return u16(s);
  if constexpr (N == 3) return u16(s) | (u8(s + 2) << 16);
  if constexpr (N == 4) return u32(s);
  if constexpr (N == 5) return u32(s) | (u8(s + 4) << 32);
  if constexpr (N == 6) return u32(s) | (u16(s + 4) << 32);
  if constexpr (N == 7) return u32(s) | (u32(s + 3) << 24);  // octet 3 read twice, same value
  if constexpr (N == 8) {
    std::uint64_t v;
    std::memcpy(&v, s, 8);
    return v;
  }
}

// A lowercase header name as a template argument, so its words are compile-time constants.
template <std::size_t N>
struct Lit {
  char s[N];
  constexpr Lit(const char (&a)[N]) {  // NOLINT: implicit on purpose (name_is<"via">)
    for (std::size_t i = 0; i < N; ++i) s[i] = a[i];
  }
};

// True when the name at s, whose length equals the literal's, matches it in any case.
template <Lit L>
SIPSHUNT_ALWAYS_INLINE bool name_is(const char* s) noexcept {
  constexpr std::size_t n = sizeof(L.s) - 1;
  if constexpr (n <= 8) {
    constexpr Word w = word(L.s, n);
    return (load<n>(s) | w.fold) == w.bits;
  } else {
    constexpr Word a = word(L.s, 8);
    constexpr Word b = word(L.s + (n - 8), 8);  // the last 8 octets (may overlap the first)
    return (((load<8>(s) | a.fold) ^ a.bits) | ((load<8>(s + n - 8) | b.fold) ^ b.bits)) == 0;
  }
}

SIPSHUNT_ALWAYS_INLINE HeaderId lookup_header(const char* s, std::size_t n) noexcept {
  using H = HeaderId;
  switch (n) {
    case 1:
      switch (s[0] | 0x20) {  // only letters can match, and only their own two cases
        case 'v': return H::kVia;
        case 'f': return H::kFrom;
        case 't': return H::kTo;
        case 'i': return H::kCallId;
        case 'm': return H::kContact;
        case 'l': return H::kContentLength;
        case 'c': return H::kContentType;
        case 'k': return H::kSupported;
        case 's': return H::kSubject;
        case 'e': return H::kContentEncoding;
        case 'o': return H::kEvent;
        case 'r': return H::kReferTo;
        case 'u': return H::kAllowEvents;
        case 'x': return H::kSessionExpires;
        default: return H::kOther;
      }
    case 2: return name_is<"to">(s) ? H::kTo : H::kOther;
    case 3: return name_is<"via">(s) ? H::kVia : H::kOther;
    case 4:
      if (name_is<"from">(s)) return H::kFrom;
      if (name_is<"cseq">(s)) return H::kCSeq;
      return H::kOther;
    case 5:
      if (name_is<"route">(s)) return H::kRoute;
      if (name_is<"event">(s)) return H::kEvent;
      return H::kOther;
    case 7:
      switch (s[0] | 0x20) {
        case 'c':
          if (name_is<"call-id">(s)) return H::kCallId;
          if (name_is<"contact">(s)) return H::kContact;
          return H::kOther;
        case 'r': return name_is<"require">(s) ? H::kRequire : H::kOther;
        case 's': return name_is<"subject">(s) ? H::kSubject : H::kOther;
        default: return H::kOther;
      }
    case 8: return name_is<"refer-to">(s) ? H::kReferTo : H::kOther;
    case 9: return name_is<"supported">(s) ? H::kSupported : H::kOther;
    case 10: return name_is<"user-agent">(s) ? H::kUserAgent : H::kOther;
    case 11: return name_is<"unsupported">(s) ? H::kUnsupported : H::kOther;
    case 12:
      switch (s[0] | 0x20) {
        case 'm': return name_is<"max-forwards">(s) ? H::kMaxForwards : H::kOther;
        case 'c': return name_is<"content-type">(s) ? H::kContentType : H::kOther;
        case 'r': return name_is<"record-route">(s) ? H::kRecordRoute : H::kOther;
        case 'a': return name_is<"allow-events">(s) ? H::kAllowEvents : H::kOther;
        default: return H::kOther;
      }
    case 13: return name_is<"proxy-require">(s) ? H::kProxyRequire : H::kOther;
    case 14: return name_is<"content-length">(s) ? H::kContentLength : H::kOther;
    case 15: return name_is<"session-expires">(s) ? H::kSessionExpires : H::kOther;
    case 16: return name_is<"content-encoding">(s) ? H::kContentEncoding : H::kOther;
    default: return H::kOther;
  }
}

}  // namespace sipshunt::sip::detail
