// Control plane, no DPDK. RuntimeOptions from the config and their validation: everything about
// ports, networks, routes, neighbours and sizes that can be refused before DPDK starts, each with
// the message an operator acts on (shared by `sipshunt check` and `sipshunt run`).
#include "sipshunt/runtime/options.hpp"

#include <net/if.h>

#include <set>
#include <string>
#include <utility>

#include "sipshunt/dataplane/counters.hpp"
#include "sipshunt/dataplane/shared.hpp"
#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/net/af_xdp.hpp"
#include "sipshunt/net/devargs.hpp"
#include "sipshunt/net/eal.hpp"
#include "sipshunt/net/ipv6.hpp"

namespace sipshunt::runtime {

namespace {

Error fail(std::string message) { return Error::plain(std::move(message)); }

}  // namespace

Result<RuntimeOptions> runtime_options(const config::Config& c) {
  RuntimeOptions o;
  o.eal_args = c.dpdk.eal_args;
  o.workers = c.dpdk.workers;
  o.mbufs = c.dpdk.mbufs;
  if (c.dpdk.rx_ring > 32768 || c.dpdk.tx_ring > 32768) return fail("dpdk.rx_ring / dpdk.tx_ring: at most 32768");
  o.rx_ring = static_cast<std::uint16_t>(c.dpdk.rx_ring);
  o.tx_ring = static_cast<std::uint16_t>(c.dpdk.tx_ring);
  for (const auto& p : c.dpdk.ports) {
    net::PortSpec s;
    s.name = p.name;
    s.device = p.device;
    s.devargs = p.devargs;
    s.mtu = p.mtu;
    o.ports.push_back(s);
  }
  for (const auto& n : c.dpdk.networks) {
    if (n.port >= o.ports.size()) return fail("network " + n.name + ": no such port");
    if (n.address.family != Family::kIPv6) continue;
    // Neighbour discovery reaches us at all nodes and at our solicited-node group (RFC 4861 §7.2.1).
    auto& mc = o.ports[n.port].multicast;
    for (const IpAddress& group : {net::all_nodes(), net::solicited_node(n.address)}) {
      const net::MacAddress mac = net::multicast_mac(group);
      bool known = false;
      for (const auto& m : mc) known = known || m == mac;
      if (!known) mc.push_back(mac);
    }
  }
  o.networks = c.dpdk.networks;
  o.routes = c.dpdk.routes;
  o.sip_port = c.self.port;
  if (!o.ports.empty() && c.dpdk.network_of_address(c.self.ip) == nullptr) {
    return fail("proxy.address " + c.self.ip.to_string() + " is not the address of any network of [[dpdk.ports]]");
  }
  if (Result<void> valid = validate(o); !valid) return valid.error();
  return o;
}

Result<StaticNeighbour> parse_static_neighbour(std::string_view text) {
  // The IPv6 address has colons, the MAC too: the MAC is the last 17 characters.
  const auto c1 = text.find(',');
  const auto c2 = text.rfind(',');
  if (c1 == std::string_view::npos || c2 == c1) return fail("--static-neighbour " + std::string(text) + ": want LINK,IP,MAC");
  StaticNeighbour n;
  n.link = std::string(text.substr(0, c1));
  const auto ip = IpAddress::parse(text.substr(c1 + 1, c2 - c1 - 1));
  const auto mac = net::MacAddress::parse(text.substr(c2 + 1));
  if (n.link.empty() || !ip || !mac) {
    return fail("--static-neighbour " + std::string(text) + ": want LINK,IP,MAC (LINK a port or network name)");
  }
  n.ip = *ip;
  n.mac = *mac;
  return n;
}

Result<std::uint16_t> network_of(const RuntimeOptions& o, const StaticNeighbour& n) {
  const std::string what = "static neighbour " + n.ip.to_string() + ": ";
  for (std::size_t i = 0; i < o.networks.size(); ++i) {
    const auto& net = o.networks[i];
    const bool named = net.name == n.link;
    const bool port_untagged = net.vlan == 0 && net.port < o.ports.size() && o.ports[net.port].name == n.link;
    if ((named || port_untagged) && net.address.family == n.ip.family) return static_cast<std::uint16_t>(i);
    if (named) return fail(what + "network " + n.link + " is not of the address's family");
  }
  return fail(what + "no network or port named " + n.link + " with an untagged network of its family");
}

Result<void> validate(const RuntimeOptions& o) {
  if (o.ports.empty()) return fail("dpdk.ports: at least one port is needed");
  if (o.ports.size() > dataplane::kMaxPorts)
    return fail("dpdk.ports: at most " + std::to_string(dataplane::kMaxPorts) + " ports");
  if (o.networks.size() > dataplane::kMaxNetworks)
    return fail("dpdk: at most " + std::to_string(dataplane::kMaxNetworks) + " networks");
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
    if ((net::is_af_packet(p.device) || net::is_af_xdp(p.device)) && net::devarg(p.devargs, "iface").empty())
      return fail("port " + p.name + ": " + p.device + " needs devargs \"iface=<interface>\"");
    if (p.mtu < 576 || p.mtu > net::kMbufDataRoom - net::kEthernetHeaderLen - net::kVlanTagLen) {
      return fail("port " + p.name + ": mtu must be 576.." +
                  std::to_string(net::kMbufDataRoom - net::kEthernetHeaderLen - net::kVlanTagLen));
    }
  }
  std::vector<std::set<std::uint16_t>> links(o.ports.size());
  for (const auto& n : o.networks) {
    if (n.port >= o.ports.size()) return fail("network " + n.name + ": no such port");
    if (n.address.family == Family::kNone) return fail("network " + n.name + ": no address");
    const auto& p = o.ports[n.port];
    if (n.address.family == Family::kIPv6 && p.mtu < 1280)
      return fail("network " + n.name + ": IPv6 needs an mtu of at least 1280 (RFC 8200 §5); port " + p.name +
                  " has " + std::to_string(p.mtu));
    links[n.port].insert(n.vlan);
    if (links[n.port].size() > dataplane::kMaxLinksPerPort)
      return fail("port " + p.name + ": at most " + std::to_string(dataplane::kMaxLinksPerPort) +
                  " VLANs (the untagged link included)");
  }
  const auto routes = net::RouteTable::build(o.networks, o.routes);
  if (!routes) return fail("dpdk.routes: " + routes.error().message);
  for (const auto& n : o.static_neighbours) {
    if (auto at = network_of(o, n); !at) return at.error();
    if (n.mac.is_multicast() || n.mac.is_zero())
      return fail("static neighbour " + n.ip.to_string() + ": not a unicast MAC");
  }
  const std::uint64_t need =
      std::uint64_t{o.ports.size()} * o.workers * (std::uint64_t{o.rx_ring} + o.tx_ring) +
      std::uint64_t{o.workers} * (dataplane::Worker::kHoldCapacity + 2 * dataplane::kBurst + 512) + 1024;
  if (o.mbufs < need) {
    return fail("dpdk.mbufs = " + std::to_string(o.mbufs) + " is below the " + std::to_string(need) +
                " that the rx/tx rings, per-core caches and neighbour hold queues can pin");
  }
  return {};
}

Result<void> check_host(const RuntimeOptions& o) {
  for (const auto& p : o.ports) {
    if (!net::is_af_packet(p.device) && !net::is_af_xdp(p.device)) continue;
    // The kernel interface must exist here (in this network namespace) before DPDK opens it.
    const std::string iface = net::devarg(p.devargs, "iface");
    if (if_nametoindex(iface.c_str()) == 0) {
      return fail("port " + p.name + ": no network interface \"" + iface + "\" in this network namespace");
    }
  }
  return {};
}

}  // namespace sipshunt::runtime
