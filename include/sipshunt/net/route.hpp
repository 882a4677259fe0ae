// hot path (lookup); building is control plane.
// IPv4 next-hop selection: the ports' connected subnets, static routes and per-port default
// gateways from the config, longest prefix first. A handful of entries: a linear scan over a
// small array sorted by prefix length beats any trie here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sipshunt/common/result.hpp"

namespace sipshunt::net {

struct InterfaceAddress {
  std::uint16_t port = 0;              // index into the data plane's ports
  std::uint32_t address = 0;           // host order
  std::uint8_t prefix_len = 24;
  std::optional<std::uint32_t> gateway;
};

struct StaticRoute {
  std::uint32_t prefix = 0;            // host order
  std::uint8_t prefix_len = 0;
  std::uint32_t via = 0;               // must lie on a connected subnet
};

struct NextHop {
  std::uint16_t port = 0;
  std::uint32_t address = 0;           // the neighbour to resolve (the gateway or the destination)
};

[[nodiscard]] inline std::uint32_t prefix_mask(std::uint8_t len) noexcept {
  return len == 0 ? 0u : ~std::uint32_t{0} << (32 - len);
}

class RouteTable {
 public:
  // Validates: prefix lengths <= 32, a gateway on its port's subnet, a static route's `via` on a
  // connected subnet (the error names the offending entry).
  [[nodiscard]] static Result<RouteTable> build(const std::vector<InterfaceAddress>& interfaces,
                                                const std::vector<StaticRoute>& routes);

  // Next hop for `dst` (host order), or nullopt: no route. Never returns our own address.
  [[nodiscard]] std::optional<NextHop> lookup(std::uint32_t dst) const noexcept {
    for (const Entry& e : entries_) {
      if ((dst & e.mask) == e.prefix) {
        return NextHop{e.port, e.connected ? dst : e.via};
      }
    }
    return std::nullopt;
  }
  // The port owning `address` as its own address, -1 otherwise.
  [[nodiscard]] int port_of_local(std::uint32_t address) const noexcept {
    for (const auto& i : interfaces_) {
      if (i.address == address) return i.port;
    }
    return -1;
  }
  [[nodiscard]] const std::vector<InterfaceAddress>& interfaces() const noexcept { return interfaces_; }

  struct Entry {
    std::uint32_t prefix = 0;
    std::uint32_t mask = 0;
    std::uint8_t len = 0;
    bool connected = false;
    std::uint16_t port = 0;
    std::uint32_t via = 0;
  };
  [[nodiscard]] const std::vector<Entry>& entries() const noexcept { return entries_; }

 private:
  std::vector<Entry> entries_;  // longest prefix first; connected before static at equal length
  std::vector<InterfaceAddress> interfaces_;
};

}  // namespace sipshunt::net
