// The admin HTTP API over loopback on an ephemeral port.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "json_parser.hpp"
#include "sipshunt/control/server.hpp"

namespace sipshunt::control {
namespace {

using test::Json;
using test::JsonParser;

const IpAddress kLoopback = IpAddress::v4(0x7f000001);

struct Recorder {
  std::atomic<int> metrics{0}, status{0}, reloads{0}, actions{0};
  std::string last_backend;
  BackendAction last_action = BackendAction::kEnable;
  ReloadOutcome next_reload;
  std::thread::id handler_thread;
};

Handlers handlers_for(Recorder& r) {
  Handlers h;
  h.metrics = [&r] {
    ++r.metrics;
    r.handler_thread = std::this_thread::get_id();
    return std::string("# HELP m m\n# TYPE m gauge\nm 1\n");
  };
  h.status = [&r] {
    ++r.status;
    return std::string(R"({"version":3,"pools":[]})");
  };
  h.reload = [&r] {
    ++r.reloads;
    r.handler_thread = std::this_thread::get_id();
    return r.next_reload;
  };
  h.backend = [&r](const std::string& name, BackendAction a) {
    ++r.actions;
    r.last_backend = name;
    r.last_action = a;
    return name == "b1" || name == "edge_1.a" ? ActionOutcome::kOk : ActionOutcome::kUnknownBackend;
  };
  return h;
}

struct Fixture {
  Recorder rec;
  AdminServer server;
  httplib::Client client;
  explicit Fixture(AdminServer::Options o = {.dispatch = AdminServer::Dispatch::kInline})
      : server(handlers_for(rec), o), client("127.0.0.1", start(server)) {
    client.set_read_timeout(10, 0);
  }
  static int start(AdminServer& s) {
    auto started = s.start(kLoopback, 0);
    if (!started) throw std::runtime_error(started.error().to_string());
    return s.port();
  }
};

TEST(AdminServer, MetricsAndStatus) {
  Fixture f;
  EXPECT_NE(f.server.port(), 0);
  auto r = f.client.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r->body, "# HELP m m\n# TYPE m gauge\nm 1\n");
  r = f.client.Get("/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(JsonParser::parse(r->body)["version"].n, 3);
  r = f.client.Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(JsonParser::parse(r->body)["endpoints"].a.size(), 9u);
  EXPECT_EQ(f.rec.metrics, 1);
  EXPECT_EQ(f.rec.status, 1);
}

TEST(AdminServer, ReloadSuccessAndEachKindOfFailure) {
  Fixture f;
  f.rec.next_reload = ReloadOutcome{std::nullopt, 2, {"backend b4 added to pool core"}};
  auto r = f.client.Post("/reload");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  Json j = JsonParser::parse(r->body);
  EXPECT_TRUE(j["ok"].b);
  EXPECT_EQ(j["generation"].n, 2);
  EXPECT_EQ(j["changes"][0].s, "backend b4 added to pool core");

  f.rec.next_reload = ReloadOutcome{ReloadError{ReloadErrorKind::kInvalid, "/etc/r/main.rules", 4, 23, "unknown pool 'nowhere'"}, 2, {}};
  r = f.client.Post("/reload");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  j = JsonParser::parse(r->body);
  EXPECT_FALSE(j["ok"].b);
  EXPECT_EQ(j["error"].s, "/etc/r/main.rules:4:23: unknown pool 'nowhere'");
  EXPECT_EQ(j["file"].s, "/etc/r/main.rules");
  EXPECT_EQ(j["line"].n, 4);
  EXPECT_EQ(j["column"].n, 23);
  EXPECT_EQ(j["kind"].s, "invalid");

  f.rec.next_reload.error->kind = ReloadErrorKind::kRestartRequired;
  r = f.client.Post("/reload");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409);
  EXPECT_EQ(JsonParser::parse(r->body)["kind"].s, "restart-required");

