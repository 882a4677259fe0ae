// Config loading: the issue's example, defaults, every field, and one row per error kind with
// the exact `file:line:col: message` an operator sees.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>

#include "sipshunt/config/config.hpp"
#include "support/temp_dir.hpp"

namespace sipshunt::config {
namespace {

namespace fs = std::filesystem;

const fs::path kData = CONFIG_TEST_DATA;

std::string outcome(std::string_view text) {
  const auto r = load_string(text, "sipshunt.toml");
  return r ? "ok" : r.error().to_string();
}

IpAddress ip(std::string_view s) { return *IpAddress::parse(s); }

TEST(Config, IssueExampleParses) {
  const auto r = load_file(kData / "example.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  const Config& c = *r;
  EXPECT_EQ(c.path, kData / "example.toml");
  EXPECT_EQ(c.self, (Endpoint{ip("198.18.0.1"), 5060}));
  EXPECT_TRUE(c.record_route);
  EXPECT_EQ(c.default_pool, "core");
  ASSERT_EQ(c.rule_files.size(), 1u);
  EXPECT_EQ(c.rule_files[0], kData / "rules" / "default.rules");
  ASSERT_EQ(c.pools.size(), 1u);
  const Pool* core = c.find_pool("core");
  ASSERT_EQ(core, &c.pools[0]);
  EXPECT_EQ(c.find_pool("nope"), nullptr);
  ASSERT_EQ(core->backends.size(), 1u);
  EXPECT_EQ(core->backends[0].name, "b1");
  EXPECT_EQ(core->backends[0].endpoint, (Endpoint{ip("198.19.0.11"), 5060}));
  EXPECT_EQ(core->backends[0].weight, 1u);
  EXPECT_EQ(core->backends[0].state, AdminState::kEnabled);
}

TEST(Config, Defaults) {
  const auto r = load_string("[proxy]\naddress = \"198.18.0.1\"\n", "/tmp/x/sipshunt.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  const Config& c = *r;
  EXPECT_EQ(c.path, fs::path("/tmp/x/sipshunt.toml"));
  EXPECT_EQ(c.self, (Endpoint{ip("198.18.0.1"), 5060}));
  EXPECT_TRUE(c.record_route);
  EXPECT_EQ(c.default_pool, "");
  EXPECT_EQ(c.no_match_status, 404);
  EXPECT_EQ(c.no_match_reason, "Not Found");
  EXPECT_EQ(c.reply_rate, 10000u);
  EXPECT_EQ(c.backend_source, Config::BackendSource::kAddress);
  EXPECT_TRUE(c.rule_files.empty());
  EXPECT_TRUE(c.pools.empty());
  EXPECT_TRUE(c.admin.enabled);
  EXPECT_EQ(c.admin.address, ip("127.0.0.1"));
  EXPECT_EQ(c.admin.port, 8080);
  EXPECT_EQ(c.instance.stop_grace_ms, 0u);
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.log.format, Log::Format::kText);
  EXPECT_TRUE(c.dpdk.eal_args.empty());
  EXPECT_EQ(c.dpdk.workers, 1u);
  EXPECT_EQ(c.dpdk.mbufs, 8191u);
  EXPECT_EQ(c.dpdk.rx_ring, 1024u);
  EXPECT_EQ(c.dpdk.tx_ring, 1024u);
  EXPECT_TRUE(c.dpdk.ports.empty());
  EXPECT_TRUE(c.dpdk.routes.empty());

  // Defaults inside a pool, its health check and a backend.
  const auto p = load_string(
      "[proxy]\naddress = \"198.18.0.1\"\n[[pools]]\nname = \"p\"\n[[pools.backends]]\nname = \"b\"\n"
      "address = \"198.19.0.1\"\n[[dpdk.ports]]\nname = \"p0\"\ndevice = \"net_af_packet0\"\n"
      "address = \"198.18.0.1\"\n",
      "sipshunt.toml");
  ASSERT_TRUE(p) << p.error().to_string();
  const Pool& pool = p->pools.at(0);
  EXPECT_EQ(pool.table_size, 65537u);
  EXPECT_TRUE(pool.health.enabled);
  EXPECT_EQ(pool.health.interval_ms, 1000u);
  EXPECT_EQ(pool.health.timeout_ms, 500u);
  EXPECT_EQ(pool.health.fall, 3u);
  EXPECT_EQ(pool.health.rise, 2u);
  EXPECT_EQ(pool.health.alive_below, 500);
  EXPECT_EQ(pool.backends.at(0).endpoint.port, 5060);
  EXPECT_EQ(pool.backends.at(0).weight, 1u);
  EXPECT_EQ(pool.backends.at(0).state, AdminState::kEnabled);
  const Port& port = p->dpdk.ports.at(0);
  EXPECT_EQ(port.devargs, "");
  EXPECT_EQ(port.mtu, 1500);
  const Network& net = p->dpdk.networks.at(0);
  EXPECT_EQ(net.name, port.name);
  EXPECT_EQ(net.vlan, 0);
  EXPECT_EQ(net.prefix_len, 24);
  EXPECT_FALSE(net.gateway.has_value());
}

TEST(Config, EveryField) {
  const auto r = load_file(kData / "full.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  const Config& c = *r;
  EXPECT_EQ(c.self, (Endpoint{ip("198.18.0.1"), 5070}));
  EXPECT_FALSE(c.record_route);
  EXPECT_EQ(c.default_pool, "edge");
  EXPECT_EQ(c.no_match_status, 403);
  EXPECT_EQ(c.no_match_reason, "Forbidden Here");
  EXPECT_EQ(c.reply_rate, 500u);
  EXPECT_EQ(c.backend_source, Config::BackendSource::kAddressPort);
  ASSERT_EQ(c.rule_files.size(), 2u);
  EXPECT_EQ(c.rule_files[0], kData / "rules" / "default.rules");
  EXPECT_EQ(c.rule_files[1], kData / "rules" / "other.rules");  // normalised
  ASSERT_EQ(c.pools.size(), 2u);
  const Pool& core = c.pools[0];
  EXPECT_EQ(core.name, "core");
  EXPECT_EQ(core.table_size, 251u);
  EXPECT_FALSE(core.health.enabled);
  EXPECT_EQ(core.health.interval_ms, 2000u);
  EXPECT_EQ(core.health.timeout_ms, 2000u);
  EXPECT_EQ(core.health.fall, 5u);
  EXPECT_EQ(core.health.rise, 4u);
  EXPECT_EQ(core.health.alive_below, 400);
  ASSERT_EQ(core.backends.size(), 2u);
  EXPECT_EQ(core.backends[0].name, "core-1");
  EXPECT_EQ(core.backends[1].name, "core-2");
  EXPECT_EQ(core.backends[1].endpoint, (Endpoint{ip("2001:db8::12"), 5080}));
  EXPECT_EQ(core.backends[1].weight, 3u);
  EXPECT_EQ(core.backends[1].state, AdminState::kDrained);
  const Pool& edge = c.pools[1];
  EXPECT_EQ(edge.name, "edge");
  EXPECT_TRUE(edge.health.enabled);  // [pools.health] above belonged to "core" only
  ASSERT_EQ(edge.backends.size(), 1u);
  EXPECT_EQ(edge.backends[0].name, "edge_1.a");
  EXPECT_EQ(edge.backends[0].state, AdminState::kDisabled);
  EXPECT_FALSE(c.admin.enabled);
  EXPECT_EQ(c.admin.address, ip("::1"));
  EXPECT_EQ(c.admin.port, 9090);
  EXPECT_EQ(c.instance.stop_grace_ms, 2500u);
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.log.format, Log::Format::kJson);
  EXPECT_EQ(c.dpdk.eal_args, (std::vector<std::string>{"--no-huge", "-m", "512", "-l", "0-1"}));
  EXPECT_EQ(c.dpdk.workers, 2u);
  EXPECT_EQ(c.dpdk.mbufs, 16383u);
  EXPECT_EQ(c.dpdk.rx_ring, 2048u);
  EXPECT_EQ(c.dpdk.tx_ring, 512u);
  ASSERT_EQ(c.dpdk.ports.size(), 1u);
  const Port& port = c.dpdk.ports[0];
  EXPECT_EQ(port.name, "wan");
  EXPECT_EQ(port.device, "net_af_packet0");
  EXPECT_EQ(port.devargs, "iface=veth0");
  ASSERT_EQ(c.dpdk.networks.size(), 1u);
  const Network& net = c.dpdk.networks[0];
  EXPECT_EQ(net.name, "wan");
  EXPECT_EQ(net.port, 0);
  EXPECT_EQ(net.address, ip("198.18.0.1"));
  EXPECT_EQ(net.prefix_len, 16);
  ASSERT_TRUE(net.gateway.has_value());
  EXPECT_EQ(*net.gateway, ip("198.18.255.254"));
  EXPECT_EQ(port.mtu, 9000);
  ASSERT_EQ(c.dpdk.routes.size(), 1u);
  EXPECT_EQ(c.dpdk.routes[0].prefix, ip("198.19.0.0"));
  EXPECT_EQ(c.dpdk.routes[0].prefix_len, 16);
  EXPECT_EQ(c.dpdk.routes[0].via, ip("198.18.0.254"));
}

TEST(Config, NetworksVlansAndBothFamilies) {
  const auto r = load_string(R"(
[proxy]
address = "198.18.0.1"
[[dpdk.ports]]
name = "public"
device = "net_af_packet0"
address = "198.18.0.1"
gateway = "198.18.0.254"
[[dpdk.ports.networks]]
name = "public6"
address = "2001:db8:1::1"
gateway = "2001:db8:1::fe"
[[dpdk.ports]]
name = "trunk"
device = "net_af_packet1"
[[dpdk.ports.networks]]
name = "farm"
vlan = 200
address = "198.19.0.1"
prefix_len = 16
[[dpdk.routes]]
prefix = "2001:db8:9::/48"
via = "2001:db8:1::7"
)",
                             "sipshunt.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  const auto& n = r->dpdk.networks;
  ASSERT_EQ(n.size(), 3u);
  EXPECT_EQ(n[0].name, "public");
  EXPECT_EQ(n[1].name, "public6");
  EXPECT_EQ(n[1].port, 0);
  EXPECT_EQ(n[1].prefix_len, 64);  // the IPv6 default
  EXPECT_EQ(*n[1].gateway, ip("2001:db8:1::fe"));
  EXPECT_EQ(n[2].name, "farm");
  EXPECT_EQ(n[2].port, 1);
  EXPECT_EQ(n[2].vlan, 200);
  EXPECT_EQ(n[2].prefix_len, 16);
  EXPECT_EQ(r->dpdk.network_of_address(ip("198.19.0.1")), &n[2]);
  EXPECT_EQ(r->dpdk.network_of_address(ip("198.19.0.2")), nullptr);
  EXPECT_EQ(n[0].sip_address(), ip("198.18.0.1"));  // no service address: the interface's
}

// A service address (README "Running several instances") is the network's SIP address and one of
// ours for proxy.address; the interface address stays the network's address.
TEST(Config, ServiceAddressIsTheNetworksSipAddress) {
  const auto r = load_string(R"(
[proxy]
address = "192.0.2.80"
[[dpdk.ports]]
name = "public"
device = "net_af_packet0"
address = "198.18.0.1"
service_address = "192.0.2.80"
[[dpdk.ports.networks]]
name = "public6"
address = "2001:db8:1::1"
service_address = "2001:db8:200::1"
)",
                             "sipshunt.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  const auto& n = r->dpdk.networks;
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[0].address, ip("198.18.0.1"));
  EXPECT_EQ(n[0].sip_address(), ip("192.0.2.80"));
  EXPECT_EQ(n[1].sip_address(), ip("2001:db8:200::1"));
  EXPECT_EQ(r->dpdk.network_of_address(ip("192.0.2.80")), &n[0]);
  EXPECT_EQ(r->dpdk.network_of_address(ip("198.18.0.1")), &n[0]);
  EXPECT_EQ(r->dpdk.network_of_address(ip("2001:db8:200::1")), &n[1]);
}

TEST(Config, InlineTablesAndDottedKeysWorkToo) {
  const auto r = load_string(
      "proxy.address = \"198.18.0.1\"\nproxy.port = 5062\n"
      "pools = [{ name = \"p\", backends = [{ name = \"b\", address = \"198.19.0.1\", weight = 7 }] }]\n",
      "sipshunt.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->self.port, 5062);
  EXPECT_EQ(r->pools.at(0).backends.at(0).weight, 7u);
}

TEST(Config, RelativeRuleFilesResolveAgainstTheConfigFolder) {
  // Same file loaded through a relative path and an absolute one: same absolute rule path.
  const fs::path saved = fs::current_path();
  fs::current_path(kData / "rules");
  const auto rel = load_file("../example.toml");
  fs::current_path(saved);
  ASSERT_TRUE(rel) << rel.error().to_string();
  EXPECT_EQ(rel->path, kData / "example.toml");
  EXPECT_EQ(rel->rule_files.at(0), kData / "rules" / "default.rules");

  // An absolute rule path is kept as it is.
  const std::string abs = (kData / "rules" / "other.rules").string();
  std::string text = "[proxy]\naddress = \"198.18.0.1\"\n[rules]\nfiles = [\"";
  text.append(abs).append("\"]\n");
  const auto a = load_string(text, "/nonexistent/dir/sipshunt.toml");
  ASSERT_TRUE(a) << a.error().to_string();
  EXPECT_EQ(a->rule_files.at(0), fs::path(abs));

  // Relative to the config's folder, not to the working directory.
  const auto missing =
      load_string("[proxy]\naddress = \"198.18.0.1\"\n[rules]\nfiles = [\"rules/default.rules\"]\n",
                  "/nonexistent/dir/sipshunt.toml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().to_string(),
            "/nonexistent/dir/sipshunt.toml:4:10: rules.files[0]: no such file "
            "'/nonexistent/dir/rules/default.rules'");
}

TEST(Config, MissingConfigFileNamesThePath) {
  const auto r = load_file(kData / "no-such.toml");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().to_string(), (kData / "no-such.toml").string() + ": cannot read config file: No such file or directory");
  const auto dir = load_file(kData);
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().to_string(), kData.string() + ": cannot read config file: Is a directory");
}

TEST(Config, ErrorsNameFileLineColumnAndWhatWasExpected) {
  const std::string p = "[proxy]\naddress = \"198.18.0.1\"\n";  // two valid lines
  const std::string pool = p + "[[pools]]\nname = \"core\"\n[[pools.backends]]\nname = \"b1\"\naddress = \"198.19.0.11\"\n";
  const std::string dpdk = p + "[[dpdk.ports]]\nname = \"wan\"\ndevice = \"net_af_packet0\"\naddress = \"198.18.0.1\"\n";
  struct Case {
    std::string text;
    std::string expected;
  };
  const Case cases[] = {
      // toml++ syntax errors keep their position.
      {"[proxy\n", "sipshunt.toml:1:7: Error while parsing table header: expected ']', saw '\\n'"},
      {p + "port = \n", "sipshunt.toml:3:8: Error while parsing key-value pair: expected value, saw '\\n'"},
      // Types and ranges.
      {p + "port = \"5060\"\n", "sipshunt.toml:3:8: proxy.port: expected an integer 1..65535, got string"},
      {p + "port = 0\n", "sipshunt.toml:3:8: proxy.port: expected an integer 1..65535, got 0"},
      {p + "port = 70000\n", "sipshunt.toml:3:8: proxy.port: expected an integer 1..65535, got 70000"},
      {p + "port = 5060.0\n", "sipshunt.toml:3:8: proxy.port: expected an integer 1..65535, got float"},
      {p + "record_route = \"yes\"\n",
       "sipshunt.toml:3:16: proxy.record_route: expected a boolean (true or false), got string"},
      {p + "default_pool = 3\n", "sipshunt.toml:3:16: proxy.default_pool: expected a pool name, got integer"},
      {p + "no_match_status = 200\n", "sipshunt.toml:3:19: proxy.no_match_status: expected an integer 400..699, got 200"},
      {p + "no_match_reason = \"Bad\\r\\nX: y\"\n",
       "sipshunt.toml:3:19: proxy.no_match_reason: expected 1..128 printable characters, got \"Bad??X: y\""},
      {p + "reply_rate = 0\n", "sipshunt.toml:3:14: proxy.reply_rate: expected an integer 1..100000000, got 0"},
      {p + "backend_source = \"port\"\n",
       "sipshunt.toml:3:18: proxy.backend_source: expected one of \"address\", \"address-port\", got \"port\""},
      {p + "[proxy.hosts]\n\"gw.example.com\" = \"gw\"\n",
       "sipshunt.toml:4:20: proxy.hosts.gw.example.com: expected \"IP\" or \"IP:PORT\" (e.g. \"203.0.113.5:5060\"), got \"gw\""},
      {p + "[proxy.hosts]\n\"gw\" = \"224.1.1.1\"\n",
       "sipshunt.toml:4:8: proxy.hosts.gw: expected a unicast address, got \"224.1.1.1\""},
      {p + "[proxy.hosts]\n\"gw\" = \"198.19.0.1:0\"\n",
       "sipshunt.toml:4:8: proxy.hosts.gw: expected \"IP\" or \"IP:PORT\" (e.g. \"203.0.113.5:5060\"), got \"198.19.0.1:0\""},
      {p + "[proxy.hosts]\n\"bad_name\" = \"198.19.0.1\"\n",
       "sipshunt.toml:4:1: proxy.hosts.bad_name: expected a host name (letters, digits, '-' and '.'), got \"bad_name\""},
      {p + "[proxy.hosts]\n\"GW.example.com\" = \"198.19.0.1\"\n\"gw.EXAMPLE.com\" = \"198.19.0.2\"\n",
       "sipshunt.toml:5:20: proxy.hosts.gw.EXAMPLE.com: \"gw.EXAMPLE.com\" is already mapped (names are case-insensitive)"},
      // Addresses are IP literals.
      {"[proxy]\naddress = \"sip.example.com\"\n",
       "sipshunt.toml:2:11: proxy.address: expected an IP address literal (e.g. \"198.18.0.1\" or \"2001:db8::1\"), "
       "got \"sip.example.com\""},
      {"[proxy]\naddress = \"224.0.0.1\"\n", "sipshunt.toml:2:11: proxy.address: expected a unicast address, got \"224.0.0.1\""},
      {p + "[[pools]]\nname = \"core\"\n[[pools.backends]]\nname = \"b1\"\naddress = \"198.19.0.300\"\n",
       "sipshunt.toml:7:11: pools[0].backends[0].address: expected an IP address literal (e.g. \"198.18.0.1\" or "
       "\"2001:db8::1\"), got \"198.19.0.300\""},
      {p + "[admin]\naddress = \"localhost\"\n",
       "sipshunt.toml:4:11: admin.address: expected an IP address literal (e.g. \"198.18.0.1\" or \"2001:db8::1\"), "
       "got \"localhost\""},
      // Unknown keys, everywhere.
      {p + "prot = 5060\n",
       "sipshunt.toml:3:1: unknown key 'prot' in [proxy] (expected one of: address, port, record_route, default_pool, "
       "no_match_status, no_match_reason, reply_rate, backend_source, hosts)"},
      {p + "[proxi]\n",
       "sipshunt.toml:3:2: unknown key 'proxi' at the top level (expected one of: proxy, rules, pools, admin, "
       "instance, log, dpdk, hep)"},
      {p + "[instance]\nstop_grace_ms = 600001\n",
       "sipshunt.toml:4:17: instance.stop_grace_ms: expected an integer 0..600000, got 600001"},
      {p + "[instance]\ngrace = 5\n",
       "sipshunt.toml:4:1: unknown key 'grace' in [instance] (expected one of: stop_grace_ms)"},
      {pool + "wieght = 2\n",
       "sipshunt.toml:8:1: unknown key 'wieght' in [[pools.backends]] (expected one of: name, address, port, weight, "
       "state)"},
      {pool.substr(0, pool.find("[[pools.backends]]")) + "tablesize = 13\n",
       "sipshunt.toml:5:1: unknown key 'tablesize' in [[pools]] (expected one of: name, backends, table_size, health)"},
      {pool + "[pools.health]\ninterval = 100\n",
       "sipshunt.toml:9:1: unknown key 'interval' in [pools.health] (expected one of: enabled, interval_ms, "
       "timeout_ms, fall, rise, alive_below)"},
      {p + "[rules]\nfile = []\n", "sipshunt.toml:4:1: unknown key 'file' in [rules] (expected one of: files)"},
      {p + "[admin]\nlisten = 1\n", "sipshunt.toml:4:1: unknown key 'listen' in [admin] (expected one of: enabled, address, port, token_file)"},
      {p + "[log]\nfile = \"x\"\n", "sipshunt.toml:4:1: unknown key 'file' in [log] (expected one of: level, format)"},
      {p + "[dpdk]\nlcores = 2\n",
       "sipshunt.toml:4:1: unknown key 'lcores' in [dpdk] (expected one of: eal_args, workers, mbufs, rx_ring, tx_ring, "
       "ports, routes)"},
      {dpdk + "queues = 2\n",
       "sipshunt.toml:7:1: unknown key 'queues' in [[dpdk.ports]] (expected one of: name, device, devargs, address, "
       "prefix_len, gateway, service_address, mtu, networks)"},
      {dpdk + "[[dpdk.routes]]\nprefix = \"198.19.0.0/16\"\nvia = \"198.18.0.254\"\nmetric = 1\n",
       "sipshunt.toml:10:1: unknown key 'metric' in [[dpdk.routes]] (expected one of: prefix, via)"},
      {"pools = [{ name = \"x\", backends = [{ name = \"y\", adress = \"198.19.0.1\" }] }]\n" + p,
       "sipshunt.toml:1:50: unknown key 'adress' in [[pools.backends]] (expected one of: name, address, port, weight, "
       "state)"},
      // Required keys and sections.
      {"", "sipshunt.toml:1:1: missing table [proxy] (at least proxy.address is required)"},
      {"[proxy]\nport = 5060\n", "sipshunt.toml:1:1: missing key 'address' in [proxy]"},
      {p + "[[pools]]\ntable_size = 13\n", "sipshunt.toml:3:1: missing key 'name' in [[pools]] (pools[0])"},
      {p + "[[pools]]\nname = \"core\"\n[[pools.backends]]\nname = \"b1\"\n",
       "sipshunt.toml:5:1: missing key 'address' in [[pools.backends]] (pools[0].backends[0])"},
      {p + "[pools]\nname = \"core\"\n",
       "sipshunt.toml:3:1: pools: expected an array of tables ([[pools]]), got table"},
      // Names.
      {p + "[[pools]]\nname = \"core pool\"\n",
       "sipshunt.toml:4:8: pools[0].name: expected a name of 1..64 characters from [A-Za-z0-9._-], got \"core pool\""},
      {p + "[[pools]]\nname = \"core\"\n[[pools.backends]]\nname = \"b;lr\"\naddress = \"198.19.0.11\"\n",
       "sipshunt.toml:6:8: pools[0].backends[0].name: expected a name of 1..64 characters from [A-Za-z0-9._-], got "
       "\"b;lr\""},
      {p + "[[pools]]\nname = \"\"\n",
       "sipshunt.toml:4:8: pools[0].name: expected a name of 1..64 characters from [A-Za-z0-9._-], got \"\""},
      {pool + "[[pools]]\nname = \"core\"\n",
       "sipshunt.toml:9:8: pools[1].name: duplicate pool name 'core' (first defined on line 4)"},
      {pool + "[[pools]]\nname = \"edge\"\n[[pools.backends]]\nname = \"b1\"\naddress = \"198.19.0.12\"\n",
       "sipshunt.toml:11:8: pools[1].backends[0].name: duplicate backend name 'b1' (first defined on line 6)"},
      {pool + "[[pools.backends]]\nname = \"b2\"\naddress = \"198.19.0.11\"\n",
       "sipshunt.toml:10:11: pools[0].backends[1]: duplicate endpoint 198.19.0.11:5060 in pool 'core' (also backend "
       "'b1')"},
      {p + "default_pool = \"edge\"\n[[pools]]\nname = \"core\"\n",
       "sipshunt.toml:3:16: proxy.default_pool: no pool named \"edge\" (pools: core)"},
      {p + "default_pool = \"core\"\n", "sipshunt.toml:3:16: proxy.default_pool: no pool named \"core\" (no [[pools]] defined)"},
      // Pools, backends and health checks.
      {pool + "weight = 0\n", "sipshunt.toml:8:10: pools[0].backends[0].weight: expected an integer 1..1000, got 0"},
      {pool + "port = 65536\n", "sipshunt.toml:8:8: pools[0].backends[0].port: expected an integer 1..65535, got 65536"},
      {pool + "state = \"off\"\n",
       "sipshunt.toml:8:9: pools[0].backends[0].state: expected one of \"enabled\", \"drained\", \"disabled\", got "
       "\"off\""},
      {p + "[[pools]]\nname = \"core\"\ntable_size = 65536\n",
       "sipshunt.toml:5:14: pools[0].table_size: expected a prime number (e.g. 65537, 131071, 1000003), got 65536"},
      {p + "[[pools]]\nname = \"core\"\ntable_size = 1\n",
       "sipshunt.toml:5:14: pools[0].table_size: expected an integer 2..16777213, got 1"},
      {pool + "[[pools.backends]]\nname = \"b2\"\naddress = \"198.19.0.12\"\n[[pools.backends]]\nname = \"b3\"\n"
              "address = \"198.19.0.13\"\n" + "[pools.health]\n",
       "ok"},
      {p + "[[pools]]\nname = \"core\"\ntable_size = 2\n[[pools.backends]]\nname = \"b1\"\naddress = \"198.19.0.11\"\n"
           "[[pools.backends]]\nname = \"b2\"\naddress = \"198.19.0.12\"\n[[pools.backends]]\nname = \"b3\"\n"
           "address = \"198.19.0.13\"\n",
       "sipshunt.toml:5:14: pools[0].table_size: expected at least the number of backends (3), got 2"},
      {pool + "[pools.health]\ninterval_ms = 50\n",
       "sipshunt.toml:9:15: pools[0].health.interval_ms: expected an integer 100..3600000, got 50"},
      {pool + "[pools.health]\ninterval_ms = 1000\ntimeout_ms = 1500\n",
       "sipshunt.toml:10:14: pools[0].health.timeout_ms: expected at most interval_ms (1000), got 1500"},
      {pool + "[pools.health]\ninterval_ms = 200\n",
       "sipshunt.toml:8:1: pools[0].health.timeout_ms: expected at most interval_ms (200), got 500"},
      {pool + "[pools.health]\nfall = 0\n", "sipshunt.toml:9:8: pools[0].health.fall: expected an integer 1..100, got 0"},
      {pool + "[pools.health]\nenabled = 1\n",
       "sipshunt.toml:9:11: pools[0].health.enabled: expected a boolean (true or false), got integer"},
      {p + "[[pools]]\nname = \"core\"\nhealth = 3\n", "sipshunt.toml:5:10: pools[0].health: expected a table, got integer"},
      // Rules, log, admin.
      {p + "[rules]\nfiles = \"a.rules\"\n", "sipshunt.toml:4:9: rules.files: expected an array of strings, got string"},
      {p + "[rules]\nfiles = [1]\n", "sipshunt.toml:4:10: rules.files[0]: expected a file path, got integer"},
      {p + "[rules]\nfiles = [\"\"]\n", "sipshunt.toml:4:10: rules.files[0]: expected a file path, got \"\""},
      {p + "[log]\nlevel = \"verbose\"\n",
       "sipshunt.toml:4:9: log.level: expected one of trace, debug, info, warn, error, critical, off, got \"verbose\""},
      {p + "[log]\nformat = \"xml\"\n", "sipshunt.toml:4:10: log.format: expected \"text\" or \"json\", got \"xml\""},
      {p + "[log]\nformat = 1\n", "sipshunt.toml:4:10: log.format: expected \"text\" or \"json\", got integer"},
      {p + "[admin]\nport = -1\n", "sipshunt.toml:4:8: admin.port: expected an integer 1..65535, got -1"},
      // DPDK.
      {p + "[dpdk]\neal_args = \"--no-huge\"\n", "sipshunt.toml:4:12: dpdk.eal_args: expected an array of strings, got string"},
      {p + "[dpdk]\neal_args = [\"-l\", 1]\n", "sipshunt.toml:4:19: dpdk.eal_args[1]: expected a string, got integer"},
      {p + "[dpdk]\nworkers = 0\n", "sipshunt.toml:4:11: dpdk.workers: expected an integer 1..128, got 0"},
      {p + "[dpdk]\nrx_ring = 1000\n", "sipshunt.toml:4:11: dpdk.rx_ring: expected a power of two 64..32768, got 1000"},
      {dpdk + "prefix_len = 33\n", "sipshunt.toml:7:14: dpdk.ports[0].prefix_len: expected an integer 1..32, got 33"},
      {dpdk + "gateway = \"198.19.0.1\"\n",
       "sipshunt.toml:7:11: dpdk.ports[0].gateway: expected an address inside 198.18.0.0/24 other than 198.18.0.1, "
       "got \"198.19.0.1\""},
      {dpdk + "mtu = 100\n", "sipshunt.toml:7:7: dpdk.ports[0].mtu: expected an integer 576..9000, got 100"},
      {p + "[[dpdk.ports]]\nname = \"wan\"\ndevice = \"\"\naddress = \"198.18.0.1\"\n",
       "sipshunt.toml:5:10: dpdk.ports[0].device: expected a PCI address or vdev name (e.g. \"net_af_packet0\"), got \"\""},
      {dpdk + "[[dpdk.ports]]\nname = \"wan\"\ndevice = \"x\"\naddress = \"198.18.1.1\"\n",
       "sipshunt.toml:8:8: dpdk.ports[1].name: duplicate port name 'wan' (first defined on line 4)"},
      {p + "[[dpdk.ports]]\nname = \"wan\"\naddress = \"198.18.0.1\"\n",
       "sipshunt.toml:3:1: missing key 'device' in [[dpdk.ports]] (dpdk.ports[0])"},
      {dpdk + "[[dpdk.routes]]\nprefix = \"198.19.0.0\"\nvia = \"198.18.0.254\"\n",
       "sipshunt.toml:8:10: dpdk.routes[0].prefix: expected a prefix \"ADDRESS/LENGTH\" (e.g. \"198.19.0.0/16\"), got "
       "\"198.19.0.0\""},
      {dpdk + "[[dpdk.routes]]\nprefix = \"198.19.0.0/33\"\nvia = \"198.18.0.254\"\n",
       "sipshunt.toml:8:10: dpdk.routes[0].prefix: expected a prefix \"ADDRESS/LENGTH\" (e.g. \"198.19.0.0/16\"), got "
       "\"198.19.0.0/33\""},
      {dpdk + "[[dpdk.routes]]\nprefix = \"198.19.0.1/16\"\nvia = \"198.18.0.254\"\n",
       "sipshunt.toml:8:10: dpdk.routes[0].prefix: expected a prefix with no host bits set after /16, got "
       "\"198.19.0.1/16\""},
      {dpdk + "[[dpdk.routes]]\nprefix = \"198.19.0.0/16\"\nvia = \"198.20.0.254\"\n",
       "sipshunt.toml:9:7: dpdk.routes[0].via: expected an address on a network's subnet, got \"198.20.0.254\""},
      // Networks: VLANs and families.
      {dpdk + "[[dpdk.ports.networks]]\nname = \"wan\"\naddress = \"198.19.0.1\"\n",
       "sipshunt.toml:8:8: dpdk.ports[0].networks[0].name: duplicate network name 'wan' (first defined on line 4)"},
      {dpdk + "[[dpdk.ports.networks]]\nname = \"v\"\nvlan = 4095\naddress = \"198.19.0.1\"\n",
       "sipshunt.toml:9:8: dpdk.ports[0].networks[0].vlan: expected an integer 0..4094, got 4095"},
      {dpdk + "[[dpdk.ports.networks]]\nname = \"v\"\naddress = \"198.19.0.1\"\n",
       "sipshunt.toml:9:11: dpdk.ports[0].networks[0].address: network 'v' is the second IPv4 network untagged of "
       "this port (first: 'wan'); one address per family per link"},
      {dpdk + "[[dpdk.ports.networks]]\nname = \"v\"\nvlan = 7\naddress = \"198.18.0.9\"\n",
       "sipshunt.toml:10:11: dpdk.ports[0].networks[0].address: subnet 198.18.0.0/24 is already network 'wan's"},
      {dpdk + "gateway = \"198.18.0.254\"\n[[dpdk.ports.networks]]\nname = \"v\"\nvlan = 7\naddress = \"198.19.0.9\"\n"
              "gateway = \"198.19.0.1\"\n",
       "sipshunt.toml:11:11: dpdk.ports[0].networks[0].address: a second IPv4 gateway (network 'wan' has the default "
       "route already; add [[dpdk.routes]] for other prefixes)"},
      {dpdk + "[[dpdk.ports.networks]]\nname = \"v6\"\naddress = \"2001:db8::1\"\nprefix_len = 129\n",
       "sipshunt.toml:10:14: dpdk.ports[0].networks[0].prefix_len: expected an integer 1..128, got 129"},
      {p + "[[dpdk.ports]]\nname = \"wan\"\ndevice = \"x\"\n",
       "sipshunt.toml:4:8: dpdk.ports[0]: port 'wan' has no network: give it an `address` or at least one "
       "[[dpdk.ports.networks]]"},
      {p + "[[dpdk.ports]]\nname = \"wan\"\ndevice = \"x\"\nprefix_len = 16\n[[dpdk.ports.networks]]\nname = \"v\"\n"
           "vlan = 5\naddress = \"198.18.0.1\"\n",
       "sipshunt.toml:6:14: dpdk.ports[0].prefix_len: without `address` the port has no untagged network to apply it to"},
      {"[proxy]\naddress = \"198.18.0.99\"\n[[dpdk.ports]]\nname = \"wan\"\ndevice = \"x\"\naddress = \"198.18.0.1\"\n",
       "sipshunt.toml:2:11: proxy.address: expected the address of one of the networks (wan 198.18.0.1), got "
       "\"198.18.0.99\""},
      // Service addresses (shared by instances behind routers).
      {dpdk + "service_address = \"198.18.0.7\"\n",
       "sipshunt.toml:7:19: dpdk.ports[0].service_address: expected a unicast IPv4 address outside 198.18.0.0/24, got "
       "\"198.18.0.7\""},
      {dpdk + "service_address = \"2001:db8::7\"\n",
       "sipshunt.toml:7:19: dpdk.ports[0].service_address: expected a unicast IPv4 address outside 198.18.0.0/24, got "
       "\"2001:db8::7\""},
      {dpdk + "service_address = \"192.0.2.80\"\n[[dpdk.ports.networks]]\nname = \"v\"\nvlan = 7\n"
              "address = \"198.19.0.9\"\nservice_address = \"192.0.2.80\"\n",
       "sipshunt.toml:11:11: dpdk.ports[0].networks[0].address: service address 192.0.2.80 of network 'wan' is "
       "network 'v's service address too (a service address belongs to one network, outside every subnet)"},
      {dpdk + "service_address = \"198.19.0.80\"\n[[dpdk.ports.networks]]\nname = \"v\"\nvlan = 7\n"
              "address = \"198.19.0.9\"\n",
       "sipshunt.toml:11:11: dpdk.ports[0].networks[0].address: service address 198.19.0.80 of network 'wan' is "
       "network 'v's subnet's (a service address belongs to one network, outside every subnet)"},
      {p + "[[dpdk.ports]]\nname = \"wan\"\ndevice = \"x\"\nservice_address = \"192.0.2.80\"\n"
           "[[dpdk.ports.networks]]\nname = \"v\"\nvlan = 5\naddress = \"198.18.0.1\"\n",
       "sipshunt.toml:6:19: dpdk.ports[0].service_address: without `address` the port has no untagged network to apply "
       "it to"},
      {"[proxy]\naddress = \"192.0.2.81\"\n[[dpdk.ports]]\nname = \"wan\"\ndevice = \"x\"\naddress = \"198.18.0.1\"\n"
       "service_address = \"192.0.2.80\"\n",
       "sipshunt.toml:2:11: proxy.address: expected the address of one of the networks (wan 198.18.0.1 or 192.0.2.80), "
       "got \"192.0.2.81\""},
      {dpdk + "[[dpdk.routes]]\nprefix = \"198.18.0.0/24\"\nvia = \"198.18.0.254\"\n",
       "sipshunt.toml:8:10: dpdk.routes[0].prefix: is network 'wan's own subnet"},
      {dpdk + "[[dpdk.routes]]\nprefix = \"2001:db8::/32\"\nvia = \"198.18.0.254\"\n",
       "sipshunt.toml:9:7: dpdk.routes[0].via: expected an address of the prefix's family, got \"198.18.0.254\""},
      // [hep]
      {p + "[hep]\nsample = 0.5\n", "sipshunt.toml:3:1: missing key 'address' in [hep] (hep)"},
      {p + "[hep]\naddress = \"192.0.2.10\"\n",
       "sipshunt.toml:4:11: hep.address: expected the collector as \"IP:PORT\" (e.g. \"192.0.2.10:9060\"), got "
       "\"192.0.2.10\""},
      {p + "[hep]\naddress = \"224.0.0.1:9060\"\n",
       "sipshunt.toml:4:11: hep.address: expected a unicast address, got \"224.0.0.1:9060\""},
      {p + "[hep]\naddress = \"192.0.2.10:9060\"\nsample = 1.5\n",
       "sipshunt.toml:5:10: hep.sample: expected a share of calls 0.0..1.0, got 1.500000"},
      {p + "[hep]\naddress = \"192.0.2.10:9060\"\nsample = \"all\"\n",
       "sipshunt.toml:5:10: hep.sample: expected a share of calls 0.0..1.0, got string"},
      {p + "[hep]\naddress = \"192.0.2.10:9060\"\nagent_id = -1\n",
       "sipshunt.toml:5:12: hep.agent_id: expected an integer 0..4294967295, got -1"},
      {p + "[hep]\naddress = \"192.0.2.10:9060\"\nqueue = 1000\n",
       "sipshunt.toml:5:9: hep.queue: expected a power of two 64..65536, got 1000"},
      {p + "[hep]\naddress = \"192.0.2.10:9060\"\nsampel = 1.0\n",
       "sipshunt.toml:5:1: unknown key 'sampel' in [hep] (expected one of: enabled, address, sample, agent_id, "
       "auth_key, queue)"},
  };
  for (const Case& c : cases) EXPECT_EQ(outcome(c.text), c.expected) << "input:\n" << c.text;
}

// Every truncation and many random byte edits of a full config: never a crash (this binary also
// runs under ASan/UBSan), always either a config or an error whose position lies inside the text.
TEST(Config, DamagedInputAlwaysGivesAConfigOrAPositionedError) {
  std::ifstream in(kData / "full.toml");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string full = ss.str();
  const auto lines = static_cast<std::uint32_t>(std::count(full.begin(), full.end(), '\n')) + 1;
  auto check = [&](const std::string& text) {
    const auto r = load_string(text, kData / "damaged.toml");
    if (!r) {
      EXPECT_GE(r.error().line, 1u) << r.error().to_string();
      EXPECT_LE(r.error().line, lines) << r.error().to_string();
      EXPECT_GE(r.error().column, 1u) << r.error().to_string();
      EXPECT_FALSE(r.error().message.empty());
    }
  };
  std::size_t parsed = 0;
  for (std::size_t n = 0; n <= full.size(); ++n) {
    check(full.substr(0, n));
    parsed += load_string(full.substr(0, n), kData / "damaged.toml") ? 1 : 0;
  }
  EXPECT_GT(parsed, 0u);  // some truncations (at section ends) are valid configs
  std::mt19937 rng(1);
  const char alphabet[] = "[]=\"'#.,{}\n 0123456789abcxyz-_/:\\";
  for (int i = 0; i < 2000; ++i) {
    std::string text = full;
    for (int k = 0; k < 3; ++k) text[rng() % text.size()] = alphabet[rng() % (sizeof alphabet - 1)];
    check(text);
  }
}

}  // namespace
TEST(Config, HostNamesMapToNextHops) {
  const auto r = load_string(
      "[proxy]\naddress = \"198.18.0.1\"\n[proxy.hosts]\n\"Carrier.Example.com\" = \"203.0.113.5:5070\"\n"
      "pstn = \"198.19.2.1\"\n\"v6.example.net\" = \"[2001:db8::5]:5062\"\n",
      "/tmp/x/sipshunt.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  const auto& h = r->hosts;
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].name, "carrier.example.com");  // lowercase, sorted
  EXPECT_EQ(h[0].address, ip("203.0.113.5"));
  EXPECT_EQ(h[0].port, 5070);
  EXPECT_EQ(h[1].name, "pstn");
  EXPECT_EQ(h[1].port, 0);  // the URI's port, else 5060
  EXPECT_EQ(h[2].name, "v6.example.net");
  EXPECT_EQ(h[2].address, ip("2001:db8::5"));
}

