// hot path
// Outbound IPv4 fragmentation plan (RFC 791): how a datagram whose IP payload does not fit the
// MTU is cut. Pure arithmetic; the data plane copies the slices into fresh mbufs.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sipshunt/net/headers.hpp"

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

// Plan for an IP payload of `payload` bytes on a link of `mtu` (IP MTU, >= 68). count 0 when the
// datagram cannot be sent at all (payload above 65515).
[[nodiscard]] inline FragmentPlan plan_fragments(std::size_t payload, std::uint16_t mtu) noexcept {
  FragmentPlan plan;
  if (payload + kIpv4HeaderLen > 65535 || mtu < 68) return plan;
  plan.payload = static_cast<std::uint32_t>(payload);
  if (payload + kIpv4HeaderLen <= mtu) {
    plan.count = 1;
    plan.chunk = plan.payload;
    return plan;
  }
  plan.chunk = static_cast<std::uint32_t>((mtu - kIpv4HeaderLen) & ~std::size_t{7});
  plan.count = static_cast<std::uint32_t>((payload + plan.chunk - 1) / plan.chunk);
  return plan;
}

}  // namespace sipshunt::net
