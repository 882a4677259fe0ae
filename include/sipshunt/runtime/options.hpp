// Control plane, no DPDK. What the DPDK runtime is started with (the data-plane part of the
// config), and every check of it that needs neither DPDK nor the host: `sipshunt check` and
// `sipshunt run` both call runtime_options(), so a config that `run` refuses before opening a
// device is refused by `check` with the same message. Only check_host() (does the af_packet
// interface exist here?) is left to `run`: it is about the machine, not the config.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipshunt/common/address.hpp"
#include "sipshunt/common/result.hpp"
#include "sipshunt/config/config.hpp"
#include "sipshunt/mirror/sender.hpp"
#include "sipshunt/net/neighbour.hpp"
#include "sipshunt/net/port.hpp"
#include "sipshunt/net/route.hpp"

namespace sipshunt::runtime {

// A permanent neighbour (--static-neighbour LINK,IP,MAC): `link` names a network, or a port
// (then its untagged network of the address's family).
struct StaticNeighbour {
  std::string link;
  IpAddress ip;
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
  std::uint32_t drain_us = 100;           // tx drain / neighbour hold service period
  std::uint32_t hold_ms = 3000;           // longest a packet waits for its next hop's MAC
  std::uint32_t reassembly_ms = 2000;     // fragment lifetime
  std::uint32_t idle_sleep_us = 0;        // adaptive polling: nap this long when idle (0: busy poll)
  net::NeighbourTiming neighbour_timing;
  std::optional<mirror::HepOptions> hep;  // HEP mirroring (src/mirror/README.md); none: off
};

// The data-plane part of a loaded config, validated (validate() below). `check` and `run` call it.
[[nodiscard]] Result<RuntimeOptions> runtime_options(const config::Config& config);

// "LINK,IP,MAC" (IPv4 or IPv6).
[[nodiscard]] Result<StaticNeighbour> parse_static_neighbour(std::string_view text);

// Everything that can be checked without DPDK or the host: counts, names, networks per port,
// routes, MTUs, neighbours, the mbuf budget. Called by runtime_options, by `sipshunt run` after
// adding static neighbours, and again by Runtime::create.
[[nodiscard]] Result<void> validate(const RuntimeOptions& options);

// The host side, for `run` only: each af_packet / af_xdp interface exists in this namespace.
[[nodiscard]] Result<void> check_host(const RuntimeOptions& options);

// The network index a static neighbour belongs to (validate() has refused those without one).
[[nodiscard]] Result<std::uint16_t> network_of(const RuntimeOptions& options, const StaticNeighbour& n);

}  // namespace sipshunt::runtime
