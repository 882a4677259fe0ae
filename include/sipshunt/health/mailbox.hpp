// hot path (push)
// The health mailbox: workers that receive a probe reply post a small event here; the control
// lcore drains it. Bounded multi-producer / single-consumer ring (Vyukov's bounded queue with a
// sequence number per cell): push is lock-free, never allocates, and a full ring drops the event
// and counts it, so a worker never waits on the control thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>

#include "sipshunt/common/compiler.hpp"

namespace sipshunt::health {

// One probe reply as seen by a worker. Timestamps use the clock the Prober is ticked with.
struct ReplyEvent {
  std::uint32_t backend = 0;  // prober's backend index (from the Call-ID)
  std::uint16_t status = 0;   // response status code
  std::uint16_t reserved = 0;
  std::uint64_t seq = 0;      // probe sequence number (from the Call-ID)
  std::uint64_t rx_ns = 0;    // when the worker received it
};
static_assert(std::is_trivially_copyable_v<ReplyEvent> && sizeof(ReplyEvent) == 24);

template <typename T>
class Mailbox {
  static_assert(std::is_trivially_copyable_v<T>, "mailbox events are small PODs");

 public:
  // `capacity` is rounded up to a power of two (at least 2). Allocates once, here.
  explicit Mailbox(std::size_t capacity = 1024) {
    std::size_t n = 2;
    while (n < capacity) n <<= 1;
    mask_ = n - 1;
    cells_ = std::make_unique<Cell[]>(n);
    for (std::size_t i = 0; i < n; ++i) cells_[i].seq.store(i, std::memory_order_relaxed);
  }
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  // Any thread. False (and the drop counted) when the ring is full.
  [[nodiscard]] bool push(const T& value) noexcept {
    std::size_t pos = head_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[pos & mask_];
      const std::size_t seq = cell.seq.load(std::memory_order_acquire);
      const auto diff = static_cast<std::ptrdiff_t>(seq) - static_cast<std::ptrdiff_t>(pos);
      if (diff == 0) {
        if (head_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          cell.value = value;
          cell.seq.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return false;
      } else {
        pos = head_.load(std::memory_order_relaxed);
      }
    }
  }

  // The single consumer only. False when empty.
  [[nodiscard]] bool pop(T& out) noexcept {
    Cell& cell = cells_[tail_ & mask_];
    const std::size_t seq = cell.seq.load(std::memory_order_acquire);
    if (static_cast<std::ptrdiff_t>(seq) - static_cast<std::ptrdiff_t>(tail_ + 1) < 0) return false;
    out = cell.value;
    cell.seq.store(tail_ + mask_ + 1, std::memory_order_release);
    ++tail_;
    return true;
  }

  [[nodiscard]] std::size_t capacity() const noexcept { return mask_ + 1; }
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

 private:
  struct Cell {
    std::atomic<std::size_t> seq{0};
    T value{};
  };
  std::unique_ptr<Cell[]> cells_;
  std::size_t mask_ = 0;
  SIPSHUNT_CACHE_ALIGNED std::atomic<std::size_t> head_{0};  // producers
  SIPSHUNT_CACHE_ALIGNED std::size_t tail_ = 0;              // consumer only
  SIPSHUNT_CACHE_ALIGNED std::atomic<std::uint64_t> dropped_{0};
};

using ReplyMailbox = Mailbox<ReplyEvent>;

}  // namespace sipshunt::health
