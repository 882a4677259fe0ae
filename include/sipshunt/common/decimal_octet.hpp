// hot path
// Decimal text of an octet value from one table load: the one such table (format_ip's IPv4
// octets, the proxy's decremented Max-Forwards). Little-endian, as the data plane.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace sipshunt {

namespace detail {
// Decimal text of each octet value in the low three bytes (memory order), its length in the top
// byte: an IPv4 address is four loads and stores, no division.
inline constexpr std::array<std::uint32_t, 256> kDecimalOctet = [] {
  std::array<std::uint32_t, 256> t{};
  for (unsigned v = 0; v < 256; ++v) {
    const unsigned len = v >= 100 ? 3 : v >= 10 ? 2 : 1;
    const unsigned digits[3] = {v / 100, v / 10 % 10, v % 10};
    std::uint32_t e = len << 24;
    for (unsigned k = 0; k < len; ++k) e |= (std::uint32_t{'0'} + digits[3 - len + k]) << (8 * k);
    t[v] = e;
  }
  return t;
}();
}  // namespace detail

// The decimal text of `v` (no leading zeros), read in place from the table: nothing is written.
[[nodiscard]] inline std::string_view decimal_octet(std::uint8_t v) noexcept {
  const std::uint32_t& e = detail::kDecimalOctet[v];
  return {reinterpret_cast<const char*>(&e), e >> 24};
}

}  // namespace sipshunt
