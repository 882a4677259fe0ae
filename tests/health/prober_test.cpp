// The rise/fall state machine, driven by a fake clock and simulated backends.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sipshunt/health/prober.hpp"

namespace sipshunt::health {
namespace {

constexpr std::uint64_t kMs = 1'000'000;

config::Config make_config(const config::HealthCheck& hc, int backends, int pools = 1) {
  config::Config c;
  c.self = *Endpoint::parse("198.18.0.1:5060");
  for (int p = 0; p < pools; ++p) {
    config::Pool pool;
    pool.name = std::string("pool").append(std::to_string(p));
    pool.health = hc;
    for (int i = 0; i < backends; ++i) {
      config::Backend b;
      b.name = std::string("b").append(std::to_string(p)).append(std::to_string(i));
      b.endpoint = *Endpoint::parse(std::string("198.18.1.").append(std::to_string(10 + 10 * p + i)).append(":5060"));
      pool.backends.push_back(b);
    }
    c.pools.push_back(pool);
  }
  return c;
}

config::HealthCheck check(std::uint32_t interval_ms, std::uint32_t timeout_ms, std::uint32_t fall, std::uint32_t rise,
                          std::uint16_t alive_below = 500) {
  config::HealthCheck h;
  h.interval_ms = interval_ms;
  h.timeout_ms = timeout_ms;
  h.fall = fall;
  h.rise = rise;
  h.alive_below = alive_below;
  return h;
}

// Decodes the Call-ID of a probe we sent, as a worker would after parsing the reply.
ReplyEvent event_for(const Probe& p, std::uint16_t status, std::uint64_t rx_ns) {
  const auto at = p.bytes.find("Call-ID: ");
  const auto end = p.bytes.find("\r\n", at);
  const std::string id = p.bytes.substr(at + 9, end - at - 9);
  const auto d2 = id.rfind('.');
  ReplyEvent ev;
  ev.backend = p.backend;
  ev.seq = std::stoull(id.substr(d2 + 1));
  ev.status = status;
  ev.rx_ns = rx_ns;
  return ev;
}

// Backends answer (or not) by a per-backend behaviour function of the send time; replies
// arrive after `delay`. The clock advances in `step` increments.
struct Sim {
  struct Behaviour {
    std::function<std::optional<std::uint16_t>(std::uint64_t sent_ns)> status;  // nullopt: silent
    std::uint64_t delay_ns = 2 * kMs;
  };
  Prober prober;
  std::uint64_t now = 0;
  std::uint64_t step = 1 * kMs;
  std::map<std::uint32_t, Behaviour> behaviour;
  std::multimap<std::uint64_t, ReplyEvent> in_flight;
  std::vector<StateChange> changes;
  std::vector<Probe> sent;

