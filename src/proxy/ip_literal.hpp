// hot path
// Ports and address comparisons as SIP writes them (Via sent-by, received, rport, URI hosts), read
// without libc or allocation; the literal grammar itself is common/address.hpp parse_ip_literal().
// Private to src/proxy.
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

// Whether `host` (as SIP writes it) is the literal of `ip`. IPv4 compares as integers: building
// an IpAddress byte by byte and comparing it whole costs store-forwarding stalls on the hot path.
[[nodiscard]] inline bool host_is(std::string_view host, const IpAddress& ip) noexcept {
  if (ip.family == Family::kIPv4) {
    std::uint32_t v;
    return parse_ipv4(host, v) && v == ip.v4_host_order();
  }
  IpAddress parsed;
  return parse_ipv6(host, parsed) && parsed == ip;
}

}  // namespace sipshunt::proxy::detail
