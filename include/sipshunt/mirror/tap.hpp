// hot path (Tap::push)
// The workers' half of HEP mirroring (src/mirror/README.md): each worker owns one Tap, a bounded
// single-producer / single-consumer ring of fixed-size records (a datagram copied with its two
// endpoints and a timestamp). The worker only copies into a free slot; the control lcore drains
// the ring, encodes HEP and sends it. A full ring or an oversized datagram is counted, never waited on.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "sipshunt/common/address.hpp"
#include "sipshunt/common/compiler.hpp"
#include "sipshunt/common/counter.hpp"

namespace sipshunt::mirror {

enum class Direction : std::uint8_t { kIn = 0, kOut = 1 };  // arrived at us / sent by us

struct RecordHeader {
  Endpoint source;
  Endpoint destination;
  std::uint64_t mono_ns = 0;  // the worker's clock (Runtime::now_ns), turned into wall time when sent
  std::uint16_t length = 0;
  Direction direction = Direction::kIn;
};

// One slot: 4 KiB, so a ring of 1024 is 4 MiB per worker. RFC 3261 §18.1.1 sends a request over
// 1300 octets by TCP when it can, so UDP SIP rarely comes near kMaxPayload; what does is counted.
inline constexpr std::size_t kRecordSize = 4096;
struct alignas(64) Record {
  RecordHeader header;
  char payload[kRecordSize - 64];
};
static_assert(sizeof(RecordHeader) <= 64 && sizeof(Record) == kRecordSize);
inline constexpr std::size_t kMaxPayload = sizeof(Record::payload);

enum class Push : std::uint8_t { kQueued = 0, kFull = 1, kTooLarge = 2 };

// Written by the worker (bump), read by the control lcore (read).
struct TapCounters {
  std::uint64_t queued = 0;
  std::uint64_t full = 0;       // ring full: the control lcore is behind
  std::uint64_t too_large = 0;  // above kMaxPayload
};

class Tap {
 public:
  // Control plane. `capacity` is rounded up to a power of two (at least 2); `sample` in [0, 1]
  // is the share of calls mirrored (sampled by Call-ID, so a call is mirrored whole or not at all).
  Tap(std::size_t capacity, double sample);
  Tap(const Tap&) = delete;
  Tap& operator=(const Tap&) = delete;

  // ---- producer (the owning worker)
  [[nodiscard]] bool samples_all() const noexcept { return threshold_ > 0xffffffffu; }
  // Whether a message with this key is mirrored: the key's low 32 bits under the threshold. The
  // Call-ID hash's high bits pick the backend (Maglev's multiply-shift), so the low bits keep
  // the sampled calls spread over every backend.
  [[nodiscard]] bool wants(std::uint64_t key) const noexcept { return (key & 0xffffffffu) < threshold_; }
  // A key for a message without a Call-ID: a counter mixed (splitmix64), so the share holds.
  [[nodiscard]] std::uint64_t next_key() noexcept {
    std::uint64_t z = (sequence_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  Push push(Direction direction, const Endpoint& source, const Endpoint& destination, std::uint64_t mono_ns,
            const char* payload, std::size_t length) noexcept {
    if (SIPSHUNT_UNLIKELY(length > kMaxPayload)) {
      bump(counters_.too_large);
      return Push::kTooLarge;
    }
    const std::size_t h = head_.load(std::memory_order_relaxed);
    if (SIPSHUNT_UNLIKELY(h - tail_cache_ > mask_)) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (h - tail_cache_ > mask_) {
        bump(counters_.full);
        return Push::kFull;
      }
    }
    Record& r = slots_[h & mask_];
    r.header.source = source;
    r.header.destination = destination;
    r.header.mono_ns = mono_ns;
    r.header.length = static_cast<std::uint16_t>(length);
    r.header.direction = direction;
    std::memcpy(r.payload, payload, length);
    head_.store(h + 1, std::memory_order_release);
    bump(counters_.queued);
    return Push::kQueued;
  }

  // ---- consumer (the control lcore)
  // The oldest record, or null when empty; stays valid until pop().
  [[nodiscard]] const Record* peek() noexcept {
    if (tail_own_ == head_cache_) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (tail_own_ == head_cache_) return nullptr;
    }
    return &slots_[tail_own_ & mask_];
  }
  // Frees the oldest record (none when empty).
  void pop() noexcept {
    if (peek() != nullptr) tail_.store(++tail_own_, std::memory_order_release);
  }

  [[nodiscard]] std::size_t capacity() const noexcept { return mask_ + 1; }
  [[nodiscard]] TapCounters counters() const noexcept {
    return {read(counters_.queued), read(counters_.full), read(counters_.too_large)};
  }

 private:
  std::unique_ptr<Record[]> slots_;
  std::size_t mask_ = 0;
  std::uint64_t threshold_ = 0;  // 2^32 * sample
  SIPSHUNT_CACHE_ALIGNED std::atomic<std::size_t> head_{0};  // producer writes
  std::size_t tail_cache_ = 0;                                // producer's view of tail_
  std::uint64_t sequence_ = 0;
  TapCounters counters_;
  SIPSHUNT_CACHE_ALIGNED std::atomic<std::size_t> tail_{0};  // consumer writes
  std::size_t tail_own_ = 0;
  std::size_t head_cache_ = 0;                                // consumer's view of head_
};

}  // namespace sipshunt::mirror
