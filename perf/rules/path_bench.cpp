// The whole request path with rules: proxy::process() (parse, validation, rules, Maglev,
// rewrite) on the standard INVITE (perf/sip/messages.hpp, 899 bytes) with no rules and with the
// 10/100/1,000-rule sets of rule_sets.hpp, with and without a matching rule. Target:
// at most 400 ns median with 100 rules and 600 ns with 1,000.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "../sip/messages.hpp"
#include "rule_sets.hpp"
#include "sipshunt/config/config.hpp"
#include "sipshunt/proxy/proxy.hpp"
#include "support/config_fixture.hpp"

namespace {

using namespace sipshunt;

// proxy_fixture() with the rule file and a second pool, carrier, that the rule sets route to.
std::string config_text() {
  test_support::ConfigFixture c = test_support::proxy_fixture();
  c.rule_files = {"bench.rules"};
  c.pools.push_back({.name = "carrier", .backends = {{"c1", "198.19.1.11"}}});
  return c.toml();
}

void BM_ProcessInvite(benchmark::State& state) {
  const int rules = static_cast<int>(state.range(0));
  const bool with_match = state.range(1) != 0;
  rules::bench::Fixture fixture(rules::bench::rule_text(rules, with_match));
  auto loaded = config::load_string(config_text(), fixture.dir.path() / "bench.toml");
  if (!loaded) {
    state.SkipWithError(loaded.error().to_string().c_str());
    return;
  }
  auto cfg = std::make_shared<const config::Config>(std::move(*loaded));
  std::vector<std::string> pools;
  for (const auto& p : cfg->pools) pools.push_back(p.name);
  std::shared_ptr<const rules::RuleSet> set;
  if (rules > 0 || with_match) {
    auto compiled = rules::RuleSet::compile(cfg->rule_files, pools);
    if (!compiled) {
      state.SkipWithError(compiled.error().to_string().c_str());
      return;
    }
    set = *compiled;
  }
  const auto snapshot = proxy::build_snapshot(cfg, set, {}, 1);
  auto worker = std::make_unique<proxy::ThreadState>();
  if (!proxy::prepare(*worker, *snapshot)) {
    state.SkipWithError("prepare failed");
    return;
  }
  const std::string_view message = sip::bench::kInvite;
  const Endpoint source{IpAddress::v4(0xc612000a), 5060};  // 198.18.0.10
  std::vector<char> in(message.begin(), message.end());
  std::vector<char> out(message.size() + proxy::kMaxGrowth);
  const proxy::Outcome first = proxy::process(*snapshot, *worker, in.data(), in.size(), source, 0, out.data(), out.size(), 0);
  const std::int32_t want_rule = with_match ? rules : -1;
  if (first.verdict != proxy::Verdict::kForward || first.rule != want_rule) {
    state.SkipWithError(std::string("unexpected decision: ").append(proxy::to_string(first.reason)).c_str());
    return;
  }
  std::uint64_t now = 0;
  for (auto _ : state) {
    const proxy::Outcome r =
        proxy::process(*snapshot, *worker, in.data(), in.size(), source, 0, out.data(), out.size(), ++now);
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * message.size()));
}
BENCHMARK(BM_ProcessInvite)
    ->ArgNames({"rules", "match"})
    ->Args({0, 0})
    ->Args({10, 0})->Args({10, 1})
    ->Args({100, 0})->Args({100, 1})
    ->Args({1000, 0})->Args({1000, 1});

}  // namespace