  f.rec.next_reload.error->kind = ReloadErrorKind::kInternal;
  r = f.client.Post("/reload");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(f.rec.reloads, 4);
}

TEST(AdminServer, BackendActions) {
  Fixture f;
  for (auto [verb, action, state] : {std::tuple{"drain", BackendAction::kDrain, "drained"},
                                     std::tuple{"enable", BackendAction::kEnable, "enabled"},
                                     std::tuple{"disable", BackendAction::kDisable, "disabled"}}) {
    auto r = f.client.Post(std::string("/backends/b1/").append(verb));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << verb;
    Json j = JsonParser::parse(r->body);
    EXPECT_TRUE(j["ok"].b);
    EXPECT_EQ(j["backend"].s, "b1");
    EXPECT_EQ(j["admin"].s, state);
    EXPECT_EQ(f.rec.last_action, action);
  }
  auto r = f.client.Post("/backends/edge_1.a/drain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(f.rec.last_backend, "edge_1.a");
  r = f.client.Post("/backends/nope/drain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  Json j = JsonParser::parse(r->body);
  EXPECT_FALSE(j["ok"].b);
  EXPECT_EQ(j["error"].s, "unknown backend 'nope'");
  EXPECT_EQ(f.rec.actions, 5);
}

TEST(AdminServer, WrongMethodIs405WithAllowAndUnknownPathIs404) {
  Fixture f;
  struct Case {
    std::string method, path;
    int status;
    std::string allow;
  };
  const std::vector<Case> cases = {
      {"GET", "/reload", 405, "POST"},
      {"GET", "/backends/b1/drain", 405, "POST"},
      {"POST", "/metrics", 405, "GET, HEAD"},
      {"POST", "/status", 405, "GET, HEAD"},
      {"DELETE", "/status", 405, "GET, HEAD"},
      {"PUT", "/reload", 405, "POST"},
      {"PATCH", "/backends/b1/enable", 405, "POST"},
      {"GET", "/nope", 404, ""},
      {"POST", "/nope", 404, ""},
      {"DELETE", "/nope", 404, ""},
      {"POST", "/backends/b1/explode", 404, ""},
      {"POST", "/backends//drain", 404, ""},
      {"POST", "/backends/b1/drain/extra", 404, ""},
      {"GET", "/metricsx", 404, ""},
  };
  for (const auto& c : cases) {
    httplib::Result r = c.method == "GET"      ? f.client.Get(c.path.c_str())
                        : c.method == "POST"   ? f.client.Post(c.path.c_str())
                        : c.method == "PUT"    ? f.client.Put(c.path.c_str())
                        : c.method == "PATCH"  ? f.client.Patch(c.path.c_str())
                                               : f.client.Delete(c.path.c_str());
    ASSERT_TRUE(r) << c.method << " " << c.path;
    EXPECT_EQ(r->status, c.status) << c.method << " " << c.path;
    EXPECT_EQ(r->get_header_value("Allow"), c.allow) << c.method << " " << c.path;
    Json j = JsonParser::parse(r->body);
    EXPECT_FALSE(j["ok"].b);
    EXPECT_FALSE(j["error"].s.empty());
  }
  EXPECT_EQ(f.rec.actions, 0);
  EXPECT_EQ(f.rec.reloads, 0);
  EXPECT_EQ(f.rec.metrics, 0);
}

TEST(AdminServer, HandlerExceptionIs500) {
  Handlers h;
  h.status = []() -> std::string { throw std::runtime_error("boom"); };
  AdminServer s(h, {.dispatch = AdminServer::Dispatch::kInline});
  ASSERT_TRUE(s.start(kLoopback, 0));
  httplib::Client c("127.0.0.1", s.port());
  auto r = c.Get("/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(JsonParser::parse(r->body)["error"].s, "boom");
  r = c.Post("/reload");  // no handler: 404, not a crash
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST(AdminServer, QueuedHandlersRunOnTheServicingThread) {
  Fixture f({.dispatch = AdminServer::Dispatch::kQueued, .threads = 2, .service_timeout_ms = 10000});
  std::atomic<bool> quit{false};
  std::thread::id control_id;
  std::atomic<int> serviced{0};
  std::thread control([&] {
    control_id = std::this_thread::get_id();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!quit && std::chrono::steady_clock::now() < deadline) {
      serviced += static_cast<int>(f.server.service());
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  auto r = f.client.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(f.rec.handler_thread, control_id);
  f.rec.next_reload.generation = 9;
  r = f.client.Post("/reload");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(f.rec.handler_thread, control_id);
  // many clients at once all get served by the one control thread
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i)
    clients.emplace_back([&] {
      httplib::Client c("127.0.0.1", f.server.port());
      for (int k = 0; k < 5; ++k)
        if (auto res = c.Post("/backends/b1/drain"); res && res->status == 200) ++ok;
    });
  for (auto& t : clients) t.join();
  quit = true;
  control.join();
  EXPECT_EQ(ok, 40);
  EXPECT_EQ(f.rec.actions, 40);
  EXPECT_EQ(serviced, 42);
}

TEST(AdminServer, QueuedRequestNobodyServicesIs503AndNeverRuns) {
  Fixture f({.dispatch = AdminServer::Dispatch::kQueued, .threads = 2, .service_timeout_ms = 200});
  const auto t0 = std::chrono::steady_clock::now();
  auto r = f.client.Post("/backends/b1/disable");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(200));
  EXPECT_EQ(f.server.service(), 0u);  // withdrawn: a late control loop does not run it
  EXPECT_EQ(f.rec.actions, 0);
}

TEST(AdminServer, StopAnswersWaitingRequests) {
  auto f = std::make_unique<Fixture>(AdminServer::Options{.dispatch = AdminServer::Dispatch::kQueued,
                                                          .threads = 2, .service_timeout_ms = 60000});
  std::atomic<int> status{0};
  std::thread client([&] {
    if (auto r = f->client.Post("/reload")) status = r->status;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto t0 = std::chrono::steady_clock::now();
  f->server.stop();
  client.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  EXPECT_EQ(status, 503);
  EXPECT_EQ(f->rec.reloads, 0);
}

TEST(AdminServer, BindFailureIsReported) {
  Recorder rec;
  AdminServer a(handlers_for(rec), {.dispatch = AdminServer::Dispatch::kInline});
  ASSERT_TRUE(a.start(kLoopback, 0));
  AdminServer b(handlers_for(rec), {.dispatch = AdminServer::Dispatch::kInline});
  auto started = b.start(kLoopback, a.port());
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().message.find("cannot bind the admin API to 127.0.0.1:"), std::string::npos)
      << started.error().message;
}

}  // namespace
}  // namespace sipshunt::control
