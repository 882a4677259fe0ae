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

// Writes 16 lowercase hex digits of `v`, two per table lookup.
inline void write_hex16(std::uint64_t v, char* out) noexcept {
  static constexpr auto kPairs = [] {
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
  for (int i = 7; i >= 0; --i) {
    std::memcpy(out + 2 * i, kPairs.c + 2 * (v & 0xff), 2);
    v >>= 8;
  }
}

// memcpy for the short pieces the rewrite inserts (a libc call each otherwise): overlapping
// fixed-size moves up to 32 octets.
SIPSHUNT_ALWAYS_INLINE void copy_bytes(char* dst, const char* src, std::size_t n) noexcept {
  if (n <= 16) {
    if (n >= 8) {
      std::uint64_t a, b;
      std::memcpy(&a, src, 8);
      std::memcpy(&b, src + n - 8, 8);
      std::memcpy(dst, &a, 8);
      std::memcpy(dst + n - 8, &b, 8);
    } else if (n >= 4) {
      std::uint32_t a, b;
      std::memcpy(&a, src, 4);
      std::memcpy(&b, src + n - 4, 4);
      std::memcpy(dst, &a, 4);
      std::memcpy(dst + n - 4, &b, 4);
    } else {
      for (std::size_t i = 0; i < n; ++i) dst[i] = src[i];
    }
    return;
  }
  if (n <= 32) {
    char a[16], b[16];
    std::memcpy(a, src, 16);
    std::memcpy(b, src + n - 16, 16);
    std::memcpy(dst, a, 16);
    std::memcpy(dst + n - 16, b, 16);
    return;
  }
  std::memcpy(dst, src, n);
}

// Writes the decimal form of `v`; returns the length (at most 10). Digits go straight to their
// place (no reversal through a temporary: that cost a store-forwarding stall per call).
inline std::size_t write_decimal(std::uint32_t v, char* out) noexcept {
  std::size_t n = 1;
  for (std::uint32_t t = v; t >= 10; t /= 10) ++n;
  for (std::size_t i = n; i-- > 0; v /= 10) out[i] = static_cast<char>('0' + v % 10);
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

// A dotted-quad IPv4 literal to its host-order value; false for anything else.
[[nodiscard]] inline bool parse_ipv4(std::string_view text, std::uint32_t& out) noexcept {
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
    } else {
      return false;
    }
  }
  if (parts != 3 || digits == 0) return false;
  out = (value << 8) | part;
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

// Whether `host` (as SIP writes it) is the literal of `ip`. IPv4 compares as integers: building
// an IpAddress byte by byte and comparing it whole costs store-forwarding stalls on the hot path.
[[nodiscard]] inline bool host_is(std::string_view host, const IpAddress& ip) noexcept {
  if (ip.family == Family::kIPv4) {
    std::uint32_t v;
    return parse_ipv4(host, v) && v == ip.v4_host_order();
  }
  IpAddress parsed;
  return parse_ip_literal(host, parsed) && parsed == ip;
}

}  // namespace sipshunt::proxy::detail
