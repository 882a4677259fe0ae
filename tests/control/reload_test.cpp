// Reload orchestration: a broken file changes nothing and names file:line:col; a good one
// carries health and admin states over by backend name.
#include <gtest/gtest.h>

#include "sipshunt/control/reload.hpp"
#include "sipshunt/control/status.hpp"
#include "json_parser.hpp"
#include "support/config_fixture.hpp"
#include "support/temp_dir.hpp"

namespace sipshunt::control {
namespace {

constexpr std::uint64_t kMs = 1'000'000;

using Backend = test_support::ConfigFixture::Backend;

// Pool core probed every 100 ms (timeout 50 ms, fall 1, rise 2); `tail` is appended as is.
std::string config_text(std::vector<Backend> backends, std::string_view tail = "", std::string_view self = "198.18.0.1") {
  return test_support::ConfigFixture{
      .address = std::string(self),
      .rule_files = {"main.rules"},
      .pools = {{.name = "core",
                 .backends = std::move(backends),
                 .health = test_support::ConfigFixture::Health{.interval_ms = 100, .timeout_ms = 50, .fall = 1, .rise = 2}}},
      .tail = std::string(tail)}
      .toml();
}

struct World {
  test_support::TempDir dir;
  std::filesystem::path config;
  Result<Reload, ReloadError> running = ReloadError{};

  World() {
    config = dir.write("sipshunt.toml", config_text({{"b1", "198.19.0.11"},
                                                    {"b2", "198.19.0.12"},
                                                    {.name = "b3", .address = "198.19.0.13", .state = "drained"}}));
    dir.write("main.rules", "rule scanners: header User-Agent ~ /sipvicious/ => drop\nrule rest: any => pool core\n");
    ReloadInput in;
    in.path = config;
    in.prober_options.nonce = 77;
    running = prepare_reload(in);
  }
  // Makes b2 fail its probes (fall 1): the running prober marks it down.
  void b2_goes_down() {
    auto t = running->prober->tick(1 * kMs);
    ASSERT_EQ(t.probes.size(), 3u);
    for (const auto& p : t.probes) {
      if (running->prober->backends()[p.backend].name == "b2") continue;
      health::ReplyEvent ev;
      ev.backend = p.backend;
      ev.seq = *running->prober->backends()[p.backend].pending_seq;
      ev.status = 200;
      ev.rx_ns = 2 * kMs;
      ASSERT_EQ(running->prober->on_reply(ev), health::ReplyOutcome::kAlive);
    }
    (void)running->prober->tick(60 * kMs);
    ASSERT_FALSE(running->prober->up("b2"));
    ASSERT_TRUE(running->prober->up("b1"));
  }
  Result<Reload, ReloadError> reload(std::uint64_t version = 2) {
    ReloadInput in;
    in.path = config;
    in.running = running->snapshot.get();
    in.prober = running->prober.get();
    in.now_ns = 70 * kMs;
    in.version = version;
    return prepare_reload(in);
  }
};

const proxy::BackendView* backend(const proxy::Snapshot& s, std::string_view name) {
  for (const auto& b : s.backends)
    if (b.name == name) return &b;
  return nullptr;
}

TEST(Reload, InitialLoadBuildsEverything) {
  World w;
  ASSERT_TRUE(w.running) << w.running.error().to_string();
  ASSERT_TRUE(w.running->snapshot);
  EXPECT_EQ(w.running->snapshot->version, 1u);
  EXPECT_EQ(w.running->snapshot->backends.size(), 3u);
  EXPECT_EQ(w.running->snapshot->rule_views.size(), 2u);
  EXPECT_EQ(w.running->prober->backends().size(), 3u);
  EXPECT_EQ(w.running->prober->codec().nonce(), 77u);
  EXPECT_EQ(backend(*w.running->snapshot, "b3")->admin, config::AdminState::kDrained);
  EXPECT_TRUE(backend(*w.running->snapshot, "b1")->up);  // InitialState::kUp
  EXPECT_TRUE(w.running->changes.empty());
}

TEST(Reload, BrokenRuleFileKeepsRunningStateAndReportsFileLineColumn) {
  World w;
  w.b2_goes_down();
  const auto* snap_before = w.running->snapshot.get();
  const auto probes_before = w.running->prober->backends()[0].probes_sent;
  // line 2: a pool that does not exist
  const auto rules = w.dir.write("main.rules", "rule scanners: header User-Agent ~ /sipvicious/ => drop\nrule rest: any => pool nowhere\n");
  auto r = w.reload();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ReloadErrorKind::kInvalid);
  EXPECT_EQ(r.error().file, rules.string());
  EXPECT_EQ(r.error().line, 2u);
  EXPECT_GT(r.error().column, 0u);
  EXPECT_NE(r.error().message.find("nowhere"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().to_string().rfind(rules.string() + ":2:", 0), 0u) << r.error().to_string();
  EXPECT_FALSE(r);  // a refused reload carries only its error (Result<Reload, ReloadError>)
  // untouched
  EXPECT_EQ(w.running->snapshot.get(), snap_before);
  EXPECT_FALSE(w.running->prober->up("b2"));
  EXPECT_EQ(w.running->prober->backends()[0].probes_sent, probes_before);

  // a regex that does not compile: also positioned
  w.dir.write("main.rules", "rule rest: any => pool core\nrule bad: ruri ~ /([a-z/ => drop\n");
  r = w.reload();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().line, 2u);
  EXPECT_GT(r.error().column, 0u);
}

TEST(Reload, BrokenConfigReportsItsPosition) {
  World w;
  w.dir.write("sipshunt.toml", config_text({{"b1", "198.19.0.11"}, {"b9", "not-an-ip"}}));
  auto r = w.reload();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ReloadErrorKind::kInvalid);
  EXPECT_EQ(r.error().file, w.config.string());
  EXPECT_GT(r.error().line, 10u);
  w.dir.write("sipshunt.toml", "[proxy\n");
  r = w.reload();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().line, 1u);
  std::filesystem::remove(w.config);
  r = w.reload();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().file, w.config.string());
}

