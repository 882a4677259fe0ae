// The controller over a fake data plane: probes out, replies in through the real codec and
// mailbox, state changes published, admin actions and reloads, counters by name, the HTTP API.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "json_parser.hpp"
#include "prom_parser.hpp"
#include "sipshunt/control/controller.hpp"
#include "sipshunt/balance/maglev.hpp"
#include "sipshunt/health/post_reply.hpp"
#include "support/config_fixture.hpp"
#include "support/temp_dir.hpp"

namespace sipshunt::control {
namespace {

constexpr std::uint64_t kMs = 1'000'000;

// Pool core of b1..bN at 198.18.0.21.., probed every 100 ms (timeout 50 ms, fall 3, rise 2).
test_support::ConfigFixture config_fixture(int backends) {
  return {.rule_files = {"main.rules"},
          .pools = {{.name = "core",
                     .backends = test_support::numbered_backends(backends, "198.18.0.21"),
                     .health = test_support::ConfigFixture::Health{.interval_ms = 100, .timeout_ms = 50, .fall = 3, .rise = 2}}}};
}
std::string config_text(int backends) { return config_fixture(backends).toml(); }

constexpr std::string_view kRules = "rule scanners: header User-Agent ~ /sipvicious/ => drop\nrule rest: any => pool core\n";

// What a UAS answers to an OPTIONS: the request's Via, From, Call-ID, CSeq, a To tag.
std::string answer(const std::string& probe, int status) {
  std::string r = "SIP/2.0 ";
  r.append(std::to_string(status)).append(" Whatever\r\n");
  std::size_t pos = probe.find("\r\n") + 2;
  while (pos < probe.size()) {
    const std::size_t end = probe.find("\r\n", pos);
    std::string line = probe.substr(pos, end - pos);
    pos = end + 2;
    if (line.empty()) break;
    if (line.rfind("To:", 0) == 0) line += ";tag=x";
    if (line.rfind("Via:", 0) == 0 || line.rfind("From:", 0) == 0 || line.rfind("To:", 0) == 0 ||
        line.rfind("Call-ID:", 0) == 0 || line.rfind("CSeq:", 0) == 0)
      r.append(line).append("\r\n");
  }
  r += "Content-Length: 0\r\n\r\n";
  return r;
}

struct FakeDataPlane {
  std::vector<std::shared_ptr<const proxy::Snapshot>> published;
  std::vector<std::pair<Endpoint, std::string>> sent;
  std::unique_ptr<proxy::Counters> counters = std::make_unique<proxy::Counters>();
  bool refuse_sends = false;
  bool stalled = false;                 // the worker is not polling: no loops, no replies read
  std::vector<std::uint64_t> loops{0};

  DataPlaneSeams seams() {
    DataPlaneSeams s;
    s.publish = [this](std::shared_ptr<const proxy::Snapshot> snap) -> Result<void> {
      published.push_back(std::move(snap));
      return {};
    };
    s.send_udp = [this](const Endpoint& to, std::string_view payload) {
      if (refuse_sends) return false;
      sent.emplace_back(to, std::string(payload));
      return true;
    };
    s.proxy_totals = [this](proxy::Counters& c) { c = *counters; };
    s.worker_loops = [this](std::vector<std::uint64_t>& l) { l = loops; };
    s.dataplane_metrics = [](MetricsSnapshot& m) {
      m.ports.push_back({"lan", 10, 1000, 9, 900, 0, 0, 0});
      m.verdicts = {{"forward", 9}, {"reply", 0}, {"drop", 1}, {"probe-reply", 0}};
    };
    return s;
  }
};

// A world: config files, a controller attached to a fake data plane, backends that answer
// probes (or not) after 1 ms, and a 1 ms clock.
struct World {
  test_support::TempDir dir;
  std::filesystem::path config;
  FakeDataPlane dp;
  std::unique_ptr<Controller> ctl;
  std::set<std::string> dead;  // backend addresses that do not answer
  std::multimap<std::uint64_t, std::string> replies;  // delivery time -> datagram
  std::uint64_t now = 0;

