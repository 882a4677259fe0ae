#include "sipshunt/control/server.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "sipshunt/control/bearer.hpp"
#include "sipshunt/control/json.hpp"
#include "sipshunt/control/prometheus.hpp"

namespace sipshunt::control {

std::string_view to_string(BackendAction a) noexcept {
  switch (a) {
    case BackendAction::kDrain: return "drain";
    case BackendAction::kEnable: return "enable";
    case BackendAction::kDisable: return "disable";
  }
  return "unknown";
}

config::AdminState target_state(BackendAction a) noexcept {
  switch (a) {
    case BackendAction::kDrain: return config::AdminState::kDrained;
    case BackendAction::kEnable: return config::AdminState::kEnabled;
    case BackendAction::kDisable: return config::AdminState::kDisabled;
  }
  return config::AdminState::kEnabled;
}

namespace {

constexpr const char* kJson = "application/json";

struct Job {
  std::function<void()> work;
  bool started = false;
  bool done = false;
};

void json_error(httplib::Response& res, int status, std::string_view message) {
  JsonWriter j;
  j.begin_object().key("ok").value(false).key("error").value(message).end_object();
  res.status = status;
  res.set_content(j.take() + "\n", kJson);
}

}  // namespace

struct AdminServer::Impl {
  Handlers handlers;
  Options options;
  httplib::Server http;
  std::thread listener;
  int port = 0;
  bool started = false;

  std::mutex mutex;
  std::condition_variable cv;
  std::deque<std::shared_ptr<Job>> queue;
  std::atomic<std::size_t> pending{0};
  bool stopping = false;
  std::string token;  // under `mutex`

  // Requests that change state need the token when one is set (GET and HEAD never do).
  bool authorized(const httplib::Request& req) {
    if (req.method == "GET" || req.method == "HEAD") return true;
    std::lock_guard lock(mutex);
    return token.empty() || bearer_matches(req.get_header_value("Authorization"), token);
  }

  // Runs `work` where the handlers must run. False: the control loop did not take it in time
  // (or the server is stopping) and it will never run.
  bool run(std::function<void()> work) {
    if (options.dispatch == Dispatch::kInline) {
      work();
      return true;
    }
    auto job = std::make_shared<Job>();
    job->work = std::move(work);
    std::unique_lock lock(mutex);
    if (stopping) return false;
    queue.push_back(job);
    pending.fetch_add(1, std::memory_order_release);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options.service_timeout_ms);
    cv.wait_until(lock, deadline, [&] { return job->started || stopping; });
    if (!job->started) {
      for (auto it = queue.begin(); it != queue.end(); ++it)
        if (*it == job) {
          queue.erase(it);
          pending.fetch_sub(1, std::memory_order_relaxed);
          break;
        }
      return false;
    }
    cv.wait(lock, [&] { return job->done; });  // started: it finishes, whatever the timeout
    return true;
  }

  // Runs a handler step and answers 500 if it threw, 503 if it never ran.
  bool call(httplib::Response& res, const std::function<void()>& step) {
    std::string failure;
    const bool ran = run([&] {
      try {
        step();
      } catch (const std::exception& e) {
        failure = e.what();
        if (failure.empty()) failure = "handler failed";
      }
    });
    if (!ran) {
      json_error(res, 503, "the control loop did not take the request in time");
      return false;
    }
    if (!failure.empty()) {
      json_error(res, 500, failure);
      return false;
    }
    return true;
  }

  void routes();
};

