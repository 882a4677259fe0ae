// Control plane (main lcore). Owns the DPDK process: EAL, ports, the mbuf pool, the workers on
// their lcores, the neighbour table of both families (ARP requests and neighbour solicitations,
// ageing, gratuitous ARP and unsolicited advertisements per network), and the published
// proxy snapshot, replaced with RCU (rte_rcu_qsbr: each worker reports a quiescent state once
// per loop iteration; an old snapshot is released after every worker has passed one).
// Clean shutdown on SIGINT/SIGTERM: workers stop reading, drain their tx buffers and go
// offline; ports are stopped and closed; run() returns 0.
//
// One class, implemented one job per file in src/runtime/ (see src/runtime/README.md):
// bring_up.cpp (create, start), loop.cpp (run), transmit.cpp, neighbours.cpp, publish.cpp,
// shutdown.cpp, counters.cpp, signals.cpp, mirror.cpp (HEP); options.hpp holds what it is started with.
//
// Seams for health probes, the admin API and hot reload (control::Controller, wired up by
// control/control_bridge.hpp):
//   publish()                    swap in a new snapshot (reload, backend state change)
//   worker_counters(), proxy_counters(), totals(), port_stats()    metrics
//   set_probe_sink()             where workers post probe replies (health::ReplyMailbox)
//   send_udp()                   transmit a datagram (a probe) through the data plane
//   add_tick(), on_reload()      control-loop hooks (prober tick, SIGHUP)
//   now_ns()                     the TSC clock the workers stamp probe replies with
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sipshunt/common/address.hpp"
#include "sipshunt/common/result.hpp"
#include "sipshunt/runtime/options.hpp"
#include "sipshunt/dataplane/counters.hpp"
#include "sipshunt/dataplane/shared.hpp"
#include "sipshunt/mirror/sender.hpp"
#include "sipshunt/mirror/tap.hpp"
#include "sipshunt/net/neighbour.hpp"
#include "sipshunt/net/port.hpp"

namespace sipshunt::proxy {
struct Snapshot;
struct Counters;
}  // namespace sipshunt::proxy
namespace sipshunt::health {
class ProbeCodec;
}

namespace sipshunt::dataplane {
class Worker;
}

