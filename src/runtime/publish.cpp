// Control plane. What the workers read from the control lcore: the proxy snapshot, swapped
// under RCU with each worker's Hyperscan scratch handed over first when the rule set changes,
// and the sink for health-probe replies.
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include <memory>
#include <utility>
#include <vector>

#include "sipshunt/runtime/runtime.hpp"
#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/proxy/proxy.hpp"
#include "sipshunt/rules/rules.hpp"

namespace sipshunt::runtime {

Result<void> Runtime::publish(std::shared_ptr<const proxy::Snapshot> next) {
  if (next == nullptr) return Error::plain("no snapshot");
  const bool new_rules = next->rules != nullptr && (current_ == nullptr || next->rules != current_->rules);
  const bool live = launched_ && !down_;
  if (new_rules && !live) {
    // No worker is running: grow their scratches in place.
    for (auto& w : workers_) {
      if (!w->proxy_state().scratch.prepare(*next->rules)) {
        return Error::plain("cannot grow a worker's Hyperscan scratch for the new rule set; snapshot not published");
      }
    }
  } else if (new_rules) {
    // hs_alloc_scratch may reallocate a scratch, so a running worker's is never touched: each
    // gets a fresh one, good for the rule set it may still be using and for the new one.
    std::vector<std::unique_ptr<rules::Scratch>> fresh;
    for (std::size_t i = 0; i < workers_.size(); ++i) {
      auto s = std::make_unique<rules::Scratch>();
      if ((current_ != nullptr && current_->rules != nullptr && !s->prepare(*current_->rules)) ||
          !s->prepare(*next->rules)) {
        return Error::plain("cannot allocate a Hyperscan scratch for the new rule set; snapshot not published");
      }
      fresh.push_back(std::move(s));
    }
    for (std::size_t i = 0; i < workers_.size(); ++i) workers_[i]->offer_scratch(std::move(fresh[i]));
  }
  shared_->snapshot.store(next.get(), std::memory_order_release);
  if (live) {
    // Every worker passes a quiescent state at the top of each loop iteration; once all have,
    // nobody still holds the previous snapshot. A new scratch is taken in the iteration that
    // follows, so that wait is one loop at most.
    rte_rcu_qsbr_synchronize(shared_->qsbr, RTE_QSBR_THRID_INVALID);
    if (new_rules) {
      for (auto& w : workers_) {
        while (!w->scratch_taken() && !shared_->quit.load(std::memory_order_relaxed)) rte_pause();
        w->take_retired_scratch().reset();  // the old scratch is freed here, off the worker
      }
    }
  }
  current_ = std::move(next);
  return {};
}

void Runtime::set_probe_sink(const health::ProbeCodec* codec, health::Mailbox<health::ReplyEvent>* mailbox) noexcept {
  shared_->probe_mailbox.store(mailbox, std::memory_order_release);
  shared_->probe_codec.store(codec, std::memory_order_release);
}

}  // namespace sipshunt::runtime
