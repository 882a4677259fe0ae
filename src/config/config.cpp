// TOML (toml++) to a validated Config, section by section ([proxy], [[pools]], [dpdk], ...). Every
// error is thrown internally as a Failure carrying the source position of the offending key or
// value (typed readers: toml_fields.hpp), and returned as `file:line:col: message`.
#include "sipshunt/config/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <map>
#include <sstream>
#include <string_view>
#include <system_error>

#include "sipshunt/balance/maglev.hpp"
#include "toml_fields.hpp"

namespace sipshunt::config {

namespace {

namespace fs = std::filesystem;
using namespace detail;  // the typed field readers (toml_fields.hpp)

void read_health(const toml::table& t, std::string_view path, HealthCheck& h) {
  reject_unknown_keys(t, {"enabled", "interval_ms", "timeout_ms", "fall", "rise", "alive_below"},
                      "in [pools.health]");
  read_bool(t, "enabled", path, h.enabled);
  read_int(t, "interval_ms", path, 100, 3600000, h.interval_ms);
  read_int(t, "timeout_ms", path, 10, 3600000, h.timeout_ms);
  read_int(t, "fall", path, 1, 100, h.fall);
  read_int(t, "rise", path, 1, 100, h.rise);
  read_int(t, "alive_below", path, 101, 700, h.alive_below);
  if (h.timeout_ms > h.interval_ms) {
    const toml::node* n = find(t, "timeout_ms");
    const toml::source_region& where = n ? n->source() : t.source();
    std::string msg = child(path, "timeout_ms");
    msg.append(": expected at most interval_ms (").append(std::to_string(h.interval_ms)).append("), got ");
    msg.append(std::to_string(h.timeout_ms));
    fail(where, std::move(msg));
  }
}

AdminState state_value(const toml::node& n, std::string_view path) {
  constexpr std::string_view kExpected = "one of \"enabled\", \"drained\", \"disabled\"";
  const std::string& s = *string_value(n, path, kExpected);
  if (s == "enabled") return AdminState::kEnabled;
  if (s == "drained") return AdminState::kDrained;
  if (s == "disabled") return AdminState::kDisabled;
  fail_expected(n, path, kExpected, quote(s));
}

Backend read_backend(const toml::table& t, std::string_view path, Seen& names) {
  reject_unknown_keys(t, {"name", "address", "port", "weight", "state"}, "in [[pools.backends]]");
  Backend b;
  const toml::node& name = require(t, "name", path, "[[pools.backends]]");
  b.name = name_value(name, child(path, "name"));
  names.add(b.name, name, child(path, "name"));
  b.endpoint.ip = ip_value(require(t, "address", path, "[[pools.backends]]"), child(path, "address"));
  b.endpoint.port = 5060;
  read_int(t, "port", path, 1, 65535, b.endpoint.port);
  read_int(t, "weight", path, 1, 1000, b.weight);
  if (const toml::node* n = find(t, "state")) b.state = state_value(*n, child(path, "state"));
  if (b.endpoint.ip.is_unsendable())
    fail_expected(*find(t, "address"), child(path, "address"), "a unicast address",
                  quote(b.endpoint.ip.to_string()));
  return b;
}

Pool read_pool(const toml::table& t, std::string_view path, Seen& pool_names, Seen& backend_names) {
  reject_unknown_keys(t, {"name", "backends", "table_size", "health"}, "in [[pools]]");
  Pool p;
  const toml::node& name = require(t, "name", path, "[[pools]]");
  p.name = name_value(name, child(path, "name"));
  pool_names.add(p.name, name, child(path, "name"));
  if (const toml::node* n = find(t, "table_size")) {
    const std::string tp = child(path, "table_size");
    p.table_size = static_cast<std::uint32_t>(int_value(*n, tp, 2, balance::kMaxTableSize));
    if (!balance::is_prime(p.table_size))
      fail_expected(*n, tp, "a prime number (e.g. 65537, 131071, 1000003)", std::to_string(p.table_size));
  }
  if (const toml::table* h = get_table(t, "health", path)) read_health(*h, child(path, "health"), p.health);
  const auto backends = get_tables(t, "backends", path);
  std::map<std::pair<std::array<std::uint8_t, 17>, std::uint16_t>, std::string> endpoints;
  for (std::size_t i = 0; i < backends.size(); ++i) {
    const std::string bp = indexed(child(path, "backends"), i);
    Backend b = read_backend(*backends[i], bp, backend_names);
    std::array<std::uint8_t, 17> key{};
    key[0] = static_cast<std::uint8_t>(b.endpoint.ip.family);
    std::copy(b.endpoint.ip.bytes.begin(), b.endpoint.ip.bytes.end(), key.begin() + 1);
    auto [it, inserted] = endpoints.emplace(std::make_pair(key, b.endpoint.port), b.name);
    if (!inserted) {
      std::string msg = bp;
      msg.append(": duplicate endpoint ").append(b.endpoint.to_string()).append(" in pool '").append(p.name);
      msg.append("' (also backend '").append(it->second).append("')");
      fail(backends[i]->get("address")->source(), std::move(msg));
    }
    p.backends.push_back(std::move(b));
  }
  if (p.backends.size() > p.table_size) {
    const toml::node* n = find(t, "table_size");
    std::string msg = child(path, "table_size");
    msg.append(": expected at least the number of backends (").append(std::to_string(p.backends.size()));
    msg.append("), got ").append(std::to_string(p.table_size));
    fail(n ? n->source() : t.source(), std::move(msg));
  }
  return p;
}

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
  for (unsigned bit = l; bit < max; ++bit) {
    if (a->bytes[bit / 8] & (0x80u >> (bit % 8))) {
      std::string expected = "a prefix with no host bits set after /";
      expected.append(std::to_string(l));
      fail_expected(n, path, expected, quote(s));
    }
  }
  ip = *a;
  len = static_cast<std::uint8_t>(l);
}

bool in_subnet(const IpAddress& a, const IpAddress& net, unsigned len) noexcept {
  if (a.family != net.family) return false;
  for (unsigned bit = 0; bit < len; ++bit) {
    const unsigned mask = 0x80u >> (bit % 8);
    if ((a.bytes[bit / 8] & mask) != (net.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

bool is_power_of_two(std::uint32_t v) noexcept { return v != 0 && (v & (v - 1)) == 0; }

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
  const auto ports = get_tables(t, "ports", path);
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const toml::table& pt = *ports[i];
    const std::string pp = indexed(child(path, "ports"), i);
    reject_unknown_keys(pt, {"name", "device", "devargs", "address", "prefix_len", "gateway", "mtu"},
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
    port.address = ip_value(require(pt, "address", pp, "[[dpdk.ports]]"), child(pp, "address"));
    const unsigned max_len = port.address.family == Family::kIPv6 ? 128 : 32;
    read_int(pt, "prefix_len", pp, 1, max_len, port.prefix_len);
    if (const toml::node* g = find(pt, "gateway")) {
      IpAddress gw = ip_value(*g, child(pp, "gateway"));
      if (!in_subnet(gw, port.address, port.prefix_len)) {
        std::string expected = "an address inside ";
        expected.append(port.address.to_string()).append("/").append(std::to_string(port.prefix_len));
        fail_expected(*g, child(pp, "gateway"), expected, quote(gw.to_string()));
      }
      port.gateway = gw;
    }
    read_int(pt, "mtu", pp, 576, 9000, port.mtu);
    d.ports.push_back(std::move(port));
  }
  const auto routes = get_tables(t, "routes", path);
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const toml::table& rt = *routes[i];
    const std::string rp = indexed(child(path, "routes"), i);
    reject_unknown_keys(rt, {"prefix", "via"}, "in [[dpdk.routes]]");
    Route r;
    prefix_value(require(rt, "prefix", rp, "[[dpdk.routes]]"), child(rp, "prefix"), r.prefix, r.prefix_len);
    const toml::node& via = require(rt, "via", rp, "[[dpdk.routes]]");
    r.via = ip_value(via, child(rp, "via"));
    if (r.via.family != r.prefix.family)
      fail_expected(via, child(rp, "via"), "an address of the prefix's family", quote(r.via.to_string()));
    const bool reachable = std::any_of(d.ports.begin(), d.ports.end(), [&](const Port& p) {
      return in_subnet(r.via, p.address, p.prefix_len);
    });
    if (!reachable) fail_expected(via, child(rp, "via"), "an address on a port's subnet", quote(r.via.to_string()));
    d.routes.push_back(r);
  }
}

void read_hosts(const toml::table& t, Config& c);

void read_proxy(const toml::table& t, Config& c, const toml::node*& default_pool_node) {
  const std::string path = "proxy";
  reject_unknown_keys(t,
                      {"address", "port", "record_route", "default_pool", "no_match_status", "no_match_reason",
                       "reply_rate", "backend_source", "hosts"},
                      "in [proxy]");
  const toml::node& address = require(t, "address", "", "[proxy]");
  c.self.ip = ip_value(address, "proxy.address");
  if (c.self.ip.is_unsendable())
    fail_expected(address, "proxy.address", "a unicast address", quote(c.self.ip.to_string()));
  c.self.port = 5060;
  read_int(t, "port", path, 1, 65535, c.self.port);
  read_bool(t, "record_route", path, c.record_route);
  if (const toml::node* n = find(t, "default_pool")) {
    c.default_pool = *string_value(*n, "proxy.default_pool", "a pool name");
    default_pool_node = n;
  }
  read_int(t, "no_match_status", path, 400, 699, c.no_match_status);
  if (const toml::node* n = find(t, "no_match_reason")) {
    c.no_match_reason = *string_value(*n, "proxy.no_match_reason");
    if (!is_reason_phrase(c.no_match_reason))
      fail_expected(*n, "proxy.no_match_reason", "1..128 printable characters", quote(c.no_match_reason));
  }
  read_int(t, "reply_rate", path, 1, 100000000, c.reply_rate);
  if (const toml::node* n = find(t, "backend_source")) {
    constexpr std::string_view kExpected = "one of \"address\", \"address-port\"";
    const std::string& s = *string_value(*n, "proxy.backend_source", kExpected);
    if (s == "address") {
      c.backend_source = Config::BackendSource::kAddress;
    } else if (s == "address-port") {
      c.backend_source = Config::BackendSource::kAddressPort;
    } else {
      fail_expected(*n, "proxy.backend_source", kExpected, quote(s));
    }
  }
  if (const toml::table* h = get_table(t, "hosts", path)) read_hosts(*h, c);
}

// A DNS host name: labels of letters, digits and '-', separated by dots; not an IP literal.
bool is_host_name(std::string_view s) noexcept {
  if (s.empty() || s.size() > 253 || IpAddress::parse(s)) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    if (ch == '.') {
      if (label == 0 || s[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    const bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    if (!alnum && !(ch == '-' && label > 0)) return false;
    if (++label > 63) return false;
  }
  return s.back() != '-';
}

void read_hosts(const toml::table& t, Config& c) {
  constexpr std::string_view kExpected = "\"IP\" or \"IP:PORT\" (e.g. \"203.0.113.5:5060\")";
  for (auto&& [key, node] : t) {
    const std::string name(key.str());
    std::string path = "proxy.hosts.";
    path.append(name);
    if (!is_host_name(name)) {
      fail(key.source().begin ? key.source() : node.source(),
           path + ": expected a host name (letters, digits, '-' and '.'), got " + quote(name));
    }
    const std::string& v = *string_value(node, path, kExpected);
    HostMapping h;
    for (char ch : name) h.name.push_back(ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch + 32) : ch);
    if (auto e = Endpoint::parse(v)) {
      if (e->port == 0) fail_expected(node, path, kExpected, quote(v));
      h.address = e->ip;
      h.port = e->port;
    } else if (auto ip = IpAddress::parse(v)) {
      h.address = *ip;
    } else {
      fail_expected(node, path, kExpected, quote(v));
    }
    if (h.address.is_unsendable()) fail_expected(node, path, "a unicast address", quote(v));
    for (const HostMapping& o : c.hosts)
      if (o.name == h.name) fail(node.source(), path + ": " + quote(name) + " is already mapped (names are case-insensitive)");
    c.hosts.push_back(std::move(h));
  }
  std::sort(c.hosts.begin(), c.hosts.end(), [](const HostMapping& a, const HostMapping& b) { return a.name < b.name; });
}

void read_rules(const toml::table& t, Config& c, bool check_files) {
  reject_unknown_keys(t, {"files"}, "in [rules]");
  const toml::node* n = find(t, "files");
  if (!n) return;
  if (!n->is_array()) fail_type(*n, "rules.files", "an array of strings");
  const toml::array& a = *n->as_array();
  const fs::path dir = c.path.parent_path();
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string p = indexed("rules.files", i);
    const std::string& s = *string_value(a[i], p, "a file path");
    if (s.empty()) fail_expected(a[i], p, "a file path", "\"\"");
    fs::path file(s);
    if (file.is_relative()) file = dir / file;
    file = file.lexically_normal();
    if (check_files) {
      std::error_code ec;
      if (!fs::is_regular_file(file, ec)) {
        std::string msg = p;
        msg.append(": no such file '").append(file.string()).append("'");
        fail(a[i].source(), std::move(msg));
      }
    }
    c.rule_files.push_back(std::move(file));
  }
}

void read_admin(const toml::table& t, Admin& a) {
  reject_unknown_keys(t, {"enabled", "address", "port"}, "in [admin]");
  read_bool(t, "enabled", "admin", a.enabled);
  read_ip(t, "address", "admin", a.address);
  read_int(t, "port", "admin", 1, 65535, a.port);
}

void read_log(const toml::table& t, Log& l) {
  reject_unknown_keys(t, {"level", "format"}, "in [log]");
  if (const toml::node* n = find(t, "level")) {
    constexpr std::string_view kExpected = "one of trace, debug, info, warn, error, critical, off";
    const std::string& s = *string_value(*n, "log.level", kExpected);
    constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    if (std::find(std::begin(kLevels), std::end(kLevels), s) == std::end(kLevels))
      fail_expected(*n, "log.level", kExpected, quote(s));
    l.level = s;
  }
  if (const toml::node* n = find(t, "format")) {
    constexpr std::string_view kExpected = "\"text\" or \"json\"";
    const std::string& s = *string_value(*n, "log.format", kExpected);
    if (s == "text") {
      l.format = Log::Format::kText;
    } else if (s == "json") {
      l.format = Log::Format::kJson;
    } else {
      fail_expected(*n, "log.format", kExpected, quote(s));
    }
  }
}

Config read_document(const toml::table& root, const fs::path& absolute, bool check_files) {
  Config c;
  c.path = absolute;
  reject_unknown_keys(root, {"proxy", "rules", "pools", "admin", "log", "dpdk"}, "at the top level");
  const toml::table* proxy = get_table(root, "proxy", "");
  if (!proxy) throw Failure{1, 1, "missing table [proxy] (at least proxy.address is required)"};
  const toml::node* default_pool_node = nullptr;
  read_proxy(*proxy, c, default_pool_node);
  if (const toml::table* t = get_table(root, "rules", "")) read_rules(*t, c, check_files);
  Seen pool_names{"pool", {}};
  Seen backend_names{"backend", {}};
  const auto pools = get_tables(root, "pools", "");
  for (std::size_t i = 0; i < pools.size(); ++i)
    c.pools.push_back(read_pool(*pools[i], indexed("pools", i), pool_names, backend_names));
  if (default_pool_node && !c.find_pool(c.default_pool)) {
    std::string msg = "proxy.default_pool: no pool named ";
    msg.append(quote(c.default_pool));
    if (c.pools.empty()) {
      msg.append(" (no [[pools]] defined)");
    } else {
      msg.append(" (pools: ");
      for (std::size_t i = 0; i < c.pools.size(); ++i) msg.append(i ? ", " : "").append(c.pools[i].name);
      msg.append(")");
    }
    fail(default_pool_node->source(), std::move(msg));
  }
  if (const toml::table* t = get_table(root, "admin", "")) read_admin(*t, c.admin);
  if (const toml::table* t = get_table(root, "log", "")) read_log(*t, c.log);
  if (const toml::table* t = get_table(root, "dpdk", "")) read_dpdk(*t, c.dpdk);
  return c;
}

Result<Config> load(std::string_view text, const fs::path& path, bool check_files) {
  const std::string file = path.string();
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  if (ec) absolute = path;
  absolute = absolute.lexically_normal();
  try {
    toml::table root = toml::parse(text, file);
    return read_document(root, absolute, check_files);
  } catch (const toml::parse_error& e) {
    return Error{file, static_cast<std::uint32_t>(e.source().begin.line),
                 static_cast<std::uint32_t>(e.source().begin.column), std::string(e.description())};
  } catch (const Failure& f) {
    return Error{file, f.line, f.column, f.message};
  }
}

}  // namespace

const Pool* Config::find_pool(std::string_view name) const noexcept {
  for (const Pool& p : pools)
    if (p.name == name) return &p;
  return nullptr;
}

Result<Config> load_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return Error{path.string(), 0, 0, "cannot read config file: Is a directory"};
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    std::string msg = "cannot read config file: ";
    msg.append(err ? std::strerror(err) : "unknown error");
    return Error{path.string(), 0, 0, std::move(msg)};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return load(text.str(), path, true);
}

Result<Config> load_string(std::string_view text, const std::filesystem::path& path) { return load(text, path, true); }

}  // namespace sipshunt::config
