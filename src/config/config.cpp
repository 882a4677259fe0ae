// TOML (toml++) to a validated Config, section by section ([proxy], [[pools]], [dpdk], ...). Every
// error is thrown internally as a Failure carrying the source position of the offending key or
// value (typed readers: toml_fields.hpp), and returned as `file:line:col: message`.
#include "sipshunt/config/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <map>
#include <sstream>
#include <string_view>
#include <system_error>

#include "sipshunt/balance/maglev.hpp"
#include "sections.hpp"
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

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool is_bearer_token(std::string_view s) noexcept {
  auto token_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || (c != '\0' && std::strchr("-._~+/", c) != nullptr);
  };
  std::size_t n = 0;
  while (n < s.size() && token_char(s[n])) ++n;
  if (n == 0) return false;
  while (n < s.size() && s[n] == '=') ++n;
  return n == s.size();
}

// The token is read at load (and at every reload), so a missing or empty file is refused where
// it is named instead of leaving the state-changing endpoints open or closed by surprise.
void read_token_file(const toml::node& n, const fs::path& dir, bool check_files, Admin& a) {
  constexpr std::string_view kExpected = "a file path";
  const std::string& s = *string_value(n, "admin.token_file", kExpected);
  if (s.empty()) fail_expected(n, "admin.token_file", kExpected, "\"\"");
  fs::path file(s);
  if (file.is_relative()) file = dir / file;
  a.token_file = file.lexically_normal();
  if (!a.token_file.has_filename()) a.token_file = a.token_file.parent_path();  // "dir/." -> "dir"
  if (!check_files) return;
  const std::string where = "admin.token_file: '" + a.token_file.string() + "'";
  std::error_code ec;
  if (fs::is_directory(a.token_file, ec)) fail(n.source(), where + " is a directory");
  std::ifstream in(a.token_file, std::ios::binary);
  if (!in) {
    const int err = errno;
    fail(n.source(), where + ": cannot read: " + (err ? std::strerror(err) : "unknown error"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  const auto first = token.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) fail(n.source(), where + " is empty (it must hold the admin API's bearer token)");
  token = token.substr(first, token.find_last_not_of(" \t\r\n") - first + 1);
  if (!is_bearer_token(token))
    fail(n.source(), where + ": the token may hold only letters, digits and -._~+/ (then '=' padding), RFC 6750 §2.1");
  a.token = std::move(token);
}

void read_admin(const toml::table& t, Admin& a, const fs::path& dir, bool check_files) {
  reject_unknown_keys(t, {"enabled", "address", "port", "token_file"}, "in [admin]");
  read_bool(t, "enabled", "admin", a.enabled);
  read_ip(t, "address", "admin", a.address);
  read_int(t, "port", "admin", 1, 65535, a.port);
  if (const toml::node* n = find(t, "token_file")) read_token_file(*n, dir, check_files, a);
}

void read_instance(const toml::table& t, Instance& i) {
  reject_unknown_keys(t, {"stop_grace_ms"}, "in [instance]");
  read_int(t, "stop_grace_ms", "instance", 0, 600000, i.stop_grace_ms);
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
  reject_unknown_keys(root, {"proxy", "rules", "pools", "admin", "instance", "log", "dpdk", "hep"},
                      "at the top level");
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
  if (const toml::table* t = get_table(root, "admin", "")) read_admin(*t, c.admin, c.path.parent_path(), check_files);
  if (const toml::table* t = get_table(root, "instance", "")) read_instance(*t, c.instance);
  if (const toml::table* t = get_table(root, "log", "")) read_log(*t, c.log);
  if (const toml::table* t = get_table(root, "dpdk", "")) read_dpdk(*t, c.dpdk);
  check_self_is_ours(*proxy, c);
  if (const toml::table* t = get_table(root, "hep", "")) read_hep(*t, c.hep);
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

const Network* Dpdk::network_of_address(const IpAddress& a) const noexcept {
  for (const Network& n : networks)
    if (n.address == a || n.service_address == a) return &n;
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
