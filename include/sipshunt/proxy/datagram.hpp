// hot path
// One datagram as proxy::process() takes it (proxy.hpp): its octets, where it came from and the
// network it arrived on, the room for the output, and the clock. A worker keeps one and fills in
// per datagram only what changes (dataplane/worker.hpp): the hand-off is one reference, not nine
// arguments (four of them on the stack), and nothing of it is kept in registers across the call.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sipshunt/common/address.hpp"

namespace sipshunt::proxy {

struct Datagram {
  const char* data = nullptr;
  std::size_t size = 0;
  Endpoint source;
  std::uint16_t network = 0;     // index in Snapshot::networks of the arrival network (one beyond: self_network)
  char* out = nullptr;           // room for size + kMaxGrowth octets
  std::size_t out_capacity = 0;
  std::uint64_t now_ns = 0;      // drives the reply rate bound (any monotonic clock)
};

}  // namespace sipshunt::proxy