void AdminServer::Impl::routes() {
  const std::string action_path = R"(/backends/([^/]+)/(drain|enable|disable))";
  const std::string instance_path = R"(/instance/(drain|resume))";

  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    if (!handlers.metrics) return json_error(res, 404, "metrics are not available");
    std::string body;
    if (!call(res, [&] { body = handlers.metrics(); })) return;
    res.set_content(body, std::string(Exposition::kContentType));
  });
  http.Get("/status", [this](const httplib::Request&, httplib::Response& res) {
    if (!handlers.status) return json_error(res, 404, "status is not available");
    std::string body;
    if (!call(res, [&] { body = handlers.status(); })) return;
    res.set_content(body + "\n", kJson);
  });
  http.Get("/ready", [this](const httplib::Request&, httplib::Response& res) {
    if (!handlers.ready) return json_error(res, 404, "readiness is not available");
    Readiness r;
    if (!call(res, [&] { r = handlers.ready(); })) return;
    JsonWriter j;
    j.begin_object().key("ready").value(r.ready).key("reason").value(r.reason).end_object();
    res.status = r.ready ? 200 : 503;
    res.set_content(j.take() + "\n", kJson);
  });
  http.Get("/", [](const httplib::Request&, httplib::Response& res) {
    JsonWriter j;
    j.begin_object().key("endpoints").begin_array();
    for (const char* e : {"GET /metrics", "GET /status", "GET /ready", "POST /reload", "POST /backends/NAME/drain",
                          "POST /backends/NAME/enable", "POST /backends/NAME/disable", "POST /instance/drain",
                          "POST /instance/resume"})
      j.value(e);
    j.end_array().end_object();
    res.set_content(j.take() + "\n", kJson);
  });
  http.Post("/reload", [this](const httplib::Request&, httplib::Response& res) {
    if (!handlers.reload) return json_error(res, 404, "reload is not available");
    ReloadOutcome out;
    if (!call(res, [&] { out = handlers.reload(); })) return;
    JsonWriter j;
    j.begin_object();
    if (!out.error) {
      j.key("ok").value(true).key("generation").value(out.generation).key("changes").begin_array();
      for (const auto& c : out.changes) j.value(c);
      j.end_array();
      res.status = 200;
    } else {
      const ReloadError& e = *out.error;
      j.key("ok").value(false).key("error").value(e.to_string());
      j.key("kind").value(e.kind == ReloadErrorKind::kInvalid           ? "invalid"
                          : e.kind == ReloadErrorKind::kRestartRequired ? "restart-required"
                                                                        : "internal");
      j.key("file").value(e.file).key("line").value(e.line).key("column").value(e.column);
      j.key("message").value(e.message);
      j.key("generation").value(out.generation);
      res.status = e.kind == ReloadErrorKind::kInvalid           ? 422
                   : e.kind == ReloadErrorKind::kRestartRequired ? 409
                                                                 : 500;
    }
    j.end_object();
    res.set_content(j.take() + "\n", kJson);
  });
  http.Post(action_path, [this](const httplib::Request& req, httplib::Response& res) {
    if (!handlers.backend) return json_error(res, 404, "backend actions are not available");
    const std::string name = req.matches[1];
    const std::string verb = req.matches[2];
    const BackendAction action = verb == "drain"    ? BackendAction::kDrain
                                 : verb == "enable" ? BackendAction::kEnable
                                                    : BackendAction::kDisable;
    ActionOutcome out = ActionOutcome::kUnknownBackend;
    if (!call(res, [&] { out = handlers.backend(name, action); })) return;
    if (out == ActionOutcome::kUnknownBackend)
      return json_error(res, 404, std::string("unknown backend '").append(name).append("'"));
    JsonWriter j;
    j.begin_object().key("ok").value(true).key("backend").value(name);
    j.key("admin").value(to_string(target_state(action))).end_object();
    res.set_content(j.take() + "\n", kJson);
  });
  http.Post(instance_path, [this](const httplib::Request& req, httplib::Response& res) {
    if (!handlers.instance) return json_error(res, 404, "instance actions are not available");
    const InstanceAction action = req.matches[1] == "drain" ? InstanceAction::kDrain : InstanceAction::kResume;
    Result<InstanceState> out = Error::plain("not run");
    if (!call(res, [&] { out = handlers.instance(action); })) return;
    if (!out) return json_error(res, 409, out.error().to_string());
    JsonWriter j;
    j.begin_object().key("ok").value(true).key("instance").value(to_string(*out)).end_object();
    res.set_content(j.take() + "\n", kJson);
  });

  // Known paths with the wrong method: 405 and Allow. Anything else: 404.
  const std::string get_only = "/metrics|/status|/ready|/";
  const std::string post_only = std::string("/reload|").append(action_path).append("|").append(instance_path);
  auto not_allowed = [](const char* allow) {
    return [allow](const httplib::Request& req, httplib::Response& res) {
      res.set_header("Allow", allow);
      json_error(res, 405, std::string("method ").append(req.method).append(" not allowed; use ").append(allow));
    };
  };
  auto not_found = [](const httplib::Request& req, httplib::Response& res) {
    json_error(res, 404, std::string("no such endpoint: ").append(req.path));
  };
  http.Get(post_only, not_allowed("POST"));
  http.Get(".*", not_found);
  http.Post(get_only, not_allowed("GET, HEAD"));
  http.Post(".*", not_found);
  http.Put(get_only, not_allowed("GET, HEAD"));
  http.Put(post_only, not_allowed("POST"));
  http.Put(".*", not_found);
  http.Patch(get_only, not_allowed("GET, HEAD"));
  http.Patch(post_only, not_allowed("POST"));
  http.Patch(".*", not_found);
  http.Delete(get_only, not_allowed("GET, HEAD"));
  http.Delete(post_only, not_allowed("POST"));
  http.Delete(".*", not_found);
  http.Options(get_only, not_allowed("GET, HEAD"));
  http.Options(post_only, not_allowed("POST"));
  http.Options(".*", not_found);
}

