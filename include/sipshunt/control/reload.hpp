// Control plane. Loading a configuration for a start or a hot reload (SIGHUP, POST /reload):
// the config file and its rule files are read, compiled and validated whole, off the workers;
// health state and admin states of surviving backends are carried over by name; the result is
// a complete new state (config, rules, prober, snapshot) that control commits by swapping it
// in, or an error (file:line:col) with the running state left untouched.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sipshunt/control/metrics.hpp"
#include "sipshunt/config/config.hpp"
#include "sipshunt/health/prober.hpp"
#include "sipshunt/proxy/proxy.hpp"
#include "sipshunt/rules/rules.hpp"

namespace sipshunt::control {

struct ReloadInput {
  std::filesystem::path path;                 // the config file
  const proxy::Snapshot* running = nullptr;   // null at start
  const health::Prober* prober = nullptr;     // the running prober; null at start
  health::ProberOptions prober_options;       // for the prober created at start
  std::uint64_t now_ns = 0;                   // the prober's clock
  std::uint64_t version = 1;                  // version of the snapshot to build
};

struct Reload {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<const rules::RuleSet> rules;        // null when the config names no rule file
  std::unique_ptr<health::Prober> prober;             // the running one reconfigured, or a new one
  std::shared_ptr<const proxy::Snapshot> snapshot;    // built with the prober's and admin states
  std::vector<std::string> changes;                   // human-readable summary for the log
};

// Does all the work and touches nothing running: the running prober is copied, not changed.
// Commit = adopt `prober`, prepare every worker's rules scratch for `snapshot`
// (proxy::prepare), then publish `snapshot` (RCU). Do it in the same control-loop iteration as
// this call, so no probe reply is fed to the old prober in between.
//
// Carried over by backend name: health (up/down, rise/fall progress, counters, the outstanding
// probe). Admin state: the file's `state` when it changed since the running config (the newest
// intent), else the running admin state (which the API may have set). New backends start per
// `prober_options.initial` and their configured state.
//
// Refused with kRestartRequired (nothing applied): [proxy] address/port, anything in [dpdk],
// and [admin] — a running process keeps its ports and its admin socket.
[[nodiscard]] Result<Reload, ReloadError> prepare_reload(const ReloadInput& in);

// The admin state a reload gives backend `name` (see above). `running` may be null.
[[nodiscard]] config::AdminState carried_admin_state(const std::string& name, config::AdminState configured,
                                                     const proxy::Snapshot* running);

}  // namespace sipshunt::control
