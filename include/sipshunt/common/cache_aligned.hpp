// Per-worker heap memory that a worker writes on its hot path: an allocator whose blocks start on
// a cache line and end on one, so no other allocation (another worker's, say) shares a line with
// them. Without it, two small blocks the control thread allocates one after the other for two
// workers can sit on one line, and every write by one worker evicts it from the other's cache.
#pragma once

#include <cstddef>
#include <new>

#include "sipshunt/common/compiler.hpp"

namespace sipshunt {

template <typename T>
struct CacheAlignedAllocator {
  using value_type = T;
  CacheAlignedAllocator() noexcept = default;
  template <typename U>
  CacheAlignedAllocator(const CacheAlignedAllocator<U>&) noexcept {}  // NOLINT: rebinding

  [[nodiscard]] T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new(rounded(n), std::align_val_t{kCacheLine}));
  }
  // The unsized form: clang (the fuzz build) does not declare sized deallocation by default.
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t{kCacheLine}); }

  template <typename U>
  bool operator==(const CacheAlignedAllocator<U>&) const noexcept {
    return true;
  }

 private:
  static std::size_t rounded(std::size_t n) noexcept { return (n * sizeof(T) + kCacheLine - 1) / kCacheLine * kCacheLine; }
};

}  // namespace sipshunt