  explicit World(int backends = 3, ControllerOptions o = {}) {
    config = dir.write("sipshunt.toml", config_text(backends));
    dir.write("main.rules", kRules);
    o.prober.nonce = 0xfeed;
    if (!o.admin_port) o.admin_api = false;
    auto loaded = Controller::load(config, o, 0);
    if (!loaded) throw std::runtime_error(loaded.error().to_string());
    ctl = std::move(*loaded);
    if (const Result<void> attached = ctl->attach(dp.seams()); !attached)
      throw std::runtime_error(attached.error().to_string());
  }
  void step() {
    now += kMs;
    if (!dp.stalled) {
      // The worker polls: it reads what arrived (stamping it now) and counts its iterations.
      for (auto it = replies.begin(); it != replies.end() && it->first <= now;) {
        (void)health::post_reply(ctl->codec(), ctl->mailbox(), it->second.data(), it->second.size(), now);
        it = replies.erase(it);
      }
      dp.loops[0] += 1000;
    }
    const std::size_t before = dp.sent.size();
    ctl->tick(now);
    for (std::size_t i = before; i < dp.sent.size(); ++i)
      if (!dead.count(dp.sent[i].first.ip.to_string())) replies.emplace(now + kMs, answer(dp.sent[i].second, 200));
  }
  void run_until(std::uint64_t t) {
    while (now < t) step();
  }
  // Runs until `pred` holds; returns the time it took, or nullopt after `limit`.
  template <typename P>
  std::optional<std::uint64_t> run_until_true(P pred, std::uint64_t limit) {
    const std::uint64_t t0 = now;
    while (now - t0 < limit) {
      step();
      if (pred()) return now - t0;
    }
    return std::nullopt;
  }
  const proxy::BackendView& backend(std::string_view name) const {
    for (const auto& b : ctl->snapshot()->backends)
      if (b.name == name) return b;
    throw std::runtime_error("no backend");
  }
};

// The backend name each Call-ID maps to in `s` (pool 0).
std::vector<std::string> owners(const proxy::Snapshot& s, int n) {
  std::vector<std::string> out;
  const auto& pool = s.pools[0];
  for (int i = 0; i < n; ++i) {
    const std::string cid = std::string("call-").append(std::to_string(i)).append("@198.18.0.10");
    const std::int32_t k = pool.table.lookup(balance::call_id_hash(cid));
    out.push_back(k < 0 ? std::string("-") : s.backends[pool.members[static_cast<std::size_t>(k)]].name);
  }
  return out;
}

TEST(Controller, AnsweringBackendsStayUpAndNothingIsRepublished) {
  World w;
  w.run_until(1000 * kMs);
  EXPECT_EQ(w.dp.sent.size(), 33u);  // 3 backends: at 1 ms, then 100, 200, ... 1000 ms
  EXPECT_TRUE(w.dp.published.empty());
  for (const auto& b : w.ctl->prober().backends()) {
    EXPECT_TRUE(b.up);
    EXPECT_EQ(b.replies_alive, 10u);
    EXPECT_EQ(b.last_rtt_ns, 1 * kMs);
  }
  EXPECT_EQ(w.dp.sent[0].first.to_string(), "198.18.0.21:5060");
  EXPECT_NE(w.dp.sent[0].second.find("Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK000000000000feed."), std::string::npos);
}

TEST(Controller, DeadBackendIsRemovedWithinTheBoundAndOnlyItsCallsMove) {
  World w;
  w.run_until(1000 * kMs);
  const auto before = owners(*w.ctl->snapshot(), 30000);
  w.dead.insert("198.18.0.22");
  const auto took = w.run_until_true([&] { return !w.backend("b2").up; }, 2000 * kMs);
  ASSERT_TRUE(took.has_value());
  EXPECT_LE(*took, (3 * 100 + 50) * kMs + kMs);  // fall x interval + timeout (+ one tick)
  ASSERT_EQ(w.dp.published.size(), 1u);
  EXPECT_EQ(w.dp.published.back(), w.ctl->snapshot());
  const auto after = owners(*w.ctl->snapshot(), 30000);
  std::size_t moved = 0, b2 = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (before[i] == "b2") {
      ++b2;
      EXPECT_NE(after[i], "b2");
    } else {
      EXPECT_EQ(after[i], before[i]) << "a call of a surviving backend moved";
    }
    moved += before[i] != after[i];
  }
  EXPECT_EQ(moved, b2);
  EXPECT_NEAR(static_cast<double>(b2) / 30000, 1.0 / 3, 0.02);

