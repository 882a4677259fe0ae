// hot path (hash and lookup); table build is control plane.
// Call-ID hashing and Maglev consistent-hash tables with weights. A table is built off the
// workers from the up backends of a pool and published whole; workers only look up.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sipshunt::balance {

inline constexpr std::uint32_t kDefaultTableSize = 65537;  // prime

// Fixed, seedless 64-bit hash of a Call-ID value (surrounding whitespace trimmed): XXH3-64, seed 0.
// The same value on every host, restart and version; tests pin known values.
[[nodiscard]] std::uint64_t call_id_hash(std::string_view call_id) noexcept;

struct WeightedBackend {
  std::string_view id;      // stable id: the backend's configured name
  std::uint32_t weight = 1; // > 0
};

// Maglev lookup table (Eisenbud et al., NSDI 2016) with weights. Entries are indices into the
// span given to build(); the permutation of each backend depends only on its id, so reordering
// the input does not move keys.
class MaglevTable {
 public:
  MaglevTable() = default;
  // size must be prime; backends may be empty (every lookup then returns -1).
  [[nodiscard]] static MaglevTable build(std::span<const WeightedBackend> backends,
                                         std::uint32_t size = kDefaultTableSize);
  // Index of the backend owning `hash`, or -1 when the table is empty.
  [[nodiscard]] std::int32_t lookup(std::uint64_t hash) const noexcept {
    if (entries_.empty()) return -1;
    return entries_[hash % entries_.size()];
  }
  [[nodiscard]] std::uint32_t size() const noexcept { return static_cast<std::uint32_t>(entries_.size()); }
  [[nodiscard]] std::span<const std::int32_t> entries() const noexcept { return entries_; }

 private:
  std::vector<std::int32_t> entries_;
};

}  // namespace sipshunt::balance
