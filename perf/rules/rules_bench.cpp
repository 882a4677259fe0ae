// Rule matching cost on the standard INVITE (perf/sip/messages.hpp, 899 bytes) with 10, 100 and
// 1,000 rules, with and without a matching rule, and compile time for 1,000 rules.
//
// The rule sets look like an operator's: mostly number-prefix routing on the Request-URI (the
// usual reason to have a thousand rules), User-Agent blocks, From-domain routing, source
// allow-lists and a custom header, in that mix. None of them matches the INVITE; the "match"
// variants add one final rule that does, so every earlier rule is passed over first.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "../sip/messages.hpp"
#include "sipshunt/rules/rules.hpp"
#include "sipshunt/sip/message.hpp"

namespace {

using sipshunt::Endpoint;
using sipshunt::rules::RuleSet;
using sipshunt::rules::Scratch;

std::string rule_text(int count, bool with_match) {
  std::string s;
  for (int i = 0; i < count; ++i) {
    const std::string n = std::to_string(i);
    switch (i % 20) {
      case 0: case 1: case 2:  // 15%: scanner and blocked User-Agents
        s += "rule ua" + n + ": header User-Agent ~ /(scanner|agent)-" + n + "\\b/i => drop\n";
        break;
      case 3: case 4:  // 10%: customers by From domain
        s += "rule from" + n + ": header From ~ /@customer" + n + "\\.example\\.com[>;]/i => pool core\n";
        break;
      case 5: case 6:  // 10%: trunks by source address
        s += "rule trunk" + n + ": src 198.19." + std::to_string(i % 256) + ".0/24, 2001:db8:" + n +
             "::/48 and method INVITE => pool carrier\n";
        break;
      case 7:  // 5%: tenants by a custom header
        s += "rule tenant" + n + ": header X-Tenant ~ /^tenant-" + n + "$/ => pool core\n";
        break;
      default:  // 60%: number-prefix routing
        s += "rule num" + n + ": method INVITE and ruri ~ /^sips?:\\+?1555" + n + "[0-9]{3,}@/ => pool carrier\n";
    }
  }
  if (with_match) s += "rule hit: method INVITE and ruri ~ /^sip:bob@biloxi\\.example\\.com$/ => pool core\n";
  return s;
}

struct Fixture {
  std::filesystem::path dir;
  std::filesystem::path file;
  explicit Fixture(const std::string& text) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sipshunt-rules-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp");
    dir = tmpl;
    file = dir / "bench.rules";
    std::ofstream(file) << text;
  }
  ~Fixture() { std::filesystem::remove_all(dir); }
};

const std::string kPools[] = {"core", "carrier"};

std::shared_ptr<const RuleSet> compile(const std::string& text) {
  Fixture f(text);
  const std::filesystem::path files[] = {f.file};
  auto r = RuleSet::compile(files, kPools);
  if (!r.set) throw std::runtime_error(r.error->to_string());
  return r.set;
}

void BM_Match(benchmark::State& state) {
  const int rules = static_cast<int>(state.range(0));
  const bool with_match = state.range(1) != 0;
  const auto set = compile(rule_text(rules, with_match));
  Scratch scratch;
  if (!scratch.prepare(*set)) {
    state.SkipWithError("prepare failed");
    return;
  }
  const std::string_view text = sipshunt::sip::bench::kInvite;
  auto msg = std::make_unique<sipshunt::sip::Message>();
  if (sipshunt::sip::parse(text.data(), text.size(), *msg) != sipshunt::sip::Status::kOk) {
    state.SkipWithError("INVITE does not parse");
    return;
  }
  const Endpoint source = *Endpoint::parse("198.18.0.10:5060");
  const int want = with_match ? rules : -1;
  const auto check = set->match(*msg, source, scratch);
  if (check.rule != want || check.error) {
    state.SkipWithError("unexpected decision");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(msg.get());
    const auto m = set->match(*msg, source, scratch);
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["patterns"] = static_cast<double>(set->summary().patterns);
  state.counters["databases"] = static_cast<double>(set->summary().databases);
}
BENCHMARK(BM_Match)
    ->ArgNames({"rules", "match"})
    ->Args({10, 0})->Args({10, 1})
    ->Args({100, 0})->Args({100, 1})
    ->Args({1000, 0})->Args({1000, 1});

// Parse + match, for scale against the whole-path target (the proxy bench measures that path).
void BM_ParseAndMatch(benchmark::State& state) {
  const auto set = compile(rule_text(static_cast<int>(state.range(0)), true));
  Scratch scratch;
  if (!scratch.prepare(*set)) {
    state.SkipWithError("prepare failed");
    return;
  }
  const std::string_view text = sipshunt::sip::bench::kInvite;
  auto msg = std::make_unique<sipshunt::sip::Message>();
  const Endpoint source = *Endpoint::parse("198.18.0.10:5060");
  for (auto _ : state) {
    if (sipshunt::sip::parse(text.data(), text.size(), *msg) != sipshunt::sip::Status::kOk) {
      state.SkipWithError("INVITE does not parse");
      return;
    }
    const auto m = set->match(*msg, source, scratch);
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseAndMatch)->ArgName("rules")->Arg(100)->Arg(1000);

void BM_Compile(benchmark::State& state) {
  Fixture f(rule_text(static_cast<int>(state.range(0)), true));
  const std::filesystem::path files[] = {f.file};
  for (auto _ : state) {
    auto r = RuleSet::compile(files, kPools);
    if (!r.set) {
      state.SkipWithError(r.error->to_string().c_str());
      return;
    }
    benchmark::DoNotOptimize(r.set.get());
  }
}
BENCHMARK(BM_Compile)->ArgName("rules")->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

}  // namespace
