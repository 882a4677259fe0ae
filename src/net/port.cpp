#include "sipshunt/net/port.hpp"

#include <rte_bus_vdev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "sipshunt/net/devargs.hpp"
#include "sipshunt/net/eal.hpp"

namespace sipshunt::net {

namespace {

std::string errno_text(int rc) { return rte_strerror(rc < 0 ? -rc : rc); }

// The af_packet PMD's sockets bound to `iface`: its private data is not public API, so they are
// found among our own descriptors by family and bound interface index.
std::vector<int> af_packet_sockets(const std::string& iface) {
  std::vector<int> fds;
  const unsigned index = if_nametoindex(iface.c_str());
  if (index == 0) return fds;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    const int fd = std::atoi(entry.path().filename().c_str());
    int domain = 0;
    socklen_t len = sizeof domain;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_PACKET) continue;
    sockaddr_ll sll{};
    socklen_t sl = sizeof sll;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&sll), &sl) != 0 || sll.sll_ifindex != static_cast<int>(index)) continue;
    fds.push_back(fd);
  }
  return fds;
}

// The af_packet PMD transmits with sendto(MSG_DONTWAIT) once per burst and, when its next tx
// frame is still owned by the kernel, waits in poll(-1) for it. If the socket's send buffer is
// too small for the frames in flight, the kernel leaves frames in SEND_REQUEST on EAGAIN; once
// the whole ring is in that state nobody calls sendto again and poll() never returns (seen under
// heavy CPU contention). A send buffer larger than the ring can hold makes EAGAIN impossible:
// frames then only wait for their skbs to be freed, which always happens.
int enlarge_send_buffers(const std::vector<int>& fds, int bytes) {
  int tuned = 0;
  for (int fd : fds)
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) == 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes) == 0)
      ++tuned;
  return tuned;
}

}  // namespace

std::uint64_t af_packet_ring_drops(const PortInfo& port) noexcept {
  std::uint64_t drops = 0;
  for (int fd : port.af_packet_fds) {
    // TPACKET_V2 fills a tpacket_stats, V3 a tpacket_stats_v3 (which starts alike); both reset.
    tpacket_stats_v3 st{};
    socklen_t len = sizeof st;
    if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) drops += st.tp_drops;
  }
  return drops;
}

std::string effective_devargs(const PortSpec& spec, std::uint16_t queues) {
  std::string args = spec.devargs;
  auto add = [&](std::string_view key, const std::string& value) {
    if (has_devarg(args, key)) return;
    if (!args.empty()) args += ',';
    args += key;
    args += '=';
    args += value;
  };
  if (is_af_packet(spec.device)) {
    add("qpairs", std::to_string(queues));
    // A frame's payload (frame size minus the tpacket header) must fit an mbuf: the PMD copies
    // the whole frame into one. 8192-byte frames, two per 16 KiB block.
    add("framesz", std::to_string(kMbufDataRoom));
    add("blocksz", std::to_string(2 * kMbufDataRoom));
    add("framecnt", "2048");  // 16 MiB per ring: absorbs a few ms of a descheduled worker
  }
  if (is_af_xdp(spec.device)) {
    add("queue_count", std::to_string(queues));  // netdev queues from start_queue
    // The PMD's preferred busy polling (busy_budget=64) leaves the interface's NAPI to the
    // recvfrom() of a worker's empty polls, so a worker busy with bursts starves it: on a veth of
    // a loaded host it lost 6% and 95% of 50 k frames/s in two rounds, against 8% and 19% without
    // (src/dataplane/README.md, "AF_XDP ports").
    add("busy_budget", "0");
  }
  return args;
}

Result<rte_mempool*> create_mbuf_pool(const std::string& name, std::uint32_t count) {
  // priv area: per-mbuf metadata for packets the control lcore hands to worker 0 (see dataplane).
  rte_mempool* pool = rte_pktmbuf_pool_create(name.c_str(), count, 256, kMbufPrivSize,
                                              static_cast<std::uint16_t>(kMbufDataRoom + RTE_PKTMBUF_HEADROOM),
                                              static_cast<int>(rte_socket_id()));
  if (pool == nullptr) {
    return Error::plain("cannot create the mbuf pool (" + std::to_string(count) + " mbufs of " +
                        std::to_string(kMbufDataRoom + RTE_PKTMBUF_HEADROOM) + " bytes): " + rte_strerror(rte_errno) +
                        "; reserve more hugepages, raise -m, or lower dpdk.mbufs");
  }
  return pool;
}