TEST(Config, HepIsOffUnlessItsTableIsPresent) {
  const auto off = load_string("[proxy]\naddress = \"198.18.0.1\"\n", "sipshunt.toml");
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->hep.enabled);
  const auto on = load_string(
      "[proxy]\naddress = \"198.18.0.1\"\n[hep]\naddress = \"[2001:db8::9]:9060\"\nsample = 0.25\n"
      "agent_id = 2001\nauth_key = \"secret\"\nqueue = 256\n",
      "sipshunt.toml");
  ASSERT_TRUE(on) << on.error().to_string();
  EXPECT_TRUE(on->hep.enabled);
  EXPECT_EQ(on->hep.address.to_string(), "[2001:db8::9]:9060");
  EXPECT_DOUBLE_EQ(on->hep.sample, 0.25);
  EXPECT_EQ(on->hep.agent_id, 2001u);
  EXPECT_EQ(on->hep.auth_key, "secret");
  EXPECT_EQ(on->hep.queue, 256u);
  const auto disabled = load_string(
      "[proxy]\naddress = \"198.18.0.1\"\n[hep]\nenabled = false\naddress = \"192.0.2.10:9060\"\nsample = 1\n",
      "sipshunt.toml");
  ASSERT_TRUE(disabled);
  EXPECT_FALSE(disabled->hep.enabled);
  EXPECT_DOUBLE_EQ(disabled->hep.sample, 1.0);
}

