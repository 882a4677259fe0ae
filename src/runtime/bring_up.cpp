// Control plane. Bringing the DPDK process up: create() starts the EAL, the mbuf pool, the
// ports, the control rings and RCU state, and builds the workers; start() publishes the first
// snapshot, launches the workers on their lcores and announces our addresses.
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <algorithm>
#include <exception>
#include <string>
#include <thread>
#include <utility>

#include "signals.hpp"
#include "sipshunt/runtime/runtime.hpp"
#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/net/af_xdp.hpp"
#include "sipshunt/net/devargs.hpp"
#include "sipshunt/net/eal.hpp"
#include "sipshunt/net/ipv6.hpp"
#include "sipshunt/proxy/proxy.hpp"
#include "sipshunt/rules/rules.hpp"

namespace sipshunt::runtime {

namespace {

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
      plan.any_af_xdp = plan.any_af_xdp || net::is_af_xdp(p.device);
    }
  }
  return plan;
}

// What a worker needs to know about port i, from the device (its links come from the networks).
dataplane::PortContext port_context(const net::PortInfo& info) {
  dataplane::PortContext pc;
  pc.id = info.id;
  pc.mac = info.mac;
  pc.rx_ipv4_checksum = info.rx_ipv4_checksum;
  pc.rx_udp_checksum = info.rx_udp_checksum;
  pc.tx_ipv4_checksum = info.tx_ipv4_checksum;
  pc.tx_udp_checksum = info.tx_udp_checksum;
  return pc;
}

}  // namespace

Result<std::unique_ptr<Runtime>> Runtime::create(const RuntimeOptions& options) {
  if (Result<void> valid = validate(options); !valid) return valid.error();
  if (Result<void> host = check_host(options); !host) return host.error();
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

  const bool any_af_xdp = std::any_of(options.ports.begin(), options.ports.end(),
                                      [](const net::PortSpec& p) { return net::is_af_xdp(p.device); });
  for (std::size_t i = 0; i < options.ports.size(); ++i) {
    net::PortOptions po;
    po.queues = static_cast<std::uint16_t>(options.workers);
    po.rx_ring = options.rx_ring;
    po.tx_ring = options.tx_ring;
    po.pool = shared->pool;
    po.single_pool = !any_af_xdp;
    if (net::is_af_xdp(options.ports[i].device)) {
      // A frame must fit one page-sized UMEM chunk (net/af_xdp.hpp); the bound depends on DPDK's
      // mbuf layout, so it is checked here rather than in the DPDK-free validate().
      const unsigned max_mtu = net::af_xdp_max_frame() - net::kEthernetHeaderLen - net::kVlanTagLen;
      if (options.ports[i].mtu > max_mtu) {
        return Error::plain("port " + options.ports[i].name + ": mtu must be 576.." + std::to_string(max_mtu) +
                            " on AF_XDP (a frame must fit a page-sized UMEM chunk)");
      }
      // The PMD makes its rx pool the socket's UMEM, which the shared 8 KiB mbufs cannot be.
      Result<rte_mempool*> umem = net::create_af_xdp_pool(
          "sipshunt_xdp" + std::to_string(i), net::af_xdp_pool_size(po.queues, po.rx_ring, po.tx_ring));
      if (!umem) return Error::plain("port " + options.ports[i].name + ": " + umem.error().message);
      po.pool = *umem;
    }
    net::PortInfo info;
    Result<void> opened = net::open_port(options.ports[i], po, info);
    rt->ports_.push_back(info);  // even half-open: shutdown() closes what was attached
    if (!opened) return opened.error();
    shared->ports[i] = port_context(info);
  }
  shared->port_count = static_cast<std::uint16_t>(options.ports.size());
  // Networks, and each port's links: the untagged one first (the common case is found at once).
  for (std::size_t i = 0; i < options.networks.size(); ++i) {
    const config::Network& n = options.networks[i];
    dataplane::NetworkContext& nc = shared->networks[i];
    nc.port = n.port;
    nc.vlan = n.vlan;
    nc.address = n.address;
    nc.sip_address = n.sip_address();
    nc.prefix_len = n.prefix_len;
    nc.mtu = options.ports[n.port].mtu;
    dataplane::PortContext& pc = shared->ports[n.port];
    dataplane::PortLink* link = nullptr;
    for (std::uint8_t l = 0; l < pc.link_count; ++l) {
      if (pc.links[l].vlan == n.vlan) link = &pc.links[l];
    }
    if (link == nullptr) {
      link = &pc.links[pc.link_count++];
      link->vlan = n.vlan;
    }
    (n.address.family == Family::kIPv6 ? link->v6 : link->v4) = static_cast<std::uint16_t>(i);
  }
  for (std::uint16_t p = 0; p < shared->port_count; ++p) {
    auto& pc = shared->ports[p];
    std::stable_partition(pc.links.begin(), pc.links.begin() + pc.link_count,
                          [](const dataplane::PortLink& l) { return l.vlan == 0; });
    pc.settle();
  }
  shared->network_count = static_cast<std::uint16_t>(options.networks.size());
  shared->workers = options.workers;
  shared->routes = *net::RouteTable::build(options.networks, options.routes);

  rt->neighbours_ = std::make_unique<net::NeighbourTable>(4096, options.neighbour_timing);
  for (const auto& n : options.static_neighbours) {
    if (const auto network = network_of(options, n)) (void)rt->neighbours_->add_static(*network, n.ip, n.mac);
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
  if (options.hep) {
    if (Result<void> opened = rt->open_mirror(*options.hep); !opened) return opened.error();
  }

  try {
    for (std::uint32_t i = 0; i < options.workers; ++i) {
      rt->workers_.push_back(std::make_unique<dataplane::Worker>(*rt->shared_, i));
    }
  } catch (const std::exception& e) {
    return Error::plain(std::string("worker setup: ") + e.what());
  }
  return rt;
}

Result<void> Runtime::start(std::shared_ptr<const proxy::Snapshot> first) {
  if (first == nullptr) return Error::plain("no snapshot to start with");
  if (first->rules != nullptr) {
    for (auto& w : workers_) {
      if (!w->proxy_state().scratch.prepare(*first->rules)) {
        return Error::plain("cannot allocate the Hyperscan scratch for the rule set");
      }
    }
  }
  current_ = std::move(first);
  shared_->snapshot.store(current_.get(), std::memory_order_release);

  // SIGURG wakes a worker stuck in a PMD's blocking call at shutdown (Worker::interrupt).
  install_wake_handler();

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
  announce();
  return {};
}

// Every address we own, announced on its network, so neighbours (and switches) learn where it
// lives: a gratuitous ARP (IPv4), an unsolicited neighbour advertisement (IPv6, RFC 4861 §7.2.6).
void Runtime::announce() {
  for (std::uint16_t i = 0; i < shared_->network_count; ++i) {
    const dataplane::NetworkContext& nc = shared_->networks[i];
    const net::MacAddress& mac = shared_->ports[nc.port].mac;
    unsigned char frame[net::kNdFrameLen] = {};
    if (nc.address.family == Family::kIPv6) {
      send_frame(i, frame, net::build_unsolicited_advertisement(frame, mac, nc.address));
    } else {
      net::build_gratuitous_arp(frame, mac, nc.address);
      send_frame(i, frame, 60);
    }
  }
}

}  // namespace sipshunt::runtime
