#include "sipshunt/net/route.hpp"

#include <algorithm>

#include "sipshunt/net/headers.hpp"

namespace sipshunt::net {

Result<RouteTable> RouteTable::build(const std::vector<InterfaceAddress>& interfaces,
                                     const std::vector<StaticRoute>& routes) {
  RouteTable t;
  t.interfaces_ = interfaces;
  auto connected_port = [&](std::uint32_t a) -> int {
    for (const auto& i : interfaces) {
      if ((a & prefix_mask(i.prefix_len)) == (i.address & prefix_mask(i.prefix_len))) return i.port;
    }
    return -1;
  };
  for (const auto& i : interfaces) {
    if (i.prefix_len > 32) {
      return Error::plain("port address " + format_ipv4(i.address) + ": prefix length above 32");
    }
    const std::uint32_t mask = prefix_mask(i.prefix_len);
    t.entries_.push_back(Entry{i.address & mask, mask, i.prefix_len, true, i.port, 0});
    if (i.gateway) {
      if ((*i.gateway & mask) != (i.address & mask) || *i.gateway == i.address) {
        return Error::plain("gateway " + format_ipv4(*i.gateway) + " is not on the subnet of " +
                       format_ipv4(i.address) + "/" + std::to_string(i.prefix_len));
      }
      t.entries_.push_back(Entry{0, 0, 0, false, i.port, *i.gateway});
    }
  }
  for (const auto& r : routes) {
    if (r.prefix_len > 32) {
      return Error::plain("route " + format_ipv4(r.prefix) + ": prefix length above 32");
    }
    const int port = connected_port(r.via);
    if (port < 0) {
      return Error::plain("route " + format_ipv4(r.prefix) + "/" + std::to_string(r.prefix_len) + " via " +
                     format_ipv4(r.via) + ": the next hop is on no port's subnet");
    }
    const std::uint32_t mask = prefix_mask(r.prefix_len);
    t.entries_.push_back(Entry{r.prefix & mask, mask, r.prefix_len, false, static_cast<std::uint16_t>(port), r.via});
  }
  std::stable_sort(t.entries_.begin(), t.entries_.end(), [](const Entry& a, const Entry& b) {
    if (a.len != b.len) return a.len > b.len;
    return a.connected && !b.connected;
  });
  return t;
}

}  // namespace sipshunt::net
