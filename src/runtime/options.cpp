// Control plane. Validation of RuntimeOptions: everything about ports, routes, neighbours and
// sizes that can be refused before DPDK starts, each with the message an operator acts on.
#include "sipshunt/runtime/options.hpp"

#include <net/if.h>

#include <set>
#include <string>
#include <utility>

#include "sipshunt/dataplane/shared.hpp"
#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/net/af_xdp.hpp"
#include "sipshunt/net/devargs.hpp"
#include "sipshunt/net/eal.hpp"

namespace sipshunt::runtime {

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
    if (net::is_af_packet(p.device) || net::is_af_xdp(p.device)) {
      // The kernel interface must exist here (in this network namespace) before DPDK opens it.
      const std::string iface = net::devarg(p.devargs, "iface");
      if (iface.empty()) return fail("port " + p.name + ": " + p.device + " needs devargs \"iface=<interface>\"");
      if (if_nametoindex(iface.c_str()) == 0) {
        return fail("port " + p.name + ": no network interface \"" + iface + "\" in this network namespace");
      }
    }
    if (p.address == 0) return fail("port " + p.name + ": no IPv4 address");
    if (p.prefix_len == 0 || p.prefix_len > 32) return fail("port " + p.name + ": prefix_len must be 1..32");
    const unsigned max_mtu = net::is_af_xdp(p.device) ? net::af_xdp_max_frame() - net::kEthernetHeaderLen
                                                       : net::kMbufDataRoom - net::kEthernetHeaderLen;
    if (p.mtu < 576 || p.mtu > max_mtu) {
      return fail("port " + p.name + ": mtu must be 576.." + std::to_string(max_mtu) +
                  (net::is_af_xdp(p.device) ? " on AF_XDP (a frame must fit a page-sized UMEM chunk)" : ""));
    }
  }
  const auto routes = net::RouteTable::build(o.networks, o.routes);
  if (!routes) return fail("dpdk.routes: " + routes.error().message);
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

}  // namespace sipshunt::runtime
