#include "sipshunt/control/runtime.hpp"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <net/if.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/net/devargs.hpp"
#include "sipshunt/net/eal.hpp"
#include "sipshunt/proxy/proxy.hpp"
#include "sipshunt/rules/rules.hpp"

namespace sipshunt::control {

namespace {

std::atomic<int> g_stop{0};
std::atomic<int> g_reload{0};

extern "C" void on_stop_signal(int) { g_stop.store(1, std::memory_order_relaxed); }
extern "C" void on_hup_signal(int) { g_reload.store(1, std::memory_order_relaxed); }
extern "C" void on_wake_signal(int) {}  // only there to interrupt a blocked system call

int worker_main(void* arg) { return static_cast<dataplane::Worker*>(arg)->run(); }

net::EalPlan eal_plan(const RuntimeOptions& options) {
  net::EalPlan plan;
  plan.config_args = options.eal_args;
  plan.workers = options.workers;
  plan.cpus = std::thread::hardware_concurrency();
  for (const auto& p : options.ports) {
    if (net::is_pci_address(p.device)) {
      plan.pci_devices.push_back(p.device);
    } else {
      plan.any_vdev = true;
    }
  }
  return plan;
}

// What a worker needs to know about port i, from the config and from the device.
dataplane::PortContext port_context(const net::PortSpec& spec, const net::PortInfo& info) {
  dataplane::PortContext pc;
  pc.id = info.id;
  pc.mac = info.mac;
  pc.address = spec.address;
  pc.prefix_len = spec.prefix_len;
  pc.mtu = spec.mtu;
  pc.rx_ipv4_checksum = info.rx_ipv4_checksum;
  pc.rx_udp_checksum = info.rx_udp_checksum;
  pc.tx_ipv4_checksum = info.tx_ipv4_checksum;
  pc.tx_udp_checksum = info.tx_udp_checksum;
  return pc;
}

std::vector<net::InterfaceAddress> interfaces_of(const RuntimeOptions& o) {
  std::vector<net::InterfaceAddress> v;
  for (std::size_t i = 0; i < o.ports.size(); ++i) {
    v.push_back({static_cast<std::uint16_t>(i), o.ports[i].address, o.ports[i].prefix_len, o.ports[i].gateway});
  }
  return v;
}

}  // namespace

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sa.sa_handler = on_hup_signal;
  sigaction(SIGHUP, &sa, nullptr);
}

