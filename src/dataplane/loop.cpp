// The worker lcore's loop: construction, run() and poll_once() (rx bursts, prefetch),
// the ~100 us timer, tx buffers and their flush, the shutdown drain, and the rules scratch
// hand-off with the control plane. Everything below run() is hot path: no allocation, lock,
// syscall or log (but the opt-in idle nap).
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <csignal>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "packet.hpp"
#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/net/headers.hpp"
#include "sipshunt/proxy/proxy.hpp"

namespace sipshunt::dataplane {

using detail::kLinearSize;
using detail::kOutHeadroom;

namespace {
constexpr unsigned kPrefetchAhead = 3;
}  // namespace

Worker::Worker(Shared& shared, std::uint32_t index)
    : shared_(shared),
      index_(index),
      proxy_(std::make_unique<proxy::ThreadState>()),
      tx_(std::make_unique<TxBuffer[]>(kMaxPorts)),
      hold_(kHoldCapacity),
      death_row_(std::make_unique<rte_ip_frag_death_row>()),
      linear_in_(std::make_unique<char[]>(kLinearSize)),
      linear_out_(std::make_unique<char[]>(kLinearSize + kOutHeadroom)),
      ip_id_(static_cast<std::uint16_t>(index)),
      ipv6_id_(index),
      id_step_(shared.workers) {
  std::memset(death_row_.get(), 0, sizeof(rte_ip_frag_death_row));
  // 1024 buckets x 8 entries, at most 4096 datagrams in reassembly per worker at once.
  frag_table_ = rte_ip_frag_table_create(1024, 8, 4096, shared.reassembly_cycles, static_cast<int>(rte_socket_id()));
  if (frag_table_ == nullptr) throw std::runtime_error("cannot create the IP reassembly table");
}

Worker::~Worker() {
  drain();
  if (frag_table_ != nullptr) rte_ip_frag_table_destroy(frag_table_);
  delete pending_scratch_.load(std::memory_order_acquire);
  delete retired_scratch_;
}

void Worker::offer_scratch(std::unique_ptr<rules::Scratch> s) noexcept {
  // One offer at a time (the control plane waits for scratch_taken() before the next); an offer
  // still pending is replaced and freed, since the worker never touched it.
  delete pending_scratch_.exchange(s.release(), std::memory_order_acq_rel);
}

std::unique_ptr<rules::Scratch> Worker::take_retired_scratch() noexcept {
  if (!scratch_taken()) return nullptr;  // the acquire orders the read of retired_scratch_
  rules::Scratch* r = retired_scratch_;
  retired_scratch_ = nullptr;
  return std::unique_ptr<rules::Scratch>(r);
}

int Worker::run() noexcept {
  thread_ = pthread_self();
  running_.store(true, std::memory_order_release);
  if (shared_.qsbr != nullptr) {
    rte_rcu_qsbr_thread_register(shared_.qsbr, index_);
    rte_rcu_qsbr_thread_online(shared_.qsbr, index_);
    online_ = true;
  }
  last_tsc_ = last_timer_ = rte_rdtsc();
  while (!shared_.quit.load(std::memory_order_relaxed)) poll_once();
  // Shutdown: stop reading, send what is buffered, release what waits, leave RCU.
  drain();
  if (online_) {
    rte_rcu_qsbr_thread_offline(shared_.qsbr, index_);
    rte_rcu_qsbr_thread_unregister(shared_.qsbr, index_);
    online_ = false;
  }
  running_.store(false, std::memory_order_release);
  return 0;
}

void Worker::interrupt() noexcept {
  if (running_.load(std::memory_order_acquire)) pthread_kill(thread_, SIGURG);
}

void Worker::drain() noexcept {
  flush_all();
  hold_.sweep([&](auto& item) {
    rte_pktmbuf_free(item.packet);
    bump(counters_.drops[static_cast<std::size_t>(Drop::kNeighbourTimeout)]);
    return false;
  });
  if (death_row_->cnt != 0) rte_ip_frag_free_death_row(death_row_.get(), 0);
}

void Worker::poll_once() noexcept {
  if (shared_.qsbr != nullptr) rte_rcu_qsbr_quiescent(shared_.qsbr, index_);
  const proxy::Snapshot* snap = shared_.snapshot.load(std::memory_order_acquire);
  snap_ = snap;
  mirror_taps_ = shared_.mirror_taps;  // may be set after the workers start: seen from the next burst
  if (SIPSHUNT_UNLIKELY(snap != templates_for_)) build_templates(snap);
  if (SIPSHUNT_UNLIKELY(pending_scratch_.load(std::memory_order_relaxed) != nullptr)) {
    // A scratch for a new rule set (offered before that snapshot was stored, and prepared for
    // the previous rule set too, so it serves whichever of the two `snap` is). Swapped in here,
    // between two datagrams; the old one goes back to the control plane to be freed.
    rules::Scratch* next = pending_scratch_.load(std::memory_order_acquire);
    proxy_->scratch.swap(*next);
    retired_scratch_ = next;
    pending_scratch_.store(nullptr, std::memory_order_release);
  }
  const std::uint64_t now = rte_rdtsc();
  bump(last_busy_ ? counters_.busy_cycles : counters_.idle_cycles, now - last_tsc_);
  bump(counters_.loops);
  last_tsc_ = now;
  datagram_.now_ns = shared_.clock.ns(now);
  if (now - last_timer_ >= shared_.drain_cycles) {
    last_timer_ = now;
    timer(now);
  }

  std::uint32_t total = 0;
  rte_mbuf* pkts[kBurst];
  for (std::uint16_t p = 0; p < shared_.port_count; ++p) {
    const std::uint16_t n = rte_eth_rx_burst(shared_.ports[p].id, static_cast<std::uint16_t>(index_), pkts, kBurst);
    if (n == 0) continue;
    total += n;
    for (unsigned i = 0; i < n && i < kPrefetchAhead; ++i) rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
    // The port's receive counters once per burst (handle() may free or reuse the mbuf, so each
    // length is read before it).
    std::uint64_t bytes = 0;
    for (unsigned i = 0; i < n; ++i) {
      if (i + kPrefetchAhead < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void*));
      bytes += pkts[i]->pkt_len;
      handle(pkts[i], p);
    }
    bump(counters_.ports[p].rx_packets, n);
    bump(counters_.ports[p].rx_bytes, bytes);
  }
  last_busy_ = total != 0;
  if (total != 0) {
    empty_polls_ = 0;
    flush_all();
    if (death_row_->cnt != 0) {
      bump(counters_.drops[static_cast<std::size_t>(Drop::kFragmentDropped)], death_row_->cnt);
      rte_ip_frag_free_death_row(death_row_.get(), kPrefetchAhead);
    }
  } else if (SIPSHUNT_UNLIKELY(shared_.idle_sleep_ns != 0) && ++empty_polls_ >= shared_.idle_polls) {
    empty_polls_ = 0;
    nap();
  }
}

