// The Prometheus writer, the metric set, and the strict test parser that checks them (plus
// promtool from Debian's prometheus package when it is installed).
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "prom_parser.hpp"
#include "sipshunt/control/metrics.hpp"
#include "sipshunt/control/prometheus.hpp"
#include "sipshunt/health/prober.hpp"
#include "sipshunt/proxy/proxy.hpp"
#include "support/config_fixture.hpp"
#include "support/temp_dir.hpp"

namespace sipshunt::control {
namespace {

using test::PromParser;

TEST(PromParser, RejectsWhatTheFormatForbids) {
  // The parser must be able to fail, or the tests below prove nothing.
  const char* bad[] = {
      "# TYPE a counter\na_total 1\n",                             // sample outside its family
      "a 1\n",                                                     // no TYPE
      "# TYPE a gauge\na{x=\"1} 1\n",                              // unterminated value
      "# TYPE a gauge\na{x=\"\\q\"} 1\n",                          // bad escape
      "# TYPE a gauge\na{x=\"1\",x=\"2\"} 1\n",                    // repeated label
      "# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n",              // duplicate series
      "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n",           // family not contiguous
      "# TYPE a gauge\n# TYPE a gauge\na 1\n",                     // TYPE twice
      "# TYPE a gauge\na 1x\n",                                    // bad value
      "# TYPE a gauge\na 1",                                       // no final newline
      "# TYPE a counter\na -1\n",                                  // negative counter
      "# TYPE a gauge\na{__x=\"1\"} 1\n",                          // reserved label
      "# TYPE a gauge\na{x=\"\xff\"} 1\n",                         // invalid UTF-8
      "# TYPE a gauge\na{x=\"1\",} 1\n",                           // trailing comma
      "# HELP a bad \\t escape\n# TYPE a gauge\na 1\n",            // bad HELP escape
      "# TYPE a frequency\na 1\n",                                 // unknown type
  };
  for (const char* text : bad) EXPECT_ANY_THROW(PromParser().parse(text)) << text;
  auto ok = PromParser().parse("# HELP a x\\\\y\\nz\n# TYPE a gauge\na{l=\"q\\\"\\\\\\n\"} -1.5e3\na 3 1700000000\n");
  EXPECT_EQ(ok["a"].help, "x\\y\nz");
  EXPECT_EQ(ok["a"].at({{"l", "q\"\\\n"}}), -1500);
  EXPECT_EQ(ok["a"].at({}), 3);
}

TEST(Exposition, WritesHelpTypeAndEscapedLabels) {
  Exposition e;
  e.family("x_requests_total", MetricType::kCounter, "Requests.\nSecond line with a \\ backslash.");
  e.sample({{"backend", "a\"b\\c\nd"}}, std::uint64_t{18446744073709551615ULL});
  e.sample({{"backend", "plain"}}, std::uint64_t{0});
  e.family("x_rtt_seconds", MetricType::kGauge, "RTT.");
  e.sample(0.000125);
  EXPECT_EQ(e.text(),
            "# HELP x_requests_total Requests.\\nSecond line with a \\\\ backslash.\n"
            "# TYPE x_requests_total counter\n"
            "x_requests_total{backend=\"a\\\"b\\\\c\\nd\"} 18446744073709551615\n"
            "x_requests_total{backend=\"plain\"} 0\n"
            "# HELP x_rtt_seconds RTT.\n"
            "# TYPE x_rtt_seconds gauge\n"
            "x_rtt_seconds 0.000125\n");
  auto f = PromParser().parse(e.text());
  EXPECT_EQ(f["x_requests_total"].at({{"backend", "a\"b\\c\nd"}}), 18446744073709551615.0);
}

TEST(Exposition, SpecialValuesAndInvalidUtf8) {
  Exposition e;
  e.family("g", MetricType::kGauge, "g");
  e.sample({{"k", "nan"}}, std::nan(""));
  e.sample({{"k", "inf"}}, HUGE_VAL);
  e.sample({{"k", "-inf"}}, -HUGE_VAL);
  e.sample({{"k", "bad \xc3\x28 \xed\xa0\x80 \xf4\x90\x80\x80 ok \xc3\xa9"}}, 1.0);
  auto f = PromParser().parse(e.text());
  EXPECT_TRUE(std::isnan(f["g"].at({{"k", "nan"}})));
  EXPECT_EQ(f["g"].at({{"k", "inf"}}), HUGE_VAL);
  EXPECT_EQ(f["g"].at({{"k", "-inf"}}), -HUGE_VAL);
  EXPECT_NE(e.text().find("ok \xc3\xa9\""), std::string::npos);  // valid UTF-8 kept as is
}

TEST(Exposition, RefusesBadNamesAndRepeatedFamilies) {
  Exposition e;
  EXPECT_THROW(e.family("1abc", MetricType::kGauge, "x"), std::invalid_argument);
  EXPECT_THROW(e.family("a-b", MetricType::kGauge, "x"), std::invalid_argument);
  EXPECT_THROW(e.family("requests", MetricType::kCounter, "x"), std::invalid_argument);  // no _total
  e.family("ok_total", MetricType::kCounter, "x");
  EXPECT_THROW(e.family("ok_total", MetricType::kCounter, "x"), std::invalid_argument);
  EXPECT_THROW(e.sample({{"bad-label", "v"}}, std::uint64_t{1}), std::invalid_argument);
  EXPECT_THROW(e.sample({{"__reserved", "v"}}, std::uint64_t{1}), std::invalid_argument);
  EXPECT_TRUE(valid_metric_name("sipshunt:rate_5m"));
  EXPECT_FALSE(valid_label_name("a:b"));
}

MetricsSnapshot sample_snapshot() {
  MetricsSnapshot m;
  m.start_unix_seconds = 1.7e9;
  m.snapshot_version = 12;
  m.ports = {{"wan", 100, 64000, 90, 60000, 1, 2, 3}, {"lan", 5, 500, 6, 600, 0, 0, 0}};
  m.drops = {{"foreign-via", 4}, {"bad-checksum", 2}, {"foreign-via", 1}};
  m.decisions = {{"forwarded", 80}, {"no-backend-up", 3}};
  m.replies = {{404, 7}, {503, 3}};
  m.rule_hits = {{"scanners", 5}, {"rest", 75}, {"rest", 1}};
  BackendMetrics b1;
  b1.name = "b1";
  b1.pool = "core";
  b1.forwarded = 40;
  b1.health_checked = true;
  b1.rtt_seconds = 0.0005;
  b1.probes_sent = 10;
  BackendMetrics b2 = b1;
  b2.name = "b\"2";
  b2.up = false;
  b2.admin = config::AdminState::kDrained;
  b2.rtt_seconds.reset();
  b2.probe_timeouts = 3;
  m.backends = {b1, b2};
  m.workers = {{1, 1000, 9000}, {2, 1500, 8500}};
  m.reloads.succeeded = 2;
  m.reloads.failed = 1;
  m.reloads.last_error = ReloadError{ReloadErrorKind::kInvalid, "/etc/sipshunt/main.rules", 3, 17, "unknown pool \"x\""};
  m.tsc_hz = 2.5e9;
  m.build = BuildInfo{"0.1.0", "9930e0634541-dirty", "22.11.11", "5.4.0"};
  return m;
}

TEST(Metrics, EveryFamilyOfTheIssueIsPresentAndAgreesWithTheSnapshot) {
  const auto text = render_metrics(sample_snapshot());
  auto f = PromParser().parse(text);
  EXPECT_EQ(f["sipshunt_port_rx_packets_total"].at({{"port", "wan"}}), 100);
  EXPECT_EQ(f["sipshunt_port_rx_bytes_total"].at({{"port", "wan"}}), 64000);
  EXPECT_EQ(f["sipshunt_port_tx_packets_total"].at({{"port", "lan"}}), 6);
  EXPECT_EQ(f["sipshunt_port_tx_bytes_total"].at({{"port", "lan"}}), 600);
  EXPECT_EQ(f["sipshunt_port_rx_missed_total"].at({{"port", "wan"}}), 1);
  EXPECT_EQ(f["sipshunt_drops_total"].at({{"reason", "foreign-via"}}), 5);  // same reason summed
  EXPECT_EQ(f["sipshunt_drops_total"].at({{"reason", "bad-checksum"}}), 2);
  EXPECT_EQ(f["sipshunt_proxy_decisions_total"].at({{"reason", "no-backend-up"}}), 3);
  EXPECT_EQ(f["sipshunt_replies_total"].at({{"status", "503"}}), 3);
  EXPECT_EQ(f["sipshunt_rule_hits_total"].at({{"rule", "rest"}}), 76);
  EXPECT_EQ(f["sipshunt_backend_forwarded_total"].at({{"pool", "core"}, {"backend", "b1"}}), 40);
  EXPECT_EQ(f["sipshunt_backend_up"].at({{"pool", "core"}, {"backend", "b\"2"}}), 0);
  EXPECT_EQ(f["sipshunt_backend_up"].at({{"pool", "core"}, {"backend", "b1"}}), 1);
  EXPECT_EQ(f["sipshunt_backend_admin_state"].at({{"pool", "core"}, {"backend", "b\"2"}, {"state", "drained"}}), 1);
  EXPECT_EQ(f["sipshunt_backend_admin_state"].at({{"pool", "core"}, {"backend", "b\"2"}, {"state", "enabled"}}), 0);
  EXPECT_EQ(f["sipshunt_backend_usable"].at({{"pool", "core"}, {"backend", "b1"}}), 1);
  EXPECT_EQ(f["sipshunt_probe_rtt_seconds"].at({{"pool", "core"}, {"backend", "b1"}}), 0.0005);
  EXPECT_FALSE(f["sipshunt_probe_rtt_seconds"].has({{"pool", "core"}, {"backend", "b\"2"}}));  // never measured
  EXPECT_EQ(f["sipshunt_probe_timeouts_total"].at({{"pool", "core"}, {"backend", "b\"2"}}), 3);
  EXPECT_EQ(f["sipshunt_reloads_total"].at({{"result", "succeeded"}}), 2);
  EXPECT_EQ(f["sipshunt_reloads_total"].at({{"result", "failed"}}), 1);
  EXPECT_EQ(f["sipshunt_last_reload_successful"].at({}), 0);
  EXPECT_EQ(f["sipshunt_last_reload_error_info"].at({{"file", "/etc/sipshunt/main.rules"},
                                                     {"line", "3"},
                                                     {"column", "17"},
                                                     {"message", "unknown pool \"x\""}}),
            1);
  EXPECT_EQ(f["sipshunt_worker_busy_cycles_total"].at({{"worker", "2"}}), 1500);
  EXPECT_EQ(f["sipshunt_worker_idle_cycles_total"].at({{"worker", "1"}}), 9000);
  EXPECT_EQ(f["sipshunt_tsc_hz"].at({}), 2.5e9);
  EXPECT_EQ(f["sipshunt_snapshot_version"].at({}), 12);
  EXPECT_EQ(f["sipshunt_build_info"].at({{"version", "0.1.0"},
                                         {"revision", "9930e0634541-dirty"},
                                         {"dpdk", "22.11.11"},
                                         {"hyperscan", "5.4.0"}}),
            1);
  for (const auto& [name, fam] : f) {
    EXPECT_EQ(name.rfind("sipshunt_", 0), 0u) << name;
    EXPECT_EQ(fam.type == "counter", name.size() > 6 && name.substr(name.size() - 6) == "_total") << name;
  }
}

TEST(Metrics, EmptySnapshotIsStillValid) {
  auto f = PromParser().parse(render_metrics(MetricsSnapshot{}));
  EXPECT_EQ(f["sipshunt_last_reload_successful"].at({}), 1);
  EXPECT_TRUE(f["sipshunt_last_reload_error_info"].samples.empty());
}

// promtool's linter is stricter about conventions than the format itself.
TEST(Metrics, PromtoolAcceptsTheOutput) {
#ifndef SIPSHUNT_PROMTOOL
  GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
#else
  test_support::TempDir dir;
  const auto file = dir.write("metrics.txt", render_metrics(sample_snapshot()));
  const std::string cmd = std::string(SIPSHUNT_PROMTOOL).append(" check metrics < ").append(file.string()).append(" 2>&1");
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  const int status = ::pclose(p);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  EXPECT_EQ(out, "") << out;
  // and promtool does fail on a broken exposition (the check is not vacuous)
  const auto broken = dir.write("broken.txt", "# TYPE a counter\na{x=\"1\"} 1\na{x=\"1\"} 2\n");
  const std::string cmd2 = std::string(SIPSHUNT_PROMTOOL).append(" check metrics < ").append(broken.string()).append(" >/dev/null 2>&1");
  const int status2 = std::system(cmd2.c_str());
  EXPECT_FALSE(WIFEXITED(status2) && WEXITSTATUS(status2) == 0);
#endif
}

// fill_from + add_proxy_counters take names from a real snapshot and the prober.
TEST(Metrics, FilledFromSnapshotProberAndWorkerCounters) {
  test_support::TempDir dir;
  const test_support::ConfigFixture fixture{
      .rule_files = {"main.rules"},
      .pools = {{.name = "core",
                 .backends = {{"b1", "198.19.0.11"}, {.name = "b2", .address = "198.19.0.12", .state = "drained"}},
                 .health = test_support::ConfigFixture::Health{.interval_ms = 100, .timeout_ms = 50, .fall = 1, .rise = 1}}}};
  const auto cfg_path = dir.write("sipshunt.toml", fixture.toml());
  dir.write("main.rules", "rule scanners: header User-Agent ~ /sipvicious/ => drop\nrule rest: any => pool core\n");
  auto loaded = config::load_file(cfg_path);
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  auto cfg = std::make_shared<const config::Config>(*loaded);
  std::vector<std::string> pools{"core"};
  auto rules = rules::RuleSet::compile(cfg->rule_files, pools);
  ASSERT_TRUE(rules) << rules.error().to_string();
  health::Prober prober(*cfg, {.nonce = 5}, 0);
  auto t = prober.tick(0);
  ASSERT_EQ(t.probes.size(), 2u);
  (void)prober.tick(60'000'000);  // both time out: fall 1 -> down
  auto snap = proxy::build_snapshot(cfg, *rules, {{"b1", prober.up("b1"), config::AdminState::kEnabled}}, 3);

  MetricsSnapshot m;
  fill_from(m, *snap, &prober);
  auto counters = std::make_unique<proxy::Counters>();
  counters->by_reason[static_cast<std::size_t>(proxy::Reason::kForwarded)] = 10;
  counters->replies_by_status[503] = 4;
  counters->by_rule[1] = 10;
  counters->by_backend[0] = 6;
  counters->by_backend[1] = 4;
  add_proxy_counters(m, *snap, *counters);
  add_proxy_counters(m, *snap, *counters);  // a second worker
  auto f = PromParser().parse(render_metrics(m));
  EXPECT_EQ(f["sipshunt_proxy_decisions_total"].at({{"reason", "forwarded"}}), 20);
  EXPECT_EQ(f["sipshunt_proxy_decisions_total"].at({{"reason", "foreign-via"}}), 0);
  EXPECT_EQ(f["sipshunt_replies_total"].at({{"status", "503"}}), 8);
  EXPECT_EQ(f["sipshunt_rule_hits_total"].at({{"rule", "rest"}}), 20);
  EXPECT_EQ(f["sipshunt_rule_hits_total"].at({{"rule", "scanners"}}), 0);
  EXPECT_EQ(f["sipshunt_backend_forwarded_total"].at({{"pool", "core"}, {"backend", "b1"}}), 12);
  EXPECT_EQ(f["sipshunt_backend_forwarded_total"].at({{"pool", "core"}, {"backend", "b2"}}), 8);
  EXPECT_EQ(f["sipshunt_backend_up"].at({{"pool", "core"}, {"backend", "b1"}}), 0);
  EXPECT_EQ(f["sipshunt_backend_admin_state"].at({{"pool", "core"}, {"backend", "b2"}, {"state", "drained"}}), 1);
  EXPECT_EQ(f["sipshunt_probes_sent_total"].at({{"pool", "core"}, {"backend", "b1"}}), 1);
  EXPECT_EQ(f["sipshunt_probe_timeouts_total"].at({{"pool", "core"}, {"backend", "b2"}}), 1);
  EXPECT_EQ(f["sipshunt_snapshot_version"].at({}), 3);
}

}  // namespace
}  // namespace sipshunt::control