// The reference in src/config/README.md: its example holds every key and must always load.
TEST(Config, AdminTokenFileIsReadAtLoadAndRefusedWhereNamed) {
  test_support::TempDir dir;
  const std::string head = "[proxy]\naddress = \"198.18.0.1\"\n[admin]\ntoken_file = ";
  auto load_with = [&](std::string_view value) { return load_string(head + std::string(value) + "\n", dir.path() / "s.toml"); };

  dir.write("admin.token", "  s3cr3t-Token_0.9~+/==\n");
  const auto ok = load_with("\"admin.token\"");  // relative to the config's folder
  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_EQ(ok->admin.token, "s3cr3t-Token_0.9~+/==");
  EXPECT_EQ(ok->admin.token_file, dir.path() / "admin.token");
  EXPECT_EQ(load_string("[proxy]\naddress = \"198.18.0.1\"\n", "s.toml")->admin.token, "");  // default: none

  const std::string at = (dir.path() / "s.toml").string() + ":4:14: admin.token_file: '";
  auto error_of = [&](std::string_view value) {
    const auto r = load_with(value);
    return r ? std::string("ok") : r.error().to_string();
  };
  EXPECT_EQ(error_of("\"missing.token\""),
            at + (dir.path() / "missing.token").string() + "': cannot read: No such file or directory");
  dir.write("empty.token", " \n\t\n");
  EXPECT_EQ(error_of("\"empty.token\""),
            at + (dir.path() / "empty.token").string() + "' is empty (it must hold the admin API's bearer token)");
  dir.write("space.token", "two words\n");
  EXPECT_EQ(error_of("\"space.token\""),
            at + (dir.path() / "space.token").string() +
                "': the token may hold only letters, digits and -._~+/ (then '=' padding), RFC 6750 §2.1");
  dir.write("pad.token", "=abc\n");
  EXPECT_NE(error_of("\"pad.token\""), "ok");
  EXPECT_EQ(error_of("\".\""), at + dir.path().string() + "' is a directory");
  EXPECT_EQ(error_of("\"\""), (dir.path() / "s.toml").string() + ":4:14: admin.token_file: expected a file path, got \"\"");
  EXPECT_EQ(error_of("3"), (dir.path() / "s.toml").string() + ":4:14: admin.token_file: expected a file path, got integer");
}