Result<void> open_port(const PortSpec& spec, const PortOptions& options, PortInfo& out) {
  out = PortInfo{};
  out.name = spec.name;
  out.device = spec.device;
  const std::string where = "port " + spec.name + " (" + spec.device + "): ";
  const auto fail = [&where](const std::string& what) { return Error::plain(where + what); };
  std::uint16_t id = 0;
  if (is_pci_address(spec.device)) {
    if (rte_eth_dev_get_port_by_name(spec.device.c_str(), &id) != 0) {
      return fail("no DPDK port for this PCI address (is it bound to vfio-pci?)");
    }
  } else {
    const std::string args = effective_devargs(spec, options.queues);
    const int rc = rte_vdev_init(spec.device.c_str(), args.c_str());
    if (rc != 0) {
      // The PMDs mostly return -1: their own log line above says why.
      return fail("cannot create the virtual device with \"" + args + "\"" +
                  (rc < -1 ? ": " + errno_text(rc) : std::string()) + " (see the EAL messages above)");
    }
    if (rte_eth_dev_get_port_by_name(spec.device.c_str(), &id) != 0) {
      return fail("the virtual device is not an ethernet port");
    }
    if (is_af_packet(spec.device)) {
      // Room for every frame of the tx ring in flight (framecnt x a full frame), with margin.
      const std::string iface = devarg(args, "iface");
      const int framecnt = std::atoi(devarg(args, "framecnt").c_str());
      const int framesz = std::atoi(devarg(args, "framesz").c_str());
      const long want = 2L * std::max(framecnt, 512) * std::max(framesz, 2048);
      out.af_packet_fds = af_packet_sockets(iface);
      out.af_packet_sockets = enlarge_send_buffers(out.af_packet_fds, static_cast<int>(std::min(want, 1L << 30)));
    }
  }
  out.id = id;
  out.attached = true;

  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(id, &info); rc != 0) return fail("dev_info: " + errno_text(rc));
  out.driver = info.driver_name != nullptr ? info.driver_name : "";
  if (info.max_rx_queues < options.queues || info.max_tx_queues < options.queues) {
    return fail("needs " + std::to_string(options.queues) + " rx and tx queues (one per worker), the device has " +
                std::to_string(info.max_rx_queues) + "/" + std::to_string(info.max_tx_queues) +
                "; lower dpdk.workers or give the device more queues");
  }

  rte_eth_conf conf{};
  if (options.queues > 1) {
    const std::uint64_t want = (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
    if (want != 0) {
      conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
      conf.rx_adv_conf.rss_conf.rss_hf = want;
      out.rss = true;
    }
  }
  if ((info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) != 0) {
    conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
    out.rx_ipv4_checksum = true;
  }
  if ((info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_UDP_CKSUM) != 0) {
    conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
    out.rx_udp_checksum = true;
  }
  if ((info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) != 0) {
    conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
    out.tx_ipv4_checksum = true;
  }
  if ((info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) != 0) {
    conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
    out.tx_udp_checksum = true;
  }
  // Every mbuf comes from one pool with refcount 1: the PMD may free them the fast way (not so
  // once an AF_XDP port has a pool of its own: its mbufs may leave by any port).
  if (options.single_pool && (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE) != 0) {
    conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
  }
  if (int rc = rte_eth_dev_configure(id, options.queues, options.queues, &conf); rc != 0) {
    return fail("configure: " + errno_text(rc));
  }
  std::uint16_t rx_desc = options.rx_ring, tx_desc = options.tx_ring;
  if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(id, &rx_desc, &tx_desc); rc != 0) {
    return fail("ring sizes: " + errno_text(rc));
  }
  const int socket = rte_eth_dev_socket_id(id) < 0 ? static_cast<int>(rte_socket_id()) : rte_eth_dev_socket_id(id);
  for (std::uint16_t q = 0; q < options.queues; ++q) {
    rte_eth_rxconf rxq = info.default_rxconf;
    rxq.offloads = conf.rxmode.offloads;
    if (int rc = rte_eth_rx_queue_setup(id, q, rx_desc, static_cast<unsigned>(socket), &rxq, options.pool); rc != 0) {
      return fail("rx queue " + std::to_string(q) + ": " + errno_text(rc));
    }
    rte_eth_txconf txq = info.default_txconf;
    txq.offloads = conf.txmode.offloads;
    if (int rc = rte_eth_tx_queue_setup(id, q, tx_desc, static_cast<unsigned>(socket), &txq); rc != 0) {
      return fail("tx queue " + std::to_string(q) + ": " + errno_text(rc));
    }
  }
  // The MTU is a property of the link; a device that cannot change it keeps its own (we still
  // fragment to the configured one).
  std::uint16_t mtu = 0;
  if (rte_eth_dev_get_mtu(id, &mtu) == 0 && mtu != spec.mtu) (void)rte_eth_dev_set_mtu(id, spec.mtu);

  rte_ether_addr mac{};
  if (int rc = rte_eth_macaddr_get(id, &mac); rc != 0) return fail("MAC address: " + errno_text(rc));
  std::memcpy(out.mac.bytes.data(), mac.addr_bytes, 6);
  if (int rc = rte_eth_dev_start(id); rc != 0) return fail("start: " + errno_text(rc));
  out.started = true;
  out.queues = options.queues;
  // Unicast to our MAC, broadcast and, with IPv6, our neighbour discovery groups are all we need;
  // promiscuous mode stays off (the data plane still filters by destination MAC, for devices
  // that deliver everything). A device without a multicast filter list gets all multicast.
  (void)rte_eth_allmulticast_disable(id);
  if (!spec.multicast.empty()) {
    std::vector<rte_ether_addr> list(spec.multicast.size());
    for (std::size_t i = 0; i < list.size(); ++i) std::memcpy(list[i].addr_bytes, spec.multicast[i].bytes.data(), 6);
    if (rte_eth_dev_set_mc_addr_list(id, list.data(), static_cast<std::uint32_t>(list.size())) != 0) {
      (void)rte_eth_allmulticast_enable(id);
      out.allmulticast = true;
    }
  }
  return {};
}

void close_port(PortInfo& port) noexcept {
  port.af_packet_fds.clear();  // closed with the device; the numbers may be reused
  if (port.started) {
    (void)rte_eth_dev_stop(port.id);
    port.started = false;
  }
  if (port.attached) {
    (void)rte_eth_dev_close(port.id);
    port.attached = false;
  }
}

}  // namespace sipshunt::net
