// The Tap's control-plane side: its slots, allocated once, and the sampling threshold.
#include "sipshunt/mirror/tap.hpp"

#include <algorithm>
#include <cmath>

namespace sipshunt::mirror {

Tap::Tap(std::size_t capacity, double sample) {
  std::size_t n = 2;
  while (n < capacity) n <<= 1;
  mask_ = n - 1;
  slots_ = std::make_unique<Record[]>(n);
  const double share = std::clamp(sample, 0.0, 1.0);
  threshold_ = static_cast<std::uint64_t>(std::llround(share * 4294967296.0));
}

}  // namespace sipshunt::mirror
