// hot path
// Small helpers shared by the proxy sources: hashing, digits, hex, IP literals in SIP text.
// Private to src/proxy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "sipshunt/common/address.hpp"
#include "sipshunt/common/compiler.hpp"

namespace sipshunt::proxy::detail {

// Seedable 64-bit hash used for branches, tags and the snapshot's lookup tables (XXH3).
[[nodiscard]] std::uint64_t hash_bytes(const void* data, std::size_t size, std::uint64_t seed) noexcept;
[[nodiscard]] inline std::uint64_t hash_text(std::string_view text, std::uint64_t seed) noexcept {
  return hash_bytes(text.data(), text.size(), seed);
}
[[nodiscard]] std::uint64_t hash_endpoint(const Endpoint& e) noexcept;

// Writes 16 lowercase hex digits of `v`.
inline void write_hex16(std::uint64_t v, char* out) noexcept {
  constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out[i] = kHex[v & 0xf];
    v >>= 4;
  }
}

// Writes the decimal form of `v`; returns the length (at most 10).
inline std::size_t write_decimal(std::uint32_t v, char* out) noexcept {
  char tmp[10];
  std::size_t n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (std::size_t i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
  return n;
}

// Parses 1..5 digits into a port 1..65535.
[[nodiscard]] inline bool parse_port(std::string_view text, std::uint16_t& port) noexcept {
  if (text.empty() || text.size() > 5) return false;
  std::uint32_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (v == 0 || v > 65535) return false;
  port = static_cast<std::uint16_t>(v);
  return true;
}

// An IP literal as SIP writes it (IPv4 dotted quad, or IPv6 in brackets or bare). Host names and
// anything else: false. The IPv4 case, by far the most common, is parsed here without libc.
[[nodiscard]] inline bool parse_ip_literal(std::string_view text, IpAddress& out) noexcept {
  if (text.empty()) return false;
  const char c0 = text.front();
  if (c0 >= '0' && c0 <= '9') {
    std::uint32_t value = 0, part = 0;
    int parts = 0, digits = 0;
    for (char c : text) {
      if (c >= '0' && c <= '9') {
        part = part * 10 + static_cast<std::uint32_t>(c - '0');
        if (++digits > 3 || part > 255) return false;
      } else if (c == '.') {
        if (digits == 0 || ++parts > 3) return false;
        value = (value << 8) | part;
        part = 0;
        digits = 0;
      } else if (c == ':' || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
        break;  // maybe a bare IPv6 literal: below
      } else {
        return false;  // a host name such as 1host.example.com
      }
    }
    if (parts == 3 && digits > 0) {
      out = IpAddress::v4((value << 8) | part);
      return true;
    }
  }
  if (c0 == '[' || text.find(':') != std::string_view::npos) {
    auto ip = IpAddress::parse(text);
    if (!ip || ip->family != Family::kIPv6) return false;
    out = *ip;
    return true;
  }
  return false;
}

// Case-sensitive equality of byte ranges (methods are case-sensitive in SIP).
[[nodiscard]] inline bool equals(std::string_view a, std::string_view b) noexcept { return a == b; }

}  // namespace sipshunt::proxy::detail
