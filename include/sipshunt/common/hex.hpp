// hot path
// Lowercase hex text of an octet, both digits from one table load: the one table of every hex
// writer on the hot path (the SIP writer's branch hashes, format_ip's IPv6 groups).
#pragma once

#include <cstdint>
#include <cstring>

namespace sipshunt {

namespace detail {
// "00".."ff": the two digits of octet value i at 2i.
inline constexpr auto kHexPairs = [] {
  struct Table {
    char c[512];
  } t{};
  constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 256; ++i) {
    t.c[2 * i] = kHex[i >> 4];
    t.c[2 * i + 1] = kHex[i & 0xf];
  }
  return t;
}();
}  // namespace detail

// The two hex digits of `v` as they lie in memory (the first digit at the lower address).
[[nodiscard]] inline std::uint16_t hex_pair(std::uint8_t v) noexcept {
  std::uint16_t pair;
  std::memcpy(&pair, detail::kHexPairs.c + 2 * v, 2);
  return pair;
}

}  // namespace sipshunt
