// Control plane. What the DPDK runtime is started with (the data-plane part of the config, as
// `sipshunt run` hands it over), and the check of all of it that needs no DPDK, run before the
// EAL or any port is touched.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sipshunt/common/result.hpp"
#include "sipshunt/mirror/sender.hpp"
#include "sipshunt/net/neighbour.hpp"
#include "sipshunt/net/port.hpp"
#include "sipshunt/net/route.hpp"

namespace sipshunt::runtime {

struct StaticNeighbour {
  std::string port;              // PortSpec::name
  std::uint32_t ip = 0;          // host order
  net::MacAddress mac;
};

struct RuntimeOptions {
  std::vector<std::string> eal_args;
  std::uint32_t workers = 1;
  std::uint32_t mbufs = 8191;
  std::uint16_t rx_ring = 1024;
  std::uint16_t tx_ring = 1024;
  std::vector<net::PortSpec> ports;
  std::vector<config::Network> networks;  // config Dpdk::networks (their `port` indexes `ports`)
  std::vector<config::Route> routes;
  std::vector<StaticNeighbour> static_neighbours;
  std::uint16_t sip_port = 5060;
  std::uint32_t drain_us = 100;           // tx drain / ARP hold service period
  std::uint32_t hold_ms = 3000;           // longest a packet waits for ARP
  std::uint32_t reassembly_ms = 2000;     // fragment lifetime
  std::uint32_t idle_sleep_us = 0;        // adaptive polling: nap this long when idle (0: busy poll)
  net::NeighbourTiming neighbour_timing;
  std::optional<mirror::HepOptions> hep;  // HEP mirroring (src/mirror/README.md); none: off
};

// Everything that can be checked without DPDK: counts, names, addresses, routes, neighbours.
// Called by `sipshunt run` before any port is touched, and again by Runtime::create.
[[nodiscard]] Result<void> validate(const RuntimeOptions& options);

}  // namespace sipshunt::runtime