TEST(Reload, SurvivorsKeepHealthNewBackendsStartPerPolicy) {
  World w;
  w.b2_goes_down();
  // b1 removed, b4 added, b2 and b3 reordered
  w.dir.write("sipshunt.toml", config_text({{.name = "b3", .address = "198.19.0.13", .state = "drained"},
                                            {"b2", "198.19.0.12"},
                                            {"b4", "198.19.0.14"}}));
  auto r = w.reload(5);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->snapshot->version, 5u);
  EXPECT_EQ(backend(*r->snapshot, "b1"), nullptr);
  EXPECT_FALSE(backend(*r->snapshot, "b2")->up);  // carried over: still down
  EXPECT_TRUE(backend(*r->snapshot, "b4")->up);   // new: up at once (InitialState::kUp)
  EXPECT_FALSE(r->prober->up("b2"));
  EXPECT_EQ(r->prober->backends()[1].name, "b2");
  EXPECT_GT(r->prober->backends()[1].probes_sent, 0u);  // counters carried
  // The running prober itself was not changed (it was copied).
  EXPECT_TRUE(w.running->prober->find("b1").has_value());
  EXPECT_FALSE(w.running->prober->find("b4").has_value());
  // b2 is down: only b3 (drained: no new calls) and b4... so b4 is the only usable backend
  ASSERT_EQ(r->snapshot->pools.size(), 1u);
  EXPECT_EQ(r->snapshot->pools[0].usable.size(), 1u);
  std::vector<std::string> changes = r->changes;
  EXPECT_NE(std::find(changes.begin(), changes.end(), "backend b4 added to pool core"), changes.end());
  EXPECT_NE(std::find(changes.begin(), changes.end(), "backend b1 removed"), changes.end());
}

TEST(Reload, AdminStateFromTheApiSurvivesUnlessTheFileChangesIt) {
  World w;
  // The operator drained b1 and enabled b3 through the API: control rebuilt the snapshot.
  std::vector<proxy::BackendState> states = {{"b1", true, config::AdminState::kDrained},
                                             {"b2", true, config::AdminState::kEnabled},
                                             {"b3", true, config::AdminState::kEnabled}};
  w.running->snapshot = proxy::build_snapshot(w.running->config, w.running->rules, states, 2);
  // Reload of an unchanged file: API states kept.
  auto r = w.reload(3);
  ASSERT_TRUE(r);
  EXPECT_EQ(backend(*r->snapshot, "b1")->admin, config::AdminState::kDrained);
  EXPECT_EQ(backend(*r->snapshot, "b3")->admin, config::AdminState::kEnabled);
  // The file now says b1 is disabled: the file's change wins for b1; b3 keeps the API state.
  w.dir.write("sipshunt.toml", config_text({{.name = "b1", .address = "198.19.0.11", .state = "disabled"},
                                            {"b2", "198.19.0.12"},
                                            {.name = "b3", .address = "198.19.0.13", .state = "drained"}}));
  r = w.reload(4);
  ASSERT_TRUE(r);
  EXPECT_EQ(backend(*r->snapshot, "b1")->admin, config::AdminState::kDisabled);
  EXPECT_EQ(backend(*r->snapshot, "b2")->admin, config::AdminState::kEnabled);
  EXPECT_EQ(backend(*r->snapshot, "b3")->admin, config::AdminState::kEnabled);
}

