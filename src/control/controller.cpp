#include "sipshunt/control/controller.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>

#include "sipshunt/control/status.hpp"

namespace sipshunt::control {
namespace {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The nonce is fixed for the life of the process: the workers' codec and every prober (copied
// on each reload) must agree on it.
ControllerOptions with_nonce(ControllerOptions o) {
  if (o.prober.nonce == 0) o.prober.nonce = health::random_nonce();
  return o;
}

}  // namespace

Result<std::unique_ptr<Controller>, ReloadError> Controller::load(const std::filesystem::path& config,
                                                                  ControllerOptions options, std::uint64_t now_ns) {
  options = with_nonce(options);
  ReloadInput in;
  in.path = config;
  in.prober_options = options.prober;
  in.now_ns = now_ns;
  in.version = 1;
  auto first = prepare_reload(in);
  if (!first) return first.error();
  return std::unique_ptr<Controller>(new Controller(config, options, std::move(*first)));
}

Controller::Controller(const std::filesystem::path& path, ControllerOptions options, Reload first)
    : path_(path),
      options_(options),
      config_(std::move(first.config)),
      rules_(std::move(first.rules)),
      prober_(std::move(first.prober)),
      snapshot_(std::move(first.snapshot)),
      codec_(options.prober.nonce),
      mailbox_(options.mailbox_capacity) {
  start_unix_seconds_ = unix_now();
  reloads_.last_success_unix_seconds = start_unix_seconds_;
}

Controller::~Controller() { stop_admin(); }

Result<void> Controller::attach(DataPlaneSeams seams) {
  seams_ = std::move(seams);
  attached_ = true;
  if (!options_.admin_api || !config_->admin.enabled) return {};
  Handlers h;
  h.metrics = [this] { return metrics(); };
  h.status = [this] { return status(); };
  h.ready = [this] { return readiness(); };
  h.reload = [this] { return reload(last_now_ns_); };
  h.backend = [this](const std::string& name, BackendAction a) { return set_admin(name, a); };
  h.instance = [this](InstanceAction a) { return instance_action(a); };
  server_ = std::make_unique<AdminServer>(std::move(h));
  server_->set_token(config_->admin.token);
  const std::uint16_t port = options_.admin_port.value_or(config_->admin.port);
  if (Result<void> started = server_->start(config_->admin.address, port); !started) {
    server_.reset();
    return started;
  }
  spdlog::info("admin API on http://{}/ (GET /metrics, GET /status, GET /ready, POST /reload, "
               "POST /backends/NAME/drain|enable|disable, POST /instance/drain|resume; {})",
               Endpoint{config_->admin.address, server_->port()}.to_string(),
               config_->admin.token.empty() ? "no token: anyone who reaches it may change state"
                                            : "POST needs the bearer token of " + config_->admin.token_file.string());
  return {};
}

std::uint16_t Controller::admin_port() const noexcept { return server_ ? server_->port() : 0; }

void Controller::stop_admin() {
  if (server_) server_->stop();
}

void Controller::tick(std::uint64_t now_ns) {
  last_now_ns_ = now_ns;
  if (server_) server_->service();  // API requests run here, on the control thread
  std::uint64_t seen_until = now_ns;
  if (attached_ && seams_.worker_loops) {
    // Two loop starts since the mark: one whole iteration ran after it, and every reply it read
    // is in the mailbox (read the counters before draining).
    seams_.worker_loops(loops_now_);
    bool caught_up = loops_now_.size() == loops_mark_.size();
    for (std::size_t i = 0; caught_up && i < loops_now_.size(); ++i) caught_up = loops_now_[i] >= loops_mark_[i] + 2;
    if (caught_up) seen_until_ns_ = loops_mark_ns_;
    if (caught_up || loops_now_.size() != loops_mark_.size()) {
      loops_mark_ = loops_now_;
      loops_mark_ns_ = now_ns;
    }
    seen_until = seen_until_ns_;
  }
  prober_->drain(mailbox_);
  health::TickResult t = prober_->tick(now_ns, seen_until);
  if (attached_)
    for (const auto& p : t.probes)
      if (!seams_.send_udp || !seams_.send_udp(p.to, p.bytes)) ++probes_not_sent_;
  if (t.changes.empty()) return;
  for (const auto& c : t.changes) {
    const health::BackendHealth& b = prober_->backends()[c.backend];
    if (c.up) {
      spdlog::info("backend {} (pool {}, {}) is up: {} probe(s) answered, rtt {:.3f} ms", b.name, b.pool,
                   b.endpoint.to_string(), b.successes, static_cast<double>(b.last_rtt_ns) / 1e6);
    } else {
      spdlog::warn("backend {} (pool {}, {}) is down: {} probe(s) failed (last status {}{})", b.name, b.pool,
                   b.endpoint.to_string(), b.failures, b.last_status, b.last_status == 0 ? ", timeout" : "");
    }
  }
  rebuild("health", now_ns);
}

bool Controller::rebuild(const char* why, std::uint64_t) {
  std::vector<proxy::BackendState> states;
  states.reserve(snapshot_->backends.size());
  for (const auto& b : snapshot_->backends) states.push_back({b.name, prober_->up(b.name), b.admin});
  Result<void> published = Error::plain("not built");
  try {
    published = publish_states(states);
  } catch (const std::exception& e) {
    spdlog::error("{}: cannot build a snapshot: {}", why, e.what());
    return false;
  }
  if (!published) {
    spdlog::error("{}: snapshot {} not published: {}", why, snapshot_->version + 1, published.error().to_string());
    return false;
  }
  spdlog::debug("{}: snapshot {} published", why, snapshot_->version);
  return true;
}

// The running config and rules with new backend states, as the next snapshot version; the local
// Call-ID prefix carries over from the running snapshot (prepare_reload sets it).
Result<void> Controller::publish_states(const std::vector<proxy::BackendState>& states) {
  auto next = proxy::build_snapshot(config_, rules_, states, snapshot_->version + 1,
                                    snapshot_->local_call_id_prefix);
  if (attached_ && seams_.publish)
    if (Result<void> published = seams_.publish(next); !published) return published;
  snapshot_ = std::move(next);
  return {};
}

ActionOutcome Controller::set_admin(const std::string& name, BackendAction action) {
  const config::AdminState target = target_state(action);
  std::vector<proxy::BackendState> states;
  bool found = false;
  for (const auto& b : snapshot_->backends) {
    const bool it = b.name == name;
    found = found || it;
    states.push_back({b.name, prober_->up(b.name), it ? target : b.admin});
  }
  if (!found) return ActionOutcome::kUnknownBackend;
  if (const Result<void> published = publish_states(states); !published)
    throw std::runtime_error("snapshot not published: " + published.error().to_string());
  spdlog::info("backend {}: admin state {} (API)", name, to_string(target));
  return ActionOutcome::kOk;
}

ReloadOutcome Controller::reload(std::uint64_t now_ns) {
  ReloadOutcome out;
  reloads_.last_attempt_unix_seconds = unix_now();
  spdlog::info("reloading {}", path_.string());
  ReloadInput in;
  in.path = path_;
  in.running = snapshot_.get();
  in.prober = prober_.get();
  in.prober_options = options_.prober;
  in.now_ns = now_ns;
  in.version = snapshot_->version + 1;
  auto prepared = prepare_reload(in);
  std::optional<ReloadError> error;
  if (!prepared) {
    error = prepared.error();
  } else if (attached_ && seams_.publish) {
    if (const Result<void> published = seams_.publish(prepared->snapshot); !published)
      error = ReloadError{ReloadErrorKind::kInternal, path_.string(), 0, 0, "publish: " + published.error().to_string()};
  }
  if (error) {
    ++reloads_.failed;
    reloads_.last_error = error;
    spdlog::error("reload failed, the running configuration and rules stay in place: {}", error->to_string());
    out.error = std::move(error);
    out.generation = reloads_.generation;
    return out;
  }
  Reload& r = *prepared;
  rebase_counters(*snapshot_, *r.snapshot);
  config_ = std::move(r.config);
  rules_ = std::move(r.rules);
  prober_ = std::move(r.prober);
  snapshot_ = std::move(r.snapshot);
  if (server_) server_->set_token(config_->admin.token);  // a reload may rotate the token
  ++reloads_.generation;
  ++reloads_.succeeded;
  reloads_.last_error.reset();
  reloads_.last_success_unix_seconds = reloads_.last_attempt_unix_seconds;
  for (const auto& c : r.changes) spdlog::info("reload: {}", c);
  spdlog::info("reload: generation {} (snapshot {}) published", reloads_.generation, snapshot_->version);
  out.generation = reloads_.generation;
  out.changes = std::move(r.changes);
  return out;
}

void Controller::rebase_counters(const proxy::Snapshot& old_snapshot, const proxy::Snapshot& next) {
  if (!attached_ || !seams_.proxy_totals) return;
  auto c = std::make_unique<proxy::Counters>();
  seams_.proxy_totals(*c);
  backend_base_.resize(c->by_backend.size(), 0);
  rule_base_.resize(c->by_rule.size(), 0);
  for (std::size_t i = 0; i < old_snapshot.backends.size() && i < c->by_backend.size(); ++i)
    backend_carry_[old_snapshot.backends[i].name] += c->by_backend[i] - backend_base_[i];
  for (std::size_t i = 0; i < old_snapshot.rule_views.size() && i < c->by_rule.size(); ++i)
    rule_carry_[old_snapshot.rule_views[i].name] += c->by_rule[i] - rule_base_[i];
  for (std::size_t i = 0; i < c->by_backend.size(); ++i) backend_base_[i] = c->by_backend[i];
  for (std::size_t i = 0; i < c->by_rule.size(); ++i) rule_base_[i] = c->by_rule[i];
  (void)next;
}

MetricsSnapshot Controller::metrics_snapshot() {
  MetricsSnapshot m;
  fill_from(m, *snapshot_, prober_.get());
  m.process = read_process_metrics();
  m.build = options_.build;
  m.reloads = reloads_;
  m.health_mailbox_dropped = mailbox_.dropped();
  if (attached_ && seams_.dataplane_metrics) seams_.dataplane_metrics(m);
  if (attached_ && seams_.proxy_totals) {
    auto c = std::make_unique<proxy::Counters>();
    seams_.proxy_totals(*c);
    // By name: what earlier epochs counted plus what this one counted since the last reload.
    for (std::size_t i = 0; i < m.backends.size() && i < c->by_backend.size(); ++i) {
      const std::uint64_t base = i < backend_base_.size() ? backend_base_[i] : 0;
      auto it = backend_carry_.find(m.backends[i].name);
      m.backends[i].forwarded = c->by_backend[i] - base + (it == backend_carry_.end() ? 0 : it->second);
      c->by_backend[i] = 0;
    }
    for (std::size_t i = 0; i < m.rule_hits.size() && i < c->by_rule.size(); ++i) {
      const std::uint64_t base = i < rule_base_.size() ? rule_base_[i] : 0;
      auto it = rule_carry_.find(m.rule_hits[i].name);
      m.rule_hits[i].value = c->by_rule[i] - base + (it == rule_carry_.end() ? 0 : it->second);
      c->by_rule[i] = 0;
    }
    add_proxy_counters(m, *snapshot_, *c);  // decisions and replies (backend/rule zeroed above)
  }
  m.drops.push_back({"probe-not-sent", probes_not_sent_});  // present from the start, like every reason
  m.ready = readiness().ready;
  m.instance = instance_;
  return m;
}

std::string Controller::metrics() { return render_metrics(metrics_snapshot()); }

Result<InstanceState> Controller::instance_action(InstanceAction action) {
  if (instance_ == InstanceState::kStopping)
    return Error::plain(action == InstanceAction::kDrain ? "the instance is stopping (drained already)"
                                                         : "the instance is stopping; it does not resume");
  const InstanceState next = action == InstanceAction::kDrain ? InstanceState::kDraining : InstanceState::kServing;
  if (next != instance_) {
    spdlog::info("instance: {} -> {} (POST /instance/{}); GET /ready is now {}", to_string(instance_), to_string(next),
                 action == InstanceAction::kDrain ? "drain" : "resume",
                 next == InstanceState::kServing ? "the data plane's own answer" : "503");
  }
  instance_ = next;
  return instance_;
}

void Controller::begin_stop() { instance_ = InstanceState::kStopping; }

Readiness Controller::readiness() const {
  ReadinessInput in;
  in.instance = instance_;
  in.data_plane_running = attached_;
  in.snapshot = snapshot_.get();
  if (attached_ && seams_.ports_down) seams_.ports_down(in.ports_down);
  return decide_readiness(in);
}

std::string Controller::status() { return render_status(*snapshot_, prober_.get(), reloads_); }

}  // namespace sipshunt::control
