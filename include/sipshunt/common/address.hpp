// IP endpoint used across modules (config, proxy, rules, net). Plain value type, no DPDK.
// Addresses are stored in network byte order; the port in host byte order.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace sipshunt {

enum class Family : std::uint8_t { kNone = 0, kIPv4 = 4, kIPv6 = 6 };

struct IpAddress {
  Family family = Family::kNone;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4 bytes

  [[nodiscard]] static IpAddress v4(std::uint32_t host_order) noexcept {
    IpAddress a;
    a.family = Family::kIPv4;
    a.bytes[0] = static_cast<std::uint8_t>(host_order >> 24);
    a.bytes[1] = static_cast<std::uint8_t>(host_order >> 16);
    a.bytes[2] = static_cast<std::uint8_t>(host_order >> 8);
    a.bytes[3] = static_cast<std::uint8_t>(host_order);
    return a;
  }
  [[nodiscard]] std::uint32_t v4_host_order() const noexcept {
    return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
           (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
  }
  // Broadcast, multicast or unspecified: never a destination (DESIGN.md, proxy rule 3). Inline:
  // the forward of every request checks its destination (a call cost more than the IPv4 test).
  [[nodiscard]] bool is_unsendable() const noexcept {
    if (family == Family::kIPv4) {
      const std::uint32_t a = v4_host_order();
      return a == 0 || a == 0xffffffffu || (a >> 28) == 0xe;  // unspecified, broadcast, 224/4
    }
    return is_unsendable_other();
  }
  // Parses a literal ("198.18.0.1", "2001:db8::1", "[2001:db8::1]"): parse_ip_literal() below.
  [[nodiscard]] static std::optional<IpAddress> parse(std::string_view text) noexcept;
  // is_unsendable() of an IPv6 address or none (out of line: the rarer families).
  [[nodiscard]] bool is_unsendable_other() const noexcept;
  [[nodiscard]] std::string to_string() const;  // control plane only
  // Two word compares and the family: the defaulted == compared the array through a memcmp call,
  // and addresses are compared on the per-packet path (neighbour memo, our addresses, backends).
  friend bool operator==(const IpAddress& a, const IpAddress& b) noexcept {
    std::uint64_t x[2], y[2];
    std::memcpy(x, a.bytes.data(), 16);
    std::memcpy(y, b.bytes.data(), 16);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0 && a.family == b.family;
  }
};

struct Endpoint {
  IpAddress ip;
  std::uint16_t port = 0;

  // "IP:PORT" or "[IPv6]:PORT".
  [[nodiscard]] static std::optional<Endpoint> parse(std::string_view text) noexcept;
  [[nodiscard]] std::string to_string() const;  // control plane only
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// The one IP literal grammar of the project, hot-path safe (no libc, no allocation); the whole
// text must be the literal. IPv4: a dotted quad, 1..3 digits per part, each 0..255 (RFC 3261
// §25.1 IPv4address). IPv6: the RFC 4291 §2.2 text forms (1..4 hex digits per group, at most one
// "::", an embedded dotted quad last), bare or in brackets (RFC 3261 §25.1 IPv6reference, RFC
// 5118 §4); a dotted quad in brackets is not a literal. RFC 5118 §4.10's "2001:db8:::192.0.2.1"
// (three colons, which RFC 3261's ABNF admits) is refused, as RFC 4291 has it.
[[nodiscard]] inline bool parse_ipv4(std::string_view text, std::uint32_t& host_order) noexcept {
  std::uint32_t value = 0, part = 0;
  int dots = 0, digits = 0;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      part = part * 10 + static_cast<std::uint32_t>(c - '0');
      if (++digits > 3 || part > 255) return false;
    } else if (c == '.') {
      if (digits == 0 || ++dots > 3) return false;
      value = (value << 8) | part;
      part = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  if (dots != 3 || digits == 0) return false;
  host_order = (value << 8) | part;
  return true;
}
// IPv6 text, bare or bracketed (out of line: the rarer family).
[[nodiscard]] bool parse_ipv6(std::string_view text, IpAddress& out) noexcept;
[[nodiscard]] inline bool parse_ip_literal(std::string_view text, IpAddress& out) noexcept {
  std::uint32_t v;
  if (parse_ipv4(text, v)) {
    out = IpAddress::v4(v);
    return true;
  }
  return parse_ipv6(text, out);
}

// Writes the textual form of `ip` into `out` (at least 46 bytes, which it may use past the
// returned length as scratch: whole-word stores); returns the length. Hot-path safe.
std::size_t format_ip(const IpAddress& ip, char* out) noexcept;

// Room for any format_endpoint(): "[" + 45-octet IPv6 text + "]:" + 5 digits, and format_ip's own
// need of 46 octets for the address.
inline constexpr std::size_t kMaxEndpointText = 56;
// `host:port` as in a Via sent-by or a SIP URI, an IPv6 address in brackets (RFC 3261 §25.1
// hostport and IPv6reference, RFC 5118 §4): the one writer of Endpoint::to_string() and the SIP
// writer's put_hostport(). `out` holds kMaxEndpointText octets; returns the length.
std::size_t format_endpoint(const Endpoint& e, char* out) noexcept;

}  // namespace sipshunt
