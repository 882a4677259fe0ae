// Control plane. Connects the health/admin/reload controller (control::Controller, no DPDK) to a
// running runtime::Runtime: the seams it calls (publish, send a probe, read counters) and the
// hooks the runtime calls (a 250 us tick, SIGHUP).
#pragma once

#include <functional>

#include "sipshunt/control/controller.hpp"
#include "sipshunt/common/result.hpp"
#include "sipshunt/runtime/runtime.hpp"

namespace sipshunt::runtime {

// The runtime's seams as the controller wants them.
[[nodiscard]] control::DataPlaneSeams seams_for(Runtime& runtime);

// Ports, data-plane drops by reason, SIP verdicts, workers' busy/idle cycles and the TSC rate.
void fill_dataplane_metrics(const Runtime& runtime, control::MetricsSnapshot& m);

// What to do around a SIGHUP reload besides the reload itself (`sipshunt run` tells systemd).
struct ReloadHooks {
  std::function<void()> before;
  std::function<void(const control::ReloadOutcome&)> after;
};

// Everything at once, after runtime.start(controller.snapshot()): the probe sink (the workers'
// codec and mailbox), the seams, the admin API, a tick every `tick_ns` and SIGHUP -> reload
// (between the hooks). Fails when the admin API cannot bind; everything else is wired all the same.
[[nodiscard]] Result<void> wire(Runtime& runtime, control::Controller& controller, std::uint64_t tick_ns = 250'000,
                                ReloadHooks hooks = {});

}  // namespace sipshunt::runtime
