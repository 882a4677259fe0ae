// The workers' Tap: FIFO order, a full ring counted (never blocking), oversized datagrams
// counted, the sampling share, and one producer against one consumer on two threads.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "sipshunt/mirror/tap.hpp"

namespace sipshunt::mirror {
namespace {

const Endpoint kA{IpAddress::v4(0xc6120002), 5060};
const Endpoint kB{IpAddress::v4(0xc6120001), 5060};

TEST(Tap, KeepsOrderAndEverything) {
  Tap tap(4, 1.0);
  EXPECT_EQ(tap.capacity(), 4u);
  EXPECT_EQ(tap.push(Direction::kIn, kA, kB, 7, "one", 3), Push::kQueued);
  EXPECT_EQ(tap.push(Direction::kOut, kB, kA, 8, "two!", 4), Push::kQueued);
  const Record* r = tap.peek();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(std::string(r->payload, r->header.length), "one");
  EXPECT_EQ(r->header.source, kA);
  EXPECT_EQ(r->header.destination, kB);
  EXPECT_EQ(r->header.mono_ns, 7u);
  EXPECT_EQ(r->header.direction, Direction::kIn);
  tap.pop();
  r = tap.peek();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(std::string(r->payload, r->header.length), "two!");
  EXPECT_EQ(r->header.direction, Direction::kOut);
  tap.pop();
  EXPECT_EQ(tap.peek(), nullptr);
  EXPECT_EQ(tap.counters().queued, 2u);
}

TEST(Tap, FullRingCountsAndRefusesWithoutBlocking) {
  Tap tap(2, 1.0);
  EXPECT_EQ(tap.push(Direction::kIn, kA, kB, 0, "a", 1), Push::kQueued);
  EXPECT_EQ(tap.push(Direction::kIn, kA, kB, 0, "b", 1), Push::kQueued);
  EXPECT_EQ(tap.push(Direction::kIn, kA, kB, 0, "c", 1), Push::kFull);
  EXPECT_EQ(tap.counters().full, 1u);
  tap.pop();
  EXPECT_EQ(tap.push(Direction::kIn, kA, kB, 0, "d", 1), Push::kQueued);  // room again after a pop
  std::string seen;
  while (const Record* r = tap.peek()) {
    seen.append(r->payload, r->header.length);
    tap.pop();
  }
  EXPECT_EQ(seen, "bd");
}

TEST(Tap, OversizedDatagramIsCounted) {
  Tap tap(2, 1.0);
  const std::string big(kMaxPayload + 1, 'x');
  EXPECT_EQ(tap.push(Direction::kIn, kA, kB, 0, big.data(), big.size()), Push::kTooLarge);
  EXPECT_EQ(tap.push(Direction::kIn, kA, kB, 0, big.data(), kMaxPayload), Push::kQueued);
  EXPECT_EQ(tap.counters().too_large, 1u);
  EXPECT_EQ(tap.counters().queued, 1u);
}

TEST(Tap, SamplingKeepsTheConfiguredShare) {
  for (double share : {0.0, 0.1, 0.5, 1.0}) {
    Tap tap(2, share);
    EXPECT_EQ(tap.samples_all(), share == 1.0);
    int kept = 0;
    constexpr int kKeys = 100000;
    for (int i = 0; i < kKeys; ++i) kept += tap.wants(tap.next_key()) ? 1 : 0;
    EXPECT_NEAR(kept, share * kKeys, kKeys * 0.01) << share;
  }
}

TEST(Tap, OneProducerOneConsumerLoseNothingTheyCounted) {
  Tap tap(64, 1.0);
  constexpr std::uint64_t kMessages = 200000;
  std::thread producer([&] {
    for (std::uint64_t i = 0; i < kMessages; ++i) {
      const std::string text = std::to_string(i);
      (void)tap.push(Direction::kIn, kA, kB, i, text.data(), text.size());
    }
  });
  std::uint64_t received = 0, last = 0;
  bool ordered = true, intact = true;
  for (;;) {
    const Record* r = tap.peek();
    if (r == nullptr) {
      if (tap.counters().queued + tap.counters().full == kMessages && tap.peek() == nullptr) break;
      continue;
    }
    if (received > 0 && r->header.mono_ns <= last) ordered = false;
    if (std::string(r->payload, r->header.length) != std::to_string(r->header.mono_ns)) intact = false;
    last = r->header.mono_ns;
    ++received;
    tap.pop();
  }
  producer.join();
  EXPECT_TRUE(ordered);
  EXPECT_TRUE(intact);
  EXPECT_EQ(received, tap.counters().queued);
  EXPECT_EQ(received + tap.counters().full, kMessages);
}

}  // namespace
}  // namespace sipshunt::mirror
