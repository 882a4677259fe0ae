// hot path
// Addresses and ports as SIP writes them (Via sent-by, received, rport, URI hosts), read without
// libc or allocation. Private to src/proxy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sipshunt/common/address.hpp"
#include "sipshunt/common/compiler.hpp"

namespace sipshunt::proxy::detail {

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

// What scan_ipv4() made of the start of a text.
enum class Ipv4Scan : std::uint8_t {
  kQuad,     // four parts, each 0..255 in 1..3 digits: the value is set
  kPartial,  // digits and dots that are not (yet) four parts, then the end or an accepted stop
  kBad,      // not a dotted quad: a part over 255 or of more than 3 digits, an empty part, a
             // fifth part, or an octet that is neither a digit, a dot nor an accepted stop
};

// The dotted-quad grammar (RFC 3261 §25.1 IPv4address), written once: reads digits and dots from
// the start of `text` up to its end or the first octet `stop(c)` accepts. A template so that
// each caller's stop test folds into the loop (the hot path reads a quad per Via).
template <typename Stop>
[[nodiscard]] SIPSHUNT_ALWAYS_INLINE Ipv4Scan scan_ipv4(std::string_view text, Stop stop, std::uint32_t& out) noexcept {
  std::uint32_t value = 0, part = 0;
  int parts = 0, digits = 0;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      part = part * 10 + static_cast<std::uint32_t>(c - '0');
      if (++digits > 3 || part > 255) return Ipv4Scan::kBad;
    } else if (c == '.') {
      if (digits == 0 || ++parts > 3) return Ipv4Scan::kBad;
      value = (value << 8) | part;
      part = 0;
      digits = 0;
    } else if (stop(c)) {
      break;
    } else {
      return Ipv4Scan::kBad;
    }
  }
  if (parts != 3 || digits == 0) return Ipv4Scan::kPartial;
  out = (value << 8) | part;
  return Ipv4Scan::kQuad;
}

// A dotted-quad IPv4 literal, the whole text, to its host-order value; false for anything else.
[[nodiscard]] inline bool parse_ipv4(std::string_view text, std::uint32_t& out) noexcept {
  return scan_ipv4(text, [](char) { return false; }, out) == Ipv4Scan::kQuad;
}

// An IP literal as SIP writes it (IPv4 dotted quad, or IPv6 in brackets or bare). Host names and
// anything else: false. The IPv4 case, by far the most common, is parsed here without libc. A
// dotted quad followed by ':' or a hex letter is taken as that quad (the scan stops where a bare
// IPv6 literal could go on, and looks no further).
[[nodiscard]] inline bool parse_ip_literal(std::string_view text, IpAddress& out) noexcept {
  if (text.empty()) return false;
  const char c0 = text.front();
  if (c0 >= '0' && c0 <= '9') {
    const auto maybe_ipv6 = [](char c) { return c == ':' || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
    std::uint32_t v = 0;
    switch (scan_ipv4(text, maybe_ipv6, v)) {
      case Ipv4Scan::kQuad:
        out = IpAddress::v4(v);
        return true;
      case Ipv4Scan::kBad:
        return false;  // e.g. a host name such as 1host.example.com
      case Ipv4Scan::kPartial:
        break;  // maybe a bare IPv6 literal: below
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
