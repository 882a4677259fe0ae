// hot path
// Octet-level helpers the SIP parser, the rules' matcher and the proxy share: unaligned word
// loads, the equality of short runs without a library call (for a few dozen octets, cheaper than
// memcmp), ASCII lower case.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "sipshunt/common/compiler.hpp"

namespace sipshunt {

[[nodiscard]] SIPSHUNT_ALWAYS_INLINE std::uint32_t load4(const void* s) noexcept {
  std::uint32_t v;
  std::memcpy(&v, s, 4);
  return v;
}

[[nodiscard]] SIPSHUNT_ALWAYS_INLINE std::uint64_t load8(const void* s) noexcept {
  std::uint64_t v;
  std::memcpy(&v, s, 8);
  return v;
}

// memcmp(a, b, n) == 0 by overlapping word loads from each end, never reading outside either run.
[[nodiscard]] SIPSHUNT_ALWAYS_INLINE bool same_octets(const char* a, const char* b, std::size_t n) noexcept {
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8)
      if (load8(a + i) != load8(b + i)) return false;
    return load8(a + n - 8) == load8(b + n - 8);
  }
  if (n >= 4) return load4(a) == load4(b) && load4(a + n - 4) == load4(b + n - 4);
  if (n >= 2) return a[0] == b[0] && a[n - 1] == b[n - 1] && a[n / 2] == b[n / 2];
  return n == 0 || a[0] == b[0];
}

// a == b for short texts (method names, literals) without a call to memcmp, which
// std::string_view's == makes whenever the length is not a constant.
[[nodiscard]] SIPSHUNT_ALWAYS_INLINE bool same_text(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && same_octets(a.data(), b.data(), a.size());
}

// ASCII lower case: header names compare without case (RFC 3261 §7.3.1), as do regexes with the
// i flag (rules).
[[nodiscard]] SIPSHUNT_ALWAYS_INLINE constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace sipshunt
