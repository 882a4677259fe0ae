// `sipshunt check -c CONFIG`: loads the config, compiles its rule files with Hyperscan exactly as
// `run` would, runs the data-plane checks `run` runs before opening a device (when the config has
// ports; runtime/options.hpp), prints a short summary on success and the error on stderr otherwise.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "exit_status.hpp"
#include "log.hpp"
#include "sipshunt/config/config.hpp"
#include "sipshunt/rules/rules.hpp"
#include "sipshunt/runtime/options.hpp"

namespace sipshunt::app {
namespace {

int check(const std::string& path) {
  const auto loaded = config::load_file(path);
  if (!loaded) {
    report_error(loaded.error().to_string());
    return code(ExitStatus::kConfigInvalid);
  }
  const config::Config& cfg = *loaded;
  std::vector<std::string> pools;
  std::size_t backends = 0;
  for (const config::Pool& p : cfg.pools) {
    pools.push_back(p.name);
    backends += p.backends.size();
  }
  const auto compiled = rules::RuleSet::compile(cfg.rule_files, pools);
  if (!compiled) {
    report_error(compiled.error().to_string());
    return code(ExitStatus::kConfigInvalid);
  }
  // The same message `run` logs after the config path (an explain-only config has no ports).
  if (!cfg.dpdk.ports.empty()) {
    if (const auto dp = runtime::runtime_options(cfg); !dp) {
      std::fprintf(stderr, "%s: %s\n", cfg.path.c_str(), dp.error().to_string().c_str());
      return 1;
    }
  }
  const auto s = (*compiled)->summary();
  std::string pool_list;
  for (const std::string& p : pools) pool_list.append(pool_list.empty() ? "" : ", ").append(p);
  std::printf("%s: OK\n", cfg.path.c_str());
  std::printf("  pools:    %zu (%s), %zu backends; default pool: %s\n", pools.size(), pool_list.c_str(), backends,
              cfg.default_pool.empty() ? "none (no match is refused)" : cfg.default_pool.c_str());
  std::printf("  rules:    %zu %s from %zu %s\n", s.rules, s.rules == 1 ? "rule" : "rules", s.files,
              s.files == 1 ? "file" : "files");
  std::printf("  patterns: %zu in %zu Hyperscan databases (one per scanned field)\n", s.patterns, s.databases);
  std::printf("  prefixes: %zu source prefixes\n", s.prefixes);
  std::printf("  network:  %zu %s, %zu %s\n", cfg.dpdk.ports.size(), cfg.dpdk.ports.size() == 1 ? "port" : "ports",
              cfg.dpdk.networks.size(), cfg.dpdk.networks.size() == 1 ? "network" : "networks");
  std::printf("  routing:  backends recognised by %s; %zu host %s mapped in [proxy.hosts]\n",
              config::describe(cfg.backend_source).data(), cfg.hosts.size(), cfg.hosts.size() == 1 ? "name" : "names");
  return code(ExitStatus::kOk);
}

}  // namespace

void add_check(CLI::App& app, int& status) {
  auto* cmd = app.add_subcommand("check", "Validate the config and its rule files (Hyperscan compile included)");
  auto config_path = std::make_shared<std::string>();
  cmd->add_option("-c,--config", *config_path, "Config file (TOML)")->required();
  cmd->callback([config_path, &status] { status = check(*config_path); });
}

}  // namespace sipshunt::app
