// The TOML configuration (toml++) turned into a validated, plain value. Control plane only.
// Every error carries `file:line:col: message`; unknown keys are errors.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipshunt/common/address.hpp"
#include "sipshunt/common/prefix.hpp"
#include "sipshunt/common/result.hpp"

namespace sipshunt::config {

enum class AdminState : std::uint8_t { kEnabled, kDrained, kDisabled };

struct Backend {
  std::string name;         // stable id (used in Record-Route pins); unique across all pools
  Endpoint endpoint;        // address + port (default port 5060)
  std::uint32_t weight = 1; // 1..1000
  AdminState state = AdminState::kEnabled;  // state = "enabled" | "drained" | "disabled"
};

struct HealthCheck {
  bool enabled = true;
  std::uint32_t interval_ms = 1000;  // >= 100
  std::uint32_t timeout_ms = 500;    // >= 10, <= interval
  std::uint32_t fall = 3;            // consecutive failures -> down (1..100)
  std::uint32_t rise = 2;            // consecutive successes -> up (1..100)
  std::uint16_t alive_below = 500;   // a final response with status < this counts as alive
};

struct Pool {
  std::string name;
  std::vector<Backend> backends;
  std::uint32_t table_size = 65537;  // Maglev table size, must be prime
  HealthCheck health;
};

struct Port {
  std::string name;           // our name for it, used in logs and metrics
  std::string device;         // DPDK device: PCI address "0000:00:08.0" or a vdev name "net_af_packet0"
  std::string devargs;        // vdev arguments, e.g. "iface=veth0" (vdev only)
  std::uint16_t mtu = 1500;   // 576..9000
  friend bool operator==(const Port&, const Port&) = default;
};

// One IP network sipshunt has an address on: a port's untagged link or one 802.1Q VLAN of it, one
// address family. The keys `address`, `prefix_len`, `gateway` of a [[dpdk.ports]] table make the
// port's untagged network (named after the port); each [[dpdk.ports.networks]] adds one more.
// SIP arrives for any of our addresses on any network; the network a datagram arrived on is the
// one of its (port, VLAN, family), and the one a datagram leaves by is the route lookup's
// (src/proxy/README.md "Networks"). At most one network per (port, VLAN, family).
struct Network {
  std::string name;           // unique among ports and networks (logs, metrics, explain --network)
  std::uint16_t port = 0;     // index into Dpdk::ports
  std::uint16_t vlan = 0;     // 0: untagged, else the 802.1Q VLAN id 1..4094
  IpAddress address;          // ours on this network (IPv4 or IPv6)
  std::uint8_t prefix_len = 24;  // default 24 (IPv4) or 64 (IPv6)
  std::optional<IpAddress> gateway;  // default route of its family through this network
  // The address SIP uses on this network when several instances share one (README "Running
  // several instances"): our Via and Record-Route carry it, SIP to it is accepted, what the proxy
  // sends leaves from it. Routers reach it through `address`, which alone answers ARP/ND and
  // carries the health probes (so a probe's answer comes back to the instance that sent it).
  std::optional<IpAddress> service_address;

  [[nodiscard]] Prefix subnet() const noexcept { return prefix_of(address, prefix_len); }
  // Our SIP address on this network: the service address, else the interface address.
  [[nodiscard]] const IpAddress& sip_address() const noexcept { return service_address ? *service_address : address; }
  friend bool operator==(const Network&, const Network&) = default;
};

struct Route {
  IpAddress prefix;
  std::uint8_t prefix_len = 0;   // from prefix = "198.19.0.0/16" (host bits must be zero)
  IpAddress via;              // next hop (must be on a network's subnet of its family)
  friend bool operator==(const Route&, const Route&) = default;
};

struct Dpdk {
  std::vector<std::string> eal_args;  // e.g. ["--no-huge", "-m", "512", "-l", "0-1"]
  std::uint32_t workers = 1;          // worker lcores, 1..128
  std::uint32_t mbufs = 8191;         // per mbuf pool
  std::uint32_t rx_ring = 1024;       // descriptors: power of two, 64..32768
  std::uint32_t tx_ring = 1024;       // same
  std::vector<Port> ports;
  std::vector<Network> networks;      // every port's networks, in config order (a port's own first)
  std::vector<Route> routes;

