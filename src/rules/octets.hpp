// hot path
// Octets as the matcher compares them: ASCII lower case, and short runs compared eight at a time
// without a library call (for values of a few dozen octets, cheaper than memcmp). Private to the
// rules module.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sipshunt::rules {

// ASCII lower case: header names compare without case (RFC 3261 §7.3.1), as do regexes with the
// i flag.
[[nodiscard]] inline char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

[[nodiscard]] inline std::uint64_t load8(const char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

[[nodiscard]] inline std::uint32_t load4(const char* p) noexcept {
  std::uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}

// memcmp(a, b, n) == 0; the last word read overlaps the one before it (from four octets on).
[[nodiscard]] inline bool same_octets(const char* a, const char* b, std::size_t n) noexcept {
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8) {
      if (load8(a + i) != load8(b + i)) return false;
    }
    return load8(a + n - 8) == load8(b + n - 8);
  }
  if (n >= 4) return load4(a) == load4(b) && load4(a + n - 4) == load4(b + n - 4);
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace sipshunt::rules
