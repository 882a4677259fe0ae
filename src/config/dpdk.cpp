// The [dpdk] section: EAL arguments, lcores, rings, ports, the networks on them (a port's own
// address and its [[dpdk.ports.networks]]: VLANs and further families) and static routes, with
// every check `run` needs short of opening a device (src/config/README.md "[dpdk]").
#include <algorithm>
#include <string>
#include <string_view>

#include "sections.hpp"
#include "toml_fields.hpp"

namespace sipshunt::config::detail {
namespace {

bool is_power_of_two(std::uint32_t v) noexcept { return v != 0 && (v & (v - 1)) == 0; }

std::string_view family_name(Family f) noexcept { return f == Family::kIPv6 ? "IPv6" : "IPv4"; }

std::string subnet_text(const Network& n) { return to_string(n.subnet()); }

// "198.19.0.0/16" -> address and prefix length; host bits must be zero.
void prefix_value(const toml::node& n, std::string_view path, IpAddress& ip, std::uint8_t& len) {
  constexpr std::string_view kExpected = "a prefix \"ADDRESS/LENGTH\" (e.g. \"198.19.0.0/16\")";
  const std::string& s = *string_value(n, path, kExpected);
  const auto slash = s.find('/');
  if (slash == std::string::npos) fail_expected(n, path, kExpected, quote(s));
  auto a = IpAddress::parse(std::string_view(s).substr(0, slash));
  const std::string_view ls = std::string_view(s).substr(slash + 1);
  const unsigned max = a && a->family == Family::kIPv6 ? 128 : 32;
  unsigned l = 0;
  bool ok = a.has_value() && !ls.empty() && ls.size() <= 3;
  for (char c : ls) {
    if (c < '0' || c > '9') ok = false;
    l = l * 10 + static_cast<unsigned>(c - '0');
  }
  if (!ok || l > max) fail_expected(n, path, kExpected, quote(s));
  if (!(prefix_of(*a, static_cast<std::uint8_t>(l)).address == *a)) {
    std::string expected = "a prefix with no host bits set after /";
    expected.append(std::to_string(l));
    fail_expected(n, path, expected, quote(s));
  }
  ip = *a;
  len = static_cast<std::uint8_t>(l);
}

// A network's own keys, from a [[dpdk.ports]] table (its untagged network) or a
// [[dpdk.ports.networks]] table.
void read_address(const toml::table& t, std::string_view path, std::string_view table, Network& n) {
  const toml::node& address = require(t, "address", path, table);
  n.address = ip_value(address, child(path, "address"));
  if (n.address.is_unsendable())
    fail_expected(address, child(path, "address"), "a unicast address", quote(n.address.to_string()));
  const bool v6 = n.address.family == Family::kIPv6;
  n.prefix_len = v6 ? 64 : 24;
  read_int(t, "prefix_len", path, 1, v6 ? 128 : 32, n.prefix_len);
  if (const toml::node* g = find(t, "gateway")) {
    IpAddress gw = ip_value(*g, child(path, "gateway"));
    if (!contains(n.subnet(), gw) || gw == n.address) {
      std::string expected = "an address inside ";
      expected.append(subnet_text(n)).append(" other than ").append(n.address.to_string());
      fail_expected(*g, child(path, "gateway"), expected, quote(gw.to_string()));
    }
    n.gateway = gw;
  }
  if (const toml::node* v = find(t, "service_address")) {
    const std::string vp = child(path, "service_address");
    IpAddress sa = ip_value(*v, vp);
    if (sa.is_unsendable() || sa.family != n.address.family || contains(n.subnet(), sa)) {
      // Routers reach a service address through the interface address (its next hop); inside the
      // subnet, neighbours would ask for it by ARP/ND, which only the interface address answers.
      std::string expected = "a unicast ";
      expected.append(family_name(n.address.family)).append(" address outside ").append(subnet_text(n));
      fail_expected(*v, vp, expected, quote(sa.to_string()));
    }
    n.service_address = sa;
  }
}

// The checks between networks: one per (port, VLAN, family), distinct subnets, one gateway (one
// default route) per family. `n` is the newest, read from `where`.
void check_against_others(const std::vector<Network>& others, const Network& n, const toml::node& where,
                          std::string_view path) {
  for (const Network& o : others) {
    if (o.port == n.port && o.vlan == n.vlan && o.address.family == n.address.family) {
      std::string msg(path);
      msg.append(": network '").append(n.name).append("' is the second ").append(family_name(n.address.family));
      msg.append(n.vlan == 0 ? std::string(" network untagged") : " network on VLAN " + std::to_string(n.vlan));
      msg.append(" of this port (first: '").append(o.name).append("'); one address per family per link");
      fail(where.source(), std::move(msg));
    }
    if (o.subnet() == n.subnet()) {
      std::string msg(path);
      msg.append(": subnet ").append(subnet_text(n)).append(" is already network '").append(o.name).append("'s");
      fail(where.source(), std::move(msg));
    }
    for (const auto& [a, b] : {std::pair{&o, &n}, std::pair{&n, &o}}) {
      // Two networks with one service address would write it into both Record-Route entries of a
      // crossing request, which reads as a loop (src/proxy/README.md "Networks").
      if (!a->service_address) continue;
      if (contains(b->subnet(), *a->service_address) || a->service_address == b->service_address) {
        std::string msg(path);
        msg.append(": service address ").append(a->service_address->to_string()).append(" of network '");
        msg.append(a->name).append("' is network '").append(b->name);
        msg.append(a->service_address == b->service_address ? "'s service address too" : "'s subnet's");
        msg.append(" (a service address belongs to one network, outside every subnet)");
        fail(where.source(), std::move(msg));
      }
    }
    if (o.gateway && n.gateway && o.address.family == n.address.family) {
      std::string msg(path);
      msg.append(": a second ").append(family_name(n.address.family)).append(" gateway (network '");
      msg.append(o.name).append("' has the default route already; add [[dpdk.routes]] for other prefixes)");
      fail(where.source(), std::move(msg));
    }
  }
}

void read_port(const toml::table& pt, const std::string& pp, std::uint16_t index, Dpdk& d, Seen& port_names,
               Seen& network_names) {
  reject_unknown_keys(pt, {"name", "device", "devargs", "address", "prefix_len", "gateway", "service_address", "mtu",
                       "networks"},
                      "in [[dpdk.ports]]");
  Port port;
  const toml::node& name = require(pt, "name", pp, "[[dpdk.ports]]");
  port.name = name_value(name, child(pp, "name"));
  port_names.add(port.name, name, child(pp, "name"));
  const toml::node& device = require(pt, "device", pp, "[[dpdk.ports]]");
  port.device = *string_value(device, child(pp, "device"));
  if (port.device.empty())
    fail_expected(device, child(pp, "device"), "a PCI address or vdev name (e.g. \"net_af_packet0\")", "\"\"");
  read_string(pt, "devargs", pp, port.devargs);
  read_int(pt, "mtu", pp, 576, 9000, port.mtu);
  const std::size_t first = d.networks.size();
  if (find(pt, "address") != nullptr) {
    Network n;
    n.name = port.name;
    n.port = index;
    network_names.add(n.name, name, child(pp, "name"));
    read_address(pt, pp, "[[dpdk.ports]]", n);
    check_against_others(d.networks, n, *find(pt, "address"), child(pp, "address"));
    d.networks.push_back(std::move(n));
  } else {
    for (std::string_view key : {"prefix_len", "gateway", "service_address"}) {
      if (const toml::node* k = find(pt, key)) {
        fail(k->source(), child(pp, key) + ": without `address` the port has no untagged network to apply it to");
      }
    }
  }
  const auto networks = get_tables(pt, "networks", pp);
  for (std::size_t i = 0; i < networks.size(); ++i) {
    const toml::table& nt = *networks[i];
    const std::string np = indexed(child(pp, "networks"), i);
    reject_unknown_keys(nt, {"name", "vlan", "address", "prefix_len", "gateway", "service_address"}, "in [[dpdk.ports.networks]]");
    Network n;
    const toml::node& nn = require(nt, "name", np, "[[dpdk.ports.networks]]");
    n.name = name_value(nn, child(np, "name"));
    network_names.add(n.name, nn, child(np, "name"));
    n.port = index;
    read_int(nt, "vlan", np, 0, 4094, n.vlan);
    read_address(nt, np, "[[dpdk.ports.networks]]", n);
    check_against_others(d.networks, n, *find(nt, "address"), child(np, "address"));
    d.networks.push_back(std::move(n));
  }
  if (d.networks.size() == first) {
    fail(name.source(), pp + ": port '" + port.name +
                            "' has no network: give it an `address` or at least one [[dpdk.ports.networks]]");
  }
  d.ports.push_back(std::move(port));
}

void read_route(const toml::table& rt, const std::string& rp, Dpdk& d) {
  reject_unknown_keys(rt, {"prefix", "via"}, "in [[dpdk.routes]]");
  Route r;
  const toml::node& prefix = require(rt, "prefix", rp, "[[dpdk.routes]]");
  prefix_value(prefix, child(rp, "prefix"), r.prefix, r.prefix_len);
  const toml::node& via = require(rt, "via", rp, "[[dpdk.routes]]");
  r.via = ip_value(via, child(rp, "via"));
  if (r.via.family != r.prefix.family)
    fail_expected(via, child(rp, "via"), "an address of the prefix's family", quote(r.via.to_string()));
  const bool reachable = std::any_of(d.networks.begin(), d.networks.end(), [&](const Network& n) {
    return contains(n.subnet(), r.via) && !(n.address == r.via);
  });
  if (!reachable) fail_expected(via, child(rp, "via"), "an address on a network's subnet", quote(r.via.to_string()));
  const Prefix p{r.prefix, r.prefix_len};
  for (const Network& n : d.networks) {
    if (n.subnet() == p) fail(prefix.source(), child(rp, "prefix") + ": is network '" + n.name + "'s own subnet");
    if (n.gateway && r.prefix_len == 0 && n.address.family == r.prefix.family) {
      fail(prefix.source(), child(rp, "prefix") + ": the default route is network '" + n.name + "'s gateway already");
    }
  }
  for (const Route& o : d.routes) {
    if (o.prefix == r.prefix && o.prefix_len == r.prefix_len)
      fail(prefix.source(), child(rp, "prefix") + ": a second route for " + to_string(p));
  }
  d.routes.push_back(r);
}

}  // namespace

void read_dpdk(const toml::table& t, Dpdk& d) {
  const std::string path = "dpdk";
  reject_unknown_keys(t, {"eal_args", "workers", "mbufs", "rx_ring", "tx_ring", "ports", "routes"}, "in [dpdk]");
  if (const toml::node* n = find(t, "eal_args")) {
    const std::string p = child(path, "eal_args");
    if (!n->is_array()) fail_type(*n, p, "an array of strings");
    const toml::array& a = *n->as_array();
    for (std::size_t i = 0; i < a.size(); ++i) d.eal_args.push_back(*string_value(a[i], indexed(p, i)));
  }
  read_int(t, "workers", path, 1, 128, d.workers);
  read_int(t, "mbufs", path, 1023, 16777215, d.mbufs);
  for (std::string_view ring : {"rx_ring", "tx_ring"}) {
    std::uint32_t& v = ring == "rx_ring" ? d.rx_ring : d.tx_ring;
    read_int(t, ring, path, 64, 32768, v);
    if (!is_power_of_two(v))
      fail_expected(*find(t, ring), child(path, ring), "a power of two 64..32768", std::to_string(v));
  }
  Seen port_names{"port", {}};
  Seen network_names{"network", {}};
  const auto ports = get_tables(t, "ports", path);
  for (std::size_t i = 0; i < ports.size(); ++i) {
    read_port(*ports[i], indexed(child(path, "ports"), i), static_cast<std::uint16_t>(i), d, port_names,
              network_names);
  }
  const auto routes = get_tables(t, "routes", path);
  for (std::size_t i = 0; i < routes.size(); ++i) read_route(*routes[i], indexed(child(path, "routes"), i), d);
}

void check_self_is_ours(const toml::table& proxy, const Config& c) {
  if (c.dpdk.networks.empty() || c.dpdk.network_of_address(c.self.ip) != nullptr) return;
  std::string expected = "the address of one of the networks (";
  for (std::size_t i = 0; i < c.dpdk.networks.size(); ++i) {
    const Network& n = c.dpdk.networks[i];
    expected.append(i ? ", " : "").append(n.name).append(" ").append(n.address.to_string());
    if (n.service_address) expected.append(" or ").append(n.service_address->to_string());
  }
  expected.append(")");
  fail_expected(*find(proxy, "address"), "proxy.address", expected, quote(c.self.ip.to_string()));
}

}  // namespace sipshunt::config::detail
