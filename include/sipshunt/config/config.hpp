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
  IpAddress address;          // our IPv4 address on this port
  std::uint8_t prefix_len = 24;
  std::optional<IpAddress> gateway;
  std::uint16_t mtu = 1500;   // 576..9000
};

struct Route {
  IpAddress prefix;
  std::uint8_t prefix_len = 0;   // from prefix = "198.19.0.0/16" (host bits must be zero)
  IpAddress via;              // next hop (must be on a port's subnet)
};

struct Dpdk {
  std::vector<std::string> eal_args;  // e.g. ["--no-huge", "-m", "512", "-l", "0-1"]
  std::uint32_t workers = 1;          // worker lcores, 1..128
  std::uint32_t mbufs = 8191;         // per mbuf pool
  std::uint32_t rx_ring = 1024;       // descriptors: power of two, 64..32768
  std::uint32_t tx_ring = 1024;       // same
  std::vector<Port> ports;
  std::vector<Route> routes;
};

struct Admin {
  bool enabled = true;
  IpAddress address = IpAddress::v4(0x7f000001);  // 127.0.0.1
  std::uint16_t port = 8080;
};

// [proxy.hosts]: a next hop for a host name in the Route or Request-URI of a request a backend
// sends out ("carrier.example.com" = "203.0.113.5:5060"). No DNS on the data path.
struct HostMapping {
  std::string name;          // lowercase (host names compare case-insensitively)
  IpAddress address;
  std::uint16_t port = 0;    // 0: the URI's port, else 5060
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
  Endpoint self;                     // address + port: our Via and Record-Route
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
  Dpdk dpdk;                         // [dpdk]
  Log log;                           // [log]

  [[nodiscard]] const Pool* find_pool(std::string_view name) const noexcept;
};

// How `sipshunt check` and the startup log say which datagrams count as a backend's.
[[nodiscard]] inline std::string_view describe(Config::BackendSource s) noexcept {
  return s == Config::BackendSource::kAddress ? "source address (any port)" : "source address and port";
}

// Reads and validates the file: types, ranges, unknown keys (anywhere), unique pool/backend/port
// names made of [A-Za-z0-9._-], default_pool names a pool, addresses are IP literals, ports
// 1..65535, table sizes prime, health timeout <= interval, routes reachable through a port.
// Rule files must exist (resolved against the config's folder) but are not read here: the rules
// module compiles them. Errors: "file:line:col: path.to.key: expected ..., got ..." or
// "file:line:col: unknown key 'k' in [section] (expected one of: ...)"; toml++ syntax errors keep
// their own position. `file` is the path as given by the caller.
[[nodiscard]] Result<Config> load_file(const std::filesystem::path& path);
// Same from text; `path` is used for messages and to resolve relative paths.
[[nodiscard]] Result<Config> load_string(std::string_view text, const std::filesystem::path& path);

}  // namespace sipshunt::config
