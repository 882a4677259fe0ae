// Rule matching cost on the standard INVITE (perf/sip/messages.hpp, 899 bytes) with 10, 100 and
// 1,000 rules, with and without a matching rule, and compile time for 1,000 rules.
//
// Rule sets: rule_sets.hpp.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "../sip/messages.hpp"
#include "rule_sets.hpp"
#include "sipshunt/rules/rules.hpp"
#include "sipshunt/sip/message.hpp"

namespace {

using sipshunt::Endpoint;
using sipshunt::rules::RuleSet;
using sipshunt::rules::Scratch;
using sipshunt::rules::bench::Fixture;
using sipshunt::rules::bench::rule_text;

const std::string kPools[] = {"core", "carrier"};

std::shared_ptr<const RuleSet> compile(const std::string& text) {
  Fixture f(text);
  const std::filesystem::path files[] = {f.file};
  auto r = RuleSet::compile(files, kPools);
  if (!r) throw std::runtime_error(r.error().to_string());
  return *r;
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

// scripts/bench-pcap.sh's 100 rules on the INVITEs it sends (perf/sip/messages.hpp's
// kInviteSoftphone with the callee of perf/dataplane/make_invites.py: 1,024 distinct Request-URIs
// and To values; one User-Agent as there, or with `user_agents:1024` one per message). Three
// scanned fields; the last rule decides.
void BM_MatchPcap100(benchmark::State& state) {
  const auto set = compile(sipshunt::rules::bench::pcap_rule_text());
  Scratch scratch;
  if (!scratch.prepare(*set)) {
    state.SkipWithError("prepare failed");
    return;
  }
  constexpr std::size_t kMessages = 1024;
  const std::string_view invite = sipshunt::sip::bench::kInviteSoftphone;
  std::vector<std::string> texts;
  std::vector<std::unique_ptr<sipshunt::sip::Message>> msgs;
  for (std::size_t i = 0; i < kMessages; ++i) {
    std::string t(invite);
    const std::string callee = std::to_string(3105550000 + (i * 7919) % 10000);
    for (std::size_t at = t.find("3105550055"); at != std::string::npos; at = t.find("3105550055", at)) t.replace(at, 10, callee);
    if (state.range(0) > 1) t.replace(t.find("PhoneOS/4.2.1"), 13, "PhoneOS/4.2." + std::to_string(i % state.range(0)));
    texts.push_back(std::move(t));
  }
  for (const std::string& t : texts) {
    msgs.push_back(std::make_unique<sipshunt::sip::Message>());
    if (sipshunt::sip::parse(t.data(), t.size(), *msgs.back()) != sipshunt::sip::Status::kOk) {
      state.SkipWithError("INVITE does not parse");
      return;
    }
  }
  const Endpoint source = *Endpoint::parse("198.18.50.96:5064");
  for (const auto& msg : msgs) {
    const auto check = set->match(*msg, source, scratch);
    if (check.rule != 99 || check.error) {
      state.SkipWithError("unexpected decision");
      return;
    }
  }
  std::size_t i = 0;
  for (auto _ : state) {
    const auto m = set->match(*msgs[i], source, scratch);
    benchmark::DoNotOptimize(m);
    i = (i + 1) % kMessages;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_MatchPcap100)->ArgName("user_agents")->Arg(1)->Arg(1024);

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
    if (!r) {
      state.SkipWithError(r.error().to_string().c_str());
      return;
    }
    benchmark::DoNotOptimize(r->get());
  }
}
BENCHMARK(BM_Compile)->ArgName("rules")->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

}  // namespace
