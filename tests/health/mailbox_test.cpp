// The worker -> control mailbox: order, bounds, drops, and concurrent producers.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "sipshunt/health/mailbox.hpp"

namespace sipshunt::health {
namespace {

TEST(Mailbox, CapacityRoundsUpToAPowerOfTwo) {
  EXPECT_EQ(ReplyMailbox(1).capacity(), 2u);
  EXPECT_EQ(ReplyMailbox(5).capacity(), 8u);
  EXPECT_EQ(ReplyMailbox(1024).capacity(), 1024u);
}

TEST(Mailbox, FifoAndFullRingDropsAndCounts) {
  ReplyMailbox box(4);
  ReplyEvent ev;
  EXPECT_FALSE(box.pop(ev));
  for (std::uint64_t i = 0; i < 4; ++i) EXPECT_TRUE(box.push({.backend = 1, .status = 200, .seq = i}));
  EXPECT_FALSE(box.push({.seq = 99}));
  EXPECT_FALSE(box.push({.seq = 100}));
  EXPECT_EQ(box.dropped(), 2u);
  for (std::uint64_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(box.pop(ev));
    EXPECT_EQ(ev.seq, i);
    EXPECT_EQ(ev.status, 200);
  }
  EXPECT_FALSE(box.pop(ev));
  // wraps around many times
  for (std::uint64_t i = 0; i < 1000; ++i) {
    ASSERT_TRUE(box.push({.seq = i}));
    ASSERT_TRUE(box.pop(ev));
    ASSERT_EQ(ev.seq, i);
  }
  EXPECT_EQ(box.dropped(), 2u);
}

// Several producers race one consumer. Every event is delivered at most once, each producer's
// events arrive in the order it pushed them, and delivered + dropped == pushed.
TEST(Mailbox, ConcurrentProducersAndOneConsumerLoseNothingUncounted) {
  constexpr std::uint32_t kProducers = 4;
  constexpr std::uint64_t kPerProducer = 200'000;
  ReplyMailbox box(256);
  std::atomic<std::uint32_t> running{kProducers};
  std::atomic<bool> go{false};
  std::vector<std::uint64_t> accepted(kProducers, 0);
  std::vector<std::thread> producers;
  for (std::uint32_t p = 0; p < kProducers; ++p)
    producers.emplace_back([&, p] {
      while (!go.load()) std::this_thread::yield();
      std::uint64_t ok = 0;
      for (std::uint64_t i = 0; i < kPerProducer; ++i) {
        if (box.push({.backend = p, .status = 200, .seq = i, .rx_ns = i * 3 + p})) ++ok;
        if (i % 1024 == 0) std::this_thread::yield();  // give the consumer a chance on 2 cores
      }
      accepted[p] = ok;
      running.fetch_sub(1);
    });

  std::vector<std::uint64_t> next_min(kProducers, 0);
  std::vector<std::uint64_t> received(kProducers, 0);
  bool order_ok = true, payload_ok = true;
  go.store(true);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  ReplyEvent ev;
  for (;;) {
    if (box.pop(ev)) {
      if (ev.backend >= kProducers) {
        payload_ok = false;
        continue;
      }
      if (ev.seq < next_min[ev.backend]) order_ok = false;
      if (ev.rx_ns != ev.seq * 3 + ev.backend || ev.status != 200) payload_ok = false;
      next_min[ev.backend] = ev.seq + 1;
      ++received[ev.backend];
      continue;
    }
    if (running.load() == 0) {
      while (box.pop(ev)) {
        if (ev.seq < next_min[ev.backend]) order_ok = false;
        next_min[ev.backend] = ev.seq + 1;
        ++received[ev.backend];
      }
      break;
    }
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
  }
  for (auto& t : producers) t.join();
  EXPECT_TRUE(order_ok);
  EXPECT_TRUE(payload_ok);
  std::uint64_t total_received = 0, total_accepted = 0;
  for (std::uint32_t p = 0; p < kProducers; ++p) {
    EXPECT_EQ(received[p], accepted[p]) << "producer " << p;
    total_received += received[p];
    total_accepted += accepted[p];
  }
  EXPECT_EQ(total_accepted + box.dropped(), kProducers * kPerProducer);
  EXPECT_GT(total_received, 0u);
  RecordProperty("dropped", std::to_string(box.dropped()));
}

}  // namespace
}  // namespace sipshunt::health