// Idle only (adaptive polling, opt-in): the one system call of the loop, never taken while packets
// arrive. Offline for RCU meanwhile, so a publish does not wait for the sleep.
void Worker::nap() noexcept {
  flush_all();
  if (shared_.qsbr != nullptr && online_) rte_rcu_qsbr_thread_offline(shared_.qsbr, index_);
  const timespec ts{0, static_cast<long>(shared_.idle_sleep_ns)};
  nanosleep(&ts, nullptr);
  if (shared_.qsbr != nullptr && online_) rte_rcu_qsbr_thread_online(shared_.qsbr, index_);
  bump(counters_.naps);
}

void Worker::timer(std::uint64_t now) noexcept {
  flush_all();
  if (!hold_.empty()) service_hold(now);
  if (index_ == 0 && shared_.control_tx != nullptr) drain_control_tx(now);
  flush_all();
}

// Worker 0 transmits for the control lcore (ARP requests, health probes): see README.md
// "Seams for health probes, the admin API and reload" for why not from a queue of its own.
void Worker::drain_control_tx(std::uint64_t now) noexcept {
  void* objs[kBurst];
  const unsigned n = rte_ring_sc_dequeue_burst(shared_.control_tx, objs, kBurst, nullptr);
  for (unsigned i = 0; i < n; ++i) {
    auto* m = static_cast<rte_mbuf*>(objs[i]);
    ControlTxMeta meta;
    std::memcpy(&meta, rte_mbuf_to_priv(m), sizeof meta);
    bump(counters_.control_tx);
    if (meta.kind == ControlTxMeta::Kind::kFrame) {
      if (meta.network >= shared_.network_count) {
        drop(m, Drop::kNoRoute);
        continue;
      }
      transmit(meta.network, m);
    } else {
      send_udp_routed(m, true, rte_pktmbuf_mtod(m, char*), m->data_len, Endpoint{meta.dst_ip, meta.dst_port}, now);
    }
  }
}

void Worker::drop(rte_mbuf* m, Drop why) noexcept {
  bump(counters_.drops[static_cast<std::size_t>(why)]);
  rte_pktmbuf_free(m);
}

void Worker::flush(std::uint16_t port) noexcept {
  TxBuffer& b = tx_[port];
  if (b.count == 0) return;
  const std::uint16_t sent = rte_eth_tx_burst(shared_.ports[port].id, static_cast<std::uint16_t>(index_), b.pkts, b.count);
  std::uint64_t bytes = b.bytes;
  for (std::uint16_t i = sent; i < b.count; ++i) {
    bytes -= b.pkts[i]->pkt_len;
    drop(b.pkts[i], Drop::kTxFull);
  }
  bump(counters_.ports[port].tx_packets, sent);
  bump(counters_.ports[port].tx_bytes, bytes);
  b.count = 0;
  b.bytes = 0;
}

void Worker::flush_all() noexcept {
  for (std::uint16_t p = 0; p < shared_.port_count; ++p) flush(p);
}

}  // namespace sipshunt::dataplane
