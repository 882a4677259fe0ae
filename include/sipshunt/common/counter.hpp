// hot path
// Per-worker counters: one writer (the worker that owns them), any number of readers (the control
// thread summing them for metrics). Every such counter is written with bump() and read with
// read(), so the concurrent access is defined by the C++ memory model (a plain ++ read from
// another thread is a data race) and still costs a plain add on x86.
#pragma once

#include <atomic>
#include <cstdint>

#include "sipshunt/common/compiler.hpp"

namespace sipshunt {

// Single-writer increment: the owner's own load needs no ordering; the store is atomic so a
// concurrent reader never sees a torn value. Returns the count before it, from that one load (a
// relaxed atomic load is not merged with another, so a read() before the bump would be a second).
SIPSHUNT_ALWAYS_INLINE std::uint64_t bump(std::uint64_t& counter, std::uint64_t n = 1) noexcept {
  std::atomic_ref<std::uint64_t> ref(counter);
  const std::uint64_t before = ref.load(std::memory_order_relaxed);
  ref.store(before + n, std::memory_order_relaxed);
  return before;
}

// Reader side (control thread).
[[nodiscard]] inline std::uint64_t read(const std::uint64_t& counter) noexcept {
  return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(counter)).load(std::memory_order_relaxed);
}

}  // namespace sipshunt
