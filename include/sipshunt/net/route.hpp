// hot path (lookup); building is control plane.
// Next-hop selection over both families: the networks' connected subnets, their gateways (a
// default route per family) and the static routes of the config, longest prefix first (one
// PrefixTable, common/prefix.hpp). The proxy asks it which network a message leaves by (that
// network's address goes into our Via and Record-Route), the data plane which neighbour to send to.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "sipshunt/common/address.hpp"
#include "sipshunt/common/prefix.hpp"
#include "sipshunt/common/result.hpp"
#include "sipshunt/config/config.hpp"

namespace sipshunt::net {

struct NextHop {
  std::uint16_t network = 0;   // index into config Dpdk::networks: the port and VLAN to leave by
  IpAddress address;           // the neighbour to resolve (the gateway, or the destination on-link)
};

class RouteTable {
 public:
  // Control plane. The config loader has validated the networks and routes (gateways and `via`s
  // on a network's subnet, distinct prefixes); build() checks again for callers that assemble
  // their own lists (tests) and names the offending entry.
  [[nodiscard]] static Result<RouteTable> build(const std::vector<config::Network>& networks,
                                                const std::vector<config::Route>& routes);

  // Next hop for `dst` into `hop`; false (`hop` untouched): no route. Connected subnets win over
  // static routes of the same length. Filled in place: the proxy's per-request route (a
  // returned std::optional was built on the stack and copied twice more).
  [[nodiscard]] bool lookup(const IpAddress& dst, NextHop& hop) const noexcept {
    const std::uint32_t i = table_.lookup(dst);
    if (i == PrefixTable::kNoMatch) return false;
    const Entry& e = entries_[i];
    hop.network = e.network;
    hop.address = e.connected ? dst : e.via;
    return true;
  }
  // The same as an optional: nullopt, no route.
  [[nodiscard]] std::optional<NextHop> lookup(const IpAddress& dst) const noexcept {
    NextHop hop;
    if (!lookup(dst, hop)) return std::nullopt;
    return hop;
  }
  [[nodiscard]] const std::vector<config::Network>& networks() const noexcept { return networks_; }

  struct Entry {
    Prefix prefix;
    bool connected = false;
    std::uint16_t network = 0;
    IpAddress via;               // static routes and gateways
  };
  [[nodiscard]] const std::vector<Entry>& entries() const noexcept { return entries_; }

 private:
  std::vector<Entry> entries_;
  PrefixTable table_;          // value: index into entries_
  std::vector<config::Network> networks_;
};

}  // namespace sipshunt::net