TEST(Reload, RestartOnlySettingsAreRefused) {
  World w;
  w.dir.write("sipshunt.toml", config_text({{"b1", "198.19.0.11"}}, "", "198.18.0.2"));
  auto r = w.reload();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ReloadErrorKind::kRestartRequired);
  EXPECT_NE(r.error().message.find("[proxy] address/port"), std::string::npos);
  EXPECT_EQ(r.error().line, 0u);
  EXPECT_EQ(r.error().to_string(), w.config.string() + ": " + r.error().message);
  w.dir.write("sipshunt.toml", config_text({{"b1", "198.19.0.11"}}, "[admin]\nport = 9999\n"));
  r = w.reload();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("[admin]"), std::string::npos);
  w.dir.write("sipshunt.toml", config_text({{"b1", "198.19.0.11"}}, "[dpdk]\nworkers = 3\n"));
  r = w.reload();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("[dpdk] workers"), std::string::npos);
  w.dir.write("sipshunt.toml", config_text({{"b1", "198.19.0.11"}}, "[hep]\naddress = \"192.0.2.10:9060\"\n"));
  r = w.reload();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("[hep]"), std::string::npos);
  // and the same change is fine at start (nothing running)
  ReloadInput in;
  in.path = w.config;
  EXPECT_TRUE(prepare_reload(in));
}

TEST(Reload, StatusJsonDescribesTheSnapshot) {
  World w;
  w.b2_goes_down();
  ReloadMetrics rm;
  rm.generation = 4;
  rm.failed = 1;
  rm.last_error = ReloadError{ReloadErrorKind::kInvalid, "/x/main.rules", 2, 24, "unknown pool \"nowhere\""};
  auto snap = proxy::build_snapshot(w.running->config, w.running->rules,
                                    {{"b2", false, config::AdminState::kEnabled}}, 9);
  const std::string text = render_status(*snap, w.running->prober.get(), rm);
  test::Json j = test::JsonParser::parse(text);
  EXPECT_EQ(j["version"].n, 9);
  EXPECT_EQ(j["generation"].n, 4);
  EXPECT_EQ(j["config"].s, w.config.string());
  EXPECT_EQ(j["rules"]["count"].n, 2);
  EXPECT_EQ(j["rules"]["names"][1].s, "rest");
  const auto& pool = j["pools"][0];
  EXPECT_EQ(pool["name"].s, "core");
  EXPECT_EQ(pool["usable"].n, 1);  // b1 (b2 down, b3 drained)
  EXPECT_EQ(pool["backends"][0]["name"].s, "b1");
  EXPECT_EQ(pool["backends"][0]["address"].s, "198.19.0.11:5060");
  EXPECT_TRUE(pool["backends"][0]["up"].b);
  EXPECT_EQ(pool["backends"][0]["health"]["rtt_ms"].n, 1.0);  // sent at 1 ms, answered at 2 ms
  EXPECT_EQ(pool["backends"][0]["health"]["last_status"].n, 200);
  EXPECT_FALSE(pool["backends"][1]["up"].b);
  EXPECT_TRUE(pool["backends"][1]["health"]["rtt_ms"].is_null());
  EXPECT_EQ(pool["backends"][1]["health"]["timeouts"].n, 1);
  EXPECT_EQ(pool["backends"][2]["admin"].s, "drained");
  EXPECT_FALSE(pool["backends"][2]["usable"].b);
  EXPECT_EQ(j["reloads"]["last_error"]["text"].s, "/x/main.rules:2:24: unknown pool \"nowhere\"");
  EXPECT_EQ(j["reloads"]["failed"].n, 1);
}

}  // namespace
}  // namespace sipshunt::control
