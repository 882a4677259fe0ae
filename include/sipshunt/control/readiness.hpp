// Control plane. Whether this instance should receive traffic: the one decision behind
// `GET /ready`, the `sipshunt_ready` metric, and anything that announces the instance (a BGP
// speaker withdraws the service address when it says no; DESIGN.md, "N instances").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sipshunt::proxy {
struct Snapshot;
}  // namespace sipshunt::proxy

namespace sipshunt::control {

// What the operator asked of this instance (README "Running several instances"): serve; drain
// (POST /instance/drain: not ready, so the announcer withdraws the service address, but still
// forwarding what the routers send); stop (SIGTERM with [instance] stop_grace_ms: the same, then
// the process ends). Only kServing lets the data plane's state decide.
enum class InstanceState : std::uint8_t { kServing, kDraining, kStopping };
[[nodiscard]] std::string_view to_string(InstanceState s) noexcept;  // serving draining stopping

struct ReadinessInput {
  InstanceState instance = InstanceState::kServing;
  bool data_plane_running = false;        // ports started, workers polling, first snapshot published
  std::vector<std::string> ports_down;    // names of ports whose link is down
  const proxy::Snapshot* snapshot = nullptr;  // the published one (config and rules loaded)
};

struct Readiness {
  bool ready = false;
  std::string reason;  // why not (short, for the 503 body and the log); "ready" when ready
};

// Ready when the instance is serving (not drained or stopping), the data plane runs with every port's link up, a snapshot (config + rules) is
// published, and the default pool (or, without one, any pool) has a usable backend: up and
// enabled, i.e. one that takes new calls.
[[nodiscard]] Readiness decide_readiness(const ReadinessInput& in);

}  // namespace sipshunt::control
