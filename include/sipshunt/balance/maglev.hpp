// hot path (hash and lookup); table build is control plane.
// Call-ID hashing and Maglev consistent-hash tables with weights. A table is built off the
// workers from all configured backends of a pool (each flagged up or not) and published whole.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sipshunt::balance {

inline constexpr std::uint32_t kDefaultTableSize = 65537;  // prime
inline constexpr std::uint32_t kMaxTableSize = 16777213;   // largest prime below 2^24

// Fixed, seedless 64-bit hash of a Call-ID value: XXH3-64 (no seed, no secret) over the value
// with surrounding SP, HT, CR and LF trimmed. The same value on every host, restart and version;
// tests pin known values.
[[nodiscard]] std::uint64_t call_id_hash(std::string_view call_id) noexcept;

struct WeightedBackend {
  std::string_view id;       // stable id: the backend's configured name; unique within a build
  std::uint32_t weight = 1;  // 0 excludes the backend (it never owns a slot)
  bool up = true;            // false: present in the pool but not to be chosen (health down,
                             // drained or disabled); its slots go to the others, see below
};

// Maglev lookup table (Eisenbud et al., NSDI 2016) with weights, in two layers:
//
// 1. Base layer: the Maglev population over EVERY backend given (up or not) with weight > 0.
//    Backend i's permutation of the slots is offset = XXH3(id, seed 0) % M,
//    skip = XXH3(id, seed 1) % (M - 1) + 1, so it depends on the id only. Each backend is given an
//    exact quota, floor(M * w / W) plus one of the remainder slots (largest fractional part
//    first), and backends take turns claiming their next free preferred slot, a backend of weight
//    w taking w turns for every w_max of the heaviest one, until they reach their quota. Equal
//    weights therefore give slot counts that differ by at most one, and weights are honoured to
//    within one slot. The turn order is by id hash, never by input order.
// 2. Fallback layer: a slot whose base owner is not up goes to the up backend with the highest
//    weighted rendezvous score for that slot, w / -ln(u) where u = hash(slot, id) in (0, 1)
//    (integer hashing and plain IEEE arithmetic only, so every host computes the same table).
//
// Consequences, all exact (tested):
// - Taking a backend out (up = false: health down, drained or disabled) moves only the keys it
//   owned; no other key changes backend. Bringing it back moves only the keys it then owns.
// - The table depends only on (ids, weights, up flags, size), never on history or input order:
//   every instance and every worker computes the same table.
// - Adding or removing a backend from the configured set (a config change) re-runs the base
//   layer: Maglev's near-minimal disruption (adding one of N+1 moves about 1/(N+1) of keys).
//   To retire a backend without moving anyone else, mark it drained/disabled first.
// Entries are indices into the span given to build(); a down or zero-weight backend never
// appears. Keys map to slots by multiply-shift (hash * M >> 64), not by a modulo: one multiply.
class MaglevTable {
 public:
  MaglevTable() = default;
  // `size` must be a prime in [2, kMaxTableSize]; ids must be unique. Throws std::invalid_argument
  // otherwise. With no backend up (or an empty span) every lookup returns -1.
  [[nodiscard]] static MaglevTable build(std::span<const WeightedBackend> backends,
                                         std::uint32_t size = kDefaultTableSize);

  // Index (into the build() span) of the backend owning `hash`, or -1 when none is up.
  [[nodiscard]] std::int32_t lookup(std::uint64_t hash) const noexcept {
    if (entries_.empty()) return -1;
    return entries_[slot_of(hash, static_cast<std::uint32_t>(entries_.size()))];
  }
  // Starts loading the slot `hash` maps to. A worker meets distinct Call-IDs and the rest of its
  // traffic streams through the caches, so the 256 KiB table is mostly not in L1/L2 when the
  // lookup comes: issuing the load early lets the work in between hide the miss. Returns the
  // entry prefetched (nullptr for an empty table), which the caller reads instead of a lookup()
  // that would map the hash to its slot again.
  const std::int32_t* prefetch(std::uint64_t hash) const noexcept {
    if (entries_.empty()) return nullptr;
    const std::int32_t* e = &entries_[slot_of(hash, static_cast<std::uint32_t>(entries_.size()))];
    __builtin_prefetch(e);
    return e;
  }
  // The slot a hash maps to in a table of `size` slots: floor(hash * size / 2^64).
  [[nodiscard]] static std::uint32_t slot_of(std::uint64_t hash, std::uint32_t size) noexcept {
    __extension__ typedef unsigned __int128 U128;
    return static_cast<std::uint32_t>((static_cast<U128>(hash) * size) >> 64);
  }
  // Number of slots; 0 for an empty table (nothing up).
  [[nodiscard]] std::uint32_t size() const noexcept { return static_cast<std::uint32_t>(entries_.size()); }
  [[nodiscard]] std::span<const std::int32_t> entries() const noexcept { return entries_; }
  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }

 private:
  std::vector<std::int32_t> entries_;
};

// True when n is prime (control plane: table sizes are validated with it).
[[nodiscard]] bool is_prime(std::uint32_t n) noexcept;

}  // namespace sipshunt::balance