  Sim(const config::Config& c, ProberOptions o = {}) : prober(c, with_nonce(o), 0) {}
  static ProberOptions with_nonce(ProberOptions o) {
    o.nonce = 0x5eed;
    return o;
  }
  void answer_all(std::uint16_t status) {
    for (std::uint32_t i = 0; i < prober.backends().size(); ++i)
      behaviour[i].status = [status](std::uint64_t) { return std::optional<std::uint16_t>(status); };
  }
  void run_until(std::uint64_t t) {
    while (now < t) {
      now += step;
      for (auto it = in_flight.begin(); it != in_flight.end() && it->first <= now;) {
        prober.on_reply(it->second);
        it = in_flight.erase(it);
      }
      auto r = prober.tick(now);
      for (auto& c : r.changes) changes.push_back(c);
      for (auto& p : r.probes) {
        auto& b = behaviour[p.backend];
        if (b.status)
          if (auto st = b.status(now)) in_flight.emplace(now + b.delay_ns, event_for(p, *st, now + b.delay_ns));
        sent.push_back(std::move(p));
      }
    }
  }
  std::optional<StateChange> first_change(std::uint32_t backend, bool up, std::uint64_t after = 0) const {
    for (const auto& c : changes)
      if (c.backend == backend && c.up == up && c.at_ns >= after) return c;
    return std::nullopt;
  }
};

TEST(Prober, FirstRoundGoesOutAtOnceAndThenEveryInterval) {
  Sim s(make_config(check(1000, 500, 3, 2), 3));
  s.answer_all(200);
  s.run_until(3500 * kMs);
  // probes at 1 ms (first tick), then 1001, 2001, 3001 ms for each of 3 backends
  ASSERT_EQ(s.sent.size(), 12u);
  for (const auto& p : s.sent) EXPECT_EQ(p.bytes.rfind("OPTIONS sip:198.18.1.", 0), 0u);
  EXPECT_TRUE(s.changes.empty());
  for (const auto& b : s.prober.backends()) {
    EXPECT_TRUE(b.up);
    EXPECT_EQ(b.probes_sent, 4u);
    EXPECT_EQ(b.replies_alive, 4u);
    EXPECT_EQ(b.timeouts, 0u);
  }
}

TEST(Prober, FallConsecutiveTimeoutsMarkDownOnce) {
  Sim s(make_config(check(1000, 500, 3, 2), 2));
  s.answer_all(200);
  s.run_until(2100 * kMs);
  s.behaviour[1].status = [](std::uint64_t) { return std::nullopt; };  // dies at 2.1 s
  // The schedule is anchored at construction (t = 0): probes at 1 ms, then 1000, 2000, ... ms.
  s.run_until(4600 * kMs);  // probes at 3000, 4000 time out: 2 failures
  EXPECT_TRUE(s.prober.backends()[1].up);
  EXPECT_EQ(s.prober.backends()[1].failures, 2u);
  s.run_until(5600 * kMs);  // 5000 + 500 ms: third failure
  ASSERT_EQ(s.changes.size(), 1u);
  EXPECT_EQ(s.changes[0].backend, 1u);
  EXPECT_FALSE(s.changes[0].up);
  EXPECT_EQ(s.changes[0].at_ns, 5500 * kMs);
  EXPECT_FALSE(s.prober.backends()[1].up);
  EXPECT_TRUE(s.prober.backends()[0].up);
  s.run_until(9000 * kMs);
  EXPECT_EQ(s.changes.size(), 1u);  // further failures report nothing new
  EXPECT_EQ(s.prober.backends()[1].timeouts, 6u);
}

TEST(Prober, NonConsecutiveFailuresNeverMarkDown) {
  Sim s(make_config(check(100, 50, 3, 2), 1));
  int n = 0;  // pattern: fail, fail, ok, fail, fail, ok, ...
  s.behaviour[0].status = [&n](std::uint64_t) -> std::optional<std::uint16_t> {
    return (n++ % 3 == 2) ? std::optional<std::uint16_t>(200) : std::nullopt;
  };
  s.run_until(5000 * kMs);
  EXPECT_GE(s.prober.backends()[0].timeouts, 30u);
  EXPECT_TRUE(s.changes.empty());
  EXPECT_TRUE(s.prober.backends()[0].up);
}

TEST(Prober, RiseConsecutiveSuccessesMarkUpAgain) {
  Sim s(make_config(check(100, 50, 2, 3), 1));
  bool alive = false;
  s.behaviour[0].status = [&alive](std::uint64_t) { return alive ? std::optional<std::uint16_t>(200) : std::nullopt; };
  s.run_until(250 * kMs);  // probes at 1, 100, 200: down at 150
  ASSERT_EQ(s.changes.size(), 1u);
  EXPECT_FALSE(s.changes[0].up);
  EXPECT_EQ(s.changes[0].at_ns, 150 * kMs);
  alive = true;  // probes at 300, 400, 500 succeed: up with the third reply (rise 3)
  s.run_until(501 * kMs);
  EXPECT_EQ(s.changes.size(), 1u);
  s.run_until(600 * kMs);
  ASSERT_EQ(s.changes.size(), 2u);
  EXPECT_TRUE(s.changes[1].up);
  EXPECT_EQ(s.changes[1].at_ns, 502 * kMs);  // reply 2 ms after the probe at 500
}

TEST(Prober, AliveBelowDecidesWhichFinalStatusesCount) {
  struct Case {
    std::uint16_t alive_below, status;
    bool alive;
  };
  for (const Case c : {Case{500, 200, true}, Case{500, 404, true}, Case{500, 499, true}, Case{500, 500, false},
                       Case{500, 503, false}, Case{300, 299, true}, Case{300, 404, false}, Case{600, 503, true},
                       Case{600, 603, false}}) {
    Sim s(make_config(check(100, 50, 1, 1, c.alive_below), 1));
    s.answer_all(c.status);
    s.run_until(350 * kMs);
    EXPECT_EQ(s.prober.backends()[0].up, c.alive) << c.alive_below << " " << c.status;
    EXPECT_EQ(s.prober.backends()[0].last_status, c.status);
    EXPECT_EQ(s.prober.backends()[0].timeouts, 0u);  // a dead status is a failure at once, not a timeout
  }
}

TEST(Prober, DeadStatusFailsBeforeTheTimeout) {
  Sim s(make_config(check(1000, 500, 1, 1), 1));
  s.answer_all(503);
  s.run_until(10 * kMs);
  ASSERT_EQ(s.changes.size(), 1u);
  EXPECT_EQ(s.changes[0].at_ns, 3 * kMs);  // sent at 1 ms, 503 back 2 ms later
}

TEST(Prober, ProvisionalRepliesAreIgnoredAndTheFinalOneCounts) {
  Prober p(make_config(check(1000, 500, 1, 1), 1), {.nonce = 9}, 0);
  auto r = p.tick(0);
  ASSERT_EQ(r.probes.size(), 1u);
  EXPECT_EQ(p.on_reply(event_for(r.probes[0], 100, 1 * kMs)), ReplyOutcome::kProvisional);
  EXPECT_EQ(p.on_reply(event_for(r.probes[0], 183, 2 * kMs)), ReplyOutcome::kProvisional);
  EXPECT_TRUE(p.backends()[0].pending_seq.has_value());
  EXPECT_EQ(p.on_reply(event_for(r.probes[0], 200, 5 * kMs)), ReplyOutcome::kAlive);
  EXPECT_EQ(p.backends()[0].last_rtt_ns, 5 * kMs);
  // a duplicate of the final reply (retransmission) is late, not a second success
  EXPECT_EQ(p.on_reply(event_for(r.probes[0], 200, 6 * kMs)), ReplyOutcome::kLate);
  EXPECT_EQ(p.backends()[0].replies_alive, 1u);
  EXPECT_EQ(p.backends()[0].late_replies, 1u);
}

TEST(Prober, LateReplyAfterTimeoutDoesNotCountAsSuccess) {
  Prober p(make_config(check(1000, 500, 2, 1), 1), {.nonce = 9}, 0);
  auto r1 = p.tick(0);
  (void)p.tick(500 * kMs);  // timeout: failure 1
  EXPECT_EQ(p.backends()[0].failures, 1u);
  EXPECT_EQ(p.on_reply(event_for(r1.probes[0], 200, 600 * kMs)), ReplyOutcome::kLate);
  EXPECT_EQ(p.backends()[0].failures, 1u);  // not reset by the late reply
  auto r2 = p.tick(1000 * kMs);
  ASSERT_EQ(r2.probes.size(), 1u);
  (void)p.tick(1500 * kMs);  // failure 2 -> down
  EXPECT_FALSE(p.backends()[0].up);
  EXPECT_EQ(p.on_reply(event_for(r2.probes[0], 200, 1501 * kMs)), ReplyOutcome::kLate);
  EXPECT_FALSE(p.backends()[0].up);
}

TEST(Prober, StaleOrForgedSequenceNumbersAreRejected) {
  Prober p(make_config(check(1000, 500, 1, 1), 2), {.nonce = 9}, 0);
  auto r = p.tick(0);
  ASSERT_EQ(r.probes.size(), 2u);
  ReplyEvent ev = event_for(r.probes[0], 200, 1 * kMs);
  ev.seq = 1000;  // never sent
  EXPECT_EQ(p.on_reply(ev), ReplyOutcome::kUnknown);
  ev = event_for(r.probes[0], 200, 1 * kMs);
  ev.backend = 7;  // no such backend, and the seq is not outstanding elsewhere... but it is:
  EXPECT_EQ(p.on_reply(ev), ReplyOutcome::kAlive);  // found by sequence number
  ev.backend = 7;
  EXPECT_EQ(p.on_reply(ev), ReplyOutcome::kUnknown);  // already answered, unknown index
  ev = event_for(r.probes[1], 200, 1 * kMs);
  ev.backend = 0;  // backend 1's probe claimed for backend 0: credited to backend 1 (by seq)
  EXPECT_EQ(p.on_reply(ev), ReplyOutcome::kAlive);
  EXPECT_EQ(p.backends()[0].replies_alive, 1u);
  EXPECT_EQ(p.backends()[1].replies_alive, 1u);
  EXPECT_EQ(p.unknown_replies(), 2u);
}

TEST(Prober, RoundTripTimeIsMeasuredAndSmoothed) {
  Sim s(make_config(check(100, 50, 3, 2), 1));
  s.answer_all(200);
  s.behaviour[0].delay_ns = 7 * kMs;
  s.run_until(1000 * kMs);
  EXPECT_EQ(s.prober.backends()[0].last_rtt_ns, 7 * kMs);
  EXPECT_EQ(s.prober.backends()[0].srtt_ns, 7 * kMs);
  s.behaviour[0].delay_ns = 15 * kMs;
  s.run_until(1200 * kMs);  // the probe at 1100 ms
  EXPECT_EQ(s.prober.backends()[0].last_rtt_ns, 15 * kMs);
  EXPECT_EQ(s.prober.backends()[0].srtt_ns, 8 * kMs);  // 7 + (15 - 7) / 8
}

TEST(Prober, SlowReplyBeyondTimeoutIsAFailure) {
  Sim s(make_config(check(100, 20, 2, 1), 1));
  s.answer_all(200);
  s.behaviour[0].delay_ns = 25 * kMs;
  s.run_until(400 * kMs);
  EXPECT_FALSE(s.prober.backends()[0].up);
  EXPECT_GE(s.prober.backends()[0].late_replies, 2u);
}

// The issue's bound: a backend that stops answering is down within fall x interval + timeout,
// whatever the phase of its death relative to the probe schedule (checked at 1 ms resolution,
// the tick period; replies take 2 ms).
TEST(Prober, DetectionTimeIsWithinFallTimesIntervalPlusTimeout) {
  struct Params {
    std::uint32_t interval, timeout, fall;
  };
  for (const Params prm : {Params{1000, 500, 3}, Params{100, 100, 3}, Params{100, 50, 1}, Params{250, 200, 5}}) {
    const std::uint64_t bound = (std::uint64_t{prm.fall} * prm.interval + prm.timeout) * kMs;
    std::uint64_t worst = 0;
    for (std::uint64_t phase = 0; phase < prm.interval; phase += prm.interval / 20 + 1) {
      Sim s(make_config(check(prm.interval, prm.timeout, prm.fall, 2), 1));
      const std::uint64_t death = 3ull * prm.interval * kMs + phase * kMs;
      // A probe sent before death whose reply would come after it is lost too.
      s.behaviour[0].status = [death](std::uint64_t sent) {
        return sent + 2 * kMs < death ? std::optional<std::uint16_t>(200) : std::nullopt;
      };
      s.run_until(death + bound + 100 * kMs);
      auto c = s.first_change(0, false);
      ASSERT_TRUE(c.has_value()) << prm.interval << "/" << prm.fall << "/" << prm.timeout << " phase " << phase;
      ASSERT_GE(c->at_ns, death);
      const std::uint64_t took = c->at_ns - death;
      EXPECT_LE(took, bound + s.step) << prm.interval << "/" << prm.fall << "/" << prm.timeout << " phase " << phase;
      // and not trigger-happy: at least fall-1 intervals plus the timeout after the last success
      EXPECT_GE(took + prm.interval * kMs, (std::uint64_t{prm.fall - 1} * prm.interval + prm.timeout) * kMs);
      worst = std::max(worst, took);
    }
    std::string key = "worst_ms_";
    key.append(std::to_string(prm.interval)).append("_").append(std::to_string(prm.timeout)).append("_");
    key.append(std::to_string(prm.fall));
    RecordProperty(key, std::to_string(worst / kMs));
  }
}

// The control loop says how far the data plane has caught up: a worker stalled for a while
// (descheduled) has replies waiting in its rx ring, so no probe may time out meanwhile.
TEST(Prober, NoTimeoutWhileTheDataPlaneHasNotCaughtUp) {
  Prober p(make_config(check(100, 50, 1, 1), 1), {.nonce = 9}, 0);
  auto r = p.tick(0, 0);
  ASSERT_EQ(r.probes.size(), 1u);
  // 60 ms later, but the worker has only been seen polling up to 10 ms: not a timeout.
  EXPECT_TRUE(p.tick(60 * kMs, 10 * kMs).changes.empty());
  EXPECT_EQ(p.backends()[0].timeouts, 0u);
  // Still stalled when the next probe is due: it waits instead of superseding the first.
  EXPECT_TRUE(p.tick(150 * kMs, 10 * kMs).probes.empty());
  // The worker resumes and posts the reply it had (stamped when it read it).
  EXPECT_EQ(p.on_reply(event_for(r.probes[0], 200, 151 * kMs)), ReplyOutcome::kAlive);
  auto t = p.tick(152 * kMs, 151 * kMs);
  EXPECT_TRUE(t.changes.empty());
  ASSERT_EQ(t.probes.size(), 1u);  // the postponed probe goes out now
  EXPECT_TRUE(p.backends()[0].up);
  // Once the data plane has caught up, silence is judged as usual.
  auto d = p.tick(210 * kMs, 203 * kMs);
  ASSERT_EQ(d.changes.size(), 1u);
  EXPECT_FALSE(d.changes[0].up);
  EXPECT_EQ(d.changes[0].at_ns, 203 * kMs);
}

TEST(Prober, InitialDownComesUpOnFirstSuccessThenNeedsRise) {
  Sim s(make_config(check(100, 50, 2, 3), 2), {.initial = InitialState::kDown});
  EXPECT_FALSE(s.prober.backends()[0].up);
  s.answer_all(200);
  s.behaviour[1].status = [](std::uint64_t) { return std::nullopt; };
  s.run_until(10 * kMs);
  ASSERT_EQ(s.changes.size(), 1u);  // backend 0 up at 3 ms; backend 1 stays down silently
  EXPECT_EQ(s.changes[0].backend, 0u);
  EXPECT_TRUE(s.changes[0].up);
  EXPECT_EQ(s.changes[0].at_ns, 3 * kMs);
  bool alive = false;
  s.behaviour[0].status = [&alive](std::uint64_t) { return alive ? std::optional<std::uint16_t>(200) : std::nullopt; };
  s.run_until(290 * kMs);  // probes at 100, 200 time out: down at 250
  ASSERT_EQ(s.changes.size(), 2u);
  EXPECT_FALSE(s.changes[1].up);
  alive = true;
  s.run_until(450 * kMs);  // two successes (300, 400): not enough, rise is 3 once seen alive
  EXPECT_FALSE(s.prober.backends()[0].up);
  s.run_until(520 * kMs);
  EXPECT_TRUE(s.prober.backends()[0].up);
}

TEST(Prober, HealthDisabledMeansUpAndNoProbes) {
  auto hc = check(100, 50, 1, 1);
  hc.enabled = false;
  Sim s(make_config(hc, 2), {.initial = InitialState::kDown});
  s.run_until(1000 * kMs);
  EXPECT_TRUE(s.sent.empty());
  EXPECT_TRUE(s.prober.backends()[0].up);
  EXPECT_TRUE(s.prober.backends()[1].up);
  EXPECT_EQ(s.prober.next_deadline_ns(), UINT64_MAX);
}

TEST(Prober, NoBurstAfterAStalledControlLoop) {
  Prober p(make_config(check(100, 100, 3, 2), 1), {.nonce = 9}, 0);
  EXPECT_EQ(p.tick(0).probes.size(), 1u);
  EXPECT_EQ(p.tick(50 * kMs).probes.size(), 0u);
  EXPECT_EQ(p.tick(100 * kMs).probes.size(), 1u);
  EXPECT_EQ(p.tick(1000 * kMs).probes.size(), 1u);  // stalled 900 ms: one probe, not nine
  EXPECT_EQ(p.tick(1050 * kMs).probes.size(), 0u);
  EXPECT_EQ(p.next_deadline_ns(), 1100 * kMs);  // the timeout of the probe sent at 1000 ms
}

TEST(Prober, ReconfigureKeepsStateByNameAndStartsNewBackendsFresh) {
  auto cfg = make_config(check(100, 50, 1, 5), 3);
  Sim s(cfg);
  s.answer_all(200);
  s.behaviour[2].status = [](std::uint64_t) { return std::nullopt; };
  s.run_until(200 * kMs);
  ASSERT_FALSE(s.prober.backends()[2].up);  // b02 down
  const auto sent_before = s.prober.backends()[0].probes_sent;

  // New config: b02 moved to the front, b01 removed, b03 added.
  auto next = cfg;
  auto& bs = next.pools[0].backends;
  config::Backend b03 = bs[0];
  b03.name = "b03";
  b03.endpoint = *Endpoint::parse("198.18.1.40:5060");
  bs = {cfg.pools[0].backends[2], cfg.pools[0].backends[0], b03};
  s.prober.reconfigure(next, s.now);
  s.behaviour.clear();
  s.answer_all(200);
  s.behaviour[0].status = [](std::uint64_t) { return std::nullopt; };  // b02 still dead
  const auto& b = s.prober.backends();
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].name, "b02");
  EXPECT_FALSE(b[0].up);
  EXPECT_EQ(b[1].name, "b00");
  EXPECT_TRUE(b[1].up);
  EXPECT_EQ(b[1].probes_sent, sent_before);  // counters carried
  EXPECT_EQ(b[2].name, "b03");
  EXPECT_TRUE(b[2].up);
  EXPECT_EQ(b[2].probes_sent, 0u);
  EXPECT_EQ(s.prober.find("b01"), std::nullopt);
  s.run_until(400 * kMs);
  EXPECT_FALSE(s.prober.up("b02"));
  EXPECT_TRUE(s.prober.up("b00"));
  EXPECT_TRUE(s.prober.up("b03"));
  EXPECT_GT(s.prober.backends()[2].probes_sent, 0u);
}

