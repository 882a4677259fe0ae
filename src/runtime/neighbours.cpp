// Control plane. The neighbour table's single writer: what the workers report (addresses learned
// from ARP and neighbour discovery, next hops they need) is applied here, and entries of both
// families are aged, refreshed by unicast ARP or solicitation, or given up on, on the control lcore.
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "sipshunt/runtime/runtime.hpp"

namespace sipshunt::runtime {

void Runtime::handle_events(std::uint64_t now) {
  dataplane::NeighbourEvent ev[64];
  for (;;) {
    const unsigned n = rte_ring_sc_dequeue_burst_elem(shared_->events, ev, sizeof ev[0], 64, nullptr);
    for (unsigned i = 0; i < n; ++i) {
      const auto& e = ev[i];
      switch (e.kind) {
        case dataplane::NeighbourEvent::Kind::kLearn:
          (void)neighbours_->confirm(e.network, e.ip, net::MacAddress::from_u64(e.mac), now);
          break;
        case dataplane::NeighbourEvent::Kind::kUpdate: {
          net::MacAddress known;
          if (neighbours_->lookup(e.network, e.ip, known)) {
            (void)neighbours_->confirm(e.network, e.ip, net::MacAddress::from_u64(e.mac), now);
          }
          break;
        }
        case dataplane::NeighbourEvent::Kind::kDemand:
          if (neighbours_->demand(e.network, e.ip, now)) send_neighbour_probe({e.network, e.ip, std::nullopt});
          break;
      }
    }
    if (n < 64) break;
  }
}

void Runtime::age_neighbours(std::uint64_t now) {
  if (now < next_age_ns_) return;
  probes_due_.clear();
  neighbours_->age(now, probes_due_);
  for (const auto& r : probes_due_) send_neighbour_probe(r);
  next_age_ns_ = now + 100'000'000;  // every 100 ms
}

}  // namespace sipshunt::runtime