  // Back: rise 2 successes, and every call returns where it was.
  w.dead.clear();
  const auto back = w.run_until_true([&] { return w.backend("b2").up; }, 2000 * kMs);
  ASSERT_TRUE(back.has_value());
  EXPECT_LE(*back, 2 * 100 * kMs + 2 * kMs);
  EXPECT_EQ(owners(*w.ctl->snapshot(), 30000), before);
}

TEST(Controller, AStalledWorkerIsNotBlamedOnTheBackends) {
  World w;
  w.run_until(500 * kMs);
  w.dp.stalled = true;  // e.g. the worker's CPU was taken away for 2 s
  w.run_until(2500 * kMs);
  for (const auto& b : w.ctl->prober().backends()) {
    EXPECT_TRUE(b.up) << b.name;
    EXPECT_EQ(b.timeouts, 0u) << b.name;
  }
  EXPECT_TRUE(w.dp.published.empty());
  w.dp.stalled = false;  // it catches up: the replies it held are read, late but not lost
  w.run_until(3000 * kMs);
  for (const auto& b : w.ctl->prober().backends()) EXPECT_TRUE(b.up) << b.name;
  EXPECT_TRUE(w.dp.published.empty());
  // ... while a backend that is really silent is still found, within the usual bound.
  w.dead.insert("198.18.0.21");
  const auto took = w.run_until_true([&] { return !w.backend("b1").up; }, 2000 * kMs);
  ASSERT_TRUE(took.has_value());
  EXPECT_LE(*took, (3 * 100 + 50) * kMs + 2 * kMs);
}

TEST(Controller, AdminActionsPublishAndUnknownBackendIsReported) {
  World w;
  EXPECT_EQ(w.ctl->set_admin("b1", BackendAction::kDrain), ActionOutcome::kOk);
  EXPECT_EQ(w.backend("b1").admin, config::AdminState::kDrained);
  EXPECT_FALSE(w.backend("b1").usable());
  EXPECT_TRUE(w.backend("b1").accepts_pinned());  // in-dialog requests still reach it
  EXPECT_EQ(w.dp.published.size(), 1u);
  for (const auto& o : owners(*w.ctl->snapshot(), 3000)) EXPECT_NE(o, "b1");
  EXPECT_EQ(w.ctl->set_admin("b1", BackendAction::kDisable), ActionOutcome::kOk);
  EXPECT_FALSE(w.backend("b1").accepts_pinned());
  EXPECT_EQ(w.ctl->set_admin("b1", BackendAction::kEnable), ActionOutcome::kOk);
  EXPECT_TRUE(w.backend("b1").usable());
  EXPECT_EQ(w.ctl->set_admin("nope", BackendAction::kDrain), ActionOutcome::kUnknownBackend);
  EXPECT_EQ(w.dp.published.size(), 3u);
  // an admin state survives a health change of another backend
  w.ctl->set_admin("b3", BackendAction::kDrain);
  w.dead.insert("198.18.0.21");
  w.run_until(1000 * kMs);
  EXPECT_FALSE(w.backend("b1").up);
  EXPECT_EQ(w.backend("b3").admin, config::AdminState::kDrained);
}

TEST(Controller, BrokenReloadKeepsEverythingAndIsReportedEverywhere) {
  World w;
  w.ctl->set_admin("b3", BackendAction::kDrain);
  const auto snap = w.ctl->snapshot();
  const auto rules = w.dir.write("main.rules", "rule rest: any => pool core\nrule oops: method INVITE and => drop\n");
  ReloadOutcome r = w.ctl->reload(w.now);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->file, rules.string());
  EXPECT_EQ(r.error->line, 2u);
  EXPECT_GT(r.error->column, 0u);
  EXPECT_EQ(w.ctl->snapshot(), snap);
  EXPECT_EQ(w.dp.published.size(), 1u);  // only the drain
  auto f = test::PromParser().parse(w.ctl->metrics());
  EXPECT_EQ(f["sipshunt_reloads_total"].at({{"result", "failed"}}), 1);
  EXPECT_EQ(f["sipshunt_last_reload_successful"].at({}), 0);
  ASSERT_EQ(f["sipshunt_last_reload_error_info"].samples.size(), 1u);
  EXPECT_EQ(f["sipshunt_last_reload_error_info"].samples[0].labels.at("file"), rules.string());
  EXPECT_EQ(f["sipshunt_last_reload_error_info"].samples[0].labels.at("line"), "2");
  auto j = test::JsonParser::parse(w.ctl->status());
  EXPECT_EQ(j["reloads"]["last_error"]["line"].n, 2);