TEST(Prober, OutstandingProbeIsStillAcceptedAfterAReloadReordersBackends) {
  auto cfg = make_config(check(1000, 500, 1, 1), 2);
  Prober p(cfg, {.nonce = 9}, 0);
  auto r = p.tick(0);
  ASSERT_EQ(r.probes.size(), 2u);
  auto next = cfg;
  std::swap(next.pools[0].backends[0], next.pools[0].backends[1]);
  p.reconfigure(next, 1 * kMs);
  // the reply for the old index 0 (b00, now index 1) still counts for b00
  EXPECT_EQ(p.on_reply(event_for(r.probes[0], 503, 2 * kMs)), ReplyOutcome::kDead);
  EXPECT_FALSE(p.up("b00"));
  EXPECT_TRUE(p.up("b01"));
  auto t = p.tick(3 * kMs);
  ASSERT_EQ(t.changes.size(), 1u);
  EXPECT_EQ(t.changes[0].backend, 1u);  // the new index of b00
}

TEST(Prober, PendingChangesAreRemappedAcrossAReload) {
  auto cfg = make_config(check(1000, 500, 1, 1), 2);
  Prober p(cfg, {.nonce = 9}, 0);
  auto r = p.tick(0);
  EXPECT_EQ(p.on_reply(event_for(r.probes[1], 500, 2 * kMs)), ReplyOutcome::kDead);  // b01 down, not collected
  auto next = cfg;
  next.pools[0].backends.erase(next.pools[0].backends.begin());  // b00 removed: b01 is index 0
  p.reconfigure(next, 3 * kMs);
  auto t = p.tick(4 * kMs);
  ASSERT_EQ(t.changes.size(), 1u);
  EXPECT_EQ(t.changes[0].backend, 0u);
  EXPECT_FALSE(t.changes[0].up);
}

