// hot path
// A worker's memo of what a scanned field's value matched: the pattern ids a Hyperscan scan of
// that exact value reported, so that a value seen again is answered without scanning it. Worth it
// only for a field with few distinct values (a User-Agent); a field that misses too often is
// scanned without the memo for a while (see FieldMemo::usable). Private to the rules module.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "sipshunt/common/octets.hpp"

namespace sipshunt::rules {

class FieldMemo {
 public:
  static constexpr std::size_t kSlots = 32;      // direct-mapped: one place per value hash
  static constexpr std::size_t kMaxValue = 96;   // longer values are always scanned
  static constexpr std::size_t kMaxIds = 4;      // a value matching more patterns is not memoised
  // Usefulness, judged per window of kWindow probes: fewer than a quarter hits and the field is
  // scanned without the memo for the next kRest scans (a miss costs a hash, two compares and a copy,
  // a tenth of the scan it failed to save; a hit saves the whole scan).
  static constexpr std::uint32_t kWindow = 256;
  static constexpr std::uint32_t kRest = 16384;

  struct Entry {
    std::uint64_t set = 0;  // RuleSet::Impl::serial of the set it was filled under; 0: empty
    std::uint16_t size = 0;
    std::uint8_t count = 0;  // ids used
    std::array<std::uint32_t, kMaxIds> ids{};
    char value[kMaxValue];
  };

  // The slot a value maps to: a multiply-xorshift hash of its octets, eight at a time (the last
  // eight overlapping the ones before), cheaper on values of a few dozen octets than a general
  // purpose hash. Only where a value is kept depends on it: a hit compares the octets.
  [[nodiscard]] static std::size_t slot_of(std::string_view value) noexcept {
    const std::size_t n = value.size();
    const char* p = value.data();
    std::uint64_t h = n * 0x9e3779b97f4a7c15u;
    const auto mix = [&h](std::uint64_t w) noexcept {
      h = (h ^ w) * 0xbf58476d1ce4e5b9u;
      h ^= h >> 31;
    };
    if (n >= 8) {
      for (std::size_t i = 0; i + 8 < n; i += 8) mix(load8(p + i));
      mix(load8(p + n - 8));
    } else {
      std::uint64_t w = 0;
      for (std::size_t i = 0; i < n; ++i) w = (w << 8) | static_cast<unsigned char>(p[i]);
      mix(w);
    }
    return static_cast<std::size_t>(h >> 32) % kSlots;
  }

  // Whether to use the memo for this value now; counts the scans it rests.
  [[nodiscard]] bool usable(std::string_view value) noexcept {
    if (value.size() > kMaxValue) return false;
    if (rest_ != 0) {
      --rest_;
      return false;
    }
    return true;
  }

  // The entry for exactly `value` filled under rule set `set`, or null (a miss). Compares the
  // octets, never the hash alone. The entry of the last hit is tried before the value is hashed:
  // a field's values come in runs (every INVITE of a trunk carries its one User-Agent), and a hit
  // there costs a compare instead of a hash and a compare. `slot` is set to the value's slot
  // (for store) whenever the result is null.
  [[nodiscard]] const Entry* find(std::uint64_t set, std::string_view value, std::size_t& slot) noexcept {
    const Entry* e = &slots_[last_];
    if (!holds(*e, set, value)) {
      slot = slot_of(value);
      e = &slots_[slot];
      if (holds(*e, set, value)) {
        last_ = static_cast<std::uint32_t>(slot);
      } else {
        e = nullptr;
        ++misses_;  // counted where they happen: the usual hit only counts the probe
      }
    }
    if (++probes_ == kWindow) {
      if ((probes_ - misses_) * 4 < probes_) rest_ = kRest;  // fewer than a quarter hits
      probes_ = misses_ = 0;
    }
    return e;
  }

  // Records that `value` (at most kMaxValue octets) matched `ids` (at most kMaxIds) under `set`.
  void store(std::uint64_t set, std::string_view value, std::size_t slot, std::span<const std::uint32_t> ids) noexcept {
    Entry& e = slots_[slot];
    e.set = set;
    e.size = static_cast<std::uint16_t>(value.size());
    e.count = static_cast<std::uint8_t>(ids.size());
    std::copy(ids.begin(), ids.end(), e.ids.begin());
    if (!value.empty()) std::memcpy(e.value, value.data(), value.size());
  }

  [[nodiscard]] std::uint32_t resting() const noexcept { return rest_; }
  [[nodiscard]] const Entry& at(std::size_t slot) const noexcept { return slots_[slot]; }

 private:
  [[nodiscard]] static bool holds(const Entry& e, std::uint64_t set, std::string_view value) noexcept {
    return e.set == set && e.size == value.size() && same_octets(e.value, value.data(), value.size());
  }

  std::uint32_t last_ = 0;  // the slot of the last hit
  std::uint32_t probes_ = 0;
  std::uint32_t misses_ = 0;
  std::uint32_t rest_ = 0;
  std::array<Entry, kSlots> slots_{};
};

}  // namespace sipshunt::rules
