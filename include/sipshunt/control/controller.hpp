// Control plane. Health probes, admin states, hot reload and the admin HTTP API tied together
// over an abstract data plane: runtime::Runtime provides the seams (control/control_bridge.hpp),
// tests provide fakes. Everything here runs on the control thread: the control loop calls
// tick() every millisecond or so, SIGHUP calls reload(); the HTTP API's requests are executed
// inside tick() (AdminServer::Dispatch::kQueued), so nothing needs a lock.
//
//   probes:    tick() drains the workers' reply mailbox into the prober, sends the probes due
//              (seams.send_udp), and when a backend changes state rebuilds the snapshot with
//              the new states and publishes it. Maglev tables are deterministic, so only the
//              changed backend's calls move.
//   admin:     set_admin() (POST /backends/NAME/drain|enable|disable) rebuilds and publishes.
//   reload:    prepare_reload() off the workers, publish, then adopt (health/admin carried
//              over by name); a failure keeps everything and is reported (log, API, metric).
//   counters:  per-backend and per-rule counters are kept by name across reloads that
//              reorder backends or rules (workers count by snapshot index).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipshunt/control/metrics.hpp"
#include "sipshunt/control/readiness.hpp"
#include "sipshunt/control/reload.hpp"
#include "sipshunt/control/server.hpp"
#include "sipshunt/common/result.hpp"
#include "sipshunt/common/version.hpp"
#include "sipshunt/health/mailbox.hpp"
#include "sipshunt/health/prober.hpp"
#include "sipshunt/proxy/proxy.hpp"

namespace sipshunt::control {

// What the controller needs from the data plane. All called on the control thread.
struct DataPlaneSeams {
  // Swap in a snapshot for every worker; returns once no worker uses the previous one.
  std::function<Result<void>(std::shared_ptr<const proxy::Snapshot>)> publish;
  // Send one UDP datagram from our SIP address and port (a probe).
  std::function<bool(const Endpoint& to, std::string_view payload)> send_udp;
  // Sum of the workers' proxy counters (indexed by the current snapshot).
  std::function<void(proxy::Counters& sum)> proxy_totals;
  // Ports, data-plane drops, verdicts, workers' cycles, TSC rate.
  std::function<void(MetricsSnapshot& m)> dataplane_metrics;
  // Per worker, a counter bumped at the start of every poll-loop iteration. Optional: with it,
  // probes time out only after every worker has completed an iteration begun past the
  // deadline (a stalled worker's unread replies are not mistaken for dead backends).
  std::function<void(std::vector<std::uint64_t>& loops)> worker_loops;
  // Names of the ports whose link is down (readiness). Optional: without it, links count as up.
  std::function<void(std::vector<std::string>& down)> ports_down;
};

struct ControllerOptions {
  health::ProberOptions prober;            // initial state policy, nonce (0: random)
  std::size_t mailbox_capacity = 4096;
  bool admin_api = true;                   // start the HTTP API when [admin] enabled = true
  std::optional<std::uint16_t> admin_port; // overrides [admin] port (tests: 0 = ephemeral)
  BuildInfo build;                         // exported as sipshunt_build_info
};

class Controller {
 public:
  // Loads and compiles the config and its rules (nothing running yet); the error says where
  // (file:line:col) when they do not load.
  [[nodiscard]] static Result<std::unique_ptr<Controller>, ReloadError> load(const std::filesystem::path& config,
                                                                             ControllerOptions options,
                                                                             std::uint64_t now_ns);
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  [[nodiscard]] const std::shared_ptr<const proxy::Snapshot>& snapshot() const noexcept { return snapshot_; }
  [[nodiscard]] const config::Config& config() const noexcept { return *snapshot_->config; }
  // What the workers need to post probe replies; both live as long as the controller.
  [[nodiscard]] const health::ProbeCodec& codec() const noexcept { return codec_; }
  [[nodiscard]] health::ReplyMailbox& mailbox() noexcept { return mailbox_; }
  [[nodiscard]] const health::Prober& prober() const noexcept { return *prober_; }

  // Connects the running data plane (it already runs snapshot()) and starts the admin API.
  // Fails when the API cannot bind (the data plane is attached all the same; the caller decides
  // whether to go on).
  [[nodiscard]] Result<void> attach(DataPlaneSeams seams);
  [[nodiscard]] std::uint16_t admin_port() const noexcept;
  void stop_admin();

  // The control loop's hook.
  void tick(std::uint64_t now_ns);
  // SIGHUP and POST /reload.
  ReloadOutcome reload(std::uint64_t now_ns);
  // POST /backends/NAME/drain|enable|disable.
  ActionOutcome set_admin(const std::string& backend, BackendAction action);
  // POST /instance/drain|resume: withdraw this instance (not ready, still forwarding) or serve
  // again; a stopping instance does not resume.
  [[nodiscard]] Result<InstanceState> instance_action(InstanceAction action);
  // The first SIGTERM/SIGINT with a stop grace: not ready from now on ("stopping").
  void begin_stop();

  [[nodiscard]] MetricsSnapshot metrics_snapshot();
  [[nodiscard]] std::string metrics();  // GET /metrics
  [[nodiscard]] std::string status();   // GET /status
  // GET /ready and sipshunt_ready: decide_readiness() over the attached data plane and the
  // published snapshot (not ready before attach()).
  [[nodiscard]] Readiness readiness() const;
  [[nodiscard]] const ReloadMetrics& reloads() const noexcept { return reloads_; }
  [[nodiscard]] std::uint64_t probes_not_sent() const noexcept { return probes_not_sent_; }

 private:
  Controller(const std::filesystem::path& path, ControllerOptions options, Reload first);
  bool rebuild(const char* why, std::uint64_t now_ns);
  Result<void> publish_states(const std::vector<proxy::BackendState>& states);
  void rebase_counters(const proxy::Snapshot& old_snapshot, const proxy::Snapshot& next);

  std::filesystem::path path_;
  ControllerOptions options_;
  std::shared_ptr<const config::Config> config_;
  std::shared_ptr<const rules::RuleSet> rules_;
  std::unique_ptr<health::Prober> prober_;
  std::shared_ptr<const proxy::Snapshot> snapshot_;
  health::ProbeCodec codec_;
  health::ReplyMailbox mailbox_;
  DataPlaneSeams seams_;
  bool attached_ = false;
  InstanceState instance_ = InstanceState::kServing;
  std::unique_ptr<AdminServer> server_;
  ReloadMetrics reloads_;
  double start_unix_seconds_ = 0;
  std::uint64_t probes_not_sent_ = 0;
  std::uint64_t last_now_ns_ = 0;
  // How far the data plane has provably caught up (see DataPlaneSeams::worker_loops).
  std::vector<std::uint64_t> loops_mark_, loops_now_;
  std::uint64_t loops_mark_ns_ = 0;
  std::uint64_t seen_until_ns_ = 0;

  // Counters by name across reloads: totals seen at the last reload for each index, and what
  // earlier epochs added per name.
  std::vector<std::uint64_t> backend_base_, rule_base_;
  std::map<std::string, std::uint64_t> backend_carry_, rule_carry_;
};

}  // namespace sipshunt::control