TEST(Prober, DisablingHealthOnReloadBringsADownBackendUp) {
  auto cfg = make_config(check(100, 50, 1, 1), 1);
  Prober p(cfg, {.nonce = 9}, 0);
  (void)p.tick(0);
  ASSERT_EQ(p.tick(50 * kMs).changes.size(), 1u);  // down, collected
  ASSERT_FALSE(p.up("b00"));
  auto next = cfg;
  next.pools[0].health.enabled = false;
  p.reconfigure(next, 60 * kMs);
  EXPECT_TRUE(p.up("b00"));
  auto t = p.tick(61 * kMs);
  EXPECT_TRUE(t.probes.empty());
  ASSERT_EQ(t.changes.size(), 1u);
  EXPECT_TRUE(t.changes[0].up);
}

TEST(Prober, ProbesGoToEachBackendsAddressFromOurAddress) {
  Prober p(make_config(check(1000, 500, 1, 1), 2, 2), {.nonce = 9}, 0);
  auto r = p.tick(0);
  ASSERT_EQ(r.probes.size(), 4u);
  for (const auto& pr : r.probes) {
    const auto& b = p.backends()[pr.backend];
    EXPECT_EQ(pr.to, b.endpoint);
    EXPECT_NE(pr.bytes.find(std::string("OPTIONS sip:").append(b.endpoint.to_string()).append(" SIP/2.0\r\n")),
              std::string::npos);
    EXPECT_NE(pr.bytes.find("Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK"), std::string::npos);
  }
  EXPECT_EQ(p.backends()[2].pool, "pool1");
  EXPECT_EQ(p.backends()[2].pool_index, 1u);
}

}  // namespace
}  // namespace sipshunt::health

