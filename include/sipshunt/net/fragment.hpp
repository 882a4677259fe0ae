// hot path
// Outbound fragmentation plan (IPv4: RFC 791; IPv6: RFC 8200 §4.5, a fragment header in each
// fragment): how a datagram whose IP payload does not fit the MTU is cut. Pure arithmetic; the
// data plane copies the slices into fresh mbufs.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sipshunt/common/address.hpp"
#include "sipshunt/net/headers.hpp"
#include "sipshunt/net/ipv6.hpp"

namespace sipshunt::net {

struct FragmentPlan {
  std::uint32_t count = 0;       // fragments (1: the datagram fits, send it whole)
  std::uint32_t chunk = 0;       // IP payload bytes per fragment but the last (multiple of 8)
  std::uint32_t payload = 0;     // total IP payload bytes

  struct Slice {
    std::uint32_t offset = 0;    // into the IP payload, multiple of 8
    std::uint32_t length = 0;
    bool more = false;           // MF flag
  };
  [[nodiscard]] Slice slice(std::uint32_t i) const noexcept {
    Slice s;
    s.offset = i * chunk;
    s.length = (s.offset + chunk < payload) ? chunk : payload - s.offset;
    s.more = i + 1 < count;
    return s;
  }
};

// Plan for an IP payload of `payload` bytes on a link of `mtu` (IP MTU: >= 68 for IPv4, >= 1280
// for IPv6). count 0 when the datagram cannot be sent at all (IPv4: payload above 65515; IPv6:
// above 65535, the payload length field).
[[nodiscard]] inline FragmentPlan plan_fragments(std::size_t payload, std::uint16_t mtu,
                                                 Family family = Family::kIPv4) noexcept {
  FragmentPlan plan;
  const bool v6 = family == Family::kIPv6;
  const std::size_t header = v6 ? kIpv6HeaderLen : kIpv4HeaderLen;
  if ((v6 ? payload : payload + header) > 65535 || mtu < (v6 ? 1280 : 68)) return plan;
  plan.payload = static_cast<std::uint32_t>(payload);
  if (payload + header <= mtu) {
    plan.count = 1;
    plan.chunk = plan.payload;
    return plan;
  }
  const std::size_t per_fragment = v6 ? header + kIpv6FragmentHeaderLen : header;
  plan.chunk = static_cast<std::uint32_t>((mtu - per_fragment) & ~std::size_t{7});
  plan.count = static_cast<std::uint32_t>((payload + plan.chunk - 1) / plan.chunk);
  return plan;
}

}  // namespace sipshunt::net