namespace sipshunt::runtime {

// HEP mirroring, summed over the workers' Taps and the sender (all zero when it is off).
struct MirrorStats {
  bool enabled = false;
  std::uint64_t mirrored = 0;     // HEP packets handed to the kernel
  std::uint64_t queue_full = 0;   // records dropped: a worker's Tap was full
  std::uint64_t too_large = 0;    // datagrams above mirror::kMaxPayload
  std::uint64_t send_errors = 0;  // sends the kernel refused (collector unreachable, buffer full)
};

struct PortStats {
  std::string name;
  std::uint64_t ipackets = 0, opackets = 0, ibytes = 0, obytes = 0;
  std::uint64_t imissed = 0, ierrors = 0, oerrors = 0, rx_nombuf = 0;
  std::uint64_t ring_dropped = 0;  // af_packet rx ring full (net::af_packet_ring_drops, accumulated)
};

class Runtime {
 public:
  // EAL, mbuf pool, ports (started), rings, RCU, workers (not yet launched).
  [[nodiscard]] static Result<std::unique_ptr<Runtime>> create(const RuntimeOptions& options);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Publishes the first snapshot, launches the workers, announces our addresses (gratuitous
  // ARP, unsolicited neighbour advertisement, on every network). Fails when a worker's rules scratch cannot be prepared or a worker cannot be launched.
  [[nodiscard]] Result<void> start(std::shared_ptr<const proxy::Snapshot> first);
  // The control loop: neighbour events and ageing, hooks, signals. Returns after SIGINT/SIGTERM
  // or request_stop(), with everything shut down. 0 on a clean stop.
  int run();
  void request_stop() noexcept { stop_.store(true, std::memory_order_relaxed); }
  // Stops the workers (they drain their tx), then the ports. Idempotent.
  void shutdown();

  // ---- seams (control lcore only)
  // Swaps in `next` for every worker, which never stop: when its rule set differs from the
  // current one, each worker is first offered a fresh Hyperscan scratch prepared for both rule
  // sets, which it swaps in between two datagrams. Returns after every worker has stopped using
  // the previous snapshot (which is then released) and taken its new scratch. Fails, keeping
  // the old snapshot, when a scratch cannot be allocated.
  [[nodiscard]] Result<void> publish(std::shared_ptr<const proxy::Snapshot> next);
  [[nodiscard]] std::shared_ptr<const proxy::Snapshot> snapshot() const { return current_; }

  [[nodiscard]] std::size_t worker_count() const noexcept { return down_ ? final_counters_.size() : workers_.size(); }
  [[nodiscard]] const dataplane::WorkerCounters& worker_counters(std::size_t i) const noexcept;
  [[nodiscard]] const proxy::Counters& proxy_counters(std::size_t i) const noexcept;
  [[nodiscard]] dataplane::WorkerCounters totals() const noexcept;
  void proxy_totals(proxy::Counters& out) const noexcept;
  [[nodiscard]] std::vector<PortStats> port_stats() const;
  // Names of the ports not started or whose link is down (readiness; empty after shutdown: all).
  [[nodiscard]] std::vector<std::string> ports_link_down() const;
  [[nodiscard]] const std::vector<net::PortInfo>& ports() const noexcept { return ports_; }
  [[nodiscard]] const net::NeighbourTable& neighbours() const noexcept { return *neighbours_; }
  [[nodiscard]] const std::vector<config::Network>& networks() const noexcept { return options_.networks; }
  [[nodiscard]] std::uint64_t arp_requests_sent() const noexcept { return arp_requests_; }
  [[nodiscard]] MirrorStats mirror_stats() const noexcept;
  [[nodiscard]] std::uint64_t solicitations_sent() const noexcept { return solicitations_; }

  // Workers post probe replies (Verdict::kLocal) recognised by `codec` into `mailbox`.
  void set_probe_sink(const health::ProbeCodec* codec, health::Mailbox<health::ReplyEvent>* mailbox) noexcept;
  // Sends `payload` as one UDP datagram from our SIP port to `to` through worker 0's tx queue
  // (routing, ARP and fragmentation as for forwarded traffic). False when out of mbufs, too
  // large, or the ring to worker 0 is full.
  bool send_udp(const Endpoint& to, std::string_view payload);
  // Calls fn(now_ns) from the control loop every `period_ns` (at most ~1 ms late).
  void add_tick(std::uint64_t period_ns, std::function<void(std::uint64_t)> fn);
  // Called from the control loop after SIGHUP.
  void on_reload(std::function<void()> fn) { reload_ = std::move(fn); }
  // Called from the control loop once it stops (signal or request_stop()), before shutdown().
  void on_stop(std::function<void()> fn) { stopping_ = std::move(fn); }
  // Called from the control loop at the first SIGINT/SIGTERM; returns how long to keep running
  // before stopping (ns; 0: stop now). A second signal, or request_stop(), stops at once.
  void on_stop_signal(std::function<std::uint64_t()> fn) { stop_grace_ = std::move(fn); }
  [[nodiscard]] std::uint64_t now_ns() const noexcept;
  [[nodiscard]] std::uint64_t started_ns() const noexcept { return started_ns_; }

 private:
  Runtime() = default;
  // A whole untagged frame out of `network` (worker 0 pushes its VLAN tag).
  void send_frame(std::uint16_t network, const unsigned char* frame, std::size_t length);
  // An ARP request (IPv4) or a neighbour solicitation (IPv6).
  void send_neighbour_probe(const net::NeighbourProbe& r);
  void announce();
  void handle_events(std::uint64_t now);
  void age_neighbours(std::uint64_t now);
  [[nodiscard]] std::vector<PortStats> port_stats_now() const;
  // mirror.cpp: the workers' Taps and the HEP sender (before the workers are built), and the
  // control loop's drain of the Taps.
  [[nodiscard]] Result<void> open_mirror(const mirror::HepOptions& options);
  void drain_mirror();

  RuntimeOptions options_;
  std::vector<net::PortInfo> ports_;
  std::unique_ptr<dataplane::Shared> shared_;
  std::unique_ptr<net::NeighbourTable> neighbours_;
  std::vector<std::unique_ptr<dataplane::Worker>> workers_;
  std::vector<unsigned> lcores_;  // the lcore each worker runs on
  std::shared_ptr<const proxy::Snapshot> current_;
  struct Tick {
    std::uint64_t period = 0;
    std::uint64_t next = 0;
    std::function<void(std::uint64_t)> fn;
  };
  std::vector<Tick> ticks_;
  std::function<void()> reload_;
  std::function<void()> stopping_;
  std::function<std::uint64_t()> stop_grace_;
  std::atomic<bool> stop_{false};
  bool eal_ = false;
  bool launched_ = false;
  bool down_ = false;
  std::uint64_t arp_requests_ = 0;
  std::uint64_t solicitations_ = 0;
  std::vector<net::NeighbourProbe> probes_due_;  // age_neighbours' scratch list
  std::uint64_t next_age_ns_ = 0;
  std::uint64_t started_ns_ = 0;
  // What the counters said when the data plane went down (the workers are gone by then).
  std::vector<dataplane::WorkerCounters> final_counters_;
  // Per port, af_packet ring drops read so far (the kernel's counter resets on every read).
  mutable std::vector<std::uint64_t> ring_dropped_;
  std::vector<std::unique_ptr<proxy::Counters>> final_proxy_;
  std::vector<PortStats> final_port_stats_;
  std::vector<std::unique_ptr<mirror::Tap>> taps_;  // one per worker; empty when mirroring is off
  std::vector<mirror::Tap*> tap_list_;               // what shared_->mirror_taps points to
  std::unique_ptr<mirror::HepSender> hep_;
};

// Installs SIGINT/SIGTERM (stop) and SIGHUP (reload) handlers that set flags run() polls, and
// unblocks SIGHUP in the calling thread (main() blocks it from the start).
void install_signal_handlers();

}  // namespace sipshunt::runtime