  // Fixed: the reload goes through, the drain survives, the error is cleared.
  w.dir.write("main.rules", kRules);
  r = w.ctl->reload(w.now);
  ASSERT_FALSE(r.error.has_value()) << r.error->to_string();
  EXPECT_EQ(r.generation, 2u);
  EXPECT_EQ(w.backend("b3").admin, config::AdminState::kDrained);
  f = test::PromParser().parse(w.ctl->metrics());
  EXPECT_EQ(f["sipshunt_reloads_total"].at({{"result", "succeeded"}}), 1);
  EXPECT_EQ(f["sipshunt_last_reload_successful"].at({}), 1);
  EXPECT_TRUE(f["sipshunt_last_reload_error_info"].samples.empty());
}

TEST(Controller, ReloadAddingABackendMovesAboutOneNth) {
  World w;
  w.run_until(300 * kMs);
  const auto before = owners(*w.ctl->snapshot(), 40000);
  w.dir.write("sipshunt.toml", config_text(4));
  ReloadOutcome r = w.ctl->reload(w.now);
  ASSERT_FALSE(r.error.has_value()) << r.error->to_string();
  const auto after = owners(*w.ctl->snapshot(), 40000);
  // A config change re-runs Maglev's base layer: about 1/N moves, nearly all of it to the new
  // backend (a few keys shuffle between the old ones: Maglev's near-minimal disruption).
  std::size_t moved = 0, to_b4 = 0;
  for (std::size_t i = 0; i < before.size(); ++i)
    if (before[i] != after[i]) {
      ++moved;
      to_b4 += after[i] == "b4";
    }
  EXPECT_NEAR(static_cast<double>(to_b4) / 40000, 0.25, 0.02);
  EXPECT_LE(static_cast<double>(moved) / 40000, 0.25 + 0.03);
  RecordProperty("moved_fraction", std::to_string(static_cast<double>(moved) / 40000));
  RecordProperty("moved_to_new_fraction", std::to_string(static_cast<double>(to_b4) / 40000));
  // the new backend is probed and stays up
  w.run_until(w.now + 500 * kMs);
  EXPECT_TRUE(w.backend("b4").up);
  EXPECT_GT(w.ctl->prober().backends()[3].replies_alive, 3u);
}

TEST(Controller, SurvivorsKeepTheirHealthAcrossAReload) {
  World w;
  w.dead.insert("198.18.0.22");
  w.run_until(1000 * kMs);
  ASSERT_FALSE(w.backend("b2").up);
  w.dir.write("sipshunt.toml", config_text(4));
  ASSERT_FALSE(w.ctl->reload(w.now).error.has_value());
  EXPECT_FALSE(w.backend("b2").up);  // not reset to up by the reload
  EXPECT_TRUE(w.backend("b4").up);
  w.run_until(w.now + 500 * kMs);
  EXPECT_FALSE(w.backend("b2").up);
}

TEST(Controller, ForwardCountersFollowBackendNamesAcrossAReorderingReload) {
  World w;
  w.dp.counters->by_backend[0] = 100;  // b1
  w.dp.counters->by_backend[1] = 200;  // b2
  w.dp.counters->by_backend[2] = 300;  // b3
  w.dp.counters->by_rule[1] = 600;     // rest
  // New order: b3, b1 (b2 removed).
  test_support::ConfigFixture reordered = config_fixture(0);
  reordered.pools[0].backends = {{"b3", "198.18.0.23"}, {"b1", "198.18.0.21"}};
  w.dir.write("sipshunt.toml", reordered.toml());
  w.dir.write("main.rules", std::string("rule first: method REGISTER => drop\n").append(kRules));
  ASSERT_FALSE(w.ctl->reload(w.now).error.has_value());
  // The workers keep counting by index under the new snapshot: index 0 is now b3.
  w.dp.counters->by_backend[0] += 5;
  w.dp.counters->by_backend[1] += 7;
  w.dp.counters->by_rule[2] += 9;  // "rest" is now rule 2
  auto f = test::PromParser().parse(w.ctl->metrics());
  const auto& fwd = f["sipshunt_backend_forwarded_total"];
  EXPECT_EQ(fwd.at({{"pool", "core"}, {"backend", "b3"}}), 305);
  EXPECT_EQ(fwd.at({{"pool", "core"}, {"backend", "b1"}}), 107);
  EXPECT_FALSE(fwd.has({{"pool", "core"}, {"backend", "b2"}}));
  EXPECT_EQ(f["sipshunt_rule_hits_total"].at({{"rule", "rest"}}), 609);
  EXPECT_EQ(f["sipshunt_rule_hits_total"].at({{"rule", "first"}}), 0);
  EXPECT_EQ(f["sipshunt_port_rx_packets_total"].at({{"port", "lan"}}), 10);
  EXPECT_EQ(f["sipshunt_sip_messages_total"].at({{"verdict", "drop"}}), 1);
}

