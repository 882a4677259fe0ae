// Control plane. HEP mirroring on the main lcore (src/mirror/README.md): one Tap per worker,
// made before the workers are, and the HEP sender, which the control loop calls every iteration
// to drain the Taps and send what they hold over the kernel's UDP socket to the collector.
#include <time.h>

#include "sipshunt/runtime/runtime.hpp"

namespace sipshunt::runtime {

Result<void> Runtime::open_mirror(const mirror::HepOptions& options) {
  Result<std::unique_ptr<mirror::HepSender>> sender = mirror::HepSender::open(options);
  if (!sender) return sender.error();
  hep_ = std::move(*sender);
  for (std::uint32_t i = 0; i < options_.workers; ++i) {
    taps_.push_back(std::make_unique<mirror::Tap>(options.queue, options.sample));
    tap_list_.push_back(taps_.back().get());
  }
  shared_->mirror_taps = tap_list_.data();
  add_tick(0, [this](std::uint64_t) { drain_mirror(); });
  return {};
}

void Runtime::drain_mirror() {
  if (hep_ == nullptr) return;
  timespec wall{};
  clock_gettime(CLOCK_REALTIME, &wall);
  const std::int64_t unix_ns = std::int64_t{wall.tv_sec} * 1'000'000'000 + wall.tv_nsec;
  hep_->drain(tap_list_, unix_ns - static_cast<std::int64_t>(now_ns()));
}

MirrorStats Runtime::mirror_stats() const noexcept {
  MirrorStats s;
  if (hep_ == nullptr) return s;
  s.enabled = true;
  for (const auto& t : taps_) {
    const mirror::TapCounters c = t->counters();
    s.queue_full += c.full;
    s.too_large += c.too_large;
  }
  s.mirrored = hep_->counters().mirrored;
  s.send_errors = hep_->counters().send_errors + hep_->counters().unencodable;
  return s;
}

}  // namespace sipshunt::runtime
