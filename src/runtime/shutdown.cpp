// Control plane. Taking the DPDK process down in order: workers stop and drain their tx
// buffers (woken with SIGURG if a PMD call blocks them), their final counters are kept, then
// ports, rings, RCU state and the EAL are released.
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "sipshunt/runtime/runtime.hpp"
#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/net/eal.hpp"
#include "sipshunt/proxy/proxy.hpp"

namespace sipshunt::runtime {

Runtime::~Runtime() { shutdown(); }

void Runtime::shutdown() {
  if (down_) return;
  down_ = true;
  if (shared_ != nullptr) {
    shared_->quit.store(true, std::memory_order_release);
    if (launched_) {
      // Each worker drains its tx buffers on the way out. One blocked inside a PMD call (the
      // af_packet PMD can wait in poll() for a tx frame) is woken with a signal after 500 ms.
      const auto kick = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
      for (;;) {
        const bool running = std::any_of(lcores_.begin(), lcores_.end(),
                                         [](unsigned l) { return rte_eal_get_lcore_state(l) == RUNNING; });
        if (!running) break;
        if (std::chrono::steady_clock::now() > kick) {
          for (auto& w : workers_) w->interrupt();
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        } else {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      }
      rte_eal_mp_wait_lcore();
    }
    if (shared_->control_tx != nullptr) {
      void* m = nullptr;
      while (rte_ring_sc_dequeue(shared_->control_tx, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    }
  }
  drain_mirror();  // what the workers queued before they stopped
  for (const auto& w : workers_) {
    final_counters_.push_back(w->counters());
    final_proxy_.push_back(std::make_unique<proxy::Counters>(w->proxy_state().counters));
  }
  final_port_stats_ = port_stats_now();
  workers_.clear();
  for (auto& p : ports_) net::close_port(p);
  if (shared_ != nullptr) {
    rte_ring_free(shared_->events);
    rte_ring_free(shared_->control_tx);
    rte_free(shared_->qsbr);
    shared_->events = shared_->control_tx = nullptr;
    shared_->qsbr = nullptr;
  }
  if (eal_) {
    net::cleanup_eal();
    eal_ = false;
  }
}

}  // namespace sipshunt::runtime