  // The network whose address or service address is `a`, or nullptr.
  [[nodiscard]] const Network* network_of_address(const IpAddress& a) const noexcept;
};

struct Admin {
  bool enabled = true;
  IpAddress address = IpAddress::v4(0x7f000001);  // 127.0.0.1
  std::uint16_t port = 8080;
  // token_file = "PATH": POST/PUT/DELETE need `Authorization: Bearer TOKEN` (src/control/README.md).
  std::filesystem::path token_file;  // empty: no token (resolved against the config's folder)
  std::string token;                 // the file's content, surrounding whitespace trimmed
};

// [proxy.hosts]: a next hop for a host name in the Route or Request-URI of a request a backend
// sends out ("carrier.example.com" = "203.0.113.5:5060"). No DNS on the data path.
struct HostMapping {
  std::string name;          // lowercase (host names compare case-insensitively)
  IpAddress address;
  std::uint16_t port = 0;    // 0: the URI's port, else 5060
};

// [hep]: HEP v3 mirroring of every SIP message in and out to a Homer collector (src/mirror/).
// Off unless the table is present.
struct Hep {
  bool enabled = false;          // true when [hep] is present, unless enabled = false
  Endpoint address;              // the collector, "IP:PORT", reached through the kernel's network
  double sample = 1.0;           // share of calls mirrored (by Call-ID), 0..1
  std::uint32_t agent_id = 0;    // HEP capture agent id
  std::string auth_key;          // HEP auth key chunk, when not empty
  std::uint32_t queue = 1024;    // records per worker queue, a power of two 64..65536
  friend bool operator==(const Hep&, const Hep&) = default;
};

// [instance]: this instance among several behind routers (README "Running several instances").
struct Instance {
  // SIGTERM/SIGINT: stop being ready at once (so the route announcer withdraws the service
  // address), keep forwarding this long while the routers move the traffic, then stop. 0: stop at
  // once. Read when the signal arrives (a reload changes it).
  std::uint32_t stop_grace_ms = 0;  // 0..600000
};

struct Log {
  std::string level = "info";  // trace debug info warn error critical off
  // How `sipshunt run` writes its log lines to stderr: kText (one human line each) or kJson
  // (one JSON object each, for log shippers). Read at start only.
  enum class Format : std::uint8_t { kText = 0, kJson = 1 };
  Format format = Format::kText;
};

struct Config {
  std::filesystem::path path;        // the file this came from (absolute)

  // [proxy]
  // Our SIP address and port. The port is the one SIP port on every network; the address must be
  // one of the networks' addresses or service addresses when there are ports (the network
  // `explain` assumes a datagram arrived on unless told). Each network's SIP address
  // (Network::sip_address) is our Via and Record-Route there.
  Endpoint self;
  bool record_route = true;
  std::string default_pool;          // empty: no default (no-match requests get no_match_status)
  std::uint16_t no_match_status = 404;  // 400..699
  std::string no_match_reason = "Not Found";
  std::uint32_t reply_rate = 10000;  // stateless replies per second per worker (rate bound), >= 1
  // How a datagram is known to come from a backend (and so is routed outward, not balanced):
  // kAddress, its source address is a backend's, whatever the source port (a backend that sends
  // from another port than it listens on is still a backend); kAddressPort, address and port
  // must both be a backend's configured ones.
  enum class BackendSource : std::uint8_t { kAddress = 0, kAddressPort = 1 };
  BackendSource backend_source = BackendSource::kAddress;
  std::vector<HostMapping> hosts;    // [proxy.hosts], sorted by name

  // [rules]
  std::vector<std::filesystem::path> rule_files;  // absolute (relative ones resolved against the config's folder)

  std::vector<Pool> pools;           // [[pools]]
  Admin admin;                       // [admin]
  Instance instance;                 // [instance]
  Dpdk dpdk;                         // [dpdk]
  Log log;                           // [log]
  Hep hep;                           // [hep]

  [[nodiscard]] const Pool* find_pool(std::string_view name) const noexcept;
};

// How `sipshunt check` and the startup log say which datagrams count as a backend's.
[[nodiscard]] inline std::string_view describe(Config::BackendSource s) noexcept {
  return s == Config::BackendSource::kAddress ? "source address (any port)" : "source address and port";
}

// Reads and validates the file: types, ranges, unknown keys (anywhere), unique pool/backend/port
// names made of [A-Za-z0-9._-], default_pool names a pool, addresses are IP literals, ports
// 1..65535, table sizes prime, health timeout <= interval, gateways and routes reachable through a
// network of their family, one network per (port, VLAN, family), proxy.address one of ours.
// Rule files must exist (resolved against the config's folder) but are not read here: the rules
// module compiles them. Errors: "file:line:col: path.to.key: expected ..., got ..." or
// "file:line:col: unknown key 'k' in [section] (expected one of: ...)"; toml++ syntax errors keep
// their own position. `file` is the path as given by the caller.
[[nodiscard]] Result<Config> load_file(const std::filesystem::path& path);
// Same from text; `path` is used for messages and to resolve relative paths.
[[nodiscard]] Result<Config> load_string(std::string_view text, const std::filesystem::path& path);

}  // namespace sipshunt::config
