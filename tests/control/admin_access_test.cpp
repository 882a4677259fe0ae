// Who may change state through the admin API (the bearer token) and whether the instance should
// receive traffic (readiness): the pieces alone, then over HTTP.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <map>
#include <thread>

#include "json_parser.hpp"
#include "prom_parser.hpp"
#include "sipshunt/control/bearer.hpp"
#include "sipshunt/control/controller.hpp"
#include "sipshunt/control/readiness.hpp"
#include "sipshunt/control/server.hpp"
#include "sipshunt/proxy/proxy.hpp"
#include "support/config_fixture.hpp"
#include "support/temp_dir.hpp"

namespace sipshunt::control {
namespace {

TEST(Bearer, ConstantTimeEqualIsEquality) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_FALSE(constant_time_equal("ab", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", ""));
  EXPECT_FALSE(constant_time_equal("", "abc"));
  EXPECT_FALSE(constant_time_equal("abcabc", "abc"));  // the wrap-around in the loop is not a match
  EXPECT_FALSE(constant_time_equal(std::string_view("a\0", 2), "a"));
}

TEST(Bearer, HeaderMustCarryExactlyTheToken) {
  EXPECT_TRUE(bearer_matches("Bearer s3cret", "s3cret"));
  EXPECT_TRUE(bearer_matches("bearer s3cret", "s3cret"));   // the scheme is case-insensitive
  EXPECT_TRUE(bearer_matches("BEARER   s3cret ", "s3cret"));
  EXPECT_FALSE(bearer_matches("Bearer S3cret", "s3cret"));  // the token is not
  EXPECT_FALSE(bearer_matches("Bearer s3cre", "s3cret"));
  EXPECT_FALSE(bearer_matches("Bearer s3crett", "s3cret"));
  EXPECT_FALSE(bearer_matches("Basic s3cret", "s3cret"));
  EXPECT_FALSE(bearer_matches("Bearers3cret", "s3cret"));
  EXPECT_FALSE(bearer_matches("s3cret", "s3cret"));
  EXPECT_FALSE(bearer_matches("Bearer ", "s3cret"));
  EXPECT_FALSE(bearer_matches("", "s3cret"));
  EXPECT_FALSE(bearer_matches("Bearer ", ""));  // an empty token authorizes nothing
}

// A snapshot of pools `core` (b1, b2) and `edge` (e1) with the given backends down.
std::shared_ptr<const proxy::Snapshot> snapshot(std::string default_pool, std::vector<proxy::BackendState> states) {
  static test_support::TempDir dir;
  test_support::ConfigFixture fx{.default_pool = std::move(default_pool),
                                 .pools = {{.name = "core", .backends = test_support::numbered_backends(2, "198.19.0.11")},
                                           {.name = "edge", .backends = {{"e1", "198.19.0.21"}}}}};
  auto cfg = config::load_string(fx.toml(), dir.path() / "s.toml");
  if (!cfg) throw std::runtime_error(cfg.error().to_string());
  return proxy::build_snapshot(std::make_shared<const config::Config>(*cfg), nullptr, states, 1);
}

TEST(Readiness, EachConditionAlone) {
  const auto all_up = snapshot("core", {});
  ReadinessInput in{.data_plane_running = true, .ports_down = {}, .snapshot = all_up.get()};
  EXPECT_EQ(decide_readiness(in).reason, "ready");
  EXPECT_TRUE(decide_readiness(in).ready);

  ReadinessInput stopped = in;
  stopped.data_plane_running = false;
  EXPECT_FALSE(decide_readiness(stopped).ready);
  EXPECT_EQ(decide_readiness(stopped).reason, "data plane not running");

  ReadinessInput link = in;
  link.ports_down = {"wan", "lan"};
  EXPECT_FALSE(decide_readiness(link).ready);
  EXPECT_EQ(decide_readiness(link).reason, "port link down: wan lan");

  ReadinessInput none = in;
  none.snapshot = nullptr;
  EXPECT_EQ(decide_readiness(none).reason, "no configuration published");

  // The default pool decides, whatever the other pools do.
  const auto core_down = snapshot("core", {{"b1", false, config::AdminState::kEnabled},
                                           {"b2", true, config::AdminState::kDrained}});
  in.snapshot = core_down.get();
  EXPECT_FALSE(decide_readiness(in).ready);
  EXPECT_EQ(decide_readiness(in).reason, "no usable backend in default pool core");
  const auto one_left = snapshot("core", {{"b1", false, config::AdminState::kEnabled}});
  in.snapshot = one_left.get();
  EXPECT_TRUE(decide_readiness(in).ready);

  // Without a default pool, any pool with a usable backend will do.
  const auto no_default = snapshot("", {{"b1", false, config::AdminState::kEnabled},
                                        {"b2", false, config::AdminState::kEnabled}});
  in.snapshot = no_default.get();
  EXPECT_TRUE(decide_readiness(in).ready);
  const auto nothing = snapshot("", {{"b1", false, config::AdminState::kEnabled},
                                     {"b2", false, config::AdminState::kEnabled},
                                     {"e1", true, config::AdminState::kDisabled}});
  in.snapshot = nothing.get();
  EXPECT_FALSE(decide_readiness(in).ready);
  EXPECT_EQ(decide_readiness(in).reason, "no usable backend in any pool");
}

// The operator's word comes first: a drained or stopping instance is not ready however healthy.
TEST(Readiness, DrainedOrStoppingIsNotReadyWhateverTheState) {
  const auto all_up = snapshot("core", {});
  ReadinessInput in{.data_plane_running = true, .ports_down = {}, .snapshot = all_up.get()};
  ASSERT_TRUE(decide_readiness(in).ready);
  in.instance = InstanceState::kDraining;
  EXPECT_FALSE(decide_readiness(in).ready);
  EXPECT_EQ(decide_readiness(in).reason, "draining");
  in.instance = InstanceState::kStopping;
  in.ports_down = {"wan"};
  EXPECT_EQ(decide_readiness(in).reason, "stopping");
}

struct Api {
  int reloads = 0, actions = 0;
  Readiness readiness{true, "ready"};
  AdminServer server;
  httplib::Client client;
  Api()
      : server(handlers(), {.dispatch = AdminServer::Dispatch::kInline}),
        client("127.0.0.1", start(server)) {
    client.set_read_timeout(10, 0);
  }
  static int start(AdminServer& s) {
    if (auto started = s.start(IpAddress::v4(0x7f000001), 0); !started)
      throw std::runtime_error(started.error().to_string());
    return s.port();
  }
  Handlers handlers() {
    Handlers h;
    h.metrics = [] { return std::string("# TYPE m gauge\nm 1\n"); };
    h.status = [] { return std::string("{}"); };
    h.ready = [this] { return readiness; };
    h.reload = [this] {
      ++reloads;
      return ReloadOutcome{};
    };
    h.backend = [this](const std::string&, BackendAction) {
      ++actions;
      return ActionOutcome::kOk;
    };
    return h;
  }
};

TEST(AdminToken, StateChangesNeedTheTokenReadsDoNot) {
  Api api;
  api.server.set_token("s3cret");
  for (const char* path : {"/reload", "/backends/b1/drain"}) {
    auto r = api.client.Post(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << path;
    EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer realm=\"sipshunt\"");
    EXPECT_FALSE(test::JsonParser::parse(r->body)["ok"].b);
    r = api.client.Post(path, {{"Authorization", "Bearer wrong"}}, "", "text/plain");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << path;
  }
  // Other state-changing methods too, even on paths that do not exist (nothing is revealed).
  EXPECT_EQ(api.client.Put("/reload")->status, 401);
  EXPECT_EQ(api.client.Delete("/backends/b1")->status, 401);
  EXPECT_EQ(api.client.Patch("/nowhere")->status, 401);
  EXPECT_EQ(api.reloads + api.actions, 0);  // no handler ran

  EXPECT_EQ(api.client.Post("/reload", {{"Authorization", "Bearer s3cret"}}, "", "text/plain")->status, 200);
  EXPECT_EQ(api.client.Post("/backends/b1/drain", {{"Authorization", "bearer s3cret"}}, "", "text/plain")->status, 200);
  EXPECT_EQ(api.reloads, 1);
  EXPECT_EQ(api.actions, 1);
  // Reads stay open.
  EXPECT_EQ(api.client.Get("/metrics")->status, 200);
  EXPECT_EQ(api.client.Get("/status")->status, 200);
  EXPECT_EQ(api.client.Get("/ready")->status, 200);

  // Rotated (a reload read a new token file): the old one stops working at once.
  api.server.set_token("n3w");
  EXPECT_EQ(api.client.Post("/reload", {{"Authorization", "Bearer s3cret"}}, "", "text/plain")->status, 401);
  EXPECT_EQ(api.client.Post("/reload", {{"Authorization", "Bearer n3w"}}, "", "text/plain")->status, 200);
  // No token configured: open, as before.
  api.server.set_token("");
  EXPECT_EQ(api.client.Post("/reload")->status, 200);
}

TEST(AdminReady, Is200Or503WithTheReason) {
  Api api;
  auto r = api.client.Get("/ready");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(test::JsonParser::parse(r->body)["ready"].b);
  api.readiness = {false, "no usable backend in default pool core"};
  r = api.client.Get("/ready");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  auto j = test::JsonParser::parse(r->body);
  EXPECT_FALSE(j["ready"].b);
  EXPECT_EQ(j["reason"].s, "no usable backend in default pool core");
  r = api.client.Post("/ready");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
}

// The controller: the token comes from [admin] token_file and follows a reload; readiness
// follows the data plane, the ports and the backends, and /metrics says the same.
TEST(Controller, TokenFromTheConfigAndReadinessFromTheState) {
  test_support::TempDir dir;
  test_support::ConfigFixture fx{.pools = {{.name = "core", .backends = test_support::numbered_backends(2, "198.18.0.21"),
                                            .health = test_support::ConfigFixture::Health{.enabled = false}}},
                                 .tail = "[admin]\ntoken_file = \"admin.token\"\n"};
  const auto cfg = dir.write("sipshunt.toml", fx.toml());
  dir.write("admin.token", "first\n");
  ControllerOptions o;
  o.admin_port = 0;
  auto loaded = Controller::load(cfg, o, 0);
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  Controller& ctl = **loaded;
  EXPECT_EQ(ctl.config().admin.token, "first");
  EXPECT_FALSE(ctl.readiness().ready);  // nothing attached yet
  EXPECT_EQ(ctl.readiness().reason, "data plane not running");

  std::vector<std::string> down;
  DataPlaneSeams seams;
  seams.publish = [](std::shared_ptr<const proxy::Snapshot>) -> Result<void> { return {}; };
  seams.ports_down = [&down](std::vector<std::string>& out) { out = down; };
  ASSERT_TRUE(ctl.attach(seams));
  EXPECT_TRUE(ctl.readiness().ready) << ctl.readiness().reason;
  EXPECT_EQ(test::PromParser().parse(ctl.metrics())["sipshunt_ready"].at({}), 1);
  down = {"lan"};
  EXPECT_FALSE(ctl.readiness().ready);
  EXPECT_EQ(test::PromParser().parse(ctl.metrics())["sipshunt_ready"].at({}), 0);
  down.clear();
  ASSERT_EQ(ctl.set_admin("b1", BackendAction::kDisable), ActionOutcome::kOk);
  EXPECT_TRUE(ctl.readiness().ready);
  ASSERT_EQ(ctl.set_admin("b2", BackendAction::kDrain), ActionOutcome::kOk);
  EXPECT_EQ(ctl.readiness().reason, "no usable backend in default pool core");
  EXPECT_EQ(test::PromParser().parse(ctl.metrics())["sipshunt_ready"].at({}), 0);

  // Over HTTP, served from this thread (the control loop) while a client runs.
  std::map<std::string, int> codes;
  std::atomic<bool> done{false};
  std::thread client([&] {
    httplib::Client c("127.0.0.1", ctl.admin_port());
    c.set_read_timeout(20, 0);
    auto post = [&](const char* path, const char* token) {
      httplib::Headers h;
      if (token != nullptr) h.emplace("Authorization", std::string("Bearer ") + token);
      auto r = c.Post(path, h, "", "text/plain");
      return r ? r->status : -1;
    };
    codes["no token"] = post("/backends/b2/enable", nullptr);
    codes["first"] = post("/backends/b2/enable", "first");
    if (auto r = c.Get("/ready")) codes["ready"] = r->status;
    dir.write("admin.token", "second\n");
    codes["reload"] = post("/reload", "first");
    codes["old after reload"] = post("/backends/b2/drain", "first");
    codes["new after reload"] = post("/backends/b2/drain", "second");
    if (auto r = c.Get("/ready")) codes["not ready"] = r->status;
    done = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (std::uint64_t now = 1; !done && std::chrono::steady_clock::now() < deadline; now += 1'000'000) {
    ctl.tick(now);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  client.join();
  EXPECT_EQ(codes["no token"], 401);
  EXPECT_EQ(codes["first"], 200);
  EXPECT_EQ(codes["ready"], 200);
  EXPECT_EQ(codes["reload"], 200);
  EXPECT_EQ(codes["old after reload"], 401);
  EXPECT_EQ(codes["new after reload"], 200);
  EXPECT_EQ(codes["not ready"], 503);

  // An emptied token file fails the reload like any invalid file, and the running token stays.
  dir.write("admin.token", "");
  const ReloadOutcome bad = ctl.reload(0);
  ASSERT_TRUE(bad.error.has_value());
  EXPECT_NE(bad.error->message.find("admin.token_file: "), std::string::npos) << bad.error->to_string();
  EXPECT_NE(bad.error->message.find("is empty"), std::string::npos) << bad.error->to_string();
  EXPECT_EQ(ctl.config().admin.token, "second");
}

// POST /instance/drain and /instance/resume (README "Running several instances"): a drained
// instance answers 503 "draining" on GET /ready and sipshunt_draining is 1 until resumed; once
// stopping (SIGTERM with a grace) it does not resume.
TEST(Controller, InstanceDrainAndResume) {
  test_support::TempDir dir;
  test_support::ConfigFixture fx{.pools = {{.name = "core", .backends = test_support::numbered_backends(2, "198.18.0.21"),
                                            .health = test_support::ConfigFixture::Health{.enabled = false}}}};
  ControllerOptions o;
  o.admin_port = 0;
  auto loaded = Controller::load(dir.write("sipshunt.toml", fx.toml()), o, 0);
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  Controller& ctl = **loaded;
  DataPlaneSeams seams;
  seams.publish = [](std::shared_ptr<const proxy::Snapshot>) -> Result<void> { return {}; };
  ASSERT_TRUE(ctl.attach(seams));
  ASSERT_TRUE(ctl.readiness().ready);

  std::vector<std::string> seen;  // "STEP status body-field"
  std::atomic<int> step{0};
  std::thread client([&] {
    httplib::Client c("127.0.0.1", ctl.admin_port());
    c.set_read_timeout(20, 0);
    auto post = [&](const char* path) {
      auto r = c.Post(path, "", "text/plain");
      if (!r) return std::string("no answer");
      auto j = test::JsonParser::parse(r->body);
      return std::to_string(r->status) + " " + (r->status == 200 ? j["instance"].s : j["error"].s);
    };
    auto ready = [&] {
      auto r = c.Get("/ready");
      return r ? std::to_string(r->status) + " " + test::JsonParser::parse(r->body)["reason"].s : "no answer";
    };
    auto draining = [&] {
      auto r = c.Get("/metrics");
      return r ? static_cast<int>(test::PromParser().parse(r->body)["sipshunt_draining"].at({})) : -1;
    };
    seen.push_back("drain " + post("/instance/drain"));
    seen.push_back("ready " + ready());
    seen.push_back("metric " + std::to_string(draining()));
    seen.push_back("drain again " + post("/instance/drain"));
    seen.push_back("resume " + post("/instance/resume"));
    seen.push_back("ready " + ready());
    seen.push_back("metric " + std::to_string(draining()));
    step = 1;
    while (step != 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    seen.push_back("resume " + post("/instance/resume"));
    seen.push_back("ready " + ready());
    step = 3;
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (std::uint64_t now = 1; step != 3 && std::chrono::steady_clock::now() < deadline; now += 1'000'000) {
    if (step == 1) {
      ctl.begin_stop();
      step = 2;
    }
    ctl.tick(now);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  client.join();
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "drain 200 draining", "ready 503 draining", "metric 1", "drain again 200 draining",
                      "resume 200 serving", "ready 200 ready", "metric 0",
                      "resume 409 the instance is stopping; it does not resume", "ready 503 stopping"}));
}

}  // namespace
}  // namespace sipshunt::control