TEST(Config, ReferenceExampleInTheReadmeLoads) {
  std::ifstream in(fs::path(CONFIG_README));
  ASSERT_TRUE(in) << CONFIG_README;
  std::stringstream all;
  all << in.rdbuf();
  const std::string text = all.str();
  const auto begin = text.find("```toml\n");
  ASSERT_NE(begin, std::string::npos);
  const auto end = text.find("```", begin + 8);
  ASSERT_NE(end, std::string::npos);
  const std::string example = text.substr(begin + 8, end - begin - 8);
  const auto r = load_string(example, fs::path(CONFIG_README).parent_path() / "example.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  const Config& c = *r;
  EXPECT_EQ(c.backend_source, Config::BackendSource::kAddress);
  EXPECT_EQ(c.hosts.size(), 2u);
  ASSERT_EQ(c.pools.size(), 1u);
  EXPECT_EQ(c.pools[0].backends.size(), 2u);
  ASSERT_EQ(c.rule_files.size(), 1u);
  EXPECT_TRUE(fs::exists(c.rule_files[0])) << c.rule_files[0];
  ASSERT_EQ(c.dpdk.ports.size(), 1u);
  EXPECT_TRUE(c.dpdk.networks.at(0).gateway.has_value());
  EXPECT_EQ(c.dpdk.routes.size(), 1u);
}

}  // namespace sipshunt::config
