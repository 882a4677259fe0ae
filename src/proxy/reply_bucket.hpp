// hot path
// The stateless reply budget of one worker: a token bucket refilled at the config's reply_rate
// per second, reply_burst deep (README.md "Stateless replies"). Private to src/proxy.
#pragma once

#include <cstdint>

#include "sipshunt/proxy/proxy.hpp"

namespace sipshunt::proxy::detail {

// Takes one token; false when the budget is spent. Tokens are 10^9 units so that a refill of
// `reply_rate` per second is integer math on nanoseconds.
[[nodiscard]] inline bool take_reply_token(const Snapshot& s, ReplyBucket& b, std::uint64_t now) noexcept {
  constexpr std::uint64_t kUnit = 1'000'000'000;
  const std::uint64_t cap = std::uint64_t{s.reply_burst} * kUnit;
  if (!b.primed) {
    b.primed = true;
    b.units = cap;
    b.last_ns = now;
  } else if (now > b.last_ns) {
    std::uint64_t dt = now - b.last_ns;
    if (dt > 10 * kUnit) dt = 10 * kUnit;  // keeps dt * rate far from overflow
    b.units += dt * s.reply_rate;
    if (b.units > cap) b.units = cap;
    b.last_ns = now;
  }
  if (b.units < kUnit) return false;
  b.units -= kUnit;
  return true;
}

}  // namespace sipshunt::proxy::detail
