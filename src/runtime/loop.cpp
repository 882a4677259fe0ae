// Control plane. The control loop on the main lcore (every ~200 us: neighbour events and
// ageing, the hooks' ticks, SIGHUP), the clock it runs on, and its way out on SIGINT/SIGTERM:
// at once, or after the stop grace the first signal asks for (README "Running several
// instances": the routers move the traffic away meanwhile, the workers keep forwarding).
#include <rte_cycles.h>

#include <chrono>
#include <optional>
#include <thread>
#include <utility>

#include "signals.hpp"
#include "sipshunt/runtime/runtime.hpp"

namespace sipshunt::runtime {

std::uint64_t Runtime::now_ns() const noexcept { return shared_->clock.ns(rte_rdtsc()); }

void Runtime::add_tick(std::uint64_t period_ns, std::function<void(std::uint64_t)> fn) {
  ticks_.push_back(Tick{period_ns, 0, std::move(fn)});
}

int Runtime::run() {
  std::optional<std::uint64_t> stop_at;  // set at the first stop signal
  while (!stop_.load(std::memory_order_relaxed)) {
    const std::uint64_t now = now_ns();
    if (const int signals = stop_signals(); signals > 0) {
      if (!stop_at) stop_at = now + (signals == 1 && stop_grace_ ? stop_grace_() : 0);
      if (signals > 1 || now >= *stop_at) break;
    }
    handle_events(now);
    age_neighbours(now);
    for (auto& t : ticks_) {
      if (now >= t.next) {
        t.next = now + t.period;
        t.fn(now);
      }
    }
    if (take_reload_signal() && reload_) reload_();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  if (stopping_) stopping_();
  shutdown();
  return 0;
}

}  // namespace sipshunt::runtime
