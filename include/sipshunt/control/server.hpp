// Control plane. The admin HTTP API (cpp-httplib, kernel socket, default 127.0.0.1:8080):
//   GET  /metrics                        Prometheus text
//   GET  /status                         JSON: pools, backends, states, rule set, reloads
//   GET  /ready                          200 ready, 503 not (control/readiness.hpp decides)
//   POST /reload                         reload config + rules (like SIGHUP)
//   POST /backends/NAME/drain|enable|disable
//   POST /instance/drain|resume          withdraw this instance (not ready) or serve again
// Every answer but /metrics is JSON; errors are {"ok":false,"error":"..."} with 404 (unknown
// path or backend), 405 (wrong method, with Allow), 422 (reload: invalid file, file:line:col),
// 409 (reload: restart-only setting changed; resume while stopping), 500, or 503 (control loop
// did not answer).
// With a token set, every POST/PUT/PATCH/DELETE needs `Authorization: Bearer TOKEN` (RFC 6750):
// 401 with `WWW-Authenticate: Bearer` otherwise; GET and HEAD stay open (read-only).
// The handlers are injected: control owns every action. With Dispatch::kQueued (the default)
// they run on the thread that calls service(), i.e. the control loop, so they need no locks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipshunt/common/result.hpp"
#include "sipshunt/control/metrics.hpp"
#include "sipshunt/control/readiness.hpp"
#include "sipshunt/common/address.hpp"

namespace sipshunt::control {

enum class BackendAction : std::uint8_t { kDrain, kEnable, kDisable };
[[nodiscard]] std::string_view to_string(BackendAction a) noexcept;  // drain enable disable
[[nodiscard]] config::AdminState target_state(BackendAction a) noexcept;

struct ReloadOutcome {
  std::optional<ReloadError> error;   // none: success
  std::uint64_t generation = 0;       // after the reload
  std::vector<std::string> changes;
};

enum class ActionOutcome : std::uint8_t { kOk, kUnknownBackend };

// POST /instance/drain and /instance/resume (README "Running several instances").
enum class InstanceAction : std::uint8_t { kDrain, kResume };

struct Handlers {
  std::function<std::string()> metrics;  // Prometheus text
  std::function<std::string()> status;   // a JSON object
  std::function<Readiness()> ready;
  std::function<ReloadOutcome()> reload;
  std::function<ActionOutcome(const std::string& backend, BackendAction action)> backend;
  // The state after the action, or why it cannot be done (409).
  std::function<Result<InstanceState>(InstanceAction action)> instance;
};

class AdminServer {
 public:
  enum class Dispatch : std::uint8_t {
    kQueued,  // handlers run in service() on the caller's (control) thread
    kInline,  // handlers run on the HTTP threads (they must be thread-safe)
  };
  struct Options {
    Dispatch dispatch = Dispatch::kQueued;
    std::uint32_t threads = 2;               // HTTP worker threads
    std::uint32_t service_timeout_ms = 30000;  // queued: longest wait for the control loop
  };

  AdminServer(Handlers handlers, Options options);
  explicit AdminServer(Handlers handlers) : AdminServer(std::move(handlers), Options{}) {}
  ~AdminServer();  // stops
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds `address:port` (port 0: an ephemeral port, see port()) and starts serving on a
  // thread of its own. Returns an error message, or nullopt when listening.
  [[nodiscard]] Result<void> start(const IpAddress& address, std::uint16_t port);
  [[nodiscard]] std::uint16_t port() const noexcept;
  void stop();

  // The bearer token state-changing requests must carry; empty: none needed. Any thread (a
  // reload may change it while requests are served).
  void set_token(std::string token);

  // Queued dispatch: runs the handlers of requests waiting for the control thread; returns how
  // many ran. Cheap when nothing waits (one atomic load). Call it from the control loop.
  std::size_t service();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sipshunt::control
