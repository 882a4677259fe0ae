// Control plane. Whether this instance should receive traffic: the one decision behind
// `GET /ready`, the `sipshunt_ready` metric, and anything that announces the instance (a BGP
// speaker withdraws the service address when it says no; DESIGN.md, "N instances").
#pragma once

#include <string>
#include <vector>

namespace sipshunt::proxy {
struct Snapshot;
}  // namespace sipshunt::proxy

namespace sipshunt::control {

struct ReadinessInput {
  bool data_plane_running = false;        // ports started, workers polling, first snapshot published
  std::vector<std::string> ports_down;    // names of ports whose link is down
  const proxy::Snapshot* snapshot = nullptr;  // the published one (config and rules loaded)
};

struct Readiness {
  bool ready = false;
  std::string reason;  // why not (short, for the 503 body and the log); "ready" when ready
};

// Ready when the data plane runs with every port's link up, a snapshot (config + rules) is
// published, and the default pool (or, without one, any pool) has a usable backend: up and
// enabled, i.e. one that takes new calls.
[[nodiscard]] Readiness decide_readiness(const ReadinessInput& in);

}  // namespace sipshunt::control
