#include "sipshunt/control/reload.hpp"

#include <exception>
#include <unordered_map>

namespace sipshunt::control {
namespace {

ReloadError fail(ReloadErrorKind kind, std::string file, std::uint32_t line, std::uint32_t column, std::string message) {
  return ReloadError{kind, std::move(file), line, column, std::move(message)};
}

// A config or rules error, placed in the config file when it carries no file of its own.
ReloadError invalid(const Error& e, const std::string& file) {
  return fail(ReloadErrorKind::kInvalid, e.file.empty() ? file : e.file, e.line, e.column, e.message);
}

const config::Backend* find_backend(const config::Config& c, const std::string& name) {
  for (const auto& p : c.pools)
    for (const auto& b : p.backends)
      if (b.name == name) return &b;
  return nullptr;
}

// The first setting a running process cannot change, or empty.
std::string restart_only_change(const config::Config& running, const config::Config& next) {
  if (!(running.self == next.self)) return "[proxy] address/port";
  const auto &a = running.dpdk, &b = next.dpdk;
  if (a.eal_args != b.eal_args) return "[dpdk] eal_args";
  if (a.workers != b.workers) return "[dpdk] workers";
  if (a.mbufs != b.mbufs || a.rx_ring != b.rx_ring || a.tx_ring != b.tx_ring) return "[dpdk] mbufs/rx_ring/tx_ring";
  if (a.ports != b.ports || a.networks != b.networks) return "[[dpdk.ports]]";
  if (a.routes != b.routes) return "[[dpdk.routes]]";
  if (running.admin.enabled != next.admin.enabled || !(running.admin.address == next.admin.address) ||
      running.admin.port != next.admin.port)
    return "[admin]";
  if (!(running.hep == next.hep)) return "[hep]";
  return {};
}

}  // namespace

config::AdminState carried_admin_state(const std::string& name, config::AdminState configured,
                                       const proxy::Snapshot* running) {
  if (running == nullptr || !running->config) return configured;
  const config::Backend* before = find_backend(*running->config, name);
  if (before == nullptr || before->state != configured) return configured;  // new, or the file changed it
  for (const auto& b : running->backends)
    if (b.name == name) return b.admin;
  return configured;
}

Result<Reload, ReloadError> prepare_reload(const ReloadInput& in) {
  const std::string file = in.path.string();
  Result<config::Config> loaded = config::load_file(in.path);
  if (!loaded) return invalid(loaded.error(), file);
  auto cfg = std::make_shared<const config::Config>(std::move(*loaded));

  if (in.running != nullptr && in.running->config) {
    std::string what = restart_only_change(*in.running->config, *cfg);
    if (!what.empty())
      return fail(ReloadErrorKind::kRestartRequired, file, 0, 0,
                  what.append(" differs from the running configuration; restart sipshunt to change it"));
  }

  std::shared_ptr<const rules::RuleSet> rules;
  if (!cfg->rule_files.empty()) {
    std::vector<std::string> pools;
    for (const auto& p : cfg->pools) pools.push_back(p.name);
    try {
      auto compiled = rules::RuleSet::compile(cfg->rule_files, pools);
      if (!compiled) return invalid(compiled.error(), file);
      rules = std::move(*compiled);
    } catch (const std::exception& e) {
      return fail(ReloadErrorKind::kInternal, file, 0, 0, std::string("compiling rules: ").append(e.what()));
    }
  }

  Reload r;
  try {
    if (in.prober != nullptr) {
      r.prober = std::make_unique<health::Prober>(*in.prober);
      r.prober->reconfigure(*cfg, in.now_ns);
    } else {
      r.prober = std::make_unique<health::Prober>(*cfg, in.prober_options, in.now_ns);
    }
    std::vector<proxy::BackendState> states;
    for (const auto& p : cfg->pools)
      for (const auto& b : p.backends)
        states.push_back({b.name, r.prober->up(b.name), carried_admin_state(b.name, b.state, in.running)});
    r.snapshot = proxy::build_snapshot(cfg, rules, states, in.version, health::kProbeCallIdPrefix);
  } catch (const std::exception& e) {
    return fail(ReloadErrorKind::kInternal, file, 0, 0, std::string("building the new state: ").append(e.what()));
  }
  if (!r.snapshot) return fail(ReloadErrorKind::kInternal, file, 0, 0, "building the snapshot failed");

  // What changed, for the log.
  if (in.running != nullptr && in.running->config) {
    const config::Config& old = *in.running->config;
    for (const auto& p : cfg->pools)
      for (const auto& b : p.backends) {
        const config::Backend* before = find_backend(old, b.name);
        if (before == nullptr) {
          r.changes.push_back(std::string("backend ").append(b.name).append(" added to pool ").append(p.name));
        } else if (!(before->endpoint == b.endpoint) || before->weight != b.weight) {
          r.changes.push_back(std::string("backend ").append(b.name).append(" changed"));
        }
      }
    for (const auto& p : old.pools)
      for (const auto& b : p.backends)
        if (find_backend(*cfg, b.name) == nullptr)
          r.changes.push_back(std::string("backend ").append(b.name).append(" removed"));
    const std::size_t before = in.running->rule_views.size(), after = r.snapshot->rule_views.size();
    r.changes.push_back(std::string("rules: ").append(std::to_string(before)).append(" -> ").append(std::to_string(after)));
  }
  r.config = std::move(cfg);
  r.rules = std::move(rules);
  return r;
}

}  // namespace sipshunt::control
