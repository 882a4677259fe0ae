// hot path
// Counting one process() result into the worker's Counters: one per-reason count always, and the
// per-status, per-backend and per-rule counts where they apply. Written with bump() (the control
// thread reads them with read(), include/sipshunt/common/counter.hpp). Private to src/proxy.
#pragma once

#include <cstddef>

#include "sipshunt/common/counter.hpp"
#include "sipshunt/proxy/proxy.hpp"

namespace sipshunt::proxy::detail {

inline void count(Counters& k, const Outcome& r) noexcept {
  bump(k.by_reason[static_cast<std::size_t>(r.reason)]);
  if (r.verdict == Verdict::kReply && r.status < k.replies_by_status.size()) bump(k.replies_by_status[r.status]);
  if (r.verdict == Verdict::kForward && r.backend >= 0 && static_cast<std::size_t>(r.backend) < kMaxCountedBackends)
    bump(k.by_backend[static_cast<std::size_t>(r.backend)]);
  if (r.rule >= 0 && static_cast<std::size_t>(r.rule) < kMaxCountedRules) bump(k.by_rule[static_cast<std::size_t>(r.rule)]);
}

}  // namespace sipshunt::proxy::detail