namespace sipshunt::health {
namespace {

config::Network network(std::string name, std::uint16_t port, const char* address, std::uint8_t prefix_len) {
  config::Network n;
  n.name = std::move(name);
  n.port = port;
  n.address = *IpAddress::parse(address);
  n.prefix_len = prefix_len;
  return n;
}

// A probe leaves by the route to its backend: its Via and From carry that network's address
// (src/proxy/README.md "Networks"), IPv6 in brackets; a backend no network reaches keeps
// proxy.address; a reload that changes the networks changes the addresses.
TEST(Prober, ProbesCarryTheAddressOfTheNetworkTheyLeaveBy) {
  config::Config c = make_config(check(1000, 500, 1, 1), 3);
  c.pools[0].backends[0].endpoint = *Endpoint::parse("198.19.0.11:5060");
  c.pools[0].backends[1].endpoint = *Endpoint::parse("[2001:db8:2::11]:5060");
  c.pools[0].backends[2].endpoint = *Endpoint::parse("203.0.113.9:5060");
  c.dpdk.networks = {network("client", 0, "198.18.0.1", 24), network("farm", 1, "198.19.0.1", 24),
                     network("farm6", 1, "2001:db8:2::1", 64)};
  Prober p(c, {.nonce = 9}, 0);
  auto r = p.tick(0);
  ASSERT_EQ(r.probes.size(), 3u);
  const std::string want[] = {"198.19.0.1:5060", "[2001:db8:2::1]:5060", "198.18.0.1:5060"};
  for (const Probe& probe : r.probes) {
    SCOPED_TRACE(probe.bytes);
    const std::string& local = want[probe.backend];
    EXPECT_NE(probe.bytes.find("\r\nVia: SIP/2.0/UDP " + local + ";branch="), std::string::npos);
    EXPECT_NE(probe.bytes.find("\r\nFrom: <sip:sipshunt@" + local + ">;tag="), std::string::npos);
  }
  c.dpdk.networks[1].address = *IpAddress::parse("198.19.0.2");
  p.reconfigure(c, 2000 * kMs);
  r = p.tick(2000 * kMs);
  ASSERT_FALSE(r.probes.empty());
  for (const Probe& probe : r.probes)
    if (probe.backend == 0) {
      EXPECT_NE(probe.bytes.find("Via: SIP/2.0/UDP 198.19.0.2:5060;"), std::string::npos);
    }
}

}  // namespace
}  // namespace sipshunt::health
