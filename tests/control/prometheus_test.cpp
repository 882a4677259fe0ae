// The Prometheus writer, the metric set, and the strict test parser that checks them (plus
// promtool from Debian's prometheus package when it is installed).
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>

#include <cmath>
#include <ctime>
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
  m.process = ProcessMetrics{.cpu_seconds = 1.5, .resident_bytes = 5e7, .virtual_bytes = 3e10,
                             .start_time_seconds = 1.7e9, .open_fds = 40, .max_fds = 1024};
  m.snapshot_version = 12;
  m.ports = {{"wan", 100, 64000, 90, 60000, 1, 2, 3, 4, 5}, {"lan", 5, 500, 6, 600, 0, 0, 0, 0, 0}};
  m.networks = {{"wan", 60, 40000, 50, 30000}, {"wan-v6", 40, 24000, 40, 30000}};
  m.drops = {{"foreign-via", 4}, {"bad-checksum", 2}, {"foreign-via", 1}};
  m.decisions = {{"forwarded", 80}, {"no-backend-up", 3}};
  m.replies = {{404, 7}, {503, 3}};
  m.rule_hits = {{"scanners", 5}, {"rest", 75}, {"rest", 1}};
  BackendMetrics b1;
  b1.name = "b1";
  b1.pool = "core";
  b1.forwarded = 40;
  b1.health_checked = true;
  LatencyHistogram rtt;
  rtt.record(400'000, kProbeRttBoundsNs);    // 0.4 ms: the 0.5 ms bucket
  rtt.record(600'000, kProbeRttBoundsNs);    // 0.6 ms: the 1 ms bucket
  rtt.record(9'000'000'000, kProbeRttBoundsNs);  // 9 s: above every bound
  b1.rtt = to_seconds(rtt, kProbeRttBoundsNs);
  b1.probes_sent = 10;
  BackendMetrics b2 = b1;
  b2.name = "b\"2";
  b2.up = false;
  b2.admin = config::AdminState::kDrained;
  b2.rtt = to_seconds(LatencyHistogram{}, kProbeRttBoundsNs);
  b2.probe_timeouts = 3;
  m.backends = {b1, b2};
  LatencyHistogram processing;
  processing.record(700, kProcessingBoundsNs);
  m.workers = {{1, 1.0, 9.0, to_seconds(processing, kProcessingBoundsNs)},
               {2, 1.5, 8.5, to_seconds(LatencyHistogram{}, kProcessingBoundsNs)}};
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
  EXPECT_EQ(f["sipshunt_network_rx_packets_total"].at({{"network", "wan-v6"}}), 40);
  EXPECT_EQ(f["sipshunt_network_rx_bytes_total"].at({{"network", "wan"}}), 40000);
  EXPECT_EQ(f["sipshunt_network_tx_packets_total"].at({{"network", "wan"}}), 50);
  EXPECT_EQ(f["sipshunt_network_tx_bytes_total"].at({{"network", "wan-v6"}}), 30000);
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
  const std::map<std::string, std::string> b1{{"pool", "core"}, {"backend", "b1"}};
  auto le = [&](std::string bound) {
    auto l = b1;
    l["le"] = std::move(bound);
    return l;
  };
  EXPECT_EQ(f["sipshunt_probe_rtt_seconds"].type, "histogram");
  EXPECT_EQ(f["sipshunt_probe_rtt_seconds_bucket"].at(le("0.00025")), 0);
  EXPECT_EQ(f["sipshunt_probe_rtt_seconds_bucket"].at(le("0.0005")), 1);
  EXPECT_EQ(f["sipshunt_probe_rtt_seconds_bucket"].at(le("0.001")), 2);
  EXPECT_EQ(f["sipshunt_probe_rtt_seconds_bucket"].at(le("2.5")), 2);
  EXPECT_EQ(f["sipshunt_probe_rtt_seconds_bucket"].at(le("+Inf")), 3);
  EXPECT_EQ(f["sipshunt_probe_rtt_seconds_count"].at(b1), 3);
  EXPECT_DOUBLE_EQ(f["sipshunt_probe_rtt_seconds_sum"].at(b1), 9.001);
  // never measured: present, at zero
  EXPECT_EQ(f["sipshunt_probe_rtt_seconds_count"].at({{"pool", "core"}, {"backend", "b\"2"}}), 0);
  EXPECT_EQ(f["sipshunt_probe_timeouts_total"].at({{"pool", "core"}, {"backend", "b\"2"}}), 3);
  EXPECT_EQ(f["sipshunt_reloads_total"].at({{"result", "succeeded"}}), 2);
  EXPECT_EQ(f["sipshunt_reloads_total"].at({{"result", "failed"}}), 1);
  EXPECT_EQ(f["sipshunt_last_reload_successful"].at({}), 0);
  // File and line only: the free-text message is not a label (it is in /status and the log).
  EXPECT_EQ(f["sipshunt_last_reload_error_info"].at({{"file", "/etc/sipshunt/main.rules"}, {"line", "3"}}), 1);
  EXPECT_EQ(f["sipshunt_worker_busy_seconds_total"].at({{"worker", "2"}}), 1.5);
  EXPECT_EQ(f["sipshunt_worker_idle_seconds_total"].at({{"worker", "1"}}), 9);
  EXPECT_EQ(f["sipshunt_sip_processing_seconds_bucket"].at({{"worker", "1"}, {"le", "5e-07"}}), 0);
  EXPECT_EQ(f["sipshunt_sip_processing_seconds_bucket"].at({{"worker", "1"}, {"le", "1e-06"}}), 1);
  EXPECT_EQ(f["sipshunt_sip_processing_seconds_count"].at({{"worker", "2"}}), 0);
  EXPECT_EQ(f["sipshunt_tsc_hertz"].at({}), 2.5e9);
  EXPECT_EQ(f["sipshunt_port_rx_nombuf_total"].at({{"port", "wan"}}), 4);
  EXPECT_EQ(f["sipshunt_port_rx_ring_dropped_total"].at({{"port", "wan"}}), 5);
  EXPECT_EQ(f["process_start_time_seconds"].at({}), 1.7e9);
  EXPECT_EQ(f["process_cpu_seconds_total"].at({}), 1.5);
  EXPECT_EQ(f["process_resident_memory_bytes"].at({}), 5e7);
  EXPECT_EQ(f["process_virtual_memory_bytes"].at({}), 3e10);
  EXPECT_EQ(f["process_open_fds"].at({}), 40);
  EXPECT_EQ(f["process_max_fds"].at({}), 1024);
  EXPECT_EQ(f["sipshunt_snapshot_version"].at({}), 12);
  EXPECT_EQ(f["sipshunt_build_info"].at({{"version", "0.1.0"},
                                         {"revision", "9930e0634541-dirty"},
                                         {"dpdk", "22.11.11"},
                                         {"hyperscan", "5.4.0"}}),
            1);
  for (const auto& [name, fam] : f) {
    EXPECT_TRUE(name.starts_with("sipshunt_") || name.starts_with("process_")) << name;
    EXPECT_EQ(fam.type == "counter", name.ends_with("_total")) << name;
  }
}

// The config `fixture` (pool core) and its rule file `rules_text`, loaded and compiled in `dir`.
struct Loaded {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<const rules::RuleSet> rules;
};
Loaded load(const test_support::TempDir& dir, const test_support::ConfigFixture& fixture, std::string_view rules_text) {
  const auto cfg_path = dir.write("sipshunt.toml", fixture.toml());
  dir.write("main.rules", rules_text);
  auto loaded = config::load_file(cfg_path);
  if (!loaded) throw std::runtime_error(loaded.error().to_string());
  auto cfg = std::make_shared<const config::Config>(*loaded);
  std::vector<std::string> pools{"core"};
  auto rules = rules::RuleSet::compile(cfg->rule_files, pools);
  if (!rules) throw std::runtime_error(rules.error().to_string());
  return {cfg, *rules};
}

// prometheus.io/docs/practices/naming: base units in the name (seconds, bytes, hertz), no cycles
// or other non-base units, lower snake case, `_total` only on counters, no free text in labels.
TEST(Metrics, NamesFollowThePrometheusNamingGuide) {
  auto f = PromParser().parse(render_metrics(sample_snapshot()));
  for (const auto& [name, fam] : f) {
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_"), std::string::npos) << name;
    for (const char* unit : {"cycles", "hz", "ms", "us", "ns", "millis", "milliseconds", "microseconds",
                             "nanoseconds", "minutes", "hours", "percent", "bits", "kilobytes", "megabytes"})
      EXPECT_EQ(("_" + name + "_").find(std::string("_") + unit + "_"), std::string::npos)
          << name << " has a non-base unit: " << unit;
    if (fam.type == "histogram") {
      EXPECT_TRUE(name.ends_with("_seconds")) << name;
    }
    for (const auto& s : fam.samples)
      for (const auto& [label, value] : s.labels) {
        EXPECT_NE(label, "message") << name;
        EXPECT_LE(value.size(), 256u) << name << "{" << label << "}";
      }
  }
}

// Every series an operator may alert on exists from the first scrape, at 0: every reason (data
// plane and proxy), every stateless reply status the config can produce, every backend's
// counters and RTT buckets, every rule.
TEST(Metrics, EverySeriesIsPresentFromTheStart) {
  test_support::TempDir dir;
  const test_support::ConfigFixture fixture{
      .rule_files = {"main.rules"},
      .pools = {{.name = "core",
                 .backends = {{"b1", "198.19.0.11"}, {"b2", "198.19.0.12"}},
                 .health = test_support::ConfigFixture::Health{.enabled = false}}}};
  const Loaded w =
      load(dir, fixture, "rule scanners: header User-Agent ~ /sipvicious/ => reply 403 \"Forbidden\"\nrule rest: any => pool core\n");
  auto snap = proxy::build_snapshot(w.config, w.rules, {}, 1);
  MetricsSnapshot m;
  fill_from(m, *snap, nullptr);  // health checks off: no prober
  auto zero = std::make_unique<proxy::Counters>();
  add_proxy_counters(m, *snap, *zero);
  auto f = PromParser().parse(render_metrics(m));
  for (std::size_t i = 0; i < static_cast<std::size_t>(proxy::Reason::kCount); ++i)
    EXPECT_EQ(f["sipshunt_proxy_decisions_total"].at({{"reason", std::string(proxy::to_string(static_cast<proxy::Reason>(i)))}}), 0);
  for (const char* status : {"400", "403", "404", "420", "483", "503", "505"})
    EXPECT_EQ(f["sipshunt_replies_total"].at({{"status", status}}), 0) << status;
  EXPECT_EQ(f["sipshunt_rule_hits_total"].at({{"rule", "scanners"}}), 0);
  for (const char* b : {"b1", "b2"}) {
    const std::map<std::string, std::string> l{{"pool", "core"}, {"backend", b}};
    EXPECT_EQ(f["sipshunt_backend_forwarded_total"].at(l), 0) << b;
    EXPECT_EQ(f["sipshunt_probes_sent_total"].at(l), 0) << b;
    EXPECT_EQ(f["sipshunt_probe_timeouts_total"].at(l), 0) << b;
    EXPECT_EQ(f["sipshunt_probe_dead_replies_total"].at(l), 0) << b;
    EXPECT_EQ(f["sipshunt_probe_late_replies_total"].at(l), 0) << b;
    EXPECT_EQ(f["sipshunt_probe_rtt_seconds_count"].at(l), 0) << b;
    auto inf = l;
    inf["le"] = "+Inf";
    EXPECT_EQ(f["sipshunt_probe_rtt_seconds_bucket"].at(inf), 0) << b;
  }
}

TEST(Metrics, ProcessMetricsComeFromProcSelf) {
  const auto p = read_process_metrics();
  ASSERT_TRUE(p.has_value());
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(p->start_time_seconds, now + 1);
  EXPECT_GT(p->start_time_seconds, now - 3600);  // this test started less than an hour ago
  EXPECT_GT(p->resident_bytes, 1e6);
  EXPECT_GE(p->virtual_bytes, p->resident_bytes);
  EXPECT_GE(p->open_fds, 3);  // stdin, stdout, stderr
  EXPECT_GE(p->max_fds, p->open_fds);
  EXPECT_GE(p->cpu_seconds, 0);
  // CPU time grows with work.
  volatile double x = 0;
  for (int i = 0; i < 50'000'000; ++i) x = x + i * 1e-9;
  EXPECT_GT(read_process_metrics()->cpu_seconds, p->cpu_seconds);
}

TEST(Exposition, HistogramSeries) {
  Exposition e;
  EXPECT_THROW(e.family("x_total", MetricType::kHistogram, "x"), std::invalid_argument);
  EXPECT_THROW(e.family("x_count", MetricType::kHistogram, "x"), std::invalid_argument);
  e.family("x_seconds", MetricType::kHistogram, "X.");
  EXPECT_THROW(e.sample(1.0), std::logic_error);  // a histogram has no plain samples
  e.histogram({{"w", "0"}}, HistogramValue{{0.001, 0.01}, {1, 2, 3}, 0.5});
  EXPECT_EQ(e.text(),
            "# HELP x_seconds X.\n"
            "# TYPE x_seconds histogram\n"
            "x_seconds_bucket{w=\"0\",le=\"0.001\"} 1\n"
            "x_seconds_bucket{w=\"0\",le=\"0.01\"} 3\n"
            "x_seconds_bucket{w=\"0\",le=\"+Inf\"} 6\n"
            "x_seconds_sum{w=\"0\"} 0.5\n"
            "x_seconds_count{w=\"0\"} 6\n");
  EXPECT_NO_THROW(PromParser().parse(e.text()));
  // and the parser rejects a histogram whose buckets are not cumulative
  EXPECT_ANY_THROW(PromParser().parse("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
                                      "h_sum 1\nh_count 1\n"));
  EXPECT_ANY_THROW(PromParser().parse("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n"));
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
  const Loaded w = load(dir, fixture, "rule scanners: header User-Agent ~ /sipvicious/ => drop\nrule rest: any => pool core\n");
  health::Prober prober(*w.config, {.nonce = 5}, 0);
  auto t = prober.tick(0);
  ASSERT_EQ(t.probes.size(), 2u);
  (void)prober.tick(60'000'000);  // both time out: fall 1 -> down
  auto snap = proxy::build_snapshot(w.config, w.rules, {{"b1", prober.up("b1"), config::AdminState::kEnabled}}, 3);

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