Result<void> validate(const RuntimeOptions& o) {
  const auto fail = [](std::string message) { return Error::plain(std::move(message)); };
  if (o.ports.empty()) return fail("dpdk.ports: at least one port is needed");
  if (o.ports.size() > dataplane::kMaxPorts)
    return fail("dpdk.ports: at most " + std::to_string(dataplane::kMaxPorts) + " ports");
  if (o.workers == 0 || o.workers > 64) return fail("dpdk.workers must be 1..64");
  if (o.rx_ring < 64 || o.tx_ring < 64) return fail("dpdk.rx_ring and dpdk.tx_ring must be at least 64");
  if (o.idle_sleep_us > 10'000) return fail("idle sleep: at most 10000 us");
  std::set<std::string> names, devices;
  for (const auto& p : o.ports) {
    if (p.name.empty()) return fail("dpdk.ports: a port without a name");
    if (!names.insert(p.name).second) return fail("dpdk.ports: duplicate port name " + p.name);
    if (!devices.insert(p.device).second) return fail("dpdk.ports: device " + p.device + " used twice");
    if (!net::is_pci_address(p.device) && p.device.rfind("net_", 0) != 0 && p.device.rfind("eth_", 0) != 0) {
      return fail(
          "port " + p.name + ": device \"" + p.device +
          "\" is neither a PCI address nor a DPDK virtual device name (net_af_packet0, net_tap0, net_pcap0, ...)");
    }
    if (net::is_pci_address(p.device) && !p.devargs.empty())
      return fail("port " + p.name + ": devargs are for virtual devices");
    if (net::is_af_packet(p.device) || p.device.rfind("net_af_xdp", 0) == 0) {
      // The kernel interface must exist here (in this network namespace) before DPDK opens it.
      const std::string iface = net::devarg(p.devargs, "iface");
      if (iface.empty()) return fail("port " + p.name + ": " + p.device + " needs devargs \"iface=<interface>\"");
      if (if_nametoindex(iface.c_str()) == 0) {
        return fail("port " + p.name + ": no network interface \"" + iface + "\" in this network namespace");
      }
    }
    if (p.address == 0) return fail("port " + p.name + ": no IPv4 address");
    if (p.prefix_len == 0 || p.prefix_len > 32) return fail("port " + p.name + ": prefix_len must be 1..32");
    if (p.mtu < 576 || p.mtu > net::kMbufDataRoom - net::kEthernetHeaderLen) {
      return fail("port " + p.name + ": mtu must be 576.." +
                  std::to_string(net::kMbufDataRoom - net::kEthernetHeaderLen));
    }
  }
  const net::RouteTableResult routes = net::RouteTable::build(interfaces_of(o), o.routes);
  if (!routes.table) return fail("dpdk.routes: " + routes.error);
  for (const auto& n : o.static_neighbours) {
    if (names.count(n.port) == 0)
      return fail("static neighbour " + net::format_ipv4(n.ip) + ": no port named " + n.port);
    if (n.mac.is_multicast() || n.mac.is_zero())
      return fail("static neighbour " + net::format_ipv4(n.ip) + ": not a unicast MAC");
  }
  const std::uint64_t need =
      std::uint64_t{o.ports.size()} * o.workers * (std::uint64_t{o.rx_ring} + o.tx_ring) +
      std::uint64_t{o.workers} * (dataplane::Worker::kHoldCapacity + 2 * dataplane::kBurst + 512) + 1024;
  if (o.mbufs < need) {
    return fail("dpdk.mbufs = " + std::to_string(o.mbufs) + " is below the " + std::to_string(need) +
                " that the rx/tx rings, per-core caches and ARP hold queues can pin");
  }
  return {};
}

Result<std::unique_ptr<Runtime>> Runtime::create(const RuntimeOptions& options) {
  if (Result<void> valid = validate(options); !valid) return valid.error();
  // From here on, a failure returns through ~Runtime, which undoes whatever was done.
  std::unique_ptr<Runtime> rt(new Runtime());
  rt->options_ = options;

  if (Result<void> eal = net::init_eal(net::eal_arguments(eal_plan(options))); !eal) return eal.error();
  rt->eal_ = true;
  if (rte_lcore_count() < options.workers + 1) {
    return Error::plain("the EAL has " + std::to_string(rte_lcore_count()) + " lcores; " +
                        std::to_string(options.workers) + " workers need " + std::to_string(options.workers + 1) +
                        " (one main lcore for control): fix -l in eal_args");
  }

  auto shared = std::make_unique<dataplane::Shared>();
  Result<rte_mempool*> pool = net::create_mbuf_pool("sipshunt_mbufs", options.mbufs);
  if (!pool) return pool.error();
  shared->pool = *pool;

  for (std::size_t i = 0; i < options.ports.size(); ++i) {
    net::PortOptions po;
    po.queues = static_cast<std::uint16_t>(options.workers);
    po.rx_ring = options.rx_ring;
    po.tx_ring = options.tx_ring;
    po.pool = shared->pool;
    net::PortInfo info;
    Result<void> opened = net::open_port(options.ports[i], po, info);
    rt->ports_.push_back(info);  // even half-open: shutdown() closes what was attached
    if (!opened) return opened.error();
    shared->ports[i] = port_context(options.ports[i], info);
  }
  shared->port_count = static_cast<std::uint16_t>(options.ports.size());
  shared->workers = options.workers;
  shared->routes = *net::RouteTable::build(interfaces_of(options), options.routes).table;

  rt->neighbours_ = std::make_unique<net::NeighbourTable>(4096, options.neighbour_timing);
  for (const auto& n : options.static_neighbours) {
    for (std::size_t i = 0; i < options.ports.size(); ++i) {
      if (options.ports[i].name == n.port)
        (void)rt->neighbours_->add_static(static_cast<std::uint16_t>(i), n.ip, n.mac);
    }
  }
  shared->neighbours = rt->neighbours_.get();

  const int socket = static_cast<int>(rte_socket_id());
  shared->events =
      rte_ring_create_elem("sipshunt_events", sizeof(dataplane::NeighbourEvent), 4096, socket, RING_F_SC_DEQ);
  shared->control_tx = rte_ring_create("sipshunt_ctl_tx", 1024, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
  const std::size_t qsbr_size = rte_rcu_qsbr_get_memsize(options.workers);
  shared->qsbr = static_cast<rte_rcu_qsbr*>(rte_zmalloc("sipshunt_qsbr", qsbr_size, RTE_CACHE_LINE_SIZE));
  if (shared->events == nullptr || shared->control_tx == nullptr || shared->qsbr == nullptr ||
      rte_rcu_qsbr_init(shared->qsbr, options.workers) != 0) {
    return Error::plain(std::string("cannot create the control rings / RCU state: ") + rte_strerror(rte_errno));
  }
  shared->sip_port = options.sip_port;
  shared->clock = net::TscClock::from_hz(rte_get_tsc_hz());
  shared->drain_cycles = shared->clock.cycles(std::uint64_t{options.drain_us} * 1000);
  shared->hold_cycles = shared->clock.cycles(std::uint64_t{options.hold_ms} * 1'000'000);
  shared->reassembly_cycles = shared->clock.cycles(std::uint64_t{options.reassembly_ms} * 1'000'000);
  shared->idle_sleep_ns = std::uint64_t{options.idle_sleep_us} * 1000;
  rt->shared_ = std::move(shared);

  try {
    for (std::uint32_t i = 0; i < options.workers; ++i) {
      rt->workers_.push_back(std::make_unique<dataplane::Worker>(*rt->shared_, i));
    }
  } catch (const std::exception& e) {
    return Error::plain(std::string("worker setup: ") + e.what());
  }
  return rt;
}

Runtime::~Runtime() { shutdown(); }

std::uint64_t Runtime::now_ns() const noexcept { return shared_->clock.ns(rte_rdtsc()); }

Result<void> Runtime::start(std::shared_ptr<const proxy::Snapshot> first) {
  if (first == nullptr) return Error::plain("no snapshot to start with");
  if (first->rules != nullptr) {
    for (auto& w : workers_) {
      if (!w->proxy_worker().scratch.prepare(*first->rules)) {
        return Error::plain("cannot allocate the Hyperscan scratch for the rule set");
      }
    }
  }
  current_ = std::move(first);
  shared_->snapshot.store(current_.get(), std::memory_order_release);

  // SIGURG wakes a worker stuck in a PMD's blocking call at shutdown (Worker::interrupt). No
  // SA_RESTART: the call must return EINTR.
  struct sigaction wake {};
  wake.sa_handler = on_wake_signal;
  sigemptyset(&wake.sa_mask);
  sigaction(SIGURG, &wake, nullptr);

  std::size_t i = 0;
  unsigned lcore = 0;
  RTE_LCORE_FOREACH_WORKER(lcore) {
    if (i == workers_.size()) break;
    if (rte_eal_remote_launch(worker_main, workers_[i].get(), lcore) != 0) {
      shared_->quit.store(true);
      rte_eal_mp_wait_lcore();
      return Error::plain("cannot launch worker " + std::to_string(i) + " on lcore " + std::to_string(lcore));
    }
    lcores_.push_back(lcore);
    ++i;
  }
  launched_ = true;
  started_ns_ = now_ns();
  // Announce every address we own, so neighbours (and switches) learn where it lives.
  for (std::size_t p = 0; p < ports_.size(); ++p) {
    unsigned char frame[60] = {};
    net::build_gratuitous_arp(frame, shared_->ports[p].mac, shared_->ports[p].address);
    send_frame(static_cast<std::uint16_t>(p), frame, sizeof frame);
  }
  return {};
}

void Runtime::send_frame(std::uint16_t port, const unsigned char* frame, std::size_t length) {
  rte_mbuf* m = rte_pktmbuf_alloc(shared_->pool);
  if (m == nullptr) return;
  char* d = rte_pktmbuf_append(m, static_cast<std::uint16_t>(length));
  std::memcpy(d, frame, length);
  dataplane::ControlTxMeta meta;
  meta.kind = dataplane::ControlTxMeta::Kind::kFrame;
  meta.port = static_cast<std::uint8_t>(port);
  std::memcpy(rte_mbuf_to_priv(m), &meta, sizeof meta);
  if (rte_ring_sp_enqueue(shared_->control_tx, m) != 0) rte_pktmbuf_free(m);
}

bool Runtime::send_udp(const Endpoint& to, std::string_view payload) {
  if (to.ip.family != Family::kIPv4 || payload.size() > net::kMbufDataRoom - net::kUdpFrameOverhead) return false;
  rte_mbuf* m = rte_pktmbuf_alloc(shared_->pool);
  if (m == nullptr) return false;
  char* d = rte_pktmbuf_append(m, static_cast<std::uint16_t>(payload.size()));
  if (d == nullptr) {
    rte_pktmbuf_free(m);
    return false;
  }
  std::memcpy(d, payload.data(), payload.size());
  dataplane::ControlTxMeta meta;
  meta.kind = dataplane::ControlTxMeta::Kind::kUdp;
  meta.dst_ip = to.ip.v4_host_order();
  meta.dst_port = to.port;
  std::memcpy(rte_mbuf_to_priv(m), &meta, sizeof meta);
  if (rte_ring_sp_enqueue(shared_->control_tx, m) != 0) {
    rte_pktmbuf_free(m);
    return false;
  }
  return true;
}

void Runtime::send_arp_request(const net::ArpRequestOut& r) {
  if (r.port >= ports_.size()) return;
  unsigned char frame[60] = {};
  const auto& pc = shared_->ports[r.port];
  net::build_arp_request(frame, pc.mac, pc.address, r.ip, r.unicast ? &*r.unicast : nullptr);
  send_frame(r.port, frame, sizeof frame);
  ++arp_requests_;
}

void Runtime::handle_events(std::uint64_t now) {
  dataplane::NeighbourEvent ev[64];
  for (;;) {
    const unsigned n = rte_ring_sc_dequeue_burst_elem(shared_->events, ev, sizeof ev[0], 64, nullptr);
    for (unsigned i = 0; i < n; ++i) {
      const auto& e = ev[i];
      switch (e.kind) {
        case dataplane::NeighbourEvent::Kind::kLearn:
          (void)neighbours_->confirm(e.port, e.ip, net::MacAddress::from_u64(e.mac), now);
          break;
        case dataplane::NeighbourEvent::Kind::kUpdate: {
          net::MacAddress known;
          if (neighbours_->lookup(e.port, e.ip, known)) {
            (void)neighbours_->confirm(e.port, e.ip, net::MacAddress::from_u64(e.mac), now);
          }
          break;
        }
        case dataplane::NeighbourEvent::Kind::kDemand:
          if (neighbours_->demand(e.port, e.ip, now)) send_arp_request({e.port, e.ip, std::nullopt});
          break;
      }
    }
    if (n < 64) break;
  }
}

void Runtime::add_tick(std::uint64_t period_ns, std::function<void(std::uint64_t)> fn) {
  ticks_.push_back(Tick{period_ns, 0, std::move(fn)});
}

int Runtime::run() {
  std::vector<net::ArpRequestOut> requests;
  std::uint64_t next_age = 0;
  while (!stop_.load(std::memory_order_relaxed) && g_stop.load(std::memory_order_relaxed) == 0) {
    const std::uint64_t now = now_ns();
    handle_events(now);
    if (now >= next_age) {
      requests.clear();
      neighbours_->age(now, requests);
      for (const auto& r : requests) send_arp_request(r);
      next_age = now + 100'000'000;
    }
    for (auto& t : ticks_) {
      if (now >= t.next) {
        t.next = now + t.period;
        t.fn(now);
      }
    }
    if (g_reload.exchange(0, std::memory_order_relaxed) != 0 && reload_) reload_();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  shutdown();
  return 0;
}

Result<void> Runtime::publish(std::shared_ptr<const proxy::Snapshot> next) {
  if (next == nullptr) return Error::plain("no snapshot");
  const bool new_rules = next->rules != nullptr && (current_ == nullptr || next->rules != current_->rules);
  const bool live = launched_ && !down_;
  if (new_rules && !live) {
    // No worker is running: grow their scratches in place.
    for (auto& w : workers_) {
      if (!w->proxy_worker().scratch.prepare(*next->rules)) {
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
  for (const auto& w : workers_) {
    final_counters_.push_back(w->counters());
    final_proxy_.push_back(std::make_unique<proxy::Counters>(w->proxy_worker().counters));
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

const dataplane::WorkerCounters& Runtime::worker_counters(std::size_t i) const noexcept {
  return down_ ? final_counters_[i] : workers_[i]->counters();
}

const proxy::Counters& Runtime::proxy_counters(std::size_t i) const noexcept {
  return down_ ? *final_proxy_[i] : workers_[i]->proxy_worker().counters;
}

dataplane::WorkerCounters Runtime::totals() const noexcept {
  dataplane::WorkerCounters t;
  for (std::size_t i = 0; i < worker_count(); ++i) dataplane::accumulate(t, worker_counters(i));
  return t;
}

void Runtime::proxy_totals(proxy::Counters& out) const noexcept {
  out = proxy::Counters{};
  auto add = [](auto& dst, const auto& src) {
    for (std::size_t i = 0; i < dst.size(); ++i) dst[i] += sipshunt::read(src[i]);
  };
  for (std::size_t i = 0; i < worker_count(); ++i) {
    const proxy::Counters& c = proxy_counters(i);
    add(out.by_reason, c.by_reason);
    add(out.replies_by_status, c.replies_by_status);
    add(out.by_backend, c.by_backend);
    add(out.by_rule, c.by_rule);
  }
}

std::vector<PortStats> Runtime::port_stats() const { return down_ ? final_port_stats_ : port_stats_now(); }

std::vector<PortStats> Runtime::port_stats_now() const {
  std::vector<PortStats> v;
  for (const auto& p : ports_) {
    PortStats s;
    s.name = p.name;
    rte_eth_stats st{};
    if (p.started && rte_eth_stats_get(p.id, &st) == 0) {
      s.ipackets = st.ipackets;
      s.opackets = st.opackets;
      s.ibytes = st.ibytes;
      s.obytes = st.obytes;
      s.imissed = st.imissed;
      s.ierrors = st.ierrors;
      s.oerrors = st.oerrors;
      s.rx_nombuf = st.rx_nombuf;
    }
    v.push_back(s);
  }
  return v;
}

void Runtime::set_probe_sink(const health::ProbeCodec* codec, health::Mailbox<health::ReplyEvent>* mailbox) noexcept {
  shared_->probe_mailbox.store(mailbox, std::memory_order_release);
  shared_->probe_codec.store(codec, std::memory_order_release);
}

}  // namespace sipshunt::control
