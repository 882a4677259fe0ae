// `sipshunt run -c CONFIG`: the proxy on DPDK. Everything that can be wrong with the config and
// the rules is checked before the EAL or any port is touched; then the control module starts
// the workers and runs the control loop on the main lcore until SIGINT/SIGTERM. Under systemd
// it reports start, reloads and stop through notify.hpp.
#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "build_info.hpp"
#include "commands.hpp"
#include "exit_status.hpp"
#include "log.hpp"
#include "notify.hpp"
#include "sipshunt/control/controller.hpp"
#include "sipshunt/common/result.hpp"
#include "sipshunt/config/config.hpp"
#include "sipshunt/runtime/control_bridge.hpp"
#include "sipshunt/runtime/runtime.hpp"
#include "sipshunt/runtime/stats.hpp"
#include "sipshunt/net/headers.hpp"
#include "sipshunt/proxy/proxy.hpp"
#include "sipshunt/rules/rules.hpp"

namespace sipshunt::app {
namespace {

struct RunOptions {
  std::string config;
  std::string stats_file;
  double stats_interval = 1.0;
  std::vector<std::string> static_neighbours;  // LINK,IP,MAC
  std::uint32_t idle_sleep_us = 0;
};

struct Loaded {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<const rules::RuleSet> rules;
};

// Config + rules, or an error already logged.
std::optional<Loaded> load(const std::string& path) {
  const auto r = config::load_file(path);
  if (!r) {
    spdlog::error("{}", r.error().to_string());
    return std::nullopt;
  }
  Loaded l;
  l.config = std::make_shared<const config::Config>(*r);
  if (!l.config->rule_files.empty()) {
    std::vector<std::string> pools;
    for (const auto& p : l.config->pools) pools.push_back(p.name);
    auto compiled = rules::RuleSet::compile(l.config->rule_files, pools);
    if (!compiled) {
      spdlog::error("{}", compiled.error().to_string());
      return std::nullopt;
    }
    l.rules = *compiled;
  }
  return l;
}

// The data-plane part of the config (the same checks as `sipshunt check`) plus the command line's
// static neighbours, validated.
Result<runtime::RuntimeOptions> runtime_options(const config::Config& c, const RunOptions& ro) {
  Result<runtime::RuntimeOptions> o = runtime::runtime_options(c);
  if (!o) return o.error();
  for (const auto& text : ro.static_neighbours) {
    Result<runtime::StaticNeighbour> n = runtime::parse_static_neighbour(text);
    if (!n) return n.error();
    o->static_neighbours.push_back(*n);
  }
  o->idle_sleep_us = ro.idle_sleep_us;
  if (c.hep.enabled) o->hep = mirror::HepOptions{c.hep.address, c.hep.sample, c.hep.agent_id, c.hep.auth_key, c.hep.queue};
  if (Result<void> valid = runtime::validate(*o); !valid) return valid.error();
  return o;
}

void log_summary(const config::Config& c, const rules::RuleSet* rules, const runtime::Runtime& rt) {
  spdlog::info("sipshunt: SIP on {} (UDP), {} worker(s), {} port(s), {} network(s)", c.self.to_string(),
               c.dpdk.workers, c.dpdk.ports.size(), c.dpdk.networks.size());
  for (std::size_t i = 0; i < rt.ports().size(); ++i) {
    const auto& p = rt.ports()[i];
    spdlog::info("  port {}: {} ({}), MAC {}, mtu {}, {} queue(s){}{}{}{}", p.name, p.device, p.driver,
                 p.mac.to_string(), c.dpdk.ports[i].mtu, p.queues, p.rss ? ", RSS" : "",
                 (p.tx_udp_checksum || p.rx_udp_checksum) ? ", checksum offload" : ", software checksums",
                 p.allmulticast ? ", all multicast" : "",
                 p.af_packet_sockets > 0 ? fmt::format(", {} af_packet socket(s) with a large send buffer", p.af_packet_sockets)
                                         : std::string());
  }
  for (const auto& n : c.dpdk.networks) {
    spdlog::info("  network {}: port {}{}, {}/{}{}{}", n.name, c.dpdk.ports[n.port].name,
                 n.vlan != 0 ? fmt::format(" VLAN {}", n.vlan) : std::string(" untagged"), n.address.to_string(),
                 n.prefix_len, n.gateway ? ", gateway " + n.gateway->to_string() : std::string(),
                 n.service_address ? ", SIP on service address " + n.service_address->to_string() : std::string());
  }
  for (const auto& r : c.dpdk.routes) {
    spdlog::info("  route {}/{} via {}", r.prefix.to_string(), r.prefix_len, r.via.to_string());
  }
  for (const auto& pool : c.pools) {
    std::string list;
    for (const auto& b : pool.backends) {
      list.append(list.empty() ? "" : ", ").append(b.name).append("=").append(b.endpoint.to_string());
    }
    spdlog::info("  pool {}: {}", pool.name, list);
  }
  spdlog::info("  backends recognised by {}", config::describe(c.backend_source));
  if (c.hep.enabled) {
    spdlog::info("  HEP mirroring to {} (kernel UDP socket), {}% of calls, agent id {}", c.hep.address.to_string(),
                 c.hep.sample * 100, c.hep.agent_id);
  }
  for (const auto& h : c.hosts) {
    spdlog::info("  host {} -> {}{}", h.name, h.address.to_string(), h.port != 0 ? ":" + std::to_string(h.port) : "");
  }
  if (rules != nullptr) {
    const auto s = rules->summary();
    spdlog::info("  rules: {} from {} file(s), {} pattern(s) in {} database(s)", s.rules, s.files, s.patterns,
                 s.databases);
  } else {
    spdlog::info("  rules: none (every request to the default pool {})", c.default_pool.empty() ? "(none)" : c.default_pool);
  }
}

// "generation 2, 3 of 3 backends usable in 1 pool(s)": the STATUS= line systemd shows.
std::string state_line(const control::Controller& ctl) {
  std::size_t usable = 0, backends = 0;
  for (const auto& b : ctl.snapshot()->backends) {
    ++backends;
    usable += b.usable() ? 1 : 0;
  }
  return fmt::format("generation {}, {} of {} backends usable in {} pool(s)", ctl.reloads().generation, usable,
                     backends, ctl.config().pools.size());
}

int run(const RunOptions& ro) {
  notify::status("loading " + ro.config);
  auto loaded = load(ro.config);
  if (!loaded) return code(ExitStatus::kConfigInvalid);
  const config::Config& cfg = *loaded->config;
  setup_logging(cfg.log.format, spdlog::level::from_str(cfg.log.level));
  const BuildInfo build = build_info();
  spdlog::info("sipshunt {} (revision {}), DPDK {}, Hyperscan {}", build.version, build.revision, build.dpdk,
               build.hyperscan);

  const Result<runtime::RuntimeOptions> options = runtime_options(cfg, ro);
  if (!options) {
    spdlog::error("{}: {}", cfg.path.string(), options.error().to_string());
    return code(ExitStatus::kConfigInvalid);
  }
  // Health probes, admin states, hot reload and the admin API: the controller owns the published
  // state (config, rules, prober, snapshot) from here on.
  control::ControllerOptions ctl_options;
  ctl_options.build = build;
  auto loaded_ctl = control::Controller::load(ro.config, ctl_options, 0);
  if (!loaded_ctl) {
    spdlog::error("{}", loaded_ctl.error().to_string());
    return code(ExitStatus::kConfigInvalid);
  }
  auto ctl = std::move(*loaded_ctl);
  auto snapshot = ctl->snapshot();

  // From here on DPDK owns the process: EAL, hugepages, ports.
  notify::status("starting the data plane (EAL, hugepages, ports)");
  Result<std::unique_ptr<runtime::Runtime>> created = runtime::Runtime::create(*options);
  if (!created) {
    spdlog::error("data plane: {}", created.error().to_string());
    return code(ExitStatus::kFailure);
  }
  std::unique_ptr<runtime::Runtime> rt = std::move(*created);
  log_summary(cfg, loaded->rules.get(), *rt);
  runtime::install_signal_handlers();
  if (const Result<void> started = rt->start(snapshot); !started) {
    spdlog::error("data plane: {}", started.error().to_string());
    rt->shutdown();
    return code(ExitStatus::kFailure);
  }
  spdlog::info("running; SIGINT or SIGTERM stops, SIGHUP reloads config and rules");

  if (!ro.stats_file.empty()) {
    const auto period = static_cast<std::uint64_t>(ro.stats_interval * 1e9);
    rt->add_tick(period, [&rt, path = ro.stats_file](std::uint64_t) {
      if (!runtime::write_file_atomic(path, runtime::stats_json(*rt))) spdlog::warn("cannot write {}", path);
    });
  }
  // Probes through the data plane, replies through the workers' mailbox, a 250 us control tick,
  // SIGHUP and POST /reload -> controller reload (health and admin states carried over), the
  // admin HTTP API. A bind failure of the API is logged; the proxy keeps running.
  // Under systemd (README "Running under systemd"): RELOADING=1 before a SIGHUP reload, READY=1
  // after it whatever its outcome (the old state keeps running), the outcome in STATUS=.
  runtime::ReloadHooks hooks;
  hooks.before = [&ro] { notify::reloading("reloading " + ro.config); };
  hooks.after = [&ctl](const control::ReloadOutcome& out) {
    notify::ready(out.error ? "running " + state_line(*ctl) + "; last reload FAILED, kept the running state: " +
                                  out.error->to_string()
                            : "running " + state_line(*ctl) + "; reloaded");
  };
  if (const Result<void> wired = runtime::wire(*rt, *ctl, 250'000, std::move(hooks)); !wired) {
    spdlog::error("admin API not started: {}", wired.error().to_string());
  }
  // WATCHDOG=1 from the control loop: a control loop that stops turning (not a busy worker) is
  // what the service manager should restart.
  if (const std::uint64_t usec = notify::watchdog_usec(); usec > 0) {
    rt->add_tick(usec * 1000 / 2, [](std::uint64_t) { notify::watchdog(); });
    spdlog::info("systemd watchdog: WATCHDOG=1 every {} ms", usec / 2000);
  }
  // SIGTERM/SIGINT with [instance] stop_grace_ms (README "Running several instances"): not ready
  // at once, so the route announcer withdraws the service address, and still forwarding while
  // the routers move the traffic; then the stop below.
  rt->on_stop_signal([&ctl]() -> std::uint64_t {
    const std::uint32_t grace_ms = ctl->config().instance.stop_grace_ms;
    if (grace_ms == 0) return 0;
    ctl->begin_stop();
    const std::string line = fmt::format(
        "stopping in {} ms: not ready (GET /ready 503 \"stopping\"), still forwarding; a second signal stops at once",
        grace_ms);
    spdlog::info("{}", line);
    notify::stopping(line);
    return std::uint64_t{grace_ms} * 1'000'000;
  });
  rt->on_stop([] { notify::stopping("stopping: draining the workers, closing the ports"); });
  // The ports are up and the first snapshot is published (start()): ready for traffic.
  notify::ready(fmt::format("running: SIP on {}, {} worker(s), {} port(s), {}", cfg.self.to_string(),
                            cfg.dpdk.workers, cfg.dpdk.ports.size(), state_line(*ctl)));

  const int rc = rt->run();  // until a signal; shuts the data plane down on the way out
  const auto t = rt->totals();
  spdlog::info("stopped: rx {} tx {} SIP in {} forwarded {} replied {} dropped {}", t.ports[0].rx_packets,
               t.ports[0].tx_packets, t.sip_in, t.sip_forwarded, t.sip_replied, t.sip_dropped);
  if (!ro.stats_file.empty() && !runtime::write_file_atomic(ro.stats_file, runtime::stats_json(*rt))) {
    spdlog::warn("cannot write {}", ro.stats_file);
  }
  return rc;
}

}  // namespace

void add_run(CLI::App& app, int& status) {
  auto* cmd = app.add_subcommand("run", "Run the proxy on DPDK (until SIGINT/SIGTERM; SIGHUP reloads)");
  auto o = std::make_shared<RunOptions>();
  cmd->add_option("-c,--config", o->config, "Config file (TOML)")->required();
  cmd->add_option("--stats-file", o->stats_file, "Write all counters as JSON to this file every interval and at exit");
  cmd->add_option("--stats-interval", o->stats_interval, "Seconds between stats-file writes (default 1)")
      ->check(CLI::Range(0.05, 3600.0));
  cmd->add_option("--static-neighbour", o->static_neighbours,
                  "LINK,IP,MAC: a permanent neighbour (IPv4 or IPv6) on network LINK, or on port LINK's untagged "
                  "network of the address's family (repeatable; e.g. for net_null or net_pcap)");
  cmd->add_option("--idle-sleep-us", o->idle_sleep_us,
                  "Adaptive polling: a worker that found nothing to do 256 times in a row sleeps this long "
                  "(0, the default: pure busy polling). For hosts that share the workers' CPUs")
      ->check(CLI::Range(0, 10000));
  cmd->callback([o, &status] { status = run(*o); });
}

}  // namespace sipshunt::app
