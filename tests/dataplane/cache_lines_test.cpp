// No cache line written by two workers: what each worker writes per packet (its data-plane and
// proxy counters, its proxy thread state, its tx buffers, its rules scratch) starts and ends on a
// line boundary, so that whatever the allocator puts next to it belongs to nobody else's hot path
// (src/dataplane/README.md, "Cache lines between workers").
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "sipshunt/common/cache_aligned.hpp"
#include "sipshunt/dataplane/counters.hpp"
#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/proxy/proxy.hpp"

using namespace sipshunt;

namespace {

template <typename T>
constexpr bool whole_lines = alignof(T) % kCacheLine == 0 && sizeof(T) % kCacheLine == 0;

std::uintptr_t line_of(const void* p) { return reinterpret_cast<std::uintptr_t>(p) / kCacheLine; }

TEST(CacheLines, PerWorkerStateCoversWholeLines) {
  static_assert(whole_lines<dataplane::WorkerCounters>);
  static_assert(whole_lines<proxy::Counters>);
  static_assert(whole_lines<proxy::ThreadState>);
  static_assert(whole_lines<dataplane::Worker>);
  SUCCEED();
}

TEST(CacheLines, AlignedAllocatorBlocksShareNoLine) {
  // Small blocks allocated one after the other (as the control thread does for worker 0, then
  // worker 1) land on lines of their own; with std::allocator they usually share one.
  std::vector<std::vector<std::uint64_t, CacheAlignedAllocator<std::uint64_t>>> blocks;
  for (int i = 0; i < 64; ++i) blocks.emplace_back(1 + i % 3, 0);
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const auto* first = blocks[i].data();
    const auto* last = first + blocks[i].size() - 1;
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(first) % kCacheLine, 0u);
    for (std::size_t j = 0; j < blocks.size(); ++j) {
      if (i == j) continue;
      const auto* other = blocks[j].data();
      const auto* other_last = other + blocks[j].size() - 1;
      EXPECT_FALSE(line_of(other) >= line_of(first) && line_of(other) <= line_of(last));
      EXPECT_FALSE(line_of(other_last) >= line_of(first) && line_of(other_last) <= line_of(last));
    }
  }
}

}  // namespace