AdminServer::AdminServer(Handlers handlers, Options options) : impl_(std::make_unique<Impl>()) {
  impl_->handlers = std::move(handlers);
  impl_->options = options;
  const std::uint32_t threads = options.threads == 0 ? 1 : options.threads;
  impl_->http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  impl_->http.set_read_timeout(5, 0);
  impl_->http.set_write_timeout(5, 0);
  impl_->http.set_payload_max_length(64 * 1024);
  // httplib's default adds SO_REUSEPORT, which would let a second process (a second sipshunt
  // with the same config) bind the same admin port and take half the requests. Only
  // SO_REUSEADDR (restart while old connections linger in TIME_WAIT).
  impl_->http.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  impl_->http.set_pre_routing_handler([impl = impl_.get()](const httplib::Request& req, httplib::Response& res) {
    if (impl->authorized(req)) return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("WWW-Authenticate", R"(Bearer realm="sipshunt")");
    json_error(res, 401, "this request changes state: it needs Authorization: Bearer <token> ([admin] token_file)");
    return httplib::Server::HandlerResponse::Handled;
  });
  impl_->routes();
}

void AdminServer::set_token(std::string token) {
  std::lock_guard lock(impl_->mutex);
  impl_->token = std::move(token);
}

AdminServer::~AdminServer() { stop(); }

Result<void> AdminServer::start(const IpAddress& address, std::uint16_t port) {
  if (impl_->started) return Error::plain("admin server already started");
  const std::string host = address.to_string();
  if (port == 0) {
    impl_->port = impl_->http.bind_to_any_port(host);
    if (impl_->port <= 0) return Error::plain(std::string("cannot bind the admin API to ").append(host).append(": any port"));
  } else {
    if (!impl_->http.bind_to_port(host, port))
      return Error::plain(std::string("cannot bind the admin API to ").append(Endpoint{address, port}.to_string()));
    impl_->port = port;
  }
  // Bound and listening: connections queue in the backlog until the thread accepts them.
  impl_->listener = std::thread([impl = impl_.get()] { impl->http.listen_after_bind(); });
  impl_->started = true;
  // httplib's stop() is a no-op until the listening loop has started: wait for it, or a quick
  // stop() after start() would leave the thread running forever.
  for (int i = 0; i < 5000 && !impl_->http.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return {};
}

std::uint16_t AdminServer::port() const noexcept { return static_cast<std::uint16_t>(impl_->port); }

void AdminServer::stop() {
  if (!impl_ || !impl_->started) return;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();  // queued requests answer 503 instead of waiting for the control loop
  impl_->http.stop();
  if (impl_->listener.joinable()) impl_->listener.join();
  impl_->started = false;
}

std::size_t AdminServer::service() {
  if (impl_->pending.load(std::memory_order_acquire) == 0) return 0;
  std::size_t n = 0;
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::lock_guard lock(impl_->mutex);
      if (impl_->queue.empty()) break;
      job = impl_->queue.front();
      impl_->queue.pop_front();
      impl_->pending.fetch_sub(1, std::memory_order_relaxed);
      job->started = true;
    }
    impl_->cv.notify_all();
    job->work();  // never throws: Impl::call catches
    {
      std::lock_guard lock(impl_->mutex);
      job->done = true;
    }
    impl_->cv.notify_all();
    ++n;
  }
  return n;
}

}  // namespace sipshunt::control