TEST(Controller, LoadFailureNamesThePosition) {
  test_support::TempDir dir;
  const auto cfg = dir.write("sipshunt.toml", config_text(2));
  const auto rules = dir.write("main.rules", "rule rest: any => pool elsewhere\n");
  auto ctl = Controller::load(cfg, {}, 0);
  ASSERT_FALSE(ctl);
  EXPECT_EQ(ctl.error().file, rules.string());
  EXPECT_EQ(ctl.error().line, 1u);
}

TEST(Controller, ProbesTheDataPlaneRefusesAreCounted) {
  World w;
  w.dp.refuse_sends = true;
  w.run_until(250 * kMs);
  EXPECT_EQ(w.ctl->probes_not_sent(), 9u);
  auto f = test::PromParser().parse(w.ctl->metrics());
  EXPECT_EQ(f["sipshunt_drops_total"].at({{"reason", "probe-not-sent"}}), 9);
}

// The whole API over HTTP, served from the control loop (this thread) while a client runs.
TEST(Controller, HttpApiEndToEnd) {
  ControllerOptions o;
  o.admin_port = 0;
  World w(3, o);
  ASSERT_NE(w.ctl->admin_port(), 0);
  std::atomic<bool> done{false};
  std::map<std::string, int> codes;
  std::string metrics_body, status_body, reload_body;
  std::thread client([&] {
    httplib::Client c("127.0.0.1", w.ctl->admin_port());
    c.set_read_timeout(20, 0);
    if (auto r = c.Post("/backends/b2/drain")) codes["drain"] = r->status;
    if (auto r = c.Post("/backends/zz/drain")) codes["unknown"] = r->status;
    if (auto r = c.Get("/backends/b2/drain")) codes["get-drain"] = r->status;
    if (auto r = c.Get("/metrics")) {
      codes["metrics"] = r->status;
      metrics_body = r->body;
    }
    if (auto r = c.Get("/status")) {
      codes["status"] = r->status;
      status_body = r->body;
    }
    w.dir.write("main.rules", "rule rest: any => pool nowhere\n");
    if (auto r = c.Post("/reload")) {
      codes["reload-broken"] = r->status;
      reload_body = r->body;
    }
    w.dir.write("main.rules", kRules);
    if (auto r = c.Post("/reload")) codes["reload"] = r->status;
    done = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done && std::chrono::steady_clock::now() < deadline) {
    w.step();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  client.join();
  EXPECT_EQ(codes["drain"], 200);
  EXPECT_EQ(codes["unknown"], 404);
  EXPECT_EQ(codes["get-drain"], 405);
  EXPECT_EQ(codes["metrics"], 200);
  EXPECT_EQ(codes["status"], 200);
  EXPECT_EQ(codes["reload-broken"], 422);
  EXPECT_EQ(codes["reload"], 200);
  auto f = test::PromParser().parse(metrics_body);
  EXPECT_EQ(f["sipshunt_backend_admin_state"].at({{"pool", "core"}, {"backend", "b2"}, {"state", "drained"}}), 1);
  EXPECT_EQ(f["sipshunt_backend_up"].at({{"pool", "core"}, {"backend", "b1"}}), 1);
  auto s = test::JsonParser::parse(status_body);
  EXPECT_EQ(s["pools"][0]["backends"][1]["admin"].s, "drained");
  auto rb = test::JsonParser::parse(reload_body);
  EXPECT_EQ(rb["line"].n, 1);
  EXPECT_EQ(rb["file"].s, (w.dir.path() / "main.rules").string());
  EXPECT_EQ(w.backend("b2").admin, config::AdminState::kDrained);  // survived the good reload
  EXPECT_EQ(w.ctl->reloads().generation, 2u);
}

}  // namespace
}  // namespace sipshunt::control
