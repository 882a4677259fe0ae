// hot path
// A fixed-bucket latency histogram with one writer (a worker, or the control thread) and any
// number of readers: the buckets Prometheus exposes (`_bucket`, `_sum`, `_count`), kept as plain
// per-bucket counts written with bump() (common/counter.hpp), so recording costs a short scan and
// two adds, and a reader sums workers with read().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "sipshunt/common/counter.hpp"

namespace sipshunt {

struct LatencyHistogram {
  static constexpr std::size_t kMaxBounds = 16;
  // counts[i]: values <= bounds[i] and > bounds[i-1]; counts[bounds.size()]: above the last bound.
  std::array<std::uint64_t, kMaxBounds + 1> counts{};
  std::uint64_t sum_ns = 0;

  // `bounds_ns` ascending, at most kMaxBounds; the same span for every record() and reader.
  SIPSHUNT_ALWAYS_INLINE void record(std::uint64_t ns, std::span<const std::uint64_t> bounds_ns) noexcept {
    std::size_t i = 0;
    while (i < bounds_ns.size() && ns > bounds_ns[i]) ++i;
    bump(counts[i]);
    bump(sum_ns, ns);
  }

  // Reader side: adds `other`'s counts (read() each) into this one.
  void add(const LatencyHistogram& other) noexcept {
    for (std::size_t i = 0; i < counts.size(); ++i) counts[i] += read(other.counts[i]);
    sum_ns += read(other.sum_ns);
  }
};

// Bucket bounds (ns) of the histograms sipshunt exposes.
// Health probe round trip: from the control lcore's send to a worker reading the reply.
inline constexpr std::array<std::uint64_t, 14> kProbeRttBoundsNs = {
    100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000, 25'000'000,
    50'000'000, 100'000'000, 250'000'000, 500'000'000, 1'000'000'000, 2'500'000'000};
// One SIP datagram through proxy::process (parse, rules, balance, rewrite), sampled.
inline constexpr std::array<std::uint64_t, 12> kProcessingBoundsNs = {
    250, 500, 1'000, 2'000, 4'000, 8'000, 16'000, 32'000, 64'000, 128'000, 512'000, 2'000'000};

}  // namespace sipshunt
