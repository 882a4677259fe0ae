// The sipshunt TOML config that tests, benchmarks and fuzzers load, built from the knobs they
// vary (self address, [proxy] settings, rule files, pools, backends, health) so that each states
// only what differs. Keys left at their zero value are not written: the config's own default
// applies. The keys are those of README.md "Configuration".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sipshunt::test_support {

// Every member has a default initializer ({} where zero is meant), so that designated
// initializers may leave any member out without GCC's -Wmissing-field-initializers.
struct ConfigFixture {
  struct Backend {
    std::string name{};
    std::string address{};
    int port = 0;
    std::string state{};  // "drained", "disabled"
  };
  struct Health {  // [pools.health]
    bool enabled = true;  // false writes `enabled = false` and nothing else
    int interval_ms = 0;
    int timeout_ms = 0;
    int fall = 0;
    int rise = 0;
  };
  struct Pool {
    std::string name{};
    std::vector<Backend> backends{};
    std::optional<Health> health{};
  };

  // [proxy]
  std::string address = "198.18.0.1";
  int port = 0;
  std::optional<bool> record_route{};
  std::string backend_source{};  // "address" or "address-port"
  int reply_rate = 0;
  int no_match_status = 0;
  std::string no_match_reason{};
  std::string default_pool = "core";  // the pool most fixtures route to; "" leaves it out
  std::vector<std::pair<std::string, std::string>> hosts{};  // [proxy.hosts]: name -> "address[:port]"
  std::vector<std::string> rule_files{};  // [rules] files, relative to the config's folder
  std::vector<Pool> pools{};
  std::string tail{};  // raw TOML appended as is: [admin], [dpdk], a deliberately broken line

  [[nodiscard]] std::string toml() const;
};

// The proxy tests' and benchmarks' world: the proxy at 198.18.0.1:5060 routing to pool core of
// b1, b2, b3 at 198.19.0.11, .12, .13 (port 5060), no rules, no health table.
ConfigFixture proxy_fixture();

// `count` backends b1, b2, ... at `first_address` and the addresses after it (last octet + 1 each).
std::vector<ConfigFixture::Backend> numbered_backends(int count, std::string_view first_address);

}  // namespace sipshunt::test_support
