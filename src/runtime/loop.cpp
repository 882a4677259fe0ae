// Control plane. The control loop on the main lcore (every ~200 us: neighbour events and
// ageing, the hooks' ticks, SIGHUP), the clock it runs on, and its way out on SIGINT/SIGTERM.
#include <rte_cycles.h>

#include <chrono>
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
  while (!stop_.load(std::memory_order_relaxed) && !stop_signalled()) {
    const std::uint64_t now = now_ns();
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
