// hot path
// Addresses and ports as SIP writes them (Via sent-by, received, rport, URI hosts), read without
// libc or allocation. Private to src/proxy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sipshunt/common/address.hpp"

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

// What scan_ipv4() read at the start of a text.
struct Ipv4Scan {
  std::size_t stop = 0;     // offset of the first octet that is neither a digit nor a dot
  bool bad = false;         // what was read cannot be a dotted quad (a part over 255 or of more
                            // than 3 digits, an empty part, a fifth part): stop is meaningless
  bool quad = false;        // the octets before `stop` are four parts: `value` holds them
  std::uint32_t value = 0;  // host order
};

// The dotted-quad grammar (RFC 3261 §25.1 IPv4address), written once: reads digits and dots from
// the start of `text` and stops at the first other octet.
[[nodiscard]] inline Ipv4Scan scan_ipv4(std::string_view text) noexcept {
  Ipv4Scan s;
  std::uint32_t value = 0, part = 0;
  int parts = 0, digits = 0;
  std::size_t i = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      part = part * 10 + static_cast<std::uint32_t>(c - '0');
      if (++digits > 3 || part > 255) {
        s.bad = true;
        return s;
      }
    } else if (c == '.') {
      if (digits == 0 || ++parts > 3) {
        s.bad = true;
        return s;
      }
      value = (value << 8) | part;
      part = 0;
      digits = 0;
    } else {
      break;
    }
  }
  s.stop = i;
  if (parts == 3 && digits > 0) {
    s.quad = true;
    s.value = (value << 8) | part;
  }
  return s;
}

// A dotted-quad IPv4 literal, the whole text, to its host-order value; false for anything else.
[[nodiscard]] inline bool parse_ipv4(std::string_view text, std::uint32_t& out) noexcept {
  const Ipv4Scan s = scan_ipv4(text);
  if (s.bad || !s.quad || s.stop != text.size()) return false;
  out = s.value;
  return true;
}

// An IP literal as SIP writes it (IPv4 dotted quad, or IPv6 in brackets or bare). Host names and
// anything else: false. The IPv4 case, by far the most common, is parsed here without libc. A
// dotted quad followed by ':' or a hex letter is taken as that quad (where a bare IPv6 literal
// could start, nothing else is looked at).
[[nodiscard]] inline bool parse_ip_literal(std::string_view text, IpAddress& out) noexcept {
  if (text.empty()) return false;
  const char c0 = text.front();
  if (c0 >= '0' && c0 <= '9') {
    const Ipv4Scan s = scan_ipv4(text);
    if (s.bad) return false;
    if (s.stop < text.size()) {
      const char c = text[s.stop];
      if (c != ':' && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F'))
        return false;  // a host name such as 1host.example.com
    }
    if (s.quad) {
      out = IpAddress::v4(s.value);
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
