// Control plane. The readiness decision (`GET /ready`, `sipshunt_ready`): kept in this one
// function so the HTTP check, the metric and a route announcer can never disagree.
#include "sipshunt/control/readiness.hpp"

#include "sipshunt/proxy/proxy.hpp"

namespace sipshunt::control {

std::string_view to_string(InstanceState s) noexcept {
  switch (s) {
    case InstanceState::kServing: return "serving";
    case InstanceState::kDraining: return "draining";
    case InstanceState::kStopping: return "stopping";
  }
  return "serving";
}

Readiness decide_readiness(const ReadinessInput& in) {
  // The operator's word first: a drained or stopping instance is withdrawn whatever its health.
  if (in.instance != InstanceState::kServing) return {false, std::string(to_string(in.instance))};
  if (!in.data_plane_running) return {false, "data plane not running"};
  if (!in.ports_down.empty()) {
    std::string r = "port link down:";
    for (const auto& p : in.ports_down) r.append(" ").append(p);
    return {false, std::move(r)};
  }
  if (in.snapshot == nullptr) return {false, "no configuration published"};
  const proxy::Snapshot& s = *in.snapshot;
  if (s.default_pool >= 0 && static_cast<std::size_t>(s.default_pool) < s.pools.size()) {
    const proxy::PoolView& p = s.pools[static_cast<std::size_t>(s.default_pool)];
    if (p.usable.empty()) return {false, "no usable backend in default pool " + p.name};
    return {true, "ready"};
  }
  for (const proxy::PoolView& p : s.pools)
    if (!p.usable.empty()) return {true, "ready"};
  return {false, s.pools.empty() ? "no pool configured" : "no usable backend in any pool"};
}

}  // namespace sipshunt::control
